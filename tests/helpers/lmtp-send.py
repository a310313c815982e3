#!/usr/bin/env python3
"""lmtp-send.py - deliver one message over LMTP and print every reply.

Test helper for the bats suites (not part of the product). It speaks LMTP
(RFC 2033) through smtplib.LMTP over TCP or a UNIX socket and prints one line
per step so a test can assert on it:

    LHLO 250
    MAIL 250 2.1.0 Ok
    RCPT alice@example.test 250 2.1.5 Ok
    RCPT nobody@example.test 550 5.1.1 User unknown
    DATA 354
    DATA alice@example.test 250 2.0.0 Ok: delivered

(one DATA line per accepted recipient, in RCPT order, as LMTP replies).
It never raises on a protocol error: a reply the server gives is printed, a
dropped connection prints `ERROR <reason>`.

Exit status: 0 when every recipient got a 2xx after DATA, 1 when the server
refused something (any 4xx/5xx), 2 on connection or protocol errors.
"""
import argparse
import smtplib
import socket
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="TCP port on --host")
    where.add_argument("--socket", help="UNIX socket path")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--from", dest="sender", default="sender@remote.test",
                   help="envelope sender (empty string for <>)")
    p.add_argument("--size", type=int, help="SIZE= parameter on MAIL FROM")
    p.add_argument("--size-auto", action="store_true",
                   help="send SIZE= with the message's real size")
    p.add_argument("--file", default="-", help="message file, - for stdin")
    p.add_argument("--lhlo", default="client.test", help="name sent in LHLO")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("rcpts", nargs="+", metavar="RCPT")
    return p.parse_args()


def text(msg):
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return " ".join(msg.split())


def show(prefix, code, msg):
    line = f"{prefix} {code}"
    t = text(msg)
    if t:
        line += " " + t
    print(line, flush=True)


def main():
    args = parse_args()
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(args.file, "rb") as f:
            data = f.read()

    refused = False
    try:
        if args.socket:
            # smtplib.LMTP treats a host starting with '/' as a UNIX socket
            conn = smtplib.LMTP(args.socket, timeout=args.timeout)
        else:
            conn = smtplib.LMTP(args.host, args.port, timeout=args.timeout)
        code, msg = conn.ehlo(args.lhlo)  # LMTP.ehlo sends LHLO
        show("LHLO", code, "")
        if code != 250:
            return 1

        opts = []
        if args.size is not None:
            opts.append(f"SIZE={args.size}")
        elif args.size_auto:
            opts.append(f"SIZE={len(data)}")
        code, msg = conn.mail(args.sender, opts)
        show("MAIL", code, msg)
        if code != 250:
            conn.quit()
            return 1

        accepted = []
        for rcpt in args.rcpts:
            code, msg = conn.rcpt(rcpt)
            show(f"RCPT {rcpt}", code, msg)
            if code in (250, 251):
                accepted.append(rcpt)
            else:
                refused = True
        if not accepted:
            conn.rset()
            conn.quit()
            return 1

        # smtplib's data() reads one reply; LMTP gives one per recipient,
        # the rest are read with getreply().
        conn.putcmd("data")
        code, msg = conn.getreply()
        show("DATA", code, "")
        if code != 354:
            conn.quit()
            return 1
        body = _dot_stuff(data)
        conn.send(body)
        for i, rcpt in enumerate(accepted):
            code, msg = conn.getreply()
            show(f"DATA {rcpt}", code, msg)
            if code // 100 != 2:
                refused = True
            if code == 421:
                # the server closes after 421: the other replies never come
                for rest in accepted[i + 1:]:
                    show(f"DATA {rest}", 421, "(connection closed)")
                return 1
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
    except smtplib.SMTPServerDisconnected as e:
        print(f"ERROR disconnected: {e}", flush=True)
        return 2
    except (OSError, smtplib.SMTPException) as e:
        print(f"ERROR {type(e).__name__}: {e}", flush=True)
        return 2
    return 1 if refused else 0


def _dot_stuff(data):
    """RFC 5321 4.5.2 transparency, then the terminating <CRLF>.<CRLF>.

    A message that does not end in a line break gets CRLF added (the server
    then stores it with that CRLF, as every SMTP/LMTP client does); one whose
    last line ends in a bare LF is sent as is, followed by ".\r\n"."""
    out = bytearray()
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        if data[start:start + 1] == b".":
            out += b"."
        out += data[start:end]
        start = end
    if not out.endswith(b"\n"):
        out += b"\r\n"
    out += b".\r\n"
    return bytes(out)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except socket.timeout as e:
        print(f"ERROR timeout: {e}", flush=True)
        sys.exit(2)
