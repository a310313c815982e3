#!/bin/sh
# pgsql-stop.sh - stop the throwaway PostgreSQL server pgsql-start.sh started.
#
# Usage: tests/helpers/pgsql-stop.sh DIR
# Stops the server of DIR/pgsql (fast shutdown, then immediate if that does
# not finish in time). When DIR/pgsql is a symlink to a /tmp/tandem-pgsql.*
# directory, that directory and the symlink are removed; a cluster inside DIR
# is left for the test's own cleanup. Idempotent: nothing there, or a server
# already stopped, is success.
#
# Must never stop a server it did not start (only DIR/pgsql's) nor remove
# anything but its own /tmp/tandem-pgsql.* directory.
set -eu

PGBIN=${TANDEM_PGBIN:-/usr/lib/postgresql/15/bin}
WAIT_SECONDS=30

die() {
	echo "pgsql-stop: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: pgsql-stop.sh DIR"
[ -d "$1" ] || exit 0
link="$(cd "$1" && pwd -P)/pgsql"

if [ -L "$link" ]; then
	home=$(readlink -f "$link") || home=""
elif [ -d "$link" ]; then
	home=$link
else
	exit 0
fi
data="$home/data"

if [ -n "$home" ] && [ -f "$data/PG_VERSION" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		owner=$(stat -c %U "$data")
	else
		owner=$(id -un)
	fi
	as_owner() {
		if [ "$owner" = "$(id -un)" ]; then
			"$@"
		elif command -v runuser >/dev/null 2>&1; then
			runuser -u "$owner" -- "$@"
		else
			setpriv --reuid="$owner" --regid="$owner" --init-groups -- "$@"
		fi
	}
	cd "$home"
	# status: 0 running, 3 not running (a stale pid file counts as stopped)
	if as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		if ! as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w -t "$WAIT_SECONDS" -s stop >&2; then
			echo "pgsql-stop: fast shutdown timed out; immediate shutdown" >&2
			as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t "$WAIT_SECONDS" -s stop >&2 ||
				die "cannot stop the server in $data"
		fi
	fi
	cd /
fi

if [ -L "$link" ]; then
	case "$home" in
	/tmp/tandem-pgsql.?*) rm -rf "$home" ;;
	esac
	rm -f "$link"
fi
exit 0
