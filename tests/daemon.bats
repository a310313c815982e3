#!/usr/bin/env bats
# daemon.bats - tandemd as a process: configuration check, privileges,
# signals. (LMTP behaviour is in lmtp.bats.)

setup() {
	load helpers/common
}

teardown() {
	tandem_stop_all
}

@test "tandemd -t: a good config is reported OK" {
	cat >"$BATS_TEST_TMPDIR/ok.conf" <<CONF
sqlite_path = $BATS_TEST_TMPDIR/t.db
lmtp_listen = 127.0.0.1:0
CONF
	run -0 "$BUILD/tandemd" -t -c "$BATS_TEST_TMPDIR/ok.conf"
	assert_output --partial "config OK"
	# -t never creates the database (the OCF agent runs it on a node whose
	# volume may be elsewhere); a missing directory is an error
	assert_output --partial "does not exist yet: the first start creates it"
	[ ! -e "$BATS_TEST_TMPDIR/t.db" ] || fail "tandemd -t created the database"
	sed -i "s|^sqlite_path = .*|sqlite_path = $BATS_TEST_TMPDIR/not-mounted/t.db|" "$BATS_TEST_TMPDIR/ok.conf"
	run -1 "$BUILD/tandemd" -t -c "$BATS_TEST_TMPDIR/ok.conf"
	assert_output --partial "tandemd: storage: $BATS_TEST_TMPDIR/not-mounted: No such file or directory"
	[ ! -e "$BATS_TEST_TMPDIR/not-mounted" ]
}

@test "tandemd -t: an unknown key is refused naming the file and line" {
	printf 'log_level = info\nlmtp_lisen = 127.0.0.1:2424\n' >"$BATS_TEST_TMPDIR/bad.conf"
	run -1 "$BUILD/tandemd" -t -c "$BATS_TEST_TMPDIR/bad.conf"
	assert_output --partial "bad.conf:2: unknown key 'lmtp_lisen'"
}

@test "tandemd -t: a bad value is refused naming the key" {
	printf 'max_message_size = huge\n' >"$BATS_TEST_TMPDIR/bad.conf"
	run -1 "$BUILD/tandemd" -t -c "$BATS_TEST_TMPDIR/bad.conf"
	assert_output --partial "bad.conf:1: max_message_size: 'huge' is not a size"
}

@test "tandemd: drops root to run_user after binding, and the storage still works" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users (running as uid $(id -u))"
	id nobody >/dev/null 2>&1 || skip "no user 'nobody' on this machine"
	# a directory nobody can write to, outside root's private bats tmp dir
	local dir
	dir=$(mktemp -d /tmp/tandem-privdrop.XXXXXX)
	chmod 0777 "$dir"
	TANDEM_DIR=$dir tandem_config run_user=nobody
	demo_user alice@example.test secret
	chown nobody "$dir"/tandem.db*
	tandem_start
	local pid
	pid=$(cat "$dir/tandemd.pid")
	run -0 awk '/^Uid:/ { print $2, $3 } /^Gid:/ { print $2, $3 }' "/proc/$pid/status"
	assert_line "$(id -u nobody) $(id -u nobody)"
	assert_line "$(id -g nobody) $(id -g nobody)"
	run -0 lmtp_send alice@example.test
	assert_line --regexp '^DATA alice@example.test 250 '
	run -0 tandemctl mailbox list alice@example.test
	assert_line --regexp $'^INBOX\t1\t'
	tandem_stop
	rm -rf "$dir"
}
