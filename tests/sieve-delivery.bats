#!/usr/bin/env bats
# sieve-delivery.bats - Sieve at LMTP delivery, from the outside: scripts
# installed with tandemctl sieve put/activate, mail sent over LMTP, results
# read over IMAP. keep, fileinto (with and without :create), discard,
# reject/ereject (550 5.7.1, nothing stored), envelope, subaddress,
# relational, imap4flags, body, regex; a broken or failing script keeps the
# message in INBOX and the log says why; the administrator's script runs
# first and its stop ends the user's.

load helpers/common
load helpers/mailcheck

setup() {
	tandem_config
	demo_user alice@example.test alicepw
	demo_user bob@example.test bobpw
}

teardown() {
	tandem_stop_all
}

# count MAILBOX [USER PASSWORD]: mailbox_count, for alice unless told.
count() {
	mailbox_count "${2:-alice@example.test}" "${3:-alicepw}" "$1"
}

# msg FILE SUBJECT [HEADER...] [-- BODY]: a small CRLF message.
msg() {
	local file=$1 subject=$2
	shift 2
	local body="hello"
	{
		printf 'From: Sender <sender@remote.test>\r\nTo: <alice@example.test>\r\n'
		printf 'Subject: %s\r\nMessage-ID: <%s@remote.test>\r\n' "$subject" "$RANDOM$RANDOM"
		while [ $# -gt 0 ]; do
			if [ "$1" = -- ]; then
				body=$2
				break
			fi
			printf '%s\r\n' "$1"
			shift
		done
		printf '\r\n%s\r\n' "$body"
	} >"$file"
}

@test "Sieve: keep stores in INBOX and fileinto files into an existing folder" {
	tandemctl mailbox create alice@example.test Reports
	sieve_activate alice@example.test main 'require "fileinto";
if header :contains "subject" "report" { fileinto "Reports"; } else { keep; }'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "weekly report"
	msg "$BATS_TEST_TMPDIR/b" "hello there"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/b" alice@example.test
	run -0 count Reports
	assert_output 1
	run -0 count INBOX
	assert_output 1
	grep -q 'lmtp sieve .*actions=fileinto:Reports' "$TANDEM_LOG"
}

@test "Sieve: fileinto a missing folder without :create keeps in INBOX, with :create creates it" {
	sieve_activate alice@example.test main 'require ["fileinto", "mailbox"];
if header :contains "subject" "one" { fileinto "Missing"; }
if header :contains "subject" "two" { fileinto :create "Created"; }'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "one"
	msg "$BATS_TEST_TMPDIR/b" "two"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/b" alice@example.test
	run -0 count Missing
	assert_output none
	run -0 count INBOX
	assert_output 1
	run -0 count Created
	assert_output 1
	grep -q 'sieve_fileinto_kept .*mailbox="Missing".*kept=INBOX' "$TANDEM_LOG"
}

@test "Sieve: fileinto twice and keep store three copies" {
	sieve_activate alice@example.test main 'require ["fileinto", "mailbox", "copy"];
fileinto :create "A"; fileinto :create "B"; keep;'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "copies"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 count A
	assert_output 1
	run -0 count B
	assert_output 1
	run -0 count INBOX
	assert_output 1
}

@test "Sieve: discard answers 250 and stores nothing" {
	sieve_activate alice@example.test main 'discard;'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "gone"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test bob@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	assert_line --regexp '^DATA bob@example.test 250 '
	run -0 count INBOX
	assert_output 0
	run -0 count INBOX bob@example.test bobpw
	assert_output 1
}

@test "Sieve: reject and ereject answer 550 5.7.1 with the reason and store nothing" {
	sieve_activate alice@example.test main 'require ["reject", "ereject"];
if header :contains "subject" "spam" { reject "I do not want this"; }
else { ereject "go away"; }'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "spam offer"
	msg "$BATS_TEST_TMPDIR/b" "other"
	run -1 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test bob@example.test
	assert_line --regexp '^DATA alice@example.test 550 5\.7\.1 .*I do not want this'
	assert_line --regexp '^DATA bob@example.test 250 '
	run -1 lmtp_send --file "$BATS_TEST_TMPDIR/b" alice@example.test
	assert_line --regexp '^DATA alice@example.test 550 5\.7\.1 .*go away'
	run -0 count INBOX
	assert_output 0
	grep -q 'sieve_rejected to=<alice@example.test>' "$TANDEM_LOG"
}

@test "Sieve: envelope and subaddress file user+tag mail by its detail" {
	sieve_activate alice@example.test main 'require ["envelope", "subaddress", "fileinto", "mailbox"];
if envelope :detail "to" "lists" { fileinto :create "Lists"; }
elsif envelope :is "from" "boss@remote.test" { fileinto :create "Boss"; }'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "list mail"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice+lists@example.test
	run -0 lmtp_send --from boss@remote.test --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice+other@example.test
	run -0 count Lists
	assert_output 1
	run -0 count Boss
	assert_output 1
	run -0 count INBOX
	assert_output 1
}

@test "Sieve: relational :value and :count with i;ascii-numeric" {
	sieve_activate alice@example.test main 'require ["relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if header :value "ge" :comparator "i;ascii-numeric" "X-Score" "5" { fileinto :create "High"; }
elsif header :count "ge" :comparator "i;ascii-numeric" "X-Tag" "2" { fileinto :create "Tagged"; }'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "s" "X-Score: 12"
	msg "$BATS_TEST_TMPDIR/b" "s" "X-Score: 3" "X-Tag: a" "X-Tag: b"
	msg "$BATS_TEST_TMPDIR/c" "s" "X-Score: 3" "X-Tag: a"
	for f in a b c; do
		run -0 lmtp_send --file "$BATS_TEST_TMPDIR/$f" alice@example.test
	done
	run -0 count High
	assert_output 1
	run -0 count Tagged
	assert_output 1
	run -0 count INBOX
	assert_output 1
}

@test "Sieve: imap4flags flags and keywords show in FETCH FLAGS" {
	sieve_activate alice@example.test main 'require ["imap4flags"];
addflag "\\Flagged"; addflag "$Work"; keep;'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "flagged"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 imap_client lib "M.login('alice@example.test', 'alicepw')" "M.select('INBOX')" \
		"M.fetch('1', '(FLAGS)')"
	assert_output --partial '\\Flagged'
	assert_output --partial '$Work'
}

@test "Sieve: body and regex tests route by the text and a pattern" {
	sieve_activate alice@example.test main 'require ["body", "regex", "fileinto", "mailbox"];
if body :contains "invoice number" { fileinto :create "Invoices"; }
elsif header :regex "subject" "^\\[ticket #[0-9]+\\]" { fileinto :create "Tickets"; }'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "hello" -- "please find the invoice number 42"
	msg "$BATS_TEST_TMPDIR/b" "[ticket #1234] printer"
	msg "$BATS_TEST_TMPDIR/c" "[ticket #abc] printer"
	for f in a b c; do
		run -0 lmtp_send --file "$BATS_TEST_TMPDIR/$f" alice@example.test
	done
	run -0 count Invoices
	assert_output 1
	run -0 count Tickets
	assert_output 1
	run -0 count INBOX
	assert_output 1
}

@test "Sieve: tandemctl sieve put refuses a script that does not compile, with its line" {
	tandem_migrate
	run -1 tandemctl sieve put alice@example.test bad <<<'keep;
fileinto "X";'
	assert_output --regexp 'line 2'
	run -0 tandemctl sieve list alice@example.test
	refute_output --partial bad
	printf 'keep;\n' >"$BATS_TEST_TMPDIR/ok.sieve"
	run -0 tandemctl sieve check "$BATS_TEST_TMPDIR/ok.sieve"
	assert_output ok
}

@test "Sieve: a broken active script (stored bypassing checks) keeps the message in INBOX and logs why" {
	[ "${TANDEM_TEST_BACKEND:-sqlite}" = sqlite ] || skip "writes the SQLite file directly"
	tandem_migrate
	"$PYTHON" - "$TANDEM_DIR/tandem.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
uid = db.execute("SELECT id FROM users WHERE address = 'alice@example.test'").fetchone()[0]
db.execute("INSERT INTO sieve_scripts (user_id, name, script, active) VALUES (?, 'broken', "
           "'if header :contains \"subject\" { discard', 1)", (uid,))
db.commit()
PY
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "survives"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	run -0 count INBOX
	assert_output 1
	grep -q 'lmtp sieve_compile_failed user=alice@example.test script="broken" error="line ' \
		"$TANDEM_LOG"
}

@test "Sieve: a runtime error drops every action and keeps the message in INBOX" {
	sieve_activate alice@example.test main 'require ["reject", "fileinto", "mailbox"];
fileinto :create "Never"; reject "no";'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "runtime"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 count INBOX
	assert_output 1
	run -0 count Never
	assert_output none
	grep -q 'sieve_runtime_failed user=alice@example.test script="main"' "$TANDEM_LOG"
}

@test "Sieve: the administrator's script files spam into Junk first and its stop ends the user's" {
	cat >"$BATS_TEST_TMPDIR/admin.sieve" <<'SIEVE'
require "fileinto";
if header :is "X-Spam-Flag" "YES" { fileinto "Junk"; stop; }
SIEVE
	tandem_config "sieve_admin_script=$BATS_TEST_TMPDIR/admin.sieve"
	demo_user carol@example.test carolpw
	sieve_activate alice@example.test main 'require ["fileinto", "mailbox"];
fileinto :create "Mine";'
	tandem_start
	grep -q 'sieve_admin_loaded' "$TANDEM_LOG"
	msg "$BATS_TEST_TMPDIR/spam" "cheap" "X-Spam-Flag: YES"
	msg "$BATS_TEST_TMPDIR/ham" "real"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/spam" alice@example.test carol@example.test
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/ham" alice@example.test carol@example.test
	run -0 count Junk
	assert_output 1
	run -0 count Mine
	assert_output 1
	run -0 count INBOX
	assert_output 0
	# a user without a script of their own gets the admin's filing too
	run -0 count Junk carol@example.test carolpw
	assert_output 1
	run -0 count INBOX carol@example.test carolpw
	assert_output 1
}

@test "Sieve: an administrator's script that does not compile is logged and ignored" {
	printf 'if true {\n' >"$BATS_TEST_TMPDIR/admin.sieve"
	tandem_config "sieve_admin_script=$BATS_TEST_TMPDIR/admin.sieve"
	tandem_start
	grep -q 'sieve_admin_failed .*error=".*line' "$TANDEM_LOG"
	msg "$BATS_TEST_TMPDIR/a" "plain"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 count INBOX
	assert_output 1
	# fixed and reloaded on SIGHUP
	printf 'discard;\n' >"$BATS_TEST_TMPDIR/admin.sieve"
	kill -HUP "$TANDEM_PID"
	wait_until 5 grep -q 'sieve_admin_loaded' "$TANDEM_LOG"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" alice@example.test
	run -0 count INBOX
	assert_output 1
}

@test "Sieve: when an alias expands to several users, a reject drops only that user's copy" {
	tandem_migrate
	tandemctl alias add team@example.test alice@example.test
	tandemctl alias add team@example.test bob@example.test
	sieve_activate alice@example.test main 'require "reject"; reject "not for me";'
	tandem_start
	msg "$BATS_TEST_TMPDIR/a" "team news"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/a" team@example.test
	assert_line --regexp '^DATA team@example.test 250 '
	run -0 count INBOX
	assert_output 0
	run -0 count INBOX bob@example.test bobpw
	assert_output 1
	grep -q 'sieve_rejected to=<team@example.test> user_id=[0-9]* reason="not for me"' "$TANDEM_LOG"
}
