#!/usr/bin/env bats
# quota-usage.bats - the quota counters (users.used_bytes, used_messages)
# stay exact under concurrent deliveries, IMAP expunges, copies and moves:
# after a concurrent run they equal a recount (tandemctl check compares
# them with the sum over the user's messages, and so does this test over
# IMAP STATUS), on SQLite and on PostgreSQL.

load helpers/common

USERS=4
SESSIONS=48
PER_CONN=4

teardown() {
	tandem_stop_all
	pgsql_stop
}

# churn: while the LMTP flood runs, each user's IMAP session keeps copying
# INBOX into Archive, moving some back, and expunging (bounded: 200 rounds
# or until the flag file exists).
churn() {
	"$PYTHON" - "$USERS" "$BATS_TEST_TMPDIR/flood.done" <<'PY'
import imaplib, os, sys, threading
users, done = int(sys.argv[1]), sys.argv[2]
port = int(os.environ["IMAP_PORT"])
errors = []
def work(u):
    try:
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login("user%d@example.test" % u, "pw")
        for rounds in range(200):
            if os.path.exists(done) and rounds > 5:
                break
            n = int(m.select("INBOX")[1][0])
            if n > 0:
                m.copy("1:*", "Archive")
                m.store("1:%d" % min(n, 2), "+FLAGS", "\\Deleted")
                m.expunge()
            n = int(m.select("Archive")[1][0])
            if n > 0:
                m._simple_command("MOVE", "1:%d" % min(n, 3), "INBOX")
            n = int(m.select("Archive")[1][0])
            if n > 0:
                m.store("1:*", "+FLAGS", "\\Deleted")
                m.expunge()
        m.logout()
    except Exception as e:
        errors.append("user%d: %r" % (u, e))
threads = [threading.Thread(target=work, args=(u,)) for u in range(users)]
for t in threads: t.start()
for t in threads: t.join()
print("churn errors:", errors)
sys.exit(1 if errors else 0)
PY
}

# recount USER: "MESSAGES BYTES" summed over every mailbox by IMAP STATUS.
recount() {
	"$PYTHON" - "$1" <<'PY'
import imaplib, os, re, sys
m = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP_PORT"]))
m.login(sys.argv[1], "pw")
n = size = 0
for line in m.list()[1]:
    name = line.decode().rsplit(' "/" ', 1)[1]
    st = m.status(name, "(MESSAGES SIZE)")[1][0].decode()
    n += int(re.search(r"MESSAGES (\d+)", st).group(1))
    size += int(re.search(r"SIZE (\d+)", st).group(1))
print(n, size)
m.logout()
PY
}

run_and_verify() {
	local u
	for ((u = 0; u < USERS; u++)); do
		demo_user "user$u@example.test" pw
	done
	tandem_start
	lmtp_flood --conns "$SESSIONS" --per-conn "$PER_CONN" --users "$USERS" \
		--rcpt 'user{n}@example.test' --size 3000 --prefix q --timeout 120 \
		>"$BATS_TEST_TMPDIR/flood.out" 2>&1 &
	local flood=$!
	churn >"$BATS_TEST_TMPDIR/churn.out" 2>&1 &
	local churner=$!
	wait "$flood" || { cat "$BATS_TEST_TMPDIR/flood.out"; fail "the LMTP flood failed"; }
	touch "$BATS_TEST_TMPDIR/flood.done"
	wait "$churner" || { cat "$BATS_TEST_TMPDIR/churn.out"; fail "the IMAP churn failed"; }
	grep -q "r250=$((SESSIONS * PER_CONN)) " "$BATS_TEST_TMPDIR/flood.out" ||
		fail "not every delivery got 250: $(cat "$BATS_TEST_TMPDIR/flood.out")"
	# the counters against a recount, user by user
	local counted messages bytes
	for ((u = 0; u < USERS; u++)); do
		counted=$(recount "user$u@example.test")
		run -0 tandemctl user quota "user$u@example.test"
		bytes=$(awk '$1 == "bytes" { print $2 }' <<<"$output")
		messages=$(awk '$1 == "messages" { print $2 }' <<<"$output")
		[ "$messages $bytes" = "$counted" ] ||
			fail "user$u: got counters '$messages $bytes', want the recount '$counted'"
	done
	tandem_stop
	run -0 tandemctl check
	assert_output "no problems found"
}

@test "quota usage: counters equal a recount after concurrent deliveries, copies, moves and expunges on SQLite" {
	tandem_config
	run_and_verify
}

@test "quota usage: counters equal a recount after concurrent deliveries, copies, moves and expunges on PostgreSQL" {
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "PostgreSQL server cannot be started: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/pg.err")"
	fi
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	run_and_verify
}
