/* storage-domain.c - local mail domains: add, delete (with force: their
 * users, aliases and mail), get, list, default quotas.
 *
 * Never deletes a domain that still has users or aliases unless asked to
 * force; a forced delete is one transaction, so it happens entirely or not
 * at all.
 */
#include "storage-private.h"

#include <stdlib.h>

#define DOMAIN_COLUMNS \
	"d.id, d.name, d.default_quota_bytes, d.default_quota_messages, " \
	"(SELECT COUNT(*) FROM users u WHERE u.domain_id = d.id), " \
	"(SELECT COUNT(*) FROM aliases a WHERE a.domain_id = d.id)"

static void domain_from_row(struct storage_conn *conn, struct db_result *res,
			    struct storage_domain *domain_r)
{
	domain_r->id = sdb_get_int(conn, res, 0);
	storage_strlcpy(domain_r->name, sdb_get_text(conn, res, 1), sizeof(domain_r->name));
	domain_r->default_quota_bytes = sdb_get_int(conn, res, 2);
	domain_r->default_quota_messages = sdb_get_int(conn, res, 3);
	domain_r->user_count = sdb_get_int(conn, res, 4);
	domain_r->alias_count = sdb_get_int(conn, res, 5);
}

static enum storage_result domain_name(struct storage_conn *conn, const char *name,
				       char out[STORAGE_DOMAIN_MAX + 1], const char **error_r)
{
	const char *error;
	if (name == NULL || storage_domain_normalize(name, out, STORAGE_DOMAIN_MAX + 1, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad domain: %s",
				    name == NULL ? "none given" : error);
	return STORAGE_OK;
}

enum storage_result storage_domain_add(struct storage_conn *conn, const char *name,
				       const char **error_r)
{
	char norm[STORAGE_DOMAIN_MAX + 1];
	enum storage_result result = domain_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_exec(conn,
		"INSERT INTO domains (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
		DB_ARGS(DB_TEXT(norm), DB_INT(storage_now())));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "add domain", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "domain %s exists", norm);
	return STORAGE_OK;
}

enum storage_result storage_domain_get(struct storage_conn *conn, const char *name,
				       struct storage_domain *domain_r, const char **error_r)
{
	char norm[STORAGE_DOMAIN_MAX + 1];
	struct db_result *res = NULL;
	enum storage_result result = domain_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn,
		"SELECT " DOMAIN_COLUMNS " FROM domains d WHERE d.name = $1",
		DB_ARGS(DB_TEXT(norm)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get domain", error_r);
	bool found = sdb_next(conn, res);
	if (found)
		domain_from_row(conn, res, domain_r);
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get domain", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no domain %s", norm);
	return STORAGE_OK;
}

enum storage_result storage_domain_list(struct storage_conn *conn, storage_domain_cb *cb,
					void *context, const char **error_r)
{
	struct db_result *res = NULL;
	struct storage_domain domain;
	enum db_status status = sdb_query(conn,
		"SELECT " DOMAIN_COLUMNS " FROM domains d ORDER BY d.name", DB_NOARGS, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list domains", error_r);
	while (sdb_next(conn, res)) {
		domain_from_row(conn, res, &domain);
		cb(&domain, context);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list domains", error_r);
	return STORAGE_OK;
}

enum storage_result storage_domain_set_quota(struct storage_conn *conn, const char *name,
					     int64_t bytes, int64_t messages,
					     const char **error_r)
{
	char norm[STORAGE_DOMAIN_MAX + 1];
	enum storage_result result = domain_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	if (bytes < 0 || messages < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "negative quota");
	enum db_status status = sdb_exec(conn,
		"UPDATE domains SET default_quota_bytes = $2, default_quota_messages = $3 "
		"WHERE name = $1", DB_ARGS(DB_TEXT(norm), DB_INT(bytes), DB_INT(messages)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "set domain quota", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no domain %s", norm);
	return STORAGE_OK;
}

/* Inside the transaction: delete every user of the domain with their mail. */
static enum storage_result domain_delete_users(struct storage_conn *conn, int64_t domain_id,
					       const char **error_r)
{
	for (;;) {
		int64_t user_id;
		bool found;
		enum db_status status = sdb_int(conn,
			"SELECT id FROM users WHERE domain_id = $1 LIMIT 1",
			DB_ARGS(DB_INT(domain_id)), &user_id, &found);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "domain users", error_r);
		if (!found)
			return STORAGE_OK;
		enum storage_result result = storage_user_delete_txn(conn, user_id, error_r);
		if (result != STORAGE_OK)
			return result;
	}
}

enum storage_result storage_domain_del(struct storage_conn *conn, const char *name, bool force,
				       const char **error_r)
{
	struct storage_domain domain;
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_domain_get(conn, name, &domain, error_r);
	if (result == STORAGE_OK && !force && (domain.user_count > 0 || domain.alias_count > 0)) {
		result = storage_fail(conn, STORAGE_ERR_EXISTS, error_r,
				      "domain %s still has %lld users and %lld aliases",
				      domain.name, (long long)domain.user_count,
				      (long long)domain.alias_count);
	}
	if (result == STORAGE_OK)
		result = domain_delete_users(conn, domain.id, error_r);
	if (result == STORAGE_OK) {
		enum db_status status = sdb_exec(conn, "DELETE FROM aliases WHERE domain_id = $1",
						 DB_ARGS(DB_INT(domain.id)));
		if (status == DB_OK)
			status = sdb_exec(conn, "DELETE FROM domains WHERE id = $1",
					  DB_ARGS(DB_INT(domain.id)));
		if (status != DB_OK)
			result = storage_db_fail(conn, status, "delete domain", error_r);
	}
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
