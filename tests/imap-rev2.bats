#!/usr/bin/env bats
# imap-rev2.bats - \Recent for IMAP4rev1 sessions (RFC 3501 2.3.2: FETCH
# FLAGS, STORE and pushed updates show it to the session that claimed the
# message, STATUS RECENT counts it) and IMAP4rev2 (RFC 9051) for a session
# that sends ENABLE IMAP4rev2: no RECENT and no \Recent, ESEARCH for
# SEARCH, SELECT with a LIST response and without [UNSEEN], [CLOSED],
# STATUS DELETED and SIZE, UTF-8 mailbox names and \NonExistent; an
# IMAP4rev1 session beside it keeps the rev1 behaviour.

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
}

teardown() {
	tandem_stop_all
}

raw() {
	imap_client raw "$@"
}

LOGIN='a0 LOGIN alice@example.test alicepw\r\n'

# deliver FROM: one small message from FROM to alice by LMTP.
deliver() {
	local file=$BATS_TEST_TMPDIR/m.eml
	printf 'From: %s\r\nTo: alice@example.test\r\nSubject: s\r\n\r\nbody\r\n' "$1" >"$file"
	lmtp_send --file "$file" alice@example.test
}

@test "IMAP \\Recent: the session that claims new messages sees \\Recent in FETCH, STORE and updates; STATUS RECENT counts the unclaimed" {
	tandem_start
	deliver amy@remote.test
	deliver bob@remote.test
	run -0 imap_client lib 'M.login("alice@example.test", "alicepw")[0]' \
		'M.status("INBOX", "(RECENT MESSAGES)")' \
		'M.select("INBOX")' 'M.response("RECENT")' \
		'M.fetch("1:*", "(FLAGS)")' \
		'M.status("INBOX", "(RECENT)")' \
		'(N := imaplib.IMAP4(HOST, PORT)).login("alice@example.test", "alicepw")[0]' \
		'N.status("INBOX", "(RECENT MESSAGES)")' \
		'N.append("INBOX", None, None, b"Subject: new\r\n\r\nnew\r\n")[0]' \
		'N.status("INBOX", "(RECENT MESSAGES)")' \
		'M.noop()[0]' 'M.response("RECENT")' \
		'N.status("INBOX", "(RECENT MESSAGES)")' \
		'M.store("2", "+FLAGS", "(\\Seen)")' \
		'N.select("INBOX")' 'N.response("RECENT")' \
		'N.fetch("1:*", "(FLAGS)")' \
		'N.store("1", "+FLAGS", "(\\Flagged)")' \
		'M.noop()[0]' 'M.response("FETCH")' \
		'M.fetch("3", "(FLAGS)")' \
		'M.search(None, "RECENT")' 'N.search(None, "RECENT")'
	assert_output - <<'OUT'
'OK'
('OK', [b'"INBOX" (RECENT 2 MESSAGES 2)'])
('OK', [b'2'])
('RECENT', [b'2'])
('OK', [b'1 (FLAGS (\\Recent))', b'2 (FLAGS (\\Recent))'])
('OK', [b'"INBOX" (RECENT 2)'])
'OK'
('OK', [b'"INBOX" (RECENT 0 MESSAGES 2)'])
'OK'
('OK', [b'"INBOX" (RECENT 1 MESSAGES 3)'])
'OK'
('RECENT', [b'3'])
('OK', [b'"INBOX" (RECENT 0 MESSAGES 3)'])
('OK', [b'2 (FLAGS (\\Seen \\Recent))'])
('OK', [b'3'])
('RECENT', [b'0'])
('OK', [b'1 (FLAGS ())', b'2 (FLAGS (\\Seen))', b'3 (FLAGS ())'])
('OK', [b'1 (FLAGS (\\Flagged))'])
'OK'
('FETCH', [b'1 (FLAGS (\\Flagged \\Recent))'])
('OK', [b'3 (FLAGS (\\Recent))'])
('OK', [b'1 2 3'])
('OK', [b''])
OUT
}

