#!/usr/bin/env bats
# concurrency.bats - 1024 LMTP sessions at once, each delivering one message:
# every one is answered 250 (no 4xx: the group committer must absorb the
# burst, not defer it), exactly 1024 messages are stored, and
# `tandemctl check` finds the database consistent. On SQLite and PostgreSQL.

SESSIONS=1024
USERS=16

setup() {
	load helpers/common
}

teardown() {
	tandem_stop_all
	pgsql_stop
}

# flood_and_verify: create the users, start tandemd, run the sessions, check.
flood_and_verify() {
	local u
	for ((u = 0; u < USERS; u++)); do
		demo_user "user$u@example.test" pw
	done
	tandem_start
	run lmtp_flood --conns "$SESSIONS" --per-conn 1 --users "$USERS" \
		--rcpt 'user{n}@example.test' --size 3000 --prefix c --connect-all-first \
		--timeout 120 --verbose --record "$BATS_TEST_TMPDIR/replies"
	echo "$output" | tail -n 20
	assert_line --regexp "^sent=$SESSIONS r250=$SESSIONS r4xx=0 r5xx=0 errors=0 "
	[ "$status" -eq 0 ] || fail "lmtp-flood.py exited $status"
	tandem_stop
	# every token that got 250 is stored, and nothing else
	local total=0 n
	: >"$BATS_TEST_TMPDIR/stored"
	for ((u = 0; u < USERS; u++)); do
		export_user "user$u@example.test" "$BATS_TEST_TMPDIR/export$u" ||
			fail "export of user$u failed"
		n=$(read_message count "$BATS_TEST_TMPDIR/export$u")
		total=$((total + n))
		read_message tokens "$BATS_TEST_TMPDIR/export$u" >>"$BATS_TEST_TMPDIR/stored"
	done
	[ "$total" -eq "$SESSIONS" ] || fail "got $total messages stored, want $SESSIONS"
	run -0 diff <(awk '$2 == 250 { print $1 }' "$BATS_TEST_TMPDIR/replies" | sort) \
		<(sort "$BATS_TEST_TMPDIR/stored")
	run -0 tandemctl check
}

@test "concurrency: 1024 simultaneous LMTP sessions on SQLite all get 250 and all are stored" {
	tandem_config
	flood_and_verify
}

@test "concurrency: 1024 simultaneous LMTP sessions on PostgreSQL all get 250 and all are stored" {
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "PostgreSQL server cannot be started: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/pg.err")"
	fi
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	flood_and_verify
}

@test "concurrency: the LMTP benchmark's quick run (tests/bench/lmtp --quick) gets 250 for every message" {
	run "$TANDEM_ROOT/tests/bench/lmtp" --quick
	echo "$output" | tail -n 12
	[ "$status" -eq 0 ] || fail "tests/bench/lmtp --quick exited $status"
	assert_line --regexp '^4k-n1024 +tandemd-sqlite +1024 '
	assert_line --partial 'MET     4 KB at 1024 connections on sqlite'
}
