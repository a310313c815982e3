#!/usr/bin/env bats
# sieve-postfix.bats - what Sieve sends out goes through a real (scratch)
# Postfix by its sendmail: a redirect reaches a local user (Postfix -> LMTP)
# or the outside (smtp-sink) with the original envelope sender, a redirect
# loop stops in INBOX, a vacation reply arrives with Auto-Submitted:
# auto-replied and the null envelope sender, once per sender within :days,
# and never for lists, bulk, auto-generated mail or the user's own; when
# sendmail fails, the redirected message is kept in INBOX.

load helpers/common
load helpers/postfix
load helpers/mailcheck

teardown() {
	postfix_stop
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	tandem_stop_all
}

# with_postfix [KEY=VALUE...]: smtp-sink, scratch Postfix and tandemd behind
# it, tandemd's sendmail pointed at that Postfix; users alice and bob.
with_postfix() {
	postfix_require
	SINK_PORT=$(free_port)
	SINK_DIR=$BATS_TEST_TMPDIR/sink
	sink_start "$SINK_PORT" "$SINK_DIR"
	postfix_config "$SINK_PORT"
	postfix_start
	local lmtp_port
	lmtp_port=$(free_port)
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port,unix:$PF_QUEUE/private/tandem-lmtp" \
		"${PF_TANDEM_KEYS[@]}" "sendmail_config_dir=$PF_CONF" "sendmail_timeout=20" "$@"
	demo_user alice@example.test alicepw
	demo_user bob@example.test bobpw
}

# sink_files PATTERN: how many messages in the sink contain PATTERN.
sink_files() {
	grep -rlsF -- "$1" "$SINK_DIR" | wc -l
}

# mail FILE FROM SUBJECT [HEADER...]: a small message to alice.
mail() {
	local file=$1 from=$2 subject=$3
	shift 3
	{
		printf 'From: <%s>\r\nTo: <alice@example.test>\r\nSubject: %s\r\n' "$from" "$subject"
		printf 'Message-ID: <%s@remote.test>\r\n' "$RANDOM$RANDOM"
		for h in "$@"; do
			printf '%s\r\n' "$h"
		done
		printf '\r\nbody of %s\r\n' "$subject"
	} >"$file"
}

@test "Sieve redirect: to a local user through Postfix, with the original envelope sender" {
	with_postfix
	sieve_activate alice@example.test main 'redirect "bob@example.test";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/m" friend@elsewhere.test "redirect me"
	run -0 lmtp_send --from friend@elsewhere.test --file "$BATS_TEST_TMPDIR/m" alice@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	wait_count bob@example.test bobpw INBOX 1
	run -0 header_of bob@example.test bobpw INBOX 1
	assert_output --partial 'Return-Path: <friend@elsewhere.test>'
	assert_output --partial 'X-Tandem-Redirected-By: <alice@example.test>'
	assert_output --partial 'Subject: redirect me'
	run -0 mailbox_count alice@example.test alicepw INBOX
	assert_output 0
	grep -q 'submit redirected user_id=.* to=<bob@example.test>' "$TANDEM_LOG"
}

@test "Sieve redirect: to the outside reaches the smtp-sink; :copy keeps a local copy" {
	with_postfix
	sieve_activate alice@example.test main 'require "copy"; redirect :copy "friend@elsewhere.test";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/m" someone@remote.test "outbound redirect"
	run -0 lmtp_send --from someone@remote.test --file "$BATS_TEST_TMPDIR/m" alice@example.test
	wait_for ge 1 20 sink_files "Subject: outbound redirect"
	run -0 mailbox_count alice@example.test alicepw INBOX
	assert_output 1
}

@test "Sieve redirect: a loop between two users ends in INBOX" {
	with_postfix
	sieve_activate alice@example.test main 'redirect "bob@example.test";'
	sieve_activate bob@example.test main 'redirect "alice@example.test";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/m" someone@remote.test "ping pong"
	run -0 lmtp_send --from someone@remote.test --file "$BATS_TEST_TMPDIR/m" alice@example.test
	wait_count alice@example.test alicepw INBOX 1
	grep -q 'sieve_redirect_refused user=alice@example.test to=<bob@example.test> reason=loop kept=INBOX' \
		"$TANDEM_LOG"
	run -0 mailbox_count bob@example.test bobpw INBOX
	assert_output 0
}

@test "Sieve vacation: one reply per sender within :days, auto-replied, null envelope sender" {
	with_postfix
	sieve_activate alice@example.test main 'require "vacation";
vacation :days 3 :subject "Out of office" "I am away until Monday.";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/m1" friend@elsewhere.test "first"
	mail "$BATS_TEST_TMPDIR/m2" friend@elsewhere.test "second"
	run -0 lmtp_send --from friend@elsewhere.test --file "$BATS_TEST_TMPDIR/m1" alice@example.test
	wait_for ge 1 20 sink_files "Subject: Out of office"
	local reply
	reply=$(grep -rlsF "Subject: Out of office" "$SINK_DIR" | head -n 1)
	run -0 cat "$reply"
	assert_output --partial 'Auto-Submitted: auto-replied'
	assert_output --partial 'To: friend@elsewhere.test'
	assert_output --partial 'I am away until Monday.'
	assert_output --regexp 'In-Reply-To: <[0-9]+@remote.test>'
	# the null envelope sender (smtp-sink records MAIL FROM's arguments)
	assert_line --regexp '^X-Mail-Args: <>( |$)'
	# the second mail of the same sender gets no second reply
	run -0 lmtp_send --from friend@elsewhere.test --file "$BATS_TEST_TMPDIR/m2" alice@example.test
	wait_until 20 grep -q 'vacation_skipped .*reason=already_answered' "$TANDEM_LOG"
	grep -q 'vacation_skipped .*to=<friend@elsewhere.test> reason=already_answered' "$TANDEM_LOG"
	sleep 2
	run -0 sink_files "Subject: Out of office"
	assert_output 1
	# the mail itself is kept
	run -0 mailbox_count alice@example.test alicepw INBOX
	assert_output 2
}

