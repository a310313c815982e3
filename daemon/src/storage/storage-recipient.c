/* storage-recipient.c - resolve an envelope recipient to local users (LMTP
 * RCPT): the user itself, else user+detail, else its aliases followed
 * recursively (to STORAGE_ALIAS_DEPTH_MAX), with loops cut and users
 * de-duplicated.
 *
 * Read-only. Never follows an alias address twice (so a loop or a diamond
 * costs one lookup per address) and never returns more than
 * STORAGE_EXPANSION_MAX users.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Most distinct alias addresses one resolution may expand. */
#define RESOLVE_VISITED_MAX (4 * STORAGE_EXPANSION_MAX)

struct resolve {
	struct storage_conn *conn;
	struct storage_recipient *rcpt;
	char **visited;
	size_t visited_count;
	bool via_detail; /* top-level match used the address without +detail */
};

static enum storage_result resolve_address(struct resolve *rs, const char *address,
					   unsigned depth, const char **error_r);

/* addr without its "+detail" into base; false if it has none. */
static bool address_base(const char *address, char base[STORAGE_ADDRESS_MAX + 1])
{
	const char *at = strchr(address, '@');
	const char *plus = memchr(address, '+', (size_t)(at - address));
	if (plus == NULL || plus == address)
		return false;
	size_t len = (size_t)(plus - address);
	memcpy(base, address, len);
	storage_strlcpy(base + len, at, STORAGE_ADDRESS_MAX + 1 - len);
	return true;
}

static enum storage_result add_user(struct resolve *rs, int64_t user_id, const char **error_r)
{
	struct storage_recipient *rcpt = rs->rcpt;
	for (size_t i = 0; i < rcpt->user_count; i++) {
		if (rcpt->user_ids[i] == user_id)
			return STORAGE_OK;
	}
	if (rcpt->user_count >= STORAGE_EXPANSION_MAX) {
		return storage_fail(rs->conn, STORAGE_ERR_INVALID, error_r,
				    "address expands to more than %d users",
				    STORAGE_EXPANSION_MAX);
	}
	rcpt->user_ids[rcpt->user_count++] = user_id;
	return STORAGE_OK;
}

static enum storage_result lookup_user(struct resolve *rs, const char *address, bool *found_r,
				       const char **error_r)
{
	int64_t user_id;
	enum db_status status = sdb_int(rs->conn, "SELECT id FROM users WHERE address = $1",
					DB_ARGS(DB_TEXT(address)), &user_id, found_r);
	if (status != DB_OK)
		return storage_db_fail(rs->conn, status, "resolve user", error_r);
	return *found_r ? add_user(rs, user_id, error_r) : STORAGE_OK;
}

/* Expand the aliases of address (once per resolution). *found_r tells
 * whether address is an alias at all. */
static enum storage_result expand_alias(struct resolve *rs, const char *address, unsigned depth,
					bool *found_r, const char **error_r)
{
	struct db_result *res = NULL;
	char **targets = NULL;
	size_t count = 0;

	*found_r = false;
	for (size_t i = 0; i < rs->visited_count; i++) {
		if (strcmp(rs->visited[i], address) == 0) {
			*found_r = true; /* a loop or a second path: already expanded */
			return STORAGE_OK;
		}
	}
	enum db_status status = sdb_query(rs->conn,
		"SELECT target FROM aliases WHERE address = $1", DB_ARGS(DB_TEXT(address)), &res);
	if (status != DB_OK)
		return storage_db_fail(rs->conn, status, "resolve alias", error_r);
	while (sdb_next(rs->conn, res)) {
		targets = xrealloc(targets, (count + 1) * sizeof(*targets));
		targets[count++] = xstrdup(sdb_get_text(rs->conn, res, 0));
	}
	status = sdb_finish(rs->conn, &res);
	enum storage_result result = STORAGE_OK;
	if (status != DB_OK)
		result = storage_db_fail(rs->conn, status, "resolve alias", error_r);
	else if (count > 0 && rs->visited_count >= RESOLVE_VISITED_MAX)
		result = storage_fail(rs->conn, STORAGE_ERR_INVALID, error_r,
				      "alias expansion of more than %d addresses",
				      RESOLVE_VISITED_MAX);
	if (result == STORAGE_OK && count > 0) {
		*found_r = true;
		rs->visited = xrealloc(rs->visited, (rs->visited_count + 1) * sizeof(char *));
		rs->visited[rs->visited_count++] = xstrdup(address);
		/* deeper chains are cut: their targets are not followed */
		for (size_t i = 0; i < count && depth < STORAGE_ALIAS_DEPTH_MAX; i++) {
			result = resolve_address(rs, targets[i], depth + 1, error_r);
			if (result != STORAGE_OK)
				break;
		}
	}
	for (size_t i = 0; i < count; i++)
		free(targets[i]);
	free(targets);
	return result;
}

static enum storage_result resolve_address(struct resolve *rs, const char *address,
					   unsigned depth, const char **error_r)
{
	char base[STORAGE_ADDRESS_MAX + 1];
	int64_t domain_id;
	bool found;

	enum storage_result result = lookup_user(rs, address, &found, error_r);
	if (result != STORAGE_OK || found)
		return result;
	enum db_status status = sdb_int(rs->conn, "SELECT id FROM domains WHERE name = $1",
					DB_ARGS(DB_TEXT(strchr(address, '@') + 1)),
					&domain_id, &found);
	if (status != DB_OK)
		return storage_db_fail(rs->conn, status, "resolve domain", error_r);
	if (!found) {
		/* an alias target elsewhere: Postfix forwards it, LMTP does not */
		if (depth > 0)
			rs->rcpt->external_count++;
		return STORAGE_OK;
	}
	bool has_base = address_base(address, base);
	if (has_base) {
		result = lookup_user(rs, base, &found, error_r);
		if (result != STORAGE_OK || found) {
			if (depth == 0)
				rs->via_detail = true;
			return result;
		}
	}
	result = expand_alias(rs, address, depth, &found, error_r);
	if (result != STORAGE_OK || found || !has_base)
		return result;
	result = expand_alias(rs, base, depth, &found, error_r);
	if (found && depth == 0)
		rs->via_detail = true;
	return result;
}

enum storage_result storage_recipient_resolve(struct storage_conn *conn, const char *address,
					      struct storage_recipient *rcpt_r,
					      const char **error_r)
{
	char norm[STORAGE_ADDRESS_MAX + 1];
	const char *error;
	struct resolve rs = { .conn = conn, .rcpt = rcpt_r };

	rcpt_r->user_count = 0;
	rcpt_r->external_count = 0;
	rcpt_r->detail[0] = '\0';
	if (address == NULL ||
	    storage_address_normalize(address, norm, sizeof(norm), &error) < 0) {
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad address: %s",
				    address == NULL ? "none given" : error);
	}
	enum storage_result result = resolve_address(&rs, norm, 0, error_r);
	for (size_t i = 0; i < rs.visited_count; i++)
		free(rs.visited[i]);
	free(rs.visited);
	if (result != STORAGE_OK) {
		rcpt_r->user_count = 0;
		return result;
	}
	if (rs.via_detail) {
		const char *at = strchr(norm, '@');
		const char *plus = memchr(norm, '+', (size_t)(at - norm));
		size_t len = (size_t)(at - plus - 1);
		memcpy(rcpt_r->detail, plus + 1, len);
		rcpt_r->detail[len] = '\0';
	}
	if (rcpt_r->user_count == 0)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no local user for %s",
				    norm);
	return STORAGE_OK;
}
