#!/usr/bin/env bats
# imap-quota.bats - QUOTA (RFC 9208) and MULTIAPPEND (RFC 3502) from the
# outside, with exact transcripts: the one quota root "" per user with the
# limits tandemctl sets, usage as messages arrive, NO [OVERQUOTA] on APPEND,
# STATUS DELETED and DELETED-STORAGE, several messages in one APPEND with
# their UID range, and a MULTIAPPEND that fails storing nothing at all.

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
	# a message of exactly 1000 bytes (the header is 14 bytes)
	BODY=$(head -c 986 /dev/zero | tr '\0' x)
	M="{1000+}\\r\\nSubject: q\\r\\n\\r\\n$BODY"
}

teardown() {
	tandem_stop_all
}

raw() {
	imap_client raw "$@"
}
LOGIN='a0 LOGIN alice@example.test alicepw\r\n'

@test "IMAP quota: CAPABILITY after login advertises QUOTA, its two resources and MULTIAPPEND" {
	tandem_start
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 CAPABILITY\r\n' --expect a1
	local caps
	caps=$(grep '^\* CAPABILITY' <<<"$output")
	for token in QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE MULTIAPPEND; do
		[[ " ${caps#\* CAPABILITY } " == *" $token "* ]] || fail "lacks $token: $caps"
	done
}

@test "IMAP quota: GETQUOTAROOT and GETQUOTA show the limits tandemctl sets and the usage after deliveries" {
	tandem_start
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 GETQUOTAROOT inbox\r\n' --expect a1
	assert_line --index 2 '* QUOTAROOT "INBOX" ""'
	assert_line --index 3 '* QUOTA "" ()'
	assert_line --index 4 'a1 OK GETQUOTAROOT completed'
	run -0 tandemctl user quota alice@example.test 4096 3
	run -0 raw --send "$LOGIN" --expect a0 --send "a1 APPEND INBOX $M\r\n" --expect a1 \
		--send 'a2 GETQUOTAROOT Drafts\r\n' --expect a2 --send 'a3 GETQUOTA ""\r\n' --expect a3 \
		--send 'a4 GETQUOTA "other"\r\n' --expect a4 --send 'a5 GETQUOTAROOT Nope\r\n' --expect a5 \
		--send 'a6 SETQUOTA "" (STORAGE 100000)\r\n' --expect a6 --send 'a7 GETQUOTA\r\n' --expect a7
	assert_line --index 3 '* QUOTAROOT "Drafts" ""'
	assert_line --index 4 '* QUOTA "" (STORAGE 1 4 MESSAGE 1 3)'
	assert_line --index 5 'a2 OK GETQUOTAROOT completed'
	assert_line --index 6 '* QUOTA "" (STORAGE 1 4 MESSAGE 1 3)'
	assert_line --index 7 'a3 OK GETQUOTA completed'
	assert_line --index 8 'a4 NO no such quota root'
	assert_line --index 9 --regexp '^a5 NO '
	assert_line --index 10 'a6 NO [NOPERM] quotas are set by the administrator'
	assert_line --index 11 'a7 BAD GETQUOTA needs a quota root'
	# only the resources with a limit are listed
	run -0 tandemctl user quota alice@example.test unlimited 3
	run -0 raw --send "$LOGIN" --expect a0 --send "a1 APPEND INBOX $M\r\n" --expect a1 \
		--send 'a2 GETQUOTA ""\r\n' --expect a2
	assert_line --index 3 '* QUOTA "" (MESSAGE 2 3)'
	run -0 tandemctl user quota alice@example.test 10K 0
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 GETQUOTA ""\r\n' --expect a1
	assert_line --index 2 '* QUOTA "" (STORAGE 2 10)'
}

@test "IMAP quota: APPEND over the byte or message quota gets NO [OVERQUOTA] and stores nothing" {
	tandem_start
	run -0 tandemctl user quota alice@example.test 2500 0
	run -0 raw --send "$LOGIN" --expect a0 --send "a1 APPEND INBOX $M\r\n" --expect a1 \
		--send "a2 APPEND INBOX $M\r\n" --expect a2 --send "a3 APPEND INBOX $M\r\n" --expect a3 \
		--send 'a4 STATUS INBOX (MESSAGES SIZE)\r\n' --expect a4
	assert_line --index 2 --regexp '^a1 OK \[APPENDUID [0-9]+ 1\] APPEND completed$'
	assert_line --index 3 --regexp '^a2 OK \[APPENDUID [0-9]+ 2\] APPEND completed$'
	assert_line --index 4 'a3 NO [OVERQUOTA] quota exceeded'
	assert_line --index 5 '* STATUS "INBOX" (MESSAGES 2 SIZE 2000)'
	run -0 tandemctl user quota alice@example.test unlimited 2
	run -0 raw --send "$LOGIN" --expect a0 --send "a1 APPEND Drafts $M\r\n" --expect a1
	assert_line --index 2 'a1 NO [OVERQUOTA] quota exceeded'
}

