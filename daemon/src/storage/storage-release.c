/* storage-release.c - dropping references: emptying a mailbox, releasing a
 * physical message when its last mailbox copy goes, and releasing the shared
 * MIME parts a deleted message pointed to.
 *
 * Runs inside a write transaction opened by the caller; never opens or ends
 * one. Keeps refcounts exact: a message counts its mailbox_messages rows, a
 * part counts its message_segments rows; a row is deleted when its count
 * reaches zero, never before.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>

struct id_list {
	int64_t *ids;
	size_t count, alloc;
};

static void id_list_add(struct id_list *list, int64_t id)
{
	if (list->count == list->alloc) {
		list->alloc = list->alloc == 0 ? 16 : list->alloc * 2;
		list->ids = xrealloc(list->ids, list->alloc * sizeof(*list->ids));
	}
	list->ids[list->count++] = id;
}

/* Run an UPDATE ... RETURNING id, refcount and collect ids now at zero. */
static enum db_status collect_zero(struct storage_conn *conn, const char *sql, int64_t id,
				   struct id_list *zero)
{
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn, sql, DB_ARGS(DB_INT(id)), &res);
	if (status != DB_OK)
		return status;
	while (sdb_next(conn, res)) {
		if (sdb_get_int(conn, res, 1) <= 0)
			id_list_add(zero, sdb_get_int(conn, res, 0));
	}
	return sdb_finish(conn, &res);
}

enum storage_result storage_message_delete_txn(struct storage_conn *conn, int64_t message_id,
					       const char **error_r)
{
	struct id_list zero = { NULL, 0, 0 };
	enum db_status status = collect_zero(conn,
		"UPDATE mime_parts SET refcount = refcount - "
		"(SELECT COUNT(*) FROM message_segments s "
		" WHERE s.message_id = $1 AND s.part_id = mime_parts.id) "
		"WHERE id IN (SELECT part_id FROM message_segments WHERE message_id = $1) "
		"RETURNING id, refcount", message_id, &zero);
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM message_segments WHERE message_id = $1",
				  DB_ARGS(DB_INT(message_id)));
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM header_fields WHERE message_id = $1",
				  DB_ARGS(DB_INT(message_id)));
	if (status == DB_OK) {
		enum storage_result result = storage_fulltext_delete_txn(conn, message_id, error_r);
		if (result != STORAGE_OK) {
			free(zero.ids);
			return result;
		}
	}
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM messages WHERE id = $1",
				  DB_ARGS(DB_INT(message_id)));
	for (size_t i = 0; status == DB_OK && i < zero.count; i++)
		status = sdb_exec(conn, "DELETE FROM mime_parts WHERE id = $1 AND refcount <= 0",
				  DB_ARGS(DB_INT(zero.ids[i])));
	free(zero.ids);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "release message", error_r);
	return STORAGE_OK;
}

enum storage_result storage_message_unref_txn(struct storage_conn *conn, int64_t message_id,
					      const char **error_r)
{
	int64_t refcount;
	bool found;
	enum db_status status = sdb_int(conn,
		"UPDATE messages SET refcount = refcount - 1 WHERE id = $1 RETURNING refcount",
		DB_ARGS(DB_INT(message_id)), &refcount, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "release message", error_r);
	if (found && refcount <= 0)
		return storage_message_delete_txn(conn, message_id, error_r);
	return STORAGE_OK;
}

enum storage_result storage_mailbox_purge_txn(struct storage_conn *conn, int64_t mailbox_id,
					      const char **error_r)
{
	struct id_list zero = { NULL, 0, 0 };
	enum db_status status = sdb_exec(conn,
		"UPDATE users SET "
		"used_bytes = used_bytes - (SELECT COALESCE(SUM(size), 0) FROM mailbox_messages "
		"                            WHERE mailbox_id = $1), "
		"used_messages = used_messages - (SELECT COUNT(*) FROM mailbox_messages "
		"                                  WHERE mailbox_id = $1) "
		"WHERE id = (SELECT user_id FROM mailboxes WHERE id = $1)",
		DB_ARGS(DB_INT(mailbox_id)));
	if (status == DB_OK)
		status = collect_zero(conn,
			"UPDATE messages SET refcount = refcount - "
			"(SELECT COUNT(*) FROM mailbox_messages mm "
			" WHERE mm.mailbox_id = $1 AND mm.message_id = messages.id) "
			"WHERE id IN (SELECT message_id FROM mailbox_messages WHERE mailbox_id = $1) "
			"RETURNING id, refcount", mailbox_id, &zero);
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM mailbox_messages WHERE mailbox_id = $1",
				  DB_ARGS(DB_INT(mailbox_id)));
	if (status == DB_OK)
		status = sdb_exec(conn,
			"UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1",
			DB_ARGS(DB_INT(mailbox_id)));
	enum storage_result result = STORAGE_OK;
	if (status != DB_OK)
		result = storage_db_fail(conn, status, "empty mailbox", error_r);
	for (size_t i = 0; result == STORAGE_OK && i < zero.count; i++)
		result = storage_message_delete_txn(conn, zero.ids[i], error_r);
	free(zero.ids);
	return result;
}
