#!/usr/bin/env bats
# managesieve.bats - the ManageSieve service (RFC 5804) from the outside:
# sieve-connect (Debian's client, over STARTTLS with a test certificate)
# uploading, listing, activating, downloading, checking and deleting a
# script; a script that does not compile refused with its line number and
# not stored; and raw protocol checks with tests/helpers/managesieve-client.py:
# the capability greeting, {n+} and {n} literals and quoted strings,
# RENAMESCRIPT and HAVESPACE, commands refused before AUTHENTICATE, bad
# SASL, AUTHENTICATE LOGIN with challenges and "*", the active script not
# deletable, size and count limits, garbage and absurd literals answered
# with NO/BYE (never a crash), the idle timeout. SQL accounts only.
# Certificates are made with openssl at test time.

load helpers/common
load helpers/managesieve
# (setup_file, setup, teardown, ms_start and ms: helpers/managesieve)

# sc ARGS...: sieve-connect as alice over STARTTLS, verifying the certificate.
sc() {
	timeout 60 sieve-connect -s 127.0.0.1 -p "$SIEVE_PORT" -u alice@example.test \
		--tlscafile "$CERTS/tls.crt" --tlshostname sieve.test --passwordfd 3 "$@" \
		3< <(printf 'alicepw\n')
}

GOOD_SCRIPT='require ["fileinto", "vacation"];
# file list mail
if header :contains "List-Id" "tandem" {
    fileinto "Lists";
    stop;
}
vacation :days 3 "I am away";
'

@test "ManageSieve: the greeting lists IMPLEMENTATION, SASL, SIEVE, STARTTLS, MAXREDIRECTS and VERSION" {
	ms_start
	run -0 ms <<<'greeting'
	assert_line '< "IMPLEMENTATION" "Tandem"'
	assert_line '< "SASL" "PLAIN LOGIN"'
	assert_line --regexp '^< "SIEVE" ".*fileinto.*"$'
	assert_line --regexp '^< "SIEVE" ".*vacation.*"$'
	assert_line '< "STARTTLS"'
	assert_line --regexp '^< "MAXREDIRECTS" "[0-9]+"$'
	assert_line '< "VERSION" "1.0"'
	assert_line --regexp '^< OK '
	refute_line --partial NOTIFY
}

@test "ManageSieve: sieve-connect uploads, lists, activates, downloads, checks and deletes a script over STARTTLS" {
	command -v sieve-connect >/dev/null || fail "sieve-connect (Debian package sieve-connect) is not installed"
	ms_start
	local script=$BATS_TEST_TMPDIR/filters.sieve
	printf '%s' "$GOOD_SCRIPT" >"$script"
	run -0 sc --localsieve "$script" --remotesieve filters --upload
	run -0 sc --list
	assert_line '"filters"'
	run -0 sc --remotesieve filters --activate
	run -0 sc --list
	assert_line '"filters" ACTIVE'
	run -0 sc --remotesieve filters --localsieve "$BATS_TEST_TMPDIR/back.sieve" --download
	cmp "$script" "$BATS_TEST_TMPDIR/back.sieve" || fail "downloaded script differs"
	run -0 sc --localsieve "$script" --checkscript
	# the active one cannot go; deactivated, it can
	run sc --remotesieve filters --delete
	[ "$status" -ne 0 ] || fail "deleting the active script: got success, want failure"
	assert_output --partial 'NO (ACTIVE)'
	run -0 sc --deactivate
	run -0 sc --remotesieve filters --delete
	run -0 sc --list
	refute_output --partial 'filters'
	grep -q 'managesieve login user=alice@example.test mech=plain' "$TANDEM_LOG" ||
		fail "no login line in the log"
	grep -q 'managesieve starttls' "$TANDEM_LOG" || fail "sieve-connect did not use STARTTLS"
}

