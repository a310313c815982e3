#!/usr/bin/env bats
# policy-greylist.bats - tandemd's Postfix policy service (greylisting with
# DNSBL lookups), spoken to by a real policy client (helpers/policy-client.py)
# and, end to end, by a real Postfix: a DNSBL zone served by rbldnsd on
# loopback lists 127.0.0.2; a listed client is greylisted with 4.7.1 and
# accepted after the delay, then auto-whitelisted; unlisted clients,
# authenticated submission and whitelisted networks and domains pass at
# once; the state survives a restart and is shared by two tandemd on one
# PostgreSQL database; a dead DNS server lists nobody; malformed requests
# are deferred, never rejected.

load helpers/common
load helpers/postfix

# Client addresses: 127.0.0.2 is listed in the zone, 127.0.0.3 is not.
LISTED=127.0.0.2
UNLISTED=127.0.0.3

setup() {
	command -v rbldnsd >/dev/null || skip "rbldnsd is not installed (Debian package rbldnsd)"
	rbl_start
}

teardown() {
	postfix_stop
	tandem_stop_all
	rbl_stop
	pgsql_stop
}

# free_udp_port: a UDP port on 127.0.0.1 nobody uses right now.
free_udp_port() {
	"$PYTHON" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# rbl_start: rbldnsd serving zone bl.test (127.0.0.2 and 192.0.2.66
# listed) on 127.0.0.1:$RBL_PORT (UDP); waits until it answers (5 s).
rbl_start() {
	RBL_DIR=$BATS_TEST_TMPDIR/rbl
	mkdir -p "$RBL_DIR"
	printf ':127.0.0.2:Listed in the test zone\n%s\n192.0.2.66\n' "$LISTED" >"$RBL_DIR/zone"
	# rbldnsd drops to user rbldns: let it through bats' 0700 directories
	local d=$RBL_DIR
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
	chmod a+r "$RBL_DIR/zone"
	RBL_PORT=$(free_udp_port)
	rbldnsd -n -u rbldns -b "127.0.0.1/$RBL_PORT" -w "$RBL_DIR" bl.test:ip4set:zone \
		>"$RBL_DIR/rbldnsd.log" 2>&1 3>&- </dev/null &
	RBL_PID=$!
	local n=0
	while [ "$n" -lt 50 ]; do
		grep -q "started" "$RBL_DIR/rbldnsd.log" 2>/dev/null && return 0
		kill -0 "$RBL_PID" 2>/dev/null || break
		sleep 0.1
		n=$((n + 1))
	done
	echo "rbldnsd did not start:" >&2
	cat "$RBL_DIR/rbldnsd.log" >&2
	return 1
}

rbl_stop() {
	[ -n "${RBL_PID:-}" ] || return 0
	kill "$RBL_PID" 2>/dev/null
	wait "$RBL_PID" 2>/dev/null
	RBL_PID=
}

# policy_config [key=value ...]: tandemd with the policy service on a free
# port, the zone above, a 2 s greylist delay and quick DNS timeouts.
policy_config() {
	POLICY_PORT=$(free_port)
	tandem_config "policy_listen=127.0.0.1:$POLICY_PORT" "dnsbl_zones=bl.test" \
		"dnsbl_resolver=127.0.0.1:$RBL_PORT" "dnsbl_timeout_ms=600" \
		"greylist_delay=2" "greylist_autowhitelist_count=2" "$@"
	export POLICY_PORT
}

# policy REQUEST...: one connection, one request per argument (see
# policy-client.py); prints each action.
policy() {
	"$PYTHON" "$HELPERS/policy-client.py" --port "$POLICY_PORT" "$@"
}

# policy_until_dunno REQUEST: repeat REQUEST (every 0.5 s, at most 20 times)
# until the answer is DUNNO; prints the last answer.
policy_until_dunno() {
	local n=0 out=
	while [ "$n" -lt 20 ]; do
		out=$(policy "$1") || return 1
		[ "$out" = DUNNO ] && break
		sleep 0.5
		n=$((n + 1))
	done
	printf '%s\n' "$out"
}

@test "Policy: a DNSBL-listed client is greylisted with 4.7.1, accepted after the delay, then auto-whitelisted" {
	policy_config
	tandem_start
	local req="client_address=$LISTED sender=Alice+list@Remote.TEST recipient=u@example.test"
	run -0 policy "$req" "$req"
	assert_line -n 0 --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted, try again in [12] seconds$'
	assert_line -n 1 --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted, try again in [0-9]+ seconds$'
	grep -q 'policy dnsbl client=127.0.0.2 listed=yes score=1 zones=bl.test' "$TANDEM_LOG"
	grep -q 'policy greylisted why=dnsbl client=127.0.0.2 net=127.0.0.0/24 sender=alice@remote.test' "$TANDEM_LOG"
	# the retry after the delay passes (the +detail is not part of the key)
	run -0 policy_until_dunno "client_address=$LISTED sender=alice+other@remote.test recipient=u@example.test"
	assert_output DUNNO
	grep -q 'policy greylist-passed client=127.0.0.2 net=127.0.0.0/24 .* passes=1 whitelisted=no' "$TANDEM_LOG"
	# a new sender from the same network is greylisted until the network's
	# second accepted mail whitelists it ...
	run -0 policy "client_address=$LISTED sender=new@remote.test recipient=u@example.test"
	assert_output --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted'
	run -0 policy "$req"
	assert_output DUNNO
	grep -q 'passes=2 whitelisted=yes' "$TANDEM_LOG"
	# ... after which new senders pass at once
	run -0 policy "client_address=$LISTED sender=other@elsewhere.test recipient=v@example.test"
	assert_output DUNNO
	grep -q 'policy pass reason=autowhitelist client=127.0.0.2 net=127.0.0.0/24' "$TANDEM_LOG"
}

@test "Policy: an unlisted client passes at once; other protocol stages are not greylisted" {
	policy_config
	tandem_start
	run -0 policy "client_address=$UNLISTED" "client_address=$LISTED protocol_state=DATA"
	assert_line -n 0 DUNNO
	assert_line -n 1 DUNNO
	grep -q 'policy dnsbl client=127.0.0.3 listed=no score=0 zones=- errors=0' "$TANDEM_LOG"
	grep -q 'policy pass reason=not-listed client=127.0.0.3' "$TANDEM_LOG"
	grep -q 'policy pass reason=not-rcpt client=127.0.0.2' "$TANDEM_LOG"
	run grep -c 'policy greylisted' "$TANDEM_LOG"
	assert_output 0
}

@test "Policy: greylist_mode all greylists unlisted clients too, greylist_mode none nobody" {
	policy_config greylist_mode=all
	tandem_start
	run -0 policy "client_address=$UNLISTED"
	assert_output --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted, try again in [12] seconds$'
	grep -q 'policy greylisted why=all client=127.0.0.3' "$TANDEM_LOG"
	tandem_stop
	policy_config greylist_mode=none
	tandem_start
	run -0 policy "client_address=$LISTED sender=x@y.test"
	assert_output DUNNO
	grep -q 'policy pass reason=mode-none client=127.0.0.2' "$TANDEM_LOG"
}

@test "Policy: authenticated submission and whitelisted networks and sender domains skip greylisting" {
	policy_config "greylist_whitelist_networks=192.0.2.0/24, 2001:db8::/32" \
		"greylist_whitelist_domains=partner.test"
	tandem_start
	run -0 policy "client_address=$LISTED sasl_username=alice@example.test sasl_method=PLAIN" \
		"client_address=192.0.2.66" \
		"client_address=$LISTED sender=news@mail.partner.test" \
		"client_address=$LISTED sender=news@notpartner.test"
	assert_line -n 0 DUNNO
	assert_line -n 1 DUNNO
	assert_line -n 2 DUNNO
	assert_line -n 3 --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted'
	grep -q 'policy pass reason=authenticated client=127.0.0.2' "$TANDEM_LOG"
	grep -q 'policy pass reason=whitelist-network client=192.0.2.66' "$TANDEM_LOG"
	grep -q 'policy pass reason=whitelist-domain client=127.0.0.2' "$TANDEM_LOG"
}

@test "Policy: greylisting survives a restart of tandemd" {
	policy_config
	tandem_start
	local req="client_address=$LISTED sender=a@remote.test recipient=u@example.test"
	run -0 policy "$req"
	assert_output --regexp '^DEFER_IF_PERMIT 4\.7\.1'
	tandem_stop
	sleep 2
	tandem_start
	# the first attempt is remembered: the retry passes, not greylisted anew
	run -0 policy "$req"
	assert_output DUNNO
	grep -q 'policy greylist-passed client=127.0.0.2' "$TANDEM_LOG"
}

@test "Policy: a second tandemd on the same PostgreSQL database sees the first one's greylisting" {
	pgsql_start || skip "no scratch PostgreSQL server here (see pgsql-start.sh's message above)"
	TANDEM_DIR=$BATS_TEST_TMPDIR/node1
	policy_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	tandem_start
	local port1=$POLICY_PORT
	# shellcheck disable=SC2034 # read by tandem_config
	TANDEM_DIR=$BATS_TEST_TMPDIR/node2
	policy_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	tandem_start
	local port2=$POLICY_PORT
	local req="client_address=$LISTED sender=a@remote.test recipient=u@example.test"
	POLICY_PORT=$port1 run -0 policy "$req"
	assert_output --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted'
	# the retry reaches the other node (a failover): still early there ...
	POLICY_PORT=$port2 run -0 policy "$req"
	assert_output --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted'
	grep -q 'retry=early' "$TANDEM_LOG"
	# ... and accepted there after the delay
	POLICY_PORT=$port2 run -0 policy_until_dunno "$req"
	assert_output DUNNO
	grep -q 'policy greylist-passed client=127.0.0.2' "$BATS_TEST_TMPDIR/node2/tandemd.log"
}

@test "Policy: with the DNS server down the client counts as not listed, passes, and the log says why" {
	policy_config
	tandem_start
	rbl_stop
	run -0 policy "client_address=$LISTED"
	assert_output DUNNO
	grep -q 'policy dnsbl-error zone=bl.test error=".*" listed=no' "$TANDEM_LOG"
	grep -q 'policy dnsbl client=127.0.0.2 listed=no score=0 zones=- errors=1' "$TANDEM_LOG"
}

@test "Policy: zone weights add up to dnsbl_threshold; a zone that refuses to answer lists nobody" {
	# rbldnsd serves bl.test only: it refuses questions about refused.test
	policy_config "dnsbl_zones=bl.test*1 refused.test*1" dnsbl_threshold=2
	tandem_start
	run -0 policy "client_address=$LISTED"
	assert_output DUNNO
	grep -q 'policy dnsbl-error zone=refused.test error=".*" listed=no' "$TANDEM_LOG"
	grep -q 'policy dnsbl client=127.0.0.2 listed=no score=1 zones=bl.test errors=1' "$TANDEM_LOG"
	tandem_stop
	policy_config "dnsbl_zones=bl.test*2 refused.test*1" dnsbl_threshold=2
	tandem_start
	run -0 policy "client_address=$LISTED"
	assert_output --regexp '^DEFER_IF_PERMIT 4\.7\.1 Greylisted'
	grep -q 'policy dnsbl client=127.0.0.2 listed=yes score=2 zones=bl.test errors=1' "$TANDEM_LOG"
}

@test "Policy: malformed requests are deferred with a log line, never rejected, and the service goes on" {
	policy_config
	tandem_start
	run -0 "$PYTHON" "$HELPERS/policy-client.py" --port "$POLICY_PORT" --raw < <(
		printf 'this is not name=value\nrequest=smtpd_access_policy\n\n'
		printf 'request=smtpd_access_policy\nsender=a\nsender=b\n\n'
		printf 'request=other\nprotocol_state=RCPT\n\n'
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nccert_subject=%s\n\n' \
			"$(head -c 5000 /dev/zero | tr '\0' x)"
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\n\n'
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=u@example.test\n\n' "$UNLISTED")
	refute_output --partial REJECT
	run -0 grep -c '^action=DEFER_IF_PERMIT 4.7.1 Service temporarily unavailable' <<<"$output"
	assert_output 5
	run -0 policy "client_address=$UNLISTED"
	assert_output DUNNO
	grep -q 'policy bad-request error="bad attribute name" action=defer' "$TANDEM_LOG"
	grep -q 'policy bad-request error="attribute repeated" action=defer' "$TANDEM_LOG"
	grep -q 'policy bad-request error="request is not smtpd_access_policy" action=defer' "$TANDEM_LOG"
	grep -q 'policy bad-request error="line too long" action=defer' "$TANDEM_LOG"
	grep -q 'policy bad-request error="RCPT request without recipient" action=defer' "$TANDEM_LOG"
	# a connection dropped in the middle of a request is just gone
	run -0 "$PYTHON" "$HELPERS/policy-client.py" --port "$POLICY_PORT" --raw < <(printf 'request=smtpd_acc')
	tandem_stop
}

@test "Policy: through Postfix a listed client gets 450 4.7.1 at RCPT and its retry after the delay is delivered" {
	postfix_require
	postfix_config
	# the test clients are not "my networks": only 127.0.0.1 is
	postconf -c "$PF_CONF" -e "mynetworks = 127.0.0.1/32" \
		"smtpd_recipient_restrictions = $(sed -n '/^smtpd_recipient_restrictions =/,/^[^ ]/{/^ /p}' \
			"$TANDEM_ROOT/postfix/main.cf.tandem" | tr -d '\n' | sed 's/^ *//; s/  */ /g')"
	run -0 postconf -c "$PF_CONF" -h smtpd_recipient_restrictions
	assert_output --partial 'reject_unauth_destination, check_policy_service { unix:private/tandem-policy'
	postfix_start
	local lmtp_port
	lmtp_port=$(free_port)
	tandem_config "lmtp_listen=127.0.0.1:$lmtp_port,unix:$PF_QUEUE/private/tandem-lmtp" \
		"${PF_TANDEM_KEYS[@]}" "policy_listen=unix:$PF_QUEUE/private/tandem-policy" \
		"dnsbl_zones=bl.test" "dnsbl_resolver=127.0.0.1:$RBL_PORT" "greylist_delay=2"
	tandem_migrate
	demo_user alice@example.test alice-secret
	tandem_start
	local swaks_args=(--server 127.0.0.1 --port "$SMTP_PORT" --helo client.example.net
		--timeout 20 --from sender@remote.test --to alice@example.test
		--header "Subject: greylisted $BATS_TEST_NUMBER")
	# listed client: greylisted at RCPT
	run swaks "${swaks_args[@]}" --local-interface "$LISTED"
	assert_output --partial '<** 450 4.7.1'
	assert_output --partial 'Greylisted, try again in'
	# unlisted client: accepted at once
	run -0 swaks "${swaks_args[@]}" --local-interface "$UNLISTED"
	assert_output --partial '<-  250 2.0.0 Ok: queued'
	# the listed client's retry after the delay is accepted and delivered
	local n=0 ok=
	while [ "$n" -lt 20 ]; do
		sleep 0.5
		if swaks "${swaks_args[@]}" --local-interface "$LISTED" >"$BATS_TEST_TMPDIR/swaks.out" 2>&1; then
			ok=1
			break
		fi
		n=$((n + 1))
	done
	[ -n "$ok" ] || { cat "$BATS_TEST_TMPDIR/swaks.out" >&2; false; }
	n=0
	local out=
	while [ "$n" -lt 100 ]; do
		out=$(imap_client lib "M.login('alice@example.test', 'alice-secret')" "M.select('INBOX')" 2>&1)
		[[ $out == *"[b'2']"* ]] && break
		sleep 0.2
		n=$((n + 1))
	done
	[[ $out == *"[b'2']"* ]] || { echo "INBOX never held 2 messages: $out" >&2; tail -n 20 "$PF_LOG" >&2; false; }
	grep -q 'policy greylist-passed client=127.0.0.2' "$TANDEM_LOG"
}
