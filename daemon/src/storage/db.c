/* db.c - the list of SQL drivers and the helpers of db-util.h.
 *
 * Knows every driver by name (so linking needs each driver's file) but no
 * driver's internals; never builds SQL from data.
 */
#include "db.h"
#include "db-util.h"

#include <string.h>

static const struct db_driver *const db_drivers[] = {
	&db_driver_sqlite,
	&db_driver_pgsql,
};

const struct db_driver *db_driver_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(db_drivers) / sizeof(db_drivers[0]); i++) {
		if (strcmp(db_drivers[i]->name, name) == 0)
			return db_drivers[i];
	}
	return NULL;
}

enum db_status db_exec(const struct db_driver *db, struct db_conn *conn, const char *sql,
		       const struct db_param *params, size_t param_count)
{
	return db->query(conn, sql, params, param_count, NULL);
}

bool db_result_next(const struct db_driver *db, struct db_result *result)
{
	return result != NULL && db->next(result);
}

enum db_status db_result_finish(const struct db_driver *db, struct db_result **result)
{
	if (*result == NULL)
		return DB_OK;
	enum db_status status = db->result_status(*result);
	db->result_free(result);
	*result = NULL;
	return status;
}

enum db_status db_query_int(const struct db_driver *db, struct db_conn *conn, const char *sql,
			    const struct db_param *params, size_t param_count,
			    int64_t *value_r, bool *found_r)
{
	struct db_result *result = NULL;
	*value_r = 0;
	*found_r = false;
	enum db_status status = db->query(conn, sql, params, param_count, &result);
	if (status != DB_OK)
		return status;
	if (db_result_next(db, result) && !db->is_null(result, 0)) {
		*value_r = db->get_int(result, 0);
		*found_r = true;
	}
	return db_result_finish(db, &result);
}
