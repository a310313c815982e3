# common.bash - shared setup for Tandem's bats suites (load it first thing:
# `load helpers/common`). Starts and stops tandemd on a scratch configuration
# in $BATS_TEST_TMPDIR, wraps tandemctl, and names the Python helpers.
# It must never touch anything outside the test's temporary directory and
# never leave a daemon running: every tandem_start is paired with tandem_stop
# (the suites call tandem_stop_all from teardown).

# Debian's bats-support and bats-assert (packages of the same names)
if [ -f /usr/lib/bats/bats-support/load.bash ]; then
	load /usr/lib/bats/bats-support/load
	load /usr/lib/bats/bats-assert/load
else
	bats_load_library bats-support
	bats_load_library bats-assert
fi

# the suites use `run -N` (bats 1.5+)
bats_require_minimum_version 1.5.0

BUILD=${BUILD:-build}
# bats runs from the repository root through tests/run-tests.sh; be robust
# when a suite is started from elsewhere.
TANDEM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$TANDEM_ROOT/$BUILD ;; esac
HELPERS=$TANDEM_ROOT/tests/helpers
PYTHON=${PYTHON:-python3}

# Sanitizer runtime options for every process the tests start (when
# tests/run-tests.sh has not set them): report to stderr, which for tandemd
# is its log file, and stop at the first error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TANDEM_ROOT/tests/lsan.supp:print_suppressions=0}
export G_SLICE=always-malloc G_DEBUG=gc-friendly

# Daemons started in this test: "pid:logfile" words, for tandem_stop_all.
TANDEM_STARTED=()

# free_port: print a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The PostgreSQL pass of tests/run-tests.sh exports TANDEM_TEST_BACKEND=pgsql
# and TANDEM_TEST_PGSQL_SERVER (the URI of its scratch server's "tandem"
# database); tandem_config then defaults every test to a database of its
# own on that server, created by _tandem_pgsql_db and dropped by
# tandem_stop_all.
TANDEM_PGBIN=${TANDEM_PGBIN:-/usr/lib/postgresql/15/bin}

# _tandem_pgsql_psql SQL: run SQL on the pass's server as its superuser.
_tandem_pgsql_psql() {
	"$TANDEM_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$TANDEM_TEST_PGSQL_SERVER" -c "$1"
}

