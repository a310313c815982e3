/* storage-user.c - mail accounts: add (with INBOX and the special-use
 * folders), delete (with all their mail), get, list, password and quota.
 *
 * Never stores an address that storage_address_normalize refused, and never
 * leaves a user half created or half deleted (one transaction each).
 */
#include "storage-private.h"

#include <string.h>

#define USER_COLUMNS \
	"id, domain_id, address, password_hash, source, quota_bytes, quota_messages, " \
	"used_bytes, used_messages, created"

/* The folders every new user gets: name and RFC 6154 special use. */
static const struct {
	const char *name;
	const char *special_use;
} user_default_mailboxes[] = {
	{ STORAGE_INBOX, "" },
	{ "Drafts", "\\Drafts" },
	{ "Sent", "\\Sent" },
	{ "Junk", "\\Junk" },
	{ "Trash", "\\Trash" },
	{ "Archive", "\\Archive" },
};

static void user_from_row(struct storage_conn *conn, struct db_result *res,
			  struct storage_user *user_r)
{
	memset(user_r, 0, sizeof(*user_r));
	user_r->id = sdb_get_int(conn, res, 0);
	user_r->domain_id = sdb_get_int(conn, res, 1);
	storage_strlcpy(user_r->address, sdb_get_text(conn, res, 2), sizeof(user_r->address));
	storage_strlcpy(user_r->password_hash, sdb_get_text(conn, res, 3),
			sizeof(user_r->password_hash));
	storage_strlcpy(user_r->source, sdb_get_text(conn, res, 4), sizeof(user_r->source));
	user_r->quota_bytes = sdb_get_int(conn, res, 5);
	user_r->quota_messages = sdb_get_int(conn, res, 6);
	user_r->used_bytes = sdb_get_int(conn, res, 7);
	user_r->used_messages = sdb_get_int(conn, res, 8);
	user_r->created = sdb_get_int(conn, res, 9);
}

static enum storage_result user_address(struct storage_conn *conn, const char *address,
					char out[STORAGE_ADDRESS_MAX + 1], const char **error_r)
{
	const char *error;
	if (address == NULL)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "no address given");
	if (storage_address_normalize(address, out, STORAGE_ADDRESS_MAX + 1, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad address: %s", error);
	return STORAGE_OK;
}

static enum storage_result password_check(struct storage_conn *conn, const char *hash,
					  const char **error_r)
{
	if (hash == NULL)
		return STORAGE_OK;
	size_t len = strlen(hash);
	if (len > STORAGE_PASSWORD_HASH_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "password hash too long");
	if (!storage_utf8_printable(hash, len))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "password hash has control characters");
	return STORAGE_OK;
}

static enum storage_result user_get_where(struct storage_conn *conn, const char *sql,
					  struct db_param param, const char *what,
					  struct storage_user *user_r, const char **error_r)
{
	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn, sql, &param, 1, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get user", error_r);
	bool found = sdb_next(conn, res);
	if (found)
		user_from_row(conn, res, user_r);
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get user", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %s", what);
	return STORAGE_OK;
}

enum storage_result storage_user_get(struct storage_conn *conn, const char *address,
				     struct storage_user *user_r, const char **error_r)
{
	char norm[STORAGE_ADDRESS_MAX + 1];
	enum storage_result result = user_address(conn, address, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	return user_get_where(conn, "SELECT " USER_COLUMNS " FROM users WHERE address = $1",
			      DB_TEXT(norm), norm, user_r, error_r);
}

enum storage_result storage_user_get_by_id(struct storage_conn *conn, int64_t user_id,
					   struct storage_user *user_r, const char **error_r)
{
	return user_get_where(conn, "SELECT " USER_COLUMNS " FROM users WHERE id = $1",
			      DB_INT(user_id), "with that id", user_r, error_r);
}

static enum storage_result user_add_txn(struct storage_conn *conn, const char *address,
					const char *password_hash, const char *source,
					const char **error_r)
{
	struct db_result *res = NULL;
	int64_t domain_id = 0, quota_bytes = 0, quota_messages = 0, user_id;
	bool found;
	const char *domain = strchr(address, '@') + 1;

	enum db_status status = sdb_query(conn,
		"SELECT id, default_quota_bytes, default_quota_messages FROM domains WHERE name = $1",
		DB_ARGS(DB_TEXT(domain)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "user domain", error_r);
	found = sdb_next(conn, res);
	if (found) {
		domain_id = sdb_get_int(conn, res, 0);
		quota_bytes = sdb_get_int(conn, res, 1);
		quota_messages = sdb_get_int(conn, res, 2);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "user domain", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no domain %s", domain);

	status = sdb_int(conn, "SELECT id FROM users WHERE address = $1",
			 DB_ARGS(DB_TEXT(address)), &user_id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "add user", error_r);
	if (found)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "user %s exists", address);
	status = sdb_int(conn,
		"INSERT INTO users (domain_id, address, password_hash, source, quota_bytes, "
		"quota_messages, created) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		DB_ARGS(DB_INT(domain_id), DB_TEXT(address),
			DB_TEXT(password_hash == NULL ? "" : password_hash), DB_TEXT(source),
			DB_INT(quota_bytes), DB_INT(quota_messages), DB_INT(storage_now())),
		&user_id, &found);
	if (status == DB_ERR_CONSTRAINT)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "user %s exists", address);
	if (status != DB_OK || !found)
		return storage_db_fail(conn, status, "add user", error_r);
	for (size_t i = 0; i < sizeof(user_default_mailboxes) / sizeof(user_default_mailboxes[0]);
	     i++) {
		int64_t mailbox_id;
		enum storage_result result = storage_mailbox_create_txn(conn, user_id,
			user_default_mailboxes[i].name, user_default_mailboxes[i].special_use,
			true, &mailbox_id, error_r);
		if (result != STORAGE_OK)
			return result;
	}
	return STORAGE_OK;
}