@test "ManageSieve: a broken script is refused with its line number and not stored" {
	ms_start
	local bad=$BATS_TEST_TMPDIR/bad.sieve
	printf 'require "fileinto";\nif true {\n  fileint "Junk";\n}\n' >"$bad"
	run ms <<EOF
greeting
!auth alice@example.test alicepw
!put broken $bad
CHECKSCRIPT {13+}\r\nif true { foo
LISTSCRIPTS
EOF
	assert_success
	assert_line --regexp '^< NO "line 3: .*"$'
	assert_line --regexp '^< NO "line 1: .*"$'
	refute_line --partial '"broken"'
	assert_line '< OK "Listscripts completed"'
	command -v sieve-connect >/dev/null || fail "sieve-connect (Debian package sieve-connect) is not installed"
	run sc --localsieve "$bad" --remotesieve broken --upload
	[ "$status" -ne 0 ] || fail "sieve-connect uploading a broken script: got success, want failure"
	assert_output --partial 'line 3'
	grep -q 'managesieve script_invalid user=alice@example.test error="line 3' "$TANDEM_LOG" ||
		fail "no script_invalid line in the log"
}

@test "ManageSieve: {n+} and {n} literals and quoted strings; GETSCRIPT returns the bytes stored; RENAMESCRIPT and HAVESPACE" {
	ms_start
	run -0 ms <<'EOF'
greeting
!auth alice@example.test alicepw
PUTSCRIPT "one" {6+}\r\nkeep;\n
PUTSCRIPT {3}\r\ntwo {17}\r\nredirect "a@b.c";
PUTSCRIPT "qu\"ote" "discard;"
HAVESPACE "four" 1000
LISTSCRIPTS
GETSCRIPT "two"
RENAMESCRIPT "one" "uno"
RENAMESCRIPT "uno" "two"
RENAMESCRIPT "none" "x"
GETSCRIPT "one"
GETSCRIPT "qu\"ote"
NOOP "tag-42"
LOGOUT
EOF
	[ "$(grep -c '^< OK "Script stored"$' <<<"$output")" -eq 3 ] || fail "want 3 stored: $output"
	assert_line '< OK "Putscript would succeed"'
	assert_line '< "one"'
	assert_line '< "qu\"ote"'
	assert_line '< {17}'
	assert_line '| redirect "a@b.c";'
	assert_line '< OK "Script renamed"'
	assert_line '< NO (ALREADYEXISTS) "A script by the new name exists"'
	assert_line '< NO (NONEXISTENT) "There is no script by that name"'
	assert_line '| discard;'
	assert_line '< OK (TAG "tag-42") "Done"'
	assert_line '< OK "Logout completed"'
}

@test "ManageSieve: commands before AUTHENTICATE are refused, bad SASL fails, LOGIN takes challenges and \"*\" cancels" {
	ms_start
	run -0 ms <<'EOF'
greeting
LISTSCRIPTS
PUTSCRIPT "x" "keep;"
AUTHENTICATE "DIGEST-MD5"
AUTHENTICATE "PLAIN" "!!notbase64"
!auth alice@example.test wrongpw
!send AUTHENTICATE "PLAIN"\r\n
!readline
"*"
!send AUTHENTICATE "LOGIN"\r\n
!readline
!send "YWxpY2VAZXhhbXBsZS50ZXN0"\r\n
!readline
!send {12+}\r\nYWxpY2Vwdw==\r\n
!read
LISTSCRIPTS
EOF
	[ "$(grep -c '^< NO "Authenticate first"$' <<<"$output")" -eq 2 ] || fail "want 2 refusals: $output"
	assert_line '< NO "Unsupported authentication mechanism"'
	assert_line '< NO "Invalid base64 in the SASL response"'
	assert_line '< NO "Authentication failed"'
	assert_line '< ""'
	assert_line '< NO "Authentication cancelled"'
	assert_line '< "VXNlcm5hbWU6"'
	assert_line '< "UGFzc3dvcmQ6"'
	assert_line '< OK "Logged in"'
	assert_line '< OK "Listscripts completed"'
	grep -q 'managesieve login user=alice@example.test mech=login' "$TANDEM_LOG" ||
		fail "no LOGIN login in the log"
	! grep -q 'alicepw\|wrongpw' "$TANDEM_LOG" || fail "a password is in the log"

	run -0 ms <<'EOF'
greeting
!auth alice@example.test bad1
!auth alice@example.test bad2
!auth alice@example.test bad3
!expect-close 10
EOF
	assert_line '< BYE "Too many authentication failures"'
	assert_line 'CLOSED'
}

@test "ManageSieve: the active script cannot be deleted; SETACTIVE \"\" deactivates; unknown names are NONEXISTENT" {
	ms_start
	run -0 ms <<'EOF'
greeting
!auth alice@example.test alicepw
PUTSCRIPT "a" "keep;"
SETACTIVE "a"
DELETESCRIPT "a"
LISTSCRIPTS
SETACTIVE "nope"
DELETESCRIPT "nope"
GETSCRIPT "nope"
SETACTIVE ""
LISTSCRIPTS
DELETESCRIPT "a"
LISTSCRIPTS
EOF
	assert_line '< NO (ACTIVE) "The active script cannot be deleted"'
	assert_line '< "a" ACTIVE'
	[ "$(grep -c '^< NO (NONEXISTENT)' <<<"$output")" -eq 3 ] || fail "want 3 NONEXISTENT: $output"
	assert_line '< OK "No script is active"'
	assert_line '< "a"'
	assert_line '< OK "Script deleted"'
}

@test "ManageSieve: over-size scripts get NO (QUOTA/MAXSIZE), one too many NO (QUOTA/MAXSCRIPTS), and HAVESPACE says so first" {
	ms_start sieve_max_script_size=100 sieve_max_scripts=2
	local big=$BATS_TEST_TMPDIR/big.sieve
	{ for i in $(seq 1 20); do printf '# comment line %d\n' "$i"; done; printf 'keep;\n'; } >"$big"
	local huge=$BATS_TEST_TMPDIR/huge.sieve
	head -c 200000 /dev/zero | tr '\0' '#' >"$huge"
	run -0 ms <<EOF
greeting
!auth alice@example.test alicepw
HAVESPACE "big" 101
!put big $big
!put huge $huge
PUTSCRIPT "one" "keep;"
PUTSCRIPT "two" "keep;"
HAVESPACE "three" 10
PUTSCRIPT "three" "keep;"
HAVESPACE "two" 10
PUTSCRIPT "two" "discard;"
LISTSCRIPTS
EOF
	[ "$(grep -c '^< NO (QUOTA/MAXSIZE)' <<<"$output")" -eq 3 ] || fail "want 3 MAXSIZE: $output"
	[ "$(grep -c '^< NO (QUOTA/MAXSCRIPTS)' <<<"$output")" -eq 2 ] || fail "want 2 MAXSCRIPTS: $output"
	# replacing an existing script is not one more
	[ "$(grep -c '^< OK "Script stored"$' <<<"$output")" -eq 3 ] || fail "want 3 stored: $output"
	assert_line '< OK "Putscript would succeed"'
	refute_line '< "big"'
	refute_line '< "huge"'
	refute_line '< "three"'
}

@test "ManageSieve: garbage, overlong lines and absurd literals get NO or BYE, never a crash" {
	ms_start
	run -0 ms <<'EOF'
greeting
!send \x00\x01\x02\xff\xfe garbage\r\n
!read
(((
!send NOOP "unterminated\r\n
!read
!send CAPABILITY extra args here and more\r\n
!read
!send \r\n
!read
NOOP {3+}\r\nabc
EOF
	[ "$(grep -c '^< NO ' <<<"$output")" -ge 5 ] || fail "want NO replies: $output"
	assert_line '< NO "empty command"'
	assert_line '< OK (TAG "abc") "Done"'

	local long
	long=$(head -c 10000 /dev/zero | tr '\0' 'A')
	run -0 ms <<EOF
greeting
!send NOOP "$long"\r\n
!read
CAPABILITY
EOF
	assert_line '< NO "line too long"'
	assert_line '< "VERSION" "1.0"'

	# before login no literal may be bigger than a line: read, dropped, refused
	run -0 ms <<EOF
greeting
!send PUTSCRIPT "x" {60000+}\r\n
!send $(head -c 60000 /dev/zero | tr '\0' 'k')\r\n
!read
CAPABILITY
EOF
	assert_line '< NO (QUOTA/MAXSIZE) "too big"'
	assert_line '< "VERSION" "1.0"'

	run -0 ms <<'EOF'
greeting
!send PUTSCRIPT "x" {99999999999+}\r\n
!expect-close 10
EOF
	assert_line '< BYE "bad literal size"'
	assert_line 'CLOSED'

	# ten bad commands close the session
	run -0 ms <<'EOF'
greeting
!send BAD1\r\nBAD2\r\nBAD3\r\nBAD4\r\nBAD5\r\nBAD6\r\nBAD7\r\nBAD8\r\nBAD9\r\nBAD10\r\n
!expect-close 10
EOF
	assert_line '< BYE "Too many errors"'
	assert_line 'CLOSED'
	# still alive
	run -0 ms <<<'greeting'
	assert_line '< "VERSION" "1.0"'
}

@test "ManageSieve: an idle client is disconnected with BYE after managesieve_idle_timeout" {
	ms_start managesieve_idle_timeout=2
	run -0 ms <<'EOF'
greeting
!expect-close 8
EOF
	assert_line '< BYE "Disconnected for inactivity"'
	assert_line 'CLOSED'
	grep -q 'managesieve idle_timeout state=nonauth' "$TANDEM_LOG" || fail "no idle_timeout log line"
}

@test "ManageSieve: without TLS and plaintext_auth_loopback=no, no SASL mechanism is offered and AUTHENTICATE is ENCRYPT-NEEDED; after STARTTLS it works" {
	ms_start plaintext_auth_loopback=no
	run -0 ms <<'EOF'
greeting
!auth alice@example.test alicepw
!starttls
!auth alice@example.test alicepw
LISTSCRIPTS
EOF
	assert_line '< "SASL" ""'
	assert_line --regexp '^< NO \(ENCRYPT-NEEDED\) '
	assert_line --regexp '^TLS TLSv1\.[23]$'
	assert_line '< "SASL" "PLAIN LOGIN"'
	assert_line '< OK "Logged in"'
	assert_line '< OK "Listscripts completed"'
}