# _tandem_pgsql_db: this test's database (created once per test, C
# collation as production databases use); sets TANDEM_PGSQL_DB and
# TANDEM_PGSQL_DB_URI.
_tandem_pgsql_db() {
	[ "${TANDEM_PGSQL_DB_TEST:-}" = "$BATS_TEST_TMPDIR" ] && return 0
	local name out
	name=t_$$_$RANDOM$RANDOM
	out=$(_tandem_pgsql_psql "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" 2>&1) || {
		echo "tandem_config: cannot create database $name: $out" >&2
		return 1
	}
	TANDEM_PGSQL_DB=$name
	# postgresql://[host]/DB?params -> the same with this test's database
	TANDEM_PGSQL_DB_URI=$(sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\1$name#" <<<"$TANDEM_TEST_PGSQL_SERVER")
	TANDEM_PGSQL_DB_TEST=$BATS_TEST_TMPDIR
}

# _tandem_pgsql_drop: drop this test's database once its daemons stopped,
# in teardown only (a test may stop and restart its daemons on the same
# data, as it would keep its SQLite file). What is left goes with the
# pass's server.
_tandem_pgsql_drop() {
	[ -n "${TANDEM_PGSQL_DB:-}" ] || return 0
	[[ " ${FUNCNAME[*]} " == *" teardown "* ]] || return 0
	_tandem_pgsql_psql "DROP DATABASE IF EXISTS $TANDEM_PGSQL_DB WITH (FORCE)" >/dev/null 2>&1
	TANDEM_PGSQL_DB='' TANDEM_PGSQL_DB_URI='' TANDEM_PGSQL_DB_TEST=''
}

# tandem_config [key=value ...]: write $TANDEM_CONF for a scratch daemon.
# Defaults: SQLite in the test's tmp dir (or, in run-tests.sh's PostgreSQL
# pass, a fresh database of its server), LMTP on a free 127.0.0.1 port and a
# UNIX socket, IMAP on another free 127.0.0.1 port, debug log. Arguments
# override or add keys. Sets TANDEM_DIR, TANDEM_CONF, TANDEM_LOG, LMTP_PORT,
# LMTP_SOCKET, IMAP_PORT.
# shellcheck disable=SC2120 # the suites pass arguments
tandem_config() {
	TANDEM_DIR=${TANDEM_DIR:-$BATS_TEST_TMPDIR}
	mkdir -p "$TANDEM_DIR"
	TANDEM_CONF=$TANDEM_DIR/tandem.conf
	TANDEM_LOG=$TANDEM_DIR/tandemd.log
	LMTP_PORT=$(free_port)
	LMTP_SOCKET=$TANDEM_DIR/lmtp.sock
	IMAP_PORT=$(free_port)
	local -A conf=(
		[database_driver]=sqlite
		[sqlite_path]=$TANDEM_DIR/tandem.db
		[lmtp_listen]="127.0.0.1:$LMTP_PORT,unix:$LMTP_SOCKET"
		[imap_listen]="127.0.0.1:$IMAP_PORT"
		[worker_threads]=2
		[hostname]=tandem.test
		[pid_file]=$TANDEM_DIR/tandemd.pid
		[log_target]=stderr
		[log_level]=debug
		[shutdown_timeout]=15
	)
	if [ "${TANDEM_TEST_BACKEND:-sqlite}" = pgsql ]; then
		_tandem_pgsql_db || return 1
		conf[database_driver]=pgsql
		conf[pgsql_uri]=$TANDEM_PGSQL_DB_URI
	fi
	local kv
	for kv in "$@"; do
		[[ $kv == *=* ]] || { echo "tandem_config: '$kv' is not key=value" >&2; return 1; }
		conf[${kv%%=*}]=${kv#*=}
	done
	# the port really used, if the caller chose the listeners
	if [[ ${conf[lmtp_listen]} =~ 127\.0\.0\.1:([0-9]+) ]]; then
		LMTP_PORT=${BASH_REMATCH[1]}
	fi
	if [[ ${conf[lmtp_listen]} =~ unix:([^,]+) ]]; then
		LMTP_SOCKET=${BASH_REMATCH[1]}
	fi
	if [[ ${conf[imap_listen]} =~ 127\.0\.0\.1:([0-9]+) ]]; then
		IMAP_PORT=${BASH_REMATCH[1]}
	fi
	{
		echo "# written by tests/helpers/common.bash for $BATS_TEST_NAME"
		for kv in "${!conf[@]}"; do
			echo "$kv = ${conf[$kv]}"
		done | sort
	} >"$TANDEM_CONF"
	export TANDEM_DIR TANDEM_CONF TANDEM_LOG LMTP_PORT LMTP_SOCKET IMAP_PORT
}

# lmtp_greeting PORT: exit 0 when something on PORT says 220 within 1 s.
lmtp_greeting() {
	"$PYTHON" - "$1" <<'EOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
    line = s.makefile("rb").readline()
    s.sendall(b"QUIT\r\n")
    sys.exit(0 if line.startswith(b"220") else 1)
except OSError:
    sys.exit(1)
EOF
}

# tandem_start: start $BUILD/tandemd -c $TANDEM_CONF in the background, log
# to $TANDEM_LOG, and wait (at most 20 s) until the LMTP port greets. Sets
# TANDEM_PID. Fails, showing the log, if the daemon dies or never answers.
tandem_start() {
	[ -n "${TANDEM_CONF:-}" ] || tandem_config
	[ -x "$BUILD/tandemd" ] || { echo "no $BUILD/tandemd: build first" >&2; return 1; }
	# fd 3 is bats' own: a daemon holding it would make bats wait forever
	"$BUILD/tandemd" -c "$TANDEM_CONF" >>"$TANDEM_LOG" 2>&1 3>&- </dev/null &
	TANDEM_PID=$!
	TANDEM_STARTED+=("$TANDEM_PID:$TANDEM_LOG")
	local deadline=$((SECONDS + 20))
	while [ "$SECONDS" -le "$deadline" ]; do
		if ! kill -0 "$TANDEM_PID" 2>/dev/null; then
			echo "tandemd exited during start; log:" >&2
			tail -n 50 "$TANDEM_LOG" >&2
			return 1
		fi
		if lmtp_greeting "$LMTP_PORT"; then
			export TANDEM_PID
			return 0
		fi
		sleep 0.1
	done
	echo "tandemd did not answer on 127.0.0.1:$LMTP_PORT within 20 s; log:" >&2
	tail -n 50 "$TANDEM_LOG" >&2
	return 1
}

# sanitizer_check LOG: fail when LOG holds an ASan/UBSan/LSan report.
sanitizer_check() {
	if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$1" 2>/dev/null; then
		echo "sanitizer report in $1:" >&2
		grep -E -A 30 'runtime error|AddressSanitizer|LeakSanitizer' "$1" | head -n 80 >&2
		return 1
	fi
	return 0
}

# tandem_wait_exit PID SECONDS: wait for PID to end; 1 if it is still alive.
tandem_wait_exit() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	return 1
}

# tandem_stop [PID]: SIGTERM the daemon (default $TANDEM_PID), wait up to
# 30 s, then SIGKILL. Fails if it had to be killed or its log shows a
# sanitizer report.
tandem_stop() {
	local pid=${1:-${TANDEM_PID:-}} log=$TANDEM_LOG status=0 entry
	[ -n "$pid" ] || return 0
	for entry in "${TANDEM_STARTED[@]}"; do
		[ "${entry%%:*}" = "$pid" ] && log=${entry#*:}
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		if ! tandem_wait_exit "$pid" 30; then
			echo "tandemd $pid ignored SIGTERM for 30 s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			status=1
		fi
	else
		wait "$pid" 2>/dev/null
	fi
	sanitizer_check "$log" || status=1
	_tandem_forget "$pid"
	[ "$pid" = "${TANDEM_PID:-}" ] && TANDEM_PID=
	return $status
}

# tandem_kill [PID]: SIGKILL (a crash); sanitizer reports are still checked.
tandem_kill() {
	local pid=${1:-$TANDEM_PID}
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	_tandem_forget "$pid"
	[ "$pid" = "${TANDEM_PID:-}" ] && TANDEM_PID=
	sanitizer_check "$TANDEM_LOG"
}

_tandem_forget() {
	local keep=() entry
	for entry in "${TANDEM_STARTED[@]}"; do
		[ "${entry%%:*}" = "$1" ] || keep+=("$entry")
	done
	TANDEM_STARTED=("${keep[@]}")
}

# tandem_stop_all: for teardown; stops every daemon this test started.
tandem_stop_all() {
	local status=0 entry
	for entry in "${TANDEM_STARTED[@]}"; do
		tandem_stop "${entry%%:*}" || status=1
	done
	_tandem_pgsql_drop
	return $status
}

# tandem_migrate: create the schema of the configured database (once).
tandem_migrate() {
	local db out
	db=$(grep -E '^(database_driver|sqlite_path|pgsql_uri) ' "$TANDEM_CONF")
	[ "${TANDEM_MIGRATED:-}" = "$db" ] && return 0
	out=$(tandemctl migrate 2>&1) || { echo "tandemctl migrate: $out" >&2; return 1; }
	TANDEM_MIGRATED=$db
}

# tandemctl ARGS...: the admin tool on this test's configuration.
tandemctl() {
	"$BUILD/tandemctl" -c "$TANDEM_CONF" "$@"
}

# demo_user ADDRESS PASSWORD: create the domain if needed, then the user.
demo_user() {
	local address=$1 password=${2:-secret} domain=${1#*@} out
	tandem_migrate || return 1
	if ! tandemctl domain list 2>/dev/null | grep -qiwF -- "$domain"; then
		out=$(tandemctl domain add "$domain" 2>&1) || {
			echo "domain add $domain: $out" >&2
			return 1
		}
	fi
	out=$(printf '%s\n' "$password" | tandemctl user add "$address" 2>&1) || {
		echo "user add $address: $out" >&2
		return 1
	}
}

# lmtp_send ARGS...: tests/helpers/lmtp-send.py on this daemon's TCP port.
lmtp_send() {
	"$PYTHON" "$HELPERS/lmtp-send.py" --port "$LMTP_PORT" "$@"
}
# lmtp_raw ARGS...: tests/helpers/lmtp-raw.py on this daemon's TCP port.
lmtp_raw() {
	"$PYTHON" "$HELPERS/lmtp-raw.py" --port "$LMTP_PORT" "$@"
}
# lmtp_flood ARGS...: tests/helpers/lmtp-flood.py on this daemon's TCP port.
lmtp_flood() {
	"$PYTHON" "$HELPERS/lmtp-flood.py" --port "$LMTP_PORT" "$@"
}
# imap_client ARGS...: tests/helpers/imap-client.py on this daemon's IMAP port.
imap_client() {
	"$PYTHON" "$HELPERS/imap-client.py" --port "$IMAP_PORT" "$@"
}
# read_message ARGS...: tests/helpers/read-message.py (reads tandemctl export).
read_message() {
	"$PYTHON" "$HELPERS/read-message.py" "$@"
}

# export_user ADDRESS DIR: tandemctl export into a fresh DIR.
export_user() {
	rm -rf "$2"
	mkdir -p "$2"
	tandemctl export "$1" "$2"
}

# make_message FILE [SIZE] [TOKEN]: a plain CRLF message of about SIZE bytes.
make_message() {
	local file=$1 size=${2:-1024} token=${3:-$RANDOM$RANDOM}
	"$PYTHON" - "$file" "$size" "$token" <<'EOF'
import sys
path, size, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
head = ("From: Test <test@remote.test>\r\nTo: <rcpt@example.test>\r\n"
        f"Subject: test {token}\r\nMessage-ID: <{token}@remote.test>\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n"
        f"token {token}\r\n").encode()
line = b"The quick brown fox jumps over the lazy dog 0123456789.\r\n"
body = bytearray(head)
while len(body) + len(line) <= size:
    body += line
open(path, "wb").write(body)
EOF
}

# pgsql_start: start a scratch PostgreSQL in $BATS_TEST_TMPDIR/pg through
# tests/helpers/pgsql-start.sh; sets PGSQL_URI. Returns 1 (with the reason on
# stderr) when it cannot be started, so callers can skip.
pgsql_start() {
	PGSQL_DIR=$BATS_TEST_TMPDIR/pg
	export PGSQL_DIR
	local helper=$HELPERS/pgsql-start.sh out
	[ -x "$helper" ] || { echo "no $helper" >&2; return 1; }
	out=$("$helper" "$PGSQL_DIR" 3>&- 2>"$BATS_TEST_TMPDIR/pgsql-start.err") || {
		echo "pgsql-start.sh failed: $(tail -n 5 "$BATS_TEST_TMPDIR/pgsql-start.err")" >&2
		return 1
	}
	PGSQL_URI=$(printf '%s\n' "$out" | tail -n 1)
	[ -n "$PGSQL_URI" ] || { echo "pgsql-start.sh printed no URI" >&2; return 1; }
	export PGSQL_DIR PGSQL_URI
}

# pgsql_stop: for teardown.
pgsql_stop() {
	[ -n "${PGSQL_DIR:-}" ] || return 0
	"$HELPERS/pgsql-stop.sh" "$PGSQL_DIR" 3>&- >/dev/null 2>&1 || true
	PGSQL_DIR=''
}

# raise the descriptor limit for the many-connection tests (bounded by the
# hard limit; harmless when it cannot be raised)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
