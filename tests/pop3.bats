#!/usr/bin/env bats
# pop3.bats - the POP3 service (RFC 1939, CAPA RFC 2449, STLS RFC 2595,
# AUTH RFC 5034) from the outside, with raw sockets, Python's poplib and
# fetchmail: the exact CAPA list before and after login and TLS, USER/PASS
# and AUTH PLAIN/LOGIN (initial response and continuations), -ERR [AUTH],
# STLS and POP3S, UIDL stable across a restart, TOP, byte-stuffing,
# deletions only at QUIT (RSET, dropped connections) seen by an IMAP
# session open on the same INBOX, the maildrop lock ([IN-USE]), messages
# delivered during a session, bad and overlong commands. SQL accounts only
# (no LDAP). Certificates are made with openssl at test time.

setup_file() {
	local dir=$BATS_FILE_TMPDIR/certs
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pop.test" \
		-keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null || return 1
}

setup() {
	load helpers/common
	CERTS=$BATS_FILE_TMPDIR/certs
	POP3_PORT=$(free_port)
	POP3S_PORT=$(free_port)
	export CERTS POP3_PORT POP3S_PORT HELPERS BATS_TEST_TMPDIR
}

teardown() {
	tandem_stop_all
}

# start [key=value...]: POP3 on $POP3_PORT, POP3S on $POP3S_PORT (TLS on),
# a user alice.
start() {
	tandem_config tls_cert_file="$CERTS/tls.crt" tls_key_file="$CERTS/tls.key" \
		pop3_listen="127.0.0.1:$POP3_PORT" pop3s_listen="127.0.0.1:$POP3S_PORT" "$@"
	tandem_start
	demo_user alice@example.test alicepw
}

# deliver N: N messages for alice over LMTP, "Subject: test msgK".
deliver() {
	local k
	for ((k = 1; k <= $1; k++)); do
		make_message "$BATS_TEST_TMPDIR/m$k" 600 "msg$k"
		lmtp_send --file "$BATS_TEST_TMPDIR/m$k" alice@example.test >/dev/null ||
			fail "delivery $k failed"
	done
}

# pop_py: run the Python on stdin with helpers: raw(port) a connection
# whose cmd(text, multi) sends a line and returns the reply lines (multi:
# up to the "." line), ctx() a client context trusting the test
# certificate, imap() a logged-in imaplib session.
pop_py() {
	"$PYTHON" -c 'import sys
prelude = r"""
import imaplib, os, poplib, socket, ssl, sys, time
PORT = int(os.environ["POP3_PORT"]); SPORT = int(os.environ["POP3S_PORT"])
IPORT = int(os.environ["IMAP_PORT"])
def ctx():
    c = ssl.create_default_context(cafile=os.environ["CERTS"] + "/tls.crt")
    c.check_hostname = False
    return c
class Raw:
    def __init__(self, sock):
        self.s = sock; self.buf = b""; sock.settimeout(10)
    def line(self):
        while b"\r\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return "TIMEOUT"
            except ConnectionResetError:
                return "CLOSED"
            if not d:
                return "CLOSED"
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode("latin-1")
    def send(self, data):
        self.s.sendall(data.encode("latin-1") if isinstance(data, str) else data)
    def cmd(self, text, multi=False):
        if text is not None:
            self.send(text + "\r\n")
        out = [self.line()]
        if multi and out[0].startswith("+OK"):
            while out[-1] not in (".", "CLOSED", "TIMEOUT"):
                out.append(self.line())
        return out
    def tls(self):
        self.s = ctx().wrap_socket(self.s); self.s.settimeout(10)
def raw(port=None):
    r = Raw(socket.create_connection(("127.0.0.1", port or PORT)))
    r.greeting = r.line()
    return r
def show(lines):
    print("\n".join(lines))
def imap():
    m = imaplib.IMAP4("127.0.0.1", IPORT)
    m.login("alice@example.test", "alicepw")
    return m
"""
exec(compile(prelude + sys.stdin.read(), "pop_py", "exec"))'
}

