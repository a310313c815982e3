#!/usr/bin/env bats
# imap-acl.bats - IMAP ACL (RFC 4314) and the Shared/ namespace from the
# outside, with exact transcripts: alice shares folders with bob (read-only
# and read-write) and with anyone; bob sees them as Shared/alice@.../<name>
# in NAMESPACE and LIST, MYRIGHTS / GETACL / LISTRIGHTS answer exactly,
# every operation the rights do not allow is refused (or, for flags,
# silently ignored) as the RFC says, carol without rights cannot tell
# alice's mailboxes from missing ones, revoking applies at the next
# command, IDLE on a shared mailbox sees the owner's delivery, and
# tandemctl mailbox acl shares a folder.

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
	demo_user bob@example.test bobpw
	demo_user carol@example.test carolpw
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 600 acltoken
	M='{17+}\r\nSubject: acl\r\n\r\nx'
	tandem_start
}

teardown() {
	tandem_stop_all
}

raw() {
	imap_client raw "$@"
}
ALICE='a0 LOGIN alice@example.test alicepw\r\n'
BOB='b0 LOGIN bob@example.test bobpw\r\n'
CAROL='c0 LOGIN carol@example.test carolpw\r\n'
SH='Shared/alice@example.test'

# deliver N: N messages to alice's INBOX over LMTP.
deliver() {
	local n
	for ((n = 0; n < $1; n++)); do
		lmtp_send --from sender@example.net --file "$MSG" alice@example.test >/dev/null ||
			fail "LMTP delivery failed"
	done
}

