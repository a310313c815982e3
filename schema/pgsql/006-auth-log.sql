-- 006-auth-log.sql (PostgreSQL): what the auth service writes to the auth log
-- (table auth_log, from 001) beyond 001, and the index `tandemctl auth
-- failures --user` needs. The twin is schema/sqlite/006-auth-log.sql.
-- result is ok, failed or tempfail; reason says why (password, user,
-- no password, database: ...), never anything of the password itself.

ALTER TABLE auth_log ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS auth_log_username ON auth_log(username, time);
