/* storage-schema.c - the database's schema version and migrations: applies
 * the schema/<driver>/NNN-*.sql files compiled into the binary
 * (schema-files.h), each in its own write transaction, recording the
 * version reached in schema_version.
 *
 * Idempotent: the version is re-read under the write lock, so two
 * processes migrating at once apply each file once. Never edits or skips a
 * migration, never goes down a version.
 */
#include "storage-private.h"
#include "schema-files.h"

#include <string.h>

/* Whether the schema_version table exists: the one question that needs
 * each database's own catalog. */
static const struct {
	const char *driver;
	const char *sql;
} schema_table_exists[] = {
	{ "sqlite", "SELECT COUNT(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name = 'schema_version'" },
	{ "pgsql", "SELECT COUNT(*) FROM information_schema.tables "
		   "WHERE table_schema = current_schema() AND table_name = 'schema_version'" },
};

int storage_schema_latest(void)
{
	int latest = 0;
	for (const struct schema_file *f = schema_files; f->driver != NULL; f++) {
		if (f->version > latest)
			latest = f->version;
	}
	return latest;
}

enum storage_result storage_schema_version(struct storage_conn *conn, int *version_r,
					   const char **error_r)
{
	const char *sql = NULL;
	int64_t value;
	bool found;

	*version_r = 0;
	for (size_t i = 0; i < sizeof(schema_table_exists) / sizeof(schema_table_exists[0]); i++) {
		if (strcmp(schema_table_exists[i].driver, conn->db->name) == 0)
			sql = schema_table_exists[i].sql;
	}
	if (sql == NULL) {
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "no schema catalog query for driver %s", conn->db->name);
	}
	enum db_status status = sdb_int(conn, sql, DB_NOARGS, &value, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "schema version", error_r);
	if (value == 0)
		return STORAGE_OK;
	status = sdb_int(conn, "SELECT MAX(version) FROM schema_version", DB_NOARGS,
			 &value, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "schema version", error_r);
	*version_r = (int)value;
	return STORAGE_OK;
}

/* Apply one migration unless the database already has it. */
static enum storage_result migrate_one(struct storage_conn *conn, const struct schema_file *f,
				       int *version_r, const char **error_r)
{
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_schema_version(conn, version_r, error_r);
	if (result != STORAGE_OK || *version_r >= f->version) {
		storage_rollback(conn);
		return result;
	}
	enum db_status status = conn->db->exec_script(conn->dbc, f->sql);
	if (status != DB_OK) {
		storage_fail(conn, STORAGE_ERR_TEMP, error_r, "migration %s/%s: %s", f->driver,
			     f->name, conn->db->error(conn->dbc));
		storage_rollback(conn);
		return STORAGE_ERR_TEMP;
	}
	status = sdb_exec(conn, "DELETE FROM schema_version", DB_NOARGS);
	if (status == DB_OK)
		status = sdb_exec(conn, "INSERT INTO schema_version (version) VALUES ($1)",
				  DB_ARGS(DB_INT(f->version)));
	if (status != DB_OK) {
		result = storage_db_fail(conn, status, "set schema version", error_r);
		storage_rollback(conn);
		return result;
	}
	result = storage_commit(conn, error_r);
	if (result == STORAGE_OK)
		*version_r = f->version;
	return result;
}

enum storage_result storage_migrate(struct storage_conn *conn, int *from_r, int *to_r,
				    const char **error_r)
{
	int version;
	enum storage_result result = storage_schema_version(conn, &version, error_r);
	*from_r = *to_r = version;
	if (result != STORAGE_OK)
		return result;
	if (version > storage_schema_latest()) {
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "database schema version %d is newer than this build's %d",
				    version, storage_schema_latest());
	}
	for (const struct schema_file *f = schema_files; f->driver != NULL; f++) {
		if (strcmp(f->driver, conn->db->name) != 0 || f->version <= version)
			continue;
		result = migrate_one(conn, f, &version, error_r);
		if (result != STORAGE_OK)
			return result;
		*to_r = version;
	}
	return STORAGE_OK;
}

int storage_schema_prepare(struct storage_conn *conn, const char **error_r)
{
	int version, from, to;
	if (storage_schema_version(conn, &version, error_r) != STORAGE_OK)
		return -1;
	if (version == 0 && storage_migrate(conn, &from, &to, error_r) != STORAGE_OK)
		return -1;
	if (storage_schema_version(conn, &version, error_r) != STORAGE_OK)
		return -1;
	if (version != storage_schema_latest()) {
		storage_fail(conn, STORAGE_ERR_INVALID, error_r,
			     "database schema version is %d, this build needs %d%s", version,
			     storage_schema_latest(),
			     version < storage_schema_latest() ? ": run tandemctl migrate" : "");
		return -1;
	}
	return 0;
}
