/* db-pgsql.c - the PostgreSQL driver under the storage engine (libpq).
 *
 * Fills struct db_driver (db.h) for database_driver=pgsql. Statements run
 * with PQexecParams: integers go as text typed int8, text typed text, blobs
 * in binary typed bytea; results come back in text format and bytea columns
 * are unescaped on demand. Results are fetched whole (libpq buffers them).
 *
 * Semantics kept close to SQLite's, so the storage engine's SQL behaves the
 * same on both:
 *  - begin(write) takes one database-wide advisory lock at once, like
 *    SQLite's BEGIN IMMEDIATE: write transactions run one at a time and a
 *    writer never fails half way on a serialization conflict; waiting for it
 *    is bounded by busy_timeout_ms (lock_timeout), which gives DB_ERR_TEMP.
 *  - begin(read) is REPEATABLE READ: one snapshot, like a SQLite read
 *    transaction.
 *  - synchronous_commit stays at the server default (on: durable).
 *
 * A connection that broke is reset on the next call, and a statement
 * outside a transaction that fails because the connection is gone (e.g.
 * PostgreSQL restarted since the last call) resets it and runs again, once;
 * inside a transaction neither happens (that would silently run the rest of
 * the transaction in autocommit): every call fails with DB_ERR_TEMP until
 * rollback().
 *
 * Must never build SQL from data (only bound parameters carry it), never
 * print (server notices go to the debug log), and keeps no state outside
 * struct db_conn.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "storage.h"
#include "xalloc.h"

/* Type OIDs from PostgreSQL's catalog/pg_type.h (fixed for all versions). */
#define PGSQL_BYTEAOID 17
#define PGSQL_INT8OID 20
#define PGSQL_TEXTOID 25

/* The protocol's limit on parameters per statement. */
#define PGSQL_PARAMS_MAX 65535
#define PGSQL_ERROR_MAX 512
/* Seconds to wait for a connection to be set up (the URI may override). */
#define PGSQL_CONNECT_TIMEOUT "10"
/* pg_advisory_xact_lock key every write transaction takes ("TANDEM"). */
#define PGSQL_WRITE_LOCK_KEY INT64_C(0x54414e44454d)

struct db_conn {
	PGconn *pg;
	unsigned lock_timeout_ms;  /* how long begin(write) waits for the write lock */
	bool in_transaction;       /* between a successful begin and commit/rollback */
	bool lost_in_transaction;  /* the connection broke inside it: fail until rollback */
	int64_t changes;           /* rows changed by the last INSERT/UPDATE/DELETE */
	char error[PGSQL_ERROR_MAX];
};

struct db_result {
	PGresult *res;
	int row_count;
	int field_count;
	int row;               /* current row; -1 before the first next() */
	unsigned char **blobs; /* per column: unescaped bytea of the current row */
	size_t *blob_lens;
};

/* ---- errors ---- */

struct pgsql_state_map {
	const char *prefix; /* SQLSTATE or its class (first two characters) */
	enum db_status status;
};

/* Checked in order; anything not listed is DB_ERR. */
static const struct pgsql_state_map pgsql_state_map[] = {
	{ "23", DB_ERR_CONSTRAINT },  /* integrity constraint violation */
	{ "08", DB_ERR_TEMP },        /* connection exception */
	{ "53", DB_ERR_TEMP },        /* insufficient resources: disk full, out of memory, too many connections */
	{ "40001", DB_ERR_TEMP },     /* serialization failure */
	{ "40P01", DB_ERR_TEMP },     /* deadlock detected */
	{ "55P03", DB_ERR_TEMP },     /* lock not available (lock_timeout) */
	{ "57014", DB_ERR_TEMP },     /* query canceled (statement_timeout) */
	{ "57P01", DB_ERR_TEMP },     /* admin shutdown */
	{ "57P02", DB_ERR_TEMP },     /* crash shutdown */
	{ "57P03", DB_ERR_TEMP },     /* cannot connect now (starting up) */
	{ "57P04", DB_ERR_TEMP },     /* database dropped */
	{ "58030", DB_ERR_TEMP },     /* I/O error */
};