@test "POP3: greeting and CAPA list exactly what is offered before and after login; poplib USER/PASS, STAT, LIST, UIDL, RETR" {
	start
	deliver 2
	run -0 pop_py <<'PY'
r = raw()
print("greeting", r.greeting)
print("capa-before", "|".join(r.cmd("CAPA", True)))
show(r.cmd("USER alice@example.test"))
show(r.cmd("PASS alicepw"))
print("capa-after", "|".join(r.cmd("CAPA", True)))
show(r.cmd("QUIT"))
p = poplib.POP3("127.0.0.1", PORT)
p.user("alice@example.test"); p.pass_("alicepw")
print("stat", p.stat())
print("list", p.list()[1])
print("uidl", p.uidl()[1])
resp, lines, octets = p.retr(2)
print("retr", resp, b"Subject: test msg2" in lines, octets)
print("quit", p.quit())
PY
	assert_line 'greeting +OK tandem POP3 ready'
	assert_line 'capa-before +OK Capability list follows|TOP|UIDL|RESP-CODES|AUTH-RESP-CODE|PIPELINING|USER|SASL PLAIN LOGIN|STLS|IMPLEMENTATION Tandem|.'
	assert_line 'capa-after +OK Capability list follows|TOP|UIDL|RESP-CODES|AUTH-RESP-CODE|PIPELINING|IMPLEMENTATION Tandem|.'
	assert_line '+OK send PASS'
	assert_line --regexp '^\+OK logged in, 2 messages \([0-9]+ octets\)$'
	assert_line --regexp "^stat \(2, [0-9]+\)$"
	assert_line --regexp "^list \[b'1 [0-9]+', b'2 [0-9]+'\]$"
	assert_line --regexp "^uidl \[b'1 [0-9]+\.1', b'2 [0-9]+\.2'\]$"
	assert_line --regexp "^retr b'\+OK [0-9]+ octets' True [0-9]+$"
	assert_line "quit b'+OK tandem POP3 signing off'"
	grep -q 'pop3 login user=alice@example.test mech=login messages=2' "$TANDEM_LOG" ||
		fail "no login log line"
}

@test "POP3: pipelined commands are answered in order (PIPELINING)" {
	start
	deliver 2
	run -0 pop_py <<'PY'
r = raw()
r.send("USER alice@example.test\r\nPASS alicepw\r\nSTAT\r\nLIST 2\r\nUIDL 1\r\nDELE 1\r\nSTAT\r\nQUIT\r\n")
for k in range(8):
    print(r.line())
print(r.line())
PY
	[ "${lines[0]}" = "+OK send PASS" ] || fail "got ${lines[0]}"
	[[ ${lines[1]} == "+OK logged in, 2 messages"* ]] || fail "got ${lines[1]}"
	[[ ${lines[2]} =~ ^\+OK\ 2\ [0-9]+$ ]] || fail "got ${lines[2]}"
	[[ ${lines[3]} =~ ^\+OK\ 2\ [0-9]+$ ]] || fail "got ${lines[3]}"
	[[ ${lines[4]} =~ ^\+OK\ 1\ [0-9]+\.1$ ]] || fail "got ${lines[4]}"
	[ "${lines[5]}" = "+OK message 1 deleted" ] || fail "got ${lines[5]}"
	[[ ${lines[6]} =~ ^\+OK\ 1\ [0-9]+$ ]] || fail "got ${lines[6]}"
	[ "${lines[7]}" = "+OK tandem POP3 signing off" ] || fail "got ${lines[7]}"
	[ "${lines[8]}" = "CLOSED" ] || fail "got ${lines[8]}"
}

