#!/usr/bin/env python3
"""lmtp-raw.py - talk to an LMTP server with raw bytes and print its replies.

Test helper for the bats suites (not part of the product): for what a
well-behaved client never does (pipelining everything in one write, overlong
lines, binary junk, truncated DATA, going silent). Actions run in the order
given on the command line:

    --send 'LHLO x\\r\\nMAIL FROM:<a@b>\\r\\n'   bytes, Python escapes (\\r \\n \\x00)
    --send-file PATH                           the file's bytes
    --repeat N --send ...                      the next --send N times, one write
    --wait N                                   until N replies in all (counting the
                                               greeting) have arrived
    --sleep SECS
    --touch PATH / --wait-file PATH            synchronise with the test script
    --shut-write                               half-close (the server sees EOF)
    --close                                    close the connection now

Every reply line the server sends is printed as it arrives (non-printable
bytes escaped), `CLOSED` when the server closes the connection, `TIMEOUT`
when a --wait is not satisfied in --timeout seconds. After the last action it
reads until the server closes or has been quiet for --linger seconds.
Exit status: 0, or 2 when a --wait timed out.
"""
import argparse
import os
import socket
import sys
import threading
import time


class Ordered(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        steps = getattr(namespace, "steps", None) or []
        steps.append((self.dest, values))
        namespace.steps = steps


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int)
    where.add_argument("--socket")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--timeout", type=float, default=20.0,
                   help="longest wait for one --wait")
    p.add_argument("--linger", type=float, default=1.0,
                   help="after the last action, stop reading once quiet this long")
    p.add_argument("--quiet", action="store_true",
                   help="print only a count of replies per code at the end")
    for name in ("send", "send_file", "repeat", "wait", "sleep", "touch", "wait_file"):
        p.add_argument("--" + name.replace("_", "-"), dest=name, action=Ordered)
    p.add_argument("--shut-write", dest="shut_write", nargs=0, action=Ordered)
    p.add_argument("--close", dest="close", nargs=0, action=Ordered)
    p.set_defaults(steps=[])
    return p.parse_args()


def printable(raw):
    out = []
    for b in raw:
        if 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


class Reader(threading.Thread):
    """Reads reply lines; counts final reply lines ("250 ..." not "250-...")."""

    def __init__(self, sock, quiet):
        super().__init__(daemon=True)
        self.sock = sock
        self.quiet = quiet
        self.cond = threading.Condition()
        self.finals = 0
        self.closed = False
        self.last_activity = time.monotonic()
        self.codes = {}

    def run(self):
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            with self.cond:
                self.last_activity = time.monotonic()
                if not chunk:
                    if pending:
                        self._line(pending)
                    self.closed = True
                    self.cond.notify_all()
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    self._line(line.rstrip(b"\r"))
                self.cond.notify_all()

    def _line(self, line):
        if len(line) >= 4 and line[:3].isdigit() and line[3:4] == b" ":
            self.finals += 1
            code = line[:3].decode()
            self.codes[code] = self.codes.get(code, 0) + 1
        elif len(line) == 3 and line.isdigit():
            self.finals += 1
        if not self.quiet:
            print(printable(line), flush=True)


def main():
    args = parse_args()
    if args.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(args.socket)
    else:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
        sock.settimeout(None)
    reader = Reader(sock, args.quiet)
    reader.start()
    status = 0
    repeat = 1
    for kind, value in args.steps:
        if kind in ("send", "send_file"):
            if kind == "send":
                data = value.encode("latin-1").decode("unicode_escape").encode("latin-1")
            else:
                with open(value, "rb") as f:
                    data = f.read()
            try:
                sock.sendall(data * repeat)
            except OSError as e:
                print(f"SEND-ERROR {e.strerror or e}", flush=True)
            repeat = 1
        elif kind == "repeat":
            repeat = int(value)
        elif kind == "wait":
            want = int(value)
            with reader.cond:
                ok = reader.cond.wait_for(lambda: reader.finals >= want or reader.closed,
                                          timeout=args.timeout)
                if not ok or reader.finals < want:
                    if not reader.closed:
                        print("TIMEOUT", flush=True)
                        status = 2
        elif kind == "sleep":
            time.sleep(float(value))
        elif kind == "touch":
            with open(value, "w"):
                pass
        elif kind == "wait_file":
            deadline = time.monotonic() + args.timeout
            while not os.path.exists(value) and time.monotonic() < deadline:
                time.sleep(0.05)
        elif kind == "shut_write":
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        elif kind == "close":
            # drop the connection without reading what may still come
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
            reader.join(timeout=2)
            _summary(args, reader)
            return status

    # read until closed or quiet for --linger
    with reader.cond:
        while not reader.closed:
            quiet_for = time.monotonic() - reader.last_activity
            if quiet_for >= args.linger:
                break
            reader.cond.wait(timeout=args.linger - quiet_for)
        closed = reader.closed
    if closed:
        reader.join(timeout=2)
        print("CLOSED", flush=True)
    _summary(args, reader)
    sock.close()
    return status


def _summary(args, reader):
    if args.quiet:
        for code in sorted(reader.codes):
            print(f"code {code} x{reader.codes[code]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
