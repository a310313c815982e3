/* storage-deliver.c - store one delivered message for its recipients:
 * leaf part bodies once by hash (refcounted), one messages row with its
 * segments and cached header fields, then per recipient a quota check, the
 * next UID of the mailbox and a mailbox_messages row (with its flags and
 * keywords). The quota check gives LMTP's grace (quota_grace_percent) to a
 * user still under quota, never to one at or over it.
 *
 * storage_deliver_txn() works inside a transaction the caller opened (the
 * synchronous storage_deliver() below, or the group committer's batch) and
 * never begins, commits or rolls back itself. One recipient's NOQUOTA or
 * NOTFOUND never fails the others; a database error fails the whole
 * delivery (TEMP) and the caller rolls back.
 */
#include "storage-private.h"
#include "mime.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per multi-row INSERT of segments and header fields: few round trips,
 * a handful of distinct (cached) statements. */
#define DELIVER_ROWS_PER_INSERT 16

/* Build "INSERT INTO table (cols) VALUES ($1,..,$k),(...)" for rows rows of
 * ncols columns: only placeholders, never data. */
static void build_insert(char *sql, size_t size, const char *head, unsigned ncols,
			 unsigned rows)
{
	size_t pos = (size_t)snprintf(sql, size, "%s VALUES ", head);
	unsigned n = 1;
	for (unsigned r = 0; r < rows && pos < size; r++) {
		pos += (size_t)snprintf(sql + pos, size - pos, "%s(", r == 0 ? "" : ",");
		for (unsigned c = 0; c < ncols && pos < size; c++)
			pos += (size_t)snprintf(sql + pos, size - pos, "%s$%u", c == 0 ? "" : ",", n++);
		if (pos < size)
			pos += (size_t)snprintf(sql + pos, size - pos, ")");
	}
}

/* The message must cover its bytes exactly, in order, or it could not be
 * read back byte for byte. */
static bool message_valid(const struct mime_message *msg, const char **error_r)
{
	size_t pos = 0;
	if (msg == NULL || msg->data == NULL || msg->size == 0) {
		*error_r = "no message";
		return false;
	}
	for (size_t i = 0; i < msg->segment_count; i++) {
		const struct mime_segment *seg = &msg->segments[i];
		if (seg->offset != pos || seg->size > msg->size - pos) {
			*error_r = "message segments do not cover the message in order";
			return false;
		}
		pos += seg->size;
	}
	if (pos != msg->size) {
		*error_r = "message segments do not add up to its size";
		return false;
	}
	if (msg->envelope == NULL || msg->bodystructure == NULL || msg->body == NULL) {
		*error_r = "message lacks its IMAP structures";
		return false;
	}
	return true;
}

/* Upsert each part body; part_ids[i] is its id for segment i (0 for literals). */
static enum storage_result store_parts(struct storage_conn *conn, const struct mime_message *msg,
				       int64_t *part_ids, const char **error_r)
{
	for (size_t i = 0; i < msg->segment_count; i++) {
		const struct mime_segment *seg = &msg->segments[i];
		bool found;
		part_ids[i] = 0;
		if (!seg->is_part || seg->size == 0)
			continue;
		enum db_status status = sdb_int(conn,
			"INSERT INTO mime_parts (hash, size, refcount, data) VALUES ($1, $2, 1, $3) "
			"ON CONFLICT (hash) DO UPDATE SET refcount = mime_parts.refcount + 1 "
			"RETURNING id",
			DB_ARGS(DB_BLOB(seg->hash, MIME_HASH_SIZE), DB_INT(seg->size),
				DB_BLOB(msg->data + seg->offset, seg->size)),
			&part_ids[i], &found);
		if (status != DB_OK || !found)
			return storage_db_fail(conn, status, "store part", error_r);
	}
	return STORAGE_OK;
}

static enum storage_result store_segments(struct storage_conn *conn,
					  const struct mime_message *msg, int64_t message_id,
					  const int64_t *part_ids, const char **error_r)
{
	struct db_param params[DELIVER_ROWS_PER_INSERT * 4];
	char sql[1024];
	size_t i = 0, seq = 0;
	while (i < msg->segment_count) {
		unsigned rows = 0;
		for (; i < msg->segment_count && rows < DELIVER_ROWS_PER_INSERT; i++) {
			const struct mime_segment *seg = &msg->segments[i];
			struct db_param *p = &params[rows * 4];
			if (seg->size == 0)
				continue;
			p[0] = DB_INT(message_id);
			p[1] = DB_INT(seq++);
			p[2] = part_ids[i] != 0 ? DB_NULL : DB_BLOB(msg->data + seg->offset, seg->size);
			p[3] = part_ids[i] != 0 ? DB_INT(part_ids[i]) : DB_NULL;
			rows++;
		}
		if (rows == 0)
			break;
		build_insert(sql, sizeof(sql),
			     "INSERT INTO message_segments (message_id, seq, literal, part_id)", 4, rows);
		enum db_status status = sdb_exec(conn, sql, params, rows * 4);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "store segments", error_r);
	}
	return STORAGE_OK;
}

