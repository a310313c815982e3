#!/usr/bin/env bats
# imap-ldap.bats - IMAP logins of users kept in a domain's directory
# (LDAP/AD, a real scratch slapd with tests/ldap/directory.ldif), end to
# end: AD login names, the mailbox created at the first login, every reason
# a login is refused, the directory down (NO [UNAVAILABLE], never "wrong
# password"), failover between URIs, LDAP over TLS (StartTLS, ldaps://),
# the auth log and the throttle's growing delay.

setup() {
	load helpers/common
	[ -x /usr/sbin/slapd ] || skip "slapd is not installed (Debian package slapd)"
	LDAP_PORT=$(free_port)
	LDAPS_PORT=$(free_port)
	SLAPD_TLS_PORT=$LDAPS_PORT run -0 "$HELPERS/slapd-start.sh" "$BATS_TEST_TMPDIR/slapd" \
		"$LDAP_PORT" tls
	mkdir -p "$BATS_TEST_TMPDIR/ldap.d"
	ldap_conf "uri = ldap://127.0.0.1:$LDAP_PORT/"
	tandem_config "ldap_domains_dir=$BATS_TEST_TMPDIR/ldap.d" auth_default_domain=example.test \
		auth_failure_delay_ms=200 auth_failure_delay_max_ms=5000
	tandem_migrate
	tandemctl domain add example.test >/dev/null
	tandem_start
}

teardown() {
	tandem_stop_all
	[ -z "${LDAP_PORT:-}" ] || "$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
}

# ldap_conf LINE...: example.test.conf with the AD settings and LINEs.
ldap_conf() {
	{
		printf '%s\n' "$@"
		cat <<CONF
base = dc=example,dc=test
bind_dn = cn=tandem,ou=Services,dc=example,dc=test
bind_password = service-secret
user_filter = (&(objectClass=user)(sAMAccountName=%n))
recipient_filter = (|(mail=%u)(proxyAddresses=smtp:%u))
alias_attribute = proxyAddresses
required_group = cn=MailUsers,ou=Groups,dc=example,dc=test
timeout = 2
CONF
	} >"$BATS_TEST_TMPDIR/ldap.d/example.test.conf"
}

# restart_tandem: tandemd again, reading the changed LDAP settings.
restart_tandem() {
	tandem_stop
	tandem_start
}

# login USER PASSWORD [SOURCE_ADDRESS]: one IMAP LOGIN; prints
# "OK <seconds>" or "NO <text> <seconds>" (the time the reply took).
login() {
	"$PYTHON" - "$IMAP_PORT" "$1" "$2" "${3:-127.0.0.1}" <<'EOF'
import socket, sys, time
port, user, password, source = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=20, source_address=(source, 0))
f = s.makefile("rb")
f.readline()
start = time.monotonic()
s.sendall(b'a1 LOGIN "%s" "%s"\r\n' % (user.encode(), password.encode()))
while True:
    line = f.readline().decode(errors="replace").rstrip("\r\n")
    if not line or line.startswith("a1 "):
        break
took = time.monotonic() - start
s.sendall(b"a2 LOGOUT\r\n")
print("%s %.3f" % (line[3:] if line else "CLOSED", took))
EOF
}

@test "IMAP LDAP: an AD user logs in by sAMAccountName and by address; the first login creates the mailbox" {
	run tandemctl user show alice@example.test
	assert_failure
	run -0 imap_client lib 'M.login("alice", "alice-pw")' 'M.list()'
	assert_line --regexp "^\('OK', \[b'\[CAPABILITY .*\] logged in'\]\)"
	assert_output --regexp '\\Sent[^]]*"Sent"'
	assert_output --partial '"INBOX"'
	assert_output --partial '"Drafts"'
	assert_output --partial '"Trash"'
	run -0 tandemctl user show alice@example.test
	assert_output --partial "ldap"
	# the directory's other address became an alias of hers
	run -0 tandemctl alias list
	assert_output --partial "a.smith@example.test"
	run -0 imap_client lib 'M.login("alice@example.test", "alice-pw")' 'M.select("INBOX")'
	assert_line --regexp "^\('OK', \[b'0'\]\)"
}

