#!/usr/bin/env bash
# run-tests.sh - run the unit tests (cmocka), the fuzz corpus replays and the
# bats integration suites against the binaries in $BUILD, then print one
# summary line "N passed, N failed, N skipped". Exit 1 if anything failed.
# The IMAP, POP3, ManageSieve, Sieve delivery and quota grace suites
# (tests/imap*.bats, tests/pop3*.bats, managesieve.bats, sieve-delivery.bats,
# quota-grace.bats) run twice: on SQLite, then on a scratch PostgreSQL server
# (their tests marked "[pgsql]"); set TANDEM_TEST_PGSQL=no to skip that
# second pass.
# The two-node appliance suite (tests/ha) runs alone in "ha" (make
# check-ha); TANDEM_TEST_HA=no skips it.
# Usage: tests/run-tests.sh [unit|bats|ha|all] [bats files...]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/asan}
export BUILD
what=${1:-all}
[ $# -gt 0 ] && shift

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
# GLib (under GMime) must not keep slices the leak checker cannot see
export G_SLICE=always-malloc G_DEBUG=gc-friendly

passed=0 failed=0 skipped=0
failures=()
log_dir=$BUILD/test-logs
mkdir -p "$log_dir"

# The storage unit tests run on SQLite and, when TANDEM_TEST_PGSQL_URI is
# set, on PostgreSQL too: start a throwaway server for them.
pg_dir=""
start_unit_pgsql() {
	[ -n "${TANDEM_TEST_PGSQL_URI:-}" ] && return 0
	pg_dir=$(mktemp -d /tmp/tandem-unit-pg.XXXXXX)
	if uri=$(tests/helpers/pgsql-start.sh "$pg_dir" 2>"$log_dir/pgsql-start.log"); then
		# the directory too: test-db-pgsql restarts the server through it
		export TANDEM_TEST_PGSQL_URI=$uri TANDEM_TEST_PGSQL_DIR=$pg_dir
		echo "unit: PostgreSQL test server at $uri"
	else
		echo "unit: PostgreSQL test server did not start (see $log_dir/pgsql-start.log): its tests skip"
	fi
}
stop_unit_pgsql() {
	if [ -n "$pg_dir" ]; then
		tests/helpers/pgsql-stop.sh "$pg_dir" >/dev/null 2>&1
		rm -rf "$pg_dir"
		unset TANDEM_TEST_PGSQL_URI TANDEM_TEST_PGSQL_DIR
	fi
}

cmocka_sum() {
	awk -v what="$1" '$0 ~ "^\\[ +" what " *\\] [0-9]+ test" && match($0, /\] [0-9]+ /) {
		n += substr($0, RSTART + 2, RLENGTH - 3) } END { print n + 0 }' "$2"
}

run_unit() {
	local t name out rc p f
	start_unit_pgsql
	while IFS= read -r t; do
		name=${t#"$BUILD"/tests/}
		out="$log_dir/$(echo "$name" | tr / _).log"
		"$t" >"$out" 2>&1
		rc=$?
		# a binary may run several groups: add up their summary lines
		p=$(cmocka_sum PASSED "$out")
		f=$(cmocka_sum FAILED "$out")
		s=$(cmocka_sum SKIPPED "$out")
		p=${p:-0} f=${f:-0} s=${s:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1 # crashed or sanitizer report
		fi
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		if [ "$f" -gt 0 ]; then
			failures+=("unit $name (log: $out)")
			echo "FAIL unit $name"; tail -n 30 "$out" | sed 's/^/    /'
		else
			echo "ok   unit $name ($p passed, $s skipped)"
		fi
	done < <(find "$BUILD/tests" -type f -name 'test-*' -perm -u+x 2>/dev/null | sort)
	stop_unit_pgsql
}

run_replay() {
	local r target corpus out
	while IFS= read -r r; do
		target=$(basename "$r")
		corpus=tests/fuzz-corpus/${target#fuzz-}
		out="$log_dir/replay-$target.log"
		if [ ! -d "$corpus" ]; then
			echo "FAIL replay $target: no corpus at $corpus"
			failed=$((failed + 1)); failures+=("replay $target")
			continue
		fi
		if "$r" "$corpus" >"$out" 2>&1; then
			echo "ok   replay $target ($(find "$corpus" -type f | wc -l) inputs)"
			passed=$((passed + 1))
		else
			echo "FAIL replay $target (log: $out)"; tail -n 30 "$out" | sed 's/^/    /'
			failed=$((failed + 1)); failures+=("replay $target")
		fi
	done < <(find "$BUILD/replay" -type f -name 'fuzz-*' -perm -u+x 2>/dev/null | sort)
}

# Suites that run once only: they pick their backends themselves (or need
# one), or carry the line "# run-tests: one backend".
bats_one_backend=(tests/imap-fts.bats tests/imap-idle-pgsql.bats)

# bats_pass LABEL FILES...: one bats run; LABEL ("" or "[pgsql] ") marks the
# test names in the output and in the failure list.
bats_pass() {
	local label=$1 out line
	shift
	# a private file while counting (several runs may share $BUILD), then
	# the usual name
	local tag=${label//[^a-z]/}
	local final="$log_dir/bats${tag:+-$tag}.tap"
	out="$final.$$"
	: >"$out"
	bats --tap "$@" 2>&1 | tee "$out" | while IFS= read -r line; do
		case "$line" in
		"ok "*"# skip"*) echo "skip $label$line" ;;
		"ok "*) echo "ok   $label${line#ok }" ;;
		"not ok "*) echo "FAIL $label${line#not ok }" ;;
		"#"*) echo "    $line" ;;
		esac
	done
	local p f s
	s=$(grep -c '^ok .*# skip' "$out")
	p=$(($(grep -c '^ok ' "$out") - s))
	f=$(grep -c '^not ok ' "$out")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" -gt 0 ]; then
		while IFS= read -r line; do failures+=("bats $label${line#not ok }"); done < <(grep '^not ok ' "$out")
	fi
	if ! grep -q '^1\.\.' "$out"; then
		echo "FAIL bats ${label}did not run (see $final)"; failed=$((failed + 1)); failures+=("bats ${label}run")
	fi
	mv -f "$out" "$final"
}

