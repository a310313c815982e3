#!/usr/bin/env bats
# lmtp-ldap.bats - direct LMTP delivery to users kept in a domain's
# directory (LDAP/AD, a real scratch slapd with tests/ldap/directory.ldif):
# the first mail creates the user, a directory alias reaches its user, an
# address the directory does not know is 550, and a directory that cannot
# answer is 451 (the client retries) - never a bounce.

setup() {
	load helpers/common
	[ -x /usr/sbin/slapd ] || skip "slapd is not installed (Debian package slapd)"
	LDAP_PORT=$(free_port)
	run -0 "$HELPERS/slapd-start.sh" "$BATS_TEST_TMPDIR/slapd" "$LDAP_PORT"
	mkdir -p "$BATS_TEST_TMPDIR/ldap.d"
	cat >"$BATS_TEST_TMPDIR/ldap.d/example.test.conf" <<CONF
uri = ldap://127.0.0.1:$LDAP_PORT/
base = dc=example,dc=test
bind_dn = cn=tandem,ou=Services,dc=example,dc=test
bind_password = service-secret
user_filter = (&(objectClass=user)(sAMAccountName=%n))
recipient_filter = (|(mail=%u)(proxyAddresses=smtp:%u))
alias_attribute = proxyAddresses
required_group = cn=MailUsers,ou=Groups,dc=example,dc=test
timeout = 2
CONF
	tandem_config "ldap_domains_dir=$BATS_TEST_TMPDIR/ldap.d" auth_default_domain=example.test
	tandem_migrate
	tandemctl domain add example.test >/dev/null
	tandem_start
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 500 ldaptoken1
}

teardown() {
	tandem_stop_all
	if [ -n "${LDAP_PORT:-}" ]; then
		"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
		"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd2"
	fi
}

# count_messages ADDRESS: how many messages the user has (all mailboxes).
count_messages() {
	local dir
	dir=$(mktemp -u "$BATS_TEST_TMPDIR/export-XXXXXX")
	export_user "$1" "$dir" >/dev/null || return 1
	read_message count "$dir"
}

@test "LMTP: the first mail to a directory user creates the user and is delivered" {
	run tandemctl user show bob@example.test
	assert_failure
	run -0 lmtp_send --file "$MSG" bob@example.test
	assert_line --regexp '^RCPT bob@example.test 250 '
	assert_line --regexp '^DATA bob@example.test 250 '
	run -0 tandemctl user show bob@example.test
	assert_output --partial "ldap"
	run -0 count_messages bob@example.test
	assert_output 1
	# the second mail finds the user in storage
	run -0 lmtp_send --file "$MSG" bob@example.test
	run -0 count_messages bob@example.test
	assert_output 2
	run -0 grep -c "rcpt_directory_lookup" "$TANDEM_LOG"
	assert_output 1
}

@test "LMTP: a directory alias reaches its user; +detail works the first time too" {
	run -0 lmtp_send --file "$MSG" a.smith@example.test
	assert_line --regexp '^RCPT a.smith@example.test 250 '
	assert_line --regexp '^DATA a.smith@example.test 250 '
	run -0 tandemctl user show alice@example.test
	run -0 count_messages alice@example.test
	assert_output 1
	run -0 lmtp_send --file "$MSG" erin+lists@example.test
	assert_line --regexp '^DATA erin\+lists@example.test 250 '
	run -0 count_messages erin@example.test
	assert_output 1
}

@test "LMTP: an address the directory does not know, or outside its group, gets 550 5.1.1" {
	run lmtp_send --file "$MSG" nobody@example.test carol@example.test bob@example.test
	assert_line --regexp '^RCPT nobody@example.test 550 5\.1\.1'
	assert_line --regexp '^RCPT carol@example.test 550 5\.1\.1'
	assert_line --regexp '^DATA bob@example.test 250 '
	run tandemctl user show nobody@example.test
	assert_failure
	run tandemctl user show carol@example.test
	assert_failure
}

@test "LMTP: pipelined RCPTs that wait for the directory keep their replies in order" {
	run -0 lmtp_raw --send 'LHLO x\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<nobody2@example.test>\r\nRCPT TO:<a.smith@example.test>\r\nNOOP\r\nQUIT\r\n' --wait 14
	local replies
	replies=$(grep -E '^(550|250 2\.1\.5|250 2\.0\.0|221)' <<<"$output" | cut -d' ' -f1,3)
	assert_equal "$replies" "$(printf '%s\n' '550 <nobody@example.test>:' '250 <bob@example.test>' \
		'550 <nobody2@example.test>:' '250 <a.smith@example.test>' '250 OK' '221 tandem.test')"
}

@test "LMTP: the directory down gives 451 4.4.3; the retry after it is back delivers" {
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
	run lmtp_send --file "$MSG" bob@example.test
	assert_failure
	assert_line --regexp '^RCPT bob@example.test 451 4\.4\.3'
	run tandemctl user show bob@example.test
	assert_failure
	run -0 grep "rcpt_directory_unavailable" "$TANDEM_LOG"
	# the client retries once the directory answers again
	run -0 "$HELPERS/slapd-start.sh" "$BATS_TEST_TMPDIR/slapd2" "$LDAP_PORT"
	local n=0
	until lmtp_send --file "$MSG" bob@example.test >"$BATS_TEST_TMPDIR/retry.out" ||
		[ "$n" -ge 10 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	run -0 cat "$BATS_TEST_TMPDIR/retry.out"
	assert_line --regexp '^DATA bob@example.test 250 '
	run -0 count_messages bob@example.test
	assert_output 1
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd2"
}

@test "LMTP: a client that disconnects while the directory is asked leaves the server well" {
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
	# the connection is gone before the auth service answers the RCPT
	run -0 lmtp_raw --send 'LHLO x\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<bob@example.test>\r\n' --wait 3 --close
	run -0 "$HELPERS/slapd-start.sh" "$BATS_TEST_TMPDIR/slapd2" "$LDAP_PORT"
	sleep 0.3
	run -0 lmtp_send --file "$MSG" bob@example.test
	assert_line --regexp '^DATA bob@example.test 250 '
	kill -0 "$TANDEM_PID"
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd2"
}