static enum storage_result user_add(struct storage_conn *conn, const char *address,
				    const char *password_hash, const char *source,
				    const char **error_r)
{
	char norm[STORAGE_ADDRESS_MAX + 1];
	enum storage_result result = user_address(conn, address, norm, error_r);
	if (result == STORAGE_OK)
		result = password_check(conn, password_hash, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = user_add_txn(conn, norm, password_hash, source, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_user_add(struct storage_conn *conn, const char *address,
				     const char *password_hash, const char **error_r)
{
	return user_add(conn, address, password_hash, "sql", error_r);
}

enum storage_result storage_user_add_ldap(struct storage_conn *conn, const char *address,
					  const char **error_r)
{
	return user_add(conn, address, "", "ldap", error_r);
}

enum storage_result storage_user_delete_txn(struct storage_conn *conn, int64_t user_id,
					    const char **error_r)
{
	for (;;) {
		int64_t mailbox_id;
		bool found;
		enum db_status status = sdb_int(conn,
			"SELECT id FROM mailboxes WHERE user_id = $1 LIMIT 1",
			DB_ARGS(DB_INT(user_id)), &mailbox_id, &found);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "user mailboxes", error_r);
		if (!found)
			break;
		enum storage_result result = storage_mailbox_purge_txn(conn, mailbox_id, error_r);
		if (result != STORAGE_OK)
			return result;
		status = sdb_exec(conn, "DELETE FROM acls WHERE mailbox_id = $1",
				  DB_ARGS(DB_INT(mailbox_id)));
		if (status == DB_OK)
			status = sdb_exec(conn, "DELETE FROM expunged_uids WHERE mailbox_id = $1",
					  DB_ARGS(DB_INT(mailbox_id)));
		if (status == DB_OK)
			status = sdb_exec(conn, "DELETE FROM mailboxes WHERE id = $1",
					  DB_ARGS(DB_INT(mailbox_id)));
		if (status != DB_OK)
			return storage_db_fail(conn, status, "delete mailbox", error_r);
	}
	enum db_status status = sdb_exec(conn, "DELETE FROM sieve_scripts WHERE user_id = $1",
					 DB_ARGS(DB_INT(user_id)));
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM users WHERE id = $1", DB_ARGS(DB_INT(user_id)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "delete user", error_r);
	return STORAGE_OK;
}

enum storage_result storage_user_del(struct storage_conn *conn, const char *address,
				     const char **error_r)
{
	struct storage_user user;
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_user_get(conn, address, &user, error_r);
	if (result == STORAGE_OK)
		result = storage_user_delete_txn(conn, user.id, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_user_list(struct storage_conn *conn, const char *domain,
				      storage_user_cb *cb, void *context, const char **error_r)
{
	struct db_result *res = NULL;
	struct storage_user user;
	enum db_status status;

	if (domain == NULL) {
		status = sdb_query(conn, "SELECT " USER_COLUMNS " FROM users ORDER BY address",
				   DB_NOARGS, &res);
	} else {
		struct storage_domain dom;
		enum storage_result result = storage_domain_get(conn, domain, &dom, error_r);
		if (result != STORAGE_OK)
			return result;
		status = sdb_query(conn, "SELECT " USER_COLUMNS " FROM users "
				   "WHERE domain_id = $1 ORDER BY address",
				   DB_ARGS(DB_INT(dom.id)), &res);
	}
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list users", error_r);
	while (sdb_next(conn, res)) {
		user_from_row(conn, res, &user);
		cb(&user, context);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list users", error_r);
	return STORAGE_OK;
}

/* Run sql with $1 = the normalized address and $2.. = params. */
static enum storage_result user_update(struct storage_conn *conn, const char *address,
				       const char *sql, const struct db_param *params,
				       size_t count, const char **error_r)
{
	char norm[STORAGE_ADDRESS_MAX + 1];
	struct db_param all[3];
	enum storage_result result = user_address(conn, address, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	all[0] = DB_TEXT(norm);
	for (size_t i = 0; i < count && i < 2; i++)
		all[i + 1] = params[i];
	enum db_status status = sdb_exec(conn, sql, all, count + 1);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "update user", error_r);
	if (conn->db->changes(conn->dbc) == 0)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %s", norm);
	return STORAGE_OK;
}

enum storage_result storage_user_set_password(struct storage_conn *conn, const char *address,
					      const char *password_hash, const char **error_r)
{
	enum storage_result result = password_check(conn, password_hash, error_r);
	if (result != STORAGE_OK)
		return result;
	return user_update(conn, address, "UPDATE users SET password_hash = $2 WHERE address = $1",
			   DB_ARGS(DB_TEXT(password_hash == NULL ? "" : password_hash)), error_r);
}

enum storage_result storage_user_set_quota(struct storage_conn *conn, const char *address,
					   int64_t bytes, int64_t messages,
					   const char **error_r)
{
	if (bytes < 0 || messages < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "negative quota");
	return user_update(conn, address,
			   "UPDATE users SET quota_bytes = $2, quota_messages = $3 WHERE address = $1",
			   DB_ARGS(DB_INT(bytes), DB_INT(messages)), error_r);
}
