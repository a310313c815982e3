/* storage-mail-attrs.c - the internal date, size and modseq of many
 * messages of a mailbox in one query (storage_mail_attrs), so that a
 * session's view need not keep them per message: FETCH INTERNALDATE /
 * RFC822.SIZE / MODSEQ, SORT by SIZE/DATE/ARRIVAL, SEARCH LARGER/SMALLER/
 * BEFORE/SINCE/ON/MODSEQ and CONDSTORE ask for a uid range at once.
 *
 * Never issues one query per message, never reads a message's bytes, and
 * never calls back into protocol code while holding anything but the
 * result rows (callbacks run while rows are read and must not use conn).
 */
#include "storage-private.h"

enum storage_result storage_mail_attrs(struct storage_conn *conn, int64_t mailbox_id,
				       uint32_t uid_lo, uint32_t uid_hi,
				       storage_mail_attrs_cb *cb, void *context,
				       const char **error_r)
{
	enum storage_result result = storage_begin(conn, false, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT uid, internal_date, size, modseq FROM mailbox_messages "
		"WHERE mailbox_id = $1 AND uid >= $2 AND uid <= $3 ORDER BY uid",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid_lo), DB_INT(uid_hi)), &res);
	if (status == DB_OK) {
		while (sdb_next(conn, res)) {
			struct storage_mail_attrs attrs = {
				.uid = (uint32_t)sdb_get_int(conn, res, 0),
				.internal_date = sdb_get_int(conn, res, 1),
				.size = sdb_get_int(conn, res, 2),
				.modseq = sdb_get_int(conn, res, 3),
			};
			cb(&attrs, context);
		}
		status = sdb_finish(conn, &res);
	}
	if (status != DB_OK) {
		result = storage_db_fail(conn, status, "message attributes", error_r);
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
