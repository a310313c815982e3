#!/usr/bin/env bats
# lmtp.bats - tandemd's LMTP service (RFC 2033) from the outside: replies,
# delivery over TCP and the UNIX socket, recipient resolution, limits, hostile
# input, timeouts and shutdown. Messages are read back with tandemctl export.

setup() {
	load helpers/common
	tandem_config max_message_size=1M quota_warning_percent=0
	demo_user alice@example.test alicepw
	demo_user bob@example.test bobpw
	demo_user carol@example.test carolpw
	tandemctl alias add team@example.test alice@example.test >/dev/null
	tandemctl alias add team@example.test bob@example.test >/dev/null
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 2000 lmtptoken1
}

teardown() {
	tandem_stop_all
}

# count_messages ADDRESS: how many messages the user has (all mailboxes).
count_messages() {
	export_user "$1" "$BATS_TEST_TMPDIR/export-$1" >/dev/null || return 1
	read_message count "$BATS_TEST_TMPDIR/export-$1"
}

# final_codes: the reply codes of final reply lines in $output, space-separated.
final_codes() {
	grep -oE '^[0-9]{3}( |$)' <<<"$output" | tr -d ' ' | tr '\n' ' ' | sed 's/ $//'
}

# still_serving: a normal delivery to carol works and is stored.
still_serving() {
	kill -0 "$TANDEM_PID" || fail "tandemd died"
	local before
	before=$(count_messages carol@example.test)
	run -0 lmtp_send --file "$MSG" carol@example.test
	assert_line --regexp '^DATA carol@example.test 250 '
	run -0 count_messages carol@example.test
	assert_output "$((before + 1))"
}

@test "LMTP: the greeting is 220 and LHLO lists PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME and SIZE" {
	tandem_start
	run -0 lmtp_raw --wait 1 --send 'LHLO client.test\r\n' --wait 2 --send 'QUIT\r\n' --wait 3
	assert_line --index 0 --regexp '^220 tandem\.test .*LMTP'
	assert_line --regexp '^250[- ]PIPELINING$'
	assert_line --regexp '^250[- ]ENHANCEDSTATUSCODES$'
	assert_line --regexp '^250[- ]8BITMIME$'
	assert_line --regexp '^250[- ]SIZE 1048576$'
	assert_line --regexp '^221 2\.0\.0'
	assert_line CLOSED
}

@test "LMTP: a message to a user over TCP is stored byte for byte after Return-Path and Delivered-To" {
	tandem_start
	# a body with what needs care: dot-stuffing, mbox From_ lines, 8-bit, long line
	printf 'From: A <a@remote.test>\r\nTo: alice@example.test\r\nSubject: exact\r\nMessage-ID: <exact1@remote.test>\r\n\r\n.leading dot\r\n..two dots\r\nFrom the start of a line\r\n>From quoted\r\n\xc3\xa9t\xc3\xa9 8-bit\r\n%s\r\n.\r\nend\r\n' \
		"$(head -c 3000 /dev/zero | tr '\0' x)" >"$BATS_TEST_TMPDIR/exact.eml"
	run -0 lmtp_send --from sender@remote.test --file "$BATS_TEST_TMPDIR/exact.eml" alice@example.test
	assert_line --regexp '^MAIL 250 2\.1\.0'
	assert_line --regexp '^RCPT alice@example.test 250 2\.1\.5'
	assert_line --regexp '^DATA alice@example.test 250 2\.0\.0'
	export_user alice@example.test "$BATS_TEST_TMPDIR/out"
	run -0 read_message compare "$BATS_TEST_TMPDIR/out" --from sender@remote.test \
		--to alice@example.test "$BATS_TEST_TMPDIR/exact.eml"
	assert_output "ok $BATS_TEST_TMPDIR/exact.eml"
}

@test "LMTP: delivery over the UNIX socket works" {
	tandem_start
	[ -S "$LMTP_SOCKET" ] || fail "no UNIX socket at $LMTP_SOCKET"
	run -0 "$PYTHON" "$HELPERS/lmtp-send.py" --socket "$LMTP_SOCKET" --file "$MSG" bob@example.test
	assert_line --regexp '^DATA bob@example.test 250 2\.0\.0'
	run -0 count_messages bob@example.test
	assert_output 1
}

