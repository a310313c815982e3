#!/usr/bin/env bats
# managesieve-tls.bats - TLS for ManageSieve (RFC 5804 2.2) from the
# outside, as imap-tls.bats checks IMAP and POP3: openssl s_client
# -starttls sieve gets a verified TLS 1.2+ session and the capabilities
# again over TLS; TLS 1.0 and 1.1 refused and logged; plaintext pipelined
# after STARTTLS discarded (CVE-2011-0411 class) and logged; STARTTLS twice
# or without a certificate refused. Certificates are made with openssl at
# test time.

load helpers/common
load helpers/managesieve
# (setup_file, setup, teardown, ms_start and ms: helpers/managesieve)

@test "ManageSieve TLS: openssl s_client gets in with -starttls sieve and the capabilities come again over TLS" {
	ms_start
	run -0 timeout 20 sh -c "{ sleep 1; printf 'CAPABILITY\r\n'; sleep 1; printf 'LOGOUT\r\n'; sleep 1; } |
		openssl s_client -starttls sieve -connect 127.0.0.1:$SIEVE_PORT -CAfile $CERTS/tls.crt -ign_eof 2>&1 | tr -d '\\r'"
	assert_output --partial 'Verify return code: 0 (ok)'
	assert_output --regexp 'New, TLSv1\.[23], Cipher is'
	assert_line '"SASL" "PLAIN LOGIN"'
	assert_line '"VERSION" "1.0"'
	# over TLS, STARTTLS is no longer offered
	refute_line '"STARTTLS"'
	assert_line 'OK "Logout completed"'
	grep -q 'managesieve starttls' "$TANDEM_LOG" || fail "no starttls log line"
}

@test "ManageSieve TLS: TLS 1.0 and 1.1 are refused and the log says why; TLS 1.2 works" {
	ms_start
	local args
	for args in "-tls1 -cipher DEFAULT:@SECLEVEL=0" "-tls1_1 -cipher DEFAULT:@SECLEVEL=0"; do
		# shellcheck disable=SC2086 # args is a word list
		run timeout 10 openssl s_client -starttls sieve -connect "127.0.0.1:$SIEVE_PORT" $args </dev/null
		[ "$status" -ne 0 ] || fail "handshake with $args: got success, want failure"
		assert_output --partial 'Cipher is (NONE)'
	done
	[ "$(grep -c 'managesieve tls_failed .*error=unsupported_protocol' "$TANDEM_LOG")" -eq 2 ] ||
		fail "want 2 unsupported_protocol lines: $(grep tls_failed "$TANDEM_LOG")"
	run -0 timeout 10 openssl s_client -starttls sieve -connect "127.0.0.1:$SIEVE_PORT" -tls1_2 </dev/null
	assert_output --regexp 'New, TLSv1\.2, Cipher is ECDHE-RSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)'
}

@test "ManageSieve TLS: TLS 1.2 offers only forward-secret AEAD ciphers (testssl.sh 3.0 has no sieve STARTTLS: openssl asks)" {
	ms_start
	local cipher
	# static RSA (no forward secrecy), CBC modes, finite-field DHE: each alone
	# must fail (Debian's OpenSSL client has no RC4, 3DES or NULL to offer)
	for cipher in AES128-SHA AES256-GCM-SHA384 AES128-SHA256 ECDHE-RSA-AES128-SHA \
		ECDHE-RSA-AES256-SHA384 DHE-RSA-AES128-GCM-SHA256; do
		run timeout 10 openssl s_client -starttls sieve -connect "127.0.0.1:$SIEVE_PORT" -tls1_2 \
			-cipher "$cipher:@SECLEVEL=0" </dev/null
		[ "$status" -ne 0 ] || fail "TLS 1.2 with $cipher: got a session, want a refusal"
		assert_output --partial 'Cipher is (NONE)'
	done
	# the forward-secret AEAD ones work
	run -0 timeout 10 openssl s_client -starttls sieve -connect "127.0.0.1:$SIEVE_PORT" -tls1_2 \
		-cipher ECDHE-RSA-AES256-GCM-SHA384 </dev/null
	assert_output --partial 'Cipher is ECDHE-RSA-AES256-GCM-SHA384'
}

@test "ManageSieve TLS: plaintext sent after STARTTLS in the same packet is discarded and logged" {
	ms_start
	local pw
	pw=$(printf '\0alice@example.test\0alicepw' | base64)
	run -0 ms <<EOF
greeting
!send STARTTLS\r\nAUTHENTICATE "PLAIN" "$pw"\r\n
!starttls-after-ok
LISTSCRIPTS
EOF
	assert_line --regexp '^TLS TLSv1\.[23]$'
	# the injected AUTHENTICATE never ran: still not logged in
	assert_line '< NO "Authenticate first"'
	refute_line '< OK "Logged in"'
	grep -q 'managesieve starttls_discarded bytes=' "$TANDEM_LOG" ||
		fail "no starttls_discarded line: $(grep managesieve "$TANDEM_LOG")"
	! grep -q 'managesieve login' "$TANDEM_LOG" || fail "the injected login ran"
}

@test "ManageSieve TLS: STARTTLS twice is refused, and without a certificate it is neither offered nor accepted" {
	ms_start
	run -0 ms <<'EOF'
greeting
!starttls
STARTTLS
!auth alice@example.test alicepw
STARTTLS
EOF
	assert_line '< NO "TLS is already active"'
	assert_line '< OK "Logged in"'
	assert_line '< NO "Command not valid in this state"'
	tandem_stop

	tandem_config managesieve_listen="127.0.0.1:$SIEVE_PORT"
	tandem_start
	run -0 ms <<'EOF'
greeting
STARTTLS
EOF
	refute_line '< "STARTTLS"'
	assert_line '< NO "TLS is not available"'
}
