-- 005-notify.sql (SQLite): nothing to do. The PostgreSQL twin,
-- schema/pgsql/005-notify.sql, adds a trigger that NOTIFYs other tandemd
-- processes sharing the database when a mailbox changes; an SQLite file is
-- used by one tandemd only, whose sessions hear of changes in memory
-- (net/mailbox-events.c). The file exists so both drivers reach schema
-- version 5 together.
SELECT 1;