# wait_for_line FILE REGEX: until a line of FILE matches (at most 10 s).
wait_for_line() {
	local n
	for ((n = 0; n < 100; n++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no line matching $2 in $1: $(cat "$1")"
}

# alice_cmds CMD...: alice runs each command (tags s1, s2, ...), all must be OK.
alice_cmds() {
	local args=(--send "$ALICE" --expect a0) n=1 c
	for c in "$@"; do
		args+=(--send "s$n $c\r\n" --expect "s$n")
		n=$((n + 1))
	done
	run -0 raw "${args[@]}"
	n=1
	for c in "$@"; do
		assert_line --regexp "^s$n OK "
		n=$((n + 1))
	done
}

@test "IMAP ACL: CAPABILITY after login advertises ACL and RIGHTS=texk" {
	run -0 raw --send "$BOB" --expect b0 --send 'b1 CAPABILITY\r\n' --expect b1
	local caps
	caps=$(grep '^\* CAPABILITY' <<<"$output")
	for token in ACL RIGHTS=texk; do
		[[ " ${caps#\* CAPABILITY } " == *" $token "* ]] || fail "lacks $token: $caps"
	done
}

@test "IMAP ACL: NAMESPACE names Shared/, LIST shows only what bob has l on, with Noselect parents" {
	alice_cmds 'CREATE Team/Plans' 'SETACL Team/Plans bob@example.test lr' \
		'SETACL INBOX bob@example.test r' 'SETACL Sent carol@example.test lr'
	run -0 raw --send "$BOB" --expect b0 --send 'b1 NAMESPACE\r\n' --expect b1 \
		--send 'b2 LIST "" "Shared*"\r\n' --expect b2 \
		--send 'b3 LIST "" "%"\r\n' --expect b3 \
		--send 'b4 LIST "Shared/" "%"\r\n' --expect b4 \
		--send "b5 LIST \"\" \"$SH/%\"\r\n" --expect b5 \
		--send 'b6 LIST (SUBSCRIBED) "" "Shared/*" RETURN (STATUS (MESSAGES))\r\n' --expect b6 \
		--send 'b7 LSUB "" "Shared/*"\r\n' --expect b7
	assert_line --index 2 '* NAMESPACE (("" "/")) (("Shared/" "/")) NIL'
	assert_line --index 3 'b1 OK NAMESPACE completed'
	assert_line --index 4 '* LIST (\Noselect \HasChildren) "/" "Shared"'
	assert_line --index 5 '* LIST (\Noselect \HasChildren) "/" "Shared/alice@example.test"'
	assert_line --index 6 '* LIST (\Noselect \HasChildren) "/" "Shared/alice@example.test/Team"'
	assert_line --index 7 '* LIST (\HasNoChildren) "/" "Shared/alice@example.test/Team/Plans"'
	assert_line --index 8 'b2 OK LIST completed'
	# % stops at the first level: Shared is one of bob's top names
	assert_line '* LIST (\Noselect \HasChildren) "/" "Shared"'
	assert_line 'b3 OK LIST completed'
	local top
	top=$(sed -n '/^b2 OK/,/^b3 OK/p' <<<"$output" | grep -c 'Shared/' || true)
	[ "$top" = 0 ] || fail "LIST % went below the first level: $output"
	assert_line --regexp '^\* LIST \(\\Noselect \\HasChildren\) "/" "Shared/alice@example.test"$'
	# INBOX (r without l) and Sent (shared with carol) are not listed
	refute_line --partial '/INBOX"'
	refute_line --partial '/Sent"'
	assert_line '* LIST (\Noselect \HasChildren) "/" "Shared/alice@example.test/Team"'
	assert_line '* LIST (\HasNoChildren \Subscribed) "/" "Shared/alice@example.test/Team/Plans"'
	assert_line '* STATUS "Shared/alice@example.test/Team/Plans" (MESSAGES 0)'
	assert_line '* LSUB () "/" "Shared/alice@example.test/Team/Plans"'
	assert_line 'b7 OK LSUB completed'
	# carol sees only Sent
	run -0 raw --send "$CAROL" --expect c0 --send 'c1 LIST "" "Shared/*"\r\n' --expect c1
	assert_line --index 2 '* LIST (\Noselect \HasChildren) "/" "Shared/alice@example.test"'
	assert_line --index 3 '* LIST (\HasNoChildren) "/" "Shared/alice@example.test/Sent"'
	assert_line --index 4 'c1 OK LIST completed'
}

@test "IMAP ACL: MYRIGHTS, GETACL and LISTRIGHTS answer exactly; SETACL + and - and DELETEACL change the ACL" {
	alice_cmds 'SETACL INBOX bob@example.test lrs' 'SETACL INBOX bob@example.test +wc' \
		'SETACL INBOX bob@example.test -s' 'SETACL INBOX anyone l'
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 GETACL INBOX\r\n' --expect a1 \
		--send 'a2 MYRIGHTS INBOX\r\n' --expect a2 \
		--send 'a3 LISTRIGHTS INBOX bob@example.test\r\n' --expect a3 \
		--send 'a4 LISTRIGHTS INBOX alice@example.test\r\n' --expect a4 \
		--send 'a5 DELETEACL INBOX anyone\r\n' --expect a5 \
		--send 'a6 GETACL INBOX\r\n' --expect a6 \
		--send 'a7 SETACL INBOX alice@example.test lr\r\n' --expect a7 \
		--send 'a8 SETACL INBOX nobody@example.test lr\r\n' --expect a8 \
		--send 'a9 SETACL INBOX -bob@example.test r\r\n' --expect a9 \
		--send 'a10 SETACL INBOX bob@example.test lrz\r\n' --expect a10 \
		--send 'a11 GETACL Nope\r\n' --expect a11 \
		--send 'a12 SETACL INBOX bob@example.test ""\r\n' --expect a12 \
		--send 'a13 GETACL INBOX\r\n' --expect a13
	assert_line --index 2 '* ACL "INBOX" "alice@example.test" lrswipkxteacd "anyone" l "bob@example.test" lrwkxc'
	assert_line --index 3 'a1 OK GETACL completed'
	assert_line --index 4 '* MYRIGHTS "INBOX" lrswipkxteacd'
	assert_line --index 6 '* LISTRIGHTS "INBOX" "bob@example.test" "" l r s w i p k x t e a c d'
	assert_line --index 8 '* LISTRIGHTS "INBOX" "alice@example.test" lrswipkxteacd'
	assert_line --index 10 'a5 OK DELETEACL completed'
	assert_line --index 11 '* ACL "INBOX" "alice@example.test" lrswipkxteacd "bob@example.test" lrwkxc'
	assert_line --index 13 'a7 NO [CANNOT] the owner always has every right'
	assert_line --index 14 'a8 NO no such user'
	assert_line --index 15 'a9 NO [CANNOT] negative rights are not supported'
	assert_line --index 16 'a10 BAD unknown right'
	assert_line --index 17 'a11 NO [NONEXISTENT] no such mailbox'
	assert_line --index 18 'a12 OK SETACL completed'
	assert_line --index 19 '* ACL "INBOX" "alice@example.test" lrswipkxteacd'
	# what bob is told about alice's INBOX
	alice_cmds 'SETACL INBOX bob@example.test lr'
	run -0 raw --send "$BOB" --expect b0 --send "b1 MYRIGHTS $SH/INBOX\r\n" --expect b1 \
		--send "b2 GETACL $SH/INBOX\r\n" --expect b2 \
		--send "b3 LISTRIGHTS $SH/INBOX bob@example.test\r\n" --expect b3 \
		--send "b4 SETACL $SH/INBOX bob@example.test lrswi\r\n" --expect b4 \
		--send "b5 DELETEACL $SH/INBOX bob@example.test\r\n" --expect b5 \
		--send "b6 MYRIGHTS $SH/Sent\r\n" --expect b6
	assert_line --index 2 '* MYRIGHTS "Shared/alice@example.test/INBOX" lr'
	assert_line --index 3 'b1 OK MYRIGHTS completed'
	assert_line --index 4 'b2 NO [NOPERM] permission denied (needs the a right)'
	assert_line --index 5 'b3 NO [NOPERM] permission denied (needs the a right)'
	assert_line --index 6 'b4 NO [NOPERM] permission denied (needs the a right)'
	assert_line --index 7 'b5 NO [NOPERM] permission denied (needs the a right)'
	assert_line --index 8 'b6 NO [NONEXISTENT] no such mailbox'
	# with a, bob administers it (and imaplib reads the answers)
	alice_cmds 'SETACL INBOX bob@example.test lra'
	run -0 imap_client lib 'M.login("bob@example.test", "bobpw")' \
		"M.setacl('$SH/INBOX', 'carol@example.test', 'lr')" \
		"M.getacl('$SH/INBOX')" "M.myrights('$SH/INBOX')"
	assert_line --index 1 "('OK', [b'SETACL completed'])"
	assert_line --index 2 "('OK', [b'\"Shared/alice@example.test/INBOX\" \"alice@example.test\" lrswipkxteacd \"bob@example.test\" lra \"carol@example.test\" lr'])"
	assert_line --index 3 "('OK', [b'\"Shared/alice@example.test/INBOX\" lra'])"
}

@test "IMAP ACL: read-only sharing opens READ-ONLY, reads, and refuses every change" {
	deliver 2
	alice_cmds 'SETACL INBOX bob@example.test lr' 'CREATE Team' \
		'SETACL Team bob@example.test lr'
	run -0 raw --send "$BOB" --expect b0 \
		--send "b1 SELECT $SH/INBOX\r\n" --expect b1 \
		--send 'b2 FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n' --expect b2 \
		--send 'b3 STORE 1 +FLAGS (\Seen)\r\n' --expect b3 \
		--send 'b4 EXPUNGE\r\n' --expect b4 \
		--send "b5 COPY 1 $SH/Team\r\n" --expect b5 \
		--send "b6 MOVE 1 INBOX\r\n" --expect b6 \
		--send "b7 STATUS $SH/INBOX (MESSAGES)\r\n" --expect b7 \
		--send "b8 APPEND $SH/INBOX $M\r\n" --expect b8 \
		--send "b9 CREATE $SH/INBOX/Sub\r\n" --expect b9 \
		--send "b10 DELETE $SH/Team\r\n" --expect b10 \
		--send "b11 RENAME $SH/Team $SH/Team2\r\n" --expect b11 \
		--send "b12 SETACL $SH/Team carol@example.test lr\r\n" --expect b12 \
		--send "b13 CREATE $SH/Mine\r\n" --expect b13 \
		--send 'b14 COPY 1:2 INBOX\r\n' --expect b14 \
		--send 'b15 CLOSE\r\n' --expect b15
	assert_line '* OK [PERMANENTFLAGS ()] flags that can be changed'
	assert_line 'b1 OK [READ-ONLY] SELECT completed'
	assert_line '* 1 FETCH (FLAGS (\Recent) BODY[HEADER.FIELDS (SUBJECT)] {26}'
	assert_line 'Subject: test acltoken'
	assert_line 'b2 OK FETCH completed'
	assert_line 'b3 NO [READ-ONLY] mailbox was opened with EXAMINE'
	assert_line 'b4 NO [READ-ONLY] mailbox was opened with EXAMINE'
	assert_line 'b5 NO [NOPERM] permission denied (needs the i right)'
	assert_line 'b6 NO [READ-ONLY] mailbox was opened with EXAMINE'
	assert_line '* STATUS "Shared/alice@example.test/INBOX" (MESSAGES 2)'
	assert_line 'b8 NO [NOPERM] permission denied (needs the i right)'
	assert_line 'b9 NO [NOPERM] permission denied (needs the k right)'
	assert_line 'b10 NO [NOPERM] permission denied (needs the x right)'
	assert_line 'b11 NO [NOPERM] permission denied (needs the x right)'
	assert_line 'b12 NO [NOPERM] permission denied (needs the a right)'
	assert_line 'b13 NO [NOPERM] permission denied (needs the k right)'
	assert_line --regexp '^b14 OK \[COPYUID [0-9]+ 1:2 1:2\] COPY completed$'
	assert_line 'b15 OK CLOSE completed'
	# nothing changed at alice's; bob got his copies
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 SELECT INBOX\r\n' --expect a1 \
		--send 'a2 FETCH 1:* (FLAGS)\r\n' --expect a2 --send 'a3 LIST "" "Team*"\r\n' --expect a3
	assert_line '* 2 EXISTS'
	# bob's read-only session neither set \Seen nor took \Recent
	assert_line '* 1 FETCH (FLAGS (\Recent))'
	assert_line '* 2 FETCH (FLAGS (\Recent))'
	assert_line '* LIST (\HasNoChildren) "/" "Team"'
	run -0 raw --send "$BOB" --expect b0 --send 'b1 STATUS INBOX (MESSAGES)\r\n' --expect b1
	assert_line '* STATUS "INBOX" (MESSAGES 2)'
}

@test "IMAP ACL: STORE keeps only the flags the rights allow, silently; EXPUNGE needs e, MOVE t and e" {
	deliver 1
	# s and w but not t or e
	alice_cmds 'SETACL INBOX bob@example.test lrsw'
	run -0 raw --send "$BOB" --expect b0 \
		--send "b1 SELECT $SH/INBOX\r\n" --expect b1 \
		--send 'b2 STORE 1 +FLAGS (\Seen \Deleted \Flagged $Work)\r\n' --expect b2 \
		--send 'b3 STORE 1 FLAGS (\Answered)\r\n' --expect b3 \
		--send 'b4 EXPUNGE\r\n' --expect b4 \
		--send 'b5 UID EXPUNGE 1\r\n' --expect b5 \
		--send 'b6 MOVE 1 INBOX\r\n' --expect b6
	assert_line '* OK [PERMANENTFLAGS (\Answered \Flagged \Seen \Draft \*)] flags that can be changed'
	assert_line 'b1 OK [READ-WRITE] SELECT completed'
	assert_line '* 1 FETCH (FLAGS (\Seen \Flagged $Work \Recent))'
	assert_line 'b2 OK STORE completed'
	# FLAGS replaces what w and s cover; the keyword stays (only added)
	assert_line '* 1 FETCH (FLAGS (\Answered $Work \Recent))'
	assert_line 'b4 NO [NOPERM] permission denied (needs the e right)'
	assert_line 'b5 NO [NOPERM] permission denied (needs the e right)'
	assert_line 'b6 NO [NOPERM] permission denied (MOVE needs the t and e rights)'
	# s only: \Seen changes, the rest is ignored; t only: \Deleted
	alice_cmds 'SETACL INBOX bob@example.test lrs'
	run -0 raw --send "$BOB" --expect b0 --send "b1 SELECT $SH/INBOX\r\n" --expect b1 \
		--send 'b2 STORE 1 FLAGS (\Seen \Draft kw2)\r\n' --expect b2
	assert_line '* OK [PERMANENTFLAGS (\Seen)] flags that can be changed'
	assert_line '* 1 FETCH (FLAGS (\Seen \Answered $Work))'
	alice_cmds 'SETACL INBOX bob@example.test lrte'
	run -0 raw --send "$BOB" --expect b0 --send "b1 SELECT $SH/INBOX\r\n" --expect b1 \
		--send 'b2 STORE 1 -FLAGS (\Seen \Answered)\r\n' --expect b2 \
		--send 'b3 STORE 1 +FLAGS.SILENT (\Deleted)\r\n' --expect b3 \
		--send 'b4 EXPUNGE\r\n' --expect b4
	assert_line '* OK [PERMANENTFLAGS (\Deleted)] flags that can be changed'
	assert_line '* 1 FETCH (FLAGS (\Seen \Answered $Work))'
	assert_line '* 1 EXPUNGE'
	assert_line 'b4 OK EXPUNGE completed'
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 STATUS INBOX (MESSAGES)\r\n' --expect a1
	assert_line '* STATUS "INBOX" (MESSAGES 0)'
}

@test "IMAP ACL: read-write sharing lets bob append, copy in, create below, rename and delete" {
	deliver 1
	alice_cmds 'CREATE Team' 'SETACL Team bob@example.test lrswipkxte' \
		'SETACL INBOX bob@example.test lr'
	run -0 raw --send "$BOB" --expect b0 \
		--send "b1 APPEND $SH/Team $M\r\n" --expect b1 \
		--send "b2 SELECT $SH/INBOX\r\n" --expect b2 \
		--send "b3 COPY 1 $SH/Team\r\n" --expect b3 \
		--send "b4 CREATE $SH/Team/Sub\r\n" --expect b4 \
		--send "b5 RENAME $SH/Team/Sub $SH/Team/Sub2\r\n" --expect b5 \
		--send "b6 RENAME $SH/Team/Sub2 Mine\r\n" --expect b6 \
		--send "b7 MYRIGHTS $SH/Team/Sub2\r\n" --expect b7 \
		--send "b8 DELETE $SH/Team/Sub2\r\n" --expect b8 \
		--send "b9 SELECT $SH/Team\r\n" --expect b9 \
		--send 'b10 STORE 1:2 +FLAGS (\Deleted)\r\n' --expect b10 \
		--send 'b11 EXPUNGE\r\n' --expect b11 \
		--send "b12 GETQUOTAROOT $SH/Team\r\n" --expect b12 \
		--send "b13 SUBSCRIBE $SH/Team\r\n" --expect b13 \
		--send "b14 UNSUBSCRIBE $SH/Team\r\n" --expect b14
	assert_line --regexp '^b1 OK \[APPENDUID [0-9]+ 1\] APPEND completed$'
	assert_line --regexp '^b3 OK \[COPYUID [0-9]+ 1 2\] COPY completed$'
	assert_line 'b4 OK CREATE completed'
	assert_line 'b5 OK RENAME completed'
	assert_line 'b6 NO [CANNOT] a mailbox cannot move to another user'
	# the new mailbox copied Team's ACL
	assert_line '* MYRIGHTS "Shared/alice@example.test/Team/Sub2" lrswipkxtecd'
	assert_line 'b8 OK DELETE completed'
	assert_line '* 2 EXISTS'
	assert_line 'b9 OK [READ-WRITE] SELECT completed'
	assert_line '* 2 EXPUNGE'
	assert_line '* 1 EXPUNGE'
	assert_line '* QUOTAROOT "Shared/alice@example.test/Team"'
	assert_line 'b12 OK GETQUOTAROOT completed'
	assert_line 'b13 OK SUBSCRIBE completed'
	assert_line 'b14 NO [CANNOT] shared mailboxes are always subscribed'
	# alice's side: the appended message counted on her quota, then expunged
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 LIST "" "Team*"\r\n' --expect a1 \
		--send 'a2 STATUS Team (MESSAGES)\r\n' --expect a2 \
		--send 'a3 GETACL Team\r\n' --expect a3
	assert_line --index 2 '* LIST (\HasNoChildren) "/" "Team"'
	assert_line '* STATUS "Team" (MESSAGES 0)'
	assert_line '* ACL "Team" "alice@example.test" lrswipkxteacd "bob@example.test" lrswipkxtecd'
}

@test "IMAP ACL: without rights, every name under Shared/ answers like a missing mailbox" {
	deliver 1
	alice_cmds 'CREATE Secret' 'SETACL Secret bob@example.test i'
	local name cmds=() n=1
	for name in "$SH/INBOX" "$SH/Secret" "$SH/Missing" "$SH" Shared \
		'Shared/nobody@example.test/INBOX' 'Shared/carol@example.test/INBOX'; do
		cmds+=(--send "c${n}a SELECT \"$name\"\r\n" --expect "c${n}a"
			--send "c${n}b EXAMINE \"$name\"\r\n" --expect "c${n}b"
			--send "c${n}c STATUS \"$name\" (MESSAGES)\r\n" --expect "c${n}c"
			--send "c${n}d APPEND \"$name\" $M\r\n" --expect "c${n}d"
			--send "c${n}e DELETE \"$name\"\r\n" --expect "c${n}e"
			--send "c${n}f MYRIGHTS \"$name\"\r\n" --expect "c${n}f"
			--send "c${n}g GETACL \"$name\"\r\n" --expect "c${n}g"
			--send "c${n}h RENAME \"$name\" Other\r\n" --expect "c${n}h"
			--send "c${n}k SUBSCRIBE \"$name\"\r\n" --expect "c${n}k"
			--send "c${n}m GETQUOTAROOT \"$name\"\r\n" --expect "c${n}m")
		n=$((n + 1))
	done
	run -0 raw --send "$CAROL" --expect c0 "${cmds[@]}" \
		--send 'c9 SELECT INBOX\r\n' --expect c9 --send "c10 UID COPY 1:* \"$SH/INBOX\"\r\n" --expect c10 \
		--send 'c11 LIST "" "*"\r\n' --expect c11 \
		--send "c12 SELECT \"$SH/INBOX\"\r\n" --expect c12 \
		--send 'c13 FETCH 1 (BODY[])\r\n' --expect c13 --send 'c14 UID FETCH 1 (BODY[])\r\n' --expect c14
	local total=$((n - 1)) k
	for ((k = 1; k <= total; k++)); do
		assert_line "c${k}a NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}b NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}c NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}d NO [TRYCREATE] no such mailbox"
		assert_line "c${k}e NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}f NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}g NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}h NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}k NO [NONEXISTENT] no such mailbox"
		assert_line "c${k}m NO [NONEXISTENT] no such mailbox"
	done
	assert_line 'c10 NO [TRYCREATE] no such mailbox'
	# a failed SELECT leaves nothing selected to FETCH from
	assert_line 'c12 NO [NONEXISTENT] no such mailbox'
	assert_line 'c13 BAD FETCH needs a selected mailbox'
	assert_line 'c14 BAD FETCH needs a selected mailbox'
	refute_line --partial 'acltoken'
	refute_line --partial 'Shared'
	refute_line --partial '* STATUS'
	# bob has only i on Secret: he may drop mail in, never see it
	lmtp_send --from sender@example.net --file "$MSG" bob@example.test >/dev/null ||
		fail "LMTP delivery to bob failed"
	run -0 raw --send "$BOB" --expect b0 --send "b1 APPEND $SH/Secret $M\r\n" --expect b1 \
		--send "b2 SELECT $SH/Secret\r\n" --expect b2 --send "b3 MYRIGHTS $SH/Secret\r\n" --expect b3 \
		--send 'b4 LIST "" "Shared/*"\r\n' --expect b4 --send 'b5 SELECT INBOX\r\n' --expect b5 \
		--send 'b5a STORE 1 +FLAGS.SILENT (\\Seen \\Flagged \\Deleted kw)\r\n' --expect b5a \
		--send "b6 COPY 1 $SH/Secret\r\n" --expect b6
	# no APPENDUID: bob may not know the mailbox's UIDs
	assert_line 'b1 OK APPEND completed'
	assert_line 'b2 NO [NONEXISTENT] no such mailbox'
	assert_line '* MYRIGHTS "Shared/alice@example.test/Secret" i'
	refute_line --partial '* LIST'
	assert_line 'b6 OK COPY completed'
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 STATUS Secret (MESSAGES)\r\n' --expect a1
	assert_line '* STATUS "Secret" (MESSAGES 2)'
	# the copy kept none of bob's flags: i alone allows setting none
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 EXAMINE Secret\r\n' --expect a1 \
		--send 'a2 FETCH 1:2 (FLAGS)\r\n' --expect a2
	assert_line '* 1 FETCH (FLAGS (\Recent))'
	assert_line '* 2 FETCH (FLAGS (\Recent))'
}

@test "IMAP ACL: anyone gives every user the rights; the owner's own names never go through Shared/" {
	alice_cmds 'CREATE Public' 'SETACL Public anyone lr'
	run -0 raw --send "$CAROL" --expect c0 --send 'c1 LIST "" "Shared/*"\r\n' --expect c1 \
		--send "c2 EXAMINE $SH/Public\r\n" --expect c2
	assert_line '* LIST (\HasNoChildren) "/" "Shared/alice@example.test/Public"'
	assert_line 'c2 OK [READ-ONLY] EXAMINE completed'
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 LIST "" "*"\r\n' --expect a1 \
		--send "a2 SELECT $SH/Public\r\n" --expect a2 --send 'a3 CREATE Shared\r\n' --expect a3
	refute_line --partial 'Shared'"/"
	assert_line 'a2 NO [NONEXISTENT] no such mailbox'
	assert_line 'a3 NO [NOPERM] permission denied (needs the k right)'
}

@test "IMAP ACL: a rights change reaches a session with the mailbox selected at its next command" {
	deliver 1
	alice_cmds 'SETACL INBOX bob@example.test lrs'
	local out=$BATS_TEST_TMPDIR/bob.out
	raw --send "$BOB" --expect b0 --send "b1 SELECT $SH/INBOX\r\n" --expect b1 \
		--send 'b2 STORE 1 +FLAGS (\Seen)\r\n' --expect b2 --sleep 4 \
		--send 'b3 STORE 1 -FLAGS (\Seen)\r\n' --expect b3 --sleep 4 \
		--send 'b4 FETCH 1 (FLAGS)\r\n' --expect CLOSED >"$out" 2>&1 &
	local pid=$!
	wait_for_line "$out" '^b2 OK'
	alice_cmds 'SETACL INBOX bob@example.test lr'
	wait_for_line "$out" '^b3 OK'
	alice_cmds 'DELETEACL INBOX bob@example.test'
	wait "$pid" || fail "bob's session failed: $(cat "$out")"
	run cat "$out"
	assert_line '* 1 FETCH (FLAGS (\Seen \Recent))'
	assert_line 'b2 OK STORE completed'
	# s revoked: the -FLAGS is ignored silently
	assert_line 'b3 OK STORE completed'
	refute_line '* 1 FETCH (FLAGS (\Recent))'
	# r revoked: the session ends before the FETCH runs
	assert_line '* BYE [NOPERM] the right to read the selected mailbox was revoked'
	refute_line --regexp '^b4 '
	run -0 raw --send "$ALICE" --expect a0 --send 'a1 EXAMINE INBOX\r\n' --expect a1 \
		--send 'a2 FETCH 1 (FLAGS)\r\n' --expect a2
	assert_line '* 1 FETCH (FLAGS (\Seen))'
}

@test "IMAP ACL: IDLE on a shared mailbox sees the owner's delivery" {
	alice_cmds 'SETACL INBOX bob@example.test lr'
	local out=$BATS_TEST_TMPDIR/idle.out
	raw --send "$BOB" --expect b0 --send "b1 SELECT $SH/INBOX\r\n" --expect b1 \
		--send 'b2 IDLE\r\n' --expect '+ ' --expect '* 1 EXISTS' \
		--send 'DONE\r\n' --expect b2 >"$out" 2>&1 &
	local pid=$!
	wait_for_line "$out" '^\+ '
	deliver 1
	wait "$pid" || fail "bob did not see the delivery: $(cat "$out")"
	run cat "$out"
	assert_line '* 0 EXISTS'
	assert_line '* 1 EXISTS'
	assert_line 'b2 OK IDLE terminated'
}

@test "tandemctl mailbox acl set, list and delete share a folder" {
	run -0 tandemctl mailbox create alice@example.test Projects
	run -0 tandemctl mailbox acl set alice@example.test Projects Bob@Example.TEST lrsw
	run -0 tandemctl mailbox acl set alice@example.test Projects anyone l
	run -0 tandemctl mailbox acl list alice@example.test Projects
	assert_output "$(printf 'alice@example.test\tlrswipkxtea\nanyone\tl\nbob@example.test\tlrsw')"
	run -0 raw --send "$BOB" --expect b0 --send "b1 MYRIGHTS $SH/Projects\r\n" --expect b1
	assert_line '* MYRIGHTS "Shared/alice@example.test/Projects" lrsw'
	run -1 tandemctl mailbox acl set alice@example.test Projects bob@example.test lrq
	assert_output --partial "unknown right 'q'"
	run -1 tandemctl mailbox acl set alice@example.test Projects nobody@example.test lr
	assert_output --partial "unknown user 'nobody@example.test'"
	run -1 tandemctl mailbox acl set alice@example.test Nope bob@example.test lr
	assert_output --partial "no mailbox 'Nope'"
	run -2 tandemctl mailbox acl frob alice@example.test Projects
	run -0 tandemctl mailbox acl delete alice@example.test Projects bob@example.test
	run -0 tandemctl mailbox acl list alice@example.test Projects
	assert_output "$(printf 'alice@example.test\tlrswipkxtea\nanyone\tl')"
	run -0 raw --send "$BOB" --expect b0 --send "b1 MYRIGHTS $SH/Projects\r\n" --expect b1
	assert_line '* MYRIGHTS "Shared/alice@example.test/Projects" l'
}
