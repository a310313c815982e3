/* storage-mail-query.c - what IMAP reads about a mailbox and its messages
 * beyond the plain list: STATUS counts, the change probe, one message row, the messages and
 * expunged uids since a modseq (CONDSTORE/QRESYNC), and cached header
 * values (SEARCH, SORT).
 *
 * Read-only: never writes, and never holds a transaction open after it
 * returns. Callbacks run while rows are read and must not use conn.
 */
#include "storage-private.h"

#include <ctype.h>
#include <string.h>

#define MAIL_COLUMNS \
	"id, mailbox_id, uid, message_id, flags, keywords, modseq, internal_date, size"

static void mail_from_row(struct storage_conn *conn, struct db_result *res,
			  struct storage_mail *mail)
{
	mail->id = sdb_get_int(conn, res, 0);
	mail->mailbox_id = sdb_get_int(conn, res, 1);
	mail->uid = (uint32_t)sdb_get_int(conn, res, 2);
	mail->message_id = sdb_get_int(conn, res, 3);
	mail->flags = (uint32_t)sdb_get_int(conn, res, 4);
	mail->keywords = sdb_get_text(conn, res, 5);
	mail->modseq = sdb_get_int(conn, res, 6);
	mail->internal_date = sdb_get_int(conn, res, 7);
	mail->size = sdb_get_int(conn, res, 8);
}

