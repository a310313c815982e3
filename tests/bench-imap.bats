#!/usr/bin/env bats
# bench-imap.bats - the IMAP benchmark's quick run (tests/bench/imap
# --quick): tandemd on SQLite under the benchmark's mixed IMAP load at 1
# and 10 clients, then 200 idle selected connections. A smoke test of the
# benchmark and of tandemd under concurrent IMAP load: no NO, no BAD, no
# broken connection, no sanitizer report. Performance figures are printed,
# never checked here.

setup() {
	load helpers/common
}

@test "IMAP benchmark: the quick run (tests/bench/imap --quick) gets no NO, BAD or broken connection and prints the memory per idle connection" {
	run "$TANDEM_ROOT/tests/bench/imap" --quick
	echo "$output" | tail -n 25
	[ "$status" -eq 0 ] || fail "tests/bench/imap --quick exited $status"
	assert_line --regexp '^1 +tandemd-sqlite +[0-9.]+ +[1-9][0-9]* +0 +0 +0 '
	assert_line --regexp '^10 +tandemd-sqlite +[0-9.]+ +[1-9][0-9]* +0 +0 +0 '
	assert_line --regexp '^10 +tandemd-sqlite +append +[1-9]'
	assert_line --regexp '^10 +tandemd-sqlite +expunge +[1-9]'
	assert_line --regexp '^memory  tandemd-sqlite: .* with 200 idle connections: -?[0-9.]+ KB per idle connection'
	refute_line --partial 'FAIL'
}
