/* storage-quota-warning.c - "your mailbox is almost full", once: whether a
 * delivery has just taken a user to quota_warning_percent of their byte or
 * message quota (users.quota_warned, schema 007, set in the statement that
 * decides, so two deliveries at once never both warn), and its reset once
 * the usage is below the threshold again.
 *
 * Never composes or stores the warning itself (lmtp-submit.c does) and
 * never changes the usage counters.
 */
#include "storage-private.h"

/* The user is at or above $2 percent of either quota. */
#define QUOTA_WARNING_REACHED \
	"((quota_bytes > 0 AND used_bytes * 100 >= quota_bytes * $2) OR " \
	"(quota_messages > 0 AND used_messages * 100 >= quota_messages * $2))"

enum storage_result storage_quota_warning_check(struct storage_conn *conn, int64_t user_id,
						unsigned percent, bool *warn_r,
						struct storage_user *usage_r,
						const char **error_r)
{
	*warn_r = false;
	if (percent < 1 || percent > 100)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "quota warning percent must be 1 to 100");
	/* read first: most deliveries change nothing, and then write nothing */
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT quota_bytes, used_bytes, quota_messages, used_messages, quota_warned "
		"FROM users WHERE id = $1", DB_ARGS(DB_INT(user_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "quota warning", error_r);
	bool found = sdb_next(conn, res), reached = false, warned = false;
	if (found) {
		int64_t qb = sdb_get_int(conn, res, 0), ub = sdb_get_int(conn, res, 1);
		int64_t qm = sdb_get_int(conn, res, 2), um = sdb_get_int(conn, res, 3);
		reached = (qb > 0 && ub * 100 >= qb * (int64_t)percent) ||
			  (qm > 0 && um * 100 >= qm * (int64_t)percent);
		warned = sdb_get_int(conn, res, 4) != 0;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "quota warning", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %lld",
				    (long long)user_id);
	/* the writes repeat the condition: of two deliveries at once, one warns */
	if (reached && !warned) {
		status = sdb_exec(conn,
			"UPDATE users SET quota_warned = 1 WHERE id = $1 AND quota_warned = 0 AND "
			QUOTA_WARNING_REACHED, DB_ARGS(DB_INT(user_id), DB_INT(percent)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "quota warning", error_r);
		*warn_r = conn->db->changes(conn->dbc) > 0;
	} else if (!reached && warned) {
		status = sdb_exec(conn,
			"UPDATE users SET quota_warned = 0 WHERE id = $1 AND quota_warned <> 0 AND "
			"NOT " QUOTA_WARNING_REACHED, DB_ARGS(DB_INT(user_id), DB_INT(percent)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "quota warning reset", error_r);
	}
	if (*warn_r && usage_r != NULL)
		return storage_user_get_by_id(conn, user_id, usage_r, error_r);
	return STORAGE_OK;
}