@test "LMTP: unknown recipient gets 550 5.1.1 and others still deliver" {
	tandem_start
	run -1 lmtp_send --file "$MSG" alice@example.test nobody@example.test \
		someone@unknown-domain.test bob@example.test
	assert_line --regexp '^RCPT alice@example.test 250 '
	assert_line --regexp '^RCPT nobody@example.test 550 5\.1\.1'
	assert_line --regexp '^RCPT someone@unknown-domain.test 550 5\.1\.1'
	assert_line --regexp '^RCPT bob@example.test 250 '
	assert_line --regexp '^DATA alice@example.test 250 2\.0\.0'
	assert_line --regexp '^DATA bob@example.test 250 2\.0\.0'
	refute_line --regexp '^DATA nobody'
	run -0 count_messages alice@example.test
	assert_output 1
	run -0 count_messages bob@example.test
	assert_output 1
}

@test "LMTP: user+detail@domain is delivered to the user" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice+lists@example.test 'BOB+X@Example.Test'
	assert_line --regexp '^RCPT alice\+lists@example.test 250 '
	assert_line --regexp '^DATA alice\+lists@example.test 250 2\.0\.0'
	assert_line --regexp '^DATA BOB\+X@Example.Test 250 2\.0\.0'
	run -0 count_messages alice@example.test
	assert_output 1
	run -0 count_messages bob@example.test
	assert_output 1
}

@test "LMTP: an alias delivers a copy to every target user" {
	tandem_start
	run -0 lmtp_send --file "$MSG" team@example.test
	assert_line --regexp '^RCPT team@example.test 250 '
	assert_line --regexp '^DATA team@example.test 250 2\.0\.0'
	run -0 count_messages alice@example.test
	assert_output 1
	run -0 count_messages bob@example.test
	assert_output 1
	run -0 count_messages carol@example.test
	assert_output 0
}

@test "LMTP: a recipient over quota gets 552 5.2.2 and others still deliver" {
	# carol may hold one message of at most 3000 bytes
	run -0 tandemctl user quota carol@example.test 3000 1
	tandem_start
	run -0 lmtp_send --file "$MSG" carol@example.test
	run -0 count_messages carol@example.test
	assert_output 1
	# now full by message count: refused at RCPT (or, at the latest, after DATA)
	run -1 lmtp_send --file "$MSG" carol@example.test alice@example.test
	assert_line --regexp '^(RCPT|DATA) carol@example.test 552 5\.2\.2'
	assert_line --regexp '^DATA alice@example.test 250 2\.0\.0'
	# and by size: with SIZE announced, a message that cannot fit is refused at RCPT
	run -0 tandemctl user quota bob@example.test 3000 0
	run -1 lmtp_send --size 5000 --file "$MSG" bob@example.test alice@example.test
	assert_line --regexp '^RCPT bob@example.test 552 5\.2\.2'
	assert_line --regexp '^DATA alice@example.test 250 2\.0\.0'
	run -0 count_messages carol@example.test
	assert_output 1
	run -0 count_messages bob@example.test
	assert_output 0
	run -0 count_messages alice@example.test
	assert_output 2
}

@test "LMTP: MAIL FROM with SIZE above max_message_size gets 552 5.3.4" {
	tandem_start
	run -1 lmtp_send --size 2000000 --file "$MSG" alice@example.test
	assert_line --regexp '^MAIL 552 5\.3\.4'
	refute_line --regexp '^DATA'
	# the session goes on: a SIZE within the limit is fine
	run -0 lmtp_send --size 1048576 --file "$MSG" alice@example.test
	assert_line --regexp '^MAIL 250 '
}

@test "LMTP: a message bigger than max_message_size gets 552 5.3.4 after DATA and nothing is stored" {
	tandem_start
	make_message "$BATS_TEST_TMPDIR/big.eml" 1500000 bigtoken
	run -1 lmtp_send --file "$BATS_TEST_TMPDIR/big.eml" alice@example.test bob@example.test
	assert_line --regexp '^DATA alice@example.test 552 5\.3\.4'
	assert_line --regexp '^DATA bob@example.test 552 5\.3\.4'
	run -0 count_messages alice@example.test
	assert_output 0
	still_serving
}

