/* storage-mail-copy.c - IMAP COPY and MOVE: add messages of one mailbox to
 * another by sharing their physical message (refcount + 1; trace, flags,
 * keywords and internal date kept), new uids and a new modseq in the
 * destination, the destination owner's usage and quota; MOVE then expunges
 * the source messages in the same transaction.
 *
 * Never copies part of a set: over quota, nothing is copied. Never copies
 * message bytes (they stay single-instance).
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static enum storage_result mailbox_owner(struct storage_conn *conn, int64_t mailbox_id,
					 int64_t *user_id_r, const char **error_r)
{
	bool found;
	enum db_status status = sdb_int(conn, "SELECT user_id FROM mailboxes WHERE id = $1",
					DB_ARGS(DB_INT(mailbox_id)), user_id_r, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "find mailbox", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	return STORAGE_OK;
}

/* Add count messages of bytes to the user's usage, within quota if enforce. */
static enum storage_result usage_reserve(struct storage_conn *conn, int64_t user_id,
					 int64_t bytes, int64_t count, bool enforce,
					 const char **error_r)
{
	enum db_status status = sdb_exec(conn, enforce ?
		"UPDATE users SET used_bytes = used_bytes + $2, used_messages = used_messages + $3 "
		"WHERE id = $1 AND (quota_bytes = 0 OR used_bytes + $2 <= quota_bytes) "
		"AND (quota_messages = 0 OR used_messages + $3 <= quota_messages)" :
		"UPDATE users SET used_bytes = used_bytes + $2, used_messages = used_messages + $3 "
		"WHERE id = $1", DB_ARGS(DB_INT(user_id), DB_INT(bytes), DB_INT(count)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "quota", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_NOQUOTA, error_r,
				    "user %lld would be over quota", (long long)user_id);
	return STORAGE_OK;
}

/* Insert the copies of rows into dst; *first_uid_r is the first new uid. */
static enum storage_result insert_copies(struct storage_conn *conn, int64_t dst_mailbox_id,
					 const struct storage_mail_row *rows, size_t count,
					 uint32_t *first_uid_r, const char **error_r)
{
	struct db_result *res = NULL;
	int64_t uidnext = 0, modseq = 0;
	enum db_status status = sdb_query(conn,
		"UPDATE mailboxes SET uidnext = uidnext + $2, highestmodseq = highestmodseq + 1 "
		"WHERE id = $1 RETURNING uidnext, highestmodseq",
		DB_ARGS(DB_INT(dst_mailbox_id), DB_INT(count)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "copy uids", error_r);
	bool found = sdb_next(conn, res);
	if (found) {
		uidnext = sdb_get_int(conn, res, 0);
		modseq = sdb_get_int(conn, res, 1);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "copy uids", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)dst_mailbox_id);
	if (uidnext - 1 > (int64_t)UINT32_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "mailbox %lld has run out of uids", (long long)dst_mailbox_id);
	*first_uid_r = (uint32_t)(uidnext - (int64_t)count);
	for (size_t i = 0; i < count; i++) {
		status = sdb_exec(conn,
			"INSERT INTO mailbox_messages (mailbox_id, uid, message_id, flags, keywords, "
			"modseq, internal_date, size, trace) "
			"SELECT $1, $2, message_id, flags, keywords, $3, internal_date, size, trace "
			"FROM mailbox_messages WHERE id = $4",
			DB_ARGS(DB_INT(dst_mailbox_id), DB_INT(*first_uid_r + i), DB_INT(modseq),
				DB_INT(rows[i].id)));
		if (status == DB_OK)
			status = sdb_exec(conn,
				"UPDATE messages SET refcount = refcount + 1 WHERE id = $1",
				DB_ARGS(DB_INT(rows[i].message_id)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "copy message", error_r);
	}
	return STORAGE_OK;
}

static int row_uid_cmp(const void *key, const void *elem)
{
	uint32_t uid = *(const uint32_t *)key;
	const struct storage_mail_row *row = elem;
	return uid < row->uid ? -1 : uid > row->uid;
}

static enum storage_result copy_txn(struct storage_conn *conn, int64_t src_mailbox_id,
				    const uint32_t *uids, size_t uid_count,
				    int64_t dst_mailbox_id, bool enforce_quota, bool move,
				    uint32_t *dst_uids_r, const char **error_r)
{
	struct storage_mail_row *rows = NULL;
	int64_t src_owner, dst_owner, bytes = 0;
	size_t count = 0;
	uint32_t first_uid = 0;
	enum storage_result result = mailbox_owner(conn, src_mailbox_id, &src_owner, error_r);
	if (result == STORAGE_OK)
		result = mailbox_owner(conn, dst_mailbox_id, &dst_owner, error_r);
	if (result == STORAGE_OK)
		result = storage_mail_rows_txn(conn, src_mailbox_id, uids, uid_count, 0, &rows,
					       &count, error_r);
	if (result != STORAGE_OK || count == 0)
		return result;
	for (size_t i = 0; i < count; i++)
		bytes += rows[i].size;
	/* a move within one owner's mailboxes leaves the usage as it was */
	bool enforce = enforce_quota && !(move && src_owner == dst_owner);
	result = usage_reserve(conn, dst_owner, bytes, (int64_t)count, enforce, error_r);
	if (result == STORAGE_OK)
		result = insert_copies(conn, dst_mailbox_id, rows, count, &first_uid, error_r);
	if (result == STORAGE_OK && move)
		result = storage_mail_expunge_rows_txn(conn, src_mailbox_id, rows, count, error_r);
	if (result == STORAGE_OK && dst_uids_r != NULL) {
		for (size_t i = 0; i < uid_count; i++) {
			const struct storage_mail_row *row =
				bsearch(&uids[i], rows, count, sizeof(*rows), row_uid_cmp);
			dst_uids_r[i] = row == NULL ? 0 : first_uid + (uint32_t)(row - rows);
		}
	}
	storage_mail_rows_free(&rows, count);
	return result;
}

static enum storage_result copy_or_move(struct storage_conn *conn, int64_t src_mailbox_id,
					const uint32_t *uids, size_t uid_count,
					int64_t dst_mailbox_id, bool enforce_quota, bool move,
					uint32_t *dst_uids_r, const char **error_r)
{
	if (dst_uids_r != NULL && uid_count > 0)
		memset(dst_uids_r, 0, uid_count * sizeof(*dst_uids_r));
	if (uids == NULL && uid_count > 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "no uid list");
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = copy_txn(conn, src_mailbox_id, uids, uid_count, dst_mailbox_id, enforce_quota,
			  move, dst_uids_r, error_r);
	if (result == STORAGE_OK)
		result = storage_commit(conn, error_r);
	else
		storage_rollback(conn);
	if (result != STORAGE_OK && dst_uids_r != NULL && uid_count > 0)
		memset(dst_uids_r, 0, uid_count * sizeof(*dst_uids_r));
	return result;
}

enum storage_result storage_mail_copy(struct storage_conn *conn, int64_t src_mailbox_id,
				      const uint32_t *uids, size_t uid_count,
				      int64_t dst_mailbox_id, bool enforce_quota,
				      uint32_t *dst_uids_r, const char **error_r)
{
	return copy_or_move(conn, src_mailbox_id, uids, uid_count, dst_mailbox_id,
			    enforce_quota, false, dst_uids_r, error_r);
}

enum storage_result storage_mail_move(struct storage_conn *conn, int64_t src_mailbox_id,
				      const uint32_t *uids, size_t uid_count,
				      int64_t dst_mailbox_id, bool enforce_quota,
				      uint32_t *dst_uids_r, const char **error_r)
{
	return copy_or_move(conn, src_mailbox_id, uids, uid_count, dst_mailbox_id,
			    enforce_quota, true, dst_uids_r, error_r);
}
