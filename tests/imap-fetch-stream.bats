#!/usr/bin/env bats
# imap-fetch-stream.bats - a big FETCH is streamed with backpressure
# (cmd-fetch.c parks itself while the client's output is full): about 50 MB
# fetched by a client that reads slowly arrive complete and byte for byte
# while tandemd's resident memory (VmRSS from /proc) stays bounded; a
# client that sends FETCH 1:* BODY[] and never reads is disconnected at the
# idle timeout without the daemon growing; commands pipelined after a
# streamed FETCH are answered after it, in order; messages expunged by
# another session while a FETCH waits are left out (NO [EXPUNGEISSUED]).

# messages and their size: COUNT * SIZE bytes fetched
COUNT=50
SIZE=1048576
# most VmRSS growth allowed while the 50 MB go out (the whole response
# queued at once was 70 MB more). One worker thread, and its SQLite page
# cache (cache_size, 16 MB) filled by a first fetch: the growth from before
# that fetch may include the cache (RSS_CACHE_KB), the growth after it not.
RSS_GROWTH_MAX_KB=10240
RSS_CACHE_KB=16384

setup() {
	load helpers/common
	# ASan holds freed memory in quarantine (256 MB by default): keep it
	# small so that VmRSS shows what is live (no effect on other builds)
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8
}

teardown() {
	tandem_stop_all
}

start() {
	tandem_config worker_threads=1 "$@"
	tandem_start
	demo_user alice@example.test alicepw
	"$PYTHON" - "$COUNT" "$SIZE" <<'PY' || fail "APPEND of the messages failed"
import imaplib, os, sys
count, size = int(sys.argv[1]), int(sys.argv[2])
M = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP_PORT"]))
M.login("alice@example.test", "alicepw")
for n in range(1, count + 1):
    head = b"From: a@example.net\r\nSubject: big %d\r\n\r\n" % n
    line = (b"message %04d " % n) + b"x" * 50 + b"\r\n"
    body = bytearray(head)
    while len(body) + len(line) <= size:
        body += line
    typ, _ = M.append("INBOX", None, None, bytes(body))
    assert typ == "OK", typ
M.logout()
PY
	# the background full-text indexer decodes the 50 MB just stored: let
	# it finish (at most 60 s) so that its memory is not counted as FETCH's
	local tries got=0
	for ((tries = 0; tries < 600; tries++)); do
		got=$(grep -oE 'storage fulltext-indexed messages=[0-9]+' "$TANDEM_LOG" |
			awk -F= '{ n += $2 } END { print n + 0 }')
		[ "$got" -ge "$COUNT" ] && break
		sleep 0.1
	done
	[ "$got" -ge "$COUNT" ] || fail "the indexer wrote $got index rows, want $COUNT within 60 s"
}

# The python helpers below share this: the expected message n, and VmRSS.
PY_COMMON='
import hashlib, os, socket, sys, time
port = int(os.environ["IMAP_PORT"])
pid = int(os.environ["TANDEM_PID"])
count, size = int(os.environ["COUNT"]), int(os.environ["SIZE"])
def message(n):
    head = b"From: a@example.net\r\nSubject: big %d\r\n\r\n" % n
    line = (b"message %04d " % n) + b"x" * 50 + b"\r\n"
    body = bytearray(head)
    while len(body) + len(line) <= size:
        body += line
    return bytes(body)
def rss_kb():
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    raise SystemExit("no VmRSS")
def connect(rcvbuf):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.settimeout(60)
    return s
def read_until(s, buf, marker):
    buf = bytearray(buf)
    while marker not in buf[-len(marker) - 65536:]:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("closed before %r" % marker)
        buf += chunk
    return buf
def warm():
    """A first fetch of everything, read fast, on its own connection: it
    fills the page cache of the (only) worker SQLite connection."""
    w = connect(1 << 20)
    w.sendall(b"w0 LOGIN alice@example.test alicepw\r\nw1 SELECT INBOX\r\n"
              b"w2 FETCH 1:* BODY.PEEK[]\r\nw3 LOGOUT\r\n")
    read_until(w, b"", b"w3 OK")
    w.close()
