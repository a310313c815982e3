-- 002-expunged.sql (SQLite): what IMAP CONDSTORE/QRESYNC need beyond 001.
-- The PostgreSQL twin is schema/pgsql/002-expunged.sql. Applied once, in
-- one transaction, by storage_migrate (schema_version says whether it ran);
-- IF NOT EXISTS makes a second run harmless all the same.

-- UIDs removed from a mailbox (EXPUNGE, UID EXPUNGE, CLOSE, MOVE), so a
-- QRESYNC client can be told which of the UIDs it knew have VANISHED since
-- the modseq it last saw. Rows go with their mailbox when it is deleted.
CREATE TABLE IF NOT EXISTS expunged_uids (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
    uid INTEGER NOT NULL,                             -- the UID the message had
    modseq INTEGER NOT NULL,                          -- the mailbox's highestmodseq given to the expunge
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX IF NOT EXISTS expunged_uids_modseq ON expunged_uids(mailbox_id, modseq);

-- CONDSTORE FETCH/SEARCH MODSEQ and QRESYNC: the messages of a mailbox
-- changed since a modseq, without reading the whole mailbox.
CREATE INDEX IF NOT EXISTS mailbox_messages_modseq ON mailbox_messages(mailbox_id, modseq);
