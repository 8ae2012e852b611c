#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
"""A stand-in for prezerod on a control socket (proto/control.md), for
client tests of replies a real daemon only gives on hosts the test cannot
have (a Xen dom0 with a huge list):

  fakedaemon.py SOCK REPLY_FILE

Every request line on every connection is answered with the JSON object in
REPLY_FILE as it is at that moment (re-read each time, so a test changes
the answer by rewriting the file), with "ok": true and the request's "id"
added. Runs until killed; "ready" on standard output once it listens.
"""
import json
import os
import socket
import sys
import threading


def serve(conn, reply_file):
    with conn, conn.makefile("rwb") as f:
        for line in f:
            if not line.strip():
                continue
            req = json.loads(line)
            with open(reply_file) as r:
                reply = json.load(r)
            reply["ok"] = True
            if "id" in req:
                reply["id"] = req["id"]
            f.write(json.dumps(reply).encode() + b"\n")
            f.flush()


def main():
    path, reply_file = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, reply_file),
                         daemon=True).start()


if __name__ == "__main__":
    main()
