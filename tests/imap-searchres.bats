#!/usr/bin/env bats
# imap-searchres.bats - SEARCHRES (RFC 5182) from the outside: SEARCH and
# UID SEARCH RETURN (SAVE ...) keep the result as "$" (only MIN/MAX when
# those are the other options, no ESEARCH for SAVE alone), "$" works in
# FETCH, STORE, COPY, MOVE, SEARCH, their UID forms and UID EXPUNGE,
# expunged messages drop out, a SAVE that ends in NO empties "$" (also for
# a command pipelined behind it), one that ends in BAD keeps it, and
# SELECT, EXAMINE, CLOSE and UNSELECT empty it.

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

@test "IMAP: SEARCH RETURN (SAVE) feeds \$ to FETCH, STORE, SEARCH and UID EXPUNGE; expunged messages drop out" {
	tandem_start
	for from in zed@remote.test amy@remote.test bob@remote.test amy@other.test \
		cy@remote.test dee@remote.test; do
		deliver "$from"
	done
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 's1 SEARCH RETURN (SAVE) FROM amy\r\ns2 FETCH $ (UID)\r\n' --expect s2 \
		--send 's3 SEARCH $ NOT 4\r\n' --expect s3 \
		--send 's4 STORE $ +FLAGS (\\Flagged)\r\n' --expect s4 \
		--send 's5 SEARCH RETURN (SAVE MIN) FLAGGED\r\n' --expect s5 \
		--send 's6 UID FETCH $ (FLAGS)\r\n' --expect s6 \
		--send 's7 UID SEARCH RETURN (SAVE) FROM amy\r\n' --expect s7 \
		--send 's8 UID STORE $ +FLAGS.SILENT (\\Deleted)\r\n' --expect s8 \
		--send 's9 UID EXPUNGE 4\r\n' --expect s9 \
		--send 't1 FETCH $ (UID)\r\n' --expect t1 \
		--send 't2 UID SEARCH UID $\r\n' --expect t2 \
		--send 't3 SEARCH RETURN (MIN MAX SAVE) ALL\r\n' --expect t3 \
		--send 't4 FETCH $ (UID)\r\n' --expect t4 \
		--send 't5 SEARCH RETURN (SAVE COUNT MIN) ALL\r\n' --expect t5 \
		--send 't6 SEARCH $\r\n' --expect t6 \
		--send 't7 UID EXPUNGE $\r\n' --expect t7
	assert_line --regexp '^a1 OK \[CAPABILITY IMAP4rev1 (.* )?SEARCHRES( .*)?\] logged in$'
	run -0 sed -n '/^s1 /,$p' <<<"$output"
	assert_output - <<'OUT'
s1 OK SEARCH completed
* 2 FETCH (UID 2)
* 4 FETCH (UID 4)
s2 OK FETCH completed
* SEARCH 2
s3 OK SEARCH completed
* 2 FETCH (FLAGS (\Flagged \Recent))
* 4 FETCH (FLAGS (\Flagged \Recent))
s4 OK STORE completed
* ESEARCH (TAG "s5") MIN 2
s5 OK SEARCH completed
* 2 FETCH (UID 2 FLAGS (\Flagged \Recent))
s6 OK FETCH completed
s7 OK SEARCH completed
s8 OK STORE completed
* 4 EXPUNGE
s9 OK UID EXPUNGE completed
* 2 FETCH (UID 2)
t1 OK FETCH completed
* SEARCH 2
t2 OK SEARCH completed
* ESEARCH (TAG "t3") MIN 1 MAX 5
t3 OK SEARCH completed
* 1 FETCH (UID 1)
* 5 FETCH (UID 6)
t4 OK FETCH completed
* ESEARCH (TAG "t5") MIN 1 COUNT 5
t5 OK SEARCH completed
* SEARCH 1 2 3 4 5
t6 OK SEARCH completed
* 2 EXPUNGE
t7 OK UID EXPUNGE completed
OUT
}