/* The driver status for a SQLSTATE (NULL: none known). Not static only so
 * test-db-pgsql.c can check the table without a server. */
enum db_status db_pgsql_sqlstate_status(const char *sqlstate);
enum db_status db_pgsql_sqlstate_status(const char *sqlstate)
{
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return DB_ERR;
	for (size_t i = 0; i < sizeof(pgsql_state_map) / sizeof(pgsql_state_map[0]); i++) {
		const char *prefix = pgsql_state_map[i].prefix;
		if (strncmp(sqlstate, prefix, strlen(prefix)) == 0)
			return pgsql_state_map[i].status;
	}
	return DB_ERR;
}

static void pgsql_set_error(struct db_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void pgsql_set_error(struct db_conn *conn, const char *fmt, ...)
{
	char raw[PGSQL_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n' || raw[i] == '\t')
			raw[i] = ' ';
	}
	/* server messages may quote data: keep the log line printable */
	log_printable(raw, len, conn->error, sizeof(conn->error));
}

/* libpq's own message for the connection, without "ERROR:  " noise. */
static const char *pgsql_conn_message(const struct db_conn *conn)
{
	const char *msg = PQerrorMessage(conn->pg);
	return msg == NULL || msg[0] == '\0' ? "unknown error" : msg;
}

/* Record a failed result's error and map it to a status. res may be NULL
 * (libpq could not even build a result: out of memory or connection gone). */
static enum db_status pgsql_fail(struct db_conn *conn, const PGresult *res)
{
	const char *state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	const char *whole = res == NULL ? NULL : PQresultErrorMessage(res);

	if (primary != NULL)
		pgsql_set_error(conn, "%s (sqlstate %s)", primary, state != NULL ? state : "none");
	else if (whole != NULL && whole[0] != '\0')
		pgsql_set_error(conn, "%s", whole);
	else
		pgsql_set_error(conn, "%s", pgsql_conn_message(conn));
	if (state != NULL)
		return db_pgsql_sqlstate_status(state);
	/* no SQLSTATE: the client side failed, usually the connection */
	return PQstatus(conn->pg) != CONNECTION_OK || res == NULL ? DB_ERR_TEMP : DB_ERR;
}

static void pgsql_notice(void *context, const char *message)
{
	(void)context;
	char text[PGSQL_ERROR_MAX];
	size_t len = strlen(message);
	while (len > 0 && message[len - 1] == '\n')
		len--;
	log_debug(NULL, "pgsql", "notice", "text=%s", log_printable(message, len, text, sizeof(text)));
}

/* ---- connections ---- */

static enum db_status pgsql_connect(const struct storage_settings *set, struct db_conn **conn_r,
				    char *error, size_t errsize)
{
	*conn_r = NULL;
	const char *uri = set->pgsql_uri;
	if (uri == NULL || uri[0] == '\0') {
		snprintf(error, errsize, "pgsql_uri is not set");
		return DB_ERR;
	}
	/* a malformed URI is permanent; a server that does not answer is not */
	char *parse_error = NULL;
	PQconninfoOption *options = PQconninfoParse(uri, &parse_error);
	if (options == NULL) {
		const char *msg = parse_error != NULL ? parse_error : "out of memory";
		snprintf(error, errsize, "bad pgsql_uri: %.*s", (int)strcspn(msg, "\n"), msg);
		PQfreemem(parse_error);
		return DB_ERR;
	}
	PQconninfoFree(options);

	/* the URI (expanded from dbname) overrides the keywords before it;
	 * the ones after it are ours */
	const char *const keywords[] = { "connect_timeout", "fallback_application_name", "dbname",
					 "client_encoding", NULL };
	const char *const values[] = { PGSQL_CONNECT_TIMEOUT, "tandem", uri, "UTF8", NULL };
	PGconn *pg = PQconnectdbParams(keywords, values, 1);
	if (pg == NULL)
		fatal("out of memory creating a PostgreSQL connection");
	if (PQstatus(pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(pg);
		size_t len = strlen(msg);
		while (len > 0 && msg[len - 1] == '\n')
			len--;
		snprintf(error, errsize, "cannot connect to PostgreSQL: %.*s", (int)len, msg);
		PQfinish(pg);
		return DB_ERR_TEMP;
	}
	PQsetNoticeProcessor(pg, pgsql_notice, NULL);

	struct db_conn *conn = xcalloc(1, sizeof(*conn));
	conn->pg = pg;
	/* busy_timeout_ms 0 means "do not wait" for SQLite, but lock_timeout 0
	 * would wait forever; lock_timeout takes at most INT_MAX ms */
	conn->lock_timeout_ms = set->busy_timeout_ms == 0 ? 1
				: set->busy_timeout_ms > INT_MAX ? INT_MAX
				: set->busy_timeout_ms;
	*conn_r = conn;
	return DB_OK;
}

static void pgsql_disconnect(struct db_conn **connp)
{
	struct db_conn *conn = *connp;
	if (conn == NULL)
		return;
	*connp = NULL;
	PQfinish(conn->pg);
	free(conn);
}

/* Before each call: make sure the connection is usable, resetting a broken
 * one once (but never inside a transaction). */
static enum db_status pgsql_ready(struct db_conn *conn)
{
	if (conn->lost_in_transaction) {
		pgsql_set_error(conn, "connection to PostgreSQL lost inside a transaction; roll it back");
		return DB_ERR_TEMP;
	}
	if (PQstatus(conn->pg) == CONNECTION_OK)
		return DB_OK;
	if (conn->in_transaction) {
		conn->lost_in_transaction = true;
		pgsql_set_error(conn, "connection to PostgreSQL lost inside a transaction: %s",
				pgsql_conn_message(conn));
		return DB_ERR_TEMP;
	}
	PQreset(conn->pg);
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		pgsql_set_error(conn, "cannot reconnect to PostgreSQL: %s", pgsql_conn_message(conn));
		return DB_ERR_TEMP;
	}
	return DB_OK;
}

/* A statement failed with res (NULL or an error): when that was because the
 * connection is gone (e.g. PostgreSQL restarted since the last call) and
 * no transaction is open on it, reset it and say the statement should run
 * again, once. Inside a transaction the caller's work is lost with the
 * connection: the caller sees the error and retries itself. */
static bool pgsql_reset_for_retry(struct db_conn *conn, const PGresult *res)
{
	if (conn->in_transaction || PQstatus(conn->pg) != CONNECTION_BAD)
		return false;
	if (res != NULL) {
		ExecStatusType rs = PQresultStatus(res);
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK || rs == PGRES_EMPTY_QUERY)
			return false;
	}
	PQreset(conn->pg);
	return PQstatus(conn->pg) == CONNECTION_OK;
}

