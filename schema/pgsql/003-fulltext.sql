-- 003-fulltext.sql (PostgreSQL): the full-text index IMAP SEARCH BODY and
-- TEXT read instead of decoding every message. The SQLite twin is
-- schema/sqlite/003-fulltext.sql. Applied once, in one transaction, by
-- storage_migrate; IF NOT EXISTS makes a second run harmless all the same.

-- The searchable text of each physical message, written in the delivery's
-- transaction (storage-fulltext.c) and deleted with the message
-- (storage-release.c). Both columns are already case-folded and
-- NFC-normalised by the same code SEARCH uses on a needle
-- (imap_search_message_text), so LIKE '%needle%' finds exactly what a scan
-- would. Messages stored before this migration have no row and are scanned.
CREATE TABLE IF NOT EXISTS message_text (
    message_id BIGINT PRIMARY KEY REFERENCES messages(id),
    headers TEXT NOT NULL,  -- every top-level header field, "name: value" lines, decoded (RFC 2047)
    body TEXT NOT NULL      -- the text/* parts, transfer-decoded and converted to UTF-8
);

-- Trigram GIN indexes serve LIKE '%needle%' for needles of 3 characters or
-- more. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension;
-- where it is missing or may not be created, the table still works,
-- unindexed (a sequential scan of the text, still without MIME decoding).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXECUTE 'CREATE INDEX IF NOT EXISTS message_text_body_trgm '
                    'ON message_text USING gin (body gin_trgm_ops)';
            EXECUTE 'CREATE INDEX IF NOT EXISTS message_text_headers_trgm '
                    'ON message_text USING gin (headers gin_trgm_ops)';
        EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
            RAISE NOTICE 'pg_trgm unavailable: message_text is not trigram-indexed';
        END;
    END IF;
END
$$;
