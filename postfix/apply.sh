#!/bin/sh
# apply.sh - put Tandem's Postfix settings (main.cf.tandem, master.cf.tandem
# beside this script) into a stock Debian Postfix configuration with
# postconf, so the admin's other settings stay as they are. Run it again
# after changing an option: every setting it makes is idempotent.
#
# Usage: apply.sh [options]
#   -c DIR                 Postfix config directory (default /etc/postfix)
#   --queue-dir DIR        queue_directory, on the replicated volume
#                          (default /srv/tandem/postfix)
#   --data-dir DIR         data_directory (default /var/lib/postfix)
#   --hostname NAME        myhostname (default: this host's FQDN)
#   --inet-interfaces I    default all
#   --tls-cert FILE --tls-key FILE
#                          default /etc/tandem/tls/cert.pem, key.pem
#   --smtp A --submission A --smtps A
#                          listen addresses of the three smtpd services
#                          (default smtp, submission, smtps: ports 25, 587,
#                          465 on every interface; e.g. 127.0.0.1:2525)
# tandemd must listen on the sockets the settings name, inside the queue
# directory: sasl_listen = unix:QUEUE/private/tandem-auth, socketmap_listen
# = unix:QUEUE/private/tandem-map, an lmtp_listen with unix:QUEUE/private/
# tandem-lmtp, and for greylisting policy_listen = unix:QUEUE/private/
# tandem-policy (README "Postfix", "Filtering").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
config=/etc/postfix
queue=/srv/tandem/postfix
data=/var/lib/postfix
hostname=$(hostname -f 2>/dev/null || hostname)
interfaces=all
cert=/etc/tandem/tls/cert.pem
key=/etc/tandem/tls/key.pem
smtp=smtp
submission=submission
smtps=smtps
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || { echo "apply.sh: $1 needs a value" >&2; exit 2; }
	case $1 in
	-c) config=$2 ;;
	--queue-dir) queue=$2 ;;
	--data-dir) data=$2 ;;
	--hostname) hostname=$2 ;;
	--inet-interfaces) interfaces=$2 ;;
	--tls-cert) cert=$2 ;;
	--tls-key) key=$2 ;;
	--smtp) smtp=$2 ;;
	--submission) submission=$2 ;;
	--smtps) smtps=$2 ;;
	*) echo "apply.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
command -v postconf >/dev/null || { echo "apply.sh: postconf not found (Debian package postfix)" >&2; exit 1; }
if [ ! -f "$config/main.cf" ] || [ ! -f "$config/master.cf" ]; then
	echo "apply.sh: no main.cf/master.cf in $config" >&2
	exit 1
fi

# Fill the placeholders of one line (values contain no '|').
fill() {
	printf '%s\n' "$1" | sed -e "s|@QUEUE_DIR@|$queue|g" -e "s|@DATA_DIR@|$data|g" \
		-e "s|@HOSTNAME@|$hostname|g" -e "s|@INET_INTERFACES@|$interfaces|g" \
		-e "s|@TLS_CERT@|$cert|g" -e "s|@TLS_KEY@|$key|g" -e "s|@SMTP@|$smtp|g" \
		-e "s|@SUBMISSION@|$submission|g" -e "s|@SMTPS@|$smtps|g"
}

# main.cf: "key = value" settings; indented lines continue the value.
setting=""
apply_setting() {
	[ -n "$setting" ] || return 0
	postconf -c "$config" -e "$(fill "$setting")"
	setting=""
}
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'#'* | '') apply_setting ;;
	' '* | '	'*) setting="$setting $(printf '%s' "$line" | sed 's/^[[:space:]]*//')" ;;
	*) apply_setting; setting=$line ;;
	esac
done <"$here/main.cf.tandem"
apply_setting

# master.cf: whole service lines, then their -o overrides.
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'service '*)
		entry=$(fill "${line#service }")
		postconf -c "$config" -M "$(printf '%s' "$entry" | sed 's/ = /=/')"
		;;
	'param '*)
		entry=$(fill "${line#param }")
		postconf -c "$config" -P "$(printf '%s' "$entry" | sed 's/ = /=/')"
		;;
	esac
done <"$here/master.cf.tandem"
# The stock smtpd on port 25 makes way when smtpd listens elsewhere.
if [ "$smtp" != smtp ] && [ -n "$(postconf -c "$config" -M smtp/inet 2>/dev/null)" ]; then
	postconf -c "$config" -MX smtp/inet
fi
# No chroot: the queue (and tandemd's sockets) move between nodes with the
# volume, and nothing has to be copied into a jail on each of them.
postconf -c "$config" -F '*/*/chroot = n'
mkdir -p "$queue"
echo "apply.sh: $config updated (queue_directory $queue); run: postfix -c $config check && postfix -c $config reload"
