#!/usr/bin/env bats
# imap-idle-pgsql.bats - IDLE between two tandemd processes sharing one
# PostgreSQL database (several front ends): a delivery by LMTP and an
# APPEND, STORE and EXPUNGE made through tandemd B reach a session idling on
# tandemd A (LISTEN/NOTIFY: schema/pgsql/005-notify.sql and
# storage-listen.c), with the latency measured and printed; after
# PostgreSQL restarts under A's listener, changes reach A again. Runs on
# PostgreSQL only (run-tests.sh does not double it).

setup() {
	load helpers/common
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "no PostgreSQL: $(cat "$BATS_TEST_TMPDIR/pg.err")"
	fi
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 800 pgidletoken
	# tandemd A and B: own directories, ports and logs, one database
	TANDEM_DIR=$BATS_TEST_TMPDIR/a
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	demo_user alice@example.test alicepw
	tandem_start
	A_LOG=$TANDEM_LOG A_IMAP=$IMAP_PORT
	TANDEM_DIR=$BATS_TEST_TMPDIR/b
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	tandem_start
	B_LOG=$TANDEM_LOG B_IMAP=$IMAP_PORT B_LMTP=$LMTP_PORT
	export MSG A_IMAP B_IMAP B_LMTP
	# A's listener is up before anything is measured
	wait_log "$A_LOG" 'listen_started' || fail "tandemd A never logged listen_started"
}

teardown() {
	tandem_stop_all
	pgsql_stop
}

