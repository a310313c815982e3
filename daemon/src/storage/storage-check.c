/* storage-check.c - integrity check and repair (tandemctl check): dangling
 * references, sizes, reference counts, orphans, uid/uidnext and modseq
 * sanity (expunge records included), duplicate uids, users' usage,
 * full-text index rows of messages that are gone.
 *
 * A table of checks, each a query that returns one row per problem and the
 * repair for such a row. Runs in one transaction (read for a check, write
 * for a repair, so repairs happen all together or not at all). The order of
 * the table matters: later checks recount what earlier repairs changed.
 * Never repairs by guessing user data: lost bytes stay lost, and say so.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_COLUMNS_MAX 5

struct check {
	const char *find;       /* one row of ncols integers per problem */
	unsigned ncols;
	const char *report;     /* printf format over the columns (long long) */
	const char *repair;     /* SQL with $1..$repair_params = the first columns */
	unsigned repair_params;
	/* or a function, when the repair depends on the row */
	enum storage_result (*repair_fn)(struct storage_conn *conn, const int64_t *v,
					 const char **error_r);
};

static enum storage_result repair_exec(struct storage_conn *conn, const char *sql,
				       const struct db_param *params, size_t count,
				       const char **error_r)
{
	enum db_status status = sdb_exec(conn, sql, params, count);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "repair", error_r);
	return STORAGE_OK;
}

/* A segment whose part is gone: its bytes are lost; keep the message
 * readable with an empty literal (the size checks then follow). */
static enum storage_result repair_lost_part(struct storage_conn *conn, const int64_t *v,
					    const char **error_r)
{
	return repair_exec(conn, "UPDATE message_segments SET part_id = NULL, literal = $3 "
			   "WHERE message_id = $1 AND seq = $2",
			   DB_ARGS(DB_INT(v[0]), DB_INT(v[1]), DB_BLOB("", 0)), error_r);
}

static enum storage_result repair_message_refcount(struct storage_conn *conn, const int64_t *v,
						   const char **error_r)
{
	if (v[1] == 0)
		return storage_message_delete_txn(conn, v[0], error_r);
	return repair_exec(conn, "UPDATE messages SET refcount = $2 WHERE id = $1",
			   DB_ARGS(DB_INT(v[0]), DB_INT(v[1])), error_r);
}

static enum storage_result repair_part_refcount(struct storage_conn *conn, const int64_t *v,
						const char **error_r)
{
	if (v[1] == 0)
		return repair_exec(conn, "DELETE FROM mime_parts WHERE id = $1",
				   DB_ARGS(DB_INT(v[0])), error_r);
	return repair_exec(conn, "UPDATE mime_parts SET refcount = $2 WHERE id = $1",
			   DB_ARGS(DB_INT(v[0]), DB_INT(v[1])), error_r);
}

/* Every copy of a duplicated uid but the first gets a new uid. */
static enum storage_result repair_duplicate_uid(struct storage_conn *conn, const int64_t *v,
						const char **error_r)
{
	struct db_result *res = NULL;
	int64_t *ids = NULL;
	size_t count = 0;
	enum db_status status = sdb_query(conn,
		"SELECT id FROM mailbox_messages WHERE mailbox_id = $1 AND uid = $2 ORDER BY id",
		DB_ARGS(DB_INT(v[0]), DB_INT(v[1])), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "repair", error_r);
	while (sdb_next(conn, res)) {
		ids = xrealloc(ids, (count + 1) * sizeof(*ids));
		ids[count++] = sdb_get_int(conn, res, 0);
	}
	status = sdb_finish(conn, &res);
	for (size_t i = 1; status == DB_OK && i < count; i++) {
		int64_t uid;
		bool found;
		status = sdb_int(conn, "UPDATE mailboxes SET uidnext = uidnext + 1, "
				 "highestmodseq = highestmodseq + 1 WHERE id = $1 RETURNING uidnext",
				 DB_ARGS(DB_INT(v[0])), &uid, &found);
		if (status == DB_OK)
			status = sdb_exec(conn, "UPDATE mailbox_messages SET uid = $2, modseq = "
					  "(SELECT highestmodseq FROM mailboxes WHERE id = $3) "
					  "WHERE id = $1",
					  DB_ARGS(DB_INT(ids[i]), DB_INT(uid - 1), DB_INT(v[0])));
	}
	free(ids);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "repair", error_r);
	return STORAGE_OK;
}