'

@test "IMAP FETCH stream: 50 MB to a slow reader arrive complete while tandemd's VmRSS stays bounded" {
	start
	export COUNT SIZE RSS_GROWTH_MAX_KB RSS_CACHE_KB
	run -0 "$PYTHON" -c "$PY_COMMON"'
s = connect(65536)
buf = read_until(s, b"", b"\r\n")
s.sendall(b"a0 LOGIN alice@example.test alicepw\r\na1 SELECT INBOX\r\n")
buf = read_until(s, b"", b"a1 OK")
cold = rss_kb()
warm()
cold_peak = rss_kb()
before = rss_kb()
# pipelined: the NOOP is answered only after the whole FETCH
s.sendall(b"a2 FETCH 1:* (UID BODY.PEEK[])\r\na3 NOOP\r\n")
data = bytearray()
peak = before
deadline = time.monotonic() + 240
while b"a3 OK" not in data[-200:]:
    if time.monotonic() > deadline:
        raise SystemExit("timed out after %d bytes" % len(data))
    chunk = s.recv(65536)
    if not chunk:
        raise SystemExit("closed after %d bytes" % len(data))
    data += chunk
    peak = max(peak, rss_kb())
    time.sleep(0.004)  # a slow reader: the daemon must wait for it
s.close()
print("fetched=%d rss_cold_kb=%d rss_warm_kb=%d rss_before_kb=%d rss_peak_kb=%d growth_kb=%d" %
      (len(data), cold, cold_peak, before, peak, peak - before))
cold_max = int(os.environ["RSS_GROWTH_MAX_KB"]) + int(os.environ["RSS_CACHE_KB"])
if max(peak, cold_peak) - cold > cold_max:
    raise SystemExit("VmRSS grew %d KB from before the first fetch, want at most %d KB" %
                     (max(peak, cold_peak) - cold, cold_max))
# parse: "* n FETCH (UID u BODY[] {len}\r\n<bytes>)\r\n" for every message
pos, seen = 0, 0
while data.startswith(b"* ", pos):
    eol = data.index(b"\r\n", pos)
    head = bytes(data[pos:eol])
    n = int(head.split()[1])
    assert head.endswith(b"}") and b"BODY[] {" in head, head
    length = int(head[head.rindex(b"{") + 1:-1])
    body = bytes(data[eol + 2:eol + 2 + length])
    pos = eol + 2 + length
    assert data.startswith(b")\r\n", pos), data[pos:pos + 20]
    pos += 3
    want = message(n)
    if hashlib.sha256(body).digest() != hashlib.sha256(want).digest():
        raise SystemExit("message %d: got %d bytes that differ, want %d" % (n, len(body), len(want)))
    seen += 1
    assert n == seen, "got message %d, want %d" % (n, seen)
rest = bytes(data[pos:])
assert rest.startswith(b"a2 OK FETCH completed\r\n"), "got %r, want the tagged OK" % rest[:80]
assert b"a3 OK" in rest, rest
if seen != count:
    raise SystemExit("got %d messages, want %d" % (seen, count))
if peak - before > int(os.environ["RSS_GROWTH_MAX_KB"]):
    raise SystemExit("VmRSS grew %d KB, want at most %s KB" % (peak - before, os.environ["RSS_GROWTH_MAX_KB"]))
print("ok messages=%d" % seen)
'
	echo "$output"
	assert_line --partial "ok messages=$COUNT"
	sanitizer_check "$TANDEM_LOG"
}

