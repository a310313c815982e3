#!/usr/bin/env bats
# filters.bats - the antivirus and antispam chain in front of tandemd, as
# filters/apply.sh configures it on a real Postfix: clamd + clamav-milter
# refuse a virus at SMTP time (5xx) and defer (4xx) while clamd is down;
# spamd + spamass-milter tag spam, which the administrator-wide Sieve script
# files into Junk, and refuse it far above the tag score; spamd down lets
# mail through untagged with a log line; authenticated submission is
# virus-scanned but not spam-scored.

load helpers/common
load helpers/postfix
load helpers/filters
load helpers/mailcheck

setup_file() {
	filters_require
	filters_setup_file
}

teardown_file() {
	filters_stop_all
}

# start_chain [apply.sh options...]: Postfix, tandemd and the milters for
# one test.
start_chain() {
	postfix_config
	local lmtp_port
	lmtp_port=$(free_port)
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port,unix:$PF_QUEUE/private/tandem-lmtp" \
		"${PF_TANDEM_KEYS[@]}" "auth_failure_delay_ms=0"
	filters_config "$@"
	postfix_start
	tandem_migrate
	demo_user alice@example.test alice-secret
	tandem_start
	clamav_milter_start
	spamass_milter_start
}

setup() {
	filters_require
}

teardown() {
	filters_stop_test
	postfix_stop
	tandem_stop_all
	# a test that stopped a shared daemon brings it back for the next
	[ -S "$CLAMD_SOCKET" ] || clamd_start
	_port_answers "$SPAMD_PORT" 2>/dev/null || spamd_start
}

swaks_to() {
	local port=$1
	shift
	swaks --server 127.0.0.1 --port "$port" --helo client.example.net --timeout 60 "$@"
}

@test "a virus is refused at SMTP time with 5xx, clean mail is delivered" {
	start_chain
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: eicar" --attach-type application/octet-stream \
		--attach-name eicar.com --attach "@$FT_DIR/eicar.com"
	assert_output --regexp "<\*\* 5[0-9][0-9] .*Virus found in message: Tandem-Test.EICAR"
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: clean" --body "Nothing to see here."
	assert_output --partial "250 2.0.0 Ok: queued"
	wait_count alice@example.test alice-secret INBOX 1
	run -0 header_of alice@example.test alice-secret INBOX 1
	assert_output --partial "Subject: clean"
	assert_output --partial "X-Virus-Scanned: clamav-milter"
	[ "$(mailbox_count alice@example.test alice-secret INBOX)" = 1 ]
	grep -q "Tandem-Test.EICAR" "$FT_DIR/clamav-milter.log"
}

@test "spam far above the tag score is refused at SMTP time" {
	start_chain # reject score 15 (the default)
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: gtube" --body "$GTUBE"
	assert_output --regexp "<\*\* 5[0-9][0-9] "
	refute_output --partial "Ok: queued"
	[ "$(mailbox_count alice@example.test alice-secret INBOX)" = 0 ]
	[ "$(mailbox_count alice@example.test alice-secret Junk)" = 0 ]
}

@test "tagged spam is filed into Junk by the administrator-wide script, ham stays in INBOX" {
	start_chain --spam-reject 5000
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: gtube" --body "$GTUBE"
	assert_output --partial "250 2.0.0 Ok: queued"
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: lunch" --body "Shall we have lunch on Friday at noon?"
	assert_output --partial "250 2.0.0 Ok: queued"
	wait_count alice@example.test alice-secret Junk 1
	wait_count alice@example.test alice-secret INBOX 1
	run -0 header_of alice@example.test alice-secret Junk 1
	assert_output --partial "X-Spam-Flag: YES"
	assert_output --partial "Subject: gtube"
	run -0 header_of alice@example.test alice-secret INBOX 1
	assert_output --partial "Subject: lunch"
	assert_output --regexp "X-Spam-Status: No, score=-?[0-9.]+ required=5.0"
	refute_output --partial "X-Spam-Flag"
}

@test "clamd down: mail is deferred with 4xx, and delivered once clamd is back" {
	start_chain
	clamd_stop
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: while clamd is down" --body "Retry me."
	assert_output --regexp "<\*\* 4[0-9][0-9] "
	refute_output --partial "Ok: queued"
	[ "$(postfix_queue_count)" -eq 0 ]
	clamd_start
	# the sender retries, as a real MTA would (clamav-milter may take a
	# while to trust clamd again): within 2 minutes it gets through
	local n=0
	while [ "$n" -lt 24 ]; do
		run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
			--header "Subject: while clamd is down" --body "Retry me."
		[[ $output == *"250 2.0.0 Ok: queued"* ]] && break
		assert_output --regexp "<\*\* 4[0-9][0-9] "
		sleep 5
		n=$((n + 1))
	done
	assert_output --partial "250 2.0.0 Ok: queued"
	wait_count alice@example.test alice-secret INBOX 1
}

@test "spamd down: mail passes untagged and the milter's log says why" {
	start_chain
	spamd_stop
	run swaks_to "$SMTP_PORT" --from sender@elsewhere.test --to alice@example.test \
		--header "Subject: unscored" --body "$GTUBE"
	assert_output --partial "250 2.0.0 Ok: queued"
	wait_count alice@example.test alice-secret INBOX 1
	run -0 header_of alice@example.test alice-secret INBOX 1
	assert_output --partial "Subject: unscored"
	refute_output --partial "X-Spam-"
	run -0 cat "$SPAMASS_SYSLOG"
	assert_output --regexp "spamc.*connect to spamd on 127.0.0.1 failed"
}

@test "authenticated submission is virus-scanned but not spam-scored" {
	start_chain
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice@example.test \
		--auth-password alice-secret --from alice@example.test --to alice@example.test \
		--header "Subject: eicar out" --attach-type application/octet-stream \
		--attach-name eicar.com --attach "@$FT_DIR/eicar.com"
	assert_output --regexp "<[*~]\* 5[0-9][0-9] .*Virus found"
	run swaks_to "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice@example.test \
		--auth-password alice-secret --from alice@example.test --to alice@example.test \
		--header "Subject: gtube out" --body "$GTUBE"
	assert_output --partial "250 2.0.0 Ok: queued"
	wait_count alice@example.test alice-secret INBOX 1
	run -0 header_of alice@example.test alice-secret INBOX 1
	assert_output --partial "Subject: gtube out"
	refute_output --partial "X-Spam-Flag"
}
