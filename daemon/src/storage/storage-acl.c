/* storage-acl.c - who may do what in a mailbox (RFC 4314 ACLs): the rights
 * letters, identifiers, setting and listing a mailbox's entries, a user's
 * rights on one mailbox, and the other users' mailboxes a user was given
 * rights on (the IMAP Shared/ namespace).
 *
 * Never stores an entry for a mailbox's owner (they have every right), an
 * empty rights string, or an identifier that is not "anyone",
 * "authenticated" or an existing user's address. Deciding what a right
 * allows is the protocol's business; this file only keeps and combines them.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int storage_acl_rights_parse(const char *letters, uint32_t *rights_r, char *bad_r)
{
	uint32_t rights = 0;
	for (const char *p = letters; *p != '\0'; p++) {
		const char *at = strchr(STORAGE_ACL_LETTERS, *p);
		if (at == NULL) {
			*bad_r = *p;
			return -1;
		}
		rights |= 1u << (at - STORAGE_ACL_LETTERS);
	}
	*rights_r = rights;
	return 0;
}

void storage_acl_rights_format(uint32_t rights, char out[STORAGE_ACL_RIGHTS_MAX + 1])
{
	size_t n = 0;
	for (size_t i = 0; i < STORAGE_ACL_RIGHTS_MAX; i++) {
		if ((rights & (1u << i)) != 0)
			out[n++] = STORAGE_ACL_LETTERS[i];
	}
	out[n] = '\0';
}

int storage_acl_identifier_normalize(const char *identifier,
				     char out[STORAGE_ACL_IDENTIFIER_MAX + 1],
				     const char **error_r)
{
	static const char *const specials[] = { STORAGE_ACL_ANYONE, STORAGE_ACL_AUTHENTICATED };
	if (identifier == NULL || identifier[0] == '\0') {
		*error_r = "empty identifier";
		return -1;
	}
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		if (strcasecmp(identifier, specials[i]) == 0) {
			strcpy(out, specials[i]);
			return 0;
		}
	}
	return storage_address_normalize(identifier, out, STORAGE_ACL_IDENTIFIER_MAX + 1, error_r);
}

static bool acl_identifier_special(const char *identifier)
{
	return strcmp(identifier, STORAGE_ACL_ANYONE) == 0 ||
	       strcmp(identifier, STORAGE_ACL_AUTHENTICATED) == 0;
}

static enum storage_result acl_identifier(struct storage_conn *conn, const char *identifier,
					  char out[STORAGE_ACL_IDENTIFIER_MAX + 1],
					  const char **error_r)
{
	const char *error;
	if (storage_acl_identifier_normalize(identifier, out, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "identifier: %s", error);
	return STORAGE_OK;
}

/* The owner of mailbox_id (NOTFOUND when there is no such mailbox). */
static enum storage_result acl_mailbox_owner(struct storage_conn *conn, int64_t mailbox_id,
					     int64_t *owner_r, const char **error_r)
{
	bool found;
	enum db_status status = sdb_int(conn, "SELECT user_id FROM mailboxes WHERE id = $1",
					DB_ARGS(DB_INT(mailbox_id)), owner_r, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "acl mailbox", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %lld",
				    (long long)mailbox_id);
	return STORAGE_OK;
}

static enum storage_result acl_set_txn(struct storage_conn *conn, int64_t mailbox_id,
				       const char *identifier, uint32_t rights,
				       const char **error_r)
{
	int64_t owner_id, user_id = 0;
	bool found = true;
	enum storage_result result = acl_mailbox_owner(conn, mailbox_id, &owner_id, error_r);
	if (result != STORAGE_OK)
		return result;
	if (!acl_identifier_special(identifier)) {
		enum db_status status = sdb_int(conn, "SELECT id FROM users WHERE address = $1",
						DB_ARGS(DB_TEXT(identifier)), &user_id, &found);
		if (status != DB_OK)
			return storage_db_fail(conn, status, "acl user", error_r);
		if (!found)
			return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %s",
					    identifier);
		if (user_id == owner_id)
			return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
					    "the owner's rights cannot be changed");
	}
	enum db_status status = sdb_exec(conn,
		"DELETE FROM acls WHERE mailbox_id = $1 AND identifier = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_TEXT(identifier)));
	if (status == DB_OK && rights != 0) {
		char letters[STORAGE_ACL_RIGHTS_MAX + 1];
		storage_acl_rights_format(rights, letters);
		status = sdb_exec(conn,
			"INSERT INTO acls (mailbox_id, identifier, rights) VALUES ($1, $2, $3)",
			DB_ARGS(DB_INT(mailbox_id), DB_TEXT(identifier), DB_TEXT(letters)));
	}
	if (status != DB_OK)
		return storage_db_fail(conn, status, "set acl", error_r);
	return STORAGE_OK;
}

