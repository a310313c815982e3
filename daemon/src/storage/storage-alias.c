/* storage-alias.c - alternative addresses: add, delete, list. Resolution
 * (following aliases for a recipient) is storage-recipient.c's job.
 *
 * Never accepts an alias whose own domain is not local; targets may be any
 * well-formed address.
 */
#include "storage-private.h"

#include <string.h>

static enum storage_result alias_address(struct storage_conn *conn, const char *address,
					 const char *what, char out[STORAGE_ADDRESS_MAX + 1],
					 const char **error_r)
{
	const char *error;
	if (address == NULL)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "no %s given", what);
	if (storage_address_normalize(address, out, STORAGE_ADDRESS_MAX + 1, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad %s: %s", what, error);
	return STORAGE_OK;
}

enum storage_result storage_alias_add(struct storage_conn *conn, const char *address,
				      const char *target, const char **error_r)
{
	char addr[STORAGE_ADDRESS_MAX + 1], dest[STORAGE_ADDRESS_MAX + 1];
	int64_t domain_id;
	bool found;

	enum storage_result result = alias_address(conn, address, "alias", addr, error_r);
	if (result == STORAGE_OK)
		result = alias_address(conn, target, "alias target", dest, error_r);
	if (result != STORAGE_OK)
		return result;
	if (strcmp(addr, dest) == 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "alias %s points to itself",
				    addr);
	const char *domain = strchr(addr, '@') + 1;
	enum db_status status = sdb_int(conn, "SELECT id FROM domains WHERE name = $1",
					DB_ARGS(DB_TEXT(domain)), &domain_id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "alias domain", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no domain %s", domain);
	status = sdb_exec(conn,
		"INSERT INTO aliases (domain_id, address, target) VALUES ($1, $2, $3) "
		"ON CONFLICT (address, target) DO NOTHING",
		DB_ARGS(DB_INT(domain_id), DB_TEXT(addr), DB_TEXT(dest)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "add alias", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "alias %s -> %s exists",
				    addr, dest);
	return STORAGE_OK;
}

enum storage_result storage_alias_del(struct storage_conn *conn, const char *address,
				      const char *target, const char **error_r)
{
	char addr[STORAGE_ADDRESS_MAX + 1], dest[STORAGE_ADDRESS_MAX + 1];
	enum db_status status;

	enum storage_result result = alias_address(conn, address, "alias", addr, error_r);
	if (result == STORAGE_OK && target != NULL)
		result = alias_address(conn, target, "alias target", dest, error_r);
	if (result != STORAGE_OK)
		return result;
	if (target == NULL) {
		status = sdb_exec(conn, "DELETE FROM aliases WHERE address = $1",
				  DB_ARGS(DB_TEXT(addr)));
	} else {
		status = sdb_exec(conn, "DELETE FROM aliases WHERE address = $1 AND target = $2",
				  DB_ARGS(DB_TEXT(addr), DB_TEXT(dest)));
	}
	if (status != DB_OK)
		return storage_db_fail(conn, status, "delete alias", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no alias %s%s%s", addr,
				    target == NULL ? "" : " -> ", target == NULL ? "" : dest);
	return STORAGE_OK;
}

/* Hand each (id, address, target) row of res to cb, then finish it. */
static enum storage_result alias_rows(struct storage_conn *conn, struct db_result *res,
				      storage_alias_cb *cb, void *context, const char *what,
				      const char **error_r)
{
	struct storage_alias alias;
	while (sdb_next(conn, res)) {
		alias.id = sdb_get_int(conn, res, 0);
		storage_strlcpy(alias.address, sdb_get_text(conn, res, 1), sizeof(alias.address));
		storage_strlcpy(alias.target, sdb_get_text(conn, res, 2), sizeof(alias.target));
		cb(&alias, context);
	}
	enum db_status status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, what, error_r);
	return STORAGE_OK;
}

enum storage_result storage_alias_list(struct storage_conn *conn, const char *domain,
				       storage_alias_cb *cb, void *context, const char **error_r)
{
	struct db_result *res = NULL;
	enum db_status status;

	if (domain == NULL) {
		status = sdb_query(conn, "SELECT id, address, target FROM aliases "
				   "ORDER BY address, target", DB_NOARGS, &res);
	} else {
		struct storage_domain dom;
		enum storage_result result = storage_domain_get(conn, domain, &dom, error_r);
		if (result != STORAGE_OK)
			return result;
		status = sdb_query(conn, "SELECT id, address, target FROM aliases "
				   "WHERE domain_id = $1 ORDER BY address, target",
				   DB_ARGS(DB_INT(dom.id)), &res);
	}
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list aliases", error_r);
	return alias_rows(conn, res, cb, context, "list aliases", error_r);
}

enum storage_result storage_alias_targets(struct storage_conn *conn, const char *address,
					  storage_alias_cb *cb, void *context,
					  const char **error_r)
{
	char addr[STORAGE_ADDRESS_MAX + 1];
	struct db_result *res = NULL;
	enum storage_result result = alias_address(conn, address, "alias", addr, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn, "SELECT id, address, target FROM aliases "
					  "WHERE address = $1 ORDER BY target",
					  DB_ARGS(DB_TEXT(addr)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "alias targets", error_r);
	return alias_rows(conn, res, cb, context, "alias targets", error_r);
}
