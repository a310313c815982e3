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

  imap-client.py --port P zraw ACTION...
      Like raw, with COMPRESS=DEFLATE (RFC 4978) on top. Extra actions:
        --compress TAG          send 'TAG COMPRESS DEFLATE' and, from the line
                                'TAG OK' on, inflate what arrives and deflate
                                (raw DEFLATE, sync flush) every later --send
        --compress-with TAG     the same, and the next --send goes compressed
                                in the same write as the COMPRESS line
        --send-plain TEXT       bytes as they are, even when compressing
        --dump FILE             write every byte received so far (inflated)
      Lines are printed inflated.

  imap-client.py --port P multipart FILE
      Write the test multipart message (no server contact): an RFC 2047
      encoded Subject, part 1 text/plain, part 2 text/plain in base64, part 3
      a message/rfc822 with a multipart/alternative inside, CRLF line ends.

  imap-client.py --port P part FILE PATH OUT
      Write to OUT the undecoded body of part PATH ("2", "3.1.2") of the
      message in FILE as Python's email module extracts it (no server
      contact): what BODY[PATH] must return byte for byte.
"""
import argparse
import imaplib
import socket
import sys
import threading
import time
import zlib


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


class ZReader(Reader):
    """Reader that inflates what follows the line starting with self.switch
    (COMPRESS's tagged OK) and keeps every byte it hands on."""

    def __init__(self, sock):
        super().__init__(sock)
        self.switch = None
        self.inflater = None
        self.received = b""
        self.partial = b""  # the current line's start, before the switch
        self.plain_sock = sock
        self.sock = self

    def decode(self, data):
        if self.inflater is not None:
            return self.inflater.decompress(data)
        pos = 0
        while self.switch is not None:
            at = data.find(b"\n", pos)
            if at < 0:
                break
            line = self.partial + data[pos:at]
            self.partial = b""
            pos = at + 1
            if line.startswith(self.switch):
                self.inflater = zlib.decompressobj(-15)
                return data[:pos] + self.inflater.decompress(data[pos:])
        tail = data[pos:]
        cut = tail.rfind(b"\n")
        self.partial = tail[cut + 1:] if cut >= 0 else self.partial + tail
        return data

    def recv(self, n):
        while True:
            data = self.plain_sock.recv(n)
            if not data:
                return data
            with self.cond:
                out = self.decode(data)
                self.received += out
            if out:
                return out


def run_raw(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.settimeout(None)
    reader = ZReader(sock) if args.mode == "zraw" else Reader(sock)
    reader.start()
    compressor = None
    compress_next = None  # bytes of a COMPRESS line to put before the next --send
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
            data = data * repeat
            if compressor is not None:
                data = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
            if compress_next is not None:
                data = compress_next + data
                compress_next = None
            try:
                sock.sendall(data)
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
        elif action in ("compress", "compress_with"):
            line = ("%s COMPRESS DEFLATE\r\n" % value).encode()
            with reader.cond:
                reader.switch = ("%s OK" % value).encode()
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            if action == "compress":
                sock.sendall(line)
            else:
                compress_next = line
        elif action == "send_plain":
            sock.sendall(value.encode("latin-1").decode("unicode_escape").encode("latin-1"))
        elif action == "dump":
            with reader.cond:
                with open(value, "wb") as f:
                    f.write(reader.received)
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


MULTIPART = (
    "From: Grace Hopper <grace@remote.test>\r\n"
    "To: Alice <alice@example.test>\r\n"
    "Cc: Bob <bob@example.test>\r\n"
    "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\n"
    "Message-ID: <multi1@remote.test>\r\n"
    "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
    "X-Note: first\r\n"
    "  continued\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "plain part one\r\n"
    "second line\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "{b64}\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@remote.test\r\n"
    "Subject: inner message\r\n"
    "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "inner plain\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>inner html</p>\r\n"
    "--inner--\r\n"
    "--outer--\r\n"
    "epilogue\r\n"
)


def run_multipart(args):
    import base64
    b64 = base64.b64encode("Hidden base64 text: zebrafish Ärger\r\n".encode()).decode()
    with open(args.file, "wb") as f:
        f.write(MULTIPART.format(b64=b64).encode())
    return 0


def run_part(args):
    import email
    import email.policy
    msg = email.message_from_bytes(open(args.file, "rb").read(), policy=email.policy.compat32)
    for n in args.path.split("."):
        if msg.get_content_type() == "message/rfc822":
            msg = msg.get_payload()[0]
        if msg.is_multipart():
            msg = msg.get_payload()[int(n) - 1]
        elif int(n) != 1:
            raise SystemExit("no part %s" % args.path)
    payload = msg.get_payload()
    if not isinstance(payload, str):
        raise SystemExit("part %s is not a leaf" % args.path)
    with open(args.out, "wb") as f:
        f.write(payload.encode("ascii", "surrogateescape"))
    return 0


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
    zraw = sub.add_parser("zraw")
    for name in ("send", "send_file", "repeat", "expect", "sleep", "compress",
                 "compress_with", "send_plain", "dump"):
        zraw.add_argument("--" + name.replace("_", "-"), dest=name, action=Ordered)
    zraw.add_argument("--close", dest="close", nargs=0, action=Ordered)
    zraw.set_defaults(actions=[])
    multipart = sub.add_parser("multipart")
    multipart.add_argument("file")
    part = sub.add_parser("part")
    part.add_argument("file")
    part.add_argument("path")
    part.add_argument("out")
    args = p.parse_args()
    modes = {"lib": run_lib, "raw": run_raw, "zraw": run_raw, "multipart": run_multipart, "part": run_part}
    sys.exit(modes[args.mode](args))


if __name__ == "__main__":
    main()
