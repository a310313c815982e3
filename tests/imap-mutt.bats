#!/usr/bin/env bats
# imap-mutt.bats - tandemd's IMAP service driven by a real mail client:
# mutt (Debian package mutt) in batch mode, keys pushed with -e 'push ...',
# on a pseudo-terminal made by script(1), stdin from /dev/null and a time
# limit, so it never waits for a person. Python's imaplib then checks on the
# server what mutt did: a message read is \Seen, a message saved into
# another folder has moved there, a deleted message is gone and the others
# are untouched.

setup() {
	load helpers/common
	command -v mutt >/dev/null || fail "mutt is not installed (Debian package mutt)"
	command -v script >/dev/null || fail "script is not installed (Debian package bsdutils)"
	tandem_config
	demo_user alice@example.test alicepw
	tandem_start
	local t
	for t in read save delete keep; do
		make_message "$BATS_TEST_TMPDIR/$t.eml" 800 "mutt-$t"
		run -0 lmtp_send --file "$BATS_TEST_TMPDIR/$t.eml" alice@example.test
	done
	MUTT_HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$MUTT_HOME"
	cat >"$MUTT_HOME/muttrc" <<EOF2
# muttrc for tests/imap-mutt.bats: plain IMAP on loopback, no cache, no
# questions asked.
set imap_user = "alice@example.test"
set imap_pass = "alicepw"
set folder = "imap://127.0.0.1:$IMAP_PORT/"
set spoolfile = "+INBOX"
set ssl_starttls = no
set ssl_force_tls = no
set imap_passive = yes
set quit = yes
set confirmappend = no
set confirmcreate = no
set delete = yes
set move = no
set mark_old = no
set sort = mailbox-order
set header_cache = ""
set message_cachedir = ""
set wait_key = no
set beep = no
EOF2
}

teardown() {
	tandem_stop_all
}

# mutt_push KEYS: run mutt on INBOX with KEYS pushed, at most 60 s.
mutt_push() {
	local cmd
	printf -v cmd 'mutt -n -F %q -e %q' "$MUTT_HOME/muttrc" "push \"$1\""
	HOME=$MUTT_HOME MAIL= TERM=vt100 timeout 60 script -qec "$cmd" /dev/null \
		</dev/null >"$BATS_TEST_TMPDIR/mutt.out" 2>&1 || {
		local status=$?
		tr '\r' '\n' <"$BATS_TEST_TMPDIR/mutt.out" | tail -n 5 >&2
		echo "mutt exited $status" >&2
		return 1
	}
}

LOGIN='M.login("alice@example.test", "alicepw")'
# subjects FOLDER: "Subject: ... FLAGS (...)" of every message in FOLDER.
subjects() {
	imap_client lib "$LOGIN" "M.select(\"$1\")" \
		'[print(a[1].decode().strip(), b.decode().strip()) for a, b in zip(*[iter(M.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] FLAGS)")[1])]*2)]'
}

@test "IMAP with mutt: reading a delivered message in mutt's pager sets \\Seen on it alone" {
	mutt_push '<search>~s mutt-read<enter><display-message><exit><quit>'
	run -0 subjects INBOX
	assert_line 'Subject: test mutt-read FLAGS (\Seen))'
	assert_line 'Subject: test mutt-save FLAGS ())'
	assert_line 'Subject: test mutt-delete FLAGS ())'
	assert_line 'Subject: test mutt-keep FLAGS ())'
	sanitizer_check "$TANDEM_LOG"
}

@test "IMAP with mutt: save-message moves a message into a folder mutt creates, and it leaves INBOX" {
	mutt_push '<tag-pattern>~s mutt-save<enter><tag-prefix><save-message>=Saved<enter><sync-mailbox><quit>'
	run -0 subjects Saved
	assert_line --partial 'Subject: test mutt-save FLAGS ('
	refute_line --partial 'mutt-read'
	run -0 subjects INBOX
	refute_line --partial 'mutt-save'
	assert_line --partial 'Subject: test mutt-read '
	assert_line --partial 'Subject: test mutt-delete '
	assert_line --partial 'Subject: test mutt-keep '
	run -0 imap_client lib "$LOGIN" 'M.list("\"\"", "Saved")'
	assert_line --partial '"Saved"'
	sanitizer_check "$TANDEM_LOG"
}

@test "IMAP with mutt: delete-message and sync expunge exactly that message" {
	mutt_push '<delete-pattern>~s mutt-delete<enter><sync-mailbox><quit>'
	run -0 subjects INBOX
	refute_line --partial 'mutt-delete'
	assert_line 'Subject: test mutt-read FLAGS ())'
	assert_line 'Subject: test mutt-save FLAGS ())'
	assert_line 'Subject: test mutt-keep FLAGS ())'
	run -0 imap_client lib "$LOGIN" 'M.status("INBOX", "(MESSAGES)")'
	assert_line "('OK', [b'\"INBOX\" (MESSAGES 3)'])"
	sanitizer_check "$TANDEM_LOG"
}

@test "IMAP with mutt: two mutt sessions in a row see the first one's changes" {
	mutt_push '<delete-pattern>~s mutt-keep<enter><sync-mailbox><quit>'
	mutt_push '<tag-pattern>~A<enter><tag-prefix><save-message>=All<enter><sync-mailbox><quit>'
	run -0 subjects INBOX
	refute_line --partial 'Subject:'
	run -0 subjects All
	assert_line --partial 'Subject: test mutt-read '
	assert_line --partial 'Subject: test mutt-save '
	assert_line --partial 'Subject: test mutt-delete '
	refute_line --partial 'mutt-keep'
	sanitizer_check "$TANDEM_LOG"
}