@test "LMTP: pipelined commands in one write get every reply in order" {
	tandem_start
	local body='Subject: pipelined\r\nMessage-ID: <pipe1@remote.test>\r\n\r\nhello\r\n'
	run -0 lmtp_raw --wait 1 --send "LHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n${body}.\r\nMAIL FROM:<s@remote.test> SIZE=100\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n${body}.\r\nRSET\r\nNOOP\r\nQUIT\r\n" \
		--wait 16
	run echo "$(final_codes)"
	assert_output "220 250 250 250 550 250 354 250 250 250 250 354 250 250 250 221"
	run -0 count_messages alice@example.test
	assert_output 1
	run -0 count_messages bob@example.test
	assert_output 2
}

@test "LMTP: RSET clears the transaction" {
	tandem_start
	run -0 lmtp_raw --wait 1 --send 'LHLO client.test\r\n' --wait 2 \
		--send 'MAIL FROM:<s@remote.test>\r\n' --wait 3 \
		--send 'RCPT TO:<alice@example.test>\r\n' --wait 4 \
		--send 'RSET\r\n' --wait 5 \
		--send 'DATA\r\n' --wait 6 \
		--send 'MAIL FROM:<s@remote.test>\r\n' --wait 7 \
		--send 'RCPT TO:<bob@example.test>\r\n' --wait 8 \
		--send 'DATA\r\n' --wait 9 \
		--send 'Subject: after rset\r\n\r\nbody\r\n.\r\n' --wait 10 \
		--send 'QUIT\r\n' --wait 11
	run echo "$(final_codes)"
	assert_output "220 250 250 250 250 503 250 250 354 250 221"
	run -0 count_messages alice@example.test
	assert_output 0
	run -0 count_messages bob@example.test
	assert_output 1
}

@test "LMTP: commands out of sequence get 503 5.5.1" {
	tandem_start
	run -0 lmtp_raw --wait 1 \
		--send 'MAIL FROM:<s@remote.test>\r\n' --wait 2 \
		--send 'LHLO client.test\r\n' --wait 3 \
		--send 'RCPT TO:<alice@example.test>\r\n' --wait 4 \
		--send 'DATA\r\n' --wait 5 \
		--send 'MAIL FROM:<s@remote.test>\r\n' --wait 6 \
		--send 'MAIL FROM:<s@remote.test>\r\n' --wait 7 \
		--send 'DATA\r\n' --wait 8 \
		--send 'QUIT\r\n' --wait 9
	run echo "$(final_codes)"
	assert_output --regexp '^220 503 250 503 503 250 503 (503|554) 221$'
	run -0 lmtp_raw --wait 1 --send 'RCPT TO:<alice@example.test>\r\n' --wait 2 --send 'QUIT\r\n' --wait 3
	assert_line --regexp '^503 5\.5\.1 '
}

@test "LMTP: an unknown command or EHLO gets 500 and the session goes on" {
	tandem_start
	run -0 lmtp_raw --wait 1 --send 'LHLO client.test\r\nFROB\r\nEHLO x\r\nNOOP\r\nQUIT\r\n' --wait 6
	assert_line --regexp '^500 5\.5\.[0-9] '
	run echo "$(final_codes)"
	assert_output --regexp '^220 250 500 (500|502) 250 221$'
}

@test "LMTP: an overlong command line gets a 5xx and the daemon keeps serving" {
	tandem_start
	local long
	long=$(head -c 10000 /dev/zero | tr '\0' a)
	run -0 lmtp_raw --wait 1 --send "LHLO client.test\r\nMAIL FROM:<${long}@remote.test>\r\n" --wait 3 \
		--send 'QUIT\r\n'
	assert_line --index 0 --regexp '^220 '
	assert_line --regexp '^5[0-9][0-9] 5\.[0-9]+\.[0-9]+ '
	refute_line --regexp '^250 2\.1\.0'
	still_serving
}

@test "LMTP: binary junk gets errors, not a crash, and the daemon keeps serving" {
	tandem_start
	"$PYTHON" -c 'import random, sys
r = random.Random(2033)
junk = bytes(r.randrange(256) for _ in range(20000))
sys.stdout.buffer.write(b"\x00\xff\xfe\r\n" + junk.replace(b"\n", b"\r\n") + b"\r\nQUIT\r\n")' \
		>"$BATS_TEST_TMPDIR/junk"
	run -0 lmtp_raw --wait 1 --send-file "$BATS_TEST_TMPDIR/junk" --linger 3
	assert_line --index 0 --regexp '^220 '
	# every reply to junk is an error (or the server hung up on it)
	local nonerr
	nonerr=$(tail -n +2 <<<"$output" | grep -cE '^[23][0-9][0-9][ -]' || true)
	[ "$nonerr" -le 1 ] || fail "junk got $nonerr success replies"
	still_serving
}

