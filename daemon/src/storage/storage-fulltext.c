/* storage-fulltext.c - the full-text index of physical messages that IMAP
 * SEARCH BODY and TEXT read instead of decoding every message: extracting a
 * message's searchable text (the same decoding and folding SEARCH's scan
 * uses: mime-text.c), writing and deleting its index row, and looking
 * needles up. The rows of group-committed deliveries are written later by
 * the background indexer (storage-fulltext-index.c); synchronous
 * deliveries write theirs here, in their own transaction.
 *
 * SQLite keeps the text in an FTS5 table with the trigram tokenizer (rowid =
 * messages.id) and answers a quoted phrase; PostgreSQL keeps it in a plain
 * table with pg_trgm GIN indexes and answers LIKE '%needle%'. Both are
 * substring matches of text folded the same way as the needle, so a hit is
 * a match. Never decodes inside a lookup, never builds SQL from the needle
 * (it is a bound parameter, quoted or escaped for the match syntax).
 */
#include "storage-private.h"
#include "mime.h"
#include "mime-text.h"
#include "buf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void storage_message_text_extract(const struct mime_message *msg,
				  struct storage_message_text *text_r)
{
	size_t headers_len, body_len;
	mime_text_extract(msg != NULL ? msg->data : NULL, msg != NULL ? msg->size : 0,
			  &text_r->headers, &headers_len, &text_r->body, &body_len);
}

bool storage_fulltext_enabled(const struct storage *storage)
{
	return storage->set.fulltext_index;
}

void storage_message_text_free(struct storage_message_text *text)
{
	free(text->headers);
	free(text->body);
	text->headers = NULL;
	text->body = NULL;
}

static bool is_sqlite(const struct storage_conn *conn)
{
	return strcmp(conn->db->name, "sqlite") == 0;
}

enum storage_result storage_fulltext_store_txn(struct storage_conn *conn, int64_t message_id,
					       const struct mime_message *msg,
					       const struct storage_message_text *text,
					       const char **error_r)
{
	struct storage_message_text own = { NULL, NULL };
	if (text == NULL) {
		storage_message_text_extract(msg, &own);
		text = &own;
	}
	enum db_status status = sdb_exec(conn,
		is_sqlite(conn) ? "INSERT INTO message_text (rowid, headers, body) VALUES ($1, $2, $3)"
				: "INSERT INTO message_text (message_id, headers, body) "
				  "VALUES ($1, $2, $3)",
		DB_ARGS(DB_INT(message_id), DB_TEXT(text->headers), DB_TEXT(text->body)));
	storage_message_text_free(&own);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "index message text", error_r);
	return STORAGE_OK;
}

enum storage_result storage_fulltext_delete_txn(struct storage_conn *conn, int64_t message_id,
						const char **error_r)
{
	enum db_status status = sdb_exec(conn,
		is_sqlite(conn) ? "DELETE FROM message_text WHERE rowid = $1"
				: "DELETE FROM message_text WHERE message_id = $1",
		DB_ARGS(DB_INT(message_id)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "drop message text", error_r);
	return STORAGE_OK;
}

/* Characters (not bytes) of UTF-8 text. */
static size_t utf8_chars(const char *text)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

/* The FTS5 query: the needle as one quoted phrase ('"' doubled), for the
 * body column only or for every column. */
static char *fts5_query(const char *needle, bool body_only)
{
	struct buf out;
	buf_init(&out);
	if (body_only)
		buf_append_str(&out, "body : ");
	buf_append_byte(&out, '"');
	for (const char *p = needle; *p != '\0'; p++) {
		if (*p == '"')
			buf_append_byte(&out, '"');
		buf_append_byte(&out, (unsigned char)*p);
	}
	buf_append_byte(&out, '"');
	size_t len;
	return (char *)buf_steal(&out, &len);
}

/* The LIKE pattern: %needle% with \, % and _ escaped (backslash is
 * PostgreSQL's default LIKE escape). */
static char *like_pattern(const char *needle)
{
	struct buf out;
	buf_init(&out);
	buf_append_byte(&out, '%');
	for (const char *p = needle; *p != '\0'; p++) {
		if (*p == '\\' || *p == '%' || *p == '_')
			buf_append_byte(&out, '\\');
		buf_append_byte(&out, (unsigned char)*p);
	}
	buf_append_byte(&out, '%');
	size_t len;
	return (char *)buf_steal(&out, &len);
}

static enum db_status report_uids(struct storage_conn *conn, const char *sql,
				  const struct db_param *params, size_t count, bool unindexed,
				  storage_search_text_cb *cb, void *context)
{
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn, sql, params, count, &res);
	if (status != DB_OK)
		return status;
	while (sdb_next(conn, res))
		cb((uint32_t)sdb_get_int(conn, res, 0), unindexed, context);
	return sdb_finish(conn, &res);
}

enum storage_result storage_mail_search_text(struct storage_conn *conn, int64_t mailbox_id,
					     const char *needle, bool body_only,
					     storage_search_text_cb *cb, void *context,
					     const char **error_r)
{
	if (needle == NULL || strlen(needle) > STORAGE_SEARCH_TEXT_MAX ||
	    utf8_chars(needle) < STORAGE_SEARCH_TEXT_MIN)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "search text must be %d characters to %d bytes",
				    STORAGE_SEARCH_TEXT_MIN,
				    STORAGE_SEARCH_TEXT_MAX);
	bool sqlite = is_sqlite(conn);
	char *pattern = sqlite ? fts5_query(needle, body_only) : like_pattern(needle);
	const char *hits_sql;
	if (sqlite)
		hits_sql = "SELECT mm.uid FROM message_text t "
			   "JOIN mailbox_messages mm ON mm.message_id = t.rowid "
			   "WHERE message_text MATCH $2 AND mm.mailbox_id = $1 "
			   "ORDER BY mm.uid";
	else
		hits_sql = "SELECT mm.uid FROM message_text t "
			   "JOIN mailbox_messages mm ON mm.message_id = t.message_id "
			   "WHERE mm.mailbox_id = $1 "
			   "AND (t.body LIKE $2 OR ($3 = 0 AND t.headers LIKE $2)) "
			   "ORDER BY mm.uid";
	const char *unindexed_sql =
		sqlite ? "SELECT mm.uid FROM mailbox_messages mm WHERE mm.mailbox_id = $1 "
			 "AND NOT EXISTS (SELECT 1 FROM message_text t "
			 "WHERE t.rowid = mm.message_id) ORDER BY mm.uid"
		       : "SELECT mm.uid FROM mailbox_messages mm WHERE mm.mailbox_id = $1 "
			 "AND NOT EXISTS (SELECT 1 FROM message_text t "
			 "WHERE t.message_id = mm.message_id) ORDER BY mm.uid";

	enum storage_result result = storage_begin(conn, false, error_r);
	if (result != STORAGE_OK) {
		free(pattern);
		return result;
	}
	result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result == STORAGE_OK) {
		/* SQLite's query has the column in the pattern: no $3 */
		const struct db_param params[] = { DB_INT(mailbox_id), DB_TEXT(pattern),
						   DB_INT(body_only ? 1 : 0) };
		enum db_status status = report_uids(conn, hits_sql, params, sqlite ? 2 : 3,
						    false, cb, context);
		if (status == DB_OK)
			status = report_uids(conn, unindexed_sql, DB_ARGS(DB_INT(mailbox_id)), true,
					     cb, context);
		if (status != DB_OK)
			result = storage_db_fail(conn, status, "search message text", error_r);
	}
	free(pattern);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
