/* storage-fulltext-index.c - one step of the background full-text indexer:
 * find committed messages without an index row (in id order from a
 * cursor), read them back from their segments, decode their text
 * (mime-text.c) and write their rows in one short write transaction.
 *
 * The group committer's thread runs the steps when no delivery waits
 * (storage-commit.c); the storage unit tests run them directly. Reading and
 * decoding happen before the write transaction, so the database's writer
 * lock is held only for the inserts. Never indexes a message twice, never
 * leaves a row for a message deleted meanwhile (the insert checks both in
 * the write transaction), never holds more than one raw message and
 * STORAGE_FULLTEXT_STEP_BYTES of decoded text.
 */
#include "storage-private.h"
#include "mime-text.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct index_item {
	int64_t message_id;
	int64_t size;
	char *headers;
	char *body;
};

static bool is_sqlite(const struct storage_conn *conn)
{
	return strcmp(conn->db->name, "sqlite") == 0;
}

/* The physical message (without any recipient's trace) into a new buffer. */
static enum storage_result read_message(struct storage_conn *conn, int64_t message_id,
					int64_t size, unsigned char **data_r, const char **error_r)
{
	if (size < 0 || (uint64_t)size > SIZE_MAX - 1)
		return storage_fail(conn, STORAGE_ERR_TEMP, error_r, "message %lld: bad size",
				    (long long)message_id);
	unsigned char *data = xmalloc((size_t)size + 1);
	size_t pos = 0;
	bool overflow = false;
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT s.literal, p.data FROM message_segments s "
		"LEFT JOIN mime_parts p ON p.id = s.part_id "
		"WHERE s.message_id = $1 ORDER BY s.seq", DB_ARGS(DB_INT(message_id)), &res);
	if (status != DB_OK) {
		free(data);
		return storage_db_fail(conn, status, "read message for the index", error_r);
	}
	while (!overflow && sdb_next(conn, res)) {
		size_t len;
		unsigned col = conn->db->is_null(res, 0) ? 1 : 0;
		const unsigned char *bytes = conn->db->get_blob(res, col, &len);
		if (len > (size_t)size - pos) {
			overflow = true;
			break;
		}
		if (len > 0)
			memcpy(data + pos, bytes, len);
		pos += len;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		free(data);
		return storage_db_fail(conn, status, "read message for the index", error_r);
	}
	if (overflow || pos != (size_t)size) {
		free(data);
		return storage_fail(conn, STORAGE_ERR_TEMP, error_r,
				    "message %lld is corrupt: segments do not add up to its size",
				    (long long)message_id);
	}
	data[pos] = '\0';
	*data_r = data;
	return STORAGE_OK;
}

/* Inside a read transaction: the highest message id and up to max
 * messages in (cursor, cursor + window] that have no index row. */
static enum storage_result find_unindexed(struct storage_conn *conn, int64_t cursor,
					  unsigned max, struct index_item *items,
					  size_t *count_r, int64_t *max_id_r,
					  const char **error_r)
{
	bool found;
	enum db_status status = sdb_int(conn, "SELECT COALESCE(MAX(id), 0) FROM messages",
					DB_NOARGS, max_id_r, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "find unindexed messages", error_r);
	if (!found)
		*max_id_r = 0;
	struct db_result *res = NULL;
	status = sdb_query(conn,
		is_sqlite(conn)
			? "SELECT m.id, m.size FROM messages m WHERE m.id > $1 AND m.id <= $2 "
			  "AND NOT EXISTS (SELECT 1 FROM message_text t WHERE t.rowid = m.id) "
			  "ORDER BY m.id LIMIT $3"
			: "SELECT m.id, m.size FROM messages m WHERE m.id > $1 AND m.id <= $2 "
			  "AND NOT EXISTS (SELECT 1 FROM message_text t WHERE t.message_id = m.id) "
			  "ORDER BY m.id LIMIT $3",
		DB_ARGS(DB_INT(cursor), DB_INT(cursor + STORAGE_FULLTEXT_WINDOW), DB_INT(max)),
		&res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "find unindexed messages", error_r);
	size_t n = 0;
	while (sdb_next(conn, res) && n < max) {
		items[n].message_id = sdb_get_int(conn, res, 0);
		items[n].size = sdb_get_int(conn, res, 1);
		n++;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "find unindexed messages", error_r);
	*count_r = n;
	return STORAGE_OK;
}

/* The read side of a step: candidates, then each read and decoded until
 * yield says stop or the text budget is spent. *count_r: items decoded. */
