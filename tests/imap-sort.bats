#!/usr/bin/env bats
# imap-sort.bats - SORT and THREAD (RFC 5256, with RFC 5957 DISPLAYFROM)
# from the outside: six messages delivered by LMTP with chosen From, To,
# Subject, Date, Message-ID, References and In-Reply-To, then exact
# "* SORT" and "* THREAD" lines for each criterion and both algorithms,
# search keys narrowing the set, UID variants and bad arguments.

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
}

teardown() {
	tandem_stop_all
}

raw() {
	imap_client raw "$@"
}

# deliver BODYSIZE HEADER...: one CRLF message with these header lines and
# a body of about BODYSIZE bytes, delivered to alice by LMTP.
deliver() {
	local size=$1 file=$BATS_TEST_TMPDIR/m.eml
	shift
	"$PYTHON" - "$file" "$size" "$@" <<'PY'
import sys
path, size, headers = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
data = "".join(h + "\r\n" for h in headers).encode() + b"\r\n"
data += b"x" * (size - 2) + b"\r\n"
open(path, "wb").write(data)
PY
	lmtp_send --file "$file" alice@example.test
}

# six messages: subjects gamma(reply), alpha, beta, alpha([list]), none,
# alpha(reply); 1 answers 3 by References, 4 answers 2 by In-Reply-To, 5
# answers a message that is not there, 6 is joined to 2 by its subject.
deliver_six() {
	deliver 3000 'From: Zed <zed@remote.test>' 'To: carol@remote.test' 'Subject: Re: gamma' \
		'Date: Mon, 02 Mar 2026 10:00:00 +0000' 'Message-ID: <b2@t>' 'References: <b1@t>'
	deliver 1000 'From: amy@remote.test' 'To: Bob <bob@remote.test>' 'Subject: alpha' \
		'Date: Mon, 02 Mar 2026 09:00:00 +0000' 'Message-ID: <a1@t>'
	deliver 2000 'From: Bob <bob@remote.test>' 'To: alice@example.test' 'Subject: beta' \
		'Date: Sun, 01 Mar 2026 08:00:00 +0000' 'Message-ID: <b1@t>'
	deliver 1100 'From: AMY@other.test' 'To: Dan <dan@remote.test>' 'Subject: [list] Alpha' \
		'Date: Mon, 02 Mar 2026 12:00:00 +0200' 'Message-ID: <a2@t>' 'In-Reply-To: <a1@t>'
	deliver 500 'Message-ID: <c1@t>' 'References: <gone@t>'
	deliver 4000 'From: Eve <eve@remote.test>' 'To: erin@remote.test' 'Subject: Re: alpha' \
		'Date: Tue, 03 Mar 2026 09:00:00 +0000' 'Message-ID: <a3@t>'
}

@test "IMAP: SORT orders by SUBJECT, REVERSE DATE, FROM, DISPLAYFROM, TO and SIZE with ties by sequence number" {
	tandem_start
	deliver_six
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'b1 SORT (SUBJECT) UTF-8 ALL\r\n' --expect b1 \
		--send 'b2 SORT (REVERSE DATE) UTF-8 ALL\r\n' --expect b2 \
		--send 'b3 SORT (FROM) UTF-8 ALL\r\n' --expect b3 \
		--send 'b4 SORT (DISPLAYFROM) UTF-8 ALL\r\n' --expect b4 \
		--send 'b5 SORT (TO) UTF-8 ALL\r\n' --expect b5 \
		--send 'b6 SORT (SIZE) UTF-8 ALL\r\n' --expect b6 \
		--send 'b7 sort (reverse subject date) us-ascii NOT FROM amy\r\n' --expect b7 \
		--send 'b8 UID SORT (SUBJECT ARRIVAL) UTF-8 SUBJECT alpha\r\n' --expect b8 \
		--send 'b9 SORT (SUBJECT) UTF-8 FROM nobody\r\n' --expect b9
	run -0 grep -E '^(\* SORT|b[0-9] )' <<<"$output"
	assert_output - <<'OUT'
* SORT 5 2 4 6 3 1
b1 OK SORT completed
* SORT 5 6 1 4 2 3
b2 OK SORT completed
* SORT 5 2 4 3 6 1
b3 OK SORT completed
* SORT 5 4 2 3 6 1
b4 OK SORT completed
* SORT 5 3 2 1 4 6
b5 OK SORT completed
* SORT 5 2 4 3 1 6
b6 OK SORT completed
* SORT 1 3 6 5
b7 OK SORT completed
* SORT 2 4 6
b8 OK SORT completed
* SORT
b9 OK SORT completed
OUT
}

@test "IMAP: THREAD REFERENCES follows References, In-Reply-To and base subjects; ORDEREDSUBJECT only subjects" {
	tandem_start
	deliver_six
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'b1 THREAD REFERENCES UTF-8 ALL\r\n' --expect b1 \
		--send 'b2 THREAD ORDEREDSUBJECT UTF-8 ALL\r\n' --expect b2 \
		--send 'b3 UID THREAD REFERENCES UTF-8 FROM amy\r\n' --expect b3 \
		--send 'b4 THREAD REFERENCES UTF-8 FROM nobody\r\n' --expect b4
	run -0 grep -E '^(\* THREAD|b[0-9] )' <<<"$output"
	assert_output - <<'OUT'
* THREAD (3 1)(2 (4)(6))(5)
b1 OK THREAD completed
* THREAD (3)(2 (4)(6))(1)(5)
b2 OK THREAD completed
* THREAD (2 4)
b3 OK THREAD completed
* THREAD
b4 OK THREAD completed
OUT
}

@test "IMAP: SORT and THREAD refuse unknown criteria, algorithms and charsets, and need a selected mailbox" {
	tandem_start
	deliver_six
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SORT (SUBJECT) UTF-8 ALL\r\n' --expect a2 \
		--send 'a3 SELECT INBOX\r\n' --expect a3 \
		--send 'b1 SORT (BOGUS) UTF-8 ALL\r\n' --expect b1 \
		--send 'b2 SORT (REVERSE) UTF-8 ALL\r\n' --expect b2 \
		--send 'b3 SORT SUBJECT UTF-8 ALL\r\n' --expect b3 \
		--send 'b4 SORT (SUBJECT) KOI8-R ALL\r\n' --expect b4 \
		--send 'b5 THREAD BOGUS UTF-8 ALL\r\n' --expect b5 \
		--send 'b6 THREAD REFERENCES UTF-8\r\n' --expect b6 \
		--send 'b7 THREAD REFERENCES UTF-8 NOSUCHKEY\r\n' --expect b7
	assert_line --regexp '^a1 OK \[CAPABILITY IMAP4rev1 .*\bSORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES\b.*\] logged in$'
	assert_line 'a2 BAD SORT needs a selected mailbox'
	assert_line 'b1 BAD unknown sort criterion'
	assert_line 'b2 BAD REVERSE must precede a sort criterion'
	assert_line 'b3 BAD SORT needs (criteria), a charset and search keys'
	assert_line --regexp '^b4 NO \[BADCHARSET \(UTF-8 US-ASCII\)\] '
	assert_line 'b5 BAD unknown threading algorithm'
	assert_line 'b6 BAD THREAD needs an algorithm, a charset and search keys'
	assert_line --regexp '^b7 BAD '
	refute_line --regexp '^\* (SORT|THREAD)'
}
