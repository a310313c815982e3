#!/usr/bin/env bats
# imap-tls.bats - TLS for IMAP from the outside: STARTTLS (RFC 3501 6.2.1)
# and implicit TLS (imaps_listen), with openssl s_client, Python's imaplib
# and testssl.sh; no protocol below TLS 1.2 and no weak cipher; plaintext
# pipelined after STARTTLS discarded (CVE-2011-0411 class); LOGINDISABLED
# before TLS and AUTH=PLAIN after; SIGHUP swapping the certificate for new
# connections while an open session keeps working, and keeping the old one
# when the new files are bad; handshake failures and timeouts logged;
# `tandemd -t` naming a missing or mismatched key.
# Certificates are made with openssl at test time.

setup_file() {
	local dir=$BATS_FILE_TMPDIR/certs
	mkdir -p "$dir"
	local cn
	for cn in one two; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$cn.test" \
			-keyout "$dir/$cn.key" -out "$dir/$cn.crt" 2>/dev/null ||
			return 1
	done
	cat "$dir/one.crt" "$dir/two.crt" >"$dir/ca.pem"
}

setup() {
	load helpers/common
	CERTS=$BATS_FILE_TMPDIR/certs
	# the files the daemon reads; tests overwrite them before a SIGHUP
	cp "$CERTS/one.crt" "$BATS_TEST_TMPDIR/tls.crt"
	cp "$CERTS/one.key" "$BATS_TEST_TMPDIR/tls.key"
	IMAPS_PORT=$(free_port)
	export CERTS IMAPS_PORT
}

teardown() {
	tandem_stop_all
}

# start [key=value...]: TLS on, IMAPS on $IMAPS_PORT, a user alice.
start() {
	tandem_config tls_cert_file="$BATS_TEST_TMPDIR/tls.crt" \
		tls_key_file="$BATS_TEST_TMPDIR/tls.key" \
		imaps_listen="127.0.0.1:$IMAPS_PORT" "$@"
	tandem_start
	demo_user alice@example.test alicepw
}

# tls_py: run the Python on stdin with helpers: ctx() a client context
# trusting both test certificates (no host name check), cn(sslsock) the
# peer's CN, lines(sock, tag) the lines up to the tagged reply.
tls_py() {
	"$PYTHON" -c 'import sys
prelude = r"""
import imaplib, os, signal, socket, ssl, sys, time
PORT = int(os.environ["IMAP_PORT"]); SPORT = int(os.environ["IMAPS_PORT"])
def ctx():
    c = ssl.create_default_context(cafile=os.environ["CERTS"] + "/ca.pem")
    c.check_hostname = False
    return c
def cn(s):
    return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
def lines(sock, tag, limit=10.0):
    sock.settimeout(limit)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if any(l.startswith(tag.encode() + b" ") for l in data.split(b"\r\n")):
            break
    return data.decode("latin-1").split("\r\n")
def wait_log(text, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if text in open(os.environ["TANDEM_LOG"]).read():
            return True
        time.sleep(0.1)
    return False
"""
exec(compile(prelude + sys.stdin.read(), "tls_py", "exec"))'
}

# caps TEXT: the CAPABILITY tokens of the last "* CAPABILITY" line in TEXT
last_caps() {
	grep '^\* CAPABILITY' <<<"$1" | tail -1 | sed 's/^\* CAPABILITY //'
}

@test "IMAP TLS: tandemd -t fails with a clear message on a missing or mismatched key" {
	tandem_config tls_cert_file="$CERTS/one.crt" tls_key_file="$BATS_TEST_TMPDIR/nokey.pem"
	run -1 "$BUILD/tandemd" -c "$TANDEM_CONF" -t
	assert_output --partial "tls_key_file: $BATS_TEST_TMPDIR/nokey.pem: No such file or directory"

	tandem_config tls_cert_file="$CERTS/one.crt" tls_key_file="$CERTS/two.key"
	run -1 "$BUILD/tandemd" -c "$TANDEM_CONF" -t
	assert_output --partial "tls_key_file: $CERTS/two.key does not match the certificate in $CERTS/one.crt"

	tandem_config tls_cert_file="$CERTS/one.crt"
	run -1 "$BUILD/tandemd" -c "$TANDEM_CONF" -t
	assert_output --partial "set tls_cert_file and tls_key_file together"

	tandem_config imaps_listen=127.0.0.1:1
	run -1 "$BUILD/tandemd" -c "$TANDEM_CONF" -t
	assert_output --partial "imaps_listen: implicit TLS needs tls_cert_file"

	tandem_config tls_cert_file="$CERTS/one.crt" tls_key_file="$CERTS/one.key" tls_min_protocol=TLSv1.1
	run -1 "$BUILD/tandemd" -c "$TANDEM_CONF" -t
	assert_output --partial "tls_min_protocol: 'TLSv1.1' is not TLSv1.2 or TLSv1.3"

	tandem_config tls_cert_file="$CERTS/one.crt" tls_key_file="$CERTS/one.key"
	run -0 "$BUILD/tandemd" -c "$TANDEM_CONF" -t
	assert_output --partial "config OK"
}

