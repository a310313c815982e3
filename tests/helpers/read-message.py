#!/usr/bin/env python3
"""read-message.py - read back messages that `tandemctl export USER DIR` wrote.

Test helper for the bats suites (not part of the product). The export is
read as the user's mailboxes: DIR/<mailbox>.mbox files in mboxrd format (see
daemon/tools/ctl-mbox.h: a "From " line before each message, one more '>'
on every /^>*From / line, "\n" after each message), or Maildir-style
directories / one file per message, whichever the export holds.

Commands:
  list DIR                  one line per message: MAILBOX SIZE SHA256 MESSAGE-ID
  count DIR                 number of messages
  tokens DIR                every token found in a "token TOKEN" body line or
                            a Message-ID <TOKEN@...>, one per line
  compare DIR --from S --to R FILE...
                            every FILE, with "Return-Path: <S>\\r\\nDelivered-To:
                            <R>\\r\\n" in front, must be in the export byte for
                            byte; prints "ok FILE" or "MISMATCH FILE: why"
  show DIR N                write message N (0-based, list order) to stdout
  check-whole DIR           every message written by lmtp-flood.py is whole:
                            its body token is its Message-ID's and it ends
                            with the last body line; prints each bad one
Exit status: 0, or 1 when compare found a difference.
"""
import argparse
import hashlib
import os
import re
import sys

def split_mboxrd(data):
    """Messages of an mboxrd file as tandemctl export writes it, unquoted.

    Every line starting "From " is a separator (the writer quotes such lines
    inside messages); a message ends before the "\n" that precedes the next
    From_ line (the writer's), or at the end of the file less one "\n"
    ("\r\n" for both when the From_ line ends in CRLF)."""
    if not data.startswith(b"From "):
        return None
    starts = [0] + [m.start() + 1 for m in re.finditer(rb"\nFrom ", data)]
    out = []
    for i, start in enumerate(starts):
        eol = data.find(b"\n", start)
        if eol < 0:
            out.append(b"")
            continue
        sep = b"\r\n" if data[eol - 1:eol] == b"\r" else b"\n"
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        quoted = data[eol + 1:end]
        if quoted.endswith(sep):
            quoted = quoted[:-len(sep)]
        out.append(re.sub(rb"(?m)^>(>*From )", rb"\1", quoted))
    return out


def read_export(root):
    """[(mailbox, bytes)] in a stable order."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames, key=_natural):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            with open(path, "rb") as f:
                data = f.read()
            if name.endswith(".mbox") and not data:
                continue  # an empty folder
            if name.endswith(".mbox") or data.startswith(b"From "):
                msgs = split_mboxrd(data)
                if msgs is not None:
                    box = rel[:-5] if rel.endswith(".mbox") else rel
                    found.extend((box, m) for m in msgs)
                    continue
            parts = rel.split(os.sep)
            if len(parts) >= 2 and parts[-2] in ("cur", "new", "tmp"):
                box = os.sep.join(parts[:-2]) or "INBOX"
            else:
                box = os.sep.join(parts[:-1]) or "INBOX"
            found.append((box, data))
    return found


def _natural(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def message_id(raw):
    m = re.search(rb"(?im)^Message-ID:\s*<([^>\r\n]*)>", raw)
    return m.group(1).decode("utf-8", "replace") if m else "-"


def tokens(raw):
    out = set()
    for m in re.finditer(rb"(?m)^token ([A-Za-z0-9_.-]+)\r?$", raw):
        out.add(m.group(1).decode())
    mid = re.search(rb"(?im)^Message-ID:\s*<([A-Za-z0-9_.-]+)@", raw)
    if mid:
        out.add(mid.group(1).decode())
    return out


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def cmd_compare(args, found):
    by_hash = {}
    for box, raw in found:
        by_hash.setdefault(hashlib.sha256(raw).hexdigest(), []).append((box, raw))
    by_mid = {}
    for box, raw in found:
        by_mid.setdefault(message_id(raw), []).append(raw)
    status = 0
    trace = (f"Return-Path: <{args.sender}>\r\n"
             f"Delivered-To: <{args.rcpt}>\r\n").encode()
    for path in args.files:
        with open(path, "rb") as f:
            original = f.read()
        if not original.endswith(b"\n"):
            original += b"\r\n"  # what an SMTP/LMTP client must add
        want = trace + original
        if hashlib.sha256(want).hexdigest() in by_hash:
            print(f"ok {path}")
            continue
        status = 1
        candidates = by_mid.get(message_id(original), [])
        if not candidates:
            print(f"MISMATCH {path}: not in the export (Message-ID {message_id(original)})")
            continue
        got = candidates[0]
        at = first_difference(got, want)
        print(f"MISMATCH {path}: got {len(got)} bytes, want {len(want)}; first "
              f"difference at byte {at}: got {got[max(0, at - 20):at + 40]!r}, "
              f"want {want[max(0, at - 20):at + 40]!r}")
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("list", "count", "tokens", "check-whole"):
        sub.add_parser(name).add_argument("dir")
    c = sub.add_parser("compare")
    c.add_argument("dir")
    c.add_argument("--from", dest="sender", required=True)
    c.add_argument("--to", dest="rcpt", required=True)
    c.add_argument("files", nargs="+")
    s = sub.add_parser("show")
    s.add_argument("dir")
    s.add_argument("n", type=int)
    args = p.parse_args()

    found = read_export(args.dir)
    if args.cmd == "list":
        for box, raw in found:
            print(f"{box} {len(raw)} {hashlib.sha256(raw).hexdigest()} {message_id(raw)}")
    elif args.cmd == "count":
        print(len(found))
    elif args.cmd == "tokens":
        seen = set()
        for _, raw in found:
            seen |= tokens(raw)
        for t in sorted(seen):
            print(t)
    elif args.cmd == "show":
        sys.stdout.buffer.write(found[args.n][1])
    elif args.cmd == "compare":
        return cmd_compare(args, found)
    elif args.cmd == "check-whole":
        bad = 0
        for i, (box, raw) in enumerate(found):
            body_tokens = re.findall(rb"(?m)^token ([A-Za-z0-9_.-]+)\r?$", raw)
            mid = re.search(rb"(?im)^Message-ID:\s*<([A-Za-z0-9_.-]+)@flood\.test>", raw)
            why = None
            if not mid:
                why = "no flood Message-ID"
            elif body_tokens != [mid.group(1)]:
                why = f"body tokens {body_tokens!r} for Message-ID {mid.group(1)!r}"
            elif not raw.endswith(b" elit\r\n"):
                why = f"ends with {raw[-30:]!r}"
            if why:
                bad += 1
                print(f"partial message {i} in {box}: {why}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
