#!/usr/bin/env bats
# imap-compress.bats - COMPRESS=DEFLATE (RFC 4978) from the outside: a
# compressed session fetches a delivered message byte for byte and gets
# IDLE updates compressed; compressed bytes in the same packet as the
# COMPRESS line are read right; a second COMPRESS is refused; garbage gets
# BYE and others are still served. And the bound on output queued for a
# client that idles and never reads (imap_max_output_buffer).

setup() {
	load helpers/common
	export MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 20000 ztoken1
}

teardown() {
	tandem_stop_all
}

start() {
	tandem_config "$@"
	tandem_start
	demo_user alice@example.test alicepw
}

zraw() {
	imap_client zraw "$@"
}
LOGIN='a0 LOGIN alice@example.test alicepw\r\n'

still_serving() {
	kill -0 "$TANDEM_PID" || fail "tandemd died"
	run -0 imap_client raw --send "$LOGIN" --expect a0 --send 'z1 NOOP\r\n' --expect z1
	assert_line 'z1 OK NOOP completed'
}

@test "IMAP COMPRESS: CAPABILITY after login advertises COMPRESS=DEFLATE" {
	start
	run -0 imap_client raw --send "$LOGIN" --expect a0 --send 'a1 CAPABILITY\r\n' --expect a1
	local caps
	caps=$(grep '^\* CAPABILITY' <<<"$output" | tail -1)
	[[ " ${caps#\* CAPABILITY } " == *" COMPRESS=DEFLATE "* ]] || fail "no COMPRESS=DEFLATE: $caps"
}

@test "IMAP COMPRESS: a compressed session fetches a delivered message byte for byte, gets IDLE updates, and logs out" {
	start
	lmtp_send --from sender@example.net --file "$MSG" alice@example.test >/dev/null
	local dump=$BATS_TEST_TMPDIR/dump
	(sleep 1.5 && lmtp_send --from sender@example.net --file "$MSG" alice@example.test >/dev/null) &
	local later=$!
	run -0 zraw --send "$LOGIN" --expect a0 --compress z1 --expect 'z1 OK' \
		--send 'a2 SELECT INBOX\r\n' --expect 'a2 OK' \
		--send 'a3 FETCH 1 BODY.PEEK[]\r\n' --expect 'a3 OK' \
		--send 'a4 IDLE\r\n' --expect '+ idling' --expect '* 2 EXISTS' \
		--send 'DONE\r\n' --expect 'a4 OK' \
		--send 'a5 COMPRESS DEFLATE\r\n' --expect 'a5' \
		--send 'a6 LOGOUT\r\n' --expect 'a6 OK' --dump "$dump"
	wait "$later"
	assert_line 'z1 OK DEFLATE active'
	assert_line '* 2 EXISTS'
	assert_line 'a5 NO [COMPRESSIONACTIVE] DEFLATE is already active'
	assert_line --partial '* BYE'
	"$PYTHON" - "$MSG" "$dump" <<'PY' || fail "BODY[] is not the delivered message"
import re, sys
msg = open(sys.argv[1], "rb").read()
dump = open(sys.argv[2], "rb").read()
m = re.search(rb"\* 1 FETCH \(BODY\[\] \{(\d+)\}\r\n", dump)
assert m, "no literal"
n = int(m.group(1))
body = dump[m.end():m.end() + n]
# LMTP adds a trace header on top; the rest must be the message exactly
assert body.endswith(msg), "got %d bytes, want ...%d" % (len(body), len(msg))
PY
	grep -q 'imap compress mechanism=DEFLATE' "$TANDEM_LOG" || fail "no compress log line"
}

@test "IMAP COMPRESS: compressed commands in the same packet as COMPRESS are read" {
	start
	run -0 zraw --send "$LOGIN" --expect a0 --compress-with z1 --send 'a2 NOOP\r\na3 NAMESPACE\r\n' \
		--expect 'a3 OK'
	assert_line 'z1 OK DEFLATE active'
	assert_line 'a2 OK NOOP completed'
}

@test "IMAP COMPRESS: an unknown mechanism gets BAD, COMPRESS before login gets BAD" {
	start
	run -0 imap_client raw --send 'p1 COMPRESS DEFLATE\r\n' --expect p1 --send "$LOGIN" --expect a0 \
		--send 'a1 COMPRESS LZMA\r\n' --expect a1 --send 'a2 COMPRESS\r\n' --expect a2 \
		--send 'a3 NOOP\r\n' --expect a3
	assert_line --regexp '^p1 BAD '
	assert_line 'a1 BAD unknown compression mechanism'
	assert_line --regexp '^a2 BAD '
	assert_line 'a3 OK NOOP completed'
}

@test "IMAP COMPRESS: garbage after COMPRESS gets BYE and is logged; others are still served" {
	start
	run -0 zraw --send "$LOGIN" --expect a0 --compress z1 --expect 'z1 OK' \
		--send-plain 'a2 NOOP\r\nthis is not deflate at all\r\n' --expect CLOSED
	assert_line '* BYE corrupt compressed data'
	grep -q 'imap compress_error' "$TANDEM_LOG" || fail "no compress_error log line"
	still_serving
}

@test "IMAP COMPRESS: a decompression bomb meets the line limit, not memory" {
	start
	local bomb=$BATS_TEST_TMPDIR/bomb
	# 8 MB of 'a' without a line end (compresses to ~8 KB), then a command
	"$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"a" * 8000000 + b"\r\na9 NOOP\r\n")' >"$bomb"
	run -0 zraw --send "$LOGIN" --expect a0 --compress z1 --expect 'z1 OK' \
		--send-file "$bomb" --expect 'a9 OK'
	assert_line '* BAD line too long'
	still_serving
}

@test "IMAP output limit: a client that idles and never reads is closed at imap_max_output_buffer" {
	start imap_max_output_buffer=262144
	# 1000 messages, flagged and unflagged by another session: every change
	# is one "* n FETCH (FLAGS ...)" per message pushed to the idler
	lmtp_send --from sender@example.net --file "$MSG" alice@example.test >/dev/null
	"$PYTHON" - <<'PY' || fail "setup or flooding failed"
import imaplib, os, socket, time
port = int(os.environ["IMAP_PORT"])
msg = b"From: a@example.net\r\nSubject: small\r\n\r\nbody\r\n"
M = imaplib.IMAP4("127.0.0.1", port)
M.login("alice@example.test", "alicepw")
# ~35 bytes pushed per message per change: enough to get past the kernel's
# socket buffers (up to 4 MB) soon
for i in range(999):
    M.append("INBOX", None, None, msg)
# the idler: tiny receive window, reads nothing after "+ idling"
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(b"a0 LOGIN alice@example.test alicepw\r\na1 SELECT INBOX\r\na2 IDLE\r\n")
buf = b""
while b"+ idling" not in buf:
    buf += s.recv(4096)
M.select("INBOX")
kws = "\\Flagged \\Answered \\Draft"
deadline = time.monotonic() + 90
def log():
    with open(os.environ["TANDEM_LOG"]) as f:
        return f.read()
while "output_limit" not in log() and time.monotonic() < deadline:
    # a pause lets the idler's view sync between the two (else they cancel)
    M.store("1:*", "+FLAGS", "(%s)" % kws)
    time.sleep(0.02)
    M.store("1:*", "-FLAGS", "(%s)" % kws)
    time.sleep(0.02)
assert "output_limit" in log(), "no output_limit after 90 s"
M.logout()
s.close()
PY
	grep 'imap output_limit' "$TANDEM_LOG"
	still_serving
}