/* ---- statements ---- */

static bool pgsql_tag_is(const char *tag, const char *word)
{
	size_t len = strlen(word);
	return strncmp(tag, word, len) == 0 && (tag[len] == ' ' || tag[len] == '\0');
}

/* Take a finished result: record changes, hand rows out or free it. */
static enum db_status pgsql_finish(struct db_conn *conn, PGresult *res, struct db_result **result_r)
{
	if (res == NULL)
		return pgsql_fail(conn, NULL);
	ExecStatusType rs = PQresultStatus(res);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && rs != PGRES_EMPTY_QUERY) {
		/* an error (COPY, the other kind, is never used by the storage engine) */
		enum db_status status = pgsql_fail(conn, res);
		PQclear(res);
		return status;
	}

	const char *tag = PQcmdStatus(res);
	if (pgsql_tag_is(tag, "INSERT") || pgsql_tag_is(tag, "UPDATE") ||
	    pgsql_tag_is(tag, "DELETE") || pgsql_tag_is(tag, "MERGE"))
		conn->changes = strtoll(PQcmdTuples(res), NULL, 10);

	if (result_r == NULL) {
		PQclear(res);
		return DB_OK;
	}
	/* also for statements without rows: an empty result to iterate */
	struct db_result *result = xcalloc(1, sizeof(*result));
	result->res = res;
	result->row_count = PQntuples(res);
	result->field_count = PQnfields(res);
	result->row = -1;
	*result_r = result;
	return DB_OK;
}

