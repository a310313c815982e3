#!/usr/bin/env bats
# imap-extensions.bats - the small IMAP extensions from the outside, each
# with an exact transcript and hostile input: ID (RFC 2971), NAMESPACE (RFC
# 2342), ENABLE (RFC 5161), LITERAL+ (RFC 7888), SASL-IR (RFC 4959),
# UNSELECT (RFC 3691), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154),
# LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819) and STATUS=SIZE (RFC
# 8438).

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 1500 exttoken1
}

teardown() {
	tandem_stop_all
}

raw() {
	imap_client raw "$@"
}
LOGIN='a0 LOGIN alice@example.test alicepw\r\n'

# still_serving: a fresh connection logs in and gets NOOP answered.
still_serving() {
	kill -0 "$TANDEM_PID" || fail "tandemd died"
	run -0 raw --send "$LOGIN" --expect a0 --send 'z1 NOOP\r\n' --expect z1
	assert_line 'z1 OK NOOP completed'
}

@test "IMAP extensions: CAPABILITY after login advertises each small extension, before login only the login ones" {
	tandem_start
	run -0 raw --send 'a1 CAPABILITY\r\n' --expect a1 --send "$LOGIN" --expect a0 --send 'a2 CAPABILITY\r\n' --expect a2
	local pre post
	pre=$(grep '^\* CAPABILITY' <<<"$output" | head -1)
	post=$(grep '^\* CAPABILITY' <<<"$output" | tail -1)
	for token in IMAP4rev1 LITERAL+ SASL-IR ID; do
		[[ " ${pre#\* CAPABILITY } " == *" $token "* ]] || fail "pre-login lacks $token: $pre"
	done
	for token in IMAP4rev1 LITERAL+ SASL-IR ID NAMESPACE ENABLE UNSELECT CHILDREN SPECIAL-USE \
		LIST-EXTENDED LIST-STATUS STATUS=SIZE; do
		[[ " ${post#\* CAPABILITY } " == *" $token "* ]] || fail "post-login lacks $token: $post"
	done
	[[ " $post " != *" LITERAL- "* ]] || fail "both LITERAL+ and LITERAL-: $post"
}

@test "IMAP extensions: ID answers with the server's name and version in any state and logs the client's name printable" {
	tandem_start
	run -0 raw --send 'a1 ID NIL\r\n' --expect a1 \
		--send 'a2 ID ("name" "mutt\x01x\\"=1" "version" "2.2" "os" NIL)\r\n' --expect a2 \
		--send "$LOGIN" --expect a0 --send 'a3 id ("NAME" {3+}\r\nabc)\r\n' --expect a3
	assert_line --index 1 '* ID ("name" "tandem" "version" "0.1.0")'
	assert_line --index 2 'a1 OK ID completed'
	assert_line --index 3 '* ID ("name" "tandem" "version" "0.1.0")'
	assert_line --index 4 'a2 OK ID completed'
	assert_line 'a3 OK ID completed'
	run -0 grep -c 'imap client_id name="mutt?x?=1" version="2.2"' "$TANDEM_LOG"
	run -0 grep -c 'imap client_id name="abc" version=""' "$TANDEM_LOG"
}

