/* storage-authlog.c - the auth log table: one row per login attempt,
 * listed for the administrator and pruned by age.
 *
 * Never stores a password (the entry has no field for one); user names are
 * stored as the auth service made them printable.
 */
#include "storage-private.h"

#include <string.h>

static bool storage_auth_result_valid(const char *result)
{
	return strcmp(result, "ok") == 0 || strcmp(result, "failed") == 0 ||
	       strcmp(result, "tempfail") == 0;
}

enum storage_result storage_auth_log_add(struct storage_conn *conn,
					 const struct storage_auth_entry *entry,
					 const char **error_r)
{
	if (!storage_auth_result_valid(entry->result))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad auth result '%s'",
				    entry->result);
	enum db_status status = sdb_exec(conn,
		"INSERT INTO auth_log (time, service, remote_ip, username, result, reason) "
		"VALUES ($1, $2, $3, $4, $5, $6)",
		DB_ARGS(DB_INT(entry->at), DB_TEXT(entry->service), DB_TEXT(entry->client),
			DB_TEXT(entry->username), DB_TEXT(entry->result), DB_TEXT(entry->reason)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "add auth log row", error_r);
	return STORAGE_OK;
}

enum storage_result storage_auth_log_list(struct storage_conn *conn, int64_t since,
					  const char *username, bool failures_only,
					  unsigned limit, storage_auth_entry_cb *cb, void *context,
					  const char **error_r)
{
	struct db_result *res = NULL;
	/* one statement: the optional filters are neutral when not asked for */
	enum db_status status = sdb_query(conn,
		"SELECT time, service, remote_ip, username, result, reason FROM auth_log "
		"WHERE time >= $1 AND ($2 = '' OR username = $2) AND ($3 = 0 OR result <> 'ok') "
		"ORDER BY time DESC, id DESC LIMIT $4",
		DB_ARGS(DB_INT(since), DB_TEXT(username != NULL ? username : ""),
			DB_INT(failures_only ? 1 : 0), DB_INT(limit)),
		&res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list auth log", error_r);
	struct storage_auth_entry entry;
	while (sdb_next(conn, res)) {
		memset(&entry, 0, sizeof(entry));
		entry.at = sdb_get_int(conn, res, 0);
		storage_strlcpy(entry.service, sdb_get_text(conn, res, 1), sizeof(entry.service));
		storage_strlcpy(entry.client, sdb_get_text(conn, res, 2), sizeof(entry.client));
		storage_strlcpy(entry.username, sdb_get_text(conn, res, 3), sizeof(entry.username));
		storage_strlcpy(entry.result, sdb_get_text(conn, res, 4), sizeof(entry.result));
		storage_strlcpy(entry.reason, sdb_get_text(conn, res, 5), sizeof(entry.reason));
		cb(&entry, context);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list auth log", error_r);
	return STORAGE_OK;
}

enum storage_result storage_auth_log_prune(struct storage_conn *conn, int64_t before,
					   int64_t *deleted_r, const char **error_r)
{
	*deleted_r = 0;
	enum db_status status = sdb_exec(conn, "DELETE FROM auth_log WHERE time < $1",
					 DB_ARGS(DB_INT(before)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "prune auth log", error_r);
	*deleted_r = conn->db->changes(conn->dbc);
	return STORAGE_OK;
}
