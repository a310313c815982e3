/* test-db-pgsql.c - unit tests for the PostgreSQL driver (db-pgsql.c).
 *
 * The SQLSTATE table and connection errors are checked always. Everything
 * else needs a server: set TANDEM_TEST_PGSQL_URI to a libpq URI of a
 * database the test may create temporary tables in, e.g.
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 * Without it those tests are skipped, saying so. Tests only use temporary
 * tables, so they never disturb other tests sharing the database.
 * test_server_restart also needs TANDEM_TEST_PGSQL_DIR (that DIR): it
 * restarts the server, so run it where no other test shares it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "storage.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* from db-pgsql.c */
enum db_status db_pgsql_sqlstate_status(const char *sqlstate);

static const struct db_driver *drv = &db_driver_pgsql;

static const char *status_str(enum db_status status)
{
	switch (status) {
	case DB_OK: return "DB_OK";
	case DB_ERR_CONSTRAINT: return "DB_ERR_CONSTRAINT";
	case DB_ERR_TEMP: return "DB_ERR_TEMP";
	case DB_ERR: return "DB_ERR";
	}
	return "(bad status)";
}

#define assert_status(got, want, conn)                                                     \
	do {                                                                               \
		enum db_status got_ = (got), want_ = (want);                               \
		if (got_ != want_)                                                         \
			fail_msg("%s: got %s, want %s (error: %s)", #got, status_str(got_), \
				 status_str(want_),                                        \
				 (conn) != NULL ? drv->error(conn) : "-");                 \
	} while (0)

/* The server's URI, or skip this test with the reason. */
static const char *server_uri(void)
{
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	if (uri == NULL || uri[0] == '\0') {
		print_message("skipped: TANDEM_TEST_PGSQL_URI is not set (start a server with "
			      "tests/helpers/pgsql-start.sh DIR and export the URI it prints)\n");
		skip();
	}
	return uri;
}

static struct db_conn *connect_or_skip(unsigned lock_timeout_ms)
{
	struct storage_settings set = {
		.driver = "pgsql",
		.pgsql_uri = server_uri(),
		.busy_timeout_ms = lock_timeout_ms,
	};
	struct db_conn *conn = NULL;
	char error[256] = "";
	enum db_status status = drv->connect(&set, &conn, error, sizeof(error));
	if (status != DB_OK)
		fail_msg("connect: got %s (%s), want DB_OK", status_str(status), error);
	assert_non_null(conn);
	return conn;
}

static void exec_ok(struct db_conn *conn, const char *sql)
{
	assert_status(drv->exec_script(conn, sql), DB_OK, conn);
}

/* SELECT count(*) FROM t WHERE id = id */
static int64_t count_id(struct db_conn *conn, int64_t id)
{
	struct db_param p[] = { DB_INT(id) };
	struct db_result *res = NULL;
	assert_status(drv->query(conn, "SELECT count(*) FROM t WHERE id = $1", p, 1, &res),
		      DB_OK, conn);
	assert_true(drv->next(res));
	int64_t n = drv->get_int(res, 0);
	drv->result_free(&res);
	return n;
}

/* ---- without a server ---- */

struct sqlstate_case {
	const char *state;
	enum db_status want;
};

static const struct sqlstate_case sqlstate_cases[] = {
	{ "23505", DB_ERR_CONSTRAINT }, /* unique */
	{ "23503", DB_ERR_CONSTRAINT }, /* foreign key */
	{ "23502", DB_ERR_CONSTRAINT }, /* not null */
	{ "23514", DB_ERR_CONSTRAINT }, /* check */
	{ "40001", DB_ERR_TEMP },
	{ "40P01", DB_ERR_TEMP },
	{ "40002", DB_ERR },            /* integrity violation at commit: not worth a retry */
	{ "57P01", DB_ERR_TEMP },
	{ "57P02", DB_ERR_TEMP },
	{ "57P03", DB_ERR_TEMP },
	{ "08006", DB_ERR_TEMP },
	{ "08001", DB_ERR_TEMP },
	{ "53100", DB_ERR_TEMP },       /* disk full */
	{ "53300", DB_ERR_TEMP },       /* too many connections */
	{ "55P03", DB_ERR_TEMP },
	{ "42601", DB_ERR },            /* syntax error */
	{ "42P01", DB_ERR },            /* undefined table */
	{ "22P02", DB_ERR },            /* invalid text representation */
	{ "25P02", DB_ERR },            /* in failed transaction */
	{ "", DB_ERR },
	{ "2", DB_ERR },
	{ "235050", DB_ERR },
	{ NULL, DB_ERR },
};

