/* db-sqlite.c - the SQLite driver behind db.h (db_driver_sqlite).
 *
 * Opens the database in WAL mode with synchronous=FULL and foreign keys on,
 * binds PostgreSQL-style $N parameters by name, and keeps a per-connection
 * cache of prepared statements keyed by SQL text so hot statements are
 * prepared once. Maps busy/locked/I/O/full to DB_ERR_TEMP and constraint
 * failures to DB_ERR_CONSTRAINT.
 *
 * A connection is used by one thread at a time; this file never shares
 * state between connections and never builds SQL from data.
 */
#include "db.h"
#include "storage.h"
#include "xalloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slots in the statement cache (a power of two) and how many may be used. */
#define SQLITE_CACHE_SLOTS 512
#define SQLITE_CACHE_MAX 384
/* Highest $N a statement may use. */
#define SQLITE_PARAM_MAX 999

struct sqlite_stmt {
	char *sql;           /* the cache key; NULL for an uncached statement */
	uint32_t hash;
	sqlite3_stmt *stmt;
	int *param_map;      /* sqlite parameter index -> N of $N */
	int param_count;
	bool in_use;         /* a result is iterating it */
};

struct db_conn {
	sqlite3 *db;
	struct sqlite_stmt *cache; /* SQLITE_CACHE_SLOTS slots, open addressing */
	unsigned cache_used;
	char error[512];
};

struct db_result {
	struct db_conn *conn;
	struct sqlite_stmt *st;
	bool row_pending; /* the first row was stepped by query() */
	bool done;
	enum db_status status;
};

static uint32_t sql_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static enum db_status map_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DB_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_NOMEM:
	case SQLITE_PROTOCOL:
	case SQLITE_CANTOPEN:
	case SQLITE_INTERRUPT:
		return DB_ERR_TEMP;
	case SQLITE_CONSTRAINT:
		return DB_ERR_CONSTRAINT;
	default:
		return DB_ERR;
	}
}

static enum db_status conn_fail(struct db_conn *conn, int rc)
{
	snprintf(conn->error, sizeof(conn->error), "%s (%d)", sqlite3_errmsg(conn->db), rc);
	return map_code(rc);
}

static enum db_status conn_fail_text(struct db_conn *conn, enum db_status status, const char *text)
{
	snprintf(conn->error, sizeof(conn->error), "%s", text);
	return status;
}

static void stmt_free(struct sqlite_stmt *st)
{
	sqlite3_finalize(st->stmt);
	free(st->param_map);
	free(st->sql);
	memset(st, 0, sizeof(*st));
}

/* Prepare sql into st and map its parameter names ($1, $2...) to numbers. */
static enum db_status stmt_prepare(struct db_conn *conn, const char *sql, struct sqlite_stmt *st)
{
	memset(st, 0, sizeof(*st));
	int rc = sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmt, NULL);
	if (rc != SQLITE_OK)
		return conn_fail(conn, rc);
	if (st->stmt == NULL)
		return conn_fail_text(conn, DB_ERR, "empty statement");
	st->param_count = sqlite3_bind_parameter_count(st->stmt);
	st->param_map = xcalloc((size_t)st->param_count + 1, sizeof(int));
	for (int i = 1; i <= st->param_count; i++) {
		const char *name = sqlite3_bind_parameter_name(st->stmt, i);
		char *end;
		long n = name == NULL || name[0] != '$' ? 0 : strtol(name + 1, &end, 10);
		if (n <= 0 || n > SQLITE_PARAM_MAX || *end != '\0') {
			stmt_free(st);
			return conn_fail_text(conn, DB_ERR, "parameters must be written $1, $2 ...");
		}
		st->param_map[i] = (int)n;
	}
	return DB_OK;
}

/* The cached statement for sql, prepared on first use. When the cached one
 * is busy (a result iterates it) or the cache is full, *st_r is a fresh
 * uncached statement (sql NULL) freed after use. */
