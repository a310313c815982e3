#!/usr/bin/env python3
"""client.py - the mail clients of the two-node suite (tests/ha/appliance.bats).

They run on the lab's public bridge (inside the suite's network namespace)
and talk to the floating IP only, the way a mail client and a sending MTA
would: smtplib, imaplib and plain sockets. Every loop is bounded by a
deadline; results are printed as NAME=VALUE lines for the suite to assert on.

  wait-imap HOST --fault-file F --timeout S [--down-first]
      Probe IMAP on HOST once a second (connect, greeting, LOGOUT) until it
      answers; with --down-first, first until it stops answering. Prints
      outage= (seconds from the time in F to the first answer).
  send HOST --to ADDR --tag TAG
      One message, Subject TAG; fails unless Postfix answered 250.
  stream HOST --to ADDR --tag TAG --count N --log FILE --deadline S
      Send N messages (Subject TAG-i), one SMTP session each, about one a
      second; a message that did not get 250 is tried again later, as an
      MTA would. FILE gets "i accepted|failed EPOCH why" lines as they happen.
  inbox-check HOST --user U --password-file P --log FILE --tag TAG --timeout S
      Wait until every message FILE says was accepted is in U's INBOX; then
      prints accepted=, present=, missing=, extra=, over_retries= (a message
      found more often than it was attempted). Exit 1 if any is missing or
      over-duplicated at the deadline.
  headers HOST --user U --password-file P --subject S
      Print the header of the INBOX message with Subject S.
  hold HOST --user U --password-file P --mode reconnect|stay --state FILE
           --timeout S
      Log in, select INBOX, flag the first message, note UIDVALIDITY and
      every UID with its flags, write "ready" to FILE, then send NOOP every
      half second. reconnect: when the server goes away, log in again
      (once a second) and compare UIDs and flags. stay: the session must
      live through the deadline. Prints the result lines into FILE too.
"""

import argparse
import imaplib
import re
import smtplib
import socket
import ssl
import sys
import time
from email.message import EmailMessage


def say(**kw):
    for k, v in kw.items():
        print(f"{k}={v}", flush=True)


def read_fault_time(path):
    with open(path) as f:
        return float(f.read().strip())


def imap_answers(host, timeout=2.0):
    """One probe: TCP connect, '* OK' greeting, LOGOUT. True if it answered."""
    try:
        with socket.create_connection((host, 143), timeout=timeout) as s:
            s.settimeout(timeout)
            greeting = s.recv(512)
            if not greeting.startswith(b"* OK"):
                return False
            s.sendall(b"p LOGOUT\r\n")
            return True
    except OSError:
        return False


def cmd_wait_imap(a):
    deadline = time.time() + a.timeout
    if a.down_first:
        while imap_answers(a.host):
            if time.time() > deadline:
                say(outage="none", error="IMAP never stopped answering")
                return 1
            time.sleep(1)
    while not imap_answers(a.host):
        if time.time() > deadline:
            say(outage="none", error=f"no IMAP answer within {a.timeout}s")
            return 1
        time.sleep(1)
    up = time.time()
    say(outage=f"{up - read_fault_time(a.fault_file):.1f}")
    return 0


def make_message(to, subject):
    m = EmailMessage()
    m["From"] = "sender@lab.test"
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{subject}@lab.test>"
    m.set_content(f"{subject}: a message of the failover stream.\n")
    return m


def smtp_send(host, to, subject, timeout=30):
    """One SMTP session, one message. Returns None on 250, else why not."""
    try:
        with smtplib.SMTP(host, 25, local_hostname="client.lab.test", timeout=timeout) as s:
            s.send_message(make_message(to, subject), from_addr="sender@lab.test", to_addrs=[to])
        return None
    except (OSError, smtplib.SMTPException) as e:
        return f"{type(e).__name__}:{str(e)[:80]}".replace(" ", "_").replace("\n", "_")


def cmd_send(a):
    why = smtp_send(a.host, a.to, a.tag)
    if why:
        say(sent="no", why=why)
        return 1
    say(sent="yes")
    return 0