static void test_sqlstate_map(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(sqlstate_cases); i++) {
		const struct sqlstate_case *c = &sqlstate_cases[i];
		enum db_status got = db_pgsql_sqlstate_status(c->state);
		if (got != c->want)
			fail_msg("sqlstate %s: got %s, want %s", c->state != NULL ? c->state : "NULL",
				 status_str(got), status_str(c->want));
	}
}

struct connect_case {
	const char *uri;
	enum db_status want;
	const char *want_error; /* substring */
};

static const struct connect_case connect_cases[] = {
	{ "", DB_ERR, "pgsql_uri is not set" },
	{ NULL, DB_ERR, "pgsql_uri is not set" },
	{ "postgresql://[::1", DB_ERR, "bad pgsql_uri" },
	{ "nosuchkeyword=1", DB_ERR, "bad pgsql_uri" },
	/* a server that is not there may come back: temporary */
	{ "postgresql:///tandem?host=/nonexistent/tandem-test", DB_ERR_TEMP, "cannot connect" },
};

static void test_connect_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(connect_cases); i++) {
		const struct connect_case *c = &connect_cases[i];
		struct storage_settings set = { .driver = "pgsql", .pgsql_uri = c->uri };
		struct db_conn *conn = (struct db_conn *)&set; /* must be reset to NULL */
		char error[256] = "";
		enum db_status got = drv->connect(&set, &conn, error, sizeof(error));
		if (got != c->want)
			fail_msg("case %zu: got %s, want %s", i, status_str(got), status_str(c->want));
		if (conn != NULL)
			fail_msg("case %zu: got a connection, want NULL", i);
		if (strstr(error, c->want_error) == NULL)
			fail_msg("case %zu: got error '%s', want '%s' in it", i, error, c->want_error);
	}
}

/* ---- with a server ---- */

static const unsigned char blob_nul[] = { 'a', 0, 'b', 0, 0 };
static const unsigned char blob_high[] = { 0x80, 0xff, 0x00, 0xfe, 0x5c, 0x78, 0x27, 0xc3 };
static const char text_utf8[] = "Gr\xc3\xbc\xc3\x9f" "e 'quoted' \\x00 $1";

struct row_case {
	int64_t id;
	struct db_param n, s, b;
};

/* db.h's DB_* are compound literals, which a static table cannot hold */
#define P_NULL { DB_PARAM_NULL, 0, NULL, 0 }
#define P_INT(v) { DB_PARAM_INT, (v), NULL, 0 }
#define P_TEXT(lit) { DB_PARAM_TEXT, 0, (lit), sizeof(lit) - 1 }
#define P_BLOB(arr) { DB_PARAM_BLOB, 0, (arr), sizeof(arr) }

static const struct row_case row_cases[] = {
	{ 1, P_INT(42), P_TEXT("hello"), P_BLOB(blob_nul) },
	{ 2, P_NULL, P_NULL, P_NULL },
	{ 3, P_INT(INT64_MIN), P_TEXT(text_utf8), P_BLOB(blob_high) },
	{ 4, P_INT(INT64_MAX), P_TEXT(""), { DB_PARAM_BLOB, 0, "", 0 } },
	/* NULL pointers: empty values, as db-sqlite.c binds them */
	{ 5, P_INT(-1), { DB_PARAM_TEXT, 0, NULL, 0 }, { DB_PARAM_BLOB, 0, NULL, 0 } },
};