@test "IMAP LDAP: wrong password, disabled, locked and outside the group are AUTHENTICATIONFAILED, with reasons in the auth log" {
	local who
	for who in "alice wrong-pw" "dave dave-pw" "erin erin-pw" "carol carol-pw" "nobody x"; do
		run -0 login ${who% *} ${who#* }
		assert_output --regexp '^NO \[AUTHENTICATIONFAILED\] '
	done
	run -0 tandemctl auth failures --all
	echo "$output"
	assert_line --regexp 'failed +alice@example.test password'
	assert_line --regexp 'failed +dave@example.test disabled'
	assert_line --regexp 'failed +erin@example.test locked'
	assert_line --regexp 'failed +carol@example.test group'
	assert_line --regexp 'failed +nobody@example.test user'
	# none of them got a mailbox
	run tandemctl user show dave@example.test
	assert_failure
}

@test "IMAP LDAP: the directory down is NO [UNAVAILABLE], never a wrong password" {
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
	run -0 login bob bob-pw
	assert_output --regexp '^NO \[UNAVAILABLE\] '
	run -0 login bob wrong
	assert_output --regexp '^NO \[UNAVAILABLE\] '
	run -0 grep -c "auth-unavailable" "$TANDEM_LOG"
	[ "$output" -ge 2 ]
	run tandemctl user show bob@example.test
	assert_failure
}

@test "IMAP LDAP: a second URI takes over when the first does not answer" {
	local dead
	dead=$(free_port)
	ldap_conf "uri = ldap://127.0.0.1:$dead/ ldap://127.0.0.1:$LDAP_PORT/"
	restart_tandem
	run -0 login bob bob-pw
	assert_output --regexp '^OK '
	run -0 login bob wrong
	assert_output --regexp '^NO \[AUTHENTICATIONFAILED\] '
}

@test "IMAP LDAP: StartTLS with the directory's CA logs in; a wrong CA is UNAVAILABLE" {
	ldap_conf "uri = ldap://127.0.0.1:$LDAP_PORT/" "starttls = yes" \
		"tls_ca_file = $BATS_TEST_TMPDIR/slapd/tls/ca.pem" "tls_verify = yes"
	restart_tandem
	run -0 login bob bob-pw
	assert_output --regexp '^OK '
	run -0 login bob wrong
	assert_output --regexp '^NO \[AUTHENTICATIONFAILED\] '
	# a CA that did not sign the server's certificate: cannot tell, not "wrong password"
	ldap_conf "uri = ldap://127.0.0.1:$LDAP_PORT/" "starttls = yes" \
		"tls_ca_file = $BATS_TEST_TMPDIR/slapd/tls/other-ca.pem" "tls_verify = yes"
	restart_tandem
	run -0 login alice alice-pw
	assert_output --regexp '^NO \[UNAVAILABLE\] '
	run tandemctl user show alice@example.test
	assert_failure
}

@test "IMAP LDAP: ldaps:// with the directory's CA logs in" {
	ldap_conf "uri = ldaps://127.0.0.1:$LDAPS_PORT/" \
		"tls_ca_file = $BATS_TEST_TMPDIR/slapd/tls/ca.pem" "tls_verify = yes"
	restart_tandem
	run -0 login alice alice-pw
	assert_output --regexp '^OK '
	ldap_conf "uri = ldaps://127.0.0.1:$LDAPS_PORT/" \
		"tls_ca_file = $BATS_TEST_TMPDIR/slapd/tls/other-ca.pem" "tls_verify = yes"
	restart_tandem
	run -0 login alice alice-pw
	assert_output --regexp '^NO \[UNAVAILABLE\] '
}

@test "IMAP LDAP: failed logins from one address make the next replies come later; a success clears the account" {
	local took=() out n
	for n in 1 2 3 4; do
		out=$(login bob "wrong-$n")
		echo "attempt $n: $out"
		[[ $out == "NO [AUTHENTICATIONFAILED]"* ]] || fail "attempt $n: got '$out', want NO [AUTHENTICATIONFAILED]"
		took+=("${out##* }")
	done
	# 200 ms base, doubling: ~0, 0.2, 0.4, 0.8 s
	"$PYTHON" - "${took[@]}" <<'EOF'
import sys
t = [float(x) for x in sys.argv[1:]]
assert t[0] < 0.2, "first attempt: got %.3f s, want < 0.2" % t[0]
assert t[1] >= 0.15, "second attempt: got %.3f s, want >= 0.15" % t[1]
assert t[2] >= t[1] + 0.1, "third attempt: got %.3f s, want >= %.3f" % (t[2], t[1] + 0.1)
assert t[3] >= t[2] + 0.2, "fourth attempt: got %.3f s, want >= %.3f" % (t[3], t[2] + 0.2)
EOF
	# the account's score alone: failures from 127.0.0.2 slow alice down
	# from 127.0.0.3 too; her success there clears it for 127.0.0.4
	for n in 1 2 3; do
		run -0 login alice "wrong-$n" 127.0.0.2
	done
	run -0 login alice alice-pw 127.0.0.3
	assert_output --regexp '^OK '
	local slowed=${output##* }
	run -0 login alice alice-pw 127.0.0.4
	assert_output --regexp '^OK '
	local fresh=${output##* }
	echo "account-delayed: $slowed s, after success: $fresh s"
	"$PYTHON" -c "import sys; a, b = float('$slowed'), float('$fresh'); \
assert a >= 0.3, 'delayed login: got %.3f s, want >= 0.3' % a; \
assert b < a - 0.2, 'after success: got %.3f s, want < %.3f' % (b, a - 0.2)"
	run -0 grep -E "auth-ok user=alice .*client=127\.0\.0\.4 delay_ms=0" "$TANDEM_LOG"
	run -0 grep -E "auth-ok user=alice .*client=127\.0\.0\.3 delay_ms=[1-9]" "$TANDEM_LOG"
}