@test "POP3: AUTH PLAIN with an initial response, AUTH PLAIN and LOGIN by continuation; wrong passwords get -ERR [AUTH]" {
	start auth_failure_delay_ms=10
	run -0 pop_py <<'PY'
import base64
b = lambda s: base64.b64encode(s.encode()).decode()
r = raw()
show(r.cmd("AUTH PLAIN " + b("\0alice@example.test\0alicepw")))
show(r.cmd("QUIT"))
r = raw()
show(r.cmd("AUTH PLAIN"))
show(r.cmd(b("\0alice@example.test\0alicepw")))
show(r.cmd("QUIT"))
r = raw()
show(r.cmd("AUTH LOGIN"))
show(r.cmd(b("alice@example.test")))
show(r.cmd(b("alicepw")))
show(r.cmd("QUIT"))
r = raw()
show(r.cmd("AUTH LOGIN " + b("alice@example.test")))
show(r.cmd(b("wrong")))
show(r.cmd("AUTH PLAIN " + b("\0alice@example.test\0wrong")))
show(r.cmd("USER alice@example.test"))
show(r.cmd("PASS wrong too"))
print("after", r.line())
r = raw()
show(r.cmd("AUTH PLAIN"))
show(r.cmd("*"))
show(r.cmd("AUTH CRAM-MD5"))
p = poplib.POP3("127.0.0.1", PORT)
print("poplib", p.capa())
PY
	assert_line '+OK logged in, 0 messages (0 octets)'
	assert_line '+ '
	assert_line '+ VXNlcm5hbWU6'
	assert_line '+ UGFzc3dvcmQ6'
	[ "$(grep -c '^+OK logged in' <<<"$output")" = 3 ] || fail "not 3 logins: $output"
	[ "$(grep -c '^-ERR \[AUTH\] Authentication failed.$' <<<"$output")" = 3 ] ||
		fail "not 3 failures: $output"
	assert_line 'after CLOSED'
	assert_line '-ERR authentication cancelled'
	assert_line '-ERR unsupported authentication mechanism'
	grep -q 'pop3 login user=alice@example.test mech=plain' "$TANDEM_LOG" || fail "no plain login"
	! grep -q 'alicepw' "$TANDEM_LOG" || fail "a password in the log"
}