enum storage_result storage_acl_set(struct storage_conn *conn, int64_t mailbox_id,
				    const char *identifier, uint32_t rights,
				    const char **error_r)
{
	char norm[STORAGE_ACL_IDENTIFIER_MAX + 1];
	enum storage_result result = acl_identifier(conn, identifier, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	if ((rights & ~(uint32_t)STORAGE_ACL_ALL) != 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "unknown rights bits");
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = acl_set_txn(conn, mailbox_id, norm, rights, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_acl_delete(struct storage_conn *conn, int64_t mailbox_id,
				       const char *identifier, const char **error_r)
{
	char norm[STORAGE_ACL_IDENTIFIER_MAX + 1];
	int64_t owner_id;
	enum storage_result result = acl_identifier(conn, identifier, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = acl_mailbox_owner(conn, mailbox_id, &owner_id, error_r);
	if (result == STORAGE_OK) {
		enum db_status status = sdb_exec(conn,
			"DELETE FROM acls WHERE mailbox_id = $1 AND identifier = $2",
			DB_ARGS(DB_INT(mailbox_id), DB_TEXT(norm)));
		if (status != DB_OK)
			result = storage_db_fail(conn, status, "delete acl", error_r);
	}
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

/* Letters read back from the table (ignoring anything unknown). */
static uint32_t acl_rights_from_row(const char *letters)
{
	uint32_t rights = 0;
	for (const char *p = letters; *p != '\0'; p++) {
		const char *at = strchr(STORAGE_ACL_LETTERS, *p);
		if (at != NULL)
			rights |= 1u << (at - STORAGE_ACL_LETTERS);
	}
	return rights;
}

enum storage_result storage_acl_list(struct storage_conn *conn, int64_t mailbox_id,
				     storage_acl_cb *cb, void *context, const char **error_r)
{
	int64_t owner_id;
	struct db_result *res = NULL;
	enum storage_result result = acl_mailbox_owner(conn, mailbox_id, &owner_id, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn,
		"SELECT identifier, rights FROM acls WHERE mailbox_id = $1 ORDER BY identifier",
		DB_ARGS(DB_INT(mailbox_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list acl", error_r);
	while (sdb_next(conn, res))
		cb(sdb_get_text(conn, res, 0), acl_rights_from_row(sdb_get_text(conn, res, 1)),
		   context);
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list acl", error_r);
	return STORAGE_OK;
}

enum storage_result storage_acl_rights(struct storage_conn *conn, int64_t mailbox_id,
				       int64_t user_id, uint32_t *rights_r,
				       const char **error_r)
{
	int64_t owner_id;
	struct db_result *res = NULL;
	*rights_r = 0;
	enum storage_result result = acl_mailbox_owner(conn, mailbox_id, &owner_id, error_r);
	if (result != STORAGE_OK)
		return result;
	if (owner_id == user_id) {
		*rights_r = STORAGE_ACL_ALL;
		return STORAGE_OK;
	}
	/* one row per user: whether the user exists, and their entries' rights */
	enum db_status status = sdb_query(conn,
		"SELECT a.rights FROM users u JOIN acls a ON a.mailbox_id = $1 AND "
		"a.identifier IN (u.address, $3, $4) WHERE u.id = $2 "
		"UNION ALL SELECT '' FROM users WHERE id = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(user_id), DB_TEXT(STORAGE_ACL_ANYONE),
			DB_TEXT(STORAGE_ACL_AUTHENTICATED)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "acl rights", error_r);
	bool user_found = false;
	while (sdb_next(conn, res)) {
		user_found = true;
		*rights_r |= acl_rights_from_row(sdb_get_text(conn, res, 0));
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "acl rights", error_r);
	if (!user_found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %lld",
				    (long long)user_id);
	return STORAGE_OK;
}

struct acl_shared_row {
	struct storage_mailbox mailbox;
	char owner[STORAGE_ADDRESS_MAX + 1];
	uint32_t rights;
};

enum storage_result storage_acl_shared_list(struct storage_conn *conn, int64_t user_id,
					    storage_acl_shared_cb *cb, void *context,
					    const char **error_r)
{
	struct db_result *res = NULL;
	struct acl_shared_row *rows = NULL;
	size_t count = 0, cap = 0;
	/* a mailbox named by several entries comes once per entry, in a row:
	 * their rights are merged below */
	enum db_status status = sdb_query(conn,
		"SELECT m.id, m.user_id, m.name, m.uidvalidity, m.uidnext, m.highestmodseq, "
		"m.subscribed, o.address, a.rights FROM users u "
		"JOIN acls a ON a.identifier IN (u.address, $2, $3) "
		"JOIN mailboxes m ON m.id = a.mailbox_id AND m.user_id <> u.id "
		"JOIN users o ON o.id = m.user_id "
		"WHERE u.id = $1 ORDER BY o.address, m.name, m.id",
		DB_ARGS(DB_INT(user_id), DB_TEXT(STORAGE_ACL_ANYONE),
			DB_TEXT(STORAGE_ACL_AUTHENTICATED)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list shared mailboxes", error_r);
	while (sdb_next(conn, res)) {
		int64_t id = sdb_get_int(conn, res, 0);
		uint32_t rights = acl_rights_from_row(sdb_get_text(conn, res, 8));
		if (count > 0 && rows[count - 1].mailbox.id == id) {
			rows[count - 1].rights |= rights;
			continue;
		}
		struct acl_shared_row *row = XARRAY_PUSH(rows, count, cap);
		memset(row, 0, sizeof(*row));
		row->mailbox.id = id;
		row->mailbox.user_id = sdb_get_int(conn, res, 1);
		storage_strlcpy(row->mailbox.name, sdb_get_text(conn, res, 2),
				sizeof(row->mailbox.name));
		row->mailbox.uidvalidity = (uint32_t)sdb_get_int(conn, res, 3);
		row->mailbox.uidnext = (uint32_t)sdb_get_int(conn, res, 4);
		row->mailbox.highestmodseq = sdb_get_int(conn, res, 5);
		row->mailbox.subscribed = sdb_get_int(conn, res, 6) != 0;
		storage_strlcpy(row->owner, sdb_get_text(conn, res, 7), sizeof(row->owner));
		row->rights = rights;
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		free(rows);
		return storage_db_fail(conn, status, "list shared mailboxes", error_r);
	}
	for (size_t i = 0; i < count; i++)
		cb(&rows[i].mailbox, rows[i].owner, rows[i].rights, context);
	free(rows);
	return STORAGE_OK;
}