static enum storage_result read_step(struct storage_conn *conn, int64_t cursor, unsigned max,
				     storage_yield_cb *yield, void *context,
				     struct index_item *items, size_t *count_r,
				     int64_t *max_id_r, const char **error_r)
{
	size_t found = 0, decoded = 0, text_bytes = 0;
	enum storage_result result = storage_begin(conn, false, error_r);
	if (result != STORAGE_OK)
		return result;
	result = find_unindexed(conn, cursor, max, items, &found, max_id_r, error_r);
	while (result == STORAGE_OK && decoded < found) {
		struct index_item *item = &items[decoded];
		unsigned char *data = NULL;
		if (read_message(conn, item->message_id, item->size, &data, error_r) !=
		    STORAGE_OK) {
			/* unreadable (corrupt): skipped, SEARCH scans it (and fails
			 * there as it would have); a lost connection fails the commit */
			decoded++;
			continue;
		}
		size_t headers_len, body_len;
		mime_text_extract(data, (size_t)item->size, &item->headers, &headers_len,
				  &item->body, &body_len);
		free(data);
		decoded++;
		text_bytes += headers_len + body_len;
		if (text_bytes >= STORAGE_FULLTEXT_STEP_BYTES ||
		    (yield != NULL && yield(context)))
			break;
	}
	*count_r = decoded;
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

/* The write side: one transaction with a row per item, each only if its
 * message still exists and has no row yet (items without text are
 * skipped); after the first row, stops early when yield says so.
 * *done_count_r: the items dealt with (a prefix of items). */
static enum storage_result write_step(struct storage_conn *conn, const struct index_item *items,
				      size_t count, storage_yield_cb *yield, void *context,
				      unsigned *indexed_r, size_t *done_count_r,
				      const char **error_r)
{
	const char *sql = is_sqlite(conn)
		? "INSERT INTO message_text (rowid, headers, body) SELECT $1, $2, $3 "
		  "WHERE EXISTS (SELECT 1 FROM messages WHERE id = $1) "
		  "AND NOT EXISTS (SELECT 1 FROM message_text WHERE rowid = $1)"
		: "INSERT INTO message_text (message_id, headers, body) SELECT $1, $2, $3 "
		  "WHERE EXISTS (SELECT 1 FROM messages WHERE id = $1) "
		  "ON CONFLICT (message_id) DO NOTHING";
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	unsigned written = 0;
	size_t i;
	for (i = 0; i < count; i++) {
		if (written > 0 && yield != NULL && yield(context))
			break;
		if (items[i].headers == NULL)
			continue; /* skipped by read_step */
		written++;
		enum db_status status = sdb_exec(conn, sql,
			DB_ARGS(DB_INT(items[i].message_id), DB_TEXT(items[i].headers),
				DB_TEXT(items[i].body)));
		if (status != DB_OK) {
			result = storage_db_fail(conn, status, "index message text", error_r);
			storage_rollback(conn);
			return result;
		}
	}
	result = storage_commit(conn, error_r);
	if (result == STORAGE_OK) {
		*indexed_r = written;
		*done_count_r = i;
	}
	return result;
}

enum storage_result storage_fulltext_index_step(struct storage_conn *conn, int64_t *cursor_io,
						unsigned max, storage_yield_cb *yield,
						void *context, unsigned *indexed_r,
						bool *done_r, const char **error_r)
{
	*indexed_r = 0;
	*done_r = false;
	if (max == 0 || max > STORAGE_FULLTEXT_STEP_MAX)
		max = STORAGE_FULLTEXT_STEP_MAX;
	struct index_item items[STORAGE_FULLTEXT_STEP_MAX];
	memset(items, 0, sizeof(items));
	size_t count = 0;
	int64_t max_id = 0, cursor = *cursor_io;
	enum storage_result result = read_step(conn, cursor, max, yield, context, items, &count,
					       &max_id, error_r);
	size_t written = 0;
	if (result == STORAGE_OK && count > 0)
		result = write_step(conn, items, count, yield, context, indexed_r, &written,
				    error_r);
	for (size_t i = 0; i < STORAGE_FULLTEXT_STEP_MAX; i++) {
		free(items[i].headers);
		free(items[i].body);
	}
	if (result != STORAGE_OK)
		return result;
	if (count > 0) {
		/* more may follow the last one written in this window */
		*cursor_io = items[written > 0 ? written - 1 : 0].message_id;
	} else {
		/* nothing left in this window: the next one */
		cursor = cursor > max_id - STORAGE_FULLTEXT_WINDOW ? max_id
								   : cursor + STORAGE_FULLTEXT_WINDOW;
		if (cursor < *cursor_io)
			cursor = *cursor_io; /* ids were deleted above it: stay */
		*cursor_io = cursor;
		*done_r = cursor >= max_id;
	}
	return STORAGE_OK;
}
