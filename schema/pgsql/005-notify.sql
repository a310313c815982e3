-- 005-notify.sql (PostgreSQL): tell other tandemd processes sharing this
-- database that a mailbox changed, so their IDLE sessions hear of it
-- (storage-listen.c LISTENs on the channel). The SQLite twin,
-- schema/sqlite/005-notify.sql, is a no-op: one SQLite file has one tandemd.
-- Applied once, in one transaction, by storage_migrate; CREATE OR REPLACE
-- and DROP TRIGGER IF EXISTS make a second run harmless all the same.
--
-- Every change to a mailbox's messages raises its row's highestmodseq
-- (and uidnext for new mail; see storage.h), so one row trigger covers
-- LMTP delivery, APPEND, STORE, COPY/MOVE and EXPUNGE. NOTIFY is delivered
-- at commit only (never for a rolled-back transaction) and folds identical
-- payloads of one transaction into one, so a group commit of many
-- deliveries to one mailbox sends it once. The payload is the mailbox id
-- in decimal; a deleted mailbox is announced too, so its watchers notice.

CREATE OR REPLACE FUNCTION tandem_mailbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('tandem_mailbox_changed', OLD.id::text);
        RETURN OLD;
    END IF;
    IF NEW.highestmodseq IS DISTINCT FROM OLD.highestmodseq
       OR NEW.uidnext IS DISTINCT FROM OLD.uidnext THEN
        PERFORM pg_notify('tandem_mailbox_changed', NEW.id::text);
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS mailboxes_notify ON mailboxes;
CREATE TRIGGER mailboxes_notify
    AFTER UPDATE OR DELETE ON mailboxes
    FOR EACH ROW EXECUTE FUNCTION tandem_mailbox_notify();
