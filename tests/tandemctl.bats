#!/usr/bin/env bats
# tandemctl.bats - the administration tool: every verb, its error messages
# and exit codes (0 done, 1 failed, 2 usage), passwords never on argv,
# Maildir and mbox import, export that imports back byte for byte, and
# check/--repair against a database corrupted with the sqlite3 CLI.
# Each test has its own configuration and SQLite database in
# $BATS_TEST_TMPDIR; no daemon is started.

bats_require_minimum_version 1.5.0

setup() {
	load helpers/common
	tandem_config
	DB=$BATS_TEST_TMPDIR/tandem.db
	T=$BATS_TEST_TMPDIR
}

teardown() {
	pgsql_stop
}

# q SQL: one query on this test's database.
q() {
	sqlite3 "$DB" "$1"
}

# domain_with_user ADDRESS [PASSWORD]: the domain and the user, quietly.
domain_with_user() {
	demo_user "$1" "${2:-secret}"
}

# mail_rows ADDRESS MAILBOX: "uid flags internal_date size" of each message.
mail_rows() {
	q "SELECT mm.uid, mm.flags, mm.internal_date, mm.size FROM mailbox_messages mm
	   JOIN mailboxes m ON m.id = mm.mailbox_id JOIN users u ON u.id = m.user_id
	   WHERE u.address = '$1' AND m.name = '$2' ORDER BY mm.uid" | tr '|' ' '
}

# crypt_matches PASSWORD HASH: exit 0 when libcrypt says HASH is PASSWORD's.
crypt_matches() {
	perl -e 'exit(crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? 0 : 1)' "$1" "$2"
}

# write_file PATH PRINTF-FORMAT [ARGS]: printf into a file, making its directory.
write_file() {
	local path=$1
	shift
	mkdir -p "$(dirname "$path")"
	# shellcheck disable=SC2059 # the format is the point
	printf "$@" >"$path"
}

# ---- the command line ----

@test "tandemctl: without a verb it prints the verbs and exits 2" {
	run -2 "$BUILD/tandemctl"
	assert_output --partial "usage: tandemctl [-c FILE] VERB"
	assert_output --partial "  user add ADDRESS"
}

@test "tandemctl: --help lists every verb on stdout and exits 0" {
	run -0 --separate-stderr "$BUILD/tandemctl" --help
	local verb
	for verb in "domain add" "domain del" "domain list" "domain quota" "user add" "user del" \
		"user passwd" "user list" "user show" "user quota" "alias add" "alias del" \
		"alias list" "mailbox list" "mailbox create" "mailbox delete" "mailbox rename" \
		"import" "export" "check" "migrate" "stats"; do
		assert_line --regexp "^  $verb( |\$)"
	done
}

@test "tandemctl: a verb's --help shows its usage and exits 0" {
	run -0 tandemctl user add --help
	assert_line "usage: tandemctl [-c FILE] user add ADDRESS [--quota BYTES] [--no-password]"
}

@test "tandemctl: an unknown verb is a usage error" {
	run -2 tandemctl frobnicate
	assert_output "tandemctl: unknown verb 'frobnicate' (tandemctl --help lists them)"
	run -2 tandemctl user frobnicate
	assert_output "tandemctl: user: unknown verb 'frobnicate' (add, del, passwd, list, show, quota)"
	run -2 tandemctl domain
	assert_output "tandemctl: domain: missing verb (add, del, list, quota)"
}

@test "tandemctl: wrong arguments are usage errors that show the verb's usage" {
	run -2 tandemctl domain add
	assert_line "tandemctl: domain add: missing arguments"
	assert_line "usage: tandemctl [-c FILE] domain add DOMAIN"
	run -2 tandemctl domain add a.test b.test
	assert_line "tandemctl: domain add: too many arguments"
	run -2 tandemctl domain del a.test --forcefully
	assert_line "tandemctl: domain del: unknown option '--forcefully'"
	run -2 tandemctl user add a@a.test --quota
	assert_line "tandemctl: user add: option --quota needs a value"
	run -2 tandemctl -x
	assert_output --partial "unknown option '-x'"
}

@test "tandemctl: the configuration comes from -c, else from TANDEM_CONFIG" {
	run -0 tandemctl domain add from-c.test
	TANDEM_CONFIG=$TANDEM_CONF run -0 "$BUILD/tandemctl" domain list
	assert_output --regexp '^from-c\.test	'
}

@test "tandemctl: a missing or broken configuration file is an error naming it" {
	run -1 "$BUILD/tandemctl" -c "$T/nope.conf" domain list
	assert_output --partial "tandemctl: domain list: $T/nope.conf: cannot open"
	printf 'sqlite_path = %s\nno_such_key = 1\n' "$DB" >"$T/bad.conf"
	run -1 "$BUILD/tandemctl" -c "$T/bad.conf" domain list
	assert_output "tandemctl: domain list: $T/bad.conf:2: unknown key 'no_such_key'"
}

