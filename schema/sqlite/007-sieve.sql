-- 007-sieve.sql (SQLite): what Sieve delivery and the quota warning keep
-- beyond 006. The twin is schema/pgsql/007-sieve.sql.
--
-- vacation_responses: the RFC 5230 :days memory. One row per (user, sender,
-- handle) that got an auto-reply; a reply is sent only when there is no row
-- or its sent_at is older than the script's :days (the row is then
-- replaced, in the same statement that decides). Rows older than the
-- longest :days (365) are pruned at delivery. Deleting the user deletes
-- their rows (ON DELETE CASCADE).
CREATE TABLE IF NOT EXISTS vacation_responses (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender TEXT NOT NULL,                             -- the address answered (lower case)
    handle TEXT NOT NULL,                             -- vacation :handle (or the derived one)
    sent_at INTEGER NOT NULL,                         -- unix time of the last reply
    PRIMARY KEY (user_id, sender, handle)
);
CREATE INDEX IF NOT EXISTS vacation_responses_sent ON vacation_responses(sent_at);

-- users.quota_warned: 1 once the "mailbox almost full" warning
-- (quota_warning_percent) was delivered; back to 0 when a later delivery
-- finds the usage below the threshold again, so the next crossing warns again.
ALTER TABLE users ADD COLUMN quota_warned INTEGER NOT NULL DEFAULT 0;