static enum storage_result store_headers(struct storage_conn *conn,
					 const struct mime_message *msg, int64_t message_id,
					 const char **error_r)
{
	struct db_param params[DELIVER_ROWS_PER_INSERT * 4];
	char *texts[DELIVER_ROWS_PER_INSERT * 2];
	char sql[1024];
	size_t count = msg->header_count > MIME_CACHED_HEADERS_MAX ? MIME_CACHED_HEADERS_MAX
								    : msg->header_count;
	for (size_t first = 0; first < count; first += DELIVER_ROWS_PER_INSERT) {
		unsigned rows = 0;
		for (size_t i = first; i < count && rows < DELIVER_ROWS_PER_INSERT; i++, rows++) {
			const struct mime_header_field *hdr = &msg->headers[i];
			char *name = xstrdup(hdr->name == NULL ? "" : hdr->name);
			char *value = xstrdup(hdr->value == NULL ? "" : hdr->value);
			for (char *c = name; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			storage_utf8_sanitize(name, strlen(name), true);
			storage_utf8_sanitize(value, strlen(value), true);
			texts[rows * 2] = name;
			texts[rows * 2 + 1] = value;
			params[rows * 4] = DB_INT(message_id);
			params[rows * 4 + 1] = DB_INT(i);
			params[rows * 4 + 2] = DB_TEXT(name);
			params[rows * 4 + 3] = DB_TEXT(value);
		}
		build_insert(sql, sizeof(sql),
			     "INSERT INTO header_fields (message_id, position, name, value)", 4, rows);
		enum db_status status = sdb_exec(conn, sql, params, rows * 4);
		for (unsigned r = 0; r < rows * 2; r++)
			free(texts[r]);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "store header fields", error_r);
	}
	return STORAGE_OK;
}

/* The messages row, its parts, segments, header fields and full-text index
 * row (text NULL: extracted here; none on the group committer's connection,
 * whose background indexer writes it later); refcount is the
 * number of recipients that will point to it. */
static enum storage_result store_message(struct storage_conn *conn,
					 const struct mime_message *msg,
					 const struct storage_message_text *text, int64_t refcount,
					 int64_t *message_id_r, const char **error_r)
{
	int64_t *part_ids = xcalloc(msg->segment_count + 1, sizeof(*part_ids));
	char *envelope = xstrdup(msg->envelope);
	char *bodystructure = xstrdup(msg->bodystructure);
	char *body = xstrdup(msg->body);
	bool found;

	storage_utf8_sanitize(envelope, strlen(envelope), false);
	storage_utf8_sanitize(bodystructure, strlen(bodystructure), false);
	storage_utf8_sanitize(body, strlen(body), false);
	enum storage_result result = store_parts(conn, msg, part_ids, error_r);
	if (result == STORAGE_OK) {
		enum db_status status = sdb_int(conn,
			"INSERT INTO messages (size, header_size, line_count, refcount, envelope, "
			"bodystructure, body, has_8bit, bare_lf, created) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
			DB_ARGS(DB_INT(msg->size), DB_INT(msg->header_size),
				DB_INT(msg->line_count), DB_INT(refcount), DB_TEXT(envelope),
				DB_TEXT(bodystructure), DB_TEXT(body), DB_INT(msg->has_8bit),
				DB_INT(msg->bare_lf), DB_INT(storage_now())),
			message_id_r, &found);
		if (status != DB_OK || !found)
			result = storage_db_fail(conn, status, "store message", error_r);
	}
	if (result == STORAGE_OK)
		result = store_segments(conn, msg, *message_id_r, part_ids, error_r);
	if (result == STORAGE_OK)
		result = store_headers(conn, msg, *message_id_r, error_r);
	/* with a group committer its background indexer does it, off the
	 * writers' way; without one (tools) the delivery itself */
	if (result == STORAGE_OK && conn->storage->set.fulltext_index &&
	    conn->storage->committer == NULL)
		result = storage_fulltext_store_txn(conn, *message_id_r, msg, text, error_r);
	free(part_ids);
	free(envelope);
	free(bodystructure);
	free(body);
	return result;
}