@test "IMAP: a SAVE that fails with NO empties \$ (pipelined too), one that fails with BAD keeps it; COPY and MOVE take \$" {
	tandem_start
	for from in zed@remote.test amy@remote.test bob@remote.test; do
		deliver "$from"
	done
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 --send 'a3 CREATE Saved\r\n' --expect a3 \
		--send 'b1 SEARCH RETURN (SAVE) FROM amy\r\n' --expect b1 \
		--send 'b2 SEARCH RETURN (SAVE) BOGUS\r\n' --expect b2 \
		--send 'b3 FETCH $ (UID)\r\n' --expect b3 \
		--send 'b4 SEARCH RETURN (SAVE) CHARSET KOI8-R ALL\r\nb5 FETCH $ (UID)\r\nb6 UID EXPUNGE $\r\n' --expect b6 \
		--send 'b7 SEARCH RETURN (SAVE) NOT FROM amy\r\n' --expect b7 \
		--send 'b8 COPY $ Saved\r\n' --expect b8 \
		--send 'b9 UID MOVE $ Saved\r\n' --expect b9 \
		--send 'c1 FETCH 1:* (UID)\r\n' --expect c1 \
		--send 'c2 FETCH $ (UID)\r\n' --expect c2
	run -0 sed -n '/^b1 /,$p' <<<"$output"
	assert_output --regexp "^b1 OK SEARCH completed
b2 BAD Unknown search key
\\* 2 FETCH \\(UID 2\\)
b3 OK FETCH completed
b4 NO \\[BADCHARSET \\(UTF-8 US-ASCII\\)\\] Unsupported charset
b5 OK FETCH completed
b6 OK UID EXPUNGE completed
b7 OK SEARCH completed
b8 OK \\[COPYUID [0-9]+ 1,3 1:2\\] COPY completed
\\* OK \\[COPYUID [0-9]+ 1,3 3:4\\] moved
\\* 3 EXPUNGE
\\* 1 EXPUNGE
b9 OK MOVE completed
\\* 1 FETCH \\(UID 2\\)
c1 OK FETCH completed
c2 OK FETCH completed$"
}

@test "IMAP: SELECT, EXAMINE, CLOSE and UNSELECT empty \$; \$ without SEARCHRES state is an empty set" {
	tandem_start
	deliver amy@remote.test
	deliver bob@remote.test
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'c0 FETCH $ (UID)\r\n' --expect c0 \
		--send 'c1 SEARCH RETURN (SAVE) ALL\r\n' --expect c1 --send 'c2 UNSELECT\r\n' --expect c2 \
		--send 'c3 SELECT INBOX\r\n' --expect c3 --send 'c4 FETCH $ (UID)\r\n' --expect c4 \
		--send 'c5 SEARCH RETURN (SAVE) ALL\r\n' --expect c5 --send 'c6 CLOSE\r\n' --expect c6 \
		--send 'c7 EXAMINE INBOX\r\n' --expect c7 --send 'c8 UID FETCH $ (UID)\r\n' --expect c8 \
		--send 'c9 SEARCH RETURN (SAVE) ALL\r\n' --expect c9 --send 'd1 SELECT INBOX\r\n' --expect d1 \
		--send 'd2 SEARCH $\r\n' --expect d2 \
		--send 'd3 SEARCH RETURN (SAVE) ALL\r\n' --expect d3 --send 'd4 EXAMINE INBOX\r\n' --expect d4 \
		--send 'd5 FETCH $ (UID)\r\n' --expect d5
	run -0 grep -E '^(\* [0-9]+ FETCH|\* SEARCH|[cd][0-9] (OK|NO|BAD) [A-Z]+ completed)' <<<"$output"
	assert_output - <<'OUT'
c0 OK FETCH completed
c1 OK SEARCH completed
c2 OK UNSELECT completed
c4 OK FETCH completed
c5 OK SEARCH completed
c6 OK CLOSE completed
c8 OK FETCH completed
c9 OK SEARCH completed
* SEARCH
d2 OK SEARCH completed
d3 OK SEARCH completed
d5 OK FETCH completed
OUT
}