@test "IMAP extensions: ID refuses a malformed or oversized list with BAD and keeps serving" {
	tandem_start
	local many='' long
	for i in $(seq 1 31); do many+="\"f$i\" \"v\" "; done
	long=$(head -c 1025 /dev/zero | tr '\0' v)
	run -0 raw --send 'b1 ID\r\n' --expect b1 \
		--send 'b2 ID ("name")\r\n' --expect b2 \
		--send 'b3 ID (name "x")\r\n' --expect b3 \
		--send 'b4 ID ("name" ("x"))\r\n' --expect b4 \
		--send "b5 ID (${many% })\r\n" --expect b5 \
		--send 'b6 ID ("a23456789012345678901234567890x" "v")\r\n' --expect b6 \
		--send "b7 ID (\"name\" \"$long\")\r\n" --expect b7 \
		--send 'b8 ID ("name" "a" "Name" "b")\r\n' --expect b8 \
		--send 'b9 ID NIL NIL\r\n' --expect b9 \
		--send 'c1 ID "name"\r\n' --expect c1
	assert_line 'b1 BAD ID needs one argument'
	assert_line 'b2 BAD ID list must hold field-value pairs'
	assert_line 'b3 BAD ID field name must be a string'
	assert_line 'b4 BAD ID value must be a string or NIL'
	assert_line 'b5 BAD ID list has too many pairs'
	assert_line 'b6 BAD ID field name too long'
	assert_line 'b7 BAD ID value too long'
	assert_line 'b8 BAD ID field name repeated'
	assert_line 'b9 BAD ID needs one argument'
	assert_line 'c1 BAD ID needs NIL or a list of field-value pairs'
	refute_line --regexp '^\* ID'
	still_serving
}

@test "IMAP extensions: NAMESPACE gives one personal namespace with no prefix, only after login" {
	tandem_start
	run -0 raw --send 'a1 NAMESPACE\r\n' --expect a1 --send "$LOGIN" --expect a0 \
		--send 'a2 NAMESPACE\r\n' --expect a2 --send 'a3 NAMESPACE x\r\n' --expect a3
	assert_line --index 1 'a1 BAD NAMESPACE needs a login first'
	assert_line --index 3 '* NAMESPACE (("" "/")) (("Shared/" "/")) NIL'
	assert_line --index 4 'a2 OK NAMESPACE completed'
	assert_line --index 5 'a3 BAD NAMESPACE takes no arguments'
}

@test "IMAP extensions: ENABLE works only when authenticated and lists nothing it does not support" {
	tandem_start
	run -0 raw --send 'a1 ENABLE X-NOTHING\r\n' --expect a1 --send "$LOGIN" --expect a0 \
		--send 'a2 ENABLE X-NOTHING X-OTHER\r\n' --expect a2 \
		--send 'a3 ENABLE\r\n' --expect a3 \
		--send 'a4 ENABLE "X-NOTHING"\r\n' --expect a4 \
		--send 'a5 ENABLE (X-NOTHING)\r\n' --expect a5 \
		--send 'a6 SELECT INBOX\r\n' --expect a6 \
		--send 'a7 ENABLE X-NOTHING\r\n' --expect a7
	assert_line --index 1 'a1 BAD ENABLE needs a login first'
	assert_line --index 3 '* ENABLED'
	assert_line --index 4 'a2 OK ENABLE completed'
	assert_line --index 5 'a3 BAD ENABLE needs at least one capability name'
	assert_line --index 6 'a4 BAD ENABLE takes capability names (atoms)'
	assert_line --index 7 'a5 BAD ENABLE takes capability names (atoms)'
	assert_line 'a7 BAD ENABLE is not valid in this state'
	still_serving
}

@test "IMAP extensions: LITERAL+ takes a non-synchronizing literal without +, a too big one gets BYE" {
	tandem_start
	run -0 raw --send 'a1 LOGIN alice@example.test {7+}\r\nalicepw\r\n' --expect a1 \
		--send 'a2 CREATE {4+}\r\nLit1\r\n' --expect a2
	assert_line --index 1 --regexp '^a1 OK \[CAPABILITY .*\] logged in$'
	assert_line --index 2 'a2 OK CREATE completed'
	refute_line '+ Ready for literal data'
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 CREATE {70000+}\r\n' --expect CLOSED
	assert_line '* BYE literal too big'
	still_serving
}

@test "IMAP extensions: SASL-IR logs in with AUTHENTICATE PLAIN and its initial response in one line" {
	tandem_start
	local ir
	ir=$(printf '\0alice@example.test\0alicepw' | base64 -w0)
	run -0 raw --send "a1 AUTHENTICATE PLAIN $ir\r\n" --expect a1
	assert_line --index 1 --regexp '^a1 OK \[CAPABILITY .*\] logged in$'
	refute_line --regexp '^\+'
}

