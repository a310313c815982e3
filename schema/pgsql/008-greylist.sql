-- 008-greylist.sql (PostgreSQL): what the greylisting of the Postfix policy
-- service (daemon/src/policy/) keeps beyond table greylist (from 001). It
-- is in the database so that it lives on the replicated volume and every
-- tandemd on it sees the same: a sender retrying to the other node after a
-- failover is not greylisted again. The twin is schema/sqlite/008-greylist.sql.
-- Times are unix seconds.
--
-- greylist (001), as the policy service fills it: one row per (client
-- network, sender, recipient). client_net is the network (192.0.2.0/24,
-- 2001:db8:1:2::/64), sender the envelope sender normalized (lower case,
-- +detail, BATV and SRS tags and digit runs reduced, empty for the null
-- sender), recipient the envelope recipient in lower case. first_seen is
-- the attempt that started greylisting (the delay runs from it), last_seen
-- the latest attempt, pass_count the mails accepted (0 while greylisted).
-- Expired rows are pruned by last_seen and first_seen.
CREATE INDEX IF NOT EXISTS greylist_last_seen ON greylist(last_seen);

-- One row per client network that got mail through greylisting. passes
-- counts its accepted mails towards greylist_autowhitelist_count,
-- whitelisted_until is when its auto-whitelisting ends (0 = never
-- whitelisted; moved forward by each mail), last_seen its latest mail.
CREATE TABLE IF NOT EXISTS greylist_client (
	client_net TEXT NOT NULL PRIMARY KEY,
	passes BIGINT NOT NULL DEFAULT 0,
	whitelisted_until BIGINT NOT NULL DEFAULT 0,
	last_seen BIGINT NOT NULL
);
