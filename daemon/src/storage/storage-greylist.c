/* storage-greylist.c - the greylisting memory of the Postfix policy
 * service: one row per (client network, sender, recipient) and one per
 * client network that got mail through (tables greylist from schema 001,
 * greylist_client from 008). The decision for one attempt is taken and recorded in one
 * write transaction, so two tandemd on the same database never disagree.
 *
 * Knows nothing of DNSBLs or the policy protocol; the caller normalizes the
 * key (daemon/src/policy/greylist.c). Never decides from a failed query:
 * any database trouble is TEMP, which the caller turns into a deferral.
 */
#include "storage-private.h"

#include <string.h>

#define GREYLIST_DAY_SECS 86400

static enum storage_result greylist_check_key(struct storage_conn *conn, const char *what,
					      const char *value, bool may_be_empty,
					      const char **error_r)
{
	if (value == NULL || (!may_be_empty && value[0] == '\0'))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "greylist: no %s", what);
	size_t len = strlen(value);
	if (len > STORAGE_GREYLIST_KEY_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "greylist: %s longer than %d bytes", what,
				    STORAGE_GREYLIST_KEY_MAX);
	if (!storage_utf8_printable(value, len))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "greylist: %s is not printable UTF-8", what);
	return STORAGE_OK;
}

/* The network is auto-whitelisted: move its end forward (one statement:
 * whether it matched is the answer). */
