#!/usr/bin/env bats
# imap.bats - tandemd's IMAP service (RFC 3501) from the outside: greeting,
# login, states, mailboxes (LIST/LSUB/CREATE/DELETE/RENAME/STATUS), SELECT
# after an LMTP delivery, FETCH (body sections too), SEARCH, STORE,
# EXPUNGE/UID EXPUNGE/CLOSE, APPEND, COPY/MOVE with UIDPLUS, literals, hostile
# input and isolation between users. Raw transcripts check exact replies;
# Python's imaplib plays a well-behaved client.

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
	demo_user bob@example.test bobpw
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 1500 imaptoken1
}

teardown() {
	tandem_stop_all
}

# raw ARGS...: imap-client.py raw mode.
raw() {
	imap_client raw "$@"
}
# lib STEP...: imap-client.py imaplib mode.
lib() {
	imap_client lib "$@"
}
LOGIN_ALICE='M.login("alice@example.test", "alicepw")'

# still_serving: a fresh connection can log in and list INBOX.
still_serving() {
	kill -0 "$TANDEM_PID" || fail "tandemd died"
	run -0 lib "$LOGIN_ALICE" 'M.list("\"\"", "INBOX")'
	assert_line "('OK', [b'(\\\\HasNoChildren) \"/\" \"INBOX\"'])"
}

@test "IMAP: the greeting and CAPABILITY list IMAP4rev1, LITERAL+, SASL-IR and AUTH=PLAIN on loopback" {
	tandem_start
	run -0 raw --send 'a1 CAPABILITY\r\n' --expect a1 --send 'a2 LOGOUT\r\n' --expect a2
	# the list grows as extensions land: check the shape and the tokens this test names
	assert_line --index 0 --regexp '^\* OK \[CAPABILITY IMAP4rev1( [^] ]+)*\] tandem ready$'
	assert_line --index 1 --regexp '^\* CAPABILITY IMAP4rev1( [^ ]+)*$'
	local token
	for token in LITERAL+ SASL-IR AUTH=PLAIN AUTH=LOGIN; do
		[[ " ${lines[1]} " == *" $token "* ]] || fail "CAPABILITY lacks $token: ${lines[1]}"
		[[ "${lines[0]}" == *" $token"[\ \]]* ]] || fail "greeting lacks $token: ${lines[0]}"
	done
	[[ " ${lines[1]} " != *" LOGINDISABLED "* ]] || fail "LOGINDISABLED on loopback: ${lines[1]}"
	assert_line --index 2 'a1 OK CAPABILITY completed'
	assert_line --index 3 '* BYE logging out'
	assert_line --index 4 'a2 OK LOGOUT completed'
	assert_line --index 5 'CLOSED'
}

@test "IMAP: LOGIN succeeds with the right password and fails alike for a bad password or an unknown user" {
	tandem_start
	run -0 raw --send 'a1 LOGIN alice@example.test wrongpw\r\n' --expect a1 \
		--send 'a2 LOGIN nobody@example.test alicepw\r\n' --expect a2 \
		--send 'a3 LOGIN "ALICE@example.test" {7}\r\n' --expect + --send 'alicepw\r\n' --expect a3 \
		--send 'a4 LOGIN alice@example.test alicepw\r\n' --expect a4
	assert_line 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.'
	assert_line 'a2 NO [AUTHENTICATIONFAILED] Authentication failed.'
	assert_line '+ Ready for literal data'
	assert_line --regexp '^a3 OK \[CAPABILITY IMAP4rev1 .*\bUIDPLUS\b.*\] logged in$'
	assert_line 'a4 BAD LOGIN is not valid in this state'
	run grep -c 'imap auth-failed' "$TANDEM_LOG"
	assert_output 2
	run grep -c 'wrongpw' "$TANDEM_LOG"
	assert_output 0
}

@test "IMAP: three failed logins get BYE and the connection is closed" {
	tandem_start
	run -0 raw --send 'a1 LOGIN alice@example.test x\r\na2 LOGIN alice@example.test y\r\na3 LOGIN alice@example.test z\r\n' --expect CLOSED
	assert_line 'a3 NO [AUTHENTICATIONFAILED] Authentication failed.'
	assert_line '* BYE too many failed logins'
	assert_line CLOSED
}

@test "IMAP: AUTHENTICATE PLAIN works with an initial response and with a continuation, LOGIN with two" {
	tandem_start
	local ir login pass
	ir=$(printf '\0alice@example.test\0alicepw' | base64 -w0)
	run -0 raw --send "a1 AUTHENTICATE PLAIN $ir\r\n" --expect a1
	assert_line --regexp '^a1 OK \[CAPABILITY .*\] logged in$'
	run -0 raw --send 'a1 AUTHENTICATE PLAIN\r\n' --expect + --send "$ir\r\n" --expect a1
	assert_line '+ '
	assert_line --regexp '^a1 OK '
	login=$(printf 'alice@example.test' | base64 -w0)
	pass=$(printf 'alicepw' | base64 -w0)
	run -0 raw --send 'a1 AUTHENTICATE LOGIN\r\n' --expect '+ VXNlcm5hbWU6' --send "$login\r\n" \
		--expect '+ UGFzc3dvcmQ6' --send "$pass\r\n" --expect a1
	assert_line --regexp '^a1 OK '
	run -0 raw --send 'a1 AUTHENTICATE PLAIN\r\n' --expect + --send '*\r\n' --expect a1 \
		--send "a2 AUTHENTICATE PLAIN $(printf '\0alice@example.test\0bad' | base64 -w0)\r\n" --expect a2
	assert_line 'a1 BAD authentication cancelled'
	assert_line 'a2 NO [AUTHENTICATIONFAILED] Authentication failed.'
}