/* Parameters in the form PQexecParams wants. */
struct pgsql_params {
	Oid *types;
	const char **values;
	int *lengths;
	int *formats;
	char (*ints)[24]; /* decimal text of DB_PARAM_INT values */
	char **texts;     /* NUL-terminated copies of DB_PARAM_TEXT values */
};

static void pgsql_params_free(struct pgsql_params *pp, size_t count)
{
	if (pp->texts != NULL) {
		for (size_t i = 0; i < count; i++)
			free(pp->texts[i]);
	}
	free(pp->types);
	free(pp->values);
	free(pp->lengths);
	free(pp->formats);
	free(pp->ints);
	free(pp->texts);
}

static enum db_status pgsql_params_build(struct db_conn *conn, const struct db_param *params,
					 size_t count, struct pgsql_params *pp)
{
	pp->types = xcalloc(count, sizeof(*pp->types));
	pp->values = xcalloc(count, sizeof(*pp->values));
	pp->lengths = xcalloc(count, sizeof(*pp->lengths));
	pp->formats = xcalloc(count, sizeof(*pp->formats));
	pp->ints = xcalloc(count, sizeof(*pp->ints));
	pp->texts = xcalloc(count, sizeof(*pp->texts));
	for (size_t i = 0; i < count; i++) {
		const struct db_param *p = &params[i];
		switch (p->type) {
		case DB_PARAM_NULL:
			pp->types[i] = 0; /* unknown: the server infers it */
			break;
		case DB_PARAM_INT:
			snprintf(pp->ints[i], sizeof(pp->ints[i]), "%" PRId64, p->i);
			pp->types[i] = PGSQL_INT8OID;
			pp->values[i] = pp->ints[i];
			break;
		case DB_PARAM_TEXT:
			pp->types[i] = PGSQL_TEXTOID;
			if (p->p == NULL) {
				pp->values[i] = ""; /* empty, as db-sqlite.c binds it */
				break;
			}
			if (memchr(p->p, '\0', p->len) != NULL) {
				pgsql_set_error(conn, "text parameter $%zu contains a NUL byte", i + 1);
				return DB_ERR;
			}
			pp->texts[i] = xstrndup(p->p, p->len);
			pp->values[i] = pp->texts[i];
			break;
		case DB_PARAM_BLOB:
			pp->types[i] = PGSQL_BYTEAOID;
			pp->formats[i] = 1; /* binary: the bytes as they are */
			if (p->p == NULL) {
				pp->values[i] = ""; /* empty, as db-sqlite.c binds it */
				break;
			}
			if (p->len > INT_MAX) {
				pgsql_set_error(conn, "blob parameter $%zu is too long (%zu bytes)", i + 1, p->len);
				return DB_ERR;
			}
			pp->values[i] = p->p;
			pp->lengths[i] = (int)p->len;
			break;
		default:
			pgsql_set_error(conn, "parameter $%zu has unknown type %d", i + 1, (int)p->type);
			return DB_ERR;
		}
	}
	return DB_OK;
}

static enum db_status pgsql_query(struct db_conn *conn, const char *sql,
				  const struct db_param *params, size_t param_count,
				  struct db_result **result_r)
{
	if (result_r != NULL)
		*result_r = NULL;
	enum db_status status = pgsql_ready(conn);
	if (status != DB_OK)
		return status;
	if (param_count > PGSQL_PARAMS_MAX) {
		pgsql_set_error(conn, "too many parameters (%zu, at most %d)", param_count,
				PGSQL_PARAMS_MAX);
		return DB_ERR;
	}
	struct pgsql_params pp = { 0 };
	status = pgsql_params_build(conn, params, param_count, &pp);
	if (status != DB_OK) {
		pgsql_params_free(&pp, param_count);
		return status;
	}
	PGresult *res = PQexecParams(conn->pg, sql, (int)param_count, pp.types, pp.values,
				     pp.lengths, pp.formats, 0);
	if (pgsql_reset_for_retry(conn, res)) {
		PQclear(res);
		res = PQexecParams(conn->pg, sql, (int)param_count, pp.types, pp.values,
				   pp.lengths, pp.formats, 0);
	}
	pgsql_params_free(&pp, param_count);
	return pgsql_finish(conn, res, result_r);
}