static enum storage_result greylist_whitelisted_txn(struct storage_conn *conn,
						    const char *client_net,
						    const struct storage_greylist_params *p,
						    bool *whitelisted_r, const char **error_r)
{
	int64_t until = p->now + (int64_t)p->autowhitelist_days * GREYLIST_DAY_SECS;
	enum db_status status = sdb_exec(conn,
		"UPDATE greylist_client SET whitelisted_until = $2, last_seen = $3 "
		"WHERE client_net = $1 AND whitelisted_until > $3",
		DB_ARGS(DB_TEXT(client_net), DB_INT(until), DB_INT(p->now)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist whitelist", error_r);
	*whitelisted_r = conn->db->changes(conn->dbc) > 0;
	return STORAGE_OK;
}

/* Count an accepted mail for the network; whitelist it at the count. */
static enum storage_result greylist_count_pass_txn(struct storage_conn *conn,
						   const char *client_net,
						   const struct storage_greylist_params *p,
						   struct storage_greylist_outcome *out,
						   const char **error_r)
{
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"INSERT INTO greylist_client (client_net, passes, whitelisted_until, last_seen) "
		"VALUES ($1, 1, 0, $2) ON CONFLICT (client_net) DO UPDATE SET "
		"passes = greylist_client.passes + 1, last_seen = $2 RETURNING passes",
		DB_ARGS(DB_TEXT(client_net), DB_INT(p->now)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist count", error_r);
	out->passes = sdb_next(conn, res) ? sdb_get_int(conn, res, 0) : 0;
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist count", error_r);
	if (p->autowhitelist_count == 0 || out->passes < (int64_t)p->autowhitelist_count)
		return STORAGE_OK;
	int64_t until = p->now + (int64_t)p->autowhitelist_days * GREYLIST_DAY_SECS;
	status = sdb_exec(conn,
		"UPDATE greylist_client SET whitelisted_until = $2 WHERE client_net = $1",
		DB_ARGS(DB_TEXT(client_net), DB_INT(until)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist autowhitelist", error_r);
	out->whitelisted_now = true;
	return STORAGE_OK;
}

static enum storage_result greylist_check_txn(struct storage_conn *conn, const char *client_net,
					      const char *sender, const char *recipient,
					      const struct storage_greylist_params *p,
					      struct storage_greylist_outcome *out,
					      const char **error_r)
{
	bool whitelisted = false;
	enum storage_result result = greylist_whitelisted_txn(conn, client_net, p, &whitelisted,
							      error_r);
	if (result != STORAGE_OK)
		return result;
	if (whitelisted) {
		out->verdict = STORAGE_GREYLIST_WHITELISTED;
		return STORAGE_OK;
	}

	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn,
		"SELECT first_seen, last_seen, pass_count FROM greylist "
		"WHERE client_net = $1 AND sender = $2 AND recipient = $3",
		DB_ARGS(DB_TEXT(client_net), DB_TEXT(sender), DB_TEXT(recipient)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist lookup", error_r);
	bool found = sdb_next(conn, res);
	int64_t first_seen = found ? sdb_get_int(conn, res, 0) : 0;
	int64_t last_seen = found ? sdb_get_int(conn, res, 1) : 0;
	int64_t passes = found ? sdb_get_int(conn, res, 2) : 0;
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist lookup", error_r);

	int64_t lifetime = (int64_t)p->autowhitelist_days * GREYLIST_DAY_SECS;
	bool expired = found && ((passes == 0 && p->now - first_seen > (int64_t)p->retry_window) ||
				 (passes != 0 && p->now - last_seen > lifetime));
	if (!found || expired) {
		status = sdb_exec(conn,
			"INSERT INTO greylist (client_net, sender, recipient, first_seen, last_seen, pass_count) "
			"VALUES ($1, $2, $3, $4, $4, 0) ON CONFLICT (client_net, sender, recipient) "
			"DO UPDATE SET first_seen = $4, last_seen = $4, pass_count = 0",
			DB_ARGS(DB_TEXT(client_net), DB_TEXT(sender), DB_TEXT(recipient),
				DB_INT(p->now)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "greylist insert", error_r);
		out->verdict = STORAGE_GREYLIST_NEW;
		out->wait_secs = p->delay;
		return STORAGE_OK;
	}
	int64_t waited = p->now - first_seen;
	if (waited < 0)
		waited = 0; /* another node's clock ahead of ours */
	if (passes == 0 && waited < (int64_t)p->delay) {
		status = sdb_exec(conn,
			"UPDATE greylist SET last_seen = $4 "
			"WHERE client_net = $1 AND sender = $2 AND recipient = $3",
			DB_ARGS(DB_TEXT(client_net), DB_TEXT(sender), DB_TEXT(recipient),
				DB_INT(p->now)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "greylist update", error_r);
		out->verdict = STORAGE_GREYLIST_EARLY;
		out->wait_secs = (int64_t)p->delay - waited;
		return STORAGE_OK;
	}
	status = sdb_exec(conn,
		"UPDATE greylist SET last_seen = $4, pass_count = pass_count + 1 "
		"WHERE client_net = $1 AND sender = $2 AND recipient = $3",
		DB_ARGS(DB_TEXT(client_net), DB_TEXT(sender), DB_TEXT(recipient), DB_INT(p->now)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "greylist pass", error_r);
	out->verdict = STORAGE_GREYLIST_PASSED;
	out->delayed_secs = passes == 0 ? waited : 0;
	return greylist_count_pass_txn(conn, client_net, p, out, error_r);
}

enum storage_result storage_greylist_check(struct storage_conn *conn, const char *client_net,
					   const char *sender, const char *recipient,
					   const struct storage_greylist_params *params,
					   struct storage_greylist_outcome *outcome_r,
					   const char **error_r)
{
	memset(outcome_r, 0, sizeof(*outcome_r));
	enum storage_result result = greylist_check_key(conn, "client network", client_net,
							false, error_r);
	if (result == STORAGE_OK)
		result = greylist_check_key(conn, "sender", sender, true, error_r);
	if (result == STORAGE_OK)
		result = greylist_check_key(conn, "recipient", recipient, false, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = greylist_check_txn(conn, client_net, sender, recipient, params, outcome_r,
				    error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_greylist_prune(struct storage_conn *conn,
					   const struct storage_greylist_params *params,
					   int64_t *deleted_r, const char **error_r)
{
	*deleted_r = 0;
	int64_t lifetime = (int64_t)params->autowhitelist_days * GREYLIST_DAY_SECS;
	enum db_status status = sdb_exec(conn,
		"DELETE FROM greylist WHERE (pass_count = 0 AND first_seen < $1) "
		"OR (pass_count <> 0 AND last_seen < $2)",
		DB_ARGS(DB_INT(params->now - (int64_t)params->retry_window),
			DB_INT(params->now - lifetime)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "prune greylist", error_r);
	*deleted_r += conn->db->changes(conn->dbc);
	status = sdb_exec(conn,
		"DELETE FROM greylist_client WHERE whitelisted_until < $1 AND last_seen < $2",
		DB_ARGS(DB_INT(params->now), DB_INT(params->now - lifetime)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "prune greylist clients", error_r);
	*deleted_r += conn->db->changes(conn->dbc);
	return STORAGE_OK;
}
