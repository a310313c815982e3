# managesieve.bash - what the ManageSieve suites (managesieve.bats,
# managesieve-tls.bats) share: their setup_file, setup and teardown (a test
# certificate for sieve.test made with openssl once per suite, a free port
# per test, every daemon stopped after each), tandemd with ManageSieve on
# that port over TLS and the user alice, and the raw protocol client
# (tests/helpers/managesieve-client.py). Load it at the top of the suite,
# after helpers/common.

# setup_file: a self-signed certificate for sieve.test and 127.0.0.1 in
# $BATS_FILE_TMPDIR/certs.
setup_file() {
	local dir=$BATS_FILE_TMPDIR/certs
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sieve.test" \
		-addext "subjectAltName=DNS:sieve.test,IP:127.0.0.1" \
		-keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null || return 1
}

# setup: sets and exports CERTS and a free SIEVE_PORT.
setup() {
	CERTS=$BATS_FILE_TMPDIR/certs
	SIEVE_PORT=$(free_port)
	export CERTS SIEVE_PORT
}

teardown() {
	tandem_stop_all
}

# ms_start [key=value...]: ManageSieve on $SIEVE_PORT with TLS, a user alice.
ms_start() {
	tandem_config tls_cert_file="$CERTS/tls.crt" tls_key_file="$CERTS/tls.key" \
		managesieve_listen="127.0.0.1:$SIEVE_PORT" "$@"
	tandem_start
	demo_user alice@example.test alicepw
}

# ms: the raw client on $SIEVE_PORT, steps on stdin.
ms() {
	timeout 60 "$PYTHON" "$HELPERS/managesieve-client.py" "$SIEVE_PORT" --cafile "$CERTS/tls.crt"
}
