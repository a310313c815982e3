#!/bin/sh
# pgsql-restart.sh - restart the throwaway PostgreSQL server pgsql-start.sh
# started (fast shutdown: every client connection is cut), for tests of how
# clients survive it. Same cluster, same socket, same data.
#
# Usage: tests/helpers/pgsql-restart.sh DIR
# Fails when DIR/pgsql holds no cluster or the server does not come back
# within WAIT_SECONDS. Must never touch a server it did not start.
set -eu
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-

PGBIN=${TANDEM_PGBIN:-/usr/lib/postgresql/15/bin}
WAIT_SECONDS=30

die() {
	echo "pgsql-restart: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: pgsql-restart.sh DIR"
link="$(cd "$1" && pwd -P)/pgsql"
home=$(readlink -f "$link") || die "no cluster under $1"
data="$home/data"
[ -f "$data/PG_VERSION" ] || die "no cluster in $data"
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
as_owner "$PGBIN/pg_ctl" -D "$data" -l "$home/server.log" -m fast -w -t "$WAIT_SECONDS" -s restart >&2 ||
	die "the server in $data did not restart"
