#!/bin/sh
# pgsql-start.sh - start a throwaway PostgreSQL 15 server for the tests.
#
# Usage: tests/helpers/pgsql-start.sh DIR
# Creates (or reuses) a cluster under DIR/pgsql with a database "tandem" and
# a superuser role named after the calling user, starts it listening only on
# a UNIX socket (no TCP at all), waits until it accepts connections, and
# prints the libpq URI on stdout, e.g.
#   postgresql:///tandem?host=/tmp/x/pgsql&port=5432
# Nothing else is written to stdout; progress and errors go to stderr, the
# server's own log to <home>/server.log. Stop it with pgsql-stop.sh DIR.
#
# As root, initdb and postgres refuse to run, so the server runs as the
# `postgres` system user (from the Debian package). When that user cannot
# reach DIR (bats' temporary directories are 0700 root) or DIR's path is too
# long for a socket address, the cluster lives in a fresh
# /tmp/tandem-pgsql.XXXXXX and DIR/pgsql is a symlink to it, which
# pgsql-stop.sh removes.
#
# Must never touch the Debian cluster (postgresql@15-main), listen on TCP, or
# change permissions outside DIR and its own temporary directory.
set -eu
# The server must not inherit the caller's other descriptors (bats waits for
# every holder of its fd 3 before it finishes a test).
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-

PGBIN=${TANDEM_PGBIN:-/usr/lib/postgresql/15/bin}
PORT=5432
DB=tandem
WAIT_SECONDS=30
# A socket path is "<home>/.s.PGSQL.5432" and must fit in sun_path (108).
HOME_PATH_MAX=90

die() {
	echo "pgsql-start: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: pgsql-start.sh DIR"
[ -x "$PGBIN/postgres" ] || die "no PostgreSQL server binaries in $PGBIN (install the postgresql package)"

mkdir -p "$1"
dir=$(cd "$1" && pwd -P)
link="$dir/pgsql"
role=$(id -un) || die "the current user has no name"

# The system user that owns and runs the server.
if [ "$(id -u)" -eq 0 ]; then
	owner=postgres
	id "$owner" >/dev/null 2>&1 || die "user '$owner' does not exist (install the postgresql package)"
else
	owner=$role
fi

# as_owner CMD...: run CMD as the server's owner.
as_owner() {
	if [ "$owner" = "$role" ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u "$owner" -- "$@"
	else
		setpriv --reuid="$owner" --regid="$owner" --init-groups -- "$@"
	fi
}

# usable_home PATH: can the owner write there and does the socket path fit?
usable_home() {
	[ "${#1}" -le "$HOME_PATH_MAX" ] || return 1
	case "$1" in
	*[!A-Za-z0-9/._-]*) return 1 ;; # keep the URI free of escapes
	esac
	as_owner test -w "$1" -a -x "$1"
}

# Pick the cluster's home: reuse DIR/pgsql, or make it here, or in /tmp.
if [ -L "$link" ] && [ ! -d "$link/data" ]; then
	rm -f "$link" # left from a cluster that is gone
fi
if [ -L "$link" ]; then
	home=$(readlink -f "$link")
elif [ -d "$link/data" ]; then
	home=$link
else
	home=""
	if mkdir -m 0755 "$link" 2>/dev/null; then
		[ "$owner" = "$role" ] || chown "$owner:" "$link"
		if usable_home "$link"; then
			home=$link
		else
			rmdir "$link"
		fi
	fi
	if [ -z "$home" ]; then
		home=$(mktemp -d /tmp/tandem-pgsql.XXXXXX)
		chmod 0755 "$home"
		[ "$owner" = "$role" ] || chown "$owner:" "$home"
		ln -s "$home" "$link"
		usable_home "$home" || die "user $owner cannot use $home"
	fi
fi
data="$home/data"
log="$home/server.log"
# The owner's commands start in a directory it can read.
cd "$home"

if [ ! -f "$data/PG_VERSION" ]; then
	locale=C
	if locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8'; then
		locale=C.UTF-8
	fi
	# -N: initdb's own fsyncs only slow a throwaway cluster down; the
	# server itself runs with fsync on.
	if ! as_owner "$PGBIN/initdb" -D "$data" -U "$role" -A trust -E UTF8 \
		--locale="$locale" -N >"$home/initdb.log" 2>&1; then
		cat "$home/initdb.log" >&2
		die "initdb failed in $data"
	fi
	cat >>"$data/postgresql.conf" <<EOF

# tandem test server (tests/helpers/pgsql-start.sh)
listen_addresses = ''
unix_socket_directories = '$home'
port = $PORT
fsync = on
full_page_writes = on
log_min_messages = warning
log_min_error_statement = error
EOF
fi

if ! as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
	if ! as_owner "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t "$WAIT_SECONDS" -s start >&2; then
		tail -n 30 "$log" >&2 2>/dev/null || true
		die "the server in $data did not start within ${WAIT_SECONDS}s"
	fi
fi

# pg_ctl -w has waited for "ready"; still check a real connection.
i=0
until "$PGBIN/pg_isready" -q -h "$home" -p "$PORT" -d postgres -U "$role"; do
	i=$((i + 1))
	[ "$i" -lt $((WAIT_SECONDS * 10)) ] || die "the server in $data does not accept connections"
	sleep 0.1
done

exists=$("$PGBIN/psql" -X -At -h "$home" -p "$PORT" -U "$role" -d postgres \
	-c "SELECT 1 FROM pg_database WHERE datname = '$DB'") || die "cannot query the server in $data"
if [ "$exists" != 1 ]; then
	"$PGBIN/createdb" -h "$home" -p "$PORT" -U "$role" "$DB" || die "createdb $DB failed"
fi

echo "postgresql:///$DB?host=$home&port=$PORT"