@test "tandemctl: a database that cannot be opened is an error" {
	printf 'sqlite_path = %s/no/such/dir/t.db\n' "$T" >"$T/c.conf"
	run -1 "$BUILD/tandemctl" -c "$T/c.conf" domain list
	assert_output --partial "tandemctl: domain list: cannot"
}

# ---- migrate ----

@test "migrate: an empty database goes to the latest schema, then stays there" {
	run -0 tandemctl migrate
	assert_output --regexp '^schema version 0 -> [1-9][0-9]*$'
	local latest=${output##* }
	run -0 tandemctl migrate
	assert_output "schema version $latest -> $latest (already up to date)"
	run -0 q 'SELECT version FROM schema_version'
	assert_output "$latest"
}

@test "migrate: other verbs create the schema of an empty database themselves" {
	run -0 tandemctl domain list
	assert_output ""
	run -0 q 'SELECT count(*) FROM schema_version'
	assert_output 1
}

@test "migrate: a database at an unknown newer version is refused" {
	run -0 tandemctl migrate
	q 'UPDATE schema_version SET version = 999'
	run -1 tandemctl domain list
	assert_output --partial "the database schema is at version 999, newer than this tandemctl knows"
}

# ---- domains ----

@test "domain: add and list, sorted, with user and alias counts and default quotas" {
	run -0 tandemctl domain add zeta.test
	run -0 tandemctl domain add Alpha.TEST
	printf 'pw\n' | tandemctl user add u@alpha.test
	run -0 tandemctl alias add a@alpha.test u@alpha.test
	run -0 --separate-stderr tandemctl domain list
	assert_equal "${lines[0]}" "$(printf 'alpha.test\t1\t1\tunlimited\tunlimited')"
	assert_equal "${lines[1]}" "$(printf 'zeta.test\t0\t0\tunlimited\tunlimited')"
	assert_equal "${#lines[@]}" 2
}

@test "domain add: a duplicate domain is refused" {
	run -0 tandemctl domain add dup.test
	run -1 tandemctl domain add DUP.test
	assert_output "tandemctl: domain add: domain 'dup.test' already exists"
}

@test "domain add: a bad domain name is refused" {
	run -1 tandemctl domain add 'bad domain.test'
	assert_output "tandemctl: domain add: bad domain name 'bad domain.test': unexpected character"
	run -1 tandemctl domain add 'a..test'
	assert_output "tandemctl: domain add: bad domain name 'a..test': empty label"
	run -1 tandemctl domain add "$(printf 'x%.0s' {1..300}).test"
	assert_output --partial "too long"
	run -0 tandemctl domain list
	assert_output ""
}

@test "domain del: refused while the domain has users; --force deletes them and their mail" {
	domain_with_user u@del.test
	write_file "$T/m.mbox" 'From a@b Tue Nov 14 22:13:20 2023\nSubject: x\n\nhello\n\n'
	run -0 tandemctl import u@del.test "$T/m.mbox"
	run -1 tandemctl domain del del.test
	assert_output "tandemctl: domain del: domain 'del.test' still has users or aliases (--force deletes them and their mail)"
	run -0 tandemctl user show u@del.test
	run -0 tandemctl domain del del.test --force
	run -1 tandemctl user show u@del.test
	assert_output "tandemctl: user show: unknown user 'u@del.test'"
	run -0 q 'SELECT count(*) FROM mailbox_messages'
	assert_output 0
	run -0 tandemctl check
}

@test "domain del: an empty domain goes; an unknown domain is an error" {
	run -0 tandemctl domain add empty.test
	run -0 tandemctl domain del empty.test
	run -0 tandemctl domain list
	assert_output ""
	run -1 tandemctl domain del empty.test
	assert_output "tandemctl: domain del: unknown domain 'empty.test'"
}

@test "domain quota: shows and sets the default quota new users get" {
	run -0 tandemctl domain add q.test
	run -0 tandemctl domain quota q.test
	assert_output "$(printf 'bytes\tunlimited\nmessages\tunlimited')"
	run -0 tandemctl domain quota q.test 10M 500
	run -0 tandemctl domain quota q.test
	assert_output "$(printf 'bytes\t10485760\nmessages\t500')"
	printf 'pw\n' | tandemctl user add new@q.test
	run -0 tandemctl user quota new@q.test
	assert_line --regexp '^bytes +0 of 10485760 \(0%\)$'
	assert_line --regexp '^messages +0 of 500 \(0%\)$'
	# only BYTES keeps the message limit
	run -0 tandemctl domain quota q.test 1G
	run -0 tandemctl domain quota q.test
	assert_output "$(printf 'bytes\t1073741824\nmessages\t500')"
	run -2 tandemctl domain quota q.test 10X
	assert_line --partial "bad size '10X'"
	run -1 tandemctl domain quota nosuch.test 1M
	assert_output "tandemctl: domain quota: unknown domain 'nosuch.test'"
}

# ---- users ----

@test "user add: the password is read from stdin and stored as a yescrypt hash" {
	run -0 tandemctl domain add example.test
	run -0 bash -c "printf 'correct horse\n' | '$BUILD/tandemctl' -c '$TANDEM_CONF' user add Alice@Example.test"
	assert_output ""
	run -0 q "SELECT password_hash FROM users WHERE address = 'alice@example.test'"
	assert_output --regexp '^\$y\$'
	# the hash verifies the password (perl's crypt is libcrypt's) and not another
	local hash=$output
	run -0 crypt_matches 'correct horse' "$hash"
	run -1 crypt_matches 'correct horsf' "$hash"
	run -0 tandemctl user show alice@example.test
	assert_line --regexp '^password +yescrypt$'
	refute_output --partial '$y$'
	refute_output --partial 'correct horse'
}

@test "user add: a new user has INBOX and the special-use folders" {
	domain_with_user bob@example.test
	run -0 tandemctl mailbox list bob@example.test
	assert_line --index 0 "$(printf 'INBOX\t0\t0\t-')"
	assert_line "$(printf 'Drafts\t0\t0\t\\Drafts')"
	assert_line "$(printf 'Sent\t0\t0\t\\Sent')"
	assert_line "$(printf 'Junk\t0\t0\t\\Junk')"
	assert_line "$(printf 'Trash\t0\t0\t\\Trash')"
	assert_line "$(printf 'Archive\t0\t0\t\\Archive')"
	assert_equal "${#lines[@]}" 6
}

@test "user add: a password is never taken from the command line" {
	run -0 tandemctl domain add example.test
	run -2 tandemctl user add carol@example.test secret
	assert_line "tandemctl: user add: too many arguments"
	run -2 tandemctl user add carol@example.test --password secret
	assert_line "tandemctl: user add: unknown option '--password'"
	run -1 tandemctl user show carol@example.test
}

@test "user add: empty stdin is refused unless --no-password" {
	run -0 tandemctl domain add example.test
	run -1 tandemctl user add dave@example.test </dev/null
	assert_output "tandemctl: user add: no password on standard input (--no-password creates a user without one)"
	run -1 tandemctl user show dave@example.test
	run -1 bash -c "printf '\n' | '$BUILD/tandemctl' -c '$TANDEM_CONF' user add dave@example.test"
	assert_output "tandemctl: user add: empty password"
	run -0 tandemctl user add dave@example.test --no-password </dev/null
	run -0 q "SELECT password_hash FROM users WHERE address = 'dave@example.test'"
	assert_output ""
	run -0 tandemctl user show dave@example.test
	assert_line --regexp '^password +none$'
}

@test "user add: a password longer than 511 bytes is refused" {
	run -0 tandemctl domain add example.test
	run -1 bash -c "head -c 600 /dev/zero | tr '\\0' x | '$BUILD/tandemctl' -c '$TANDEM_CONF' user add long@example.test"
	assert_output "tandemctl: user add: password too long (at most 511 bytes)"
	run -0 bash -c "head -c 511 /dev/zero | tr '\\0' x | '$BUILD/tandemctl' -c '$TANDEM_CONF' user add long@example.test"
}

@test "user add: on a terminal the password is asked twice and not echoed" {
	command -v script >/dev/null || skip "no script(1) to make a terminal"
	run -0 tandemctl domain add example.test
	run -0 script -qec "'$BUILD/tandemctl' -c '$TANDEM_CONF' user add tty@example.test" /dev/null \
		< <(sleep 0.5; printf 'tty-secret-1\n'; sleep 0.5; printf 'tty-secret-1\n')
	assert_output --partial "New password:"
	assert_output --partial "Retype new password:"
	refute_output --partial "tty-secret-1"
	run -0 tandemctl user show tty@example.test
	assert_line --regexp '^password +yescrypt$'
	run -1 script -qec "'$BUILD/tandemctl' -c '$TANDEM_CONF' user add tty2@example.test" /dev/null \
		< <(sleep 0.5; printf 'one\n'; sleep 0.5; printf 'two\n')
	assert_output --partial "tandemctl: user add: the passwords do not match"
	run -1 tandemctl user show tty2@example.test
}

@test "user add: an unknown domain is an error and nothing is created" {
	run -1 bash -c "printf 'pw\n' | '$BUILD/tandemctl' -c '$TANDEM_CONF' user add eve@nowhere.test"
	assert_output "tandemctl: user add: unknown domain 'nowhere.test'"
	run -0 q 'SELECT count(*) FROM users'
	assert_output 0
}

@test "user add: a duplicate user is an error and the first keeps its password" {
	domain_with_user frank@example.test first
	local before
	before=$(q "SELECT password_hash FROM users WHERE address = 'frank@example.test'")
	run -1 bash -c "printf 'second\n' | '$BUILD/tandemctl' -c '$TANDEM_CONF' user add FRANK@example.test"
	assert_output "tandemctl: user add: user 'frank@example.test' already exists"
	run -0 q "SELECT password_hash FROM users WHERE address = 'frank@example.test'"
	assert_output "$before"
}

@test "user add: a bad address is an error" {
	run -0 tandemctl domain add example.test
	local bad
	for bad in 'no-at-sign' '@example.test' 'two@at@example.test' 'user@'; do
		run -1 tandemctl user add "$bad" --no-password
		assert_output --regexp "^tandemctl: user add: bad address '.*': "
	done
	run -0 q 'SELECT count(*) FROM users'
	assert_output 0
}

@test "user add --quota: takes K, M and G sizes; a bad size is a usage error" {
	run -0 tandemctl domain add example.test
	run -0 tandemctl user add q1@example.test --quota 512K --no-password
	run -0 tandemctl user add q2@example.test --quota=2G --no-password
	run -0 q "SELECT address, quota_bytes FROM users ORDER BY address"
	assert_output "$(printf 'q1@example.test|524288\nq2@example.test|2147483648')"
	run -2 tandemctl user add q3@example.test --quota lots --no-password
	assert_line --partial "bad size 'lots'"
	run -1 tandemctl user show q3@example.test
}

@test "user passwd: replaces the hash; an unknown user is an error" {
	domain_with_user gina@example.test old-password
	local before
	before=$(q "SELECT password_hash FROM users WHERE address = 'gina@example.test'")
	run -0 bash -c "printf 'new-password\n' | '$BUILD/tandemctl' -c '$TANDEM_CONF' user passwd gina@example.test"
	run -0 q "SELECT password_hash FROM users WHERE address = 'gina@example.test'"
	refute_output "$before"
	local hash=$output
	run -0 crypt_matches new-password "$hash"
	run -1 crypt_matches old-password "$hash"
	run -1 bash -c "printf 'x\n' | '$BUILD/tandemctl' -c '$TANDEM_CONF' user passwd nobody@example.test"
	assert_output "tandemctl: user passwd: unknown user 'nobody@example.test'"
	run -1 tandemctl user passwd gina@example.test </dev/null
	assert_output "tandemctl: user passwd: no password on standard input"
}

@test "user list: every user, or one domain's, sorted" {
	run -0 tandemctl domain add b.test
	run -0 tandemctl domain add a.test
	local u
	for u in zed@b.test amy@b.test bea@a.test; do
		tandemctl user add "$u" --no-password
	done
	run -0 tandemctl user list
	assert_output "$(printf 'amy@b.test\nbea@a.test\nzed@b.test')"
	run -0 tandemctl user list b.test
	assert_output "$(printf 'amy@b.test\nzed@b.test')"
	run -1 tandemctl user list c.test
	assert_output "tandemctl: user list: unknown domain 'c.test'"
}

@test "user show: the settings and usage, never the hash" {
	domain_with_user hal@example.test
	run -0 tandemctl user show HAL@example.test
	assert_line --regexp '^address +hal@example\.test$'
	assert_line --regexp '^source +sql$'
	assert_line --regexp '^quota_bytes +unlimited$'
	assert_line --regexp '^used_messages +0$'
	assert_line --regexp '^mailboxes +6$'
	assert_line --regexp '^created +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
	refute_output --partial '$y$'
	run -1 tandemctl user show nobody@example.test
	assert_output "tandemctl: user show: unknown user 'nobody@example.test'"
}

@test "user quota: shows usage against the limits and sets them" {
	domain_with_user ivy@example.test
	run -0 tandemctl user quota ivy@example.test
	assert_output "$(printf 'bytes     0 of unlimited\nmessages  0 of unlimited')"
	run -0 tandemctl user quota ivy@example.test 1M 10
	write_file "$T/m.mbox" 'From a@b Tue Nov 14 22:13:20 2023\nSubject: x\n\nhello\n\n'
	run -0 tandemctl import ivy@example.test "$T/m.mbox"
	run -0 tandemctl user quota ivy@example.test
	assert_line 'bytes     18 of 1048576 (0%)'
	assert_line 'messages  1 of 10 (10%)'
	run -0 tandemctl user quota ivy@example.test unlimited
	run -0 tandemctl user quota ivy@example.test
	assert_line 'bytes     18 of unlimited'
	assert_line 'messages  1 of 10 (10%)'
	run -2 tandemctl user quota ivy@example.test 1M many
	assert_line --partial "bad message count 'many'"
	run -1 tandemctl user quota nobody@example.test 1M
	assert_output "tandemctl: user quota: unknown user 'nobody@example.test'"
}

@test "user del: deletes the user and their mail; deleting again is an error" {
	domain_with_user jo@example.test
	write_file "$T/m.mbox" 'From a@b Tue Nov 14 22:13:20 2023\nSubject: x\n\nhello\n\n'
	run -0 tandemctl import jo@example.test "$T/m.mbox"
	run -0 tandemctl user del jo@example.test
	run -0 tandemctl user list
	assert_output ""
	run -0 q 'SELECT (SELECT count(*) FROM mailboxes) + (SELECT count(*) FROM messages)'
	assert_output 0
	run -1 tandemctl user del jo@example.test
	assert_output "tandemctl: user del: unknown user 'jo@example.test'"
	run -0 tandemctl check
}

# ---- aliases ----

@test "alias: add, list (sorted, per domain) and delete one target or all" {
	domain_with_user kim@example.test
	domain_with_user lee@other.test
	run -0 tandemctl alias add team@example.test kim@example.test
	run -0 tandemctl alias add team@example.test lee@other.test
	run -0 tandemctl alias add Ext@Other.test someone@remote.test
	run -0 tandemctl alias list
	assert_output "$(printf 'ext@other.test\tsomeone@remote.test\nteam@example.test\tkim@example.test\nteam@example.test\tlee@other.test')"
	run -0 tandemctl alias list example.test
	assert_output "$(printf 'team@example.test\tkim@example.test\nteam@example.test\tlee@other.test')"
	run -0 tandemctl alias del team@example.test lee@other.test
	run -0 tandemctl alias list example.test
	assert_output "$(printf 'team@example.test\tkim@example.test')"
	run -0 tandemctl alias del ext@other.test
	run -0 tandemctl alias list other.test
	assert_output ""
}

@test "alias: errors for duplicates, unknown domains, bad addresses and missing aliases" {
	domain_with_user kim@example.test
	run -0 tandemctl alias add a@example.test kim@example.test
	run -1 tandemctl alias add a@example.test kim@example.test
	assert_output "tandemctl: alias add: alias 'a@example.test' -> 'kim@example.test' already exists"
	run -1 tandemctl alias add a@nowhere.test kim@example.test
	assert_output "tandemctl: alias add: unknown domain 'nowhere.test'"
	run -1 tandemctl alias add a@example.test not-an-address
	assert_output --regexp "^tandemctl: alias add: bad address 'not-an-address': "
	run -1 tandemctl alias add self@example.test self@example.test
	assert_output "tandemctl: alias add: alias 'self@example.test' cannot point to itself"
	run -1 tandemctl alias del b@example.test
	assert_output "tandemctl: alias del: no alias 'b@example.test'"
	run -1 tandemctl alias del a@example.test other@example.test
	assert_output "tandemctl: alias del: no alias 'a@example.test' -> 'other@example.test'"
	run -1 tandemctl alias list nowhere.test
	assert_output "tandemctl: alias list: unknown domain 'nowhere.test'"
}

# ---- mailboxes ----

@test "mailbox: create, rename with children, delete; errors name the mailbox" {
	domain_with_user max@example.test
	run -0 tandemctl mailbox create max@example.test Projects
	run -0 tandemctl mailbox create max@example.test Projects/2024
	run -1 tandemctl mailbox create max@example.test Projects
	assert_output "tandemctl: mailbox create: mailbox 'Projects' already exists"
	run -0 tandemctl mailbox rename max@example.test Projects Old
	run -0 tandemctl mailbox list max@example.test
	assert_line --regexp '^Old	0	0	-$'
	assert_line --regexp '^Old/2024	0	0	-$'
	refute_line --regexp '^Projects'
	run -1 tandemctl mailbox rename max@example.test Nope Other
	assert_output "tandemctl: mailbox rename: no mailbox 'Nope'"
	run -1 tandemctl mailbox rename max@example.test Old Sent
	assert_output "tandemctl: mailbox rename: mailbox 'Sent' already exists"
	run -0 tandemctl mailbox delete max@example.test Old/2024
	run -1 tandemctl mailbox delete max@example.test Old/2024
	assert_output "tandemctl: mailbox delete: no mailbox 'Old/2024'"
	run -1 tandemctl mailbox delete max@example.test INBOX
	assert_output --partial "tandemctl: mailbox delete: cannot delete mailbox 'INBOX'"
	run -1 tandemctl mailbox list nobody@example.test
	assert_output "tandemctl: mailbox list: unknown user 'nobody@example.test'"
	run -2 tandemctl mailbox create max@example.test
}

# ---- import ----

@test "import: a Maildir with flags, new/ and Maildir++ subfolders" {
	domain_with_user ned@example.test
	local md=$T/Maildir
	mkdir -p "$md/tmp" "$md/.Work.Reports/cur" "$md/.Empty/new"
	write_file "$md/cur/1700000001.M1.host:2,S" 'Subject: seen\n\none\n'
	write_file "$md/cur/1700000002.M2.host:2,FR" 'Subject: flagged answered\n\ntwo\n'
	write_file "$md/new/1700000003.M3.host" 'Subject: new\n\nthree\n'
	write_file "$md/cur/1700000004.M4.host:2,T" 'Subject: trashed\n\nfour\n'
	write_file "$md/cur/1700000005.M5.host:2,DPS" 'Subject: draft\n\nfive\n'
	write_file "$md/tmp/1700000006.M6.host" 'Subject: in tmp: not imported\n\n'
	write_file "$md/.Work.Reports/cur/1700000007.M7.host:2," 'Subject: report\r\n\r\nsix\r\n'
	local i
	for i in 1 2 3 4 5; do
		touch -d "@170000000$i" "$md"/*/"170000000$i".*
	done
	touch -d @1600000000 "$md/.Work.Reports/cur/"*
	run -0 tandemctl import ned@example.test "$md"
	assert_output "imported 6 messages into ned@example.test, 0 failed"
	# uid flags internal_date size: S=1, F|R=6, none, T=8, D|S=17 (P ignored)
	run -0 mail_rows ned@example.test INBOX
	assert_output "$(printf '1 1 1700000001 19\n2 6 1700000002 31\n3 0 1700000003 20\n4 8 1700000004 23\n5 17 1700000005 21')"
	run -0 mail_rows ned@example.test Work/Reports
	assert_output "1 0 1600000000 24"
	run -0 tandemctl mailbox list ned@example.test
	assert_line --regexp '^Empty	0	0	-$'
	assert_line --regexp '^Work/Reports	1	24	-$'
	run -0 tandemctl check
}

@test "import --folder: a Maildir goes below the named folder" {
	domain_with_user olga@example.test
	local md=$T/Maildir
	mkdir -p "$md/new" "$md/.Sub/new"
	write_file "$md/cur/1.M1.h:2,S" 'Subject: a\n\na\n'
	write_file "$md/.Sub/cur/2.M2.h:2," 'Subject: b\n\nb\n'
	run -0 tandemctl import olga@example.test "$md" --folder Old
	run -0 tandemctl mailbox list olga@example.test
	assert_line --regexp '^Old	1	'
	assert_line --regexp '^Old/Sub	1	'
	assert_line --regexp '^INBOX	0	0	-$'
}

@test "import: an mbox file, with quoted From lines and dates from the From_ lines" {
	domain_with_user pat@example.test
	write_file "$T/in.mbox" '%s\n' \
		'From alice@remote.test Tue Nov 14 22:13:20 2023' \
		'From: alice@remote.test' 'Subject: one' '' \
		'>From the start of a line' '>>From deeper' '' \
		'From bob@remote.test Wed Nov 15 22:13:20 2023' \
		'From: bob@remote.test' 'Subject: two' '' 'body two' ''
	run -0 tandemctl import pat@example.test "$T/in.mbox"
	assert_output "imported 2 messages into pat@example.test, 0 failed"
	run -0 mail_rows pat@example.test INBOX
	assert_output "$(printf '1 0 1700000000 76\n2 0 1700086400 45')"
	mkdir "$T/out"
	run -0 tandemctl export pat@example.test "$T/out"
	run -0 read_message show "$T/out" 0
	assert_output "$(printf 'From: alice@remote.test\nSubject: one\n\nFrom the start of a line\n>From deeper')"
}

@test "import --folder: an mbox file goes into the named folder, created if missing" {
	domain_with_user quinn@example.test
	write_file "$T/in.mbox" 'From a@b Tue Nov 14 22:13:20 2023\nSubject: x\n\nhello\n\n'
	run -0 tandemctl import quinn@example.test "$T/in.mbox" --folder Archive/2023
	run -0 tandemctl mailbox list quinn@example.test
	assert_line --regexp '^Archive/2023	1	'
}

@test "import: a failed message is reported, the others imported, and the exit code is 1" {
	tandem_config max_message_size=1K
	domain_with_user rae@example.test
	local md=$T/Maildir
	write_file "$md/cur/1.M1.h:2,S" 'Subject: fine\n\nok\n'
	write_file "$md/cur/2.M2.h:2,S" ''
	head -c 2000 /dev/zero | tr '\0' x >"$md/cur/3.M3.h:2,S"
	write_file "$md/new/4.M4.h" 'Subject: also fine\n\nok\n'
	run -1 tandemctl import rae@example.test "$md"
	assert_line "tandemctl: import: $md/cur/2.M2.h:2,S: empty message"
	assert_line "tandemctl: import: $md/cur/3.M3.h:2,S: message larger than max_message_size"
	assert_line "imported 2 messages into rae@example.test, 2 failed"
	run -0 tandemctl mailbox list rae@example.test
	assert_line --regexp '^INBOX	2	'
}

@test "import: unreadable paths, non-mbox files and unknown users are errors" {
	domain_with_user sam@example.test
	run -1 tandemctl import sam@example.test "$T/missing"
	assert_output "tandemctl: import: cannot read '$T/missing': No such file or directory"
	write_file "$T/note.txt" 'just some text\n'
	run -1 tandemctl import sam@example.test "$T/note.txt"
	assert_line --partial "$T/note.txt: not an mbox file"
	mkdir "$T/emptydir"
	run -1 tandemctl import sam@example.test "$T/emptydir"
	assert_output "tandemctl: import: '$T/emptydir' is neither a Maildir (no cur/ or new/) nor a directory of *.mbox files"
	run -1 tandemctl import nobody@example.test "$T/note.txt"
	assert_output "tandemctl: import: unknown user 'nobody@example.test'"
	run -0 q 'SELECT count(*) FROM mailbox_messages'
	assert_output 0
}

# ---- export ----

@test "export: each folder becomes DIR/<folder>.mbox, and an mbox in export format comes back byte for byte" {
	domain_with_user tom@example.test
	# exactly what export writes: From_ line from the From: address and the
	# date, quoted From lines, one "\n" after each message
	write_file "$T/orig.mbox" '%s\n' \
		'From a@remote.test Tue Nov 14 22:13:20 2023' \
		'From: A <a@remote.test>' 'Subject: first' '' '>From quoted' 'body' '' \
		'From b@remote.test Wed Nov 15 22:13:20 2023' \
		'From: b@remote.test' 'Subject: second' '' '>>From twice' ''
	printf 'From MAILER-DAEMON Thu Nov 16 22:13:20 2023\nSubject: crlf, no sender\r\n\r\nno final newline\nFrom c@remote.test Thu Nov 16 22:13:21 2023\nFrom: c@remote.test\r\n\r\nlast\r\n\n' >>"$T/orig.mbox"
	run -0 tandemctl import tom@example.test "$T/orig.mbox"
	assert_output "imported 4 messages into tom@example.test, 0 failed"
	run -0 tandemctl mailbox create tom@example.test Sub/Folder
	write_file "$T/sub.mbox" 'From x@y Tue Nov 14 22:13:20 2023\nFrom: x@y\n\nin a subfolder\n\n'
	run -0 tandemctl import tom@example.test "$T/sub.mbox" --folder Sub/Folder
	mkdir "$T/out"
	run -0 tandemctl export tom@example.test "$T/out"
	assert_line "$(printf 'INBOX\t4\t%s/out/INBOX.mbox' "$T")"
	assert_line "$(printf 'Sub/Folder\t1\t%s/out/Sub/Folder.mbox' "$T")"
	assert_line "$(printf 'Trash\t0\t%s/out/Trash.mbox' "$T")"
	cmp "$T/orig.mbox" "$T/out/INBOX.mbox"
	cmp "$T/sub.mbox" "$T/out/Sub/Folder.mbox"
	[ ! -s "$T/out/Trash.mbox" ]
	# no temporary files left behind
	run -0 find "$T/out" -name '.*'
	assert_output ""
}

@test "export: export, import into another user, export again: identical bytes" {
	domain_with_user uma@example.test
	domain_with_user vic@example.test
	local md=$T/Maildir
	write_file "$md/cur/1.M1.h:2,S" 'Return-Path: <bounce@remote.test>\r\nFrom: x@remote.test\r\nSubject: crlf\r\n\r\nFrom here\r\n>From there\r\n'
	write_file "$md/cur/2.M2.h:2,S" 'Subject: lf and no newline at the end\n\nFrom x\n>>>From y\n\n\nend'
	write_file "$md/.Lists.Dev/new/3.M3.h" 'From: <list@remote.test>\nSubject: list\n\nhi\n'
	write_file "$md/new/4.M4.h" 'Subject: binary\n\n\x00\x01\xff\xfe\n'
	run -0 tandemctl import uma@example.test "$md"
	assert_output "imported 4 messages into uma@example.test, 0 failed"
	mkdir "$T/e1" "$T/e2"
	run -0 tandemctl export uma@example.test "$T/e1"
	run -0 tandemctl import vic@example.test "$T/e1"
	assert_output "imported 4 messages into vic@example.test, 0 failed"
	run -0 tandemctl export vic@example.test "$T/e2"
	run -0 diff -r "$T/e1" "$T/e2"
	# and each message is the original file byte for byte
	run -0 read_message show "$T/e2" 0
	cmp <(read_message show "$T/e2" 0) "$md/cur/1.M1.h:2,S"
	cmp <(read_message show "$T/e2" 1) "$md/cur/2.M2.h:2,S"
	cmp <(read_message show "$T/e2" 2) "$md/new/4.M4.h"
	cmp <(read_message show "$T/e2" 3) "$md/.Lists.Dev/new/3.M3.h"
	run -0 tandemctl check
}

@test "export: refuses to overwrite and writes nothing; an unknown user is an error" {
	domain_with_user will@example.test
	mkdir -p "$T/out"
	echo keep >"$T/out/Sent.mbox"
	run -1 tandemctl export will@example.test "$T/out"
	assert_output "tandemctl: export: '$T/out/Sent.mbox' already exists"
	run -0 ls "$T/out"
	assert_output "Sent.mbox"
	assert_equal "$(cat "$T/out/Sent.mbox")" keep
	run -1 tandemctl export nobody@example.test "$T/out2"
	assert_output "tandemctl: export: unknown user 'nobody@example.test'"
}

@test "export: creates a missing directory" {
	domain_with_user xena@example.test
	run -0 tandemctl export xena@example.test "$T/new/deep/dir"
	[ -f "$T/new/deep/dir/INBOX.mbox" ]
}

# ---- check, stats ----

@test "check: clean after adding, importing, renaming and deleting" {
	domain_with_user yara@example.test
	domain_with_user zoe@example.test
	write_file "$T/in.mbox" 'From a@b Tue Nov 14 22:13:20 2023\nSubject: x\n\nshared body\n\nFrom a@b Tue Nov 14 22:13:21 2023\nSubject: y\n\nother\n\n'
	run -0 tandemctl import yara@example.test "$T/in.mbox"
	run -0 tandemctl import zoe@example.test "$T/in.mbox" --folder F
	run -0 tandemctl mailbox rename zoe@example.test F G
	run -0 tandemctl user del yara@example.test
	run -0 tandemctl check
	assert_output "no problems found"
	run -0 tandemctl check --repair
	assert_output "no problems found"
}

@test "check: finds a corruption made with sqlite3 and --repair fixes it" {
	domain_with_user ada@example.test
	write_file "$T/in.mbox" 'From a@b Tue Nov 14 22:13:20 2023\nSubject: x\n\nbody\n\n'
	run -0 tandemctl import ada@example.test "$T/in.mbox"
	run -0 tandemctl check
	# wrong quota usage and a wrong reference count
	q "UPDATE users SET used_bytes = used_bytes + 12345, used_messages = 7"
	q "UPDATE mime_parts SET refcount = refcount + 3"
	run -1 tandemctl check
	assert_line --regexp '[0-9]+ problems? found \(tandemctl check --repair fixes them\)$'
	[ "${#lines[@]}" -ge 3 ]
	run -0 tandemctl check --repair
	assert_line --regexp '^repaired: '
	assert_line --regexp '^[0-9]+ problems? repaired$'
	run -0 tandemctl check
	assert_output "no problems found"
	run -0 tandemctl user quota ada@example.test
	assert_line 'messages  1 of unlimited'
}

@test "stats: counts, bytes and the single-instance ratio" {
	run -0 tandemctl stats
	assert_line --regexp '^domains +0$'
	assert_line --regexp '^single_instance_ratio +-$'
	domain_with_user bo@example.test
	domain_with_user cy@example.test
	run -0 tandemctl alias add all@example.test bo@example.test
	python3 - "$T/in.mbox" <<'EOF'
import sys
att = ("x" * 76 + "\n") * 400
msg = ("From a@b Tue Nov 14 22:13:20 2023\nMIME-Version: 1.0\nSubject: att\n"
       "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
       "--b\nContent-Type: application/octet-stream\n\n" + att + "--b--\n\n")
open(sys.argv[1], "w").write(msg)
EOF
	run -0 tandemctl import bo@example.test "$T/in.mbox"
	run -0 tandemctl import cy@example.test "$T/in.mbox"
	run -0 tandemctl stats
	assert_line --regexp '^domains +1$'
	assert_line --regexp '^users +2$'
	assert_line --regexp '^aliases +1$'
	assert_line --regexp '^mailboxes +12$'
	assert_line --regexp '^mails +2$'
	assert_line --regexp '^messages +2$'
	assert_line --regexp '^single_instance_ratio +(1\.[89][0-9]|2\.[0-9]{2})$'
}

# ---- PostgreSQL ----

@test "PostgreSQL: the same verbs work and import/export round-trips byte for byte" {
	pgsql_start || skip "cannot start a scratch PostgreSQL"
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	run -0 tandemctl migrate
	assert_output --regexp '^schema version 0 -> [1-9]'
	domain_with_user pg@example.test
	run -0 tandemctl alias add all@example.test pg@example.test
	write_file "$T/in.mbox" '%s\n' \
		'From a@remote.test Tue Nov 14 22:13:20 2023' 'From: a@remote.test' 'Subject: one' '' \
		'>From quoted' '' \
		'From b@remote.test Wed Nov 15 22:13:20 2023' 'From: b@remote.test' 'Subject: two' '' 'x' ''
	run -0 tandemctl import pg@example.test "$T/in.mbox" --folder Old
	assert_output "imported 2 messages into pg@example.test, 0 failed"
	mkdir "$T/out"
	run -0 tandemctl export pg@example.test "$T/out"
	cmp "$T/in.mbox" "$T/out/Old.mbox"
	run -0 tandemctl user list
	assert_output "pg@example.test"
	run -1 tandemctl domain del example.test
	run -0 tandemctl check
	assert_output "no problems found"
	run -0 tandemctl stats
	assert_line --regexp '^mails +2$'
	run -0 tandemctl domain del example.test --force
	run -0 tandemctl check
}
