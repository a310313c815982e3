#!/usr/bin/env bats
# imap-binary.bats - BINARY (RFC 3516) from the outside: FETCH BINARY[part],
# BINARY.PEEK[part]<partial> and BINARY.SIZE[part] undo base64 and
# quoted-printable, keep 7bit as it is, answer a literal8 ~{n} when the
# decoded bytes hold a NUL, NO [UNKNOWN-CTE] for an encoding we cannot undo,
# BAD for a section BINARY does not take; APPEND and MULTIAPPEND take a
# literal8 and store it byte for byte; other commands refuse a literal8.

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

# The test message: part 1 7bit, part 2 base64 of 00 42 43 00, part 3
# quoted-printable "caf\xc3\xa9 = ok", part 4 an encoding nobody knows.
binary_message() {
	printf '%s\r\n' 'From: a@remote.test' 'To: alice@example.test' 'Subject: bin' \
		'MIME-Version: 1.0' 'Content-Type: multipart/mixed; boundary="XX"' '' \
		'--XX' 'Content-Type: text/plain' '' 'hello' \
		'--XX' 'Content-Type: application/octet-stream' \
		'Content-Transfer-Encoding: base64' '' 'AEJDAA==' \
		'--XX' 'Content-Type: text/plain; charset=utf-8' \
		'Content-Transfer-Encoding: quoted-printable' '' 'caf=C3=A9 =3D ok' \
		'--XX' 'Content-Type: application/x-foo' 'Content-Transfer-Encoding: x-rot13' '' \
		'uryyb' '--XX--' >"$1"
}

@test "IMAP: FETCH BINARY decodes base64 and quoted-printable, sizes them, uses ~{n} for NULs and NO [UNKNOWN-CTE] for the unknown" {
	tandem_start
	binary_message "$BATS_TEST_TMPDIR/m.eml"
	lmtp_send --file "$BATS_TEST_TMPDIR/m.eml" alice@example.test
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 SELECT INBOX\r\n' --expect a2 \
		--send 'b1 FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[3] BINARY.SIZE[9])\r\n' --expect b1 \
		--send 'b2 FETCH 1 BINARY.PEEK[2]\r\n' --expect b2 \
		--send 'b3 FETCH 1 (BINARY.PEEK[3]<4.3>)\r\n' --expect b3 \
		--send 'b4 FETCH 1 FLAGS\r\n' --expect b4 \
		--send 'b5 FETCH 1 BINARY[4]\r\n' --expect b5 \
		--send 'b6 FETCH 1 BINARY[1]\r\n' --expect b6 \
		--send 'b7 FETCH 1 BINARY.SIZE[1]<0.2>\r\n' --expect b7 \
		--send 'b8 FETCH 1 BINARY[1.HEADER]\r\n' --expect b8 \
		--send 'b9 FETCH 1 BINARY.PEEK[9]\r\n' --expect b9 \
		--send 'c1 UID FETCH 1 (BINARY.PEEK[1]<1.2> BINARY.SIZE[3])\r\n' --expect c1
	assert_line --regexp '^a1 OK \[CAPABILITY IMAP4rev1 (.* )?BINARY( .*)?\] logged in$'
	run -0 grep -E -A1 '^(\* 1 FETCH|[bc][0-9] )' <<<"$output"
	assert_output - <<'OUT'
* 1 FETCH (BINARY.SIZE[1] 5 BINARY.SIZE[2] 4 BINARY.SIZE[3] 10 BINARY.SIZE[9] 0)
b1 OK FETCH completed
* 1 FETCH (BINARY[2] ~{4}
\x00BC\x00)
b2 OK FETCH completed
* 1 FETCH (BINARY[3]<4> {3}
\xa9 =)
b3 OK FETCH completed
* 1 FETCH (FLAGS (\Recent))
b4 OK FETCH completed
b5 NO [UNKNOWN-CTE] cannot decode the Content-Transfer-Encoding
* 1 FETCH (BINARY[1] {5}
hello FLAGS (\Seen \Recent))
b6 OK FETCH completed
b7 BAD bad FETCH data item
b8 BAD bad FETCH data item
* 1 FETCH (BINARY[9] "")
b9 OK FETCH completed
* 1 FETCH (UID 1 BINARY[1]<1> {2}
el BINARY.SIZE[3] 10)
c1 OK FETCH completed
OUT
}

@test "IMAP: APPEND and MULTIAPPEND take a literal8 and store its bytes exactly; other commands refuse one" {
	tandem_start
	# 21 bytes with a NUL in the body
	run -0 raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 APPEND INBOX ~{21}\r\n' --expect '+ ' \
		--send 'Subject: one\r\n\r\nA\x00B\r\n\r\n' --expect a2 \
		--send 'a3 APPEND INBOX (\\Seen) ~{20+}\r\nSubject: two\r\n\r\nxy\r\n ~{21+}\r\nSubject: three\r\n\r\nz\r\n\r\n' --expect a3 \
		--send 'a4 SELECT ~{5+}\r\nINBOX\r\n' --expect a4 \
		--send 'a5 EXAMINE INBOX\r\n' --expect a5 \
		--send 'a6 FETCH 1:3 (FLAGS BINARY.PEEK[])\r\n' --expect a6 \
		--send 'a7 FETCH 1 BODY.PEEK[TEXT]\r\n' --expect a7
	assert_line --regexp '^a2 OK \[APPENDUID [0-9]+ 1\] APPEND completed$'
	assert_line --regexp '^a3 OK \[APPENDUID [0-9]+ 2:3\] APPEND completed$'
	assert_line 'a4 BAD expected a mailbox name'
	run -0 sed -n '/^a5 OK/,$p' <<<"$output"
	assert_output - <<'OUT'
a5 OK [READ-ONLY] EXAMINE completed
* 1 FETCH (FLAGS (\Recent) BINARY[] ~{21}
Subject: one

A\x00B
)
* 2 FETCH (FLAGS (\Seen \Recent) BINARY[] {20}
Subject: two

xy
)
* 3 FETCH (FLAGS (\Recent) BINARY[] {21}
Subject: three

z
)
a6 OK FETCH completed
* 1 FETCH (BODY[TEXT] {5}
A\x00B
)
a7 OK FETCH completed
OUT
}

@test "IMAP: imaplib reads BINARY literal8 responses and gets NO [UNKNOWN-CTE]" {
	tandem_start
	binary_message "$BATS_TEST_TMPDIR/m.eml"
	lmtp_send --file "$BATS_TEST_TMPDIR/m.eml" alice@example.test
	run -0 imap_client lib 'M.login("alice@example.test", "alicepw")' 'M.select("INBOX")' \
		'M.fetch("1", "(BINARY.PEEK[2] BINARY.PEEK[3])")' \
		'M.fetch("1", "(BINARY.PEEK[4])")'
	assert_line "('OK', [(b'1 (BINARY[2] ~{4}', b'\\x00BC\\x00'), (b' BINARY[3] {10}', b'caf\\xc3\\xa9 = ok'), b')'])"
	assert_line "('NO', [b'[UNKNOWN-CTE] cannot decode the Content-Transfer-Encoding'])"
}
