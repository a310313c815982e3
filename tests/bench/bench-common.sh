# shellcheck shell=bash
# bench-common.sh - what the benchmarks (tests/bench/lmtp, tests/bench/imap,
# tests/bench/imap-idle) share: messages, a scratch directory with cleanup,
# free ports, waiting for and stopping servers, tandemd's setup (config,
# schema, bench users),
# Dovecot's installation and the common part of its configuration, memory
# sampling and result-line parsing.
#
# Sourced (bash) by a benchmark after it has set ROOT, BUILD, KEEP, USERS
# and DOMAIN; it defines functions and the variables TMP, PIDS and
# PGSQL_DIR (bench_scratch), nothing else. It must never touch a system
# service's files or ports: everything lives in $TMP.

say() { printf '%s\n' "bench: $*" >&2; }
die() { printf '%s\n' "bench: $*" >&2; exit 1; }

# bench_build_c SRC OUT: compile a libevent load generator when out of date.
bench_build_c() {
	local src=$1 out=$2
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		mkdir -p "$(dirname "$out")"
		# shellcheck disable=SC2046
		cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o "$out" "$src" \
			$(pkg-config --cflags --libs libevent) || die "cannot build $out"
	fi
}

# ---- scratch directory and cleanup -------------------------------------------
# bench_scratch: make $TMP and install the EXIT trap that stops every server
# in PIDS (and PostgreSQL) and removes $TMP unless KEEP=1.
bench_scratch() {
	TMP=$(mktemp -d /tmp/tandem-bench.XXXXXX)
	chmod 0755 "$TMP" # Dovecot's mail user and postgres must reach their dirs
	declare -g -A PIDS=() # server name -> pid to stop
	PGSQL_DIR=""
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317 # called by the EXIT trap
bench_cleanup() {
	local name
	for name in "${!PIDS[@]}"; do
		stop_pid "${PIDS[$name]}" || true
	done
	[ -z "$PGSQL_DIR" ] || "$ROOT/tests/helpers/pgsql-stop.sh" "$PGSQL_DIR" >/dev/null 2>&1 || true
	if [ "$KEEP" = 1 ]; then
		say "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_lmtp PORT PID: until PORT greets with 220 (at most 30 s) or PID dies.
wait_lmtp() {
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		if python3 - "$1" <<'PYEOF'; then return 0; fi
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
    line = s.makefile("rb").readline()
    s.sendall(b"QUIT\r\n")
    sys.exit(0 if line.startswith(b"220") else 1)
except OSError:
    sys.exit(1)
PYEOF
		sleep 0.1
	done
	return 1
}

# stop_pid PID: SIGTERM, wait up to 30 s, then SIGKILL.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	say "pid $pid ignored SIGTERM; killing it"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# ---- tandemd -----------------------------------------------------------------
# setup_tandemd NAME DRIVER [EXTRA_CONFIG_LINE...]: config, schema, domain and
# users in $TMP/NAME; the LMTP port goes to $TMP/NAME/port. BENCH_TITLE names
# the benchmark in the config's first comment.
# BENCH_MAX_CONNS_PER_ADDRESS (default 4096) is its
# max_connections_per_address: every bench client comes from 127.0.0.1.
setup_tandemd() {
	local name=$1 driver=$2 dir=$TMP/$1 uri=""
	shift 2
	mkdir -p "$dir"
	if [ "$driver" = pgsql ]; then
		PGSQL_DIR=$TMP/pg
		uri=$("$ROOT/tests/helpers/pgsql-start.sh" "$PGSQL_DIR" 2>"$dir/pgsql-start.err") || {
			cat "$dir/pgsql-start.err" >&2
			return 1
		}
	fi
	local port
	port=$(free_port)
	{
		cat <<EOF2
# tandemd for the ${BENCH_TITLE:-LMTP benchmark (tests/bench/lmtp)}
database_driver = $driver
sqlite_path = $dir/tandem.db
pgsql_uri = $uri
lmtp_listen = 127.0.0.1:$port
worker_threads = 0
hostname = bench.tandem.test
log_target = stderr
log_level = info
max_connections_per_address = ${BENCH_MAX_CONNS_PER_ADDRESS:-4096}
max_message_size = 50M
EOF2
		[ $# -eq 0 ] || printf '%s\n' "$@"
		# BENCH_TANDEM_CONF: extra "key = value" lines for a comparison run
		[ -z "${BENCH_TANDEM_CONF:-}" ] || printf '%s\n' "$BENCH_TANDEM_CONF"
	} >"$dir/tandem.conf"
	echo "$port" >"$dir/port"
	local ctl=("$BUILD/tandemctl" -c "$dir/tandem.conf")
	"${ctl[@]}" migrate >/dev/null || return 1
	"${ctl[@]}" domain add "$DOMAIN" >/dev/null || return 1
	add_users "${ctl[@]}" || return 1
}

# add_users TANDEMCTL...: user0000@bench.test ... with tandemctl user add.
add_users() {
	local i
	for ((i = 0; i < USERS; i++)); do
		printf 'bench\n' | "$@" user add "$(printf 'user%04d@%s' "$i" "$DOMAIN")" >/dev/null ||
			return 1
	done
}

start_tandemd() {
	local name=$1 dir=$TMP/$1
	"$BUILD/tandemd" -c "$dir/tandem.conf" >>"$dir/tandemd.log" 2>&1 </dev/null &
	PIDS[$name]=$!
	wait_lmtp "$(cat "$dir/port")" "${PIDS[$name]}" || {
		tail -n 20 "$dir/tandemd.log" >&2
		return 1
	}
}

# ---- Dovecot -----------------------------------------------------------------
# dovecot_install PROGRAM PACKAGE...: install the Debian PACKAGEs with apt-get
# when dovecot or PROGRAM (e.g. /usr/lib/dovecot/lmtp) is missing, and check
# the users and privileges Dovecot's master needs.
dovecot_install() {
	local program=$1
	shift
	if ! command -v dovecot >/dev/null || [ ! -x "$program" ]; then
		say "installing $* (Debian) with apt-get"
		[ "$(id -u)" = 0 ] || { say "not root: cannot install $*"; return 1; }
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"$@" >"$TMP/apt.log" 2>&1 || {
			DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$TMP/apt.log" 2>&1 || true
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
				"$@" >>"$TMP/apt.log" 2>&1
		} || { tail -n 5 "$TMP/apt.log" >&2; return 1; }
	fi
	[ "$(id -u)" = 0 ] || { say "Dovecot's master must start as root here"; return 1; }
	if ! id dovecot >/dev/null 2>&1 || ! id dovenull >/dev/null 2>&1; then
		say "users dovecot/dovenull missing (dovecot-core's postinst makes them)"
		return 1
	fi
}

# dovecot_prepare: $TMP/dovecot with run/state/mail dirs, an LMTP port in
# $TMP/dovecot/port, the users file (the bench users, password "bench",
# mail owned by nobody) and the first, protocol-independent part of
# dovecot.conf. The caller appends its protocols line and services.
dovecot_prepare() {
	local dir=$TMP/dovecot port
	mkdir -p "$dir/run" "$dir/state" "$dir/mail"
	chown nobody:nogroup "$dir/mail"
	port=$(free_port)
	echo "$port" >"$dir/port"
	local uid gid i
	uid=$(id -u nobody) gid=$(id -g nobody)
	for ((i = 0; i < USERS; i++)); do
		printf 'user%04d@%s:{PLAIN}bench:%s:%s::%s/mail/user%04d\n' \
			"$i" "$DOMAIN" "$uid" "$gid" "$dir" "$i"
	done >"$dir/users"
	chmod 0644 "$dir/users"
	cat >"$dir/dovecot.conf" <<EOF2
# Dovecot for the ${BENCH_TITLE:-LMTP benchmark (tests/bench/lmtp)}; nothing from /etc/dovecot.
base_dir = $dir/run
state_dir = $dir/state
instance_name = tandem-bench
listen = 127.0.0.1
ssl = no
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
mail_location = maildir:~/Maildir
# the same durability promise as tandemd (fsync before 250)
mail_fsync = always
first_valid_uid = 1
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
default_process_limit = 1100
default_client_limit = 4096
default_vsz_limit = 1G
lmtp_save_to_detail_mailbox = no
passdb {
  driver = passwd-file
  args = $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
}
service lmtp {
  process_limit = 1100
  client_limit = 1
  inet_listener lmtp {
    address = 127.0.0.1
    port = $port
  }
  unix_listener lmtp {
    mode = 0600
  }
}
EOF2
}

start_dovecot() {
	local dir=$TMP/dovecot
	dovecot -F -c "$dir/dovecot.conf" >>"$dir/stdout.log" 2>&1 </dev/null &
	PIDS[dovecot]=$!
	wait_lmtp "$(cat "$dir/port")" "${PIDS[dovecot]}" || {
		tail -n 20 "$dir/stdout.log" "$dir/dovecot.log" >&2 2>/dev/null
		return 1
	}
}

# ---- measuring ---------------------------------------------------------------
# mem_tree_kb PID: memory of PID and its children, in kB: the sum of their
# PSS (shared pages divided among the processes sharing them, so Dovecot's
# many processes are not charged the same libraries again and again).
mem_tree_kb() {
	local p files=()
	for p in $(ps -o pid= -p "$1" --ppid "$1" 2>/dev/null); do
		files+=("/proc/$p/smaps_rollup")
	done
	# a process may end between ps and cat: not an error (under pipefail and
	# set -e it would end the sampler, and the peak would read 0)
	{ cat "${files[@]}" 2>/dev/null || true; } | awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}

# sample_mem PID FILE: write the largest mem_tree_kb seen to FILE until killed.
sample_mem() {
	local max=0 now
	while :; do
		now=$(mem_tree_kb "$1")
		if [ "$now" -gt "$max" ]; then
			max=$now
			echo "$max" >"$2"
		fi
		sleep 0.2
	done
}

# hwm_kb PID: VmHWM of PID; rss_kb PID: VmRSS; reset_hwm PID: start a new peak.
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }

# field RESULT KEY: the value of KEY=... in a result line.
field() {
	local kv
	for kv in $1; do
		[ "${kv%%=*}" = "$2" ] && { echo "${kv#*=}"; return; }
	done
	echo 0
}

# ratio A B: A / B with two decimals, or n/a.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