static enum db_status stmt_get(struct db_conn *conn, const char *sql, struct sqlite_stmt **st_r)
{
	uint32_t hash = sql_hash(sql);
	unsigned slot = hash & (SQLITE_CACHE_SLOTS - 1);
	struct sqlite_stmt *st = &conn->cache[slot];
	while (st->sql != NULL) {
		if (st->hash == hash && strcmp(st->sql, sql) == 0)
			break;
		slot = (slot + 1) & (SQLITE_CACHE_SLOTS - 1);
		st = &conn->cache[slot];
	}
	if (st->sql != NULL && !st->in_use) {
		*st_r = st;
		return DB_OK;
	}
	enum db_status status;
	if (st->sql == NULL && conn->cache_used < SQLITE_CACHE_MAX) {
		status = stmt_prepare(conn, sql, st);
		if (status != DB_OK)
			return status;
		st->sql = xstrdup(sql);
		st->hash = hash;
		conn->cache_used++;
		*st_r = st;
		return DB_OK;
	}
	st = xcalloc(1, sizeof(*st));
	status = stmt_prepare(conn, sql, st);
	if (status != DB_OK) {
		free(st);
		return status;
	}
	*st_r = st;
	return DB_OK;
}

/* Make st reusable; free it if it is not in the cache. */
static void stmt_release(struct sqlite_stmt *st)
{
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	st->in_use = false;
	if (st->sql == NULL) {
		stmt_free(st);
		free(st);
	}
}

static enum db_status stmt_bind(struct db_conn *conn, struct sqlite_stmt *st,
				const struct db_param *params, size_t param_count, bool copy)
{
	sqlite3_destructor_type how = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
	for (int i = 1; i <= st->param_count; i++) {
		int n = st->param_map[i];
		if ((size_t)n > param_count) {
			snprintf(conn->error, sizeof(conn->error),
				 "statement uses $%d but only %zu parameters given", n, param_count);
			return DB_ERR;
		}
		const struct db_param *p = &params[n - 1];
		int rc;
		switch (p->type) {
		case DB_PARAM_INT:
			rc = sqlite3_bind_int64(st->stmt, i, p->i);
			break;
		case DB_PARAM_TEXT:
			rc = sqlite3_bind_text64(st->stmt, i, p->p == NULL ? "" : p->p, p->len,
						 how, SQLITE_UTF8);
			break;
		case DB_PARAM_BLOB:
			/* a NULL pointer would bind SQL NULL, not an empty blob */
			rc = sqlite3_bind_blob64(st->stmt, i, p->p == NULL ? "" : p->p, p->len, how);
			break;
		default:
			rc = sqlite3_bind_null(st->stmt, i);
			break;
		}
		if (rc != SQLITE_OK)
			return conn_fail(conn, rc);
	}
	return DB_OK;
}