@test "IMAP4rev2: after ENABLE, SELECT has LIST and no RECENT or UNSEEN, FLAGS no \\Recent, SEARCH answers ESEARCH, SELECT sends [CLOSED]" {
	tandem_start
	deliver amy@remote.test
	deliver bob@remote.test
	run -0 raw --send "$LOGIN" --expect a0 \
		--send 'e1 ENABLE IMAP4rev2\r\n' --expect e1 \
		--send 's1 SELECT INBOX\r\n' --expect s1 \
		--send 'f1 FETCH 1:* (FLAGS)\r\n' --expect f1 \
		--send 'r1 SEARCH FROM amy\r\n' --expect r1 \
		--send 'r2 UID SEARCH FROM nobody\r\n' --expect r2 \
		--send 'r3 SEARCH RETURN (COUNT) ALL\r\n' --expect r3 \
		--send 'r4 STORE 2 +FLAGS (\\Deleted)\r\n' --expect r4 \
		--send 't1 STATUS INBOX (MESSAGES DELETED UNSEEN)\r\n' --expect t1 \
		--send 'x1 EXAMINE Sent\r\n' --expect x1 \
		--send 'x2 UNSELECT\r\n' --expect x2 --send 'x3 SELECT INBOX\r\n' --expect x3
	run -0 sed -e 's/UIDVALIDITY [0-9]*/UIDVALIDITY V/' -e '/^a0 /d' -e '/^\* OK \[CAPABILITY/d' <<<"$output"
	assert_output - <<'OUT'
* ENABLED IMAP4rev2
e1 OK ENABLE completed
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
* 2 EXISTS
* LIST () "/" "INBOX"
* OK [UIDVALIDITY V] UIDs valid
* OK [UIDNEXT 3] predicted next UID
s1 OK [READ-WRITE] SELECT completed
* 1 FETCH (FLAGS ())
* 2 FETCH (FLAGS ())
f1 OK FETCH completed
* ESEARCH (TAG "r1") ALL 1
r1 OK SEARCH completed
* ESEARCH (TAG "r2") UID
r2 OK SEARCH completed
* ESEARCH (TAG "r3") COUNT 2
r3 OK SEARCH completed
* 2 FETCH (FLAGS (\Deleted))
r4 OK STORE completed
* STATUS "INBOX" (MESSAGES 2 DELETED 1 UNSEEN 2)
t1 OK STATUS completed
* OK [CLOSED] previous mailbox closed
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS ()] flags that can be changed
* 0 EXISTS
* LIST (\Sent) "/" "Sent"
* OK [UIDVALIDITY V] UIDs valid
* OK [UIDNEXT 1] predicted next UID
x1 OK [READ-ONLY] EXAMINE completed
x2 OK UNSELECT completed
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
* 2 EXISTS
* LIST () "/" "INBOX"
* OK [UIDVALIDITY V] UIDs valid
* OK [UIDNEXT 3] predicted next UID
x3 OK [READ-WRITE] SELECT completed
OUT
	# an IMAP4rev1 session at the same time: RECENT, [UNSEEN], SEARCH, no LIST
	run -0 raw --send "$LOGIN" --expect a0 --send 's1 SELECT INBOX\r\n' --expect s1 \
		--send 'r1 SEARCH FROM amy\r\n' --expect r1 --send 'x1 EXAMINE Sent\r\n' --expect x1
	assert_line '* 0 RECENT'
	assert_line '* OK [UNSEEN 1] first unseen message'
	assert_line '* SEARCH 1'
	refute_line --partial '* LIST'
	refute_line --partial '[CLOSED]'
}

