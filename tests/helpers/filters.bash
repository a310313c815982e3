# filters.bash - the filter chain of the appliance for a test, configured by
# filters/apply.sh: Debian's stock clamd.conf and clamav-milter.conf copied
# into $BATS_TEST_TMPDIR and edited by apply.sh, SpamAssassin's site config
# (Debian's .pre files + our tandem.cf), spamass-milter's options from the
# defaults file apply.sh writes, and the milters added to the scratch
# Postfix (helpers/postfix). Each daemon runs in the foreground of a
# background job, on UNIX sockets and a loopback port, logging to a file.
# No freshclam (no internet): clamd's database is a signature file made
# here for the EICAR test file. Load after helpers/common and helpers/postfix.

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

# filters_require: skip when the chain cannot run here, saying why.
filters_require() {
	postfix_require
	local b
	for b in clamd clamav-milter spamd spamc spamass-milter; do
		command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] ||
			skip "$b is not installed (Debian packages clamav-daemon clamav-milter spamassassin spamc spamass-milter)"
	done
}

# filters_setup_file: once per suite (setup_file, after filters_require):
# the clamd/clamav-milter/SpamAssassin configs from apply.sh under
# $BATS_FILE_TMPDIR, the signature file, then clamd and spamd started (both
# slow to start: shared by the suite's tests). Sets FT_DIR, CLAMD_SOCKET,
# CLAMAV_MILTER_SOCKET, SPAMD_PORT.
filters_setup_file() {
	FT_DIR=$BATS_FILE_TMPDIR/filters
	CLAMD_SOCKET=$FT_DIR/clamd.sock
	CLAMAV_MILTER_SOCKET=$FT_DIR/clamav-milter.sock
	SPAMD_PORT=$(free_port)
	SPAMASS_SOCKET=$FT_DIR/spamass.sock
	SPAMASS_DEFAULT=$FT_DIR/spamass-milter.default
	mkdir -p "$FT_DIR/clamav" "$FT_DIR/db" "$FT_DIR/sa" "$FT_DIR/tmp"
	# Postfix (user postfix) reaches the milter sockets, spamd (nobody) its
	# config: let them through bats' 0700 directories (traverse only)
	local d=$FT_DIR
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
	chmod 755 "$FT_DIR/sa"
	cp /etc/clamav/clamd.conf /etc/clamav/clamav-milter.conf "$FT_DIR/clamav/"
	cp /etc/spamassassin/*.pre "$FT_DIR/sa/"
	# the signature database: EICAR by MD5 and size
	printf '%s' "$EICAR" >"$FT_DIR/eicar.com"
	local sum
	sum=$(md5sum <"$FT_DIR/eicar.com" | cut -d' ' -f1)
	printf '%s:%s:Tandem-Test.EICAR\n' "$sum" "${#EICAR}" >"$FT_DIR/db/tandem-test.hdb"
	_filters_apply --postfix-dir "" --tandem-conf "" || return 1
	# test-only: foreground, this user, files in the test's directory
	local f key
	for f in "$FT_DIR/clamav/clamd.conf" "$FT_DIR/clamav/clamav-milter.conf"; do
		for key in Foreground User LogFile PidFile DatabaseDirectory TemporaryDirectory \
			LogSyslog MilterSocketGroup LocalSocketGroup LogRotate LogTime; do
			sed -i "/^$key[[:space:]]/d" "$f"
		done
		printf 'Foreground true\nLogSyslog false\nLogTime true\n' >>"$f"
	done
	printf 'DatabaseDirectory %s\nTemporaryDirectory %s\nLogFile %s\nPidFile %s\n' \
		"$FT_DIR/db" "$FT_DIR/tmp" "$FT_DIR/clamd.log" "$FT_DIR/clamd.pid" \
		>>"$FT_DIR/clamav/clamd.conf"
	printf 'TemporaryDirectory %s\nLogFile %s\nPidFile %s\n' \
		"$FT_DIR/tmp" "$FT_DIR/clamav-milter.log" "$FT_DIR/clamav-milter.pid" \
		>>"$FT_DIR/clamav/clamav-milter.conf"
	export FT_DIR CLAMD_SOCKET CLAMAV_MILTER_SOCKET SPAMD_PORT
	clamd_start && spamd_start
}

# _filters_apply OPTIONS...: filters/apply.sh with the suite's paths.
_filters_apply() {
	"$TANDEM_ROOT/filters/apply.sh" --clamav-dir "$FT_DIR/clamav" \
		--spamassassin-dir "$FT_DIR/sa" --spamass-default "$SPAMASS_DEFAULT" \
		--sieve-dir "$FT_DIR" --clamd-socket "$CLAMD_SOCKET" \
		--clamav-milter-socket "$CLAMAV_MILTER_SOCKET" \
		--spamass-socket "$SPAMASS_SOCKET" --spamd "127.0.0.1:$SPAMD_PORT" "$@" >/dev/null
}

# filters_config [apply.sh options...]: per test, after postfix_config and
# tandem_config: apply.sh again, now also on the test's Postfix and
# tandem.conf (milters, DNSBL keys, the spam-to-Junk script) and with the
# test's options (e.g. --spam-reject). Sets SPAMASS_SOCKET.
filters_config() {
	SPAMASS_SOCKET=$BATS_TEST_TMPDIR/postfix/spamass.sock
	SPAMASS_DEFAULT=$BATS_TEST_TMPDIR/spamass-milter.default
	_filters_apply --postfix-dir "$PF_CONF" --tandem-conf "$TANDEM_CONF" \
		--submission "127.0.0.1:$SUBMISSION_PORT" --smtps "127.0.0.1:$SMTPS_PORT" \
		"$@" || return 1
	# DNSBL lookups are not these tests' business (no DNS here)
	sed -i '/^greylist_mode[[:space:]]*=/d; /^dnsbl_zones[[:space:]]*=/d' "$TANDEM_CONF"
	printf 'greylist_mode = none\n' >>"$TANDEM_CONF"
	export SPAMASS_SOCKET SPAMASS_DEFAULT
}

# _filters_wait WHAT SECONDS TEST...: until the command succeeds.
_filters_wait() {
	local what=$1 seconds=$2
	shift 2
	local deadline=$((SECONDS + seconds))
	while [ "$SECONDS" -le "$deadline" ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.3
	done
	echo "$what did not come up in ${seconds}s" >&2
	return 1
}

_socket_answers() { "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(1); s.connect(sys.argv[1])' "$1"; }
# _clamd_answers: clamd accepts on its socket before its database is
# loaded; it is ready when it answers PING.
_clamd_answers() { "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"zPING\0"); sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)' "$1"; }
_port_answers() { "$PYTHON" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$1"; }

clamd_start() {
	clamd -c "$FT_DIR/clamav/clamd.conf" >>"$FT_DIR/clamd.out" 2>&1 3>&- </dev/null &
	_filters_wait clamd 60 _clamd_answers "$CLAMD_SOCKET"
}

# _filters_kill PIDFILE: stop that daemon and wait for it (10 s).
_filters_kill() {
	local pid n=0
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
	return 0
}

clamd_stop() {
	_filters_kill "$FT_DIR/clamd.pid"
	rm -f "$CLAMD_SOCKET"
}

clamav_milter_start() {
	clamav-milter -c "$FT_DIR/clamav/clamav-milter.conf" >>"$FT_DIR/clamav-milter.out" 2>&1 3>&- </dev/null &
	CLAMAV_MILTER_PID=$!
	_filters_wait clamav-milter 20 _socket_answers "$CLAMAV_MILTER_SOCKET"
}

# spamd_start: spamd with our site config (local tests only: no network)
# on 127.0.0.1:$SPAMD_PORT. Compiling the rules takes a while.
spamd_start() {
	spamd -L --siteconfigpath="$FT_DIR/sa" -i 127.0.0.1 -p "$SPAMD_PORT" -u nobody \
		--max-children 2 --pidfile="$FT_DIR/spamd.pid" -s stderr \
		>>"$FT_DIR/spamd.log" 2>&1 3>&- </dev/null &
	_filters_wait spamd 120 _port_answers "$SPAMD_PORT"
}

spamd_stop() {
	_filters_kill "$FT_DIR/spamd.pid"
}

# spamass_milter_start: with the OPTIONS apply.sh wrote. spamass-milter and
# spamc log only to syslog, so they run in a private mount namespace whose
# /dev (a tmpfs with null, zero, random, urandom bound in) has a log socket
# served by helpers/syslog-sink.py writing $SPAMASS_SYSLOG. The host's /dev
# and mount table are untouched.
spamass_milter_start() {
	local OPTIONS SOCKET ns=$BATS_TEST_TMPDIR/spamass-ns
	# shellcheck disable=SC1090
	. "$SPAMASS_DEFAULT"
	SPAMASS_SYSLOG=$BATS_TEST_TMPDIR/spamass-syslog.txt
	mkdir -p "$ns/dev"
	"$PYTHON" "$HELPERS/syslog-sink.py" "$ns/log.sock" "$SPAMASS_SYSLOG" --max-seconds 900 \
		3>&- </dev/null &
	SYSLOG_SINK_PID=$!
	_filters_wait syslog-sink 10 test -S "$ns/log.sock" || return 1
	# shellcheck disable=SC2016
	unshare --mount --propagation private sh -c '
		set -e
		ns=$1 socket=$2
		shift 2
		mount -t tmpfs tmpfs "$ns/dev"
		for n in null zero random urandom; do
			touch "$ns/dev/$n"
			mount --bind "/dev/$n" "$ns/dev/$n"
		done
		touch "$ns/dev/log"
		mount --bind "$ns/log.sock" "$ns/dev/log"
		mount --rbind "$ns/dev" /dev
		exec spamass-milter -p "$socket" "$@"' sh "$ns" "$SOCKET" $OPTIONS \
		>>"$FT_DIR/spamass-milter.log" 2>&1 3>&- </dev/null &
	SPAMASS_PID=$!
	_filters_wait spamass-milter 20 test -S "$SOCKET" || return 1
	chmod 666 "$SOCKET"
	export SPAMASS_SYSLOG
}

# filters_stop_test: the per-test milters (teardown).
filters_stop_test() {
	[ -n "${SPAMASS_PID:-}" ] && kill "$SPAMASS_PID" 2>/dev/null
	[ -n "${CLAMAV_MILTER_PID:-}" ] && kill "$CLAMAV_MILTER_PID" 2>/dev/null
	[ -n "${SYSLOG_SINK_PID:-}" ] && kill "$SYSLOG_SINK_PID" 2>/dev/null
	SPAMASS_PID= CLAMAV_MILTER_PID= SYSLOG_SINK_PID=
	return 0
}

# filters_stop_all: everything (teardown_file).
filters_stop_all() {
	filters_stop_test
	spamd_stop
	clamd_stop
	return 0
}
