#!/usr/bin/env bats
# crash.bats - a 250 is a promise: tandemd is SIGKILLed in the middle of a
# delivery load; after a restart every message that was answered 250 is
# there, and `tandemctl check` finds the database consistent. Messages that
# never got a reply may or may not be there; none may be half there.

USERS=8

setup() {
	load helpers/common
}

teardown() {
	[ -z "${FLOOD_PID:-}" ] || kill "$FLOOD_PID" 2>/dev/null || true
	tandem_stop_all
	pgsql_stop
}

# crash_and_verify: load, SIGKILL after enough 250s, restart, check.
crash_and_verify() {
	local u replies=$BATS_TEST_TMPDIR/replies
	for ((u = 0; u < USERS; u++)); do
		demo_user "user$u@example.test" pw
	done
	tandem_start
	: >"$replies"
	# 8 sessions x 400 messages: far more than get through before the kill
	lmtp_flood --conns 8 --per-conn 400 --users "$USERS" --rcpt 'user{n}@example.test' \
		--size 6000 --prefix k --timeout 30 --record "$replies" \
		>"$BATS_TEST_TMPDIR/flood.out" 2>&1 3>&- &
	FLOOD_PID=$!
	# kill once a good number of deliveries has been promised
	for ((u = 0; u < 600; u++)); do
		[ "$(grep -c ' 250 ' "$replies")" -ge 150 ] && break
		kill -0 "$FLOOD_PID" 2>/dev/null || break
		sleep 0.1
	done
	local promised_before
	promised_before=$(grep -c ' 250 ' "$replies" || true)
	[ "$promised_before" -ge 150 ] || {
		cat "$BATS_TEST_TMPDIR/flood.out"
		fail "only $promised_before deliveries answered 250 before the kill"
	}
	tandem_kill || fail "sanitizer report before the crash"
	wait "$FLOOD_PID" || true
	FLOOD_PID=
	local promised
	promised=$(awk '$2 == 250' "$replies" | wc -l)
	echo "# $promised messages answered 250 before SIGKILL" >&3
	grep -q 'errors=' "$BATS_TEST_TMPDIR/flood.out" || fail "the load generator did not finish"
	run grep -E ' (4|5)[0-9][0-9] ' "$replies"
	[ "$status" -ne 0 ] || fail "deliveries refused before the crash: ${output:0:300}"

	# restart: recovery must not lose or corrupt anything
	tandem_start
	tandem_stop
	run -0 tandemctl check
	: >"$BATS_TEST_TMPDIR/stored"
	for ((u = 0; u < USERS; u++)); do
		export_user "user$u@example.test" "$BATS_TEST_TMPDIR/export$u" ||
			fail "export of user$u failed"
		read_message tokens "$BATS_TEST_TMPDIR/export$u" >>"$BATS_TEST_TMPDIR/stored"
	done
	sort -o "$BATS_TEST_TMPDIR/stored" "$BATS_TEST_TMPDIR/stored"
	awk '$2 == 250 { print $1 }' "$replies" | sort >"$BATS_TEST_TMPDIR/promised"
	run comm -23 "$BATS_TEST_TMPDIR/promised" "$BATS_TEST_TMPDIR/stored"
	assert_output ""
	# every stored message is whole; stored without a reply can only be the
	# one message each session had in flight at the kill
	# (loops say u, not i: bats 1.8's `run -N` changes a variable named i)
	for ((u = 0; u < USERS; u++)); do
		run -0 read_message check-whole "$BATS_TEST_TMPDIR/export$u"
	done
	local unreplied
	unreplied=$(comm -13 <(awk '{ print $1 }' "$replies" | sort) "$BATS_TEST_TMPDIR/stored" | wc -l)
	[ "$unreplied" -le 8 ] || fail "$unreplied stored messages never got a reply (8 sessions)"
	echo "# $(wc -l <"$BATS_TEST_TMPDIR/stored") stored, $unreplied of them in flight at the kill" >&3
}

@test "crash: after SIGKILL during deliveries every message answered 250 is stored (SQLite)" {
	tandem_config
	crash_and_verify
}

@test "crash: after SIGKILL during deliveries every message answered 250 is stored (PostgreSQL)" {
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "PostgreSQL server cannot be started: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/pg.err")"
	fi
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	crash_and_verify
}