static enum storage_result read_status(struct storage_conn *conn, int64_t mailbox_id,
				       struct storage_mailbox_status *status_r,
				       const char **error_r)
{
	struct db_result *res = NULL;
	enum storage_result result = STORAGE_OK;
	enum db_status status = sdb_query(conn,
		"SELECT uidvalidity, uidnext, highestmodseq FROM mailboxes WHERE id = $1",
		DB_ARGS(DB_INT(mailbox_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "mailbox status", error_r);
	bool found = sdb_next(conn, res);
	if (found) {
		status_r->uidvalidity = (uint32_t)sdb_get_int(conn, res, 0);
		status_r->uidnext = (uint32_t)sdb_get_int(conn, res, 1);
		status_r->highestmodseq = sdb_get_int(conn, res, 2);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "mailbox status", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	/* one pass over the mailbox's rows (the (mailbox_id, uid) index) */
	status = sdb_query(conn,
		"SELECT COUNT(*), "
		"CAST(COALESCE(SUM(CASE WHEN (flags & 1) = 0 THEN 1 ELSE 0 END), 0) AS BIGINT), "
		"CAST(COALESCE(SUM(CASE WHEN (flags & 8) <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT), "
		"CAST(COALESCE(SUM(size), 0) AS BIGINT), "
		"COALESCE(MIN(CASE WHEN (flags & 1) = 0 THEN uid END), 0) "
		"FROM mailbox_messages WHERE mailbox_id = $1", DB_ARGS(DB_INT(mailbox_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "mailbox status", error_r);
	if (sdb_next(conn, res)) {
		status_r->messages = sdb_get_int(conn, res, 0);
		status_r->unseen = sdb_get_int(conn, res, 1);
		status_r->deleted = sdb_get_int(conn, res, 2);
		status_r->size = sdb_get_int(conn, res, 3);
		status_r->first_unseen_uid = (uint32_t)sdb_get_int(conn, res, 4);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		result = storage_db_fail(conn, status, "mailbox status", error_r);
	return result;
}

enum storage_result storage_mailbox_status(struct storage_conn *conn, int64_t mailbox_id,
					   struct storage_mailbox_status *status_r,
					   const char **error_r)
{
	memset(status_r, 0, sizeof(*status_r));
	enum storage_result result = storage_begin(conn, false, error_r);
	if (result != STORAGE_OK)
		return result;
	result = read_status(conn, mailbox_id, status_r, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		memset(status_r, 0, sizeof(*status_r));
		return result;
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_mailbox_probe(struct storage_conn *conn, int64_t mailbox_id,
					  uint32_t *uidnext_r, int64_t *highestmodseq_r,
					  const char **error_r)
{
	struct db_result *res = NULL;
	*uidnext_r = 0;
	*highestmodseq_r = 0;
	enum db_status status = sdb_query(conn,
		"SELECT uidnext, highestmodseq FROM mailboxes WHERE id = $1",
		DB_ARGS(DB_INT(mailbox_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "probe mailbox", error_r);
	bool found = sdb_next(conn, res);
	if (found) {
		*uidnext_r = (uint32_t)sdb_get_int(conn, res, 0);
		*highestmodseq_r = sdb_get_int(conn, res, 1);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK || !found) {
		*uidnext_r = 0;
		*highestmodseq_r = 0;
		if (status != DB_OK)
			return storage_db_fail(conn, status, "probe mailbox", error_r);
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	}
	return STORAGE_OK;
}

enum storage_result storage_mail_get(struct storage_conn *conn, int64_t mailbox_id, uint32_t uid,
				     struct storage_mail *mail_r, const char **error_r)
{
	struct db_result *res = NULL;
	memset(mail_r, 0, sizeof(*mail_r));
	mail_r->keywords = "";
	enum db_status status = sdb_query(conn,
		"SELECT " MAIL_COLUMNS " FROM mailbox_messages WHERE mailbox_id = $1 AND uid = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get mail", error_r);
	bool found = sdb_next(conn, res);
	if (found) {
		mail_from_row(conn, res, mail_r);
		storage_strlcpy(conn->keywords, mail_r->keywords, sizeof(conn->keywords));
		mail_r->keywords = conn->keywords;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK || !found) {
		memset(mail_r, 0, sizeof(*mail_r));
		mail_r->keywords = "";
		if (status != DB_OK)
			return storage_db_fail(conn, status, "get mail", error_r);
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r,
				    "no uid %u in mailbox %lld", uid, (long long)mailbox_id);
	}
	return STORAGE_OK;
}

enum storage_result storage_mail_list_since(struct storage_conn *conn, int64_t mailbox_id,
					    int64_t modseq, storage_mail_cb *cb, void *context,
					    const char **error_r)
{
	struct db_result *res = NULL;
	struct storage_mail mail;
	enum storage_result result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn,
		"SELECT " MAIL_COLUMNS " FROM mailbox_messages "
		"WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(modseq)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list changed mail", error_r);
	while (sdb_next(conn, res)) {
		mail_from_row(conn, res, &mail);
		cb(&mail, context);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list changed mail", error_r);
	return STORAGE_OK;
}

enum storage_result storage_mailbox_vanished_since(struct storage_conn *conn, int64_t mailbox_id,
						   int64_t modseq, storage_uid_cb *cb,
						   void *context, const char **error_r)
{
	struct db_result *res = NULL;
	enum storage_result result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn,
		"SELECT uid FROM expunged_uids WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(modseq)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list vanished", error_r);
	while (sdb_next(conn, res))
		cb((uint32_t)sdb_get_int(conn, res, 0), context);
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list vanished", error_r);
	return STORAGE_OK;
}

enum storage_result storage_mail_header_values(struct storage_conn *conn, int64_t mailbox_id,
					       uint32_t uid, const char *name,
					       storage_header_value_cb *cb, void *context,
					       const char **error_r)
{
	char lname[STORAGE_HEADER_NAME_MAX + 1];
	struct db_result *res = NULL;
	int64_t message_id;
	bool found;
	size_t len = name == NULL ? 0 : strlen(name);
	if (len == 0 || len > STORAGE_HEADER_NAME_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad header name length");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == ':')
			return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad header name");
		lname[i] = (char)tolower(c);
	}
	lname[len] = '\0';
	enum db_status status = sdb_int(conn,
		"SELECT message_id FROM mailbox_messages WHERE mailbox_id = $1 AND uid = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid)), &message_id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "header values", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r,
				    "no uid %u in mailbox %lld", uid, (long long)mailbox_id);
	status = sdb_query(conn,
		"SELECT value FROM header_fields WHERE message_id = $1 AND name = $2 "
		"ORDER BY position", DB_ARGS(DB_INT(message_id), DB_TEXT(lname)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "header values", error_r);
	while (sdb_next(conn, res))
		cb(sdb_get_text(conn, res, 0), context);
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "header values", error_r);
	return STORAGE_OK;
}
