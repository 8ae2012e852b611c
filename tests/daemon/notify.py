#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
"""A NOTIFY_SOCKET receiver for the host tests: binds a datagram socket at
PATH, as systemd's notify socket, and appends every line of every
sd_notify message to OUT as "PID LINE" (the sender's pid from
SCM_CREDENTIALS, "?" when none came), flushed at once. Runs until killed.

  notify.py PATH OUT
"""
import os
import socket
import struct
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    with open(out, "a", buffering=1) as f:
        while True:
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
            pid = "?"
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and \
                   kind == socket.SCM_CREDENTIALS and len(cdata) >= 12:
                    pid = str(struct.unpack("iII", cdata[:12])[0])
            for line in data.decode("utf-8", "backslashreplace").split("\n"):
                if line:
                    f.write(f"{pid} {line}\n")
            f.flush()
            os.fsync(f.fileno())


if __name__ == "__main__":
    main()
