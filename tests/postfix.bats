#!/usr/bin/env bats
# postfix.bats - Postfix in front of tandemd, end to end, configured by
# postfix/apply.sh: mail to a user by port 25 is read over IMAP, unknown
# users are refused at RCPT (no backscatter), aliases and forwards route,
# submission needs TLS and AUTH (SQL and LDAP users), a user may send only
# as own addresses, and with tandemd down Postfix defers and delivers later.

load helpers/common
load helpers/postfix
load helpers/mailcheck

setup() {
	postfix_require
	SINK_PORT=$(free_port)
	sink_start "$SINK_PORT" "$BATS_TEST_TMPDIR/sink"
	postfix_config "$SINK_PORT"
	# tandemd's LMTP, SASL and lookup sockets in Postfix's private/ dir,
	# which postfix start creates: Postfix first
	postfix_start
	local lmtp_port
	lmtp_port=$(free_port)
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port,unix:$PF_QUEUE/private/tandem-lmtp" \
		"${PF_TANDEM_KEYS[@]}" "auth_failure_delay_ms=0"
	tandem_migrate
	demo_user alice@example.test alice-secret
	demo_user bob@example.test bob-secret
	tandemctl alias add info@example.test alice@example.test
	tandemctl alias add fwd@example.test friend@elsewhere.test
	tandem_start
}

teardown() {
	postfix_stop
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	tandem_stop_all
}

# swaks_to PORT ARGS...: one SMTP transaction, quiet except the dialogue.
swaks_to() {
	local port=$1
	shift
	swaks --server 127.0.0.1 --port "$port" --helo client.example.net --timeout 20 "$@"
}

@test "mail to a user by port 25 is read over IMAP" {
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: through postfix"
	assert_success
	assert_output --partial "250 2.0.0 Ok: queued"
	wait_count alice@example.test alice-secret INBOX 1
	run -0 header_of alice@example.test alice-secret INBOX 1
	assert_output --partial "Subject: through postfix"
}

@test "an unknown user is refused at RCPT with 550 and nothing is queued" {
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to nobody@example.test --quit-after RCPT
	assert_output --partial "550 5.1.1 <nobody@example.test>"
	[ "$(postfix_queue_count)" -eq 0 ]
	# and a domain that is not ours is not relayed
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to someone@other.test --quit-after RCPT
	assert_output --regexp "554 5\.7\.1 .*Relay access denied"
}

@test "an alias reaches its user and a forward leaves for the outside" {
	run -0 swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to info@example.test
	wait_count alice@example.test alice-secret INBOX 1
	run -0 swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to fwd@example.test \
		--header "Subject: forwarded"
	local n=0
	while [ "$n" -lt 100 ] && ! grep -rqs "Subject: forwarded" "$BATS_TEST_TMPDIR/sink"; do
		sleep 0.2
		n=$((n + 1))
	done
	run grep -rls "friend@elsewhere.test" "$BATS_TEST_TMPDIR/sink"
	assert_success
}

@test "submission: no AUTH without TLS, no relay without AUTH" {
	# AUTH is not offered before STARTTLS
	run swaks_to "$SUBMISSION_PORT" --from alice@example.test --to friend@elsewhere.test \
		--auth PLAIN --auth-user alice@example.test --auth-password alice-secret
	assert_failure
	refute_output --partial "235 "
	# with TLS but without AUTH: refused
	run swaks_to "$SUBMISSION_PORT" --tls --from alice@example.test --to friend@elsewhere.test \
		--quit-after RCPT
	assert_output --regexp "(530|554) 5\.7\.[01]"
	refute_output --partial "250 2.1.5"
}

@test "submission with AUTH relays on 587 and 465; a wrong password gets 535" {
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice@example.test \
		--auth-password alice-secret --from alice@example.test --to friend@elsewhere.test
	assert_success
	assert_output --partial "235 2.7.0 Authentication successful"
	assert_output --partial "250 2.0.0 Ok: queued"
	run swaks_to "$SMTPS_PORT" --tls-on-connect --auth LOGIN --auth-user bob@example.test \
		--auth-password bob-secret --from bob@example.test --to alice@example.test
	assert_success
	assert_output --partial "235 2.7.0 Authentication successful"
	wait_count alice@example.test alice-secret INBOX 1
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice@example.test \
		--auth-password wrong --from alice@example.test --to friend@elsewhere.test
	assert_failure
	assert_output --partial "535 5.7.8"
	# the attempt is in the auth log
	run -0 tandemctl auth failures
	assert_output --regexp "smtp +127\.0\.0\.1 +failed +alice@example\.test password"
}