# The suites named at the top again on PostgreSQL: one scratch server for the pass, a
# fresh database per test (tests/helpers/common.bash, tandem_config).
bats_pgsql_pass() {
	local f one pgsql_files=() dir uri
	for f in "$@"; do
		case "${f#./}" in tests/imap*.bats | tests/pop3*.bats | tests/managesieve.bats | \
			tests/sieve-delivery.bats | tests/quota-grace.bats) ;;
		*) continue ;;
		esac
		for one in "${bats_one_backend[@]}"; do
			[ "$f" -ef "$one" ] && continue 2
		done
		grep -q '^# run-tests: one backend' "$f" && continue
		pgsql_files+=("$f")
	done
	[ ${#pgsql_files[@]} -gt 0 ] || return 0
	if [ "${TANDEM_TEST_PGSQL:-}" = no ]; then
		echo "skip [pgsql] the IMAP and POP3 suites on PostgreSQL: TANDEM_TEST_PGSQL=no"
		skipped=$((skipped + 1))
		return 0
	fi
	dir=$(mktemp -d /tmp/tandem-bats-pg.XXXXXX)
	if ! uri=$(tests/helpers/pgsql-start.sh "$dir" 2>"$log_dir/pgsql-bats-start.log"); then
		echo "skip [pgsql] the IMAP suites on PostgreSQL: the server did not start (see $log_dir/pgsql-bats-start.log)"
		skipped=$((skipped + 1))
		rm -rf "$dir"
		return 0
	fi
	echo "bats: the IMAP suites again on PostgreSQL ($uri)"
	local start=$SECONDS
	TANDEM_TEST_BACKEND=pgsql TANDEM_TEST_PGSQL_SERVER=$uri bats_pass "[pgsql] " "${pgsql_files[@]}"
	echo "bats: PostgreSQL pass took $((SECONDS - start)) s"
	tests/helpers/pgsql-stop.sh "$dir" >/dev/null 2>&1
	rm -rf "$dir"
}

run_bats() {
	local files=("$@")
	[ ${#files[@]} -gt 0 ] || files=(tests/*.bats)
	bats_pass "" "${files[@]}"
	bats_pgsql_pass "${files[@]}"
}

# The two-node appliance suite (tests/ha/appliance.bats): builds the node
# image (make image, plain build) and boots two guests (about 25 minutes);
# on its own, so nothing else runs beside the guests. It skips, saying why,
# where it cannot run.
run_ha() {
	local start=$SECONDS
	echo "ha: the two-node suite (make image, two User-Mode Linux nodes; tests/ha)"
	bats_pass "[ha] " tests/ha/appliance.bats
	echo "ha: took $((SECONDS - start)) s; outages: build/ha/outages.txt"
}

case "$what" in
unit) run_unit; run_replay ;;
bats) run_bats "$@" ;;
ha) run_ha ;;
all) run_unit; run_replay; run_bats "$@" ;;
*) echo "usage: $0 [unit|bats|ha|all] [bats files...]" >&2; exit 2 ;;
esac

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
