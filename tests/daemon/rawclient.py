#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
"""A raw client of prezerod's control socket (proto/control.md) for the
host tests: it sends exactly the bytes it is given, so it can send what
prezeroctl never would, and prints what comes back, one line each.

  rawclient.py send SOCK [--replies N] [--timeout S] [--close]
      Send standard input as it is, then print N reply lines (default 1);
      "CLOSED" instead of a line when the daemon closes the connection
      first, "TIMEOUT" when a reply does not come in time. With --close,
      then wait for the daemon to close the connection: "CLOSED" or
      "STILL-OPEN". A failed send (the daemon closed first) prints
      "SEND-ERROR errno" and the replies are still read.
  rawclient.py sized SOCK SIZE [--close]
      Send one ping request of exactly SIZE bytes (newline excluded, padded
      in its "id"), then as "send" with one reply.
  rawclient.py idle SOCK [--data TEXT] [--timeout S]
      Connect, send TEXT (default nothing), print "open", then wait for the
      daemon to close the connection: "CLOSED" (after printing any reply
      lines that came) or "TIMEOUT".
  rawclient.py busy SOCK N
      Open N connections at once, then send a ping on each, in order. Each
      either answers the ping or has been refused with an error and closed.
      Prints "served=A refused=B codes=..." and the first refusal's reply.

Exit status 0, 2 when the connection cannot be made, 1 on a protocol
violation (a reply that is not one JSON object with a boolean "ok").
Timeouts are scaled by $PZ_TIMEOUT_SCALE (valgrind runs).
"""
import argparse
import json
import os
import select
import socket
import sys
import time

SCALE = float(os.environ.get("PZ_TIMEOUT_SCALE", "1"))


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as e:
        print(f"rawclient: connect {path}: {e}", file=sys.stderr)
        sys.exit(2)
    return s


class Reader:
    """Line reader with a deadline per line."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def line(self, timeout):
        """A reply line (bytes, no newline), None at EOF, or raises
        TimeoutError."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                return None
            if not self._read(deadline):
                raise TimeoutError
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def wait_eof(self, timeout):
        """True when the peer closed within timeout (any data before is
        returned through pending())."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._read(deadline):
                return False
        return True

    def _read(self, deadline):
        """One read into buf (a reset counts as EOF); False if the deadline
        passed first."""
        left = deadline - time.monotonic()
        while left > 0:
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                try:
                    data = self.sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    self.eof = True
                self.buf += data
                return True
            left = deadline - time.monotonic()
        return False


def check_reply(line):
    """A reply must be one JSON object with a boolean "ok"."""
    try:
        obj = json.loads(line)
    except ValueError:
        print(f"rawclient: reply is not JSON: {line[:200]!r}", file=sys.stderr)
        sys.exit(1)
    if not isinstance(obj, dict) or not isinstance(obj.get("ok"), bool):
        print(f"rawclient: reply without boolean ok: {line[:200]!r}",
              file=sys.stderr)
        sys.exit(1)
    return obj


def send_all(sock, data):
    try:
        sock.sendall(data)
    except OSError as e:
        print(f"SEND-ERROR {e.errno}")


def read_replies(sock, n, timeout, want_close=False):
    rd = Reader(sock)
    for _ in range(n):
        try:
            line = rd.line(timeout)
        except TimeoutError:
            print("TIMEOUT")
            return
        if line is None:
            print("CLOSED")
            return
        check_reply(line)
        print(line.decode("utf-8", "backslashreplace"))
    if not want_close:
        return
    if not rd.wait_eof(timeout):
        print("STILL-OPEN")
        return
    if rd.buf:
        print(f"rawclient: unexpected data after the replies: "
              f"{rd.buf[:200]!r}", file=sys.stderr)
        sys.exit(1)
    print("CLOSED")


def cmd_send(a):
    s = connect(a.sock)
    send_all(s, sys.stdin.buffer.read())
    read_replies(s, a.replies, a.timeout * SCALE, a.close)


def cmd_sized(a):
    head = b'{"cmd":"ping","id":"'
    tail = b'"}'
    pad = a.size - len(head) - len(tail)
    if pad < 0:
        sys.exit("rawclient: size too small")
    s = connect(a.sock)
    send_all(s, head + b"x" * pad + tail + b"\n")
    read_replies(s, 1, 10 * SCALE, a.close)


def cmd_idle(a):
    s = connect(a.sock)
    if a.data:
        send_all(s, a.data.encode())
    print("open", flush=True)
    rd = Reader(s)
    if not rd.wait_eof(a.timeout * SCALE):
        print("TIMEOUT")
        return
    for line in rd.buf.split(b"\n"):
        if line:
            print(line.decode("utf-8", "backslashreplace"))
    print("CLOSED")


def cmd_busy(a):
    socks = [connect(a.sock) for _ in range(a.n)]
    served = refused = 0
    codes = set()
    first = None
    for i, s in enumerate(socks):
        send_all_quiet(s, b'{"cmd":"ping","id":%d}\n' % i)
        rd = Reader(s)
        try:
            line = rd.line(10 * SCALE)
        except TimeoutError:
            print(f"rawclient: connection {i}: no reply", file=sys.stderr)
            sys.exit(1)
        if line is None:
            print(f"rawclient: connection {i}: closed without a reply",
                  file=sys.stderr)
            sys.exit(1)
        rep = check_reply(line)
        if rep["ok"]:
            if rep.get("id") != i:
                print(f"rawclient: connection {i}: wrong id {line!r}",
                      file=sys.stderr)
                sys.exit(1)
            served += 1
            continue
        refused += 1
        codes.add(rep.get("error", {}).get("code"))
        if first is None:
            first = line.decode()
        if not rd.wait_eof(10 * SCALE):
            print(f"rawclient: connection {i}: refused but left open",
                  file=sys.stderr)
            sys.exit(1)
    print(f"served={served} refused={refused} "
          f"codes={','.join(sorted(str(c) for c in codes))}")
    if first:
        print(first)
    for s in socks:
        s.close()


def send_all_quiet(sock, data):
    # A refused connection may already be closed: the reply is still there.
    try:
        sock.sendall(data)
    except OSError:
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("sock")
    s.add_argument("--replies", type=int, default=1)
    s.add_argument("--timeout", type=float, default=10)
    s.add_argument("--close", action="store_true")
    s.set_defaults(fn=cmd_send)
    s = sub.add_parser("sized")
    s.add_argument("sock")
    s.add_argument("size", type=int)
    s.add_argument("--close", action="store_true")
    s.set_defaults(fn=cmd_sized)
    s = sub.add_parser("idle")
    s.add_argument("sock")
    s.add_argument("--data", default="")
    s.add_argument("--timeout", type=float, default=40)
    s.set_defaults(fn=cmd_idle)
    s = sub.add_parser("busy")
    s.add_argument("sock")
    s.add_argument("n", type=int)
    s.set_defaults(fn=cmd_busy)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