@test "IMAP quota: STATUS DELETED and DELETED-STORAGE count the messages EXPUNGE would remove" {
	tandem_start
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 SELECT INBOX\r\n' --expect a1 \
		--send "a2 APPEND INBOX $M $M $M\r\n" --expect a2 \
		--send 'a3 STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n' --expect a3 \
		--send 'a4 STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)\r\n' --expect a4 \
		--send 'a5 STATUS Drafts (DELETED DELETED-STORAGE)\r\n' --expect a5
	assert_line '* STATUS "INBOX" (MESSAGES 3 DELETED 2 DELETED-STORAGE 2)'
	assert_line 'a4 OK STATUS completed'
	assert_line '* STATUS "Drafts" (DELETED 0 DELETED-STORAGE 0)'
}

@test "IMAP MULTIAPPEND: several messages in one APPEND, each with its flags and date, get one UID range" {
	tandem_start
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 SELECT INBOX\r\n' --expect a1 \
		--send "a2 APPEND INBOX (\\\\Seen) $M \"01-Jan-2026 00:00:00 +0000\" $M (\\\\Flagged kw1) \" 2-Feb-2026 10:00:00 +0100\" $M\r\n" --expect a2 \
		--send 'a3 FETCH 1:3 (UID FLAGS INTERNALDATE RFC822.SIZE)\r\n' --expect a3
	assert_line '* 3 EXISTS'
	assert_line --regexp '^a2 OK \[APPENDUID [0-9]+ 1:3\] APPEND completed$'
	assert_line --regexp '^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) INTERNALDATE "[^"]+" RFC822.SIZE 1000\)$'
	assert_line '* 2 FETCH (UID 2 FLAGS () INTERNALDATE "01-Jan-2026 00:00:00 +0000" RFC822.SIZE 1000)'
	assert_line '* 3 FETCH (UID 3 FLAGS (\Flagged kw1) INTERNALDATE "02-Feb-2026 09:00:00 +0000" RFC822.SIZE 1000)'
	assert_line 'a3 OK FETCH completed'
	# a later MULTIAPPEND continues the range
	run -0 raw --send "$LOGIN" --expect a0 --send "a1 APPEND INBOX $M $M\r\n" --expect a1
	assert_line --index 2 --regexp '^a1 OK \[APPENDUID [0-9]+ 4:5\] APPEND completed$'
}

@test "IMAP MULTIAPPEND: one bad date-time or going over quota stores none of the messages" {
	tandem_start
	run -0 tandemctl user quota alice@example.test unlimited 2
	run -0 raw --send "$LOGIN" --expect a0 \
		--send "a1 APPEND INBOX $M \"31-Foo-2026 00:00:00 +0000\" $M $M\r\n" --expect a1 \
		--send "a2 APPEND INBOX $M $M $M\r\n" --expect a2 \
		--send "a3 APPEND INBOX $M {0+}\r\n\r\n" --expect a3 \
		--send "a4 APPEND Nope $M $M\r\n" --expect a4 \
		--send 'a5 STATUS INBOX (MESSAGES UIDNEXT)\r\n' --expect a5 --send 'a6 GETQUOTA ""\r\n' --expect a6 \
		--send "a7 APPEND INBOX $M $M\r\n" --expect a7
	assert_line --index 2 'a1 BAD bad APPEND date-time'
	assert_line --index 3 'a2 NO [OVERQUOTA] quota exceeded'
	assert_line --index 4 'a3 NO empty message'
	assert_line --index 5 'a4 NO [TRYCREATE] no such mailbox'
	assert_line --index 6 '* STATUS "INBOX" (MESSAGES 0 UIDNEXT 1)'
	assert_line --index 8 '* QUOTA "" (MESSAGE 0 2)'
	assert_line --index 10 --regexp '^a7 OK \[APPENDUID [0-9]+ 1:2\] APPEND completed$'
}

@test "IMAP MULTIAPPEND: the literals of one command together stay within imap_max_literal_size" {
	tandem_config imap_max_literal_size=100000
	tandem_start
	local big
	big=$(head -c 60000 /dev/zero | tr '\0' x)
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 APPEND INBOX {60000}\r\n' --expect + \
		--send "Subject: big\\r\\n\\r\\n${big:16} {60000}\r\n" --expect a1 \
		--send 'a2 NOOP\r\n' --expect a2 --send 'a3 STATUS INBOX (MESSAGES)\r\n' --expect a3
	assert_line 'a1 BAD [TOOBIG] literal too big (at most 100000 bytes)'
	assert_line 'a2 OK NOOP completed'
	assert_line '* STATUS "INBOX" (MESSAGES 0)'
}