# wait_log FILE PATTERN: wait (at most 20 s) for a line matching PATTERN.
wait_log() {
	local tries
	for ((tries = 0; tries < 200; tries++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# two_py SCENARIO: the client below; prints what A saw and the latencies
# ("latency_<what>_ms=N"), exits non-zero on a broken expectation.
two_py() {
	"$PYTHON" - "$1" <<'EOF'
import os, socket, sys, threading, time

MSG = open(os.environ["MSG"], "rb").read()


class Session:
    """A raw IMAP connection; a thread reads lines and stamps them."""

    def __init__(self, name, port):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.lines = []
        self.seen = 0
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
                    sys.exit("%s: no %r within %d s; got %r" % (
                        self.name, prefix, timeout,
                        [l for _, l in self.lines[self.seen:]]))
                self.cond.wait(left)

    def cmd(self, tag, text):
        self.send("%s %s" % (tag, text))
        got = self.wait(tag + " ")
        if not got[-1][1].startswith(tag + " OK"):
            sys.exit("%s: %s %s failed: %r" % (self.name, tag, text, got))
        return got


def lmtp_once():
    """One delivery to B over raw LMTP: the time its 250 arrived, or None
    after a temporary (4xx) refusal, as an MTA would retry."""
    sock = socket.create_connection(("127.0.0.1", int(os.environ["B_LMTP"])), timeout=10)
    f = sock.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if not line or line[3:4] != b"-":
                return line

    try:
        reply()
        for command in (b"LHLO idle.test", b"MAIL FROM:<sender@example.net>",
                        b"RCPT TO:<alice@example.test>", b"DATA"):
            sock.sendall(command + b"\r\n")
            line = reply()
            if line.startswith(b"4"):
                print("LMTP %s: %r (retrying)" % (command.decode(), line))
                return None
            if not line[:1] in (b"2", b"3"):
                sys.exit("LMTP %s: %r" % (command.decode(), line))
        sock.sendall(MSG + b".\r\n")
        line = reply()
        done = time.monotonic()
        if line.startswith(b"4"):
            print("LMTP DATA: %r (retrying)" % line)
            return None
        if not line.startswith(b"250"):
            sys.exit("LMTP: %r" % line)
        sock.sendall(b"QUIT\r\n")
        return done
    finally:
        sock.close()


def lmtp_timed():
    for attempt in range(10):
        done = lmtp_once()
        if done is not None:
            return done
        time.sleep(0.2)
    sys.exit("LMTP: still refused after 10 attempts")


def report(what, since, got):
    """A saw got[-1] after since (when B's change was committed)."""
    print("latency_%s_ms=%d" % (what, max(0, round((got[-1][0] - since) * 1000))))
    print("A: %s" % got[-1][1])


def idler():
    a = Session("A", int(os.environ["A_IMAP"]))
    a.cmd("s", "SELECT INBOX")
    a.send("i IDLE")
    a.wait("+ idling")
    return a


def scenario_all():
    a = idler()
    done = lmtp_timed()
    report("lmtp", done, a.wait("* 1 EXISTS", timeout=5))

    b = Session("B", int(os.environ["B_IMAP"]))
    b.send("b1 APPEND INBOX {%d}" % len(MSG))
    b.wait("+ ")
    b.sock.sendall(MSG + b"\r\n")
    t = b.wait("b1 ")
    if " OK" not in t[-1][1]:
        sys.exit("B: APPEND: %r" % t)
    report("append", t[-1][0], a.wait("* 2 EXISTS", timeout=5))

    b.cmd("b2", "SELECT INBOX")
    t = b.cmd("b3", "STORE 1 +FLAGS.SILENT (\\Flagged)")
    report("store", t[-1][0], a.wait("* 1 FETCH", timeout=5))

    b.cmd("b4", "STORE 2 +FLAGS.SILENT (\\Deleted)")
    t = b.cmd("b5", "EXPUNGE")
    report("expunge", t[-1][0], a.wait("* 2 EXPUNGE", timeout=5))

    a.send("DONE")
    a.wait("i OK")
    for _, l in a.cmd("f", "FETCH 1:* (UID FLAGS)")[:-1]:
        print("A: after: %s" % l)


def scenario_restart():
    """A idles across a PostgreSQL restart done by the shell (it waits for
    the file "restarted"), then a delivery to B must reach it."""
    a = idler()
    print("idling", flush=True)
    open(os.environ["BATS_TEST_TMPDIR"] + "/idling", "w").close()
    flag = os.environ["BATS_TEST_TMPDIR"] + "/restarted"
    deadline = time.monotonic() + 60
    while not os.path.exists(flag):
        if time.monotonic() > deadline:
            sys.exit("the shell never restarted PostgreSQL")
        time.sleep(0.05)
    done = lmtp_timed()
    got = a.wait("* 1 EXISTS", timeout=5)
    report("after_restart", done, got)
    a.send("DONE")
    a.wait("i OK")


globals()["scenario_" + sys.argv[1]]()
EOF
}

# check_latency OUTPUT WHAT: latency_WHAT_ms is there and under 1 s.
check_latency() {
	local ms
	ms=$(sed -n "s/^latency_$2_ms=//p" <<<"$1")
	[ -n "$ms" ] || fail "no latency for $2 in: $1"
	echo "# $2 on B -> untagged reply on A idling: $ms ms" >&3
	((ms < 1000)) || fail "A saw the $2 ${ms} ms after B committed it, want < 1000 ms"
}

@test "IMAP IDLE on PostgreSQL: LMTP, APPEND, STORE and EXPUNGE through tandemd B reach a session idling on tandemd A" {
	run -0 two_py all
	echo "$output"
	assert_line 'A: * 1 EXISTS'
	assert_line 'A: * 2 EXISTS'
	assert_line --regexp '^A: \* 1 FETCH \(.*FLAGS \(.*\\Flagged'
	assert_line 'A: * 2 EXPUNGE'
	assert_line --regexp '^A: after: \* 1 FETCH \(UID 1 FLAGS \(.*\\Flagged.*\)\)$'
	refute_line --partial 'A: after: * 2 FETCH' 
	local what
	for what in lmtp append store expunge; do
		check_latency "$output" "$what"
	done
	# the two processes are distinct and both listen
	grep -q listen_started "$B_LOG" || fail "tandemd B did not start its listener"
}

@test "IMAP IDLE on PostgreSQL: after the server restarts under the listener, changes reach the idler again" {
	two_py restart >"$BATS_TEST_TMPDIR/py.out" 2>&1 &
	local py=$!
	wait_log "$BATS_TEST_TMPDIR/py.out" idling || {
		kill "$py" 2>/dev/null
		fail "the idler never started: $(cat "$BATS_TEST_TMPDIR/py.out")"
	}
	run -0 "$HELPERS/pgsql-restart.sh" "$PGSQL_DIR"
	wait_log "$A_LOG" listen_recovered || {
		kill "$py" 2>/dev/null
		fail "tandemd A never logged listen_recovered: $(grep listen_ "$A_LOG")"
	}
	touch "$BATS_TEST_TMPDIR/restarted"
	local status=0
	wait "$py" || status=$?
	cat "$BATS_TEST_TMPDIR/py.out"
	((status == 0)) || fail "the idler failed (status $status)"
	run -0 cat "$BATS_TEST_TMPDIR/py.out"
	assert_line 'A: * 1 EXISTS'
	check_latency "$output" after_restart
	# loss and recovery are logged once each
	run -0 grep -c 'listen_lost' "$A_LOG"
	assert_output 1
	run -0 grep -c 'listen_recovered' "$A_LOG"
	assert_output 1
}
