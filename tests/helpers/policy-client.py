#!/usr/bin/env python3
"""policy-client.py - a Postfix policy delegation client for the tests (the
protocol of check_policy_service, SMTPD_POLICY_README).

Usage:
  policy-client.py (--port PORT | --socket PATH) REQUEST...
      Each REQUEST is blank-separated name=value pairs, e.g.
      "client_address=127.0.0.2 sender=a@x.test recipient=u@example.test";
      they go over one connection, after the attributes Postfix always sends
      (request=smtpd_access_policy, protocol_state=RCPT, ... sasl_username=),
      which a pair may override. Prints each reply's action value, one line
      per request ("DUNNO", "DEFER_IF_PERMIT 4.7.1 Greylisted, ...").
  policy-client.py (--port PORT | --socket PATH) --raw
      Send stdin as it is, then print what comes back until the server
      closes or stops answering for 3 seconds ("<closed>" when it closed).
Exit 1 when the server closes before answering a request, 2 on usage errors.
Talks only to 127.0.0.1 or a UNIX socket; every wait is bounded (10 s).
"""
import socket
import sys

TIMEOUT = 10

DEFAULTS = [
    ("request", "smtpd_access_policy"),
    ("protocol_state", "RCPT"),
    ("protocol_name", "ESMTP"),
    ("client_address", "127.0.0.1"),
    ("client_name", "unknown"),
    ("reverse_client_name", "unknown"),
    ("helo_name", "client.example"),
    ("sender", "sender@example.org"),
    ("recipient", "user@example.test"),
    ("recipient_count", "0"),
    ("queue_id", ""),
    ("instance", "1.2.3"),
    ("size", "0"),
    ("sasl_method", ""),
    ("sasl_username", ""),
    ("sasl_sender", ""),
    ("encryption_protocol", ""),
]


def connect(args):
    if args[0] == "--port":
        return socket.create_connection(("127.0.0.1", int(args[1])), timeout=TIMEOUT)
    if args[0] == "--socket":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(args[1])
        return s
    raise ValueError("first argument must be --port or --socket")


def request_bytes(spec):
    attrs = dict(DEFAULTS)
    order = [k for k, _ in DEFAULTS]
    for pair in spec.split():
        if "=" not in pair:
            raise ValueError("'%s' is not name=value" % pair)
        name, value = pair.split("=", 1)
        if name not in attrs:
            order.append(name)
        attrs[name] = value
    return "".join("%s=%s\n" % (k, attrs[k]) for k in order).encode() + b"\n"


def read_reply(f):
    """The action of one reply, None when the server closed."""
    action = None
    while True:
        line = f.readline()
        if not line:
            return None
        line = line.rstrip(b"\n").decode("utf-8", "replace")
        if line == "":
            return action if action is not None else ""
        if line.startswith("action="):
            action = line[len("action="):]


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        s = connect(argv[1:3])
    except (OSError, ValueError) as e:
        print("policy-client: %s" % e, file=sys.stderr)
        return 2
    rest = argv[3:]
    if rest == ["--raw"]:
        s.sendall(sys.stdin.buffer.read())
        s.settimeout(3)
        out = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    out += b"<closed>\n"
                    break
                out += data
        except socket.timeout:
            pass
        sys.stdout.write(out.decode("utf-8", "replace"))
        return 0
    f = s.makefile("rb")
    for spec in rest:
        try:
            s.sendall(request_bytes(spec))
        except ValueError as e:
            print("policy-client: %s" % e, file=sys.stderr)
            return 2
        action = read_reply(f)
        if action is None:
            print("policy-client: server closed the connection", file=sys.stderr)
            return 1
        print(action)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
