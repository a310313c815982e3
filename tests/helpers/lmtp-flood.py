#!/usr/bin/env python3
"""lmtp-flood.py - many concurrent LMTP sessions, each delivering messages.

Test helper for the bats suites (not part of the product; the benchmark's
load generator is tests/bench/lmtp-load.c). Opens --conns sessions at once;
each sends --per-conn messages, one after the other, to a recipient picked
from --rcpt (a format with {n} for a user number below --users, chosen
round-robin so every user gets mail). Every message carries a unique token,
in its Message-ID (<TOKEN@flood.test>) and in its body, so it can be found
again after an export.

--record FILE gets one line "TOKEN CODE RCPT" per final reply, written and
flushed as soon as the reply arrives: after a crash, the lines with 250 are
exactly the messages the server promised to keep.

Prints a summary `sent=N r250=N r4xx=N r5xx=N errors=N` (errors: sessions
that broke before all their messages got a reply) and, with --verbose, each
non-250 reply. Exit status 0 when every message got 250, else 1.
"""
import argparse
import asyncio
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int)
    where.add_argument("--socket")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--conns", type=int, default=16)
    p.add_argument("--per-conn", type=int, default=1)
    p.add_argument("--rcpt", default="user{n}@example.test")
    p.add_argument("--users", type=int, default=1)
    p.add_argument("--size", type=int, default=2048, help="approximate message size")
    p.add_argument("--prefix", default="t", help="token prefix (unique per run)")
    p.add_argument("--record", help="append TOKEN CODE RCPT lines here")
    p.add_argument("--timeout", type=float, default=120.0, help="per reply")
    p.add_argument("--connect-all-first", action="store_true",
                   help="open every session and wait for all greetings before sending")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args()


class Stats:
    def __init__(self):
        self.sent = 0
        self.codes = {}
        self.errors = 0
        self.error_samples = []


def make_message(token, size, rcpt):
    head = (f"From: Flood <flood@remote.test>\r\n"
            f"To: <{rcpt}>\r\n"
            f"Subject: flood {token}\r\n"
            f"Message-ID: <{token}@flood.test>\r\n"
            f"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n"
            f"\r\n"
            f"token {token}\r\n").encode()
    line = f"{token} lorem ipsum dolor sit amet consectetur adipiscing elit\r\n".encode()
    body = bytearray(head)
    while len(body) + len(line) <= size:
        body += line
    return bytes(body)


async def read_reply(reader, timeout):
    """One reply, possibly multi-line; returns (code, text of the last line)."""
    while True:
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise ConnectionError("connection closed by server")
        if len(line) < 4 or not line[:3].isdigit():
            raise ConnectionError(f"bad reply line {line[:60]!r}")
        if line[3:4] != b"-":
            return int(line[:3]), line[4:].decode("utf-8", "replace").strip()


async def session(idx, args, stats, record, gate):
    try:
        if args.socket:
            reader, writer = await asyncio.open_unix_connection(args.socket, limit=1 << 20)
        else:
            reader, writer = await asyncio.open_connection(args.host, args.port, limit=1 << 20)
    except OSError as e:
        stats.errors += 1
        stats.error_samples.append(f"connect: {e}")
        if gate:
            gate.arrived()
        return
    done = 0
    try:
        code, text = await read_reply(reader, args.timeout)
        if code != 220:
            raise ConnectionError(f"greeting {code} {text}")
        if gate:
            gate.arrived()
            await gate.wait()
            gate = None
        writer.write(b"LHLO flood.test\r\n")
        code, text = await read_reply(reader, args.timeout)
        if code != 250:
            raise ConnectionError(f"LHLO {code} {text}")
        for k in range(args.per_conn):
            n = (idx * args.per_conn + k) % args.users
            rcpt = args.rcpt.format(n=n)
            token = f"{args.prefix}{idx:05d}x{k:05d}"
            msg = make_message(token, args.size, rcpt)
            writer.write(f"MAIL FROM:<flood@remote.test>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n".encode())
            c1, t1 = await read_reply(reader, args.timeout)
            c2, t2 = await read_reply(reader, args.timeout)
            c3, t3 = await read_reply(reader, args.timeout)
            stats.sent += 1
            if c3 != 354:
                # refused before DATA: that refusal is the message's answer
                final, ftext = (c2, t2) if c1 == 250 else (c1, t1)
                if c3 // 100 == 2:
                    raise ConnectionError("DATA accepted without a recipient")
                writer.write(b"RSET\r\n")
                await read_reply(reader, args.timeout)
            else:
                writer.write(msg + b".\r\n")
                final, ftext = await read_reply(reader, args.timeout)
            stats.codes[final] = stats.codes.get(final, 0) + 1
            if record:
                record.write(f"{token} {final} {rcpt}\n")
                record.flush()
            if args.verbose and final != 250:
                print(f"reply {token} {final} {ftext}", flush=True)
            done += 1
        writer.write(b"QUIT\r\n")
        try:
            await read_reply(reader, args.timeout)
        except (ConnectionError, asyncio.TimeoutError):
            pass
    except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
        if gate:
            gate.arrived()
        if done < args.per_conn:
            stats.errors += 1
            if len(stats.error_samples) < 10:
                stats.error_samples.append(f"session {idx} after {done}: "
                                           f"{type(e).__name__} {e}")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ConnectionError):
            pass


class Gate:
    """Lets every session send only once all of them are connected."""

    def __init__(self, n):
        self.left = n
        self.event = asyncio.Event()

    def arrived(self):
        self.left -= 1
        if self.left <= 0:
            self.event.set()

    async def wait(self):
        await self.event.wait()


async def run(args):
    stats = Stats()
    record = open(args.record, "a", buffering=1) if args.record else None
    gate = Gate(args.conns) if args.connect_all_first else None
    start = time.monotonic()
    await asyncio.gather(*(session(i, args, stats, record, gate)
                           for i in range(args.conns)))
    elapsed = time.monotonic() - start
    if record:
        record.close()
    r250 = stats.codes.get(250, 0)
    r4 = sum(v for k, v in stats.codes.items() if 400 <= k < 500)
    r5 = sum(v for k, v in stats.codes.items() if 500 <= k < 600)
    print(f"sent={stats.sent} r250={r250} r4xx={r4} r5xx={r5} errors={stats.errors} "
          f"seconds={elapsed:.2f}", flush=True)
    for s in stats.error_samples:
        print(f"error {s}", flush=True)
    ok = r250 == args.conns * args.per_conn and stats.errors == 0
    return 0 if ok else 1


def main():
    args = parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
