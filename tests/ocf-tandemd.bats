#!/usr/bin/env bats
# ocf-tandemd.bats - the OCF resource agent resource-agents/tandemd on this
# host, without a cluster: ocf-tester over every action, then each action's
# exit code (OCF spec) for a good config, a bad config, a missing binary, a
# killed, a stopped (SIGSTOP) and a silent daemon, a locked and a read-only
# database. The agent starts a real $BUILD/tandemd on a scratch config from
# tandem_config; teardown stops it through the agent (SIGKILL as a last
# resort) and checks its log for sanitizer reports.

RA_REL=resource-agents/tandemd

setup() {
	load helpers/common
	RA=$TANDEM_ROOT/$RA_REL
	[ -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] ||
		skip "Debian's resource-agents is not installed (no ocf-shellfuncs)"
	export OCF_ROOT=/usr/lib/ocf
	export OCF_RESOURCE_INSTANCE=tandem-test
	# ocf-shellfuncs logs to stderr outside a cluster; keep it off syslog
	export HA_LOGFACILITY=none HA_LOGFILE= HA_DEBUGLOG=
	tandem_config shutdown_timeout=5
	export OCF_RESKEY_binary=$BUILD/tandemd
	export OCF_RESKEY_config=$TANDEM_CONF
	export OCF_RESKEY_pidfile=$TANDEM_DIR/ra.pid
	export OCF_RESKEY_logfile=$TANDEM_LOG
	export OCF_RESKEY_stop_timeout=20
	export OCF_RESKEY_probe_timeout=5
	# a recurring monitor, not a probe (those set it to 0)
	export OCF_RESKEY_CRM_meta_interval=10000
	unset OCF_CHECK_LEVEL OCF_RESKEY_probe_user OCF_RESKEY_probe_password_file
	RO_DIR=
}

teardown() {
	local pid
	if [ -n "${OCF_RESKEY_pidfile:-}" ] && [ -r "$OCF_RESKEY_pidfile" ]; then
		pid=$(cat "$OCF_RESKEY_pidfile")
		kill -CONT "$pid" 2>/dev/null || true
		"$RA" stop >/dev/null 2>&1 || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	tandem_stop_all
	local status=0
	[ -z "${TANDEM_LOG:-}" ] || sanitizer_check "$TANDEM_LOG" || status=1
	[ -z "${RO_DIR:-}" ] || rm -rf "$RO_DIR"
	return $status
}

# ra ACTION: the agent, as the cluster runs it (environment only)
ra() {
	__OCF_ACTION=$1 "$RA" "$1"
}

# probe_user_setup: a Tandem user for the depth-20 probe and the agent's
# parameters for it
probe_user_setup() {
	demo_user probe@probe.test probe-secret
	printf 'probe-secret\n' >"$TANDEM_DIR/probe.pw"
	chmod 0600 "$TANDEM_DIR/probe.pw"
	export OCF_RESKEY_probe_user=probe@probe.test
	export OCF_RESKEY_probe_password_file=$TANDEM_DIR/probe.pw
}

# ms_since START_NS: milliseconds from START_NS (date +%s%N) to now
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# proc_gone PID: PID has exited (the agent's daemons are not this shell's
# children, and a container's init may leave them as zombies)
proc_gone() {
	[ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status" 2>/dev/null
}

# daemon_pid: the pid the agent recorded
daemon_pid() {
	cat "$OCF_RESKEY_pidfile"
}

@test "OCF agent: shellcheck -s sh finds nothing" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run -0 shellcheck -s sh "$RA"
	assert_output ""
}

@test "OCF agent: meta-data exits 0 and is valid against ra-api-1.dtd" {
	run -0 ra meta-data
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/meta.xml"
	if command -v xmllint >/dev/null && [ -f /usr/share/resource-agents/ra-api-1.dtd ]; then
		# as ocf-tester does: the DTD is found relative to the directory
		cd /usr/share/resource-agents
		run -0 xmllint --noout --valid - <"$BATS_TEST_TMPDIR/meta.xml"
		assert_output ""
	else
		run -0 "$PYTHON" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' \
			"$BATS_TEST_TMPDIR/meta.xml"
	fi
	# every parameter the agent reads is declared
	run -0 grep -c '<parameter name=' "$BATS_TEST_TMPDIR/meta.xml"
	assert_output 11
}

