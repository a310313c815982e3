#!/usr/bin/env bats
# imap-condstore.bats - CONDSTORE and QRESYNC (RFC 7162) as exact
# transcripts: HIGHESTMODSEQ at SELECT, FETCH MODSEQ and CHANGEDSINCE,
# STORE UNCHANGEDSINCE with [MODIFIED], STATUS HIGHESTMODSEQ, implicit
# enabling, and QRESYNC: SELECT (QRESYNC ...) with VANISHED (EARLIER),
# UID FETCH (CHANGEDSINCE n VANISHED), VANISHED instead of EXPUNGE and
# [CLOSED]. Session A changes the mailbox, session B resyncs. Three
# messages are delivered first (modseqs start where delivery leaves them;
# UIDVALIDITY is printed as V).

setup() {
	load helpers/common
	tandem_config
	demo_user alice@example.test alicepw
	MSG=$BATS_TEST_TMPDIR/msg.eml
	make_message "$MSG" 400 condstoretoken
	tandem_start
	local i
	for i in 1 2 3; do
		lmtp_send --from sender@example.net --file "$MSG" alice@example.test >/dev/null ||
			fail "LMTP delivery failed"
	done
}

teardown() {
	tandem_stop_all
}

# condstore_py SCENARIO: run one scenario below; it prints every line each
# session reads ("A: ..." / "B: ..."), UIDVALIDITY replaced by V.
condstore_py() {
	"$PYTHON" - "$1" <<'EOF'
import os, re, socket, sys

PORT = int(os.environ["IMAP_PORT"])
UIDVALIDITY = []


class Session:
    def __init__(self, name):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        self.f = self.sock.makefile("rb")
        self.f.readline()
        self.cmd("l", "LOGIN alice@example.test alicepw", show=False)

    def cmd(self, tag, text, show=True):
        self.sock.sendall(("%s %s\r\n" % (tag, text)).encode())
        got = []
        while True:
            line = self.f.readline()
            if not line:
                sys.exit("%s: closed" % self.name)
            line = line.decode("latin-1").rstrip("\r\n")
            m = re.search(r"\[UIDVALIDITY (\d+)\]", line)
            if m:
                UIDVALIDITY[:] = [m.group(1)]
            line = re.sub(r"\[UIDVALIDITY \d+\]", "[UIDVALIDITY V]", line)
            got.append(line)
            if line.startswith(tag + " "):
                break
        if show:
            for l in got:
                print("%s: %s" % (self.name, l))
        return got


def scenario_condstore():
    a, b = Session("A"), Session("B")
    a.cmd("a1", "ENABLE CONDSTORE")
    a.cmd("a2", "SELECT INBOX")
    b.cmd("b1", "SELECT INBOX", show=False)
    a.cmd("a3", "FETCH 1:* (UID MODSEQ)")
    a.cmd("a4", "STORE 1 +FLAGS (\\Seen)")
    a.cmd("a5", "STORE 2 +FLAGS.SILENT (\\Flagged)")
    a.cmd("a6", "STORE 1:3 (UNCHANGEDSINCE 4) +FLAGS (\\Answered)")
    a.cmd("a7", "UID STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\\Draft)")
    a.cmd("a8", "FETCH 1:* (FLAGS) (CHANGEDSINCE 5)")
    a.cmd("a9", "STATUS INBOX (HIGHESTMODSEQ MESSAGES)")
    b.cmd("b2", "NOOP")
    a.cmd("s1", "SEARCH MODSEQ 6")
    a.cmd("s2", "UID SEARCH OR MODSEQ 7 SUBJECT MODSEQ")
    a.cmd("s3", 'SEARCH MODSEQ "/flags/\\\\draft" all 5 NOT SEEN')
    a.cmd("s4", "SEARCH RETURN (ALL) MODSEQ 1")
    a.cmd("s5", "SEARCH MODSEQ 100")
    a.cmd("s6", "SEARCH (MODSEQ 6 OR MODSEQ 1 ALL)")
    a.cmd("s7", "SEARCH MODSEQ x")


def scenario_implicit():
    a = Session("A")
    a.cmd("a1", "SELECT INBOX (CONDSTORE)")
    a.cmd("a2", "FETCH 1 (MODSEQ)")
    b = Session("B")
    b.cmd("b1", "SELECT INBOX", show=False)
    b.cmd("b2", "FETCH 2 (FLAGS MODSEQ)")
    b.cmd("b3", "FETCH 2 (MODSEQ)")
    c = Session("C")
    c.cmd("c1", "STATUS INBOX (HIGHESTMODSEQ)")
    c.cmd("c2", "SELECT INBOX")
    d = Session("D")
    d.cmd("d1", "SELECT INBOX")
    d.cmd("d2", "UID STORE 3 (UNCHANGEDSINCE 9) -FLAGS (\\Seen)")
    d.cmd("d3", "SELECT INBOX (QRESYNC (1 1))")


def scenario_qresync():
    a, b = Session("A"), Session("B")
    a.cmd("a1", "SELECT INBOX", show=False)
    b.cmd("b1", "ENABLE QRESYNC")
    got = b.cmd("b2", "SELECT INBOX")
    modseq = re.search(r"HIGHESTMODSEQ (\d+)", "".join(got)).group(1)
    b.cmd("b3", "UNSELECT")
    a.cmd("a2", "STORE 2 +FLAGS.SILENT (\\Seen)")
    a.cmd("a3", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a4", "EXPUNGE")
    b.cmd("b4", "SELECT INBOX (QRESYNC (V %s))".replace("V", UIDVALIDITY[0]) % modseq)
    b.cmd("b5", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %s VANISHED)" % modseq)
    b.cmd("b6", "SELECT INBOX (QRESYNC (V %s 2:3))".replace("V", UIDVALIDITY[0]) % modseq)
    b.cmd("b7", "SELECT INBOX (QRESYNC (1 %s))" % modseq)
    a.cmd("a5", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a6", "EXPUNGE")
    b.cmd("b8", "NOOP")
    b.cmd("b9", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd("b10", "EXPUNGE")
    b.cmd("b11", "UID FETCH 1:* (UID)")


globals()["scenario_" + sys.argv[1]]()
EOF
}

@test "IMAP: CONDSTORE and QRESYNC are advertised once logged in" {
	run -0 imap_client raw --send 'a1 LOGIN alice@example.test alicepw\r\n' --expect a1 \
		--send 'a2 CAPABILITY\r\n' --expect a2
	assert_line --regexp '^\* CAPABILITY IMAP4rev1 .*\bCONDSTORE\b'
	assert_line --regexp '^\* CAPABILITY IMAP4rev1 .*\bQRESYNC\b'
}

@test "CONDSTORE: ENABLE, HIGHESTMODSEQ, FETCH MODSEQ and CHANGEDSINCE, STORE UNCHANGEDSINCE with [MODIFIED], STATUS, SEARCH MODSEQ; a session without it sees plain FLAGS" {
	run -0 condstore_py condstore
	assert_output - <<'OUT'
A: * ENABLED CONDSTORE
A: a1 OK ENABLE completed
A: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
A: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
A: * 3 EXISTS
A: * 3 RECENT
A: * OK [UNSEEN 1] first unseen message
A: * OK [UIDVALIDITY V] UIDs valid
A: * OK [UIDNEXT 4] predicted next UID
A: * OK [HIGHESTMODSEQ 4] highest modseq
A: a2 OK [READ-WRITE] SELECT completed
A: * 1 FETCH (UID 1 MODSEQ (2))
A: * 2 FETCH (UID 2 MODSEQ (3))
A: * 3 FETCH (UID 3 MODSEQ (4))
A: a3 OK FETCH completed
A: * 1 FETCH (FLAGS (\Seen \Recent) UID 1 MODSEQ (5))
A: a4 OK STORE completed
A: * 2 FETCH (UID 2 MODSEQ (6))
A: a5 OK STORE completed
A: * 3 FETCH (FLAGS (\Answered \Recent) UID 3 MODSEQ (7))
A: a6 OK [MODIFIED 1:2] conditional STORE failed
A: a7 OK [MODIFIED 1:3] conditional STORE failed
A: * 2 FETCH (FLAGS (\Flagged \Recent) MODSEQ (6))
A: * 3 FETCH (FLAGS (\Answered \Recent) MODSEQ (7))
A: a8 OK FETCH completed
A: * STATUS "INBOX" (HIGHESTMODSEQ 7 MESSAGES 3)
A: a9 OK STATUS completed
B: * 1 FETCH (FLAGS (\Seen))
B: * 2 FETCH (FLAGS (\Flagged))
B: * 3 FETCH (FLAGS (\Answered))
B: b2 OK NOOP completed
A: * SEARCH 2 3 (MODSEQ 7)
A: s1 OK SEARCH completed
A: * SEARCH 3 (MODSEQ 7)
A: s2 OK SEARCH completed
A: * SEARCH 2 3 (MODSEQ 7)
A: s3 OK SEARCH completed
A: * ESEARCH (TAG "s4") ALL 1:3 MODSEQ 7
A: s4 OK SEARCH completed
A: * SEARCH
A: s5 OK SEARCH completed
A: * SEARCH 2 3 (MODSEQ 7)
A: s6 OK SEARCH completed
A: s7 BAD MODSEQ needs a mod-sequence value
OUT
}

@test "CONDSTORE is turned on by SELECT (CONDSTORE), FETCH MODSEQ, STATUS HIGHESTMODSEQ and STORE UNCHANGEDSINCE; QRESYNC parameters need ENABLE QRESYNC" {
	run -0 condstore_py implicit
	assert_output - <<'OUT'
A: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
A: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
A: * 3 EXISTS
A: * 3 RECENT
A: * OK [UNSEEN 1] first unseen message
A: * OK [UIDVALIDITY V] UIDs valid
A: * OK [UIDNEXT 4] predicted next UID
A: * OK [HIGHESTMODSEQ 4] highest modseq
A: a1 OK [READ-WRITE] SELECT completed
A: * 1 FETCH (MODSEQ (2))
A: a2 OK FETCH completed
B: * OK [HIGHESTMODSEQ 4] modseqs on
B: * 2 FETCH (FLAGS () MODSEQ (3))
B: b2 OK FETCH completed
B: * 2 FETCH (MODSEQ (3))
B: b3 OK FETCH completed
C: * STATUS "INBOX" (HIGHESTMODSEQ 4)
C: c1 OK STATUS completed
C: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
C: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
C: * 3 EXISTS
C: * 0 RECENT
C: * OK [UNSEEN 1] first unseen message
C: * OK [UIDVALIDITY V] UIDs valid
C: * OK [UIDNEXT 4] predicted next UID
C: * OK [HIGHESTMODSEQ 4] highest modseq
C: c2 OK [READ-WRITE] SELECT completed
D: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
D: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
D: * 3 EXISTS
D: * 0 RECENT
D: * OK [UNSEEN 1] first unseen message
D: * OK [UIDVALIDITY V] UIDs valid
D: * OK [UIDNEXT 4] predicted next UID
D: d1 OK [READ-WRITE] SELECT completed
D: * OK [HIGHESTMODSEQ 4] modseqs on
D: * 3 FETCH (FLAGS () UID 3 MODSEQ (4))
D: d2 OK STORE completed
D: d3 BAD QRESYNC is not enabled
OUT
}

@test "QRESYNC: SELECT (QRESYNC ...) gets VANISHED (EARLIER) and the changed messages, UID FETCH (CHANGEDSINCE n VANISHED), [CLOSED], and expunges come as VANISHED" {
	run -0 condstore_py qresync
	assert_output - <<'OUT'
B: * ENABLED QRESYNC
B: b1 OK ENABLE completed
B: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
B: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
B: * 3 EXISTS
B: * 0 RECENT
B: * OK [UNSEEN 1] first unseen message
B: * OK [UIDVALIDITY V] UIDs valid
B: * OK [UIDNEXT 4] predicted next UID
B: * OK [HIGHESTMODSEQ 4] highest modseq
B: b2 OK [READ-WRITE] SELECT completed
B: b3 OK UNSELECT completed
A: a2 OK STORE completed
A: a3 OK STORE completed
A: * 1 EXPUNGE
A: a4 OK EXPUNGE completed
B: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
B: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
B: * 2 EXISTS
B: * 0 RECENT
B: * OK [UNSEEN 2] first unseen message
B: * OK [UIDVALIDITY V] UIDs valid
B: * OK [UIDNEXT 4] predicted next UID
B: * OK [HIGHESTMODSEQ 7] highest modseq
B: * VANISHED (EARLIER) 1
B: * 1 FETCH (UID 2 FLAGS (\Seen) MODSEQ (5))
B: b4 OK [READ-WRITE] SELECT completed
B: * VANISHED (EARLIER) 1
B: * 1 FETCH (UID 2 FLAGS (\Seen) MODSEQ (5))
B: b5 OK FETCH completed
B: * OK [CLOSED] previous mailbox closed
B: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
B: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
B: * 2 EXISTS
B: * 0 RECENT
B: * OK [UNSEEN 2] first unseen message
B: * OK [UIDVALIDITY V] UIDs valid
B: * OK [UIDNEXT 4] predicted next UID
B: * OK [HIGHESTMODSEQ 7] highest modseq
B: * 1 FETCH (UID 2 FLAGS (\Seen) MODSEQ (5))
B: b6 OK [READ-WRITE] SELECT completed
B: * OK [CLOSED] previous mailbox closed
B: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
B: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] flags that can be changed
B: * 2 EXISTS
B: * 0 RECENT
B: * OK [UNSEEN 2] first unseen message
B: * OK [UIDVALIDITY V] UIDs valid
B: * OK [UIDNEXT 4] predicted next UID
B: * OK [HIGHESTMODSEQ 7] highest modseq
B: b7 OK [READ-WRITE] SELECT completed
A: a5 OK STORE completed
A: * 1 EXPUNGE
A: a6 OK EXPUNGE completed
B: * VANISHED 2
B: b8 OK NOOP completed
B: * 1 FETCH (UID 3 MODSEQ (10))
B: b9 OK STORE completed
B: * VANISHED 3
B: b10 OK EXPUNGE completed
B: b11 OK FETCH completed
OUT
}
