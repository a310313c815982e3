#!/usr/bin/env bash
# make-run.sh - what `make run` does after building: prepare run/ (config from
# daemon/tandem.conf.example on first run, a SQLite database with the demo
# account), say how to deliver and read a message, then run tandemd in the
# foreground until Ctrl-C.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
mkdir -p run
if [ ! -f run/tandem.conf ]; then
	cp daemon/tandem.conf.example run/tandem.conf
	echo "make run: created run/tandem.conf from daemon/tandem.conf.example"
fi
ctl() { "$BUILD/tandemctl" -c run/tandem.conf "$@"; }
ctl migrate >/dev/null
if ! ctl domain list | grep -qx 'example.test.*'; then
	ctl domain add example.test
fi
if ! ctl user show demo@example.test >/dev/null 2>&1; then
	printf 'demo\n' | ctl user add demo@example.test
	echo "make run: created user demo@example.test with password 'demo'"
fi
cat <<'MSG'

tandemd is starting on 127.0.0.1 (LMTP 2424, UNIX socket run/lmtp.sock, IMAP 1143, POP3 1110,
ManageSieve 4190).
Deliver a message (another terminal):
  python3 -c 'import smtplib; s = smtplib.LMTP("127.0.0.1", 2424); s.sendmail("me@example.org", ["demo@example.test"], b"Subject: hello\r\n\r\nHello from Tandem\r\n"); s.quit()'
Read it back:
  build/tandemctl -c run/tandem.conf mailbox list demo@example.test
  build/tandemctl -c run/tandem.conf export demo@example.test /tmp/demo-export && cat /tmp/demo-export/INBOX.mbox
  python3 -c 'import imaplib; c = imaplib.IMAP4("127.0.0.1", 1143); c.login("demo@example.test", "demo"); c.select(); print(c.fetch("1", "(BODY[])")[1][0][1].decode()); c.logout()'
Manage Sieve filters (upload, list, activate):
  sieve-connect --clearchan -s 127.0.0.1 -p 4190 -u demo@example.test --localsieve my.sieve --upload
  sieve-connect --clearchan -s 127.0.0.1 -p 4190 -u demo@example.test --list
Stop with Ctrl-C.

MSG
exec "$BUILD/tandemd" -c run/tandem.conf
