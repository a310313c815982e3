/* storage-mail-rows.c - the building blocks the IMAP message operations
 * share inside one transaction: reading the rows of a uid set, taking a
 * new modseq, and expunging rows (with the record QRESYNC's VANISHED
 * reads).
 *
 * Never opens, commits or rolls back a transaction (the caller does), and
 * never calls back into protocol code.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

bool storage_keywords_valid(const char *keywords)
{
	size_t len = strlen(keywords);
	if (len > STORAGE_KEYWORDS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)keywords[i];
		if (c <= 0x1f || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
		if (c == ' ' && (i == 0 || i + 1 == len || keywords[i + 1] == ' '))
			return false;
	}
	return true;
}

enum storage_result storage_mailbox_check_txn(struct storage_conn *conn, int64_t mailbox_id,
					      const char **error_r)
{
	int64_t id;
	bool found;
	enum db_status status = sdb_int(conn, "SELECT id FROM mailboxes WHERE id = $1",
					DB_ARGS(DB_INT(mailbox_id)), &id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "find mailbox", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	return STORAGE_OK;
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A sorted copy of uids without duplicates or 0. */
static uint32_t *uids_sorted(const uint32_t *uids, size_t count, size_t *count_r)
{
	uint32_t *sorted = xmalloc((count == 0 ? 1 : count) * sizeof(*sorted));
	size_t n = 0;
	if (count > 0)
		memcpy(sorted, uids, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), uid_cmp);
	for (size_t i = 0; i < count; i++) {
		if (sorted[i] != 0 && (n == 0 || sorted[n - 1] != sorted[i]))
			sorted[n++] = sorted[i];
	}
	*count_r = n;
	return sorted;
}

void storage_mail_rows_free(struct storage_mail_row **rows, size_t count)
{
	if (*rows == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free((*rows)[i].keywords);
	free(*rows);
	*rows = NULL;
}

enum storage_result storage_mail_rows_txn(struct storage_conn *conn, int64_t mailbox_id,
					  const uint32_t *uids, size_t uid_count, uint32_t need,
					  struct storage_mail_row **rows_r, size_t *count_r,
					  const char **error_r)
{
	struct db_result *res = NULL;
	struct storage_mail_row *rows = NULL;
	size_t count = 0, alloc = 0, want = 0;
	uint32_t *sorted = NULL;
	enum db_status status;

	*rows_r = NULL;
	*count_r = 0;
	if (uids == NULL) {
		status = sdb_query(conn,
			"SELECT id, uid, message_id, flags, keywords, modseq, internal_date, size "
			"FROM mailbox_messages WHERE mailbox_id = $1 ORDER BY uid",
			DB_ARGS(DB_INT(mailbox_id)), &res);
	} else {
		sorted = uids_sorted(uids, uid_count, &want);
		if (want == 0) {
			free(sorted);
			return STORAGE_OK;
		}
		status = sdb_query(conn,
			"SELECT id, uid, message_id, flags, keywords, modseq, internal_date, size "
			"FROM mailbox_messages WHERE mailbox_id = $1 AND uid >= $2 AND uid <= $3 "
			"ORDER BY uid",
			DB_ARGS(DB_INT(mailbox_id), DB_INT(sorted[0]), DB_INT(sorted[want - 1])),
			&res);
	}
	if (status != DB_OK) {
		free(sorted);
		return storage_db_fail(conn, status, "read messages", error_r);
	}
	while (sdb_next(conn, res)) {
		uint32_t uid = (uint32_t)sdb_get_int(conn, res, 1);
		uint32_t flags = (uint32_t)sdb_get_int(conn, res, 3);
		if ((flags & need) != need)
			continue;
		if (sorted != NULL && bsearch(&uid, sorted, want, sizeof(*sorted), uid_cmp) == NULL)
			continue;
		if (count == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			rows = xrealloc(rows, alloc * sizeof(*rows));
		}
		struct storage_mail_row *row = &rows[count++];
		row->id = sdb_get_int(conn, res, 0);
		row->uid = uid;
		row->message_id = sdb_get_int(conn, res, 2);
		row->flags = flags;
		row->keywords = xstrdup(sdb_get_text(conn, res, 4));
		row->modseq = sdb_get_int(conn, res, 5);
		row->internal_date = sdb_get_int(conn, res, 6);
		row->size = sdb_get_int(conn, res, 7);
	}
	free(sorted);
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		storage_mail_rows_free(&rows, count);
		return storage_db_fail(conn, status, "read messages", error_r);
	}
	*rows_r = rows;
	*count_r = count;
	return STORAGE_OK;
}

enum storage_result storage_mailbox_next_modseq_txn(struct storage_conn *conn,
						    int64_t mailbox_id, int64_t *modseq_r,
						    const char **error_r)
{
	bool found;
	enum db_status status = sdb_int(conn,
		"UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1 "
		"RETURNING highestmodseq", DB_ARGS(DB_INT(mailbox_id)), modseq_r, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "new modseq", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	return STORAGE_OK;
}

enum storage_result storage_mail_expunge_rows_txn(struct storage_conn *conn, int64_t mailbox_id,
						  const struct storage_mail_row *rows, size_t count,
						  const char **error_r)
{
	int64_t modseq, bytes = 0;
	if (count == 0)
		return STORAGE_OK;
	enum storage_result result = storage_mailbox_next_modseq_txn(conn, mailbox_id, &modseq,
								     error_r);
	if (result != STORAGE_OK)
		return result;
	for (size_t i = 0; i < count; i++) {
		enum db_status status = sdb_exec(conn, "DELETE FROM mailbox_messages WHERE id = $1",
						 DB_ARGS(DB_INT(rows[i].id)));
		/* a uid is never given out twice, but storage_check may renumber
		 * a broken mailbox: the latest expunge wins */
		if (status == DB_OK)
			status = sdb_exec(conn,
				"INSERT INTO expunged_uids (mailbox_id, uid, modseq) VALUES ($1, $2, $3) "
				"ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq",
				DB_ARGS(DB_INT(mailbox_id), DB_INT(rows[i].uid), DB_INT(modseq)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "expunge", error_r);
		result = storage_message_unref_txn(conn, rows[i].message_id, error_r);
		if (result != STORAGE_OK)
			return result;
		bytes += rows[i].size;
	}
	enum db_status status = sdb_exec(conn,
		"UPDATE users SET used_bytes = used_bytes - $2, used_messages = used_messages - $3 "
		"WHERE id = (SELECT user_id FROM mailboxes WHERE id = $1)",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(bytes), DB_INT(count)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "expunge", error_r);
	return STORAGE_OK;
}