@test "IMAP: commands in the wrong state get BAD and unknown commands get BAD" {
	tandem_start
	run -0 raw --send 'a1 SELECT INBOX\r\na2 FETCH 1 FLAGS\r\na3 FROB\r\na4 UID LOGIN x y\r\n' --expect a4 \
		--send 'a5 LOGIN alice@example.test alicepw\r\na6 FETCH 1 FLAGS\r\na7 EXPUNGE\r\na8 LOGIN a b\r\n' --expect a8
	assert_line 'a1 BAD SELECT needs a login first'
	assert_line 'a2 BAD FETCH needs a login first'
	assert_line 'a3 BAD unknown command'
	assert_line 'a4 BAD unknown command'
	assert_line 'a6 BAD FETCH needs a selected mailbox'
	assert_line 'a7 BAD EXPUNGE needs a selected mailbox'
	assert_line 'a8 BAD LOGIN is not valid in this state'
}

@test "IMAP: LIST and LSUB match * and % with a reference and show children, special use and missing parents" {
	tandem_start
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 CREATE Work/Projects/2026\r\n' --expect a2 \
		--send 'a3 LIST "" %\r\n' --expect a3 \
		--send 'a4 LIST Work/ *\r\n' --expect a4 \
		--send 'a5 LIST "" Work/%\r\n' --expect a5 \
		--send 'a6 LIST "" ""\r\n' --expect a6 \
		--send 'a7 SUBSCRIBE Work/Projects/2026\r\na8 UNSUBSCRIBE Trash\r\n' --expect a8 \
		--send 'a9 LSUB "" *\r\n' --expect a9 \
		--send 'b1 LIST "" inbox\r\n' --expect b1
	assert_line 'a2 OK CREATE completed'
	assert_line '* LIST (\HasNoChildren \Sent) "/" "Sent"'
	assert_line '* LIST (\HasNoChildren) "/" "INBOX"'
	assert_line --regexp '^\* LIST \((\\Noselect )?\\HasChildren\) "/" "Work"$'
	assert_line --regexp '^\* LIST \((\\Noselect )?\\HasChildren\) "/" "Work/Projects"$'
	assert_line '* LIST (\HasNoChildren) "/" "Work/Projects/2026"'
	assert_line '* LIST (\Noselect) "/" ""'
	assert_line '* LSUB () "/" "Work/Projects/2026"'
	refute_line '* LSUB () "/" "Trash"'
	assert_line 'a9 OK LSUB completed'
	assert_line 'b1 OK LIST completed'
	# "Work/%" lists one level only
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 LIST "" Work/%\r\n' --expect a2
	assert_line --regexp '"Work/Projects"$'
	refute_line --regexp '"Work/Projects/2026"$'
	# a deleted parent of a mailbox that is left is listed \Noselect
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 DELETE Work/Projects\r\n' --expect a2 \
		--send 'a3 LIST "" Work/*\r\n' --expect a3 --send 'a4 SELECT Work/Projects\r\n' --expect a4
	assert_line 'a2 OK DELETE completed'
	assert_line '* LIST (\Noselect \HasChildren) "/" "Work/Projects"'
	assert_line '* LIST (\HasNoChildren) "/" "Work/Projects/2026"'
	assert_line 'a4 NO [NONEXISTENT] no such mailbox'
}

@test "IMAP: CREATE, RENAME and DELETE work, with modified UTF-7 names and the INBOX rules" {
	tandem_start
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 CREATE "Entw&APw-rfe"\r\n' --expect a2 \
		--send 'a3 CREATE "Entw&APw-rfe"\r\n' --expect a3 \
		--send 'a4 RENAME "Entw&APw-rfe" Old\r\n' --expect a4 \
		--send 'a5 LIST "" Old\r\n' --expect a5 \
		--send 'a6 DELETE Old\r\n' --expect a6 \
		--send 'a7 DELETE Old\r\n' --expect a7 \
		--send 'a8 DELETE inbox\r\n' --expect a8 \
		--send 'a9 CREATE INBOX\r\n' --expect a9 \
		--send 'b1 CREATE "bad&-&"\r\n' --expect b1
	assert_line 'a2 OK CREATE completed'
	assert_line 'a3 NO [ALREADYEXISTS] mailbox already exists'
	assert_line 'a4 OK RENAME completed'
	assert_line '* LIST (\HasNoChildren) "/" "Old"'
	assert_line 'a6 OK DELETE completed'
	assert_line 'a7 NO [NONEXISTENT] no such mailbox'
	assert_line 'a8 NO [CANNOT] INBOX cannot be deleted'
	assert_line 'a9 NO [ALREADYEXISTS] mailbox already exists'
	assert_line --regexp '^b1 BAD '
	# the UTF-8 name in storage round-trips
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 CREATE "&ZeVnLIqe-"\r\n' --expect a2 --send 'a3 LIST "" "&ZeVnLIqe-"\r\n' --expect a3
	assert_line '* LIST (\HasNoChildren) "/" "&ZeVnLIqe-"'
	run -0 tandemctl mailbox list alice@example.test
	assert_output --partial $'\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e'
}

@test "IMAP: SELECT after an LMTP delivery shows EXISTS, UNSEEN, UIDVALIDITY and UIDNEXT; STATUS agrees" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 STATUS INBOX (MESSAGES RECENT UIDNEXT UNSEEN)\r\n' --expect a2 \
		--send 'a3 EXAMINE INBOX\r\n' --expect a3 \
		--send 'a4 SELECT INBOX\r\n' --expect a4 \
		--send 'a5 UID FETCH 1:* (UID)\r\n' --expect a5
	assert_line '* STATUS "INBOX" (MESSAGES 2 RECENT 2 UIDNEXT 3 UNSEEN 2)' # none claimed yet
	assert_line '* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)'
	assert_line '* 2 EXISTS'
	assert_line '* 2 RECENT' # new since start: EXAMINE shows, SELECT claims
	assert_line '* OK [UNSEEN 1] first unseen message'
	assert_line --regexp '^\* OK \[UIDVALIDITY [0-9]+\] UIDs valid$'
	assert_line '* OK [UIDNEXT 3] predicted next UID'
	assert_line 'a3 OK [READ-ONLY] EXAMINE completed'
	assert_line 'a4 OK [READ-WRITE] SELECT completed'
	assert_line '* 1 FETCH (UID 1)'
	assert_line '* 2 FETCH (UID 2)'
	# overlapping ranges in any order: each message once, in order
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 FETCH 2,1:2,*,1 (UID)\r\n' --expect a3 --send 'a4 UID FETCH 5:*,2 (FLAGS)\r\n' --expect a4
	run -0 grep -E '^(\* [0-9]+ FETCH|a[34] )' <<<"$output"
	assert_output $'* 1 FETCH (UID 1)\n* 2 FETCH (UID 2)\na3 OK FETCH completed\n* 2 FETCH (UID 2 FLAGS ())\na4 OK FETCH completed'
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT Nope\r\n' --expect a2
	assert_line 'a2 NO [NONEXISTENT] no such mailbox'
}

@test "IMAP: FETCH gives FLAGS, ENVELOPE and BODY[] byte for byte as delivered, and BODY[] sets \\Seen" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	local body=$BATS_TEST_TMPDIR/body.eml
	run -0 lib "$LOGIN_ALICE" 'M.select("INBOX")' \
		'M.fetch("1", "(FLAGS RFC822.SIZE ENVELOPE)")' \
		">$body M.fetch(\"1\", \"(BODY.PEEK[])\")[1][0][1]" \
		'M.fetch("1", "(FLAGS)")' \
		'M.fetch("1", "(BODY[])")[1][0][0]' \
		'M.fetch("1", "(FLAGS)")' \
		'M.fetch("1", "(BODY[HEADER])")'
	assert_line --partial 'FLAGS (\\Recent) RFC822.SIZE'
	assert_line --partial '"test imaptoken1"'
	assert_line --partial '"<imaptoken1@remote.test>"'
	assert_line --regexp "^\\('OK', \\[b'1 \\(FLAGS \\(\\\\\\\\Recent\\)\\)'\\]\\)$"
	assert_line --regexp 'FLAGS \(.*Seen \\\\Recent\)\)'"'])"'$' 
	assert_line --regexp "^\\('OK', \\[\\(b'1 \\(BODY\\[HEADER\\] \\{[0-9]+\\}', b'Return-Path: .*\\\\r\\\\n\\\\r\\\\n'\\), b'\\)'\\]\\)$"
	# the stored message is the delivered one after the trace headers
	local size
	size=$(stat -c %s "$MSG")
	run -0 cmp <(tail -c "$size" "$body") "$MSG"
	run -0 head -c 13 "$body"
	assert_output 'Return-Path: '
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 FETCH 1 (UID RFC822.SIZE BODY.PEEK[]<0.13>)\r\n' --expect a3 --send 'a4 FETCH 1 BODY[TEXT]\r\na5 FETCH 2 FLAGS\r\na6 FETCH x FLAGS\r\n' --expect a6
	assert_line --regexp '^\* 1 FETCH \(UID 1 RFC822.SIZE [0-9]+ BODY\[\]<0> \{13\}$'
	assert_line 'Return-Path: )'
	assert_line --regexp '^\* 1 FETCH \(BODY\[TEXT\] \{[0-9]+\}$'
	assert_line 'token imaptoken1'
	assert_line 'a4 OK FETCH completed'
	assert_line 'a5 BAD message sequence number out of range'
	assert_line 'a6 BAD bad sequence set'
}

@test "IMAP: STORE, EXPUNGE and CLOSE change flags and remove \\Deleted messages with the right numbers" {
	tandem_start
	for i in 1 2 3 4; do
		run -0 lmtp_send --file "$MSG" alice@example.test
	done
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 STORE 2 +FLAGS (\\Deleted)\r\n' --expect a3 \
		--send 'a4 UID STORE 4 +FLAGS (\\Deleted $Label1)\r\n' --expect a4 \
		--send 'a5 STORE 1 FLAGS.SILENT (\\Flagged)\r\n' --expect a5 \
		--send 'a6 STORE 1 +FLAGS (\\Recent)\r\n' --expect a6 \
		--send 'a7 EXPUNGE\r\n' --expect a7
	assert_line '* 2 FETCH (FLAGS (\Deleted \Recent))'
	assert_line '* 4 FETCH (FLAGS (\Deleted $Label1 \Recent) UID 4)'
	assert_line 'a5 OK STORE completed'
	refute_line '* 1 FETCH (FLAGS (\Flagged \Recent))'
	assert_line 'a6 BAD unknown or read-only system flag'
	assert_line 'a7 OK EXPUNGE completed'
	# highest number first, so each number is right when the client reads it
	run -0 grep -E '^\* [0-9]+ EXPUNGE$' <<<"$output"
	assert_output $'* 4 EXPUNGE\n* 2 EXPUNGE'
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a8 FETCH 1:* (UID FLAGS)\r\n' --expect a8 --send 'a9 STORE 1 -FLAGS (\\Flagged)\r\n' --expect a9
	assert_line '* 1 FETCH (UID 1 FLAGS (\Flagged))'
	assert_line '* 2 FETCH (UID 3 FLAGS ())'
	assert_line '* 1 FETCH (FLAGS ())'
	# CLOSE expunges silently; EXAMINE refuses changes
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n' --expect a3 --send 'a4 CLOSE\r\n' --expect a4 \
		--send 'a5 EXAMINE INBOX\r\n' --expect a5 --send 'a6 STORE 1 +FLAGS (\\Deleted)\r\n' --expect a6 \
		--send 'a7 EXPUNGE\r\n' --expect a7 --send 'a8 UNSELECT\r\n' --expect a8 --send 'a9 FETCH 1 FLAGS\r\n' --expect a9
	assert_line 'a4 OK CLOSE completed'
	refute_line --partial 'EXPUNGE'$'\r'
	assert_line '* 1 EXISTS'
	assert_line 'a6 NO [READ-ONLY] mailbox was opened with EXAMINE'
	assert_line 'a7 NO [READ-ONLY] mailbox was opened with EXAMINE'
	assert_line 'a8 OK UNSELECT completed'
	assert_line 'a9 BAD FETCH needs a selected mailbox'
}

@test "IMAP: NOOP reports what another session changed: new messages, flags and expunges" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 lib "$LOGIN_ALICE" 'M.select("INBOX")' \
		'(N := imaplib.IMAP4(HOST, PORT)).login("alice@example.test", "alicepw")' \
		'N.select("INBOX")' 'N.store("1", "+FLAGS", "(\\Deleted)")' 'N.expunge()' \
		'N.store("1", "+FLAGS", "(\\Flagged)")' \
		'N.append("INBOX", None, None, b"Subject: new\r\n\r\nnew\r\n")' \
		'N.logout()[0]' \
		'M.noop()' 'M.response("EXPUNGE")' 'M.response("FETCH")' 'M.response("EXISTS")' \
		'M.fetch("1:*", "(UID FLAGS)")'
	assert_line "('EXPUNGE', [b'1'])"
	assert_line "('FETCH', [b'1 (FLAGS (\\\\Flagged \\\\Recent))'])"
	# the first from SELECT, the second from NOOP
	assert_line "('EXISTS', [b'2', b'2'])"
	assert_line "('OK', [b'1 (UID 2 FLAGS (\\\\Flagged \\\\Recent))', b'2 (UID 3 FLAGS (\\\\Recent))'])"
}

@test "IMAP: APPEND stores a message with flags and date that FETCH returns exactly; a missing mailbox is TRYCREATE" {
	tandem_start
	local appended=$BATS_TEST_TMPDIR/appended.eml
	run -0 lib "$LOGIN_ALICE" \
		"M.append(\"Drafts\", \"(\\\\Draft \\\\Seen)\", imaplib.Time2Internaldate(1767225600), open(\"$MSG\", \"rb\").read())" \
		'M.select("Drafts")' \
		'M.fetch("1", "(UID FLAGS INTERNALDATE)")' \
		">$appended M.fetch(\"1\", \"(BODY.PEEK[])\")[1][0][1]" \
		"M.append(\"Nope\", None, None, b\"Subject: x\\r\\n\\r\\nbody\\r\\n\")"
	assert_line --regexp "^\\('OK', \\[b'\\[APPENDUID [0-9]+ 1\\] APPEND completed'\\]\\)$"
	assert_line "('OK', [b'1 (UID 1 FLAGS (\\\\Seen \\\\Draft \\\\Recent) INTERNALDATE \"01-Jan-2026 00:00:00 +0000\")'])"
	assert_line --partial 'TRYCREATE'
	run -0 cmp "$appended" "$MSG"
	# APPEND into the selected mailbox announces the new message
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 APPEND INBOX {21+}\r\nSubject: s\r\n\r\nhello\r\n\r\n' --expect a3
	assert_line '* 1 EXISTS'
	refute_line '+ Ready for literal data'
	assert_line --regexp '^a3 OK \[APPENDUID [0-9]+ 1\] APPEND completed$'
}

@test "IMAP: a synchronizing literal gets + and LITERAL+ does not; pipelined commands are answered in order" {
	tandem_start
	run -0 raw --send 'a1 LOGIN {18}\r\n' --expect + --send 'alice@example.test {7+}\r\nalicepw\r\na2 NOOP\r\na3 CHECK\r\na4 NOOP\r\n' --expect a4
	assert_line --index 1 '+ Ready for literal data'
	assert_line --index 2 --regexp '^a1 OK '
	assert_line --index 3 'a2 OK NOOP completed'
	assert_line --index 4 'a3 BAD CHECK needs a selected mailbox'
	assert_line --index 5 'a4 OK NOOP completed'
}

@test "IMAP: an overlong line, a huge literal and garbage get BAD and the server keeps serving" {
	tandem_start
	local long
	long=$(head -c 70000 /dev/zero | tr '\0' x)
	run -0 raw --send 'a0 APPEND INBOX {100000}\r\n' --expect a0 --send 'a0 LOGIN alice@example.test alicepw\r\n' --expect a0 \
		--send "a1 NOOP $long\r\n" --send 'a2 NOOP\r\n' --expect a2 \
		--send 'a3 APPEND INBOX {99999999999}\r\n' --expect a3 \
		--send 'a4 LOGIN {70000}\r\n' --expect a4 \
		--send '\x00\x01\xff garbage\r\n' --send 'a5 X (((\r\n' --send 'a6 X "unterminated\r\n' \
		--send 'a7 LOGIN "a\x00" b\r\n' --send ')\r\n' --send 'a8 NOOP\r\n' --expect a8
	# before login even APPEND gets small literals only
	assert_line 'a0 BAD [TOOBIG] literal too big (at most 65536 bytes)'
	assert_line '* BAD line too long'
	assert_line 'a2 OK NOOP completed'
	assert_line 'a3 BAD [TOOBIG] literal too big (at most 52428800 bytes)'
	assert_line 'a4 BAD [TOOBIG] literal too big (at most 65536 bytes)'
	assert_line '* BAD bad tag'
	assert_line "a5 BAD unbalanced '('"
	assert_line 'a6 BAD unterminated quoted string'
	assert_line 'a7 BAD NUL, CR or LF in a quoted string'
	assert_line 'a8 OK NOOP completed'
	still_serving
	# a too big non-synchronizing literal cannot be skipped: BYE
	run -0 raw --send 'a1 LOGIN alice@example.test {70000+}\r\n' --expect CLOSED
	assert_line '* BYE literal too big'
	# too many errors: BYE
	run -0 raw --repeat 25 --send 'x\r\n' --expect CLOSED
	assert_line '* BYE too many errors'
	still_serving
}

@test "IMAP: too many commands before login get BYE" {
	tandem_start
	run -0 raw --repeat 31 --send 'a NOOP\r\n' --expect CLOSED
	assert_line '* BYE too many commands before login'
}

@test "IMAP: the pre-auth timeout and the idle timeout close the connection with BYE" {
	tandem_stop_all
	TANDEM_CONF='' tandem_config imap_preauth_timeout=1 imap_idle_timeout=60 idle_timeout=2
	tandem_start
	run -0 raw --expect CLOSED
	assert_line '* BYE pre-authentication time is up'
	tandem_stop_all
	# the connection layer's own idle timeout (1 s) does not cut an
	# authenticated session short: the IMAP idle timeout (3 s) rules
	TANDEM_CONF='' tandem_config imap_preauth_timeout=60 imap_idle_timeout=3 idle_timeout=1
	tandem_start
	SECONDS=0
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --sleep 2 \
		--send 'a2 NOOP\r\n' --expect a2 --expect CLOSED
	assert_line 'a2 OK NOOP completed'
	assert_line '* BYE autologout; idle for too long'
	[ "$SECONDS" -ge 4 ] || fail "closed after ${SECONDS}s, want at least 2 + 3"
}

@test "IMAP: user A can never select, examine, list, status, append to or rename user B's mailboxes" {
	tandem_start
	run -0 lmtp_send --file "$MSG" bob@example.test
	run -0 raw --send 'b1 LOGIN bob@example.test bobpw\r\n' --expect b1 --send 'b2 CREATE BobSecret\r\n' --expect b2
	assert_line 'b2 OK CREATE completed'
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT BobSecret\r\n' --expect a2 \
		--send 'a3 EXAMINE bob@example.test/INBOX\r\n' --expect a3 \
		--send 'a4 LIST "" *\r\n' --expect a4 \
		--send 'a5 STATUS BobSecret (MESSAGES)\r\n' --expect a5 \
		--send 'a6 RENAME BobSecret Mine\r\n' --expect a6 \
		--send 'a7 DELETE BobSecret\r\n' --expect a7 \
		--send 'a8 SELECT INBOX\r\n' --expect a8
	assert_line 'a2 NO [NONEXISTENT] no such mailbox'
	assert_line 'a3 NO [NONEXISTENT] no such mailbox'
	refute_line --partial 'BobSecret"'
	assert_line 'a5 NO [NONEXISTENT] no such mailbox'
	assert_line 'a6 NO [NONEXISTENT] no such mailbox'
	assert_line 'a7 NO [NONEXISTENT] no such mailbox'
	assert_line '* 0 EXISTS'
	run -0 raw --send 'b1 LOGIN bob@example.test bobpw\r\n' --expect b1 --send 'b2 STATUS BobSecret (MESSAGES)\r\nb3 STATUS INBOX (MESSAGES)\r\n' --expect b3
	assert_line '* STATUS "BobSecret" (MESSAGES 0)'
	assert_line '* STATUS "INBOX" (MESSAGES 1)'
}

@test "IMAP: a session still open when tandemd stops gets BYE and the daemon exits cleanly" {
	tandem_start
	raw --send 'a1 LOGIN alice@example.test alicepw\r\na2 SELECT INBOX\r\n' --expect a2 --expect CLOSED \
		>"$BATS_TEST_TMPDIR/session.out" 2>&1 3>&- &
	local client=$!
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q '^a2 OK' "$BATS_TEST_TMPDIR/session.out" && break
		sleep 0.1
	done
	run -0 tandem_stop
	wait "$client"
	run -0 cat "$BATS_TEST_TMPDIR/session.out"
	assert_line 'a2 OK [READ-WRITE] SELECT completed'
	assert_line '* BYE server shutting down'
	assert_line CLOSED
}

@test "IMAP: SEARCH finds messages by FROM, an RFC 2047 encoded SUBJECT, BODY in a base64 part, OR/NOT, dates, size, UIDs and flags" {
	tandem_start
	local multi=$BATS_TEST_TMPDIR/multi.eml
	run -0 imap_client multipart "$multi"
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 lmtp_send --file "$multi" alice@example.test
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 STORE 3 +FLAGS.SILENT (\\Flagged $Work)\r\n' --expect a3 \
		--send 'b1 SEARCH FROM grace\r\n' --expect b1 \
		--send 'b2 SEARCH CHARSET UTF-8 SUBJECT {7+}\r\nGr\xc3\xbc\xc3\x9fe\r\n' --expect b2 \
		--send 'b3 SEARCH SUBJECT "aus k"\r\n' --expect b3 \
		--send 'b4 SEARCH BODY zebrafish\r\n' --expect b4 \
		--send 'b5 SEARCH BODY imaptoken1\r\n' --expect b5 \
		--send 'b6 SEARCH OR FROM grace UID 1\r\n' --expect b6 \
		--send 'b7 SEARCH NOT FROM grace\r\n' --expect b7 \
		--send 'b8 SEARCH SINCE 1-Jan-2020 BEFORE 1-Jan-2100\r\n' --expect b8 \
		--send 'b9 SEARCH BEFORE 1-Jan-2020\r\n' --expect b9 \
		--send 'c1 SEARCH SENTSINCE 1-Mar-2026\r\n' --expect c1 \
		--send 'c2 SEARCH LARGER 1500\r\n' --expect c2 \
		--send 'c3 UID SEARCH UID 2:*\r\n' --expect c3 \
		--send 'c4 SEARCH 2:3 NOT UID 3\r\n' --expect c4 \
		--send 'c5 SEARCH FLAGGED KEYWORD $Work\r\n' --expect c5 \
		--send 'c6 SEARCH UNFLAGGED (OR SEEN HEADER X-Note continued)\r\n' --expect c6 \
		--send 'c7 SEARCH TO alice CC bob\r\n' --expect c7
	run -0 grep -E '^(\* SEARCH|a[2-9] |[b-c][0-9] )' <<<"$output"
	assert_output - <<'EOF'
a2 OK [READ-WRITE] SELECT completed
a3 OK STORE completed
* SEARCH 2
b1 OK SEARCH completed
* SEARCH 2
b2 OK SEARCH completed
* SEARCH 2
b3 OK SEARCH completed
* SEARCH 2
b4 OK SEARCH completed
* SEARCH 1 3
b5 OK SEARCH completed
* SEARCH 1 2
b6 OK SEARCH completed
* SEARCH 1 3
b7 OK SEARCH completed
* SEARCH 1 2 3
b8 OK SEARCH completed
* SEARCH
b9 OK SEARCH completed
* SEARCH 2
c1 OK SEARCH completed
* SEARCH 1 3
c2 OK SEARCH completed
* SEARCH 2 3
c3 OK SEARCH completed
* SEARCH 2
c4 OK SEARCH completed
* SEARCH 3
c5 OK SEARCH completed
* SEARCH 2
c6 OK SEARCH completed
* SEARCH 2
c7 OK SEARCH completed
EOF
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'd1 SEARCH CHARSET KOI8-R FROM x\r\n' --expect d1 \
		--send 'd2 SEARCH FROM\r\n' --expect d2 \
		--send 'd3 SEARCH BOGUS\r\n' --expect d3 \
		--send 'd4 SEARCH 1:9 FLAGGED\r\n' --expect d4
	assert_line --regexp '^d1 NO \[BADCHARSET \(UTF-8 US-ASCII\)\] '
	assert_line --regexp '^d2 BAD '
	assert_line --regexp '^d3 BAD '
	assert_line 'd4 OK SEARCH completed'
	assert_line '* SEARCH 3'
	# searching never marks messages \Seen
	run -0 lib "$LOGIN_ALICE" 'M.select("INBOX")' 'M.search(None, "SEEN")' 'M.uid("SEARCH", "BODY", "zebrafish")'
	assert_line "('OK', [b''])"
	assert_line "('OK', [b'2'])"
}

@test "IMAP: FETCH of body sections of a multipart message matches what Python's email module extracts, byte for byte" {
	tandem_start
	local multi=$BATS_TEST_TMPDIR/multi.eml d=$BATS_TEST_TMPDIR
	run -0 imap_client multipart "$multi"
	run -0 lmtp_send --file "$multi" alice@example.test
	run -0 lib "$LOGIN_ALICE" 'M.select("INBOX")' \
		">$d/full M.fetch(\"1\", \"(BODY.PEEK[])\")[1][0][1]" \
		">$d/header M.fetch(\"1\", \"(BODY.PEEK[HEADER])\")[1][0][1]" \
		">$d/text M.fetch(\"1\", \"(BODY.PEEK[TEXT])\")[1][0][1]" \
		">$d/rfc822header M.fetch(\"1\", \"(RFC822.HEADER)\")[1][0][1]" \
		">$d/got1 M.fetch(\"1\", \"(BODY.PEEK[1])\")[1][0][1]" \
		">$d/got2 M.fetch(\"1\", \"(BODY.PEEK[2])\")[1][0][1]" \
		">$d/got3.1 M.fetch(\"1\", \"(BODY.PEEK[3.1])\")[1][0][1]" \
		">$d/got3.2 M.fetch(\"1\", \"(BODY.PEEK[3.2])\")[1][0][1]" \
		'M.fetch("1", "(FLAGS)")'
	assert_line "('OK', [b'1 (FLAGS (\\\\Recent))'])"
	local part
	for part in 1 2 3.1 3.2; do
		run -0 imap_client part "$multi" "$part" "$d/want$part"
		run -0 cmp "$d/got$part" "$d/want$part"
	done
	# HEADER + TEXT is the message; the delivered file is its tail
	run -0 cmp <(cat "$d/header" "$d/text") "$d/full"
	run -0 cmp "$d/header" "$d/rfc822header"
	run -0 cmp <(tail -c "$(stat -c %s "$multi")" "$d/full") "$multi"
	run -0 od -An -c <(tail -c 4 "$d/header")
	assert_output '  \r  \n  \r  \n'
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject x-note)])\r\n' --expect a3 \
		--send 'a4 FETCH 1 (BODY.PEEK[2.MIME] BODY.PEEK[1]<6.4> BODY.PEEK[1]<100.5> BODY.PEEK[9])\r\n' --expect a4 \
		--send 'a5 FETCH 1 (BODY.PEEK[3.HEADER.FIELDS.NOT (From Content-Type)] BODY.PEEK[3.TEXT]<0.7>)\r\n' --expect a5 \
		--send 'a6 FETCH 1 (BODY)\r\n' --expect a6 \
		--send 'a7 FETCH 1 FULL\r\n' --expect a7 \
		--send 'a8 FETCH 1 (BODY[1])\r\n' --expect a8 \
		--send 'a9 FETCH 1 (BODY[x])\r\n' --expect a9
	assert_line '* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT X-NOTE)] {77}'
	assert_line 'Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?='
	assert_line 'X-Note: first'
	assert_line '  continued'
	assert_line '* 1 FETCH (BODY[2.MIME] {78}'
	assert_line 'Content-Transfer-Encoding: base64'
	assert_line ' BODY[1]<6> {4}'
	assert_line 'part BODY[1]<100> {0}'
	assert_line ' BODY[9] "")'
	assert_line '* 1 FETCH (BODY[3.HEADER.FIELDS.NOT (FROM CONTENT-TYPE)] {26}'
	assert_line 'Subject: inner message'
	assert_line ' BODY[3.TEXT]<0> {7}'
	assert_line '--inner)'
	assert_line --regexp '^\* 1 FETCH \(BODY \(\("text" "plain" .*"mixed"\)\)$'
	assert_line --regexp '^\* 1 FETCH \(FLAGS \(\) INTERNALDATE "[^"]+" RFC822.SIZE [0-9]+ ENVELOPE \(.*\) BODY \(\(.*"mixed"\)\)$'
	# a body fetch without PEEK sets \Seen and says so in the same response
	assert_line '* 1 FETCH (BODY[1] {27}'
	assert_line 'second line FLAGS (\Seen))'
	assert_line 'a8 OK FETCH completed'
	assert_line 'a9 BAD bad FETCH data item'
}

@test "IMAP: COPY and MOVE answer COPYUID, MOVE expunges the source, a missing mailbox is TRYCREATE, over quota is OVERQUOTA" {
	tandem_start
	local i
	for i in 1 2 3; do
		run -0 lmtp_send --file "$MSG" alice@example.test
	done
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 CREATE Archive\r\n' --expect a2 --send 'a3 SELECT INBOX\r\n' --expect a3 \
		--send 'a4 STORE 1 +FLAGS.SILENT (\\Flagged)\r\n' --expect a4 \
		--send 'b1 COPY 1:2 Archive\r\n' --expect b1 \
		--send 'b2 UID MOVE 2:3 Archive\r\n' --expect b2 \
		--send 'b3 COPY 1 Nope\r\n' --expect b3 \
		--send 'b4 UID MOVE 1 Nope\r\n' --expect b4 \
		--send 'b5 UID COPY 7:9 Archive\r\n' --expect b5 \
		--send 'b6 COPY 1 INBOX\r\n' --expect b6 \
		--send 'b7 STATUS Archive (MESSAGES)\r\n' --expect b7 \
		--send 'b8 FETCH 1:* (UID FLAGS)\r\n' --expect b8
	run -0 grep -E '^(\* OK \[COPYUID|\* [0-9]+ (EXPUNGE|EXISTS|FETCH)|\* STATUS|b[0-9] )' < <(sed -n '/^a4 /,$p' <<<"$output")
	run -0 sed -E 's/COPYUID [0-9]+ /COPYUID V /' <<<"$output"
	assert_output - <<'EOF'
b1 OK [COPYUID V 1:2 1:2] COPY completed
* OK [COPYUID V 2:3 3:4] moved
* 3 EXPUNGE
* 2 EXPUNGE
b2 OK MOVE completed
b3 NO [TRYCREATE] no such mailbox
b4 NO [TRYCREATE] no such mailbox
b5 OK COPY completed
* 2 EXISTS
b6 OK [COPYUID V 1 4] COPY completed
* STATUS "Archive" (MESSAGES 4)
b7 OK STATUS completed
* 1 FETCH (UID 1 FLAGS (\Flagged \Recent))
* 2 FETCH (UID 4 FLAGS (\Flagged \Recent))
b8 OK FETCH completed
EOF
	# flags travel with the copy; UID EXPUNGE removes only the named \Deleted messages
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT Archive\r\n' --expect a2 \
		--send 'a3 FETCH 1:* (UID FLAGS)\r\n' --expect a3 \
		--send 'a4 STORE 1:4 +FLAGS.SILENT (\\Deleted)\r\n' --expect a4 \
		--send 'a5 UID EXPUNGE 2:3\r\n' --expect a5 \
		--send 'a6 UID FETCH 1:* (UID)\r\n' --expect a6 \
		--send 'a7 UID EXPUNGE x\r\n' --expect a7 \
		--send 'a8 EXPUNGE 1\r\n' --expect a8 \
		--send 'a9 EXAMINE Archive\r\n' --expect a9 --send 'b1 UID EXPUNGE 1:*\r\n' --expect b1 \
		--send 'b2 MOVE 1 INBOX\r\n' --expect b2
	assert_line '* 1 FETCH (UID 1 FLAGS (\Flagged \Recent))' # EXAMINE did not claim them
	assert_line '* 2 FETCH (UID 2 FLAGS (\Recent))'
	run -0 grep -E '^(\* [0-9]+ (EXPUNGE|FETCH \(UID [0-9]+\))|a[5-8] |b[12] )' <<<"$output"
	assert_output - <<'EOF'
* 3 EXPUNGE
* 2 EXPUNGE
a5 OK UID EXPUNGE completed
* 1 FETCH (UID 1)
* 2 FETCH (UID 4)
a6 OK FETCH completed
a7 BAD bad sequence set
a8 BAD EXPUNGE takes no arguments
b1 NO [READ-ONLY] mailbox was opened with EXAMINE
b2 NO [READ-ONLY] mailbox was opened with EXAMINE
EOF
	# over quota: nothing is copied; moving within one user still works
	run -0 tandemctl user quota alice@example.test 6000 0
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 COPY 1:* Archive\r\n' --expect a3 --send 'a4 STATUS Archive (MESSAGES)\r\n' --expect a4 \
		--send 'a5 MOVE 1 Archive\r\n' --expect a5
	assert_line 'a3 NO [OVERQUOTA] quota exceeded'
	assert_line '* STATUS "Archive" (MESSAGES 2)'
	assert_line --regexp '^\* OK \[COPYUID [0-9]+ 1 5\] moved$'
	assert_line 'a5 OK MOVE completed'
}

@test "IMAP: MOVE within the selected mailbox gives the messages new UIDs and reports EXPUNGE then EXISTS" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 --send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'a3 MOVE 1 INBOX\r\n' --expect a3 --send 'a4 FETCH 1:* (UID)\r\n' --expect a4 \
		--send 'a5 FETCH 1 (BODY.PEEK[]<0.0>)\r\n' --expect a5 --send 'a6 UNSELECT\r\n' --expect a6 \
		--send 'a7 SEARCH ALL\r\n' --expect a7 --send 'a8 UID EXPUNGE 1\r\n' --expect a8
	run -0 grep -E '^(\* OK \[COPYUID|\* [0-9]+ (EXPUNGE|EXISTS|FETCH)|a[3-8] )' < <(sed -n '/^a2 /,$p' <<<"$output")
	run -0 sed -E 's/COPYUID [0-9]+ /COPYUID V /' <<<"$output"
	assert_output - <<'EOF'
* OK [COPYUID V 1 3] moved
* 1 EXPUNGE
* 2 EXISTS
a3 OK MOVE completed
* 1 FETCH (UID 2)
* 2 FETCH (UID 3)
a4 OK FETCH completed
a5 BAD bad FETCH data item
a6 OK UNSELECT completed
a7 BAD SEARCH needs a selected mailbox
a8 BAD EXPUNGE needs a selected mailbox
EOF
}
