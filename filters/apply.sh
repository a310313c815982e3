#!/bin/sh
# apply.sh - install Tandem's filter chain settings (the files beside this
# script) on a Debian node: clamd + clamav-milter (virus scanning, reject at
# SMTP time), spamd + spamass-milter (X-Spam-* headers, reject far above the
# tag score), the milters in Postfix, the DNSBL list and the spam-to-Junk
# Sieve script in tandem.conf. Stock files are edited key by key, so the
# admin's other settings stay; running it again with other options is safe.
#
# Usage: apply.sh [options]
#   --clamav-dir DIR        clamd.conf and clamav-milter.conf (/etc/clamav)
#   --spamassassin-dir DIR  where tandem.cf goes (/etc/spamassassin)
#   --spamass-default FILE  spamass-milter's defaults (/etc/default/spamass-milter)
#   --postfix-dir DIR       Postfix config to add the milters to (/etc/postfix;
#                           "" leaves Postfix alone)
#   --tandem-conf FILE      tandem.conf to get dnsbl.conf's keys and
#                           sieve_admin_script (/etc/tandem/tandem.conf; "" skips)
#   --sieve-dir DIR         where admin.sieve goes (/etc/tandem)
#   --clamd-socket PATH     (/run/clamav/clamd.ctl)
#   --clamav-milter-socket PATH   (/run/clamav/clamav-milter.ctl)
#   --spamass-socket PATH   (/run/spamass/spamass.sock)
#   --spamd HOST:PORT       where spamc finds spamd (127.0.0.1:783)
#   --spam-tag SCORE        X-Spam-Flag: YES from this score (5.0)
#   --spam-reject SCORE     refuse at SMTP time from this score (15)
#   --on-scan-failure defer|accept   clamd down: 4xx (defer, default) or
#                           pass unscanned (accept)
#   --submission NAME --smtps NAME   master.cf service names of the
#                           authenticated submission services (submission,
#                           smtps): they keep virus scanning, skip spam scoring
set -eu
here=$(cd "$(dirname "$0")" && pwd)
clamav_dir=/etc/clamav
sa_dir=/etc/spamassassin
spamass_default=/etc/default/spamass-milter
postfix_dir=/etc/postfix
tandem_conf=/etc/tandem/tandem.conf
sieve_dir=/etc/tandem
clamd_socket=/run/clamav/clamd.ctl
milter_socket=/run/clamav/clamav-milter.ctl
spamass_socket=/run/spamass/spamass.sock
spamd=127.0.0.1:783
spam_tag=5.0
spam_reject=15
on_fail=defer
submission=submission
smtps=smtps
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || { echo "apply.sh: $1 needs a value" >&2; exit 2; }
	case $1 in
	--clamav-dir) clamav_dir=$2 ;;
	--spamassassin-dir) sa_dir=$2 ;;
	--spamass-default) spamass_default=$2 ;;
	--postfix-dir) postfix_dir=$2 ;;
	--tandem-conf) tandem_conf=$2 ;;
	--sieve-dir) sieve_dir=$2 ;;
	--clamd-socket) clamd_socket=$2 ;;
	--clamav-milter-socket) milter_socket=$2 ;;
	--spamass-socket) spamass_socket=$2 ;;
	--spamd) spamd=$2 ;;
	--spam-tag) spam_tag=$2 ;;
	--spam-reject) spam_reject=$2 ;;
	--on-scan-failure) on_fail=$2 ;;
	--submission) submission=$2 ;;
	--smtps) smtps=$2 ;;
	*) echo "apply.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done