@test "IMAP extensions: UNSELECT leaves the mailbox without expunging and without a tagged CLOSE" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 SELECT INBOX\r\n' --expect a1 \
		--send 'a2 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n' --expect a2 \
		--send 'a3 UNSELECT\r\n' --expect a3 --send 'a4 UNSELECT\r\n' --expect a4 \
		--send 'a5 STATUS INBOX (MESSAGES)\r\n' --expect a5
	assert_line 'a2 OK STORE completed'
	assert_line 'a3 OK UNSELECT completed'
	assert_line 'a4 BAD UNSELECT needs a selected mailbox'
	assert_line '* STATUS "INBOX" (MESSAGES 1)'
}

@test "IMAP extensions: SPECIAL-USE: CREATE with USE, the LIST selection and return options, and bad USE" {
	tandem_start
	run -0 raw --send "$LOGIN" --expect a0 \
		--send 'a1 CREATE Old (USE (\\archive))\r\n' --expect a1 \
		--send 'a2 LIST (SPECIAL-USE) "" *\r\n' --expect a2 \
		--send 'a3 LIST "" Old RETURN (SPECIAL-USE)\r\n' --expect a3 \
		--send 'a4 CREATE Bad1 (USE (\\All))\r\n' --expect a4 \
		--send 'a5 CREATE Bad2 (USE (\\Sent \\Trash))\r\n' --expect a5 \
		--send 'a6 CREATE Bad3 (FOO (\\Sent))\r\n' --expect a6 \
		--send 'a7 CREATE Bad4 (USE \\Sent)\r\n' --expect a7 \
		--send 'a8 CREATE Bad5 (USE (Sent))\r\n' --expect a8 \
		--send 'a9 CREATE Bad6 USE\r\n' --expect a9 \
		--send 'b1 LIST "" Bad*\r\n' --expect b1
	assert_line 'a1 OK CREATE completed'
	run -0 grep -E '^(\* LIST|a2 |a3 |a4 |a5 |a6 |a7 |a8 |a9 |b1 )' <<<"$output"
	assert_output - <<'EOT'
* LIST (\HasNoChildren \Archive) "/" "Archive"
* LIST (\HasNoChildren \Drafts) "/" "Drafts"
* LIST (\HasNoChildren \Junk) "/" "Junk"
* LIST (\HasNoChildren \Archive) "/" "Old"
* LIST (\HasNoChildren \Sent) "/" "Sent"
* LIST (\HasNoChildren \Trash) "/" "Trash"
a2 OK LIST completed
* LIST (\HasNoChildren \Archive) "/" "Old"
a3 OK LIST completed
a4 NO [USEATTR] unsupported special-use attribute
a5 NO [USEATTR] only one special-use attribute per mailbox
a6 BAD unknown CREATE parameter
a7 BAD CREATE USE needs a list of attributes
a8 BAD CREATE USE needs a list of attributes
a9 BAD CREATE parameters must be a list
b1 OK LIST completed
EOT
}