@test "an authenticated user may send only as own addresses" {
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice@example.test \
		--auth-password alice-secret --from bob@example.test --to friend@elsewhere.test \
		--quit-after RCPT
	assert_output --partial "553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice@example.test"
	# an alias of hers is hers
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice@example.test \
		--auth-password alice-secret --from info@example.test --to friend@elsewhere.test \
		--quit-after RCPT
	assert_output --partial "250 2.1.5 Ok"
}

@test "with tandemd down mail waits (4xx or the queue) and arrives once it is back" {
	# lookups unanswered: a temporary 451 at RCPT, so the sender retries
	tandem_stop
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test --quit-after RCPT
	assert_output --regexp "451 4\.3\.0 "
	refute_output --partial "250 2.1.5"
	# lookups answered but no LMTP socket: accepted, deferred in the queue
	local lmtp_port
	lmtp_port=$(free_port)
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port" "${PF_TANDEM_KEYS[@]}"
	tandem_start
	# smtpd caches the failed answers for its life: the appliance starts
	# Postfix after tandemd, as this reload does
	postfix -c "$PF_CONF" reload >/dev/null 2>&1
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: while away"
	assert_output --partial "250 2.0.0 Ok: queued"
	local n=0
	while [ "$n" -lt 100 ] && ! grep -qs "status=deferred" "$PF_LOG"; do
		sleep 0.2
		n=$((n + 1))
	done
	run grep "status=deferred" "$PF_LOG"
	assert_success
	[ "$(postfix_queue_count)" -eq 1 ]
	# back with its LMTP socket: the queue is flushed into the mailbox
	tandem_stop
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port,unix:$PF_QUEUE/private/tandem-lmtp" \
		"${PF_TANDEM_KEYS[@]}"
	tandem_start
	postqueue -c "$PF_CONF" -f
	wait_count alice@example.test alice-secret INBOX 1
	[ "$(postfix_queue_count)" -eq 0 ]
}

@test "an LDAP user gets a mailbox at the first mail and can submit" {
	command -v /usr/sbin/slapd >/dev/null || skip "slapd is not installed (Debian package slapd)"
	local ldap_port
	ldap_port=$(free_port)
	run -0 "$HELPERS/slapd-start.sh" "$BATS_TEST_TMPDIR/slapd" "$ldap_port"
	mkdir -p "$BATS_TEST_TMPDIR/ldap.d"
	cat >"$BATS_TEST_TMPDIR/ldap.d/example.test.conf" <<CONF
uri = ldap://127.0.0.1:$ldap_port/
base = dc=example,dc=test
bind_dn = cn=tandem,ou=Services,dc=example,dc=test
bind_password = service-secret
user_filter = (&(objectClass=user)(sAMAccountName=%n))
recipient_filter = (|(mail=%u)(proxyAddresses=smtp:%u))
alias_attribute = proxyAddresses
required_group = cn=MailUsers,ou=Groups,dc=example,dc=test
CONF
	tandem_stop
	local lmtp_port
	lmtp_port=$(free_port)
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port,unix:$PF_QUEUE/private/tandem-lmtp" \
		"${PF_TANDEM_KEYS[@]}" "ldap_domains_dir=$BATS_TEST_TMPDIR/ldap.d" \
		"auth_default_domain=example.test"
	tandem_start
	# erin is only in the directory (locked for logins, but she gets mail)
	run -0 swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to erin@example.test
	local n=0
	until tandemctl user show erin@example.test >/dev/null 2>&1 || [ "$n" -ge 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	run -0 tandemctl user show erin@example.test
	assert_output --partial "ldap"
	# carol is not in the mail group: no mailbox
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to carol@example.test --quit-after RCPT
	assert_output --partial "550 5.1.1"
	# bob only in the directory now: he submits with his AD name and password
	tandemctl user del bob@example.test
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user bob \
		--auth-password bob-pw --from bob@example.test --to friend@elsewhere.test
	assert_success
	assert_output --partial "235 2.7.0 Authentication successful"
	assert_output --partial "250 2.0.0 Ok: queued"
	# the directory down: a temporary failure, never "wrong password"
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user bob \
		--auth-password bob-pw --from bob@example.test --to friend@elsewhere.test
	assert_failure
	assert_output --partial "454 4.7.0"
	"$HELPERS/slapd-stop.sh" "$BATS_TEST_TMPDIR/slapd"
}
