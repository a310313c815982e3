/* db.h - the narrow SQL driver interface under the storage engine.
 *
 * Internal to src/storage: protocols never include it. Each backend is one
 * file filling struct db_driver (db-sqlite.c, db-pgsql.c). SQL is written
 * once, in the dialect both accept, with PostgreSQL-style numbered
 * parameters ($1, $2, ...); the SQLite driver binds them by name. Only bound
 * parameters carry data: SQL text never contains user input.
 */
#ifndef TANDEM_DB_H
#define TANDEM_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct storage_settings;
struct db_conn;
struct db_result;

enum db_status {
	DB_OK = 0,
	DB_ERR_CONSTRAINT, /* unique / foreign key violation */
	DB_ERR_TEMP,       /* busy, locked, connection lost, I/O: may succeed later */
	DB_ERR,            /* anything else (a bug, a bad statement) */
};

enum db_param_type { DB_PARAM_NULL, DB_PARAM_INT, DB_PARAM_TEXT, DB_PARAM_BLOB };

struct db_param {
	enum db_param_type type;
	int64_t i;
	const void *p;
	size_t len;
};

#define DB_NULL ((struct db_param){ DB_PARAM_NULL, 0, NULL, 0 })
#define DB_INT(v) ((struct db_param){ DB_PARAM_INT, (int64_t)(v), NULL, 0 })
#define DB_TEXT(s) ((struct db_param){ DB_PARAM_TEXT, 0, (s), strlen(s) })
#define DB_BLOB(ptr, n) ((struct db_param){ DB_PARAM_BLOB, 0, (ptr), (n) })

struct db_driver {
	const char *name;        /* "sqlite", "pgsql": also the schema/ subdirectory */
	/* Open a connection; error text goes to error (size errsize). */
	enum db_status (*connect)(const struct storage_settings *set, struct db_conn **conn_r,
				  char *error, size_t errsize);
	void (*disconnect)(struct db_conn **conn);
	/* Run one statement. When result_r is not NULL and the statement
	 * returns rows, *result_r iterates them (free it before the next query
	 * on conn); otherwise the statement is run to completion. */
	enum db_status (*query)(struct db_conn *conn, const char *sql,
				const struct db_param *params, size_t param_count,
				struct db_result **result_r);
	/* Run several ';'-separated statements without parameters (schema). */
	enum db_status (*exec_script)(struct db_conn *conn, const char *sql);
	/* Advance to the next row; false at the end (or on error: see status). */
	bool (*next)(struct db_result *result);
	enum db_status (*result_status)(struct db_result *result);
	bool (*is_null)(struct db_result *result, unsigned col);
	int64_t (*get_int)(struct db_result *result, unsigned col);
	/* Text and blob pointers stay valid until next() or free. */
	const char *(*get_text)(struct db_result *result, unsigned col);
	const unsigned char *(*get_blob)(struct db_result *result, unsigned col, size_t *len_r);
	void (*result_free)(struct db_result **result);
	/* Rows changed by the last INSERT/UPDATE/DELETE. */
	int64_t (*changes)(struct db_conn *conn);
	/* Last error's text, for the log. */
	const char *(*error)(struct db_conn *conn);
	/* Transactions. begin_write takes the write lock at once (SQLite
	 * BEGIN IMMEDIATE) so a writer never fails half way. */
	enum db_status (*begin)(struct db_conn *conn, bool write);
	enum db_status (*commit)(struct db_conn *conn);
	enum db_status (*rollback)(struct db_conn *conn);
};

extern const struct db_driver db_driver_sqlite;
extern const struct db_driver db_driver_pgsql;

/* Find a driver by name; NULL if unknown. */
const struct db_driver *db_driver_find(const char *name);

#endif
