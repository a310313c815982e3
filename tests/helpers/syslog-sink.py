#!/usr/bin/env python3
"""syslog-sink.py SOCKET FILE [--max-seconds N] - a stand-in for the
syslog socket (/dev/log) of a daemon the tests run in a private mount
namespace (helpers/filters.bash): every datagram received on the UNIX
socket SOCKET is appended to FILE as one line. Test helper, not part of the
product; exits by itself after --max-seconds (default 1800)."""
import argparse
import os
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("file")
    ap.add_argument("--max-seconds", type=float, default=1800)
    args = ap.parse_args()
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(args.socket)
    os.chmod(args.socket, 0o666)
    deadline = time.monotonic() + args.max_seconds
    with open(args.file, "ab", buffering=0) as out:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(min(left, 1.0))
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            out.write(data.rstrip(b"\0\n") + b"\n")
    os.unlink(args.socket)


if __name__ == "__main__":
    main()