@test "OCF agent: ocf-tester passes every action on a valid config" {
	command -v ocf-tester >/dev/null || skip "ocf-tester (resource-agents) is not installed"
	tandem_migrate
	# ocf-tester takes its parameters from -o only
	run -0 env -u OCF_RESKEY_binary -u OCF_RESKEY_config -u OCF_RESKEY_pidfile \
		-u OCF_RESKEY_logfile ocf-tester -n tandem -o binary="$BUILD/tandemd" \
		-o config="$TANDEM_CONF" -o pidfile="$OCF_RESKEY_pidfile" \
		-o logfile="$TANDEM_LOG" -o stop_timeout=20 "$RA"
	assert_output --partial "passed all tests"
	# it really started and stopped the daemon (twice)
	run -0 grep -c 'tandemd started ' "$TANDEM_LOG"
	assert_output 2
	run -0 grep -c 'tandemd stopped ' "$TANDEM_LOG"
	assert_output 2
}

@test "OCF agent: start and stop are idempotent; monitor is 7 when stopped" {
	tandem_migrate
	run -7 ra monitor
	assert_output --partial "ocf-exit-reason:tandemd is not running"
	run -0 ra start
	local pid
	pid=$(daemon_pid)
	run -0 ra start
	assert_output --partial "already running (pid $pid)"
	[ "$(daemon_pid)" = "$pid" ]
	run -0 grep -c 'tandemd started ' "$TANDEM_LOG"
	assert_output 1
	OCF_CHECK_LEVEL=10 run -0 ra monitor
	run -0 ra stop
	proc_gone "$pid"
	[ ! -e "$OCF_RESKEY_pidfile" ]
	run -0 ra stop
	run -7 ra monitor
}

@test "OCF agent: a bad config key makes validate-all and start return 6 (ERR_CONFIGURED)" {
	echo "lmtp_lisen = 127.0.0.1:2424" >>"$TANDEM_CONF"
	run -6 ra validate-all
	assert_output --partial "ocf-exit-reason:tandemd -t: tandemd: $TANDEM_CONF:"
	assert_output --partial "unknown key 'lmtp_lisen'"
	run -6 ra start
	[ ! -e "$OCF_RESKEY_pidfile" ]
	run -7 ra monitor
}

@test "OCF agent: a bad agent parameter is 6 (ERR_CONFIGURED), a missing probe password file 5" {
	OCF_RESKEY_probe_timeout=soon run -6 ra validate-all
	assert_output --partial "probe_timeout must be a whole number of seconds"
	OCF_RESKEY_stop_timeout=0 run -6 ra validate-all
	assert_output --partial "stop_timeout must be a whole number of seconds"
	# a file of the node's own: the other node may have it
	OCF_RESKEY_probe_user=probe@probe.test OCF_RESKEY_probe_password_file=/nonexistent \
		run -5 ra validate-all
	assert_output --partial "probe_password_file '/nonexistent' is missing"
}

@test "OCF agent: depth 20 without probe_user checks what depth 10 does" {
	tandem_migrate
	OCF_CHECK_LEVEL=20 run -0 ra validate-all
	run -0 ra start
	OCF_CHECK_LEVEL=20 run -0 ra monitor
	assert_output --partial "checking depth 10 only"
	run -0 grep -c 'lmtp connect' "$TANDEM_LOG"
	refute_output 0
	run -1 grep -c 'imap login' "$TANDEM_LOG"
}

@test "OCF agent: a missing binary or config file is 5 (ERR_INSTALLED); a probe then says 7" {
	tandem_migrate
	OCF_RESKEY_binary=$BATS_TEST_TMPDIR/no-such-tandemd run -5 ra validate-all
	assert_output --partial "ocf-exit-reason:tandemd binary $BATS_TEST_TMPDIR/no-such-tandemd is missing"
	OCF_RESKEY_binary=$BATS_TEST_TMPDIR/no-such-tandemd run -5 ra start
	OCF_RESKEY_config=$BATS_TEST_TMPDIR/no.conf run -5 ra validate-all
	assert_output --partial "configuration file $BATS_TEST_TMPDIR/no.conf is missing"
	OCF_RESKEY_CRM_meta_interval=0 OCF_RESKEY_binary=$BATS_TEST_TMPDIR/no-such-tandemd \
		run -7 ra monitor
}

@test "OCF agent: a database that cannot be opened fails validate-all and start with 1 (ERR_GENERIC)" {
	# the volume is not here: the same config may work on the other node
	tandem_config shutdown_timeout=5 sqlite_path="$BATS_TEST_TMPDIR/not-mounted/tandem.db"
	run -1 ra validate-all
	assert_output --partial "ocf-exit-reason:tandemd -t: tandemd: storage:"
	run -1 ra start
}