static enum db_status pgsql_exec_script(struct db_conn *conn, const char *sql)
{
	enum db_status status = pgsql_ready(conn);
	if (status != DB_OK)
		return status;
	PGresult *res = PQexec(conn->pg, sql);
	if (pgsql_reset_for_retry(conn, res)) {
		PQclear(res);
		res = PQexec(conn->pg, sql);
	}
	return pgsql_finish(conn, res, NULL);
}

/* ---- results ---- */

static void pgsql_result_clear_row(struct db_result *result)
{
	if (result->blobs == NULL)
		return;
	for (int i = 0; i < result->field_count; i++) {
		if (result->blobs[i] != NULL) {
			PQfreemem(result->blobs[i]);
			result->blobs[i] = NULL;
		}
	}
}

static bool pgsql_next(struct db_result *result)
{
	pgsql_result_clear_row(result);
	if (result->row < result->row_count)
		result->row++;
	return result->row < result->row_count;
}

static enum db_status pgsql_result_status(struct db_result *result)
{
	(void)result;
	return DB_OK; /* rows arrive whole with the result: iterating cannot fail */
}

/* Is there a value at (current row, col)? */
static bool pgsql_valid(const struct db_result *result, unsigned col)
{
	return result->row >= 0 && result->row < result->row_count &&
	       col < (unsigned)result->field_count;
}

static bool pgsql_is_null(struct db_result *result, unsigned col)
{
	return !pgsql_valid(result, col) || PQgetisnull(result->res, result->row, (int)col);
}

static int64_t pgsql_get_int(struct db_result *result, unsigned col)
{
	if (pgsql_is_null(result, col))
		return 0;
	const char *value = PQgetvalue(result->res, result->row, (int)col);
	if (strcmp(value, "t") == 0) /* boolean, e.g. EXISTS (...) */
		return 1;
	if (strcmp(value, "f") == 0)
		return 0;
	return strtoll(value, NULL, 10);
}

/* NULL reads as "" (and a blob's as 0 bytes), as in db-sqlite.c */
static const char *pgsql_get_text(struct db_result *result, unsigned col)
{
	if (pgsql_is_null(result, col))
		return "";
	return PQgetvalue(result->res, result->row, (int)col);
}

static const unsigned char *pgsql_get_blob(struct db_result *result, unsigned col, size_t *len_r)
{
	*len_r = 0;
	if (pgsql_is_null(result, col))
		return (const unsigned char *)"";
	const char *value = PQgetvalue(result->res, result->row, (int)col);
	if (PQftype(result->res, (int)col) != PGSQL_BYTEAOID) {
		/* text and the like: their bytes, as SQLite gives them */
		*len_r = (size_t)PQgetlength(result->res, result->row, (int)col);
		return (const unsigned char *)value;
	}
	if (result->blobs == NULL) {
		result->blobs = xcalloc((size_t)result->field_count, sizeof(*result->blobs));
		result->blob_lens = xcalloc((size_t)result->field_count, sizeof(*result->blob_lens));
	}
	if (result->blobs[col] == NULL) {
		size_t len = 0;
		result->blobs[col] = PQunescapeBytea((const unsigned char *)value, &len);
		if (result->blobs[col] == NULL)
			fatal("out of memory decoding a bytea value");
		result->blob_lens[col] = len;
	}
	*len_r = result->blob_lens[col];
	return result->blobs[col];
}