@test "IMAP extensions: LIST-EXTENDED: SUBSCRIBED, RECURSIVEMATCH with CHILDINFO, REMOTE, several patterns, RETURN and \\NonExistent" {
	tandem_start
	run -0 raw --send "$LOGIN" --expect a0 \
		--send 'a1 CREATE Fruit/Apple\r\na2 CREATE Fruit/Peach/Ripe\r\na3 CREATE Veg\r\n' --expect a3 \
		--send 'a4 UNSUBSCRIBE Fruit\r\na5 UNSUBSCRIBE Fruit/Apple\r\na6 UNSUBSCRIBE Fruit/Peach\r\na7 UNSUBSCRIBE Veg\r\n' --expect a7 \
		--send 'b1 LIST (SUBSCRIBED) "" Fruit/*\r\n' --expect b1 \
		--send 'b2 LIST (SUBSCRIBED RECURSIVEMATCH) "" Fruit/%\r\n' --expect b2 \
		--send 'b3 LIST (SUBSCRIBED RECURSIVEMATCH) "" %\r\n' --expect b3 \
		--send 'b4 LIST (REMOTE) "" ("Fruit/%" "V*" inbox) RETURN (SUBSCRIBED CHILDREN)\r\n' --expect b4 \
		--send 'b5 DELETE Fruit\r\nb6 LIST () "" Fruit\r\nb7 LIST "" Fruit\r\n' --expect b7
	run -0 grep -E '^(\* LIST|a7 |b[1-7] )' <<<"$output"
	assert_output - <<'EOT'
a7 OK UNSUBSCRIBE completed
* LIST (\HasNoChildren \Subscribed) "/" "Fruit/Peach/Ripe"
b1 OK LIST completed
* LIST (\HasChildren) "/" "Fruit/Peach" ("CHILDINFO" ("SUBSCRIBED"))
b2 OK LIST completed
* LIST (\HasNoChildren \Subscribed \Archive) "/" "Archive"
* LIST (\HasNoChildren \Subscribed \Drafts) "/" "Drafts"
* LIST (\HasChildren) "/" "Fruit" ("CHILDINFO" ("SUBSCRIBED"))
* LIST (\HasNoChildren \Subscribed) "/" "INBOX"
* LIST (\HasNoChildren \Subscribed \Junk) "/" "Junk"
* LIST (\HasNoChildren \Subscribed \Sent) "/" "Sent"
* LIST (\HasNoChildren \Subscribed \Trash) "/" "Trash"
b3 OK LIST completed
* LIST (\HasNoChildren) "/" "Fruit/Apple"
* LIST (\HasChildren) "/" "Fruit/Peach"
* LIST (\HasNoChildren \Subscribed) "/" "INBOX"
* LIST (\HasNoChildren) "/" "Veg"
b4 OK LIST completed
b5 OK DELETE completed
* LIST (\NonExistent \HasChildren) "/" "Fruit"
b6 OK LIST completed
* LIST (\Noselect \HasChildren) "/" "Fruit"
b7 OK LIST completed
EOT
}

@test "IMAP extensions: LIST-EXTENDED garbage gets BAD and the server keeps serving" {
	tandem_start
	local many=''
	for i in $(seq 1 65); do many+="p$i "; done
	run -0 raw --send "$LOGIN" --expect a0 \
		--send 'c1 LIST (BOGUS) "" *\r\n' --expect c1 \
		--send 'c2 LIST (RECURSIVEMATCH) "" *\r\n' --expect c2 \
		--send 'c3 LIST (RECURSIVEMATCH REMOTE) "" *\r\n' --expect c3 \
		--send 'c4 LIST (SUBSCRIBED SPECIAL-USE) "" *\r\n' --expect c4 \
		--send 'c5 LIST ((SUBSCRIBED)) "" *\r\n' --expect c5 \
		--send 'c6 LIST "" * RETURN\r\n' --expect c6 \
		--send 'c7 LIST "" * RETURN (STATUS)\r\n' --expect c7 \
		--send 'c8 LIST "" * RETURN (STATUS (MESSAGES BOGUS))\r\n' --expect c8 \
		--send 'c9 LIST "" * RETURN (STATUS (MESSAGES) STATUS (UNSEEN))\r\n' --expect c9 \
		--send 'd1 LIST "" * RETURN (BOGUS)\r\n' --expect d1 \
		--send 'd2 LIST "" * RETURN (CHILDREN) extra\r\n' --expect d2 \
		--send 'd3 LIST "" * BOGUS (CHILDREN)\r\n' --expect d3 \
		--send 'd4 LIST "" ()\r\n' --expect d4 \
		--send 'd5 LIST "" ("a" ("b"))\r\n' --expect d5 \
		--send "d6 LIST \"\" (${many% })\r\n" --expect d6 \
		--send 'd7 LIST (SUBSCRIBED) ""\r\n' --expect d7 \
		--send 'd8 LSUB (SUBSCRIBED) "" *\r\n' --expect d8 \
		--send 'd9 LSUB "" ("a")\r\n' --expect d9
	run -0 grep -E '^(\* LIST|[cd][0-9] )' <<<"$output"
	assert_output - <<'EOT'
c1 BAD LIST unknown selection option
c2 BAD LIST RECURSIVEMATCH needs another selection option
c3 BAD LIST RECURSIVEMATCH needs another selection option
c4 BAD LIST SUBSCRIBED and SPECIAL-USE selection cannot be combined
c5 BAD LIST unknown selection option
c6 BAD LIST unexpected arguments after the pattern
c7 BAD LIST RETURN STATUS needs a list of STATUS items
c8 BAD LIST RETURN STATUS needs a list of STATUS items
c9 BAD LIST RETURN STATUS needs a list of STATUS items
d1 BAD LIST unknown return option
d2 BAD LIST unexpected arguments after the pattern
d3 BAD LIST unexpected arguments after the pattern
d4 BAD LIST needs 1 to 64 patterns
d5 BAD LIST patterns must be strings
d6 BAD LIST needs 1 to 64 patterns
d7 BAD LIST needs a reference and a mailbox pattern
d8 BAD LSUB needs a reference and a mailbox pattern
d9 BAD LSUB needs a reference and a mailbox pattern
EOT
	still_serving
}