@test "LMTP: 2000 recipients in one transaction: max_recipients are accepted, the rest refused" {
	tandem_start
	"$PYTHON" -c 'import sys
out = [b"LHLO client.test\r\n", b"MAIL FROM:<s@remote.test>\r\n"]
out += [b"RCPT TO:<carol+%d@example.test>\r\n" % i for i in range(2000)]
out.append(b"RSET\r\nQUIT\r\n")
sys.stdout.buffer.write(b"".join(out))' >"$BATS_TEST_TMPDIR/rcpts"
	run -0 lmtp_raw --timeout 60 --wait 1 --send-file "$BATS_TEST_TMPDIR/rcpts" --wait 2005 --linger 3
	local accepted refused
	accepted=$(grep -c '^250 2\.1\.5' <<<"$output" || true)
	[ "$accepted" -eq 1000 ] || fail "got $accepted recipients accepted, want 1000 (max_recipients)"
	refused=$(grep -m1 -E '^[45][0-9][0-9] ' <<<"$output")
	[[ $refused =~ ^(452\ 4\.5\.3|552\ 5\.5\.3) ]] || fail "got '$refused' for recipient 1001, want 452 4.5.3"
	still_serving
	run -0 count_messages carol@example.test
	assert_output 1
}

@test "LMTP: a client that disconnects in the middle of DATA stores nothing and the daemon keeps serving" {
	tandem_start
	run -0 lmtp_raw --wait 1 --send 'LHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n' \
		--wait 5 --send 'Subject: truncated\r\n\r\nhalf a message' --sleep 0.3 --close
	assert_line --regexp '^354 '
	sleep 0.5
	run -0 count_messages alice@example.test
	assert_output 0
	# and a half-closed connection (EOF while in DATA) is the same
	run -0 lmtp_raw --wait 1 --send 'LHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n' \
		--wait 5 --send 'Subject: truncated\r\n\r\nhalf a message\r\n' --shut-write --linger 5
	assert_line CLOSED
	refute_line --regexp '^250 2\.0\.0'
	run -0 count_messages alice@example.test
	assert_output 0
	still_serving
}

@test "LMTP: an idle connection is closed with 421 4.4.2 after idle_timeout" {
	tandem_config max_message_size=1M idle_timeout=2
	tandem_start
	local start=$SECONDS
	run -0 lmtp_raw --timeout 10 --wait 1 --send 'LHLO client.test\r\n' --wait 2 --wait 3 --linger 8
	assert_line --regexp '^421 4\.4\.2 '
	assert_line CLOSED
	[ $((SECONDS - start)) -le 8 ] || fail "closing took $((SECONDS - start)) s, want about 2"
	still_serving
}

@test "LMTP: SIGTERM during a delivery lets it finish with 250, then tandemd exits" {
	tandem_start
	local t=$BATS_TEST_TMPDIR
	lmtp_raw --timeout 30 --wait 1 \
		--send 'LHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n' \
		--wait 5 --send 'Subject: in flight\r\nMessage-ID: <inflight@remote.test>\r\n\r\nfirst half\r\n' \
		--touch "$t/half" --wait-file "$t/go" --sleep 0.5 \
		--send 'second half\r\n.\r\n' --wait 6 --send 'QUIT\r\n' --linger 5 >"$t/raw.out" 2>&1 3>&- &
	local client=$!
	local i
	for ((i = 0; i < 100; i++)); do [ -e "$t/half" ] && break; sleep 0.1; done
	[ -e "$t/half" ] || fail "the client never reached DATA"
	kill -TERM "$TANDEM_PID"
	touch "$t/go"
	wait "$client" || true
	run cat "$t/raw.out"
	assert_line --regexp '^250 2\.0\.0'
	# new connections are no longer served, and the daemon is gone in time
	tandem_wait_exit "$TANDEM_PID" 20 || fail "tandemd still running 20 s after SIGTERM"
	tandem_stop
	run -0 count_messages alice@example.test
	assert_output 1
}