static const struct check checks[] = {
	{ "SELECT s.message_id, s.seq FROM message_segments s "
	  "WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = s.message_id)", 2,
	  "segment %lld/%lld belongs to no message",
	  "DELETE FROM message_segments WHERE message_id = $1 AND seq = $2", 2, NULL },
	{ "SELECT s.message_id, s.seq, s.part_id FROM message_segments s "
	  "WHERE s.part_id IS NOT NULL "
	  "AND NOT EXISTS (SELECT 1 FROM mime_parts p WHERE p.id = s.part_id)", 3,
	  "segment %lld/%lld points to missing part %lld (its bytes are lost)",
	  NULL, 0, repair_lost_part },
	{ "SELECT h.message_id, h.position FROM header_fields h "
	  "WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = h.message_id)", 2,
	  "header field %lld/%lld belongs to no message",
	  "DELETE FROM header_fields WHERE message_id = $1 AND position = $2", 2, NULL },
	{ "SELECT mm.id, mm.mailbox_id, mm.uid FROM mailbox_messages mm "
	  "WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = mm.message_id)", 3,
	  "mail %lld (mailbox %lld uid %lld) points to a missing message",
	  "DELETE FROM mailbox_messages WHERE id = $1", 1, NULL },
	{ "SELECT mm.id, mm.mailbox_id, mm.uid FROM mailbox_messages mm "
	  "WHERE NOT EXISTS (SELECT 1 FROM mailboxes b WHERE b.id = mm.mailbox_id)", 3,
	  "mail %lld (mailbox %lld uid %lld) is in a missing mailbox",
	  "DELETE FROM mailbox_messages WHERE id = $1", 1, NULL },
	{ "SELECT m.id, COALESCE(x.n, 0), m.size FROM messages m LEFT JOIN "
	  "(SELECT s.message_id AS message_id, CAST(SUM(CASE WHEN s.part_id IS NULL "
	  "  THEN length(s.literal) ELSE p.size END) AS BIGINT) AS n "
	  " FROM message_segments s LEFT JOIN mime_parts p ON p.id = s.part_id "
	  " GROUP BY s.message_id) x ON x.message_id = m.id "
	  "WHERE m.size <> COALESCE(x.n, 0)", 3,
	  "message %lld has %lld bytes of segments but size %lld",
	  "UPDATE messages SET size = $2 WHERE id = $1", 2, NULL },
	{ "SELECT mm.id, COALESCE(length(mm.trace), 0) + m.size, mm.size "
	  "FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id "
	  "WHERE mm.size <> COALESCE(length(mm.trace), 0) + m.size", 3,
	  "mail %lld has %lld bytes but size %lld",
	  "UPDATE mailbox_messages SET size = $2 WHERE id = $1", 2, NULL },
	{ "SELECT id, n, refcount FROM (SELECT m.id AS id, m.refcount AS refcount, "
	  " (SELECT COUNT(*) FROM mailbox_messages mm WHERE mm.message_id = m.id) AS n "
	  " FROM messages m) x WHERE n <> refcount OR n = 0", 3,
	  "message %lld is in %lld mailboxes but has refcount %lld",
	  NULL, 0, repair_message_refcount },
	{ "SELECT id, n, refcount FROM (SELECT p.id AS id, p.refcount AS refcount, "
	  " (SELECT COUNT(*) FROM message_segments s WHERE s.part_id = p.id) AS n "
	  " FROM mime_parts p) x WHERE n <> refcount OR n = 0", 3,
	  "part %lld is used by %lld segments but has refcount %lld",
	  NULL, 0, repair_part_refcount },
	{ "SELECT b.id, MAX(mm.uid) + 1, b.uidnext FROM mailboxes b "
	  "JOIN mailbox_messages mm ON mm.mailbox_id = b.id "
	  "GROUP BY b.id, b.uidnext HAVING MAX(mm.uid) >= b.uidnext", 3,
	  "mailbox %lld needs uidnext %lld but has %lld",
	  "UPDATE mailboxes SET uidnext = $2 WHERE id = $1", 2, NULL },
	/* an expunged uid must never be given out again (QRESYNC clients
	 * would take the new message for the vanished one) */
	{ "SELECT b.id, MAX(e.uid) + 1, b.uidnext FROM mailboxes b "
	  "JOIN expunged_uids e ON e.mailbox_id = b.id "
	  "GROUP BY b.id, b.uidnext HAVING MAX(e.uid) >= b.uidnext", 3,
	  "mailbox %lld needs uidnext %lld after its expunged uids but has %lld",
	  "UPDATE mailboxes SET uidnext = $2 WHERE id = $1", 2, NULL },
	{ "SELECT mailbox_id, uid, COUNT(*) FROM mailbox_messages "
	  "GROUP BY mailbox_id, uid HAVING COUNT(*) > 1", 3,
	  "mailbox %lld has uid %lld %lld times",
	  NULL, 0, repair_duplicate_uid },
	{ "SELECT b.id, MAX(mm.modseq), b.highestmodseq FROM mailboxes b "
	  "JOIN mailbox_messages mm ON mm.mailbox_id = b.id "
	  "GROUP BY b.id, b.highestmodseq HAVING MAX(mm.modseq) > b.highestmodseq", 3,
	  "mailbox %lld has modseq %lld above its highestmodseq %lld",
	  "UPDATE mailboxes SET highestmodseq = $2 WHERE id = $1", 2, NULL },
	{ "SELECT b.id, MAX(e.modseq), b.highestmodseq FROM mailboxes b "
	  "JOIN expunged_uids e ON e.mailbox_id = b.id "
	  "GROUP BY b.id, b.highestmodseq HAVING MAX(e.modseq) > b.highestmodseq", 3,
	  "mailbox %lld has an expunge at modseq %lld above its highestmodseq %lld",
	  "UPDATE mailboxes SET highestmodseq = $2 WHERE id = $1", 2, NULL },
	{ "SELECT u.id, COALESCE(s.b, 0), COALESCE(s.n, 0), u.used_bytes, u.used_messages "
	  "FROM users u LEFT JOIN "
	  "(SELECT b.user_id AS user_id, CAST(SUM(mm.size) AS BIGINT) AS b, COUNT(*) AS n "
	  " FROM mailbox_messages mm JOIN mailboxes b ON b.id = mm.mailbox_id "
	  " GROUP BY b.user_id) s ON s.user_id = u.id "
	  "WHERE u.used_bytes <> COALESCE(s.b, 0) OR u.used_messages <> COALESCE(s.n, 0)", 5,
	  "user %lld holds %lld bytes in %lld messages but counts %lld bytes in %lld",
	  "UPDATE users SET used_bytes = $2, used_messages = $3 WHERE id = $1", 3, NULL },
};

