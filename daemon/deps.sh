#!/bin/sh
# deps.sh - install the Debian packages listed in debian-packages.txt that are
# missing. As root it runs apt-get; otherwise it prints the exact command and
# fails, so nothing is half-installed behind the user's back.
set -eu
list="$(dirname "$0")/debian-packages.txt"
missing=""
for pkg in $(grep -v '^#' "$list"); do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Server packages (slapd, postgresql, postfix...) are only run by the tests,
# on scratch configs: keep their maintainer scripts from starting system
# daemons, unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# deps.sh: no daemon starts while packages install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null || rc=$?
[ -n "$own_policy" ] && rm -f "$policy"
exit "${rc:-0}"
