/* storage-mail-expunge.c - IMAP EXPUNGE, UID EXPUNGE and CLOSE: remove the
 * messages flagged \Deleted (all, or those of a uid set) in one
 * transaction, recording each uid for QRESYNC's VANISHED.
 *
 * Never removes a message without \Deleted, and reports the uids to the
 * caller only after the transaction committed.
 */
#include "storage-private.h"

enum storage_result storage_mail_expunge_deleted(struct storage_conn *conn, int64_t mailbox_id,
						 const uint32_t *uids, size_t uid_count,
						 storage_uid_cb *cb, void *context,
						 const char **error_r)
{
	struct storage_mail_row *rows = NULL;
	size_t count = 0;
	if (uids != NULL && uid_count == 0)
		return storage_mailbox_check_txn(conn, mailbox_id, error_r);
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result == STORAGE_OK)
		result = storage_mail_rows_txn(conn, mailbox_id, uids, uid_count,
					       STORAGE_FLAG_DELETED, &rows, &count, error_r);
	if (result == STORAGE_OK)
		result = storage_mail_expunge_rows_txn(conn, mailbox_id, rows, count, error_r);
	if (result == STORAGE_OK)
		result = storage_commit(conn, error_r);
	else
		storage_rollback(conn);
	for (size_t i = 0; result == STORAGE_OK && cb != NULL && i < count; i++)
		cb(rows[i].uid, context);
	storage_mail_rows_free(&rows, count);
	return result;
}
