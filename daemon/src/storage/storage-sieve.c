/* storage-sieve.c - a user's Sieve scripts (table sieve_scripts): list,
 * get, put, delete, rename, activate, the active one for delivery, and the
 * space they use for ManageSieve's HAVESPACE.
 *
 * At most one script per user is active: activate clears the others in the
 * same transaction. Script text is stored as given; checking it is the
 * caller's job (sieve_compile).
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static enum storage_result sieve_name_check(struct storage_conn *conn, const char *name,
					    const char **error_r)
{
	size_t len = name == NULL ? 0 : strlen(name);
	if (len == 0 || len > STORAGE_SIEVE_NAME_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "script name must be 1 to %d bytes", STORAGE_SIEVE_NAME_MAX);
	if (!storage_utf8_printable(name, len))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "script name must be printable UTF-8");
	return STORAGE_OK;
}

enum storage_result storage_sieve_list(struct storage_conn *conn, int64_t user_id,
				       storage_sieve_cb *cb, void *context, const char **error_r)
{
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT name, active, script FROM sieve_scripts WHERE user_id = $1 "
		"ORDER BY name",
		DB_ARGS(DB_INT(user_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list sieve scripts", error_r);
	while (sdb_next(conn, res)) {
		struct storage_sieve_script script = {
			.name = sdb_get_text(conn, res, 0),
			.active = sdb_get_int(conn, res, 1) != 0,
			/* bytes, which SQL's length() is not (it counts characters) */
			.size = strlen(sdb_get_text(conn, res, 2)),
		};
		cb(&script, context);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list sieve scripts", error_r);
	return STORAGE_OK;
}

/* One row's (name, script, active) by a WHERE clause on user_id = $1 and,
 * when name is not NULL, name = $2. Found: *text_r set. */
static enum storage_result sieve_fetch(struct storage_conn *conn, const char *sql,
				       int64_t user_id, const char *name, char **name_r,
				       char **text_r, size_t *len_r, bool *active_r,
				       const char **error_r)
{
	struct db_result *res = NULL;
	enum db_status status = name != NULL ?
		sdb_query(conn, sql, DB_ARGS(DB_INT(user_id), DB_TEXT(name)), &res) :
		sdb_query(conn, sql, DB_ARGS(DB_INT(user_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "read sieve script", error_r);
	*text_r = NULL;
	if (sdb_next(conn, res)) {
		const char *text = sdb_get_text(conn, res, 1);
		size_t len = strlen(text);
		*text_r = xstrndup(text, len);
		if (len_r != NULL)
			*len_r = len;
		if (name_r != NULL)
			*name_r = xstrdup(sdb_get_text(conn, res, 0));
		if (active_r != NULL)
			*active_r = sdb_get_int(conn, res, 2) != 0;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		free(*text_r);
		*text_r = NULL;
		if (name_r != NULL && *name_r != NULL) {
			free(*name_r);
			*name_r = NULL;
		}
		return storage_db_fail(conn, status, "read sieve script", error_r);
	}
	return STORAGE_OK;
}

enum storage_result storage_sieve_get(struct storage_conn *conn, int64_t user_id,
				      const char *name, char **text_r, size_t *len_r,
				      bool *active_r, const char **error_r)
{
	enum storage_result result = sieve_name_check(conn, name, error_r);
	if (result != STORAGE_OK)
		return result;
	result = sieve_fetch(conn,
		"SELECT name, script, active FROM sieve_scripts WHERE user_id = $1 AND name = $2",
		user_id, name, NULL, text_r, len_r, active_r, error_r);
	if (result == STORAGE_OK && *text_r == NULL)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no script %s", name);
	return result;
}

enum storage_result storage_sieve_active(struct storage_conn *conn, int64_t user_id,
					 char **name_r, char **text_r, size_t *len_r,
					 const char **error_r)
{
	if (name_r != NULL)
		*name_r = NULL;
	return sieve_fetch(conn,
		"SELECT name, script, active FROM sieve_scripts WHERE user_id = $1 AND active <> 0 "
		"ORDER BY id LIMIT 1",
		user_id, NULL, name_r, text_r, len_r, NULL, error_r);
}

enum storage_result storage_sieve_put(struct storage_conn *conn, int64_t user_id,
				      const char *name, const char *text, size_t len,
				      const char **error_r)
{
	enum storage_result result = sieve_name_check(conn, name, error_r);
	if (result != STORAGE_OK)
		return result;
	if (memchr(text, '\0', len) != NULL)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "script contains NUL");
	char *copy = xstrndup(text, len);
	enum db_status status = sdb_exec(conn,
		"INSERT INTO sieve_scripts (user_id, name, script, active) VALUES ($1, $2, $3, 0) "
		"ON CONFLICT (user_id, name) DO UPDATE SET script = excluded.script",
		DB_ARGS(DB_INT(user_id), DB_TEXT(name), DB_TEXT(copy)));
	free(copy);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "store sieve script", error_r);
	return STORAGE_OK;
}

