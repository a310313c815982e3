#!/usr/bin/env python3
"""managesieve-client.py - a small raw ManageSieve (RFC 5804) client for the
bats suites: it sends what a script on stdin says and prints every response
line as the server sent it (literals inline as {n} then their text), so a
test can assert on exact protocol lines. Only ever connects to 127.0.0.1.

Usage: managesieve-client.py PORT [--cafile PEM] < steps

Steps, one per line (blank lines and lines starting with # are skipped):
  greeting          read the capability list up to its OK
  !auth USER PASS   AUTHENTICATE "PLAIN" with an initial response, read the answer
  !starttls         STARTTLS, read the OK, TLS handshake (--cafile trusted, no
                    host name check), then read the capabilities sent again
  !send TEXT        send TEXT (escapes \\r \\n \\xHH; other backslashes kept) as is
  !readline         read and print one line (a SASL challenge)
  !read             read and print one response (up to OK/NO/BYE)
  !put NAME FILE    PUTSCRIPT "NAME" with FILE's bytes as a {n+} literal
  !expect-close S   wait up to S seconds for the server to close: prints CLOSED
                    or STILL OPEN
  !sleep S          sleep S seconds (float)
  anything else     a command line (the same escapes), CRLF added;
                    its response is read and printed
Every response line is printed as "< line"; a literal's text follows its
line, each of its lines printed as "| line". Exit status 0 unless the
connection broke unexpectedly (then "ERROR: ..." and 1).
"""
import base64
import re
import socket
import ssl
import sys
import time

LITERAL_END = re.compile(rb"\{(\d+)\+?\}$")


class Client:
    def __init__(self, port, cafile):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.cafile = cafile
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_logical_line(self):
        """One line with its literals, printed; returns its last part."""
        line = self._line()
        print("< " + line.decode("utf-8", "replace"))
        while True:
            m = LITERAL_END.search(line)
            if not m:
                break
            data = self._bytes(int(m.group(1)))
            for part in data.decode("utf-8", "replace").split("\r\n"):
                print("| " + part)
            line = self._line()
            print("< " + line.decode("utf-8", "replace"))
        sys.stdout.flush()
        return line

    def read_response(self):
        while True:
            line = self.read_logical_line()
            if re.match(rb"^(OK|NO|BYE)\b", line):
                return line

    def send(self, data):
        self.sock.sendall(data)

    def starttls(self, send=True):
        if send:
            self.send(b"STARTTLS\r\n")
        if not self.read_response().startswith(b"OK"):
            return
        ctx = ssl.create_default_context(cafile=self.cafile)
        ctx.check_hostname = False
        if self.buf:
            print("ERROR: %d plaintext bytes after the OK to STARTTLS" % len(self.buf))
        self.sock = ctx.wrap_socket(self.sock)
        print("TLS " + self.sock.version())
        self.read_response()


def unescape(text):
    """\\r, \\n and \\xHH become those bytes; every other backslash stays
    (so a quoted string's \\" and \\\\ go out as written)."""
    return re.sub(rb"\\(r|n|x[0-9a-fA-F]{2})",
                  lambda m: {b"r": b"\r", b"n": b"\n"}.get(m.group(1))
                  or bytes([int(m.group(1)[1:], 16)]),
                  text.encode("utf-8"))


def main():
    args = sys.argv[1:]
    cafile = None
    if "--cafile" in args:
        i = args.index("--cafile")
        cafile = args[i + 1]
        del args[i:i + 2]
    client = Client(int(args[0]), cafile)
    try:
        for raw in sys.stdin.read().splitlines():
            step = raw.strip()
            if not step or step.startswith("#"):
                continue
            if step == "greeting" or step == "!read":
                client.read_response()
            elif step == "!readline":
                client.read_logical_line()
            elif step.startswith("!auth "):
                _, user, password = step.split(" ", 2)
                resp = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
                client.send(b'AUTHENTICATE "PLAIN" "' + resp + b'"\r\n')
                client.read_response()
            elif step == "!starttls":
                client.starttls()
            elif step == "!starttls-after-ok":
                client.starttls(send=False)
            elif step.startswith("!send "):
                client.send(unescape(step[6:]))
            elif step.startswith("!put "):
                _, name, path = step.split(" ", 2)
                data = open(path, "rb").read()
                client.send(b'PUTSCRIPT "' + name.encode() + b'" {%d+}\r\n' % len(data)
                            + data + b"\r\n")
                client.read_response()
            elif step.startswith("!expect-close "):
                deadline = time.monotonic() + float(step.split()[1])
                state = "STILL OPEN"
                while time.monotonic() < deadline:
                    client.sock.settimeout(max(0.1, deadline - time.monotonic()))
                    try:
                        client.read_logical_line()
                    except (EOFError, ConnectionError):
                        state = "CLOSED"
                        break
                    except (socket.timeout, TimeoutError):
                        break
                print(state)
            elif step.startswith("!sleep "):
                time.sleep(float(step.split()[1]))
            else:
                client.send(unescape(step) + b"\r\n")
                client.read_response()
    except (EOFError, ConnectionError, socket.timeout, ssl.SSLError) as e:
        print("ERROR: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