@test "Sieve vacation: no reply to lists, bulk, auto-generated mail or the user's own address" {
	with_postfix
	sieve_activate alice@example.test main 'require "vacation";
vacation :days 1 :subject "Away" "away";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/a" a@elsewhere.test "list" "List-Id: <talk.lists.elsewhere.test>"
	mail "$BATS_TEST_TMPDIR/b" b@elsewhere.test "bulk" "Precedence: bulk"
	mail "$BATS_TEST_TMPDIR/c" c@elsewhere.test "robot" "Auto-Submitted: auto-generated"
	mail "$BATS_TEST_TMPDIR/d" alice@example.test "self"
	mail "$BATS_TEST_TMPDIR/e" e@elsewhere.test "person"
	run -0 lmtp_send --from a@elsewhere.test --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 lmtp_send --from b@elsewhere.test --file "$BATS_TEST_TMPDIR/b" alice@example.test
	run -0 lmtp_send --from c@elsewhere.test --file "$BATS_TEST_TMPDIR/c" alice@example.test
	run -0 lmtp_send --from alice@example.test --file "$BATS_TEST_TMPDIR/d" alice@example.test
	# the control: an ordinary sender is answered
	run -0 lmtp_send --from e@elsewhere.test --file "$BATS_TEST_TMPDIR/e" alice@example.test
	wait_for ge 1 20 sink_files "Subject: Away"
	sleep 2
	run -0 sink_files "Subject: Away"
	assert_output 1
	run -0 grep -rlsF "To: e@elsewhere.test" "$SINK_DIR"
	run -0 mailbox_count alice@example.test alicepw INBOX
	assert_output 5
}

@test "Sieve redirect: when sendmail fails the message is kept in INBOX and the log says why" {
	tandem_config "sendmail_path=$BATS_TEST_TMPDIR/no-such-sendmail"
	demo_user alice@example.test alicepw
	demo_user carol@example.test carolpw
	printf '#!/bin/sh\ncat >/dev/null\necho "queue file write error" >&2\nexit 75\n' \
		>"$BATS_TEST_TMPDIR/failing-sendmail"
	chmod +x "$BATS_TEST_TMPDIR/failing-sendmail"
	sieve_activate alice@example.test main 'redirect "friend@elsewhere.test";'
	sieve_activate carol@example.test main 'redirect "friend@elsewhere.test";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/m" someone@remote.test "must not be lost"
	run -0 lmtp_send --from someone@remote.test --file "$BATS_TEST_TMPDIR/m" alice@example.test
	wait_count alice@example.test alicepw INBOX 1
	run -0 mailbox_count alice@example.test alicepw INBOX
	assert_output 1
	grep -Eq 'submit redirect_failed .*error="(cannot run .*no-such-sendmail|sendmail exited 127)' "$TANDEM_LOG"
	grep -q 'submit redirect_kept' "$TANDEM_LOG"
	# stored as it arrived: without the loop-guard header
	run -0 header_of alice@example.test alicepw INBOX 1
	refute_output --partial 'X-Tandem-Redirected-By'
	assert_output --partial 'Subject: must not be lost'
	tandem_stop
	# a sendmail that runs but fails (EX_TEMPFAIL) is no different
	tandem_config "sendmail_path=$BATS_TEST_TMPDIR/failing-sendmail"
	tandem_start
	run -0 lmtp_send --from someone@remote.test --file "$BATS_TEST_TMPDIR/m" carol@example.test
	wait_count carol@example.test carolpw INBOX 1
	run -0 mailbox_count carol@example.test carolpw INBOX
	assert_output 1
	grep -q 'submit redirect_failed .*error="sendmail exited 75: queue file write error' "$TANDEM_LOG"
}

@test "Sieve redirect: LMTP answers 250 only once sendmail has the message" {
	tandem_config "sendmail_path=$BATS_TEST_TMPDIR/slow-sendmail"
	demo_user alice@example.test alicepw
	# a sendmail that takes its time, then keeps the message and its arguments
	cat >"$BATS_TEST_TMPDIR/slow-sendmail" <<SH
#!/bin/sh
sleep 1
cat >"$BATS_TEST_TMPDIR/sent.eml"
echo "\$@" >"$BATS_TEST_TMPDIR/sent.args"
SH
	chmod +x "$BATS_TEST_TMPDIR/slow-sendmail"
	sieve_activate alice@example.test main 'redirect "friend@elsewhere.test";'
	tandem_start
	mail "$BATS_TEST_TMPDIR/m" someone@remote.test "handed over first"
	run -0 lmtp_send --from someone@remote.test --file "$BATS_TEST_TMPDIR/m" alice@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	# the 250 came after sendmail had finished
	[ -s "$BATS_TEST_TMPDIR/sent.eml" ] || fail "250 before sendmail had the message"
	run -0 cat "$BATS_TEST_TMPDIR/sent.args"
	assert_output "-i -f someone@remote.test -- friend@elsewhere.test"
	run -0 grep -c "Subject: handed over first" "$BATS_TEST_TMPDIR/sent.eml"
	run -0 mailbox_count alice@example.test alicepw INBOX
	assert_output 0
}
