-- 003-fulltext.sql (SQLite): the full-text index IMAP SEARCH BODY and TEXT
-- read instead of decoding every message. The PostgreSQL twin is
-- schema/pgsql/003-fulltext.sql. Applied once, in one transaction, by
-- storage_migrate; IF NOT EXISTS makes a second run harmless all the same.

-- The searchable text of each physical message, written in the delivery's
-- transaction (storage-fulltext.c) and deleted with the message
-- (storage-release.c). rowid = messages.id. Both columns are already
-- case-folded and NFC-normalised by the same code SEARCH uses on a needle
-- (imap_search_message_text), so a match here is exactly what a scan would
-- find. The trigram tokenizer serves IMAP's substring semantics: a quoted
-- phrase of at least 3 characters matches any row containing it; shorter
-- needles are searched by decoding the messages. Messages stored before
-- this migration have no row and are scanned too.
CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5(
    headers,   -- every top-level header field, "name: value" lines, decoded (RFC 2047)
    body,      -- the text/* parts, transfer-decoded and converted to UTF-8
    tokenize = 'trigram'
);