static void check_param(size_t i, const char *what, const struct db_param *want,
			struct db_result *res, unsigned col)
{
	bool want_null = want->type == DB_PARAM_NULL;
	if (drv->is_null(res, col) != want_null)
		fail_msg("row %zu %s: got is_null %d, want %d", i, what, !want_null, want_null);
	if (want_null) {
		/* NULL reads as 0, "" and 0 bytes, as in db-sqlite.c */
		size_t len = 99;
		assert_int_equal(drv->get_int(res, col), 0);
		assert_string_equal(drv->get_text(res, col), "");
		assert_non_null(drv->get_blob(res, col, &len));
		assert_int_equal(len, 0);
		return;
	}
	if (want->type == DB_PARAM_INT) {
		int64_t got = drv->get_int(res, col);
		if (got != want->i)
			fail_msg("row %zu %s: got %" PRId64 ", want %" PRId64, i, what, got, want->i);
	} else if (want->type == DB_PARAM_TEXT) {
		const char *got = drv->get_text(res, col);
		const char *w = want->p != NULL ? want->p : "";
		if (got == NULL || strcmp(got, w) != 0)
			fail_msg("row %zu %s: got '%s', want '%s'", i, what, got ? got : "NULL", w);
	} else {
		size_t len = 99;
		const unsigned char *got = drv->get_blob(res, col, &len);
		if (got == NULL || len != want->len || (len > 0 && memcmp(got, want->p, len) != 0))
			fail_msg("row %zu %s: got %zu bytes, want %zu", i, what, got ? len : 0,
				 want->len);
		/* the same pointer again until next() */
		size_t len2 = 0;
		assert_ptr_equal(drv->get_blob(res, col, &len2), got);
		assert_int_equal(len2, len);
	}
}

static void test_params_roundtrip(void **state)
{
	(void)state;
	struct db_conn *conn = connect_or_skip(1000);
	exec_ok(conn, "CREATE TEMP TABLE t (id BIGINT PRIMARY KEY, n BIGINT, s TEXT, b BYTEA)");

	for (size_t i = 0; i < N_ELEMENTS(row_cases); i++) {
		const struct row_case *c = &row_cases[i];
		struct db_param p[] = { DB_INT(c->id), c->n, c->s, c->b };
		assert_status(drv->query(conn, "INSERT INTO t (id, n, s, b) VALUES ($1, $2, $3, $4)",
					 p, 4, NULL), DB_OK, conn);
		if (drv->changes(conn) != 1)
			fail_msg("row %zu: got changes %" PRId64 ", want 1", i, drv->changes(conn));
	}
	for (size_t i = 0; i < N_ELEMENTS(row_cases); i++) {
		const struct row_case *c = &row_cases[i];
		struct db_param p[] = { DB_INT(c->id) };
		struct db_result *res = NULL;
		assert_status(drv->query(conn, "SELECT n, s, b FROM t WHERE id = $1", p, 1, &res),
			      DB_OK, conn);
		assert_non_null(res);
		assert_true(drv->next(res));
		check_param(i, "n", &c->n, res, 0);
		check_param(i, "s", &c->s, res, 1);
		check_param(i, "b", &c->b, res, 2);
		assert_true(drv->is_null(res, 3)); /* no such column */
		assert_false(drv->next(res));
		assert_false(drv->next(res));
		assert_status(drv->result_status(res), DB_OK, conn);
		drv->result_free(&res);
		assert_null(res);
	}
	/* parameters in places with no type context */
	struct db_param p[] = { DB_INT(INT64_MIN), DB_TEXT("abc"), DB_BLOB(blob_high, sizeof(blob_high)) };
	struct db_result *res = NULL;
	assert_status(drv->query(conn, "SELECT $1, $2, $3, $1 IS NULL, $2 || 'd'", p, 3, &res),
		      DB_OK, conn);
	assert_true(drv->next(res));
	check_param(0, "$1", &p[0], res, 0);
	check_param(0, "$2", &p[1], res, 1);
	check_param(0, "$3", &p[2], res, 2);
	assert_int_equal(drv->get_int(res, 3), 0); /* boolean false */
	assert_string_equal(drv->get_text(res, 4), "abcd");
	drv->result_free(&res);

	/* a text parameter with a NUL byte cannot be sent: an error, no truncation */
	struct db_param nul[] = { { DB_PARAM_TEXT, 0, "a\0b", 3 } };
	assert_status(drv->query(conn, "SELECT $1", nul, 1, NULL), DB_ERR, NULL);
	drv->disconnect(&conn);
	assert_null(conn);
}