@test "IMAP4rev2: mailbox names are UTF-8 in LIST, SELECT, STATUS, APPEND and COPY; a missing parent is \\NonExistent; IMAP4rev1 keeps modified UTF-7" {
	tandem_start
	# created by an IMAP4rev1 client: "B&APw-ro" is "Büro", "A&-B" is "A&B"
	run -0 raw --send "$LOGIN" --expect a0 \
		--send 'c1 CREATE B&APw-ro\r\nc2 CREATE A&-B\r\nc3 CREATE Fruit/Apple\r\nc4 DELETE Fruit\r\n' --expect c4
	assert_line 'c4 OK DELETE completed'
	run -0 raw --send "$LOGIN" --expect a0 --send 'e1 ENABLE IMAP4rev2\r\n' --expect e1 \
		--send 'l1 LIST "" *\r\n' --expect l1 \
		--send 'l2 LIST "" "B\xc3\xbc%"\r\n' --expect l2 \
		--send 'a1 APPEND "B\xc3\xbcro" {21+}\r\nSubject: s\r\n\r\nhello\r\n\r\n' --expect a1 \
		--send 't1 STATUS "B\xc3\xbcro" (MESSAGES)\r\n' --expect t1 \
		--send 's1 SELECT "B\xc3\xbcro"\r\n' --expect s1 \
		--send 'p1 COPY 1 "A&B"\r\n' --expect p1 \
		--send 't2 STATUS "A&B" (MESSAGES)\r\n' --expect t2 \
		--send 'b1 SELECT "B\xfcro"\r\n' --expect b1 \
		--send 'b2 STATUS B&APw-ro (MESSAGES)\r\n' --expect b2 # "&" is just "&" here
	run -0 sed -e 's/UIDVALIDITY [0-9]*/UIDVALIDITY V/' -e 's/\[APPENDUID [0-9]* /[APPENDUID V /' \
		-e 's/\[COPYUID [0-9]* /[COPYUID V /' -e '/^\(a0\|e1\) /d' -e '/^\* OK \[CAPABILITY/d' \
		-e '/^\* ENABLED/d' <<<"$output"
	assert_output - <<'OUT'
* LIST (\HasNoChildren) "/" "A&B"
* LIST (\HasNoChildren \Archive) "/" "Archive"
* LIST (\HasNoChildren) "/" "B\xc3\xbcro"
* LIST (\HasNoChildren \Drafts) "/" "Drafts"
* LIST (\NonExistent \HasChildren) "/" "Fruit"
* LIST (\HasNoChildren) "/" "Fruit/Apple"
* LIST (\HasNoChildren) "/" "INBOX"
* LIST (\HasNoChildren \Junk) "/" "Junk"
* LIST (\HasNoChildren \Sent) "/" "Sent"
* LIST (\HasNoChildren \Trash) "/" "Trash"
l1 OK LIST completed
* LIST (\HasNoChildren) "/" "B\xc3\xbcro"
l2 OK LIST completed
a1 OK [APPENDUID V 1] APPEND completed
* STATUS "B\xc3\xbcro" (MESSAGES 1)
t1 OK STATUS completed
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
* 1 EXISTS
* LIST () "/" "B\xc3\xbcro"
* OK [UIDVALIDITY V] UIDs valid
* OK [UIDNEXT 2] predicted next UID
s1 OK [READ-WRITE] SELECT completed
p1 OK [COPYUID V 1 1] COPY completed
* STATUS "A&B" (MESSAGES 1)
t2 OK STATUS completed
b1 BAD bad mailbox name
b2 NO [NONEXISTENT] no such mailbox
OUT
	# the same names for an IMAP4rev1 session: modified UTF-7, \Noselect
	run -0 raw --send "$LOGIN" --expect a0 --send 'l1 LIST "" *\r\n' --expect l1 \
		--send 't1 STATUS B&APw-ro (MESSAGES)\r\n' --expect t1
	assert_line '* LIST (\HasNoChildren) "/" "A&-B"'
	assert_line '* LIST (\HasNoChildren) "/" "B&APw-ro"'
	assert_line '* LIST (\Noselect \HasChildren) "/" "Fruit"'
	assert_line '* STATUS "B&APw-ro" (MESSAGES 1)'
}