def cmd_stream(a):
    deadline = time.time() + a.deadline
    pending = list(range(1, a.count + 1))
    retry_at = {}
    with open(a.log, "a") as log:
        while pending and time.time() < deadline:
            now = time.time()
            ready = [i for i in pending if retry_at.get(i, 0) <= now]
            if not ready:
                time.sleep(0.5)
                continue
            i = ready[0]
            why = smtp_send(a.host, a.to, f"{a.tag}-{i}")
            stamp = f"{time.time():.2f}"
            if why is None:
                pending.remove(i)
                log.write(f"{i} accepted {stamp} 250\n")
            else:
                # An MTA retries later; so do we (5 s, like a short queue run).
                retry_at[i] = time.time() + 5
                log.write(f"{i} failed {stamp} {why}\n")
            log.flush()
            time.sleep(a.interval)
    say(unsent=len(pending))
    return 0 if not pending else 1


def read_stream_log(path):
    accepted, attempts = set(), {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            i = int(parts[0])
            attempts[i] = attempts.get(i, 0) + 1
            if parts[1] == "accepted":
                accepted.add(i)
    return accepted, attempts


def imap_login(host, user, password, timeout=10):
    """STARTTLS (the lab's certificate is self-signed: not verified), LOGIN."""
    c = imaplib.IMAP4(host, 143, timeout=timeout)
    c.starttls(ssl_context=ssl._create_unverified_context())
    c.login(user, password)
    return c


def inbox_subjects(c):
    typ, _ = c.select("INBOX")
    if typ != "OK":
        raise imaplib.IMAP4.error("SELECT INBOX failed")
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = []
    if typ == "OK":
        for item in data:
            if isinstance(item, tuple):
                m = re.search(rb"Subject:\s*(\S+)", item[1])
                if m:
                    subjects.append(m.group(1).decode())
    return subjects


def cmd_inbox_check(a):
    password = open(a.password_file).read().strip()
    accepted, attempts = read_stream_log(a.log)
    deadline = time.time() + a.timeout
    counts = {}
    while True:
        try:
            c = imap_login(a.host, a.user, password)
            try:
                counts = {}
                for s in inbox_subjects(c):
                    if s.startswith(a.tag + "-"):
                        n = int(s[len(a.tag) + 1:])
                        counts[n] = counts.get(n, 0) + 1
            finally:
                try:
                    c.logout()
                except Exception:
                    pass
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort, ValueError):
            pass
        missing = sorted(i for i in accepted if i not in counts)
        if not missing or time.time() > deadline:
            break
        time.sleep(3)
    extra = sorted(i for i in counts if i not in accepted)
    over = sorted(i for i, n in counts.items() if n > attempts.get(i, 0))
    dups = sum(n - 1 for n in counts.values() if n > 1)
    say(accepted=len(accepted), present=len(counts), missing=" ".join(map(str, missing)) or "none",
        extra=" ".join(map(str, extra)) or "none", duplicates=dups,
        over_retries=" ".join(map(str, over)) or "none")
    return 0 if not missing and not over else 1


def cmd_headers(a):
    password = open(a.password_file).read().strip()
    c = imap_login(a.host, a.user, password)
    c.select("INBOX", readonly=True)
    typ, data = c.search(None, "SUBJECT", f'"{a.subject}"')
    nums = data[0].split() if typ == "OK" and data and data[0] else []
    if not nums:
        say(found="no")
        return 1
    typ, data = c.fetch(nums[0], "(BODY.PEEK[HEADER])")
    c.logout()
    for item in data:
        if isinstance(item, tuple):
            sys.stdout.write(item[1].decode(errors="replace"))
    return 0


def mailbox_state(c):
    typ, data = c.select("INBOX")
    if typ != "OK":
        raise imaplib.IMAP4.error("SELECT INBOX failed")
    uidvalidity = c.untagged_responses.get("UIDVALIDITY", [b"?"])[0].decode()
    typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
    flags = {}
    for item in data or []:
        if not item:
            continue
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        m = re.search(r"UID (\d+)", text)
        f = re.search(r"FLAGS \(([^)]*)\)", text)
        if m and f:
            # \Recent belongs to a session, not to the message
            flags[int(m.group(1))] = " ".join(sorted(x for x in f.group(1).split() if x != "\\Recent"))
    return uidvalidity, flags