static void test_changes_and_rows(void **state)
{
	(void)state;
	struct db_conn *conn = connect_or_skip(1000);
	exec_ok(conn, "CREATE TEMP TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
	for (int i = 1; i <= 10; i++) {
		struct db_param p[] = { DB_INT(i), DB_INT(i % 3) };
		assert_status(drv->query(conn, "INSERT INTO t VALUES ($1, $2)", p, 2, NULL), DB_OK, conn);
	}
	struct db_param zero[] = { DB_INT(0) };
	assert_status(drv->query(conn, "UPDATE t SET n = n + 10 WHERE n = $1", zero, 1, NULL),
		      DB_OK, conn);
	assert_int_equal(drv->changes(conn), 3);
	/* a SELECT leaves changes alone, like sqlite3_changes() */
	struct db_result *res = NULL;
	assert_status(drv->query(conn, "SELECT id FROM t ORDER BY id", NULL, 0, &res), DB_OK, conn);
	int64_t want = 1;
	while (drv->next(res))
		assert_int_equal(drv->get_int(res, 0), want++);
	assert_int_equal(want, 11);
	drv->result_free(&res);
	assert_int_equal(drv->changes(conn), 3);

	struct db_param one[] = { DB_INT(1) };
	assert_status(drv->query(conn, "DELETE FROM t WHERE n = $1 RETURNING id", one, 1, &res),
		      DB_OK, conn);
	int rows = 0;
	while (drv->next(res))
		rows++;
	drv->result_free(&res);
	assert_int_equal(rows, 4);
	assert_int_equal(drv->changes(conn), 4);
	assert_status(drv->query(conn, "DELETE FROM t WHERE id < 0", NULL, 0, NULL), DB_OK, conn);
	assert_int_equal(drv->changes(conn), 0);

	/* a statement without rows still gives an empty result to iterate */
	assert_status(drv->query(conn, "DELETE FROM t WHERE id < 0", NULL, 0, &res), DB_OK, conn);
	assert_non_null(res);
	assert_false(drv->next(res));
	drv->result_free(&res);
	drv->result_free(&res); /* NULL: nothing */
	drv->disconnect(&conn);
	drv->disconnect(&conn);
}

struct error_case {
	const char *sql;
	enum db_status want;
	const char *want_error; /* substring */
};

static const struct error_case error_cases[] = {
	{ "INSERT INTO t (id, u) VALUES (1, 'x')", DB_ERR_CONSTRAINT, "duplicate key" },
	{ "INSERT INTO t (id, u) VALUES (2, 'a')", DB_ERR_CONSTRAINT, "23505" },
	{ "INSERT INTO t (id, u) VALUES (NULL, 'y')", DB_ERR_CONSTRAINT, "23502" },
	{ "INSERT INTO t (id, p) VALUES (3, 99)", DB_ERR_CONSTRAINT, "23503" },
	{ "SELEKT 1", DB_ERR, "syntax error" },
	{ "SELECT nosuchcolumn FROM t", DB_ERR, "42703" },
	{ "SELECT * FROM nosuchtable", DB_ERR, "42P01" },
	{ "SELECT 1/0", DB_ERR, "division by zero" },
};

static void test_errors(void **state)
{
	(void)state;
	struct db_conn *conn = connect_or_skip(1000);
	exec_ok(conn, "CREATE TEMP TABLE parent (id BIGINT PRIMARY KEY);"
		      "CREATE TEMP TABLE t (id BIGINT PRIMARY KEY, u TEXT UNIQUE,"
		      " p BIGINT REFERENCES parent(id));"
		      "INSERT INTO t (id, u) VALUES (1, 'a')");
	for (size_t i = 0; i < N_ELEMENTS(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct db_result *res = (struct db_result *)conn; /* must be reset to NULL */
		enum db_status got = drv->query(conn, c->sql, NULL, 0, &res);
		if (got != c->want)
			fail_msg("%s: got %s, want %s (%s)", c->sql, status_str(got),
				 status_str(c->want), drv->error(conn));
		if (res != NULL)
			fail_msg("%s: got a result, want NULL", c->sql);
		if (strstr(drv->error(conn), c->want_error) == NULL)
			fail_msg("%s: got error '%s', want '%s' in it", c->sql, drv->error(conn),
				 c->want_error);
	}
	/* errors in a script stop it */
	assert_status(drv->exec_script(conn, "INSERT INTO t (id, u) VALUES (5, 'e'); SELEKT; "
					     "INSERT INTO t (id, u) VALUES (6, 'f')"), DB_ERR, conn);
	assert_int_equal(count_id(conn, 5), 0);
	assert_int_equal(count_id(conn, 6), 0);
	assert_status(drv->exec_script(conn, ""), DB_OK, conn);
	drv->disconnect(&conn);
}

static void test_transactions(void **state)
{
	(void)state;
	struct db_conn *conn = connect_or_skip(1000);
	exec_ok(conn, "CREATE TEMP TABLE t (id BIGINT PRIMARY KEY)");
	struct db_param p1[] = { DB_INT(1) }, p2[] = { DB_INT(2) }, p3[] = { DB_INT(3) };
	const char *ins = "INSERT INTO t (id) VALUES ($1)";

	/* rolled back: gone */
	assert_status(drv->begin(conn, true), DB_OK, conn);
	assert_status(drv->query(conn, ins, p1, 1, NULL), DB_OK, conn);
	assert_int_equal(count_id(conn, 1), 1);
	assert_status(drv->rollback(conn), DB_OK, conn);
	assert_int_equal(count_id(conn, 1), 0);

	/* committed: there */
	assert_status(drv->begin(conn, true), DB_OK, conn);
	assert_status(drv->begin(conn, true), DB_ERR, conn); /* no nesting */
	assert_status(drv->query(conn, ins, p2, 1, NULL), DB_OK, conn);
	assert_status(drv->commit(conn), DB_OK, conn);
	assert_int_equal(count_id(conn, 2), 1);
	assert_status(drv->commit(conn), DB_ERR, conn); /* none open */

	/* an error aborts the transaction: commit says so, nothing is kept */
	assert_status(drv->begin(conn, true), DB_OK, conn);
	assert_status(drv->query(conn, ins, p3, 1, NULL), DB_OK, conn);
	assert_status(drv->query(conn, ins, p2, 1, NULL), DB_ERR_CONSTRAINT, conn);
	assert_status(drv->commit(conn), DB_ERR, conn);
	assert_int_equal(count_id(conn, 3), 0);

	/* the same, rolled back by the caller */
	assert_status(drv->begin(conn, true), DB_OK, conn);
	assert_status(drv->query(conn, ins, p2, 1, NULL), DB_ERR_CONSTRAINT, conn);
	assert_status(drv->query(conn, ins, p3, 1, NULL), DB_ERR, conn); /* 25P02 */
	assert_status(drv->rollback(conn), DB_OK, conn);
	assert_int_equal(count_id(conn, 3), 0);

	/* read transaction */
	assert_status(drv->begin(conn, false), DB_OK, conn);
	assert_int_equal(count_id(conn, 2), 1);
	assert_status(drv->commit(conn), DB_OK, conn);
	drv->disconnect(&conn);
}

/* Writers take turns; a writer that waits too long gets DB_ERR_TEMP. */
static void test_write_lock(void **state)
{
	(void)state;
	struct db_conn *a = connect_or_skip(10000);
	struct db_conn *b = connect_or_skip(200);
	assert_status(drv->begin(a, true), DB_OK, a);
	assert_status(drv->begin(b, true), DB_ERR_TEMP, b);
	assert_non_null(strstr(drv->error(b), "55P03"));
	/* b is usable again at once */
	assert_status(drv->begin(b, false), DB_OK, b);
	assert_status(drv->commit(b), DB_OK, b);
	assert_status(drv->commit(a), DB_OK, a);
	assert_status(drv->begin(b, true), DB_OK, b);
	assert_status(drv->rollback(b), DB_OK, b);
	drv->disconnect(&a);
	drv->disconnect(&b);
}

static void terminate_backend(struct db_conn *killer, struct db_conn *victim)
{
	struct db_result *res = NULL;
	assert_status(drv->query(victim, "SELECT pg_backend_pid()", NULL, 0, &res), DB_OK, victim);
	assert_true(drv->next(res));
	struct db_param p[] = { DB_INT(drv->get_int(res, 0)) };
	drv->result_free(&res);
	/* pg_terminate_backend takes int4: an int8 parameter needs the cast */
	assert_status(drv->query(killer, "SELECT pg_terminate_backend($1::integer, 5000)", p, 1, &res),
		      DB_OK, killer);
	assert_true(drv->next(res));
	assert_int_equal(drv->get_int(res, 0), 1);
	drv->result_free(&res);
}

/* A statement outside a transaction whose connection was cut (e.g. by a
 * server restart) resets the connection and runs again: the first call
 * after it succeeds. Inside a transaction the call fails TEMP until the
 * caller rolls back (its work is lost with the connection). */
enum reconnect_call { CALL_QUERY, CALL_EXEC_SCRIPT, CALL_BEGIN_WRITE, CALL_BEGIN_READ };

static enum db_status reconnect_run(struct db_conn *conn, enum reconnect_call call)
{
	struct db_result *res = NULL;
	enum db_status status;
	switch (call) {
	case CALL_QUERY:
		status = drv->query(conn, "SELECT 7", NULL, 0, &res);
		if (status == DB_OK) {
			assert_true(drv->next(res));
			int64_t got = drv->get_int(res, 0);
			if (got != 7)
				fail_msg("SELECT 7: got %" PRId64 ", want 7", got);
			drv->result_free(&res);
		}
		return status;
	case CALL_EXEC_SCRIPT:
		return drv->exec_script(conn, "SELECT 1; SELECT 2");
	case CALL_BEGIN_WRITE:
	case CALL_BEGIN_READ:
		status = drv->begin(conn, call == CALL_BEGIN_WRITE);
		if (status == DB_OK)
			assert_status(drv->commit(conn), DB_OK, conn);
		return status;
	}
	return DB_ERR;
}

static void test_reconnect(void **state)
{
	(void)state;
	static const enum reconnect_call calls[] = {
		CALL_QUERY, CALL_EXEC_SCRIPT, CALL_BEGIN_WRITE, CALL_BEGIN_READ,
	};
	struct db_conn *killer = connect_or_skip(1000);
	struct db_conn *conn = connect_or_skip(1000);
	const char *sql = "SELECT 7";

	for (size_t n = 0; n < N_ELEMENTS(calls); n++) {
		terminate_backend(killer, conn);
		enum db_status got = reconnect_run(conn, calls[n]);
		if (got != DB_OK)
			fail_msg("call %zu after the connection was cut: got %s, want DB_OK (%s)", n,
				 status_str(got), drv->error(conn));
	}

	assert_status(drv->begin(conn, true), DB_OK, conn);
	terminate_backend(killer, conn);
	assert_status(drv->query(conn, sql, NULL, 0, NULL), DB_ERR_TEMP, conn);
	assert_status(drv->query(conn, sql, NULL, 0, NULL), DB_ERR_TEMP, conn);
	assert_status(drv->exec_script(conn, sql), DB_ERR_TEMP, conn);
	assert_status(drv->commit(conn), DB_ERR_TEMP, conn);
	assert_status(drv->rollback(conn), DB_OK, conn);
	assert_status(drv->query(conn, sql, NULL, 0, NULL), DB_OK, conn);
	drv->disconnect(&conn);
	drv->disconnect(&killer);
}

/* The whole server restarts (tests/helpers/pgsql-restart.sh): the first
 * statement afterwards succeeds. Needs TANDEM_TEST_PGSQL_DIR (the DIR given
 * to pgsql-start.sh) and the repository root as the working directory. */
static void test_server_restart(void **state)
{
	(void)state;
	const char *dir = getenv("TANDEM_TEST_PGSQL_DIR");
	if (dir == NULL || dir[0] == '\0' || strchr(dir, '\'') != NULL) {
		print_message("skipped: TANDEM_TEST_PGSQL_DIR is not set (the DIR of "
			      "tests/helpers/pgsql-start.sh, to restart that server)\n");
		skip();
	}
	struct db_conn *conn = connect_or_skip(1000);
	assert_status(drv->query(conn, "SELECT 1", NULL, 0, NULL), DB_OK, conn);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "tests/helpers/pgsql-restart.sh '%s'", dir);
	int ret = system(cmd);
	if (ret != 0)
		fail_msg("%s: got exit status %d, want 0", cmd, ret);
	for (int n = 0; n < 2; n++) {
		enum db_status got = reconnect_run(conn, n == 0 ? CALL_QUERY : CALL_BEGIN_WRITE);
		if (got != DB_OK)
			fail_msg("call %d after the restart: got %s, want DB_OK (%s)", n,
				 status_str(got), drv->error(conn));
		if (n == 0) {
			ret = system(cmd);
			if (ret != 0)
				fail_msg("%s: got exit status %d, want 0", cmd, ret);
		}
	}
	drv->disconnect(&conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlstate_map),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_params_roundtrip),
		cmocka_unit_test(test_changes_and_rows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_write_lock),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_server_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
