#!/bin/sh
# slapd-stop.sh - stop the scratch slapd that slapd-start.sh started in DIR
# (bounded wait, then SIGKILL). Usage: slapd-stop.sh DIR
set -u
dir=$1
[ -f "$dir/slapd.pid" ] || exit 0
pid=$(cat "$dir/slapd.pid")
kill "$pid" 2>/dev/null || exit 0
n=0
while kill -0 "$pid" 2>/dev/null; do
	n=$((n + 1))
	if [ "$n" -gt 50 ]; then
		kill -9 "$pid" 2>/dev/null
		break
	fi
	sleep 0.1
done
rm -f "$dir/slapd.pid"