@test "POP3: off loopback rules no USER or SASL before STLS and -ERR [AUTH] for them; after STLS they are offered and work" {
	start plaintext_auth_loopback=no
	run -0 pop_py <<'PY'
r = raw()
print("capa-before", "|".join(r.cmd("CAPA", True)))
show(r.cmd("USER alice@example.test"))
show(r.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZXB3"))
show(r.cmd("STLS"))
r.tls()
print("capa-after", "|".join(r.cmd("CAPA", True)))
show(r.cmd("STLS"))
show(r.cmd("USER alice@example.test"))
show(r.cmd("PASS alicepw"))
show(r.cmd("QUIT"))
p = poplib.POP3("127.0.0.1", PORT)
p.stls(context=ctx())
p.user("alice@example.test"); print("poplib-stls", p.pass_("alicepw"))
p.quit()
PY
	assert_line 'capa-before +OK Capability list follows|TOP|UIDL|RESP-CODES|AUTH-RESP-CODE|PIPELINING|STLS|IMPLEMENTATION Tandem|.'
	[ "$(grep -c '^-ERR \[AUTH\] plaintext authentication is not allowed without TLS' <<<"$output")" = 2 ] ||
		fail "USER/AUTH accepted without TLS: $output"
	assert_line '+OK Begin TLS negotiation now'
	assert_line 'capa-after +OK Capability list follows|TOP|UIDL|RESP-CODES|AUTH-RESP-CODE|PIPELINING|USER|SASL PLAIN LOGIN|IMPLEMENTATION Tandem|.'
	assert_line '-ERR TLS is already active'
	assert_line --regexp '^\+OK logged in'
	assert_line --regexp "^poplib-stls b'\+OK logged in"
	grep -q 'pop3 tls protocol=TLSv1' "$TANDEM_LOG" || fail "no tls log line"
}

@test "POP3: POP3S (implicit TLS) with poplib.POP3_SSL; without a certificate STLS is neither offered nor accepted" {
	start plaintext_auth_loopback=no
	deliver 1
	run -0 pop_py <<'PY'
p = poplib.POP3_SSL("127.0.0.1", SPORT, context=ctx())
print("welcome", p.getwelcome())
print("capa", sorted(p.capa()))
p.user("alice@example.test"); p.pass_("alicepw")
print("stat", p.stat()[0])
p.quit()
PY
	assert_line "welcome b'+OK tandem POP3 ready'"
	assert_line "capa ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'TOP', 'UIDL', 'USER']"
	assert_line 'stat 1'
	tandem_stop
	tandem_config pop3_listen="127.0.0.1:$POP3_PORT"
	tandem_start
	run -0 pop_py <<'PY'
r = raw()
print("capa", "|".join(r.cmd("CAPA", True)))
show(r.cmd("STLS"))
PY
	[[ $output != *STLS\|* ]] || fail "STLS offered without a certificate: $output"
	assert_line '-ERR TLS is not available'
}

@test "POP3: TOP sends the header and n body lines; RETR byte-stuffs lines starting with a dot and ends lines in CRLF" {
	start
	printf 'Subject: dots\r\nFrom: a@remote.test\r\n\r\nline one\r\n..two dots\r\n.\r\n...\r\nlast\r\n' \
		>"$BATS_TEST_TMPDIR/dots"
	run -0 lmtp_send --file "$BATS_TEST_TMPDIR/dots" alice@example.test
	run -0 pop_py <<'PY'
r = raw()
r.cmd("USER alice@example.test"); r.cmd("PASS alicepw")
print("top0", "|".join(r.cmd("TOP 1 0", True)[1:]))
print("top2", "|".join(r.cmd("TOP 1 2", True)[1:]))
r.send("RETR 1\r\n")
data = b""
while not data.endswith(b"\r\n.\r\n"):
    data += r.s.recv(65536)
body = data.split(b"\r\n", 1)[1]
print("bare-lf", b"\n" in body.replace(b"\r\n", b""))
print("retr", body.decode().replace("\r\n", "|"))
show(r.cmd("TOP 1 x"))
show(r.cmd("TOP 1"))
show(r.cmd("RETR 2"))
show(r.cmd("RETR 0"))
PY
	assert_line --regexp '^top0 .*Subject: dots\|From: a@remote.test\|\|\.$'
	assert_line --regexp '^top2 .*\|\|line one\|\.\.\.two dots\|\.$'
	assert_line 'bare-lf False'
	# smtplib stuffs the file's lines and LMTP unstuffs them: stored as in
	# the file ("..two dots", ".", "..."); POP3 stuffs them again
	assert_line --regexp '^retr .*\|\|line one\|\.\.\.two dots\|\.\.\|\.\.\.\.\|last\|\.\|$'
	assert_line '-ERR the line count must be a number'
	assert_line '-ERR wrong number of arguments'
	[ "$(grep -c '^-ERR no such message$' <<<"$output")" = 2 ] || fail "$output"
}

@test "POP3: deletions happen only at QUIT: RSET and a dropped connection keep the mail; an IMAP session on INBOX meanwhile sees the expunge" {
	start
	deliver 3
	run -0 pop_py <<'PY'
m = imap()
print("select", m.select("INBOX"))
r = raw()
r.cmd("USER alice@example.test"); r.cmd("PASS alicepw")
show(r.cmd("DELE 1"))
show(r.cmd("DELE 1"))
show(r.cmd("RETR 1"))
print("list", "|".join(r.cmd("LIST", True)))
show(r.cmd("RSET"))
show(r.cmd("STAT"))
show(r.cmd("DELE 2"))
r.s.close()          # dropped: nothing deleted
time.sleep(0.3)
r = raw()
show(r.cmd("USER alice@example.test")); show(r.cmd("PASS alicepw"))
show(r.cmd("DELE 1")); show(r.cmd("DELE 3"))
print("imap-before", m.noop(), m.response("EXPUNGE"))
show(r.cmd("QUIT"))
time.sleep(0.5)
typ, data = m.noop()
print("imap-after", m.response("EXPUNGE"))
print("imap-search", m.uid("SEARCH", "ALL"))
m.logout()
p = poplib.POP3("127.0.0.1", PORT)
p.user("alice@example.test"); p.pass_("alicepw")
print("uidl", p.uidl()[1])
p.quit()
PY
	assert_line "select ('OK', [b'3'])"
	assert_line '+OK message 1 deleted'
	assert_line '-ERR message 1 already deleted'
	assert_line --regexp '^list \+OK scan listing follows\|2 [0-9]+\|3 [0-9]+\|\.$'
	assert_line --regexp '^\+OK maildrop has 3 messages \([0-9]+ octets\)$'
	assert_line --regexp '^\+OK 3 [0-9]+$'
	assert_line --regexp '^\+OK logged in, 3 messages'
	# nothing expunged before QUIT
	assert_line --regexp "^imap-before \('OK', .*\) \('EXPUNGE', \[None\]\)$"
	assert_line "imap-after ('EXPUNGE', [b'3', b'1'])"
	assert_line "imap-search ('OK', [b'2'])"
	assert_line --regexp "^uidl \[b'1 [0-9]+\.2'\]$"
	grep -q 'pop3 expunge user=alice@example.test count=2' "$TANDEM_LOG" || fail "no expunge log line"
}

@test "POP3: a message retrieved with RETR is \\Seen for IMAP after QUIT; TOP and a dropped connection leave it unseen" {
	start
	deliver 3
	run -0 pop_py <<'PY'
r = raw()
r.cmd("USER alice@example.test"); r.cmd("PASS alicepw")
r.cmd("RETR 1", True)
r.s.close()          # dropped: no UPDATE state, nothing changes
time.sleep(0.3)
r = raw()
r.cmd("USER alice@example.test"); r.cmd("PASS alicepw")
r.cmd("RETR 2", True)
r.cmd("TOP 3 0", True)
r.cmd("RETR 1", True); r.cmd("DELE 1")
show(r.cmd("QUIT"))
time.sleep(0.3)
m = imap()
m.select("INBOX")
print("flags", m.uid("FETCH", "1:*", "(FLAGS)")[1])
m.logout()
PY
	assert_line --regexp '^\+OK '
	# uid 1 deleted, uid 2 retrieved: seen, uid 3 only TOP: unseen
	assert_line --regexp '^flags \[b.1 \(UID 2 FLAGS \(\\\\Seen( \\\\Recent)?\)\)., b.2 \(UID 3 FLAGS \((\\\\Recent)?\)\).\]$'
}

@test "POP3: a second session of the same user gets -ERR [IN-USE] until the first ends; mail delivered meanwhile waits for the next session" {
	start
	deliver 1
	run -0 pop_py <<'PY'
a = raw()
a.cmd("USER alice@example.test"); show(a.cmd("PASS alicepw"))
b = raw()
b.cmd("USER alice@example.test"); show(b.cmd("PASS alicepw"))
show(b.cmd("STAT"))
import subprocess
subprocess.run([sys.executable, os.environ["HELPERS"] + "/lmtp-send.py", "--port", os.environ["LMTP_PORT"],
                "--file", os.environ["BATS_TEST_TMPDIR"] + "/m1", "alice@example.test"],
               stdout=subprocess.DEVNULL, check=True)
print("a-stat", a.cmd("STAT")[0].split()[1])
show(a.cmd("QUIT"))
b.cmd("USER alice@example.test"); show(b.cmd("PASS alicepw"))
print("b-stat", b.cmd("STAT")[0].split()[1])
PY
	assert_line --regexp '^\+OK logged in, 1 messages'
	assert_line '-ERR [IN-USE] maildrop is locked by another POP3 session'
	assert_line '-ERR not logged in'
	assert_line 'a-stat 1'
	assert_line --regexp '^\+OK logged in, 2 messages'
	assert_line 'b-stat 2'
}

@test "POP3: a silent session is closed after pop3_idle_timeout and what it DELEted stays" {
	start pop3_idle_timeout=1
	deliver 1
	run -0 pop_py <<'PY'
r = raw()
r.cmd("USER alice@example.test"); show(r.cmd("PASS alicepw"))
show(r.cmd("DELE 1"))
time.sleep(2.5)
print("idle", r.line(), r.line())
p = poplib.POP3("127.0.0.1", PORT)
p.user("alice@example.test"); p.pass_("alicepw")
print("stat", p.stat()[0])
p.quit()
PY
	assert_line '+OK message 1 deleted'
	assert_line 'idle -ERR autologout; idle for too long CLOSED'
	assert_line 'stat 1'
	grep -q 'pop3 idle_timeout state=transaction user=alice@example.test' "$TANDEM_LOG" ||
		fail "no idle_timeout log line"
}

@test "POP3: UIDL stays the same across a tandemd restart" {
	start
	deliver 3
	run -0 pop_py <<'PY'
p = poplib.POP3("127.0.0.1", PORT)
p.user("alice@example.test"); p.pass_("alicepw")
p.dele(2)
p.quit()
p = poplib.POP3("127.0.0.1", PORT)
p.user("alice@example.test"); p.pass_("alicepw")
print(p.uidl()[1])
p.quit()
PY
	local before=$output
	[[ $before =~ ^\[b\'1\ [0-9]+\.1\',\ b\'2\ [0-9]+\.3\'\]$ ]] || fail "got $before"
	tandem_stop
	tandem_start
	run -0 pop_py <<'PY'
p = poplib.POP3("127.0.0.1", PORT)
p.user("alice@example.test"); p.pass_("alicepw")
print(p.uidl()[1])
p.quit()
PY
	[ "$output" = "$before" ] || fail "got $output, want $before"
}

@test "POP3: unknown and malformed commands, commands in the wrong state and overlong lines get -ERR; too many errors close the session" {
	start
	run -0 pop_py <<'PY'
r = raw()
show(r.cmd("STAT"))
show(r.cmd("FROB"))
show(r.cmd("LIST 1 2 3"))
show(r.cmd("PASS x"))
show(r.cmd("USER " + "a" * 300))
show(r.cmd("NOOP " + "a" * 5000))
show(r.cmd("CAPA", True)[:1])
r.cmd("USER alice@example.test"); show(r.cmd("PASS alicepw"))
show(r.cmd("USER alice@example.test"))
show(r.cmd("LIST x"))
sent = 0
for k in range(10):
    sent += 1
    last = r.cmd("XYZZY")
    if last[0] != "-ERR unknown command":
        break
print("sent", sent)
show(last)
print("end", r.line())
PY
	assert_line '-ERR not logged in'
	assert_line '-ERR unknown command'
	assert_line '-ERR too many arguments'
	assert_line '-ERR USER first'
	assert_line '-ERR argument too long'
	assert_line '-ERR line too long'
	assert_line '+OK Capability list follows'
	assert_line --regexp '^\+OK logged in'
	assert_line '-ERR command not valid in this state'
	assert_line '-ERR no such message'
	# six errors so far: the fourth XYZZY is the tenth, answered "-ERR
	# unknown command" then "-ERR too many errors", read after the fifth
	assert_line 'sent 5'
	assert_line '-ERR too many errors'
	assert_line 'end CLOSED'
}

@test "POP3: fetchmail fetches every message over STLS into an MDA and deletes them at QUIT" {
	command -v fetchmail >/dev/null || fail "fetchmail is not installed (daemon/debian-packages.txt)"
	start plaintext_auth_loopback=no
	deliver 3
	local rc=$BATS_TEST_TMPDIR/fetchmailrc out=$BATS_TEST_TMPDIR/mbox
	{
		echo 'set no syslog'
		echo "poll 127.0.0.1 with protocol POP3 service $POP3_PORT auth password"
		echo '	user "alice@example.test" there with password "alicepw" is "tester" here'
		echo "	sslproto \"TLS1.2+\" sslcertck sslcertfile \"$CERTS/tls.crt\" sslcommonname \"pop.test\""
		echo "	mda \"cat >> $out\""
		echo '	fetchall'
	} >"$rc"
	chmod 600 "$rc"
	HOME=$BATS_TEST_TMPDIR run fetchmail -f "$rc" -v --nodetach -i "$BATS_TEST_TMPDIR/fetchids" </dev/null
	[ "$status" -eq 0 ] || fail "fetchmail status $status: $output"
	[ "$(grep -c '^Subject: test msg' "$out")" = 3 ] || fail "$(cat "$out")"
	grep -q 'STLS' <<<"$output" || fail "fetchmail did not use STLS: $output"
	grep -q 'pop3 tls protocol=TLSv1' "$TANDEM_LOG" || fail "no tls log line"
	grep -q 'pop3 expunge user=alice@example.test count=3' "$TANDEM_LOG" || fail "no expunge"
	run -0 pop_py <<'PY'
p = poplib.POP3_SSL("127.0.0.1", SPORT, context=ctx())
p.user("alice@example.test"); p.pass_("alicepw")
print("stat", p.stat()[0])
p.quit()
PY
	assert_line 'stat 0'
}

@test "POP3: tandemd -t refuses a bad pop3_listen, pop3s_listen without a certificate and pop3_idle_timeout 0" {
	tandem_config pop3_listen="nonsense::"
	run -1 "$BUILD/tandemd" -t -c "$TANDEM_CONF"
	assert_output --partial 'pop3_listen: '
	tandem_config pop3s_listen="127.0.0.1:$POP3S_PORT"
	run -1 "$BUILD/tandemd" -t -c "$TANDEM_CONF"
	assert_output --partial 'pop3s_listen: implicit TLS needs tls_cert_file and tls_key_file'
	tandem_config pop3_listen="127.0.0.1:$POP3_PORT" pop3_idle_timeout=0
	run -1 "$BUILD/tandemd" -t -c "$TANDEM_CONF"
	assert_output --partial 'pop3_idle_timeout: out of range'
}