/* Check a recipient's input and reserve its quota (users.used_*). */
static enum storage_result rcpt_reserve(struct storage_conn *conn,
					const struct storage_delivery *delivery,
					struct storage_delivery_rcpt *rcpt, const char **error_r)
{
	char mailbox[STORAGE_MAILBOX_NAME_MAX + 1];
	const char *error;
	size_t trace_len = rcpt->trace == NULL ? 0 : strlen(rcpt->trace);
	if (rcpt->mailbox != NULL &&
	    storage_mailbox_name_normalize(rcpt->mailbox, mailbox, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "mailbox: %s", error);
	if (trace_len > STORAGE_TRACE_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "trace too long");
	if ((rcpt->flags & ~(uint32_t)STORAGE_FLAGS_ALL) != 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "unknown flag bits");
	if (rcpt->keywords != NULL && !storage_keywords_valid(rcpt->keywords))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad keyword list");
	int64_t size = (int64_t)(trace_len + delivery->message->size);
	/* grace (LMTP only): a user still under the quota may end up to
	 * grace percent of it over; one at or over it gets nothing */
	int64_t grace = delivery->quota_grace_percent > 1000 ? 1000 :
			(int64_t)delivery->quota_grace_percent;
	enum db_status status = !rcpt->enforce_quota ? sdb_exec(conn,
		"UPDATE users SET used_bytes = used_bytes + $2, used_messages = used_messages + 1 "
		"WHERE id = $1", DB_ARGS(DB_INT(rcpt->user_id), DB_INT(size))) :
		grace == 0 ? sdb_exec(conn,
		"UPDATE users SET used_bytes = used_bytes + $2, used_messages = used_messages + 1 "
		"WHERE id = $1 AND (quota_bytes = 0 OR used_bytes + $2 <= quota_bytes) "
		"AND (quota_messages = 0 OR used_messages < quota_messages)",
		DB_ARGS(DB_INT(rcpt->user_id), DB_INT(size))) : sdb_exec(conn,
		"UPDATE users SET used_bytes = used_bytes + $2, used_messages = used_messages + 1 "
		"WHERE id = $1 AND (quota_bytes = 0 OR used_bytes + $2 <= quota_bytes OR "
		"(used_bytes < quota_bytes AND used_bytes + $2 <= quota_bytes + quota_bytes * $3 / 100)) "
		"AND (quota_messages = 0 OR used_messages < quota_messages)",
		DB_ARGS(DB_INT(rcpt->user_id), DB_INT(size), DB_INT(grace)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "quota", error_r);
	if (conn->db->changes(conn->dbc) > 0)
		return STORAGE_OK;
	int64_t id;
	bool found;
	status = sdb_int(conn, "SELECT id FROM users WHERE id = $1",
			 DB_ARGS(DB_INT(rcpt->user_id)), &id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "quota", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %lld",
				    (long long)rcpt->user_id);
	return storage_fail(conn, STORAGE_ERR_NOQUOTA, error_r, "user %lld is over quota",
			    (long long)rcpt->user_id);
}

/* Take the next UID of the recipient's mailbox (created if missing). */
static enum storage_result rcpt_mailbox(struct storage_conn *conn,
					struct storage_delivery_rcpt *rcpt, int64_t *modseq_r,
					const char **error_r)
{
	char name[STORAGE_MAILBOX_NAME_MAX + 1];
	const char *error;
	if (rcpt->mailbox == NULL)
		storage_strlcpy(name, STORAGE_INBOX, sizeof(name));
	else if (storage_mailbox_name_normalize(rcpt->mailbox, name, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "mailbox: %s", error);
	for (int attempt = 0; attempt < 2; attempt++) {
		struct db_result *res = NULL;
		enum db_status status = sdb_query(conn,
			"UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 "
			"WHERE user_id = $1 AND name = $2 RETURNING id, uidnext, highestmodseq",
			DB_ARGS(DB_INT(rcpt->user_id), DB_TEXT(name)), &res);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "mailbox uid", error_r);
		bool found = sdb_next(conn, res);
		if (found) {
			rcpt->mailbox_id_r = sdb_get_int(conn, res, 0);
			rcpt->uid_r = (uint32_t)(sdb_get_int(conn, res, 1) - 1);
			*modseq_r = sdb_get_int(conn, res, 2);
		}
		status = sdb_finish(conn, &res);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "mailbox uid", error_r);
		if (found)
			return STORAGE_OK;
		int64_t id;
		enum storage_result result = storage_mailbox_create_txn(conn, rcpt->user_id, name, "",
									false, &id, error_r);
		if (result != STORAGE_OK)
			return result;
	}
	return storage_fail(conn, STORAGE_ERR_TEMP, error_r, "mailbox %s vanished", name);
}

static enum storage_result rcpt_store(struct storage_conn *conn,
				      const struct storage_delivery *delivery,
				      struct storage_delivery_rcpt *rcpt, int64_t message_id,
				      const char **error_r)
{
	int64_t modseq = 0;
	size_t trace_len = rcpt->trace == NULL ? 0 : strlen(rcpt->trace);
	enum storage_result result = rcpt_mailbox(conn, rcpt, &modseq, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_exec(conn,
		"INSERT INTO mailbox_messages (mailbox_id, uid, message_id, flags, modseq, "
		"internal_date, size, trace, keywords) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		DB_ARGS(DB_INT(rcpt->mailbox_id_r), DB_INT(rcpt->uid_r), DB_INT(message_id),
			DB_INT(rcpt->flags), DB_INT(modseq), DB_INT(delivery->internal_date),
			DB_INT(trace_len + delivery->message->size),
			rcpt->trace == NULL ? DB_NULL : DB_BLOB(rcpt->trace, trace_len),
			DB_TEXT(rcpt->keywords == NULL ? "" : rcpt->keywords)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "store mail", error_r);
	return STORAGE_OK;
}

void storage_delivery_fail_all(struct storage_delivery *delivery, enum storage_result result,
			       const char *error)
{
	delivery->result = result;
	storage_strlcpy(delivery->error, error, sizeof(delivery->error));
	for (size_t i = 0; i < delivery->rcpt_count; i++) {
		delivery->rcpts[i].result = result;
		delivery->rcpts[i].uid_r = 0;
		delivery->rcpts[i].mailbox_id_r = 0;
	}
}

enum storage_result storage_deliver_txn(struct storage_conn *conn,
					struct storage_delivery *delivery,
					const char **error_r)
{
	const char *error = "no recipient list";
	size_t accepted = 0;
	int64_t message_id = 0;

	delivery->error[0] = '\0';
	if (!message_valid(delivery->message, &error) ||
	    (delivery->rcpt_count > 0 && delivery->rcpts == NULL)) {
		storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad delivery: %s", error);
		storage_delivery_fail_all(delivery, STORAGE_ERR_INVALID, conn->error);
		return STORAGE_ERR_INVALID;
	}
	for (size_t i = 0; i < delivery->rcpt_count; i++) {
		struct storage_delivery_rcpt *rcpt = &delivery->rcpts[i];
		rcpt->uid_r = 0;
		rcpt->mailbox_id_r = 0;
		rcpt->result = rcpt_reserve(conn, delivery, rcpt, &error);
		if (rcpt->result == STORAGE_ERR_TEMP) {
			storage_delivery_fail_all(delivery, STORAGE_ERR_TEMP, error);
			return storage_fail(conn, STORAGE_ERR_TEMP, error_r, "%s", delivery->error);
		}
		if (rcpt->result == STORAGE_OK)
			accepted++;
		else if (delivery->error[0] == '\0')
			storage_strlcpy(delivery->error, error, sizeof(delivery->error));
	}
	enum storage_result result = STORAGE_OK;
	if (accepted > 0)
		result = store_message(conn, delivery->message, delivery->text,
				       (int64_t)accepted, &message_id,
				       &error);
	for (size_t i = 0; result == STORAGE_OK && i < delivery->rcpt_count; i++) {
		if (delivery->rcpts[i].result == STORAGE_OK)
			result = rcpt_store(conn, delivery, &delivery->rcpts[i], message_id, &error);
	}
	if (result != STORAGE_OK) {
		storage_delivery_fail_all(delivery, result, error);
		return storage_fail(conn, result, error_r, "%s", delivery->error);
	}
	delivery->result = STORAGE_OK;
	return STORAGE_OK;
}

enum storage_result storage_deliver(struct storage_conn *conn, struct storage_delivery *delivery,
				    const char **error_r)
{
	const char *error;
	enum storage_result result = storage_begin(conn, true, &error);
	if (result == STORAGE_OK) {
		result = storage_deliver_txn(conn, delivery, &error);
		if (result != STORAGE_OK) {
			storage_rollback(conn);
			if (error_r != NULL)
				*error_r = conn->error;
			return result;
		}
		result = storage_commit(conn, &error);
		if (result == STORAGE_OK)
			storage_committer_index_wanted(conn->storage);
	}
	if (result != STORAGE_OK) {
		storage_delivery_fail_all(delivery, result, error);
		if (error_r != NULL)
			*error_r = conn->error;
	}
	return result;
}
