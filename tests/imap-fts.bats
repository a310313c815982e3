#!/usr/bin/env bats
# imap-fts.bats - SEARCH BODY and TEXT through the full-text index
# (storage-fulltext.c, schema/*/003-fulltext.sql) from the outside: a needle
# of 3 characters or more is answered by the index (the debug log says
# "search-index hits=N"), including text that is only in a base64 part or an
# RFC 2047 header; shorter needles are still scanned; expunged messages are
# not found; the same on PostgreSQL (pg_trgm) when a server can be started.
# Deliveries write no index rows: the group committer's background indexer
# adds them soon after (debug log "storage fulltext-indexed messages=N"), and
# SEARCH scans what it has not reached yet, so a message delivered a moment
# ago is found either way.

setup() {
	load helpers/common
}

teardown() {
	tandem_stop_all
	pgsql_stop
}

raw() {
	imap_client raw "$@"
}

# wait_indexed N: wait (at most 20 s) until the background indexer has
# written N index rows in all, by its debug log.
wait_indexed() {
	local want=$1 got=0 tries
	for ((tries = 0; tries < 200; tries++)); do
		got=$(grep -oE 'storage fulltext-indexed messages=[0-9]+' "$TANDEM_LOG" |
			awk -F= '{ n += $2 } END { print n + 0 }')
		[ "$got" -ge "$want" ] && return 0
		sleep 0.1
	done
	echo "index rows written: got $got, want $want within 20 s" >&2
	return 1
}

# deliver_three: messages 1 and 3 plain (imaptoken1), 2 the multipart test
# message (zebrafish only in its base64 part, Grüße in its encoded Subject).
deliver_three() {
	demo_user alice@example.test alicepw
	local msg=$BATS_TEST_TMPDIR/msg.eml multi=$BATS_TEST_TMPDIR/multi.eml
	make_message "$msg" 1500 imaptoken1
	run -0 imap_client multipart "$multi"
	tandem_start
	run -0 lmtp_send --file "$msg" alice@example.test
	run -0 lmtp_send --file "$multi" alice@example.test
	run -0 lmtp_send --file "$msg" alice@example.test
	wait_indexed 3
}

# search_checks: the answers, then the index's hit counts in the log.
search_checks() {
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'b1 SEARCH BODY ZEBRAfish\r\n' --expect b1 \
		--send 'b2 SEARCH BODY imaptoken1\r\n' --expect b2 \
		--send 'b3 SEARCH TEXT "aus k"\r\n' --expect b3 \
		--send 'b4 SEARCH BODY "aus k"\r\n' --expect b4 \
		--send 'b5 SEARCH BODY "50% off_"\r\n' --expect b5 \
		--send 'b6 SEARCH BODY zq\r\n' --expect b6 \
		--send 'b7 SEARCH NOT BODY zebrafish\r\n' --expect b7 \
		--send 'b8 SEARCH CHARSET UTF-8 BODY {6+}\r\n\xc3\xa4rger\r\n' --expect b8 \
		--send 'c1 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n' --expect c1 \
		--send 'c2 EXPUNGE\r\n' --expect c2 \
		--send 'c3 SEARCH BODY zebrafish\r\n' --expect c3
	run -0 grep -E '^(\* SEARCH|b[0-9] |c3 )' <<<"$output"
	assert_output - <<'OUT'
* SEARCH 2
b1 OK SEARCH completed
* SEARCH 1 3
b2 OK SEARCH completed
* SEARCH 2
b3 OK SEARCH completed
* SEARCH
b4 OK SEARCH completed
* SEARCH
b5 OK SEARCH completed
* SEARCH
b6 OK SEARCH completed
* SEARCH 1 3
b7 OK SEARCH completed
* SEARCH 2
b8 OK SEARCH completed
* SEARCH
c3 OK SEARCH completed
OUT
	# b1 b2 b3 b4 b5 b7 b8 c3 went to the index, b6 (2 characters) did not
	run -0 grep -oE 'imap search-index hits=[0-9]+ unindexed=[0-9]+ key=[A-Z]+' "$TANDEM_LOG"
	assert_output - <<'OUT'
imap search-index hits=1 unindexed=0 key=BODY
imap search-index hits=2 unindexed=0 key=BODY
imap search-index hits=1 unindexed=0 key=TEXT
imap search-index hits=0 unindexed=0 key=BODY
imap search-index hits=0 unindexed=0 key=BODY
imap search-index hits=1 unindexed=0 key=BODY
imap search-index hits=1 unindexed=0 key=BODY
imap search-index hits=0 unindexed=0 key=BODY
OUT
}

@test "IMAP FTS: SEARCH BODY and TEXT are answered by the SQLite index, base64 parts and encoded headers included" {
	tandem_config fulltext_index=yes
	deliver_three
	search_checks
}

@test "IMAP FTS: SEARCH BODY and TEXT are answered by the PostgreSQL index (pg_trgm)" {
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "no PostgreSQL: $(cat "$BATS_TEST_TMPDIR/pg.err")"
	fi
	tandem_config fulltext_index=yes database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	deliver_three
	search_checks
}

# fresh_search: a message searched right after its 250 (indexed or not, it
# is found), then again once the indexer has caught up (from the index).
fresh_search() {
	demo_user alice@example.test alicepw
	local msg=$BATS_TEST_TMPDIR/fresh.eml
	make_message "$msg" 1500 freshtoken42
	tandem_start
	run -0 lmtp_send --file "$msg" alice@example.test
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'b1 SEARCH BODY freshtoken42\r\n' --expect b1 \
		--send 'b2 SEARCH BODY stale-token\r\n' --expect b2
	run -0 grep -E '^(\* SEARCH|b[0-9] )' <<<"$output"
	assert_output - <<'OUT'
* SEARCH 1
b1 OK SEARCH completed
* SEARCH
b2 OK SEARCH completed
OUT
	wait_indexed 1
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'b3 SEARCH BODY FreshToken42\r\n' --expect b3
	run -0 grep -E '^(\* SEARCH|b[0-9] )' <<<"$output"
	assert_output - <<'OUT'
* SEARCH 1
b3 OK SEARCH completed
OUT
	run -0 grep -oE 'imap search-index hits=[0-9]+ unindexed=[0-9]+ key=BODY' "$TANDEM_LOG"
	assert_line --index 2 'imap search-index hits=1 unindexed=0 key=BODY'
}

@test "IMAP FTS: SEARCH BODY finds a message delivered a moment ago, then from the SQLite index" {
	tandem_config fulltext_index=yes
	fresh_search
}

@test "IMAP FTS: SEARCH BODY finds a message delivered a moment ago, then from the PostgreSQL index" {
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "no PostgreSQL: $(cat "$BATS_TEST_TMPDIR/pg.err")"
	fi
	tandem_config fulltext_index=yes database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	fresh_search
}
