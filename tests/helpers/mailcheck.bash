# mailcheck.bash - what the delivery suites (quota-grace, sieve-delivery,
# sieve-postfix, filters, postfix) share to see what arrived: a mailbox's
# message count and one message's header section over IMAP, bounded waits
# for a count or for anything a command prints or finds, and installing a
# user's active Sieve script with tandemctl. Load after helpers/common.
# Every wait is bounded and, when it gives up, says what it saw last.

# mailbox_count USER PASSWORD MAILBOX: the messages in MAILBOX now (IMAP
# STATUS), or "none" when it does not exist.
mailbox_count() {
	local out n
	out=$(imap_client lib "M.login('$1', '$2')" "M.status('\"$3\"', '(MESSAGES)')" 2>/dev/null)
	n=$(grep -o 'MESSAGES [0-9]*' <<<"$out" | tail -n 1)
	if [ -z "$n" ]; then
		echo none
	else
		echo "${n#MESSAGES }"
	fi
}

# header_of USER PASSWORD MAILBOX SEQ: the header section of message SEQ
# (BODY.PEEK[HEADER], so it stays unseen).
header_of() {
	imap_client lib "M.login('$1', '$2')" "M.select('$3')" \
		"M.fetch('$4', '(BODY.PEEK[HEADER])')[1][0][1].decode()"
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds;
# 1 when it has not within SECONDS (whole seconds).
wait_until() {
	local tries=$(($1 * 5)) n=0
	shift
	until "$@"; do
		n=$((n + 1))
		[ "$n" -lt "$tries" ] || return 1
		sleep 0.2
	done
}

# _mailcheck_compare OP WANT COMMAND...: COMMAND's output is OP WANT ("eq":
# the same text, "ge": a number at least WANT); kept in _mailcheck_got.
_mailcheck_got=
_mailcheck_compare() {
	local op=$1 want=$2
	shift 2
	_mailcheck_got=$("$@")
	case $op in
	eq) [ "$_mailcheck_got" = "$want" ] ;;
	ge) [ "$_mailcheck_got" -ge "$want" ] 2>/dev/null ;;
	*) echo "_mailcheck_compare: unknown operator '$op'" >&2 && return 2 ;;
	esac
}

# wait_for OP WANT SECONDS COMMAND...: until what COMMAND prints is OP
# ("eq", "ge") WANT, at most SECONDS; else print what it printed last and
# the tail of the scratch Postfix's log (when there is one), and return 1.
wait_for() {
	local op=$1 want=$2 seconds=$3
	shift 3
	wait_until "$seconds" _mailcheck_compare "$op" "$want" "$@" && return 0
	echo "after $seconds s, '$*' printed '$_mailcheck_got', want $op $want" >&2
	[ -z "${PF_LOG:-}" ] || tail -n 20 "$PF_LOG" >&2 2>/dev/null
	return 1
}

# wait_count USER PASSWORD MAILBOX N: until MAILBOX holds N messages (30 s).
wait_count() {
	wait_for eq "$4" 30 mailbox_count "$1" "$2" "$3"
}

# sieve_activate USER NAME SCRIPT: store the script with tandemctl and make
# it the user's active one.
sieve_activate() {
	printf '%s\n' "$3" | tandemctl sieve put "$1" "$2" || return 1
	tandemctl sieve activate "$1" "$2"
}