@test "IMAP TLS: without a certificate STARTTLS is neither advertised nor accepted" {
	tandem_config
	tandem_start
	run -0 imap_client raw --send 'a1 CAPABILITY\r\n' --expect a1 --send 'a2 STARTTLS\r\n' --expect a2
	[[ " $(last_caps "$output") " != *" STARTTLS "* ]] || fail "STARTTLS advertised: $output"
	assert_line 'a2 BAD TLS is not available'
}

@test "IMAP TLS: off loopback rules, LOGINDISABLED before STARTTLS and AUTH=PLAIN after; login works over TLS" {
	start plaintext_auth_loopback=no
	run -0 imap_client raw --send 'a1 CAPABILITY\r\n' --expect a1 \
		--send 'a2 LOGIN alice@example.test alicepw\r\n' --expect a2
	local caps
	caps=" $(last_caps "$output") "
	[[ $caps == *" STARTTLS "* ]] || fail "no STARTTLS before TLS: $caps"
	[[ $caps == *" LOGINDISABLED "* ]] || fail "no LOGINDISABLED before TLS: $caps"
	[[ $caps != *" AUTH=PLAIN "* ]] || fail "AUTH=PLAIN before TLS: $caps"
	assert_line --partial 'a2 NO [PRIVACYREQUIRED]'

	run -0 tls_py <<'PY'
s = socket.create_connection(("127.0.0.1", PORT))
print(lines(s, "*", 5)[0])
s.sendall(b"a1 STARTTLS\r\n")
print("\n".join(lines(s, "a1")))
t = ctx().wrap_socket(s)
t.sendall(b"a2 CAPABILITY\r\n")
print("\n".join(lines(t, "a2")))
t.sendall(b"a3 LOGIN alice@example.test alicepw\r\n")
print("\n".join(lines(t, "a3")))
t.sendall(b"a4 STARTTLS\r\n")
print("\n".join(lines(t, "a4")))
PY
	assert_line 'a1 OK Begin TLS negotiation now'
	caps=" $(last_caps "$output") "
	[[ $caps == *" AUTH=PLAIN "* && $caps == *" AUTH=LOGIN "* ]] || fail "no AUTH=PLAIN after TLS: $caps"
	[[ $caps != *" LOGINDISABLED "* ]] || fail "LOGINDISABLED after TLS: $caps"
	[[ $caps != *" STARTTLS "* ]] || fail "STARTTLS advertised over TLS: $caps"
	assert_line --regexp '^a3 OK'
	assert_line 'a4 BAD STARTTLS is not valid in this state'
	grep -q 'imap tls protocol=TLSv1.3' "$TANDEM_LOG" || fail "no tls log line"
}

@test "IMAP TLS: a second STARTTLS before login gets BAD" {
	start
	run -0 tls_py <<'PY'
s = socket.create_connection(("127.0.0.1", PORT))
lines(s, "*", 5)
s.sendall(b"a1 STARTTLS\r\n")
lines(s, "a1")
t = ctx().wrap_socket(s)
t.sendall(b"a2 STARTTLS\r\n")
print("\n".join(lines(t, "a2")))
PY
	assert_line 'a2 BAD TLS is already active'
}

@test "IMAP TLS: openssl s_client gets in with -starttls imap and on the implicit port" {
	start
	run -0 timeout 20 sh -c "{ sleep 1; printf 'a1 CAPABILITY\n'; sleep 1; printf 'a2 LOGOUT\n'; sleep 1; } |
		openssl s_client -starttls imap -connect 127.0.0.1:$IMAP_PORT -CAfile $CERTS/ca.pem -crlf -ign_eof 2>&1"
	assert_output --partial 'Verify return code: 0 (ok)'
	assert_output --regexp 'New, TLSv1\.[23], Cipher is'
	assert_line --regexp '^a1 OK'
	assert_line --regexp '^a2 OK'

	run -0 timeout 20 sh -c "{ sleep 1; printf 'a1 CAPABILITY\n'; sleep 1; printf 'a2 LOGOUT\n'; sleep 1; } |
		openssl s_client -connect 127.0.0.1:$IMAPS_PORT -CAfile $CERTS/ca.pem -crlf -ign_eof 2>&1"
	assert_output --partial 'subject=CN = one.test'
	assert_output --partial 'Verify return code: 0 (ok)'
	assert_line --regexp '^\* OK \[CAPABILITY .*AUTH=PLAIN.*\] tandem ready'
	assert_line --regexp '^a2 OK'
}

