#!/usr/bin/env bats
# readme.bats - the README tells the truth: its configuration table is the one
# tandemd generates from config-keys.h, and every tandemctl verb is documented.

setup() {
	load helpers/common
}

@test "README: the configuration table is exactly what tandemd --config-doc prints" {
	run -0 "$BUILD/tandemd" --config-doc
	local want=$output
	local got
	got=$(sed -n '/<!-- config-table-begin -->/,/<!-- config-table-end -->/p' README.md | sed '1d;$d')
	[ -n "$got" ] || fail "README.md has no config table between the markers"
	if [ "$got" != "$want" ]; then
		diff <(echo "$want") <(echo "$got") || true
		fail "README config table differs from tandemd --config-doc (regenerate it)"
	fi
}

@test "README: every tandemctl verb is documented" {
	run "$BUILD/tandemctl" --help
	local verbs
	verbs=$(echo "$output" | grep -oE '^  (domain|user|alias|mailbox|sieve|auth|import|export|check|migrate|stats)( [a-z]+)?' | sed 's/^  //' | sort -u)
	[ -n "$verbs" ] || fail "tandemctl --help lists no verbs"
	local verb missing=""
	while IFS= read -r verb; do
		grep -qF "tandemctl $verb" README.md || missing="$missing|$verb"
	done <<<"$verbs"
	[ -z "$missing" ] || fail "verbs missing from README: $missing"
}
