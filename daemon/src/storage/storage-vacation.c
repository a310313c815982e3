/* storage-vacation.c - the Sieve vacation memory (table vacation_responses,
 * schema 007): whether an auto-reply may go to a sender now (RFC 5230
 * :days), decided and recorded in one statement so two deliveries at once
 * never both answer.
 *
 * Never sends anything and never decides the other RFC 5230 rules (lists,
 * bulk, own addresses): that is the Sieve interpreter's and lmtp-submit.c's.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VACATION_DAY_SECS 86400

/* handle as stored: itself when it fits, else a prefix and a hash of the
 * whole (distinct long handles stay distinct). */
static void vacation_handle_key(const char *handle, char out[STORAGE_VACATION_HANDLE_MAX + 1])
{
	size_t len = strlen(handle);
	if (len <= STORAGE_VACATION_HANDLE_MAX) {
		memcpy(out, handle, len + 1);
		return;
	}
	uint64_t hash = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
	for (size_t i = 0; i < len; i++) {
		hash ^= (unsigned char)handle[i];
		hash *= 0x100000001b3ULL;
	}
	size_t prefix = STORAGE_VACATION_HANDLE_MAX - 17;
	/* do not cut a UTF-8 sequence in two */
	while (prefix > 0 && ((unsigned char)handle[prefix] & 0xc0) == 0x80)
		prefix--;
	snprintf(out, STORAGE_VACATION_HANDLE_MAX + 1, "%.*s#%016llx", (int)prefix, handle,
		 (unsigned long long)hash);
}

enum storage_result storage_vacation_check_record(struct storage_conn *conn, int64_t user_id,
						  const char *sender, const char *handle,
						  unsigned days, int64_t now, bool *send_r,
						  const char **error_r)
{
	*send_r = false;
	if (sender == NULL || sender[0] == '\0' || strlen(sender) > STORAGE_ADDRESS_MAX * 2)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad vacation sender");
	if (handle == NULL)
		handle = "";
	if (days < 1)
		days = 1;
	if (days > STORAGE_VACATION_DAYS_MAX)
		days = STORAGE_VACATION_DAYS_MAX;
	char key[STORAGE_VACATION_HANDLE_MAX + 1];
	vacation_handle_key(handle, key);
	char *lower = xstrdup(sender);
	for (char *c = lower; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	storage_utf8_sanitize(lower, strlen(lower), true);
	storage_utf8_sanitize(key, strlen(key), true);

	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK) {
		free(lower);
		return result;
	}
	enum db_status status = sdb_exec(conn,
		"DELETE FROM vacation_responses WHERE user_id = $1 AND sent_at < $2",
		DB_ARGS(DB_INT(user_id),
			DB_INT(now - (int64_t)STORAGE_VACATION_DAYS_MAX * VACATION_DAY_SECS)));
	/* a new row, or an old one past :days, is (re)written: that is the
	 * decision; a recent row is left alone and nothing changes */
	if (status == DB_OK)
		status = sdb_exec(conn,
			"INSERT INTO vacation_responses (user_id, sender, handle, sent_at) "
			"VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, sender, handle) "
			"DO UPDATE SET sent_at = excluded.sent_at "
			"WHERE vacation_responses.sent_at <= $5",
			DB_ARGS(DB_INT(user_id), DB_TEXT(lower), DB_TEXT(key), DB_INT(now),
				DB_INT(now - (int64_t)days * VACATION_DAY_SECS)));
	free(lower);
	if (status != DB_OK) {
		storage_rollback(conn);
		return storage_db_fail(conn, status, "vacation", error_r);
	}
	bool send = conn->db->changes(conn->dbc) > 0;
	result = storage_commit(conn, error_r);
	if (result == STORAGE_OK)
		*send_r = send;
	return result;
}

enum storage_result storage_vacation_reset(struct storage_conn *conn, int64_t user_id,
					   const char **error_r)
{
	enum db_status status = sdb_exec(conn,
		"DELETE FROM vacation_responses WHERE user_id = $1", DB_ARGS(DB_INT(user_id)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "vacation reset", error_r);
	return STORAGE_OK;
}