@test "OCF agent: a killed daemon (SIGKILL) makes monitor return 7 naming the stale pid file" {
	tandem_migrate
	run -0 ra start
	local pid
	pid=$(daemon_pid)
	kill -KILL "$pid"
	local i
	for ((i = 0; i < 100; i++)); do
		proc_gone "$pid" && break
		sleep 0.1
	done
	proc_gone "$pid"
	run -7 ra monitor
	assert_output --partial "stale pid file $OCF_RESKEY_pidfile"
	OCF_CHECK_LEVEL=20 run -7 ra monitor
	run -0 ra stop
	[ ! -e "$OCF_RESKEY_pidfile" ]
	run -0 ra start
	[ "$(daemon_pid)" != "$pid" ]
}

@test "OCF agent: a hung daemon (SIGSTOP) fails monitor at every depth with 1 at once; stop still works" {
	tandem_migrate
	probe_user_setup
	run -0 ra start
	local pid depth t0 ms
	pid=$(daemon_pid)
	kill -STOP "$pid"
	for depth in 0 10 20; do
		t0=$(date +%s%N)
		OCF_CHECK_LEVEL=$depth run -1 ra monitor
		ms=$(ms_since "$t0")
		assert_output --partial "ocf-exit-reason:tandemd (pid $pid) is stopped"
		echo "# SIGSTOP depth $depth detected in ${ms} ms" >&3
		# the documented monitor timeout is 20 s
		[ "$ms" -lt 20000 ]
	done
	# stop continues it so that it sees SIGTERM
	run -0 ra stop
	proc_gone "$pid"
	run -0 grep -c 'tandemd shutdown signal=TERM' "$TANDEM_LOG"
}

@test "OCF agent: a daemon whose sockets accept but never answer fails depth 10 and 20 within probe_timeout" {
	tandem_migrate
	probe_user_setup
	run -0 ra start
	# a hang without SIGSTOP (a deadlock): a socket that is listening but
	# never answers, in front of the real daemon's LMTP and IMAP
	"$PYTHON" -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$BATS_TEST_TMPDIR/silent.port" 3>&- &
	local silent=$! port t0 ms depth i
	for ((i = 0; i < 50; i++)); do
		[ -s "$BATS_TEST_TMPDIR/silent.port" ] && break
		sleep 0.1
	done
	port=$(cat "$BATS_TEST_TMPDIR/silent.port")
	for depth in 10 20; do
		t0=$(date +%s%N)
		OCF_CHECK_LEVEL=$depth OCF_RESKEY_lmtp_endpoint=127.0.0.1:$port run -1 ra monitor
		ms=$(ms_since "$t0")
		assert_output --partial "LMTP: no answer within probe_timeout=5s"
		echo "# silent LMTP, depth $depth: detected in ${ms} ms" >&3
		[ "$ms" -ge 4900 ]
		[ "$ms" -lt 8000 ]  # probe_timeout 5 s + python start; monitor timeout 20 s
	done
	t0=$(date +%s%N)
	OCF_CHECK_LEVEL=20 OCF_RESKEY_imap_endpoint=127.0.0.1:$port run -1 ra monitor
	ms=$(ms_since "$t0")
	assert_output --partial "IMAP: no answer within probe_timeout=5s"
	echo "# silent IMAP, depth 20: detected in ${ms} ms" >&3
	[ "$ms" -lt 8000 ]
	kill "$silent"
	wait "$silent" 2>/dev/null || true
	OCF_CHECK_LEVEL=20 run -0 ra monitor
}

@test "OCF agent: depth 20 writes and reads through storage and leaves no mail behind" {
	tandem_migrate
	probe_user_setup
	run -0 ra start
	local i
	for i in 1 2 3; do
		OCF_CHECK_LEVEL=20 run -0 ra monitor
	done
	run -0 grep -c 'imap login user=probe@probe.test' "$TANDEM_LOG"
	assert_output 3
	# the probe folder exists and is empty; so is INBOX
	run -0 imap_client lib 'M.login("probe@probe.test", "probe-secret")' \
		'M.select("OCF-Probe")' 'M.select("INBOX")'
	assert_line "('OK', [b'0'])"
	refute_output --partial "ERROR"
	# leftovers of an interrupted probe go with the next one
	run -0 imap_client lib 'M.login("probe@probe.test", "probe-secret")' \
		'M.append("OCF-Probe", None, None, b"Subject: left over\r\n\r\nx\r\n")'
	OCF_CHECK_LEVEL=20 run -0 ra monitor
	run -0 imap_client lib 'M.login("probe@probe.test", "probe-secret")' 'M.select("OCF-Probe")'
	assert_line "('OK', [b'0'])"
}