static enum db_status sqlite_connect(const struct storage_settings *set, struct db_conn **conn_r,
				     char *error, size_t errsize)
{
	static const char *const pragmas =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=FULL;"
		"PRAGMA foreign_keys=ON;"
		"PRAGMA cache_size=-16384;";
	*conn_r = NULL;
	if (set->sqlite_path == NULL || set->sqlite_path[0] == '\0') {
		snprintf(error, errsize, "sqlite_path is not set");
		return DB_ERR;
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(set->sqlite_path, &db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(error, errsize, "sqlite3_open(%s): %s", set->sqlite_path,
			 db == NULL ? sqlite3_errstr(rc) : sqlite3_errmsg(db));
		sqlite3_close(db);
		return map_code(rc) == DB_OK ? DB_ERR : map_code(rc);
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, (int)(set->busy_timeout_ms > 3600000 ? 3600000
					: set->busy_timeout_ms));
	char *msg = NULL;
	rc = sqlite3_exec(db, pragmas, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(error, errsize, "%s: %s", set->sqlite_path,
			 msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(db);
		return map_code(rc) == DB_OK ? DB_ERR : map_code(rc);
	}
	struct db_conn *conn = xcalloc(1, sizeof(*conn));
	conn->db = db;
	conn->cache = xcalloc(SQLITE_CACHE_SLOTS, sizeof(*conn->cache));
	*conn_r = conn;
	return DB_OK;
}

static void sqlite_disconnect(struct db_conn **connp)
{
	struct db_conn *conn = *connp;
	if (conn == NULL)
		return;
	*connp = NULL;
	for (unsigned i = 0; i < SQLITE_CACHE_SLOTS; i++) {
		if (conn->cache[i].sql != NULL)
			stmt_free(&conn->cache[i]);
	}
	free(conn->cache);
	sqlite3_close(conn->db);
	free(conn);
}

static enum db_status sqlite_query(struct db_conn *conn, const char *sql,
				   const struct db_param *params, size_t param_count,
				   struct db_result **result_r)
{
	struct sqlite_stmt *st;
	if (result_r != NULL)
		*result_r = NULL;
	enum db_status status = stmt_get(conn, sql, &st);
	if (status != DB_OK)
		return status;
	/* rows read after we return may re-read parameters: copy them then */
	status = stmt_bind(conn, st, params, param_count, result_r != NULL);
	if (status != DB_OK) {
		stmt_release(st);
		return status;
	}
	int rc = sqlite3_step(st->stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		status = conn_fail(conn, rc);
		stmt_release(st);
		return status == DB_OK ? DB_ERR : status;
	}
	if (result_r == NULL) {
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st->stmt);
		status = rc == SQLITE_DONE ? DB_OK : conn_fail(conn, rc);
		stmt_release(st);
		return status;
	}
	struct db_result *result = xcalloc(1, sizeof(*result));
	result->conn = conn;
	result->st = st;
	result->row_pending = rc == SQLITE_ROW;
	result->done = rc == SQLITE_DONE;
	st->in_use = true;
	*result_r = result;
	return DB_OK;
}

static enum db_status sqlite_exec_script(struct db_conn *conn, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(conn->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return DB_OK;
	snprintf(conn->error, sizeof(conn->error), "%s", msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return map_code(rc) == DB_OK ? DB_ERR : map_code(rc);
}

static bool sqlite_next(struct db_result *result)
{
	if (result->row_pending) {
		result->row_pending = false;
		return true;
	}
	if (result->done)
		return false;
	int rc = sqlite3_step(result->st->stmt);
	if (rc == SQLITE_ROW)
		return true;
	result->done = true;
	if (rc != SQLITE_DONE) {
		result->status = conn_fail(result->conn, rc);
		if (result->status == DB_OK)
			result->status = DB_ERR;
	}
	return false;
}

static enum db_status sqlite_result_status(struct db_result *result)
{
	return result->status;
}

static bool sqlite_is_null(struct db_result *result, unsigned col)
{
	return sqlite3_column_type(result->st->stmt, (int)col) == SQLITE_NULL;
}

static int64_t sqlite_get_int(struct db_result *result, unsigned col)
{
	return sqlite3_column_int64(result->st->stmt, (int)col);
}

static const char *sqlite_get_text(struct db_result *result, unsigned col)
{
	const unsigned char *text = sqlite3_column_text(result->st->stmt, (int)col);
	return text == NULL ? "" : (const char *)text;
}

static const unsigned char *sqlite_get_blob(struct db_result *result, unsigned col,
					    size_t *len_r)
{
	const void *p = sqlite3_column_blob(result->st->stmt, (int)col);
	int len = sqlite3_column_bytes(result->st->stmt, (int)col);
	*len_r = p == NULL || len < 0 ? 0 : (size_t)len;
	return p == NULL ? (const unsigned char *)"" : p;
}

static void sqlite_result_free(struct db_result **resultp)
{
	struct db_result *result = *resultp;
	if (result == NULL)
		return;
	*resultp = NULL;
	stmt_release(result->st);
	free(result);
}

static int64_t sqlite_changes(struct db_conn *conn)
{
	return sqlite3_changes64(conn->db);
}

static const char *sqlite_error(struct db_conn *conn)
{
	return conn->error[0] != '\0' ? conn->error : "no error";
}

static enum db_status sqlite_begin(struct db_conn *conn, bool write)
{
	return sqlite_query(conn, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, 0, NULL);
}

static enum db_status sqlite_commit(struct db_conn *conn)
{
	return sqlite_query(conn, "COMMIT", NULL, 0, NULL);
}

static enum db_status sqlite_rollback(struct db_conn *conn)
{
	/* an I/O error may already have rolled the transaction back */
	if (sqlite3_get_autocommit(conn->db))
		return DB_OK;
	return sqlite_query(conn, "ROLLBACK", NULL, 0, NULL);
}

const struct db_driver db_driver_sqlite = {
	.name = "sqlite",
	.connect = sqlite_connect,
	.disconnect = sqlite_disconnect,
	.query = sqlite_query,
	.exec_script = sqlite_exec_script,
	.next = sqlite_next,
	.result_status = sqlite_result_status,
	.is_null = sqlite_is_null,
	.get_int = sqlite_get_int,
	.get_text = sqlite_get_text,
	.get_blob = sqlite_get_blob,
	.result_free = sqlite_result_free,
	.changes = sqlite_changes,
	.error = sqlite_error,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
};