@test "IMAP extensions: LIST-STATUS sends STATUS after each selectable mailbox listed, none for a missing parent" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 CREATE Fruit/Apple\r\na2 DELETE Fruit\r\n' --expect a2 \
		--send 'a3 SELECT INBOX\r\na4 FETCH 1 RFC822.SIZE\r\n' --expect a4
	local size
	size=$(sed -n 's/^\* 1 FETCH (RFC822.SIZE \([0-9]*\))$/\1/p' <<<"$output")
	[ -n "$size" ] || fail "no RFC822.SIZE in: $output"
	run -0 raw --send "$LOGIN" --expect a0 \
		--send 'a1 LIST "" (INBOX Sent Fruit*) RETURN (STATUS (MESSAGES UNSEEN SIZE UIDNEXT))\r\n' --expect a1
	run -0 grep -E '^(\* (LIST|STATUS)|a1 )' <<<"$output"
	assert_output - <<EOT
* LIST (\\NonExistent \\HasChildren) "/" "Fruit"
* LIST (\\HasNoChildren) "/" "Fruit/Apple"
* STATUS "Fruit/Apple" (MESSAGES 0 UNSEEN 0 SIZE 0 UIDNEXT 1)
* LIST (\\HasNoChildren) "/" "INBOX"
* STATUS "INBOX" (MESSAGES 1 UNSEEN 1 SIZE $size UIDNEXT 2)
* LIST (\\HasNoChildren \\Sent) "/" "Sent"
* STATUS "Sent" (MESSAGES 0 UNSEEN 0 SIZE 0 UIDNEXT 1)
a1 OK LIST completed
EOT
}

@test "IMAP extensions: STATUS=SIZE gives the sum of the messages' RFC822.SIZE" {
	tandem_start
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 lmtp_send --file "$MSG" alice@example.test
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 EXAMINE INBOX\r\na2 FETCH 1:* RFC822.SIZE\r\n' --expect a2
	local total
	total=$(sed -n 's/^\* [0-9] FETCH (RFC822.SIZE \([0-9]*\))$/\1/p' <<<"$output" | paste -sd+ | bc)
	[ "$total" -gt 3000 ] || fail "sizes: $output"
	run -0 raw --send "$LOGIN" --expect a0 --send 'a1 STATUS INBOX (SIZE MESSAGES)\r\na2 STATUS Trash (SIZE)\r\na3 STATUS INBOX (SIZE BOGUS)\r\n' --expect a3
	assert_line --index 2 "* STATUS \"INBOX\" (SIZE $total MESSAGES 2)"
	assert_line --index 3 'a1 OK STATUS completed'
	assert_line --index 4 '* STATUS "Trash" (SIZE 0)'
	assert_line --index 5 'a2 OK STATUS completed'
	assert_line --index 6 'a3 BAD unknown STATUS item'
}