static void pgsql_result_free(struct db_result **resultp)
{
	struct db_result *result = *resultp;
	if (result == NULL)
		return;
	*resultp = NULL;
	pgsql_result_clear_row(result);
	free(result->blobs);
	free(result->blob_lens);
	PQclear(result->res);
	free(result);
}

static int64_t pgsql_changes(struct db_conn *conn)
{
	return conn->changes;
}

static const char *pgsql_error(struct db_conn *conn)
{
	return conn->error[0] != '\0' ? conn->error : "no error";
}

/* ---- transactions ---- */

/* Leave a transaction that failed to start or finish. */
static void pgsql_abandon(struct db_conn *conn)
{
	PGTransactionStatusType ts = PQtransactionStatus(conn->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(conn->pg, "ROLLBACK"));
	conn->in_transaction = false;
	conn->lost_in_transaction = false;
}

static enum db_status pgsql_begin(struct db_conn *conn, bool write)
{
	if (conn->in_transaction) {
		pgsql_set_error(conn, "begin inside a transaction");
		return DB_ERR;
	}
	enum db_status status = pgsql_ready(conn);
	if (status != DB_OK)
		return status;
	/* Only numbers of ours go into this text, never data. */
	char sql[160];
	if (write) {
		snprintf(sql, sizeof(sql),
			 "BEGIN; SET LOCAL lock_timeout = %u; SELECT pg_advisory_xact_lock(%" PRId64 ")",
			 conn->lock_timeout_ms, PGSQL_WRITE_LOCK_KEY);
	} else {
		snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL REPEATABLE READ");
	}
	PGresult *res = PQexec(conn->pg, sql);
	if (pgsql_reset_for_retry(conn, res)) {
		PQclear(res);
		res = PQexec(conn->pg, sql);
	}
	status = pgsql_finish(conn, res, NULL);
	if (status != DB_OK) {
		pgsql_abandon(conn);
		return status;
	}
	conn->in_transaction = true;
	return DB_OK;
}

static enum db_status pgsql_commit(struct db_conn *conn)
{
	if (!conn->in_transaction) {
		pgsql_set_error(conn, "commit outside a transaction");
		return DB_ERR;
	}
	enum db_status status = pgsql_ready(conn);
	if (status != DB_OK)
		return status; /* still in it: the caller rolls back */
	PGresult *res = PQexec(conn->pg, "COMMIT");
	conn->in_transaction = false;
	if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK &&
	    pgsql_tag_is(PQcmdStatus(res), "ROLLBACK")) {
		/* COMMIT of a transaction an earlier error aborted */
		PQclear(res);
		pgsql_set_error(conn, "transaction rolled back after an earlier error");
		return DB_ERR;
	}
	status = pgsql_finish(conn, res, NULL);
	if (status != DB_OK)
		pgsql_abandon(conn);
	return status;
}

static enum db_status pgsql_rollback(struct db_conn *conn)
{
	bool was_lost = conn->lost_in_transaction || PQstatus(conn->pg) != CONNECTION_OK;
	conn->in_transaction = false;
	conn->lost_in_transaction = false;
	if (was_lost)
		return DB_OK; /* the server threw the transaction away with the connection */
	enum db_status status = pgsql_finish(conn, PQexec(conn->pg, "ROLLBACK"), NULL);
	if (status != DB_OK)
		pgsql_abandon(conn);
	return status;
}

const struct db_driver db_driver_pgsql = {
	.name = "pgsql",
	.connect = pgsql_connect,
	.disconnect = pgsql_disconnect,
	.query = pgsql_query,
	.exec_script = pgsql_exec_script,
	.next = pgsql_next,
	.result_status = pgsql_result_status,
	.is_null = pgsql_is_null,
	.get_int = pgsql_get_int,
	.get_text = pgsql_get_text,
	.get_blob = pgsql_get_blob,
	.result_free = pgsql_result_free,
	.changes = pgsql_changes,
	.error = pgsql_error,
	.begin = pgsql_begin,
	.commit = pgsql_commit,
	.rollback = pgsql_rollback,
};
