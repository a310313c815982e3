/* storage-mail.c - messages in a mailbox: list, read back byte for byte
 * (trace + segments), the cached ENVELOPE/BODYSTRUCTURE, expunge, flags.
 *
 * Never returns a message whose reassembled size differs from what was
 * stored (that is corruption: TEMP, for storage_check to find). Every
 * change gives the mailbox a new modseq.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static enum storage_result no_mail(struct storage_conn *conn, int64_t mailbox_id, uint32_t uid,
				   const char **error_r)
{
	return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no uid %u in mailbox %lld",
			    uid, (long long)mailbox_id);
}

enum storage_result storage_mail_list(struct storage_conn *conn, int64_t mailbox_id,
				      storage_mail_cb *cb, void *context, const char **error_r)
{
	struct db_result *res = NULL;
	struct storage_mail mail;
	enum storage_result result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn,
		"SELECT id, mailbox_id, uid, message_id, flags, keywords, modseq, internal_date, "
		"size FROM mailbox_messages WHERE mailbox_id = $1 ORDER BY uid",
		DB_ARGS(DB_INT(mailbox_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list mail", error_r);
	while (sdb_next(conn, res)) {
		mail.id = sdb_get_int(conn, res, 0);
		mail.mailbox_id = sdb_get_int(conn, res, 1);
		mail.uid = (uint32_t)sdb_get_int(conn, res, 2);
		mail.message_id = sdb_get_int(conn, res, 3);
		mail.flags = (uint32_t)sdb_get_int(conn, res, 4);
		mail.keywords = sdb_get_text(conn, res, 5);
		mail.modseq = sdb_get_int(conn, res, 6);
		mail.internal_date = sdb_get_int(conn, res, 7);
		mail.size = sdb_get_int(conn, res, 8);
		cb(&mail, context);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list mail", error_r);
	return STORAGE_OK;
}

/* Append the message's segments to out (which holds size bytes). */
static enum storage_result read_segments(struct storage_conn *conn, int64_t message_id,
					 unsigned char *out, size_t size, size_t *pos,
					 const char **error_r)
{
	struct db_result *res = NULL;
	bool overflow = false;
	enum db_status status = sdb_query(conn,
		"SELECT s.literal, p.data FROM message_segments s "
		"LEFT JOIN mime_parts p ON p.id = s.part_id "
		"WHERE s.message_id = $1 ORDER BY s.seq", DB_ARGS(DB_INT(message_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "read message", error_r);
	while (sdb_next(conn, res)) {
		size_t len;
		unsigned col = conn->db->is_null(res, 0) ? 1 : 0;
		const unsigned char *data = conn->db->get_blob(res, col, &len);
		if (len > size - *pos) {
			overflow = true;
			break;
		}
		if (len > 0)
			memcpy(out + *pos, data, len);
		*pos += len;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "read message", error_r);
	if (overflow || *pos != size)
		return storage_fail(conn, STORAGE_ERR_TEMP, error_r,
				    "message %lld is corrupt: segments do not add up to its size",
				    (long long)message_id);
	return STORAGE_OK;
}

enum storage_result storage_mail_read(struct storage_conn *conn, int64_t mailbox_id, uint32_t uid,
				      unsigned char **data_r, size_t *size_r,
				      const char **error_r)
{
	struct db_result *res = NULL;
	unsigned char *data = NULL;
	int64_t message_id = 0, size = 0;
	size_t pos = 0;

	*data_r = NULL;
	*size_r = 0;
	enum db_status status = sdb_query(conn,
		"SELECT mm.message_id, mm.size, mm.trace FROM mailbox_messages mm "
		"WHERE mm.mailbox_id = $1 AND mm.uid = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "read message", error_r);
	bool found = sdb_next(conn, res);
	if (found) {
		message_id = sdb_get_int(conn, res, 0);
		size = sdb_get_int(conn, res, 1);
		size_t trace_len = 0;
		const unsigned char *trace = conn->db->is_null(res, 2) ? NULL :
			conn->db->get_blob(res, 2, &trace_len);
		if (size < 0 || (uint64_t)size < trace_len || (uint64_t)size > SIZE_MAX - 1) {
			size = -1;
		} else {
			data = xmalloc((size_t)size + 1);
			if (trace_len > 0)
				memcpy(data, trace, trace_len);
			pos = trace_len;
		}
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		free(data);
		return storage_db_fail(conn, status, "read message", error_r);
	}
	if (!found)
		return no_mail(conn, mailbox_id, uid, error_r);
	if (size < 0)
		return storage_fail(conn, STORAGE_ERR_TEMP, error_r, "mailbox %lld uid %u: bad size",
				    (long long)mailbox_id, uid);
	enum storage_result result = read_segments(conn, message_id, data, (size_t)size, &pos,
						   error_r);
	if (result != STORAGE_OK) {
		free(data);
		return result;
	}
	data[size] = '\0';
	*data_r = data;
	*size_r = (size_t)size;
	return STORAGE_OK;
}

enum storage_result storage_mail_cached(struct storage_conn *conn, int64_t mailbox_id,
					uint32_t uid, char **envelope_r, char **bodystructure_r,
					const char **error_r)
{
	struct db_result *res = NULL;
	*envelope_r = *bodystructure_r = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT m.envelope, m.bodystructure FROM mailbox_messages mm "
		"JOIN messages m ON m.id = mm.message_id WHERE mm.mailbox_id = $1 AND mm.uid = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "read cached", error_r);
	bool found = sdb_next(conn, res);
	if (found) {
		*envelope_r = xstrdup(sdb_get_text(conn, res, 0));
		*bodystructure_r = xstrdup(sdb_get_text(conn, res, 1));
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK || !found) {
		free(*envelope_r);
		free(*bodystructure_r);
		*envelope_r = *bodystructure_r = NULL;
		if (status != DB_OK)
			return storage_db_fail(conn, status, "read cached", error_r);
		return no_mail(conn, mailbox_id, uid, error_r);
	}
	return STORAGE_OK;
}

enum storage_result storage_mail_cached_body(struct storage_conn *conn, int64_t mailbox_id,
					     uint32_t uid, char **body_r, const char **error_r)
{
	struct db_result *res = NULL;
	*body_r = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT m.body FROM mailbox_messages mm "
		"JOIN messages m ON m.id = mm.message_id WHERE mm.mailbox_id = $1 AND mm.uid = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "read cached body", error_r);
	bool found = sdb_next(conn, res);
	if (found)
		*body_r = xstrdup(sdb_get_text(conn, res, 0));
	status = sdb_finish(conn, &res);
	if (status != DB_OK || !found) {
		free(*body_r);
		*body_r = NULL;
		if (status != DB_OK)
			return storage_db_fail(conn, status, "read cached body", error_r);
		return no_mail(conn, mailbox_id, uid, error_r);
	}
	return STORAGE_OK;
}

/* One message, recorded for VANISHED like every expunge. */
static enum storage_result expunge_txn(struct storage_conn *conn, int64_t mailbox_id,
				       uint32_t uid, const char **error_r)
{
	struct storage_mail_row *rows;
	size_t count;
	enum storage_result result = storage_mail_rows_txn(conn, mailbox_id, &uid, 1, 0, &rows,
							   &count, error_r);
	if (result != STORAGE_OK)
		return result;
	if (count == 0)
		return no_mail(conn, mailbox_id, uid, error_r);
	result = storage_mail_expunge_rows_txn(conn, mailbox_id, rows, count, error_r);
	storage_mail_rows_free(&rows, count);
	return result;
}

enum storage_result storage_mail_expunge(struct storage_conn *conn, int64_t mailbox_id,
					 uint32_t uid, const char **error_r)
{
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = expunge_txn(conn, mailbox_id, uid, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

static enum storage_result set_flags_txn(struct storage_conn *conn, int64_t mailbox_id,
					 uint32_t uid, uint32_t flags, const char *keywords,
					 const char **error_r)
{
	int64_t modseq, id;
	bool found;
	enum db_status status = sdb_int(conn,
		"UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1 "
		"RETURNING highestmodseq", DB_ARGS(DB_INT(mailbox_id)), &modseq, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "set flags", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	status = sdb_int(conn,
		"UPDATE mailbox_messages SET flags = $3, keywords = $4, modseq = $5 "
		"WHERE mailbox_id = $1 AND uid = $2 RETURNING id",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid), DB_INT(flags), DB_TEXT(keywords),
			DB_INT(modseq)), &id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "set flags", error_r);
	if (!found)
		return no_mail(conn, mailbox_id, uid, error_r);
	return STORAGE_OK;
}

enum storage_result storage_mail_set_flags(struct storage_conn *conn, int64_t mailbox_id,
					   uint32_t uid, uint32_t flags, const char *keywords,
					   const char **error_r)
{
	if (keywords == NULL)
		keywords = "";
	if ((flags & ~(uint32_t)STORAGE_FLAGS_ALL) != 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "unknown flag bits 0x%x",
				    flags & ~(uint32_t)STORAGE_FLAGS_ALL);
	if (!storage_keywords_valid(keywords))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad keyword list");
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = set_flags_txn(conn, mailbox_id, uid, flags, keywords, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
