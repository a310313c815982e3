/* db-util.h - small conveniences over the db.h driver vtable, shared by the
 * storage engine: parameter lists written inline and one-value queries.
 *
 * Internal to src/storage. Never holds state; never builds SQL from data.
 */
#ifndef TANDEM_DB_UTIL_H
#define TANDEM_DB_UTIL_H

#include "db.h"

/* Expands to "params, count" for a query call:
 *   db->query(conn, sql, DB_ARGS(DB_INT(id), DB_TEXT(name)), NULL) */
#define DB_ARGS(...) ((const struct db_param[]){ __VA_ARGS__ }), \
	(sizeof((const struct db_param[]){ __VA_ARGS__ }) / sizeof(struct db_param))
/* No parameters. */
#define DB_NOARGS NULL, 0

/* Run a statement to completion, ignoring any rows it returns. */
enum db_status db_exec(const struct db_driver *db, struct db_conn *conn, const char *sql,
		       const struct db_param *params, size_t param_count);

/* Run a query and read the first column of its first row as an integer.
 * *found_r is false (and *value_r 0) when there is no row or the value is
 * NULL. */
enum db_status db_query_int(const struct db_driver *db, struct db_conn *conn, const char *sql,
			    const struct db_param *params, size_t param_count,
			    int64_t *value_r, bool *found_r);

/* Advance result (which may be NULL: no rows); see db_driver.next. */
bool db_result_next(const struct db_driver *db, struct db_result *result);
/* Status of an iterated result, then free it (NULL is fine). */
enum db_status db_result_finish(const struct db_driver *db, struct db_result **result);

#endif