@test "IMAP TLS: imaplib logs in and fetches over IMAP4_SSL and over IMAP4.starttls()" {
	start plaintext_auth_loopback=no
	local msg=$BATS_TEST_TMPDIR/msg.eml
	make_message "$msg" 3000 tlstoken42
	lmtp_send --from sender@example.net --file "$msg" alice@example.test >/dev/null
	run -0 tls_py <<'PY'
for name in ("ssl", "starttls"):
    if name == "ssl":
        M = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx())
    else:
        M = imaplib.IMAP4("127.0.0.1", PORT)
        print(name, "before", "LOGINDISABLED" in M.capabilities)
        M.starttls(ssl_context=ctx())
    print(name, "login", M.login("alice@example.test", "alicepw")[0])
    M.select("INBOX")
    typ, data = M.fetch("1", "(BODY.PEEK[])")
    print(name, "fetch", typ, b"token tlstoken42" in data[0][1])
    print(name, "logout", M.logout()[0])
PY
	assert_line 'starttls before True'
	assert_line 'ssl login OK'
	assert_line 'ssl fetch OK True'
	assert_line 'ssl logout BYE'
	assert_line 'starttls login OK'
	assert_line 'starttls fetch OK True'
	assert_line 'starttls logout BYE'
}

@test "IMAP TLS: TLS 1.0 and 1.1 and weak or non-forward-secret ciphers are refused, and the log says why" {
	start
	local args
	for args in "-tls1 -cipher DEFAULT:@SECLEVEL=0" "-tls1_1 -cipher DEFAULT:@SECLEVEL=0" \
		"-tls1_2 -cipher RC4:DES:3DES:NULL:EXPORT:@SECLEVEL=0" \
		"-tls1_2 -cipher AES128-SHA:AES256-SHA256:@SECLEVEL=0"; do
		# shellcheck disable=SC2086 # args is a word list
		run timeout 10 openssl s_client -connect "127.0.0.1:$IMAPS_PORT" $args </dev/null
		[ "$status" -ne 0 ] || fail "handshake with $args: got success, want failure"
		assert_output --partial 'Cipher is (NONE)'
	done
	# the server, not the client, said no
	[ "$(grep -c 'imap tls_failed .*error=unsupported_protocol' "$TANDEM_LOG")" -eq 2 ] ||
		fail "want 2 unsupported_protocol lines: $(grep tls_failed "$TANDEM_LOG")"
	[ "$(grep -c 'imap tls_failed .*error=no_shared_cipher' "$TANDEM_LOG")" -ge 1 ] ||
		fail "want no_shared_cipher: $(grep tls_failed "$TANDEM_LOG")"
	run -0 timeout 10 openssl s_client -connect "127.0.0.1:$IMAPS_PORT" -tls1_2 </dev/null
	assert_output --regexp 'New, TLSv1\.2, Cipher is ECDHE-RSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)'
}

@test "IMAP TLS: testssl.sh finds no SSLv2/3, TLS 1.0/1.1, NULL, EXPORT, LOW (RC4, DES) or 3DES on the implicit port" {
	command -v testssl >/dev/null || fail "testssl (Debian package testssl.sh) is not installed"
	start
	local json=$BATS_TEST_TMPDIR/testssl.json
	run timeout 120 testssl --protocols --std --fast --quiet --warnings batch --color 0 \
		--jsonfile "$json" "127.0.0.1:$IMAPS_PORT"
	[ -s "$json" ] || fail "testssl wrote no JSON: $output"
	run -0 "$PYTHON" - "$json" <<'PY'
import json, sys
found = {e["id"]: e["finding"] for e in json.load(open(sys.argv[1]))}
want_not = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL", "cipherlist_aNULL",
            "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA"]
bad = [f"{k}: got {found.get(k)!r}, want 'not offered'" for k in want_not
       if not str(found.get(k, "")).startswith("not offered")]
for k in ("TLS1_2", "TLS1_3"):
    if not str(found.get(k, "")).startswith("offered"):
        bad.append(f"{k}: got {found.get(k)!r}, want offered")
