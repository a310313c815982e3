#!/usr/bin/env bats
# imap-esearch.bats - ESEARCH (RFC 4731) from the outside: SEARCH and UID
# SEARCH with RETURN (MIN MAX COUNT ALL) answer "* ESEARCH (TAG ...)" with
# the options asked for, sequence sets compressed, nothing but COUNT for no
# match, and BAD for unknown options; plain SEARCH is unchanged.

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

# deliver FROM: one small message from FROM to alice by LMTP.
deliver() {
	local file=$BATS_TEST_TMPDIR/m.eml
	printf 'From: %s\r\nTo: alice@example.test\r\nSubject: s\r\n\r\nbody\r\n' "$1" >"$file"
	lmtp_send --file "$file" alice@example.test
}

@test "IMAP: SEARCH RETURN (MIN MAX COUNT ALL) answers ESEARCH with the tag, UID under UID SEARCH, and compressed sets" {
	tandem_start
	for from in zed@remote.test amy@remote.test bob@remote.test amy@other.test \
		cy@remote.test dee@remote.test; do
		deliver "$from"
	done
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'e1 SEARCH RETURN (MIN MAX COUNT ALL) FROM amy\r\n' --expect e1 \
		--send 'e2 UID SEARCH RETURN () ALL\r\n' --expect e2 \
		--send 'e3 SEARCH RETURN (COUNT) FROM nobody\r\n' --expect e3 \
		--send 'e4 SEARCH RETURN (MIN) FROM nobody\r\n' --expect e4 \
		--send 'e5 search return (max) charset UTF-8 NOT FROM amy\r\n' --expect e5 \
		--send 'e6 SEARCH RETURN (ALL) NOT FROM amy\r\n' --expect e6 \
		--send 'e7 SEARCH NOT FROM amy\r\n' --expect e7 \
		--send 'e8 SEARCH RETURN (BOGUS) ALL\r\n' --expect e8 \
		--send 'e9 SEARCH RETURN ALL\r\n' --expect e9 \
		--send 'f1 SEARCH RETURN (COUNT)\r\n' --expect f1
	assert_line --regexp '^a1 OK \[CAPABILITY IMAP4rev1 .*\bESEARCH\b.*\] logged in$'
	run -0 grep -E '^(\* E?SEARCH|[ef][0-9] )' <<<"$output"
	assert_output - <<'OUT'
* ESEARCH (TAG "e1") MIN 2 MAX 4 COUNT 2 ALL 2,4
e1 OK SEARCH completed
* ESEARCH (TAG "e2") UID ALL 1:6
e2 OK SEARCH completed
* ESEARCH (TAG "e3") COUNT 0
e3 OK SEARCH completed
* ESEARCH (TAG "e4")
e4 OK SEARCH completed
* ESEARCH (TAG "e5") MAX 6
e5 OK SEARCH completed
* ESEARCH (TAG "e6") ALL 1,3,5:6
e6 OK SEARCH completed
* SEARCH 1 3 5 6
e7 OK SEARCH completed
e8 BAD unknown SEARCH RETURN option
e9 BAD RETURN needs a list of options
f1 BAD SEARCH needs search keys
OUT
}