@test "IMAP FETCH stream: a client that sends FETCH 1:* BODY[] and never reads is closed at the idle timeout, the daemon not growing" {
	start imap_idle_timeout=6
	export COUNT SIZE RSS_GROWTH_MAX_KB RSS_CACHE_KB
	run -0 "$PYTHON" -c "$PY_COMMON"'
s = connect(4096)
buf = read_until(s, b"", b"\r\n")
s.sendall(b"a0 LOGIN alice@example.test alicepw\r\na1 SELECT INBOX\r\n")
buf = read_until(s, b"", b"a1 OK")
warm()
before = rss_kb()
s.sendall(b"a2 FETCH 1:* BODY[]\r\n")
peak = before
log = os.environ["TANDEM_LOG"]
deadline = time.monotonic() + 60
def timed_out():
    with open(log) as f:
        return "imap idle_timeout" in f.read()
while not timed_out():
    if time.monotonic() > deadline:
        raise SystemExit("no idle_timeout in the log after 60 s")
    peak = max(peak, rss_kb())
    time.sleep(0.1)
peak = max(peak, rss_kb())
# the connection is closed: reading now ends (after what was queued)
got = 0
s.settimeout(30)
while True:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    got += len(chunk)
print("read_after_close=%d rss_before_kb=%d rss_peak_kb=%d growth_kb=%d" %
      (got, before, peak, peak - before))
if got >= count * size:
    raise SystemExit("got %d bytes: the whole FETCH was queued" % got)
if peak - before > int(os.environ["RSS_GROWTH_MAX_KB"]):
    raise SystemExit("VmRSS grew %d KB, want at most %s KB" % (peak - before, os.environ["RSS_GROWTH_MAX_KB"]))
print("ok closed")
'
	echo "$output"
	assert_line "ok closed"
	grep -q 'imap idle_timeout' "$TANDEM_LOG"
	# others are still served
	run -0 imap_client raw --send 'b0 LOGIN alice@example.test alicepw\r\n' --expect b0 \
		--send 'b1 NOOP\r\n' --expect b1
	assert_line 'b1 OK NOOP completed'
	sanitizer_check "$TANDEM_LOG"
}

@test "IMAP FETCH stream: messages expunged by another session while a FETCH waits for its reader are left out with NO [EXPUNGEISSUED]" {
	start
	export COUNT SIZE
	run -0 "$PYTHON" -c "$PY_COMMON"'
import imaplib
s = connect(65536)
read_until(s, b"", b"\r\n")
s.sendall(b"a0 LOGIN alice@example.test alicepw\r\na1 SELECT INBOX\r\n")
read_until(s, b"", b"a1 OK")
s.sendall(b"a2 FETCH 1:* BODY.PEEK[]\r\n")
data = read_until(s, b"", b"* 1 FETCH")  # the FETCH has begun, and waits for us
# meanwhile another session expunges the last ten messages
M = imaplib.IMAP4("127.0.0.1", port)
M.login("alice@example.test", "alicepw")
M.select("INBOX")
M.store("%d:%d" % (count - 9, count), "+FLAGS.SILENT", "(\\Deleted)")
M.expunge()
M.logout()
data = read_until(s, data, b"a2 ")
while b"\r\n" not in data[data.rindex(b"a2 "):]:
    data += s.recv(65536)
tagged = bytes(data[data.rindex(b"a2 "):]).strip()
numbers = []
pos = 0
while data.startswith(b"* ", pos):
    eol = data.index(b"\r\n", pos)
    head = bytes(data[pos:eol])
    numbers.append(int(head.split()[1]))
    length = int(head[head.rindex(b"{") + 1:-1])
    body = bytes(data[eol + 2:eol + 2 + length])
    n = numbers[-1]
    if body != message(n):
        raise SystemExit("message %d: got %d bytes that differ" % (n, len(body)))
    pos = eol + 2 + length + 3
print("fetched=%s tagged=%s" % (len(numbers), tagged.decode()))
if numbers != list(range(1, len(numbers) + 1)) or len(numbers) > count - 10:
    raise SystemExit("got messages %s, want 1..at most %d" % (numbers, count - 10))
if not tagged.startswith(b"a2 NO [EXPUNGEISSUED]"):
    raise SystemExit("got %r, want a2 NO [EXPUNGEISSUED]" % tagged)
# the expunges are told at the next command
s.sendall(b"a3 NOOP\r\n")
rest = bytes(read_until(s, b"", b"a3 OK"))
if rest.count(b" EXPUNGE\r\n") != 10:
    raise SystemExit("got %r, want ten EXPUNGE" % rest[:300])
print("ok expunged")
'
	echo "$output"
	assert_line "ok expunged"
	sanitizer_check "$TANDEM_LOG"
}
