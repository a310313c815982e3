#!/usr/bin/env bats
# quota-grace.bats - quota at LMTP delivery: the grace (quota_grace_percent)
# accepts a message that ends a little over the limit for a user still
# under it and refuses a user already over; the "mailbox almost full"
# warning (quota_warning_percent) is delivered once per crossing; a
# domain's default quota reaches new users and is enforced at delivery.

load helpers/common
load helpers/mailcheck

setup() {
	MSGDIR=$BATS_TEST_TMPDIR/msgs
	mkdir -p "$MSGDIR"
}

teardown() {
	tandem_stop_all
}

# used USER: the user's used bytes as tandemctl user show prints them.
used_bytes() {
	tandemctl user show "$1" | awk -F': *' 'tolower($1) ~ /used.*bytes|^used$/ { print $2; exit }'
}

# search_count USER PASS CRITERIA...: messages in INBOX matching (IMAP SEARCH).
search_count() {
	local user=$1 pass=$2 out
	shift 2
	local crit
	crit=$(printf "'%s', " "$@")
	out=$(imap_client lib "M.login('$user', '$pass')" "M.select('INBOX')" \
		"M.search(None, ${crit%, })")
	local ids
	ids=$(grep -o "\[b'[0-9 ]*'\]" <<<"$out" | tail -n 1 | tr -d "[]b'")
	wc -w <<<"$ids"
}

@test "quota grace: a user under quota may end a little over it, a user over it gets 552 5.2.2" {
	tandem_config quota_grace_percent=10 quota_warning_percent=0
	demo_user alice@example.test alicepw
	run -0 tandemctl user quota alice@example.test 10000 0
	make_message "$MSGDIR/big" 9000
	make_message "$MSGDIR/mid" 1500
	make_message "$MSGDIR/small" 300
	tandem_start
	run -0 lmtp_send --file "$MSGDIR/big" alice@example.test
	# about 9100 used: 1500 more ends about 600 over 10000, within 10 %
	run -0 lmtp_send --file "$MSGDIR/mid" alice@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	# now over the limit: even a small message is refused
	run -1 lmtp_send --file "$MSGDIR/small" alice@example.test
	assert_line --regexp '^(RCPT|DATA) alice@example.test 552 5\.2\.2'
	run -0 search_count alice@example.test alicepw ALL
	assert_output 2
}

@test "quota grace: beyond the grace, or with quota_grace_percent = 0, the message is refused" {
	tandem_config quota_grace_percent=0 quota_warning_percent=0
	demo_user alice@example.test alicepw
	demo_user bob@example.test bobpw
	run -0 tandemctl user quota alice@example.test 10000 0
	make_message "$MSGDIR/big" 9000
	make_message "$MSGDIR/mid" 1500
	tandem_start
	run -0 lmtp_send --file "$MSGDIR/big" alice@example.test
	run -1 lmtp_send --file "$MSGDIR/mid" alice@example.test bob@example.test
	assert_line --regexp '^DATA alice@example.test 552 5\.2\.2'
	assert_line --regexp '^DATA bob@example.test 250 '
	tandem_stop
	# 10 % grace does not stretch to 3000 bytes over
	tandem_config quota_grace_percent=10 quota_warning_percent=0
	make_message "$MSGDIR/huge" 4000
	tandem_start
	run -1 lmtp_send --file "$MSGDIR/huge" alice@example.test
	assert_line --regexp '^DATA alice@example.test 552 5\.2\.2'
	run -0 search_count alice@example.test alicepw ALL
	assert_output 1
}

@test "quota warning: delivered once at 90 %, and again after usage fell below and rose again" {
	tandem_config quota_grace_percent=10 quota_warning_percent=90
	demo_user alice@example.test alicepw
	run -0 tandemctl user quota alice@example.test 20000 0
	make_message "$MSGDIR/half" 10000
	make_message "$MSGDIR/more" 8500
	make_message "$MSGDIR/small" 300
	tandem_start
	run -0 lmtp_send --file "$MSGDIR/half" alice@example.test
	sleep 0.5
	run -0 search_count alice@example.test alicepw SUBJECT full
	assert_output 0
	# past 90 %: one warning; two more deliveries past 90 %: still one
	run -0 lmtp_send --file "$MSGDIR/more" alice@example.test
	wait_for eq 1 10 search_count alice@example.test alicepw SUBJECT full
	run -0 lmtp_send --file "$MSGDIR/small" alice@example.test
	run -0 lmtp_send --file "$MSGDIR/small" alice@example.test
	sleep 1
	run -0 search_count alice@example.test alicepw SUBJECT full
	assert_output 1
	run -0 imap_client lib "M.login('alice@example.test', 'alicepw')" "M.select('INBOX')" \
		"M.search(None, 'SUBJECT', 'full')" \
		"M.fetch('2:*', '(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])')"
	assert_output --partial 'From: <postmaster@example.test>'
	assert_output --regexp 'Subject: Your mailbox is (9[0-9]|1[0-9][0-9])% full'
	grep -q 'submit quota_warning user_id=' "$TANDEM_LOG"
	# usage falls below 90 %: the big ones are expunged; the next delivery
	# notices, and crossing again warns again
	run -0 imap_client lib "M.login('alice@example.test', 'alicepw')" "M.select('INBOX')" \
		"M.store('1:2', '+FLAGS', '\\\\Deleted')" "M.expunge()"
	run -0 lmtp_send --file "$MSGDIR/small" alice@example.test
	sleep 0.5
	run -0 lmtp_send --file "$MSGDIR/half" alice@example.test
	run -0 lmtp_send --file "$MSGDIR/more" alice@example.test
	wait_for eq 2 10 search_count alice@example.test alicepw SUBJECT full
}

@test "quota warning: quota_warning_percent = 0 sends none" {
	tandem_config quota_warning_percent=0
	demo_user alice@example.test alicepw
	run -0 tandemctl user quota alice@example.test 10000 0
	make_message "$MSGDIR/big" 9500
	tandem_start
	run -0 lmtp_send --file "$MSGDIR/big" alice@example.test
	sleep 1
	run -0 search_count alice@example.test alicepw ALL
	assert_output 1
}

@test "quota: a domain's default quota is given to a new user and enforced at delivery" {
	tandem_config quota_warning_percent=0
	tandem_migrate
	run -0 tandemctl domain add example.test
	run -0 tandemctl domain quota example.test 3000 0
	printf 'pw\n' | tandemctl user add dora@example.test
	run -0 tandemctl user show dora@example.test
	assert_output --partial 3000
	make_message "$MSGDIR/big" 5000
	make_message "$MSGDIR/small" 500
	tandem_start
	run -1 lmtp_send --file "$MSGDIR/big" dora@example.test
	assert_line --regexp '^DATA dora@example.test 552 5\.2\.2'
	run -0 lmtp_send --file "$MSGDIR/small" dora@example.test
	assert_line --regexp '^DATA dora@example.test 250 '
}
