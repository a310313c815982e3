/* storage-stats.c - counts and sizes for the administrator (tandemctl
 * stats): domains, users, mailboxes, mails, physical messages, distinct
 * parts, and how many bytes single-instance storage saves.
 *
 * Read-only, one statement (one consistent snapshot); never locks writers.
 */
#include "storage-private.h"

#include <string.h>

enum storage_result storage_get_stats(struct storage_conn *conn, struct storage_stats *stats_r,
				      const char **error_r)
{
	struct db_result *res = NULL;
	memset(stats_r, 0, sizeof(*stats_r));
	enum db_status status = sdb_query(conn,
		"SELECT (SELECT COUNT(*) FROM domains), (SELECT COUNT(*) FROM users), "
		"(SELECT COUNT(*) FROM aliases), (SELECT COUNT(*) FROM mailboxes), "
		"(SELECT COUNT(*) FROM mailbox_messages), (SELECT COUNT(*) FROM messages), "
		"(SELECT COUNT(*) FROM mime_parts), "
		"(SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM mailbox_messages), "
		"(SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM mime_parts)",
		DB_NOARGS, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "stats", error_r);
	if (sdb_next(conn, res)) {
		stats_r->domains = sdb_get_int(conn, res, 0);
		stats_r->users = sdb_get_int(conn, res, 1);
		stats_r->aliases = sdb_get_int(conn, res, 2);
		stats_r->mailboxes = sdb_get_int(conn, res, 3);
		stats_r->mails = sdb_get_int(conn, res, 4);
		stats_r->messages = sdb_get_int(conn, res, 5);
		stats_r->parts = sdb_get_int(conn, res, 6);
		stats_r->logical_bytes = sdb_get_int(conn, res, 7);
		stats_r->part_bytes = sdb_get_int(conn, res, 8);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "stats", error_r);
	return STORAGE_OK;
}
