#!/usr/bin/env bats
# roundtrip.bats - what LMTP delivers comes back byte for byte: every message
# of the generated corpus (tests/helpers/make-corpus.py), delivered to tandemd
# and exported with tandemctl, equals "Return-Path: <sender>\r\nDelivered-To:
# <rcpt>\r\n" followed by the original, on SQLite and on PostgreSQL. Also:
# a MIME part shared by several messages is stored once.

setup() {
	load helpers/common
}

teardown() {
	tandem_stop_all
	pgsql_stop
}

# deliver_corpus RCPT: make the corpus, deliver each file to RCPT, then
# compare the export with the originals.
deliver_corpus() {
	local rcpt=$1 corpus=$BATS_TEST_TMPDIR/corpus f n=0 bad=0
	run -0 "$PYTHON" "$HELPERS/make-corpus.py" "$corpus"
	local files=()
	while IFS= read -r f; do files+=("$f"); done < <(find "$corpus" -name '*.eml' -type f | sort)
	[ ${#files[@]} -ge 10 ] || fail "make-corpus.py wrote only ${#files[@]} messages"
	for f in "${files[@]}"; do
		run lmtp_send --timeout 300 --from corpus-sender@remote.test --file "$f" "$rcpt"
		if [[ $status -ne 0 ]]; then
			echo "delivery of $f failed:" >&2
			echo "$output" >&2
			bad=$((bad + 1))
		fi
		n=$((n + 1))
	done
	[ "$bad" -eq 0 ] || fail "$bad of $n corpus messages were not delivered"
	export_user "$rcpt" "$BATS_TEST_TMPDIR/export" || fail "tandemctl export failed"
	run read_message count "$BATS_TEST_TMPDIR/export"
	assert_output "$n"
	run read_message compare "$BATS_TEST_TMPDIR/export" --from corpus-sender@remote.test \
		--to "$rcpt" "${files[@]}"
	if [ "$status" -ne 0 ]; then
		grep -v '^ok ' <<<"$output" >&2
		fail "some corpus messages did not come back byte for byte"
	fi
	run -0 tandemctl check
}

@test "roundtrip: every corpus message comes back byte for byte on SQLite" {
	tandem_config
	demo_user reader@example.test pw
	tandem_start
	deliver_corpus reader@example.test
}

@test "roundtrip: every corpus message comes back byte for byte on PostgreSQL" {
	if ! pgsql_start 2>"$BATS_TEST_TMPDIR/pg.err"; then
		skip "PostgreSQL server cannot be started: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/pg.err")"
	fi
	tandem_config database_driver=pgsql "pgsql_uri=$PGSQL_URI"
	demo_user reader@example.test pw
	tandem_start
	deliver_corpus reader@example.test
}

@test "roundtrip: the same attachment delivered to 3 users in 3 messages is stored once" {
	command -v sqlite3 >/dev/null || skip "no sqlite3 command (Debian package sqlite3)"
	tandem_config
	demo_user u1@example.test pw
	demo_user u2@example.test pw
	demo_user u3@example.test pw
	tandem_start
	local n
	for n in 1 2 3; do
		"$PYTHON" - "$BATS_TEST_TMPDIR/att$n.eml" "$n" <<'EOF'
import base64, random, sys
path, n = sys.argv[1], sys.argv[2]
blob = random.Random(42).randbytes(1 << 20)  # the same 1 MiB in every message
b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
msg = (b"From: Sender <s@remote.test>\r\nTo: u%s@example.test\r\n" % n.encode()
       + b"Subject: report " + n.encode() + b"\r\nMessage-ID: <att" + n.encode()
       + b"@remote.test>\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"b-" + n.encode() + b"\"\r\n\r\n"
       b"--b-" + n.encode() + b"\r\nContent-Type: text/plain\r\n\r\n"
       b"Hello number " + n.encode() + b", the report is attached.\r\n"
       b"--b-" + n.encode() + b"\r\nContent-Type: application/octet-stream\r\n"
       b"Content-Transfer-Encoding: base64\r\n"
       b"Content-Disposition: attachment; filename=\"report.bin\"\r\n\r\n"
       + b64 + b"--b-" + n.encode() + b"--\r\n")
open(path, "wb").write(msg)
EOF
		run -0 lmtp_send --from s@remote.test --file "$BATS_TEST_TMPDIR/att$n.eml" "u$n@example.test"
	done
	local db=$BATS_TEST_TMPDIR/tandem.db
	# one stored body of the attachment's size, referenced three times
	run -0 sqlite3 "$db" 'SELECT count(*), max(refcount) FROM mime_parts WHERE size > 1000000'
	assert_output "1|3"
	run -0 sqlite3 "$db" 'SELECT count(*) FROM messages'
	assert_output 3
	run -0 tandemctl stats
	# and every user still reads their own message back exactly
	for n in 1 2 3; do
		export_user "u$n@example.test" "$BATS_TEST_TMPDIR/out$n"
		run -0 read_message compare "$BATS_TEST_TMPDIR/out$n" --from s@remote.test \
			--to "u$n@example.test" "$BATS_TEST_TMPDIR/att$n.eml"
	done
	run -0 tandemctl check
}
