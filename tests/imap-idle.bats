#!/usr/bin/env bats
# imap-idle.bats - changes reach every session: IDLE (RFC 2177) pushes an
# LMTP delivery within 100 ms of its commit, other sessions' expunges and
# flag changes arrive as untagged EXPUNGE / FETCH at the next NOOP or while
# idling, never an EXPUNGE in the middle of FETCH, and \Recent (RFC 3501)
# goes to exactly one session. Two raw sessions per test, driven by the
# small Python client below (timestamps every line it reads).

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 800 idletoken
	tandem_start
}

teardown() {
	tandem_stop_all
}

# deliver N: N messages to alice over LMTP.
deliver() {
	local i
	for ((i = 0; i < $1; i++)); do
		lmtp_send --from sender@example.net --file "$MSG" alice@example.test >/dev/null ||
			fail "LMTP delivery failed"
	done
}

# idle_py SCENARIO: run one scenario of the client below; it prints what it
# saw, one fact per line, and exits non-zero on a broken expectation.
idle_py() {
	"$PYTHON" - "$1" <<'EOF'
import os, smtplib, socket, sys, threading, time

PORT = int(os.environ["IMAP_PORT"])
LMTP_PORT = int(os.environ["LMTP_PORT"])
MSG = open(os.environ["MSG"], "rb").read()


class Session:
    """A raw IMAP connection; a thread reads lines and stamps them."""

    def __init__(self, name):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        self.lines = []          # (time, line)
        self.seen = 0            # lines consumed by wait()
        self.cond = threading.Condition()
        threading.Thread(target=self.reader, daemon=True).start()
        self.wait("* OK")
        self.cmd("l", "LOGIN alice@example.test alicepw")

    def reader(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.lines.append((time.monotonic(), "CLOSED"))
                    self.cond.notify_all()
                    return
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    self.lines.append((time.monotonic(), line.decode("latin-1")))
                self.cond.notify_all()

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def wait(self, prefix, timeout=10):
        """Lines up to and including the first one starting with prefix."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(self.seen, len(self.lines)):
                    if self.lines[i][1].startswith(prefix):
                        got = self.lines[self.seen:i + 1]
                        self.seen = i + 1
                        return got
                left = deadline - time.monotonic()
                if left <= 0:
                    sys.exit("%s: no %r; got %r" % (self.name, prefix,
                                                  [l for _, l in self.lines[self.seen:]]))
                self.cond.wait(left)

    def cmd(self, tag, text):
        self.send("%s %s" % (tag, text))
        got = [l for _, l in self.wait(tag + " ")]
        if not got[-1].startswith(tag + " OK"):
            sys.exit("%s: %s %s failed: %r" % (self.name, tag, text, got))
        return got

    def show(self, lines):
        for l in lines:
            print("%s: %s" % (self.name, l))


def deliver():
    with smtplib.LMTP("127.0.0.1", LMTP_PORT) as lmtp:
        lmtp.sendmail("sender@example.net", ["alice@example.test"], MSG)


def lmtp_timed():
    """One delivery over raw LMTP: (time the final dot was sent, time of 250)."""
    sock = socket.create_connection(("127.0.0.1", LMTP_PORT), timeout=10)
    f = sock.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if not line or line[3:4] != b"-":
                return line

    reply()
    for command in (b"LHLO idle.test", b"MAIL FROM:<sender@example.net>",
                    b"RCPT TO:<alice@example.test>", b"DATA"):
        sock.sendall(command + b"\r\n")
        reply()
    body = MSG.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    body = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in body.split(b"\r\n"))
    sock.sendall(body + b".\r\n")
    sent = time.monotonic()
    line = reply()
    done = time.monotonic()
    if not line.startswith(b"250"):
        sys.exit("LMTP: %r" % line)
    sock.sendall(b"QUIT\r\n")
    sock.close()
    return sent, done


def scenario_delivery():
    b = Session("B")
    b.cmd("s", "SELECT INBOX")
    b.send("i IDLE")
    b.wait("+ idling")
    sent, done = lmtp_timed()
    got = b.wait("* 1 EXISTS", timeout=5)
    t = got[-1][0]
    # the commit lies between the final dot and the 250
    print("after_250_ms=%d" % max(0, round((t - done) * 1000)))
    print("after_dot_ms=%d" % round((t - sent) * 1000))
    print("lmtp_250_ms=%d" % round((done - sent) * 1000))
    b.show(l for _, l in got)
    b.show(l for _, l in b.wait("* 1 RECENT"))
    b.send("DONE")
    b.show(l for _, l in b.wait("i "))


def scenario_expunge():
    a, b = Session("A"), Session("B")
    a.cmd("s", "SELECT INBOX")
    b.cmd("s", "SELECT INBOX")
    a.cmd("a1", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a2", "EXPUNGE")
    b.show(b.cmd("b1", "NOOP"))
    # while B idles: A flags and expunges again
    b.send("b2 IDLE")
    b.wait("+ idling")
    a.cmd("a3", "STORE 2 +FLAGS.SILENT (\\Flagged)")
    b.show(l for _, l in b.wait("* 2 FETCH"))
    a.cmd("a4", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a5", "EXPUNGE")
    b.show(l for _, l in b.wait("* 1 EXPUNGE"))
    b.send("DONE")
    b.show(l for _, l in b.wait("b2 "))
    b.show(b.cmd("b3", "FETCH 1:* (UID FLAGS)"))


def scenario_fetch():
    a, b = Session("A"), Session("B")
    a.cmd("s", "SELECT INBOX")
    b.cmd("s", "SELECT INBOX")
    a.cmd("a1", "STORE 2 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a2", "EXPUNGE")
    time.sleep(0.2)                  # B has surely been told
    b.send("b1 FETCH 1:3 (UID)")
    b.show(l for _, l in b.wait("b1 "))
    b.send("b2 SEARCH ALL")
    b.show(l for _, l in b.wait("b2 "))
    b.show(b.cmd("b3", "NOOP"))
    b.show(b.cmd("b4", "FETCH 1:* (UID)"))


def scenario_recent():
    a, b = Session("A"), Session("B")
    a.show(x for x in a.cmd("s", "SELECT INBOX") if x.endswith("RECENT"))
    b.show(x for x in b.cmd("s", "SELECT INBOX") if x.endswith("RECENT"))
    a.show(a.cmd("a1", "SEARCH RECENT"))
    b.show(b.cmd("b1", "SEARCH RECENT"))
    b.show(b.cmd("b2", "SEARCH OLD"))
    a.send("a2 IDLE")
    a.wait("+ idling")
    b.send("b3 IDLE")
    b.wait("+ idling")
    deliver()
    for s in (a, b):
        s.wait("* 2 EXISTS")
        print("after %s: %s" % (s.name, s.wait("* ")[-1][1]))
    a.send("DONE")
    b.send("DONE")
    a.wait("a2 ")
    b.wait("b3 ")
    a.show(a.cmd("a4", "SEARCH NEW"))
    b.show(b.cmd("b4", "SEARCH NEW"))


def scenario_bad():
    b = Session("B")
    b.send("i1 IDLE")
    b.wait("+ idling")
    b.send("i2 NOOP")
    b.show(l for _, l in b.wait("i1 "))
    b.show(b.cmd("i3", "NOOP"))


globals()["scenario_" + sys.argv[1]]()
EOF
}

@test "IMAP: IDLE is advertised once logged in" {
	run -0 imap_client raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 CAPABILITY\r\n' --expect a2
	assert_line --regexp '^\* CAPABILITY IMAP4rev1 .*\bIDLE\b'
}

@test "IMAP IDLE: an LMTP delivery reaches an idling session within 100 ms of its commit" {
	export MSG
	run -0 idle_py delivery
	echo "$output"
	assert_line 'B: * 1 EXISTS'
	assert_line 'B: * 1 RECENT'
	assert_line 'B: i OK IDLE terminated'
	local after_250 after_dot limit=100
	after_250=$(sed -n 's/^after_250_ms=//p' <<<"$output")
	after_dot=$(sed -n 's/^after_dot_ms=//p' <<<"$output")
	# sanitizers slow everything down: be generous there, but print the figure
	[[ $BUILD == *asan* ]] && limit=500
	echo "# IDLE push: ${after_250} ms after LMTP's 250, ${after_dot} ms after the final dot (commit included); limit ${limit} ms" >&3
	# the commit happens between the dot and the 250: the push must follow
	# the 250 within the limit, and even counting the whole commit it does
	((after_250 < limit)) || fail "IDLE saw the delivery ${after_250} ms after the 250, want < ${limit} ms"
	((after_dot < limit)) || fail "IDLE saw the delivery ${after_dot} ms after the final dot, want < ${limit} ms"
}

@test "IMAP IDLE: another session's expunge and flag change arrive at NOOP and during IDLE" {
	deliver 3
	export MSG
	run -0 idle_py expunge
	echo "$output"
	assert_line 'B: * 1 EXPUNGE'
	assert_line 'B: b1 OK NOOP completed'
	assert_line 'B: * 2 FETCH (FLAGS (\Flagged))'
	assert_line 'B: b2 OK IDLE terminated'
	assert_line 'B: * 1 FETCH (UID 3 FLAGS (\Flagged))'
	refute_line --partial 'UID 1 '
	refute_line --partial 'UID 2 '
}

@test "IMAP IDLE: a FETCH or SEARCH while another session expunges gets no EXPUNGE; the next NOOP does" {
	deliver 3
	export MSG
	run -0 idle_py fetch
	echo "$output"
	# FETCH and SEARCH: no EXPUNGE up to their tagged replies
	local during after
	during=$(sed -n '1,/^B: b2 /p' <<<"$output")
	after=$(sed -n '/^B: b2 /,/^B: b3 /p' <<<"$output")
	[[ $during == *'B: b1 OK FETCH completed'* ]] || fail "no FETCH reply: $during"
	[[ $during != *EXPUNGE* ]] || fail "EXPUNGE during FETCH/SEARCH: $during"
	# the NOOP after them reports it
	[[ $after == *'B: * 2 EXPUNGE'* ]] || fail "no EXPUNGE at NOOP: $after"
	assert_line 'B: * 2 FETCH (UID 3)'
}

@test "IMAP: \\Recent goes to exactly one session: SELECT, SEARCH RECENT/NEW/OLD and new mail while idling" {
	deliver 1
	export MSG
	run -0 idle_py recent
	echo "$output"
	assert_line 'A: * 1 RECENT'
	assert_line 'B: * 0 RECENT'
	assert_line 'A: * SEARCH 1'
	assert_line 'B: * SEARCH'
	assert_line 'B: * SEARCH 1'
	# the new message: recent for exactly one of the two
	if grep -qx 'after A: \* 2 RECENT' <<<"$output"; then
		assert_line 'after B: * 0 RECENT'
		assert_line 'A: * SEARCH 1 2'
		assert_line 'B: * SEARCH'
	else
		assert_line 'after A: * 1 RECENT'
		assert_line 'after B: * 1 RECENT'
		assert_line 'A: * SEARCH 1'
		assert_line 'B: * SEARCH 2'
	fi
}

@test "IMAP IDLE: anything but DONE ends it with BAD" {
	export MSG
	run -0 idle_py bad
	echo "$output"
	assert_line 'B: i1 BAD expected DONE to end IDLE'
	assert_line 'B: i3 OK NOOP completed'
}

@test "IMAP IDLE: the idle timeout still applies while idling" {
	tandem_stop_all
	TANDEM_CONF='' tandem_config imap_preauth_timeout=60 imap_idle_timeout=2 idle_timeout=1
	tandem_start
	SECONDS=0
	run -0 imap_client raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 --send 'a3 IDLE\r\n' --expect + \
		--expect CLOSED
	assert_line '+ idling'
	assert_line '* BYE autologout; idle for too long'
	[ "$SECONDS" -ge 2 ] || fail "closed after ${SECONDS}s, want at least 2"
}
