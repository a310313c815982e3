# postfix.bash - a scratch Postfix in front of the test's tandemd, configured
# the way the appliance is: postfix/apply.sh applied to a copy of Debian's
# stock master.cf, its own config, queue and data directories under
# $BATS_TEST_TMPDIR, smtpd on 127.0.0.1 ports only, logging to a file.
# Load after helpers/common. Postfix's master must start as root: without
# root (or without the postfix package) postfix_require skips, saying why.

# postfix_require: skip the test when a scratch Postfix cannot run here.
postfix_require() {
	[ -x /usr/sbin/postfix ] || skip "Postfix is not installed (Debian package postfix)"
	[ "$(id -u)" -eq 0 ] || skip "Postfix's master needs root to start"
	command -v swaks >/dev/null || skip "swaks is not installed"
}

# postfix_config [SINK_PORT]: write the scratch configuration. Sets PF_DIR,
# PF_CONF, PF_QUEUE, PF_LOG, SMTP_PORT, SUBMISSION_PORT, SMTPS_PORT, and
# the tandemd keys the services need in PF_TANDEM_KEYS (an array of
# key=value for tandem_config). Mail for elsewhere.test goes to the
# smtp-sink on SINK_PORT when given.
postfix_config() {
	local sink_port=${1:-}
	PF_DIR=$BATS_TEST_TMPDIR/postfix
	PF_CONF=$PF_DIR/etc
	PF_QUEUE=$PF_DIR/queue
	PF_LOG=$PF_DIR/maillog
	SMTP_PORT=$(free_port)
	SUBMISSION_PORT=$(free_port)
	SMTPS_PORT=$(free_port)
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DIR/data"
	chown postfix "$PF_DIR/data" # master.lock lives there
	# Postfix's processes run as user postfix: let them through bats' 0700
	# temporary directories (traverse only)
	local d=$PF_DIR
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
	cp /etc/postfix/master.cf "$PF_CONF/master.cf"
	printf 'compatibility_level = 3.6\n' >"$PF_CONF/main.cf"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PF_DIR/key.pem" -out "$PF_DIR/cert.pem" \
		-days 2 -subj /CN=mx.example.test >/dev/null 2>&1 || return 1
	"$TANDEM_ROOT/postfix/apply.sh" -c "$PF_CONF" --queue-dir "$PF_QUEUE" \
		--data-dir "$PF_DIR/data" --hostname mx.example.test --inet-interfaces 127.0.0.1 \
		--tls-cert "$PF_DIR/cert.pem" --tls-key "$PF_DIR/key.pem" \
		--smtp "127.0.0.1:$SMTP_PORT" --submission "127.0.0.1:$SUBMISSION_PORT" \
		--smtps "127.0.0.1:$SMTPS_PORT" >/dev/null || return 1
	# test-only: a log file instead of syslog, quick retries, no DNS
	postconf -c "$PF_CONF" -e "maillog_file_prefixes = $PF_DIR" "maillog_file = $PF_LOG" \
		"smtp_host_lookup = native" "disable_dns_lookups = yes" \
		"queue_run_delay = 2s" "minimal_backoff_time = 2s" "maximal_backoff_time = 4s" \
		"smtpd_error_sleep_time = 0" "smtpd_soft_error_limit = 100" \
		"smtpd_hard_error_limit = 100" "lmtp_connect_timeout = 2s" \
		"mynetworks = 127.0.0.0/8" "smtp_tls_security_level = none" \
		"smtpd_client_connection_rate_limit = 0" "smtpd_client_connection_count_limit = 0" \
		"reject_unknown_recipient_domain_reply_code = 550" >/dev/null || return 1
	postconf -c "$PF_CONF" -e "smtpd_recipient_restrictions = reject_non_fqdn_recipient, permit_sasl_authenticated, reject_unauth_destination" || return 1
	if [ -n "$sink_port" ]; then
		printf 'elsewhere.test smtp:[127.0.0.1]:%s\n' "$sink_port" >"$PF_CONF/transport"
		postmap -c "$PF_CONF" "$PF_CONF/transport" || return 1
		postconf -c "$PF_CONF" -e "transport_maps = hash:$PF_CONF/transport" || return 1
	fi
	PF_TANDEM_KEYS=(
		"sasl_listen=unix:$PF_QUEUE/private/tandem-auth"
		"socketmap_listen=unix:$PF_QUEUE/private/tandem-map"
		"unix_socket_mode=0666"
	)
	export PF_DIR PF_CONF PF_QUEUE PF_LOG SMTP_PORT SUBMISSION_PORT SMTPS_PORT
}

# postfix_start: start it and wait (10 s) for the SMTP banner.
postfix_start() {
	postfix -c "$PF_CONF" start >/dev/null 2>&1 || {
		echo "postfix did not start; log:" >&2
		tail -n 20 "$PF_LOG" >&2 2>/dev/null
		return 1
	}
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -le "$deadline" ]; do
		if "$PYTHON" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
sys.exit(0 if s.recv(64).startswith(b"220") else 1)' "$SMTP_PORT" 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	echo "postfix did not answer on 127.0.0.1:$SMTP_PORT; log:" >&2
	tail -n 20 "$PF_LOG" >&2
	return 1
}

# postfix_stop: for teardown; stops the master and waits for it (10 s).
postfix_stop() {
	[ -n "${PF_CONF:-}" ] && [ -f "$PF_QUEUE/pid/master.pid" ] || return 0
	local pid
	pid=$(tr -d ' ' <"$PF_QUEUE/pid/master.pid")
	postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
	local n=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
}

# postfix_queue_count: messages in the queue now.
postfix_queue_count() {
	find "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" "$PF_QUEUE/hold" \
		-type f 2>/dev/null | wc -l
}

# sink_start PORT DIR: Postfix's smtp-sink on 127.0.0.1:PORT saving each
# message into DIR. Sets SINK_PID.
sink_start() {
	mkdir -p "$2"
	chmod 777 "$2" # smtp-sink runs as postfix
	smtp-sink -u postfix -d "$2/%H%M%S." "127.0.0.1:$1" 10 3>&- >/dev/null 2>&1 &
	SINK_PID=$!
}