/* Last, after the refcount repairs (which delete messages): a full-text
 * index row left behind by its message (SQLite's FTS5 table has no foreign
 * key) would give a reused message id another message's text. One per
 * driver: SQLite's row is keyed by rowid. */
static const struct check index_check_pgsql = {
	"SELECT t.message_id FROM message_text t "
	"WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = t.message_id)", 1,
	"full-text index row %lld belongs to no message",
	"DELETE FROM message_text WHERE message_id = $1", 1, NULL
};
static const struct check index_check_sqlite = {
	"SELECT t.rowid FROM message_text t "
	"WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = t.rowid)", 1,
	"full-text index row %lld belongs to no message",
	"DELETE FROM message_text WHERE rowid = $1", 1, NULL
};

/* Find the problems of one check: *rows_r holds count rows of ncols. */
static enum storage_result check_find(struct storage_conn *conn, const struct check *check,
				      int64_t **rows_r, size_t *count_r, const char **error_r)
{
	struct db_result *res = NULL;
	size_t alloc = 0;
	*rows_r = NULL;
	*count_r = 0;
	enum db_status status = sdb_query(conn, check->find, DB_NOARGS, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "check", error_r);
	while (sdb_next(conn, res)) {
		if (*count_r == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			*rows_r = xrealloc(*rows_r, alloc * CHECK_COLUMNS_MAX * sizeof(int64_t));
		}
		int64_t *v = *rows_r + *count_r * CHECK_COLUMNS_MAX;
		for (unsigned c = 0; c < CHECK_COLUMNS_MAX; c++)
			v[c] = c < check->ncols ? sdb_get_int(conn, res, c) : 0;
		(*count_r)++;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		free(*rows_r);
		*rows_r = NULL;
		return storage_db_fail(conn, status, "check", error_r);
	}
	return STORAGE_OK;
}

static enum storage_result check_repair(struct storage_conn *conn, const struct check *check,
					const int64_t *v, const char **error_r)
{
	if (check->repair_fn != NULL)
		return check->repair_fn(conn, v, error_r);
	struct db_param params[CHECK_COLUMNS_MAX];
	for (unsigned i = 0; i < check->repair_params; i++)
		params[i] = DB_INT(v[i]);
	return repair_exec(conn, check->repair, params, check->repair_params, error_r);
}

static enum storage_result check_all(struct storage_conn *conn, bool repair,
				     storage_report_cb *cb, void *context, unsigned *problems_r,
				     const char **error_r)
{
	char text[256];
	const size_t table_count = sizeof(checks) / sizeof(checks[0]);
	for (size_t i = 0; i <= table_count; i++) {
		const struct check *check = i < table_count ? &checks[i]
				: strcmp(conn->db->name, "sqlite") == 0 ? &index_check_sqlite
									 : &index_check_pgsql;
		int64_t *rows;
		size_t count;
		enum storage_result result = check_find(conn, check, &rows, &count, error_r);
		if (result != STORAGE_OK)
			return result;
		for (size_t r = 0; result == STORAGE_OK && r < count; r++) {
			const int64_t *v = rows + r * CHECK_COLUMNS_MAX;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(text, sizeof(text), check->report, (long long)v[0],
				 (long long)v[1], (long long)v[2], (long long)v[3], (long long)v[4]);
#pragma GCC diagnostic pop
			(*problems_r)++;
			if (cb != NULL)
				cb(text, context);
			if (repair)
				result = check_repair(conn, check, v, error_r);
		}
		free(rows);
		if (result != STORAGE_OK)
			return result;
	}
	return STORAGE_OK;
}

enum storage_result storage_check(struct storage_conn *conn, bool repair, storage_report_cb *cb,
				  void *context, unsigned *problems_r, const char **error_r)
{
	*problems_r = 0;
	enum storage_result result = storage_begin(conn, repair, error_r);
	if (result != STORAGE_OK)
		return result;
	result = check_all(conn, repair, cb, context, problems_r, error_r);
	if (result != STORAGE_OK || !repair) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