enum storage_result storage_sieve_delete(struct storage_conn *conn, int64_t user_id,
					 const char *name, const char **error_r)
{
	enum storage_result result = sieve_name_check(conn, name, error_r);
	if (result != STORAGE_OK)
		return result;
	int64_t active;
	bool found;
	enum db_status status = sdb_int(conn,
		"SELECT active FROM sieve_scripts WHERE user_id = $1 AND name = $2",
		DB_ARGS(DB_INT(user_id), DB_TEXT(name)), &active, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "delete sieve script", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no script %s", name);
	if (active != 0)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "script %s is active", name);
	/* active = 0 again: an activation in between wins over the delete */
	status = sdb_exec(conn,
		"DELETE FROM sieve_scripts WHERE user_id = $1 AND name = $2 AND active = 0",
		DB_ARGS(DB_INT(user_id), DB_TEXT(name)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "delete sieve script", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "script %s is active", name);
	return STORAGE_OK;
}

enum storage_result storage_sieve_rename(struct storage_conn *conn, int64_t user_id,
					 const char *old_name, const char *new_name,
					 const char **error_r)
{
	enum storage_result result = sieve_name_check(conn, old_name, error_r);
	if (result == STORAGE_OK)
		result = sieve_name_check(conn, new_name, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	int64_t id;
	bool found;
	enum db_status status = sdb_int(conn,
		"SELECT id FROM sieve_scripts WHERE user_id = $1 AND name = $2",
		DB_ARGS(DB_INT(user_id), DB_TEXT(new_name)), &id, &found);
	if (status == DB_OK && found && strcmp(old_name, new_name) != 0) {
		storage_rollback(conn);
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "script %s exists", new_name);
	}
	if (status == DB_OK)
		status = sdb_exec(conn,
			"UPDATE sieve_scripts SET name = $3 WHERE user_id = $1 AND name = $2",
			DB_ARGS(DB_INT(user_id), DB_TEXT(old_name), DB_TEXT(new_name)));
	if (status != DB_OK) {
		storage_rollback(conn);
		return storage_db_fail(conn, status, "rename sieve script", error_r);
	}
	if (conn->db->changes(conn->dbc) == 0) {
		storage_rollback(conn);
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no script %s", old_name);
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_sieve_activate(struct storage_conn *conn, int64_t user_id,
					   const char *name, const char **error_r)
{
	bool none = name == NULL || name[0] == '\0';
	enum storage_result result = none ? STORAGE_OK : sieve_name_check(conn, name, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_exec(conn,
		"UPDATE sieve_scripts SET active = 0 WHERE user_id = $1 AND active <> 0",
		DB_ARGS(DB_INT(user_id)));
	if (status == DB_OK && !none)
		status = sdb_exec(conn,
			"UPDATE sieve_scripts SET active = 1 WHERE user_id = $1 AND name = $2",
			DB_ARGS(DB_INT(user_id), DB_TEXT(name)));
	if (status != DB_OK) {
		storage_rollback(conn);
		return storage_db_fail(conn, status, "activate sieve script", error_r);
	}
	if (!none && conn->db->changes(conn->dbc) == 0) {
		storage_rollback(conn);
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no script %s", name);
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_sieve_usage(struct storage_conn *conn, int64_t user_id,
					size_t *count_r, uint64_t *bytes_r, const char **error_r)
{
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT script FROM sieve_scripts WHERE user_id = $1",
		DB_ARGS(DB_INT(user_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "sieve usage", error_r);
	*count_r = 0;
	*bytes_r = 0;
	while (sdb_next(conn, res)) {
		(*count_r)++;
		*bytes_r += strlen(sdb_get_text(conn, res, 0));
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "sieve usage", error_r);
	return STORAGE_OK;
}
