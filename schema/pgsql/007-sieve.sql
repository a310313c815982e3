-- 007-sieve.sql (PostgreSQL): what Sieve delivery and the quota warning keep
-- beyond 006. The twin is schema/sqlite/007-sieve.sql.
--
-- vacation_responses: the RFC 5230 :days memory. One row per (user, sender,
-- handle) that got an auto-reply; a reply is sent only when there is no row
-- or its sent_at is older than the script's :days (the row is then
-- replaced, in the same statement that decides). Rows older than the
-- longest :days (365) are pruned at delivery. Deleting the user deletes
-- their rows (ON DELETE CASCADE).
CREATE TABLE IF NOT EXISTS vacation_responses (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender TEXT NOT NULL,                             -- the address answered (lower case)
    handle TEXT NOT NULL,                             -- vacation :handle (or the derived one)
    sent_at BIGINT NOT NULL,                          -- unix time of the last reply
    PRIMARY KEY (user_id, sender, handle)
);
CREATE INDEX IF NOT EXISTS vacation_responses_sent ON vacation_responses(sent_at);

-- users.quota_warned: 1 once the "mailbox almost full" warning
-- (quota_warning_percent) was delivered; back to 0 when a later delivery
-- finds the usage below the threshold again, so the next crossing warns again.
ALTER TABLE users ADD COLUMN IF NOT EXISTS quota_warned BIGINT NOT NULL DEFAULT 0;
