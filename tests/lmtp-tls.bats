#!/usr/bin/env bats
# lmtp-tls.bats - STARTTLS for LMTP (RFC 3207 style) from the outside:
# advertised in LHLO when a certificate is configured, 220 2.0.0 then a TLS
# handshake, the session forgotten (LHLO again), a delivery over TLS with
# Python's smtplib.LMTP; plaintext pipelined after STARTTLS discarded; 454
# without a certificate. The certificate is made with openssl at test time.

setup_file() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lmtp.test" \
		-keyout "$BATS_FILE_TMPDIR/tls.key" -out "$BATS_FILE_TMPDIR/tls.crt" 2>/dev/null
}

setup() {
	load helpers/common
	export TLS_CRT=$BATS_FILE_TMPDIR/tls.crt
}

teardown() {
	tandem_stop_all
}

start_tls() {
	tandem_config tls_cert_file="$TLS_CRT" tls_key_file="$BATS_FILE_TMPDIR/tls.key" "$@"
	tandem_start
	demo_user alice@example.test alicepw
}

# lmtp_py: the Python on stdin with PORT and ctx() (trusts the test cert).
lmtp_py() {
	"$PYTHON" -c 'import sys
prelude = r"""
import os, smtplib, socket, ssl, sys
PORT = int(os.environ["LMTP_PORT"])
def ctx():
    c = ssl.create_default_context(cafile=os.environ["TLS_CRT"])
    c.check_hostname = False
    return c
def replies(sock, n):
    sock.settimeout(10)
    data = b""
    while data.count(b"\r\n") < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1").rstrip("\r\n").split("\r\n")
"""
exec(compile(prelude + sys.stdin.read(), "lmtp_py", "exec"))'
}

@test "LMTP TLS: LHLO advertises STARTTLS, 220 starts TLS, LHLO again, and a message is delivered over TLS" {
	start_tls
	run -0 lmtp_py <<'PY'
L = smtplib.LMTP("127.0.0.1", PORT)
code, text = L.ehlo("client.test")
print("before", code, "starttls" in L.esmtp_features)
print("starttls", L.starttls(context=ctx())[0])
print("tls", L.sock.version())
code, text = L.ehlo("client.test")
print("after", code, "starttls" in L.esmtp_features)
msg = b"From: a@remote.test\r\nSubject: over tls\r\n\r\ntlsbody\r\n"
print("refused", L.sendmail("a@remote.test", ["alice@example.test"], msg))
L.quit()
PY
	assert_line 'before 250 True'
	assert_line 'starttls 220'
	assert_line --regexp '^tls TLSv1\.[23]$'
	assert_line 'after 250 False'
	assert_line 'refused {}'
	grep -q 'lmtp tls protocol=TLSv1' "$TANDEM_LOG" || fail "no tls log line"
	run -0 imap_client lib 'M.login("alice@example.test", "alicepw")' 'M.select("INBOX")' \
		'M.fetch("1", "(BODY.PEEK[TEXT])")'
	assert_output --partial 'tlsbody'
}

@test "LMTP TLS: after STARTTLS the session starts over and plaintext pipelined behind it is discarded" {
	start_tls
	run -0 lmtp_py <<'PY'
s = socket.create_connection(("127.0.0.1", PORT))
replies(s, 1)
s.sendall(b"LHLO x\r\n")
replies(s, 6)
s.sendall(b"STARTTLS\r\nMAIL FROM:<evil@remote.test>\r\n")
print("\n".join(replies(s, 1)))
t = ctx().wrap_socket(s)
t.sendall(b"MAIL FROM:<a@remote.test>\r\n")
print("\n".join(replies(t, 1)))
t.sendall(b"STARTTLS\r\n")
print("\n".join(replies(t, 1)))
t.sendall(b"QUIT\r\n")
print("\n".join(replies(t, 1)))
PY
	assert_line '220 2.0.0 Ready to start TLS'
	assert_line '503 5.5.1 send LHLO first'
	assert_line '503 5.5.1 TLS already active'
	refute_line --partial '250 2.1.0'
	grep -q 'lmtp starttls_discarded bytes=30 ' "$TANDEM_LOG" || fail "no starttls_discarded line"
}

@test "LMTP TLS: without a certificate STARTTLS is not advertised and gets 454" {
	tandem_config
	tandem_start
	run -0 lmtp_raw --send 'LHLO x\r\n' --wait 2 --send 'STARTTLS\r\n' --wait 3 --send 'QUIT\r\n'
	refute_line --partial 'STARTTLS'
	assert_line '454 4.7.0 TLS not available'
}