def cmd_hold(a):
    password = open(a.password_file).read().strip()
    out = open(a.state, "a")

    def record(**kw):
        for k, v in kw.items():
            out.write(f"{k}={v}\n")
        out.flush()
        say(**kw)

    c = imap_login(a.host, a.user, password)
    c.select("INBOX")
    typ, data = c.uid("SEARCH", None, "ALL")
    uids = data[0].split() if typ == "OK" and data and data[0] else []
    if not uids:
        record(result="fail", error="INBOX is empty: nothing to compare")
        return 1
    c.uid("STORE", uids[0], "+FLAGS", r"(\Flagged $TandemHA)")
    before = mailbox_state(c)
    record(ready="yes", uidvalidity=before[0], messages=len(before[1]))
    deadline = time.time() + a.timeout
    worst = 0.0
    lost_at = None
    while time.time() < deadline:
        t = time.time()
        try:
            c.noop()
            worst = max(worst, time.time() - t)
        except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error, EOFError) as e:
            lost_at = time.time()
            record(lost=f"{lost_at:.2f}", why=type(e).__name__)
            break
        time.sleep(0.5)
    if a.mode == "stay":
        record(worst_noop=f"{worst:.2f}")
        if lost_at is not None:
            record(result="fail", error="the session was cut")
            return 1
        try:
            c.logout()
        except Exception:
            pass
        record(result="ok")
        return 0
    if lost_at is None:
        record(result="fail", error=f"the session was never cut within {a.timeout}s")
        return 1
    while time.time() < deadline:
        try:
            c = imap_login(a.host, a.user, password, timeout=3)
            after = mailbox_state(c)
            back = time.time()
            c.logout()
            break
        except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error, EOFError):
            time.sleep(1)
    else:
        record(result="fail", error="no reconnect before the deadline")
        return 1
    fault = read_fault_time(a.fault_file) if a.fault_file else lost_at
    record(reconnected=f"{back:.2f}", outage=f"{back - fault:.1f}")
    if after != before:
        changed = sorted(u for u in set(before[1]) | set(after[1]) if before[1].get(u) != after[1].get(u))
        record(result="fail", error=f"uidvalidity {before[0]}->{after[0]}, uids/flags differ at {changed[:10]}")
        return 1
    record(result="ok")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait-imap")
    w.add_argument("host")
    w.add_argument("--fault-file", required=True)
    w.add_argument("--timeout", type=float, default=600)
    w.add_argument("--down-first", action="store_true")
    def command(name, *options, imap=False):
        """A subcommand taking HOST, the IMAP account with imap=True, and
        OPTIONS as (flag, keyword arguments) pairs."""
        c = sub.add_parser(name)
        c.add_argument("host")
        if imap:
            c.add_argument("--user", required=True)
            c.add_argument("--password-file", required=True)
        for flag, kw in options:
            c.add_argument(flag, **kw)

    need = {"required": True}
    command("send", ("--to", need), ("--tag", need))
    command("stream", ("--to", need), ("--tag", need), ("--count", {"type": int, "default": 40}),
            ("--interval", {"type": float, "default": 1.0}), ("--log", need),
            ("--deadline", {"type": float, "default": 600}))
    command("inbox-check", ("--log", need), ("--tag", need),
            ("--timeout", {"type": float, "default": 300}), imap=True)
    command("headers", ("--subject", need), imap=True)
    command("hold", ("--mode", {"choices": ["reconnect", "stay"], "required": True}),
            ("--state", need), ("--fault-file", {}), ("--timeout", {"type": float, "default": 600}),
            imap=True)
    a = p.parse_args()
    return {"wait-imap": cmd_wait_imap, "send": cmd_send, "stream": cmd_stream,
            "inbox-check": cmd_inbox_check, "headers": cmd_headers, "hold": cmd_hold}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
