#!/usr/bin/env python3
"""imap-client.py - drive an IMAP server for the bats suites (test helper,
not part of the product). Two modes:

  imap-client.py --port P lib STEP...
      A well-behaved client: Python's imaplib. Each STEP is a Python
      expression with M bound to the imaplib.IMAP4 connection (e.g.
      'M.login("a@x.test", "pw")', 'M.select("INBOX")',
      'M.uid("FETCH", "1:*", "(FLAGS)")'); its result is printed as one line
      `repr(result)`. A step '>FILE EXPR' writes EXPR's bytes to FILE and
      prints `saved N`. An imaplib error prints `ERROR <class>: <message>`
      and the next step runs. HOST and PORT are bound too, so a step can
      open a second session: '(N := imaplib.IMAP4(HOST, PORT))'. At the end
      the connection is logged out.

  imap-client.py --port P raw ACTION...
      Raw bytes, for transcripts and hostile input. Actions in order:
        --send 'a1 NOOP\\r\\n'   bytes with Python escapes (\\r \\n \\x00)
        --send-file PATH        the file's bytes
        --repeat N              repeat the next --send N times in one write
        --expect PREFIX         wait until a line starting with PREFIX arrives
                                (CLOSED: until the server closes)
        --sleep SECS
        --close                 close the connection now
      Every line received is printed (non-printable bytes escaped), `CLOSED`
      when the server closes, `TIMEOUT` when an --expect is not met in
      --timeout seconds (exit status 2). After the last action it reads until
      the server closes or has been quiet for --linger seconds.
"""
import argparse
import imaplib
import socket
import sys
import threading
import time


class Ordered(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        steps = getattr(namespace, "actions", None) or []
        steps.append((self.dest, values))
        namespace.actions = steps


def printable(raw):
    return "".join(chr(b) if 32 <= b < 127 else "\\x%02x" % b for b in raw)


def run_lib(args):
    M = imaplib.IMAP4(args.host, args.port, timeout=args.timeout)
    env = {"M": M, "imaplib": imaplib, "HOST": args.host, "PORT": args.port}
    for step in args.steps:
        target = None
        if step.startswith(">"):
            target, step = step[1:].split(" ", 1)
        try:
            result = eval(step, env)  # noqa: S307 - test helper, trusted input
        except (imaplib.IMAP4.error, OSError) as e:
            print("ERROR %s: %s" % (type(e).__name__, e))
            continue
        if target is not None:
            with open(target, "wb") as f:
                f.write(result)
            print("saved %d" % len(result))
        else:
            print(repr(result))
        sys.stdout.flush()
    try:
        M.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
    return 0


class Reader(threading.Thread):
    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.cond = threading.Condition()
        self.lines = []
        self.closed = False
        self.last = time.monotonic()

    def run(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.cond:
                self.last = time.monotonic()
                if not data:
                    if buf:
                        self.lines.append(buf)
                        print(printable(buf), flush=True)
                    self.closed = True
                    print("CLOSED", flush=True)
                    self.cond.notify_all()
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.rstrip(b"\r")
                    self.lines.append(line)
                    print(printable(line), flush=True)
                self.cond.notify_all()


def run_raw(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.settimeout(None)
    reader = Reader(sock)
    reader.start()
    repeat = 1
    status = 0
    seen = 0  # lines already matched by an --expect
    for action, value in args.actions:
        if action == "repeat":
            repeat = int(value)
        elif action in ("send", "send_file"):
            if action == "send":
                data = value.encode("latin-1").decode("unicode_escape").encode("latin-1")
            else:
                data = open(value, "rb").read()
            try:
                sock.sendall(data * repeat)
            except OSError:
                pass
            repeat = 1
        elif action == "expect":
            prefix = value.encode()
            deadline = time.monotonic() + args.timeout
            with reader.cond:
                while True:
                    if prefix == b"CLOSED":
                        hit = seen if reader.closed else None
                    else:
                        hit = next((i for i in range(seen, len(reader.lines))
                                    if reader.lines[i].startswith(prefix)), None)
                    if hit is not None:
                        seen = hit + 1
                        break
                    left = deadline - time.monotonic()
                    if reader.closed or left <= 0:
                        print("TIMEOUT", flush=True)
                        status = 2
                        break
                    reader.cond.wait(left)
        elif action == "sleep":
            time.sleep(float(value))
        elif action == "close":
            sock.close()
            return status
    while True:
        with reader.cond:
            if reader.closed or time.monotonic() - reader.last >= args.linger:
                break
            reader.cond.wait(0.05)
    sock.close()
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--linger", type=float, default=0.5)
    sub = p.add_subparsers(dest="mode", required=True)
    lib = sub.add_parser("lib")
    lib.add_argument("steps", nargs="*")
    raw = sub.add_parser("raw")
    for name in ("send", "send_file", "repeat", "expect", "sleep"):
        raw.add_argument("--" + name.replace("_", "-"), dest=name, action=Ordered)
    raw.add_argument("--close", dest="close", nargs=0, action=Ordered)
    raw.set_defaults(actions=[])
    args = p.parse_args()
    sys.exit(run_lib(args) if args.mode == "lib" else run_raw(args))


if __name__ == "__main__":
    main()