@test "OCF agent: depth 20 fails with 1 on a wrong probe password and on a locked database; depth 10 still passes" {
	tandem_config shutdown_timeout=5 busy_timeout_ms=1000
	tandem_migrate
	probe_user_setup
	run -0 ra start
	printf 'wrong\n' >"$TANDEM_DIR/wrong.pw"
	OCF_CHECK_LEVEL=20 OCF_RESKEY_probe_password_file=$TANDEM_DIR/wrong.pw run -1 ra monitor
	assert_output --partial "IMAP: LOGIN: NO"
	# another process holds SQLite's write lock (what a hung writer or a
	# volume gone read-only looks like to tandemd: writes fail, reads work)
	"$PYTHON" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(30)' "$TANDEM_DIR/tandem.db" >"$BATS_TEST_TMPDIR/lock.out" 3>&- &
	local locker=$! i t0 ms
	for ((i = 0; i < 50; i++)); do
		grep -q locked "$BATS_TEST_TMPDIR/lock.out" && break
		sleep 0.1
	done
	OCF_CHECK_LEVEL=10 run -0 ra monitor
	t0=$(date +%s%N)
	OCF_CHECK_LEVEL=20 run -1 ra monitor
	ms=$(ms_since "$t0")
	echo "# locked database, depth 20: detected in ${ms} ms" >&3
	assert_output --partial "ocf-exit-reason:tandemd (pid $(daemon_pid)) monitor depth 20 failed: IMAP:"
	[ "$ms" -lt 8000 ]
	kill "$locker"
	wait "$locker" 2>/dev/null || true
	OCF_CHECK_LEVEL=20 run -0 ra monitor
}

@test "OCF agent: a database read-only for run_user makes start fail with 1 and says why" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users (running as uid $(id -u))"
	id nobody >/dev/null 2>&1 || skip "no user 'nobody' on this machine"
	# a directory nobody can reach, outside root's private bats tmp dir
	RO_DIR=$(mktemp -d /tmp/tandem-ocf-ro.XXXXXX)
	chmod 0755 "$RO_DIR"
	TANDEM_DIR=$RO_DIR
	tandem_config shutdown_timeout=5 run_user=nobody sqlite_path="$RO_DIR/tandem.db"
	export OCF_RESKEY_config=$TANDEM_CONF OCF_RESKEY_logfile=$TANDEM_LOG
	tandem_migrate
	chmod 0444 "$RO_DIR"/tandem.db*
	run -1 ra start
	assert_output --partial "ocf-exit-reason:tandemd exited during start"
	assert_output --partial "readonly database"
	run -7 ra monitor
}

@test "OCF agent: stop escalates to SIGKILL when a delivery holds the shutdown past stop_timeout" {
	tandem_config shutdown_timeout=60
	tandem_migrate
	probe_user_setup
	export OCF_RESKEY_stop_timeout=2
	run -0 ra validate-all
	assert_output --partial "deliveries may be cut off"
	run -0 ra start
	local pid client t0 ms
	pid=$(daemon_pid)
	# a delivery stuck in DATA: tandemd waits shutdown_timeout for it
	lmtp_raw --send 'LHLO x\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<probe@probe.test>\r\nDATA\r\n' \
		--sleep 1 --send 'Subject: slow\r\n' --sleep 30 >/dev/null 3>&- &
	client=$!
	sleep 1
	t0=$(date +%s%N)
	run -0 ra stop
	ms=$(ms_since "$t0")
	assert_output --partial "sending SIGKILL"
	proc_gone "$pid"
	[ "$ms" -ge 2000 ]
	[ "$ms" -lt 15000 ]
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
	# a killed daemon leaves its pid file to the agent, which removed it
	[ ! -e "$OCF_RESKEY_pidfile" ]
	run -7 ra monitor
}

@test "OCF agent: reload sends SIGHUP (tandemd reopens its log)" {
	tandem_migrate
	run -0 ra reload
	assert_output --partial "not running; nothing to reload"
	run -0 ra start
	run -0 ra reload
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q 'tandemd reload log=reopened' "$TANDEM_LOG" && break
		sleep 0.1
	done
	run -0 grep -c 'tandemd reload log=reopened' "$TANDEM_LOG"
	assert_output 1
	OCF_CHECK_LEVEL=10 run -0 ra monitor
}