print("\n".join(bad) or "clean")
PY
	assert_output 'clean'
}

@test "IMAP TLS: plaintext sent after STARTTLS in the same packet is discarded and logged" {
	start
	run -0 tls_py <<'PY'
s = socket.create_connection(("127.0.0.1", PORT))
lines(s, "*", 5)
s.sendall(b"a STARTTLS\r\nb CAPABILITY\r\n")
print("\n".join(lines(s, "a")))
t = ctx().wrap_socket(s)
t.sendall(b"c NOOP\r\n")
print("\n".join(lines(t, "c")))
t.sendall(b"d LOGOUT\r\n")
print("\n".join(lines(t, "d")))
PY
	assert_line 'a OK Begin TLS negotiation now'
	assert_line --regexp '^c OK'
	refute_line --regexp '^b '
	refute_line --regexp '^\* CAPABILITY'
	grep -q 'imap starttls_discarded bytes=14 ' "$TANDEM_LOG" || fail "no starttls_discarded log line"
}

@test "IMAP TLS: SIGHUP with a new certificate serves it to new connections while an open session keeps working" {
	start
	make_message "$BATS_TEST_TMPDIR/msg.eml" 500
	lmtp_send --from sender@example.net --file "$BATS_TEST_TMPDIR/msg.eml" alice@example.test >/dev/null
	export TANDEM_PID TLS_DIR=$BATS_TEST_TMPDIR
	run -0 tls_py <<'PY'
import shutil
A = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx())
A.login("alice@example.test", "alicepw")
A.select("INBOX")
print("old session", cn(A.sock))
d = os.environ["TLS_DIR"]
shutil.copy(os.environ["CERTS"] + "/two.crt", d + "/tls.crt")
shutil.copy(os.environ["CERTS"] + "/two.key", d + "/tls.key")
os.kill(int(os.environ["TANDEM_PID"]), signal.SIGHUP)
print("reloaded", wait_log('tls_reloaded subject="CN=two.test"'))
B = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx())
print("new session", cn(B.sock))
B.logout()
print("old session noop", A.noop()[0], "fetch", A.fetch("1", "(FLAGS)")[0], cn(A.sock))
print("old session logout", A.logout()[0])
PY
	assert_line 'old session one.test'
	assert_line 'reloaded True'
	assert_line 'new session two.test'
	assert_line 'old session noop OK fetch OK one.test'
	assert_line 'old session logout BYE'
}

@test "IMAP TLS: SIGHUP with a bad certificate logs an error and keeps the old one" {
	start
	printf 'not a certificate\n' >"$BATS_TEST_TMPDIR/tls.crt"
	kill -HUP "$TANDEM_PID"
	run -0 tls_py <<'PY'
print("failed", wait_log("tls_reload_failed"))
B = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx())
print("new session", cn(B.sock))
B.logout()
PY
	assert_line 'failed True'
	assert_line 'new session one.test'
	grep -q 'tandemd tls_reload_failed error="tls_cert_file: ' "$TANDEM_LOG" || fail "no reason logged"
	# a mismatched pair is refused the same way
	cp "$CERTS/two.crt" "$BATS_TEST_TMPDIR/tls.crt"
	kill -HUP "$TANDEM_PID"
	run -0 tls_py <<'PY'
time.sleep(0.5)
print("mismatch", wait_log("does not match the certificate"))
B = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx())
print("new session", cn(B.sock))
B.logout()
PY
	assert_line 'mismatch True'
	assert_line 'new session one.test'
}

@test "IMAP TLS: a failed or stalled handshake is logged with its reason and closed (pre-auth timeout)" {
	start imap_preauth_timeout=2
	run -0 imap_client --port "$IMAPS_PORT" raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect CLOSED
	refute_output --partial 'OK'
	grep -q 'imap tls_failed peer=127.0.0.1:[0-9]* error=' "$TANDEM_LOG" || fail "no tls_failed line"
	grep -q 'disconnect reason=tls handshake failed' "$TANDEM_LOG" || fail "no disconnect line"

	local t0=$SECONDS
	run -0 imap_client --port "$IMAPS_PORT" --timeout 10 raw --expect CLOSED
	[ $((SECONDS - t0)) -le 6 ] || fail "stalled handshake lasted $((SECONDS - t0)) s, want about 2"
	grep -q 'imap tls_failed .*error=timeout' "$TANDEM_LOG" || fail "no timeout line"
	grep -q 'disconnect reason=tls handshake timeout' "$TANDEM_LOG" || fail "no disconnect line"
}