is_score() { printf '%s' "$1" | grep -Eq '^-?[0-9]+(\.[0-9]+)?$'; }
is_score "$spam_tag" || { echo "apply.sh: --spam-tag: not a score: $spam_tag" >&2; exit 2; }
is_score "$spam_reject" || { echo "apply.sh: --spam-reject: not a score: $spam_reject" >&2; exit 2; }
case $on_fail in
defer) clamav_on_fail=Defer; postfix_on_fail=tempfail ;;
accept) clamav_on_fail=Accept; postfix_on_fail=accept ;;
*) echo "apply.sh: --on-scan-failure: defer or accept, not $on_fail" >&2; exit 2 ;;
esac
spamd_host=${spamd%:*}
spamd_port=${spamd##*:}

fill() {
	sed -e "s|@CLAMD_SOCKET@|$clamd_socket|g" -e "s|@MILTER_SOCKET@|$milter_socket|g" \
		-e "s|@ON_FAIL@|$clamav_on_fail|g" -e "s|@SPAM_TAG@|$spam_tag|g"
}

# set_keys TEMPLATE FILE: for each "Key value" line of TEMPLATE (comments
# skipped), drop FILE's lines setting Key (commented or not) and append the
# line: the file ends up with exactly Tandem's value for each key.
set_keys() {
	template=$1 file=$2
	[ -f "$file" ] || { echo "apply.sh: $file not found (is the Debian package installed?)" >&2; exit 1; }
	tmp=$(mktemp "$file.XXXXXX")
	cp "$file" "$tmp"
	fill <"$template" | grep -v -e '^#' -e '^[[:space:]]*$' | while IFS= read -r line; do
		key=${line%% *}
		sed -i -e "/^#*[[:space:]]*$key[[:space:]]/d" -e "/^#*[[:space:]]*$key\$/d" "$tmp"
		printf '%s\n' "$line" >>"$tmp"
	done
	chmod --reference="$file" "$tmp"
	mv "$tmp" "$file"
}

# clamd and clamav-milter
set_keys "$here/clamav/clamd.conf.tandem" "$clamav_dir/clamd.conf"
set_keys "$here/clamav/clamav-milter.conf.tandem" "$clamav_dir/clamav-milter.conf"

# SpamAssassin: our .cf beside Debian's local.cf
mkdir -p "$sa_dir"
fill <"$here/spamassassin/tandem.cf" >"$sa_dir/tandem.cf"

# spamass-milter: no header rewriting of Subject/body (-m), authenticated
# senders not scored (-I), reject from the high score (-r), spamd's address
# for spamc (after --), which logs to syslog when spamd cannot be reached
# (the message then passes unscored)
mkdir -p "$(dirname "$spamass_default")"
cat >"$spamass_default" <<EOF
# spamass-milter defaults, written by Tandem's filters/apply.sh
OPTIONS="-u spamass-milter -m -I -r $spam_reject -- -d $spamd_host -p $spamd_port"
SOCKET="$spamass_socket"
SOCKETOWNER="postfix:postfix"
SOCKETMODE="0660"
EOF

# Postfix: the settings of postfix/milter.cf.tandem (virus milter first,
# its failure defers unless told otherwise; then spam scoring, whose failure
# lets mail pass unscored; submission keeps only the virus milter)
if [ -n "$postfix_dir" ]; then
	command -v postconf >/dev/null || { echo "apply.sh: postconf not found (Debian package postfix)" >&2; exit 1; }
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '#'* | '') continue ;; esac
		line=$(printf '%s\n' "$line" | sed -e "s|@VIRUS_MILTER_SOCKET@|$milter_socket|g" \
			-e "s|@VIRUS_FAIL_ACTION@|$postfix_on_fail|g" \
			-e "s|@SPAM_MILTER_SOCKET@|$spamass_socket|g" \
			-e "s|@SUBMISSION@|$submission|g" -e "s|@SMTPS@|$smtps|g")
		case $line in
		'param '*)
			# a master.cf override, for a service that exists
			rest=${line#param }
			service=${rest%%/*}
			if [ -n "$(postconf -c "$postfix_dir" -M "$service/inet" 2>/dev/null)" ]; then
				postconf -c "$postfix_dir" -P "$(printf '%s' "$rest" | sed 's/[[:space:]]*=[[:space:]]*/=/')"
			fi
			;;
		*) postconf -c "$postfix_dir" -e "$line" ;;
		esac
	done <"$here/../postfix/milter.cf.tandem"
fi

# tandem.conf: the DNSBL list and the spam-to-Junk script
if [ -n "$tandem_conf" ]; then
	mkdir -p "$sieve_dir"
	cp "$here/sieve/admin.sieve" "$sieve_dir/admin.sieve"
	[ -f "$tandem_conf" ] || { echo "apply.sh: $tandem_conf not found" >&2; exit 1; }
	{
		grep -v -e '^#' -e '^[[:space:]]*$' "$here/dnsbl.conf"
		printf 'sieve_admin_script = %s\n' "$sieve_dir/admin.sieve"
	} | while IFS= read -r line; do
		key=$(printf '%s' "$line" | sed 's/[[:space:]]*=.*//')
		sed -i "/^[[:space:]]*$key[[:space:]]*=/d" "$tandem_conf"
		printf '%s\n' "$line" >>"$tandem_conf"
	done
fi
echo "apply.sh: filter settings applied; restart clamav-daemon, clamav-milter, spamd, spamass-milter and reload postfix and tandemd"
