-- 004-acl.sql (SQLite): what IMAP ACL (RFC 4314) and the Shared/ namespace
-- need beyond the acls table of 001. The PostgreSQL twin is
-- schema/pgsql/004-acl.sql. Applied once, in one transaction, by
-- storage_migrate; IF NOT EXISTS makes a second run harmless all the same.
--
-- acls (001) holds one row per (mailbox, identifier): identifier is a
-- local user's address (lower case) or "anyone" or "authenticated";
-- rights are RFC 4314 letters in the order "lrswipkxtea", never empty (no
-- rights = no row). The owner of a mailbox has every right and no row.
-- Rows go with their mailbox (storage-mailbox.c, storage-user.c).

-- "Which mailboxes may this identifier see?" (LIST of the Shared/
-- namespace): the rows of one identifier without reading the whole table.
CREATE INDEX IF NOT EXISTS acls_identifier ON acls(identifier, mailbox_id);

-- A user deleted takes the rights given to their address with them, so a
-- new user who gets the address later does not inherit them.
CREATE TRIGGER IF NOT EXISTS acls_user_deleted AFTER DELETE ON users
BEGIN
    DELETE FROM acls WHERE identifier = old.address;
END;
