/* storage-mailbox.c - a user's folders: name rules, list, get, create (with
 * missing parents), delete, rename (with everything below, and the RFC 3501
 * INBOX rule), subscription.
 *
 * Never deletes INBOX, never lets two mailboxes of a user share a name, and
 * never gives a mailbox a UIDVALIDITY the user had before.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAILBOX_COLUMNS \
	"m.id, m.user_id, m.name, m.uidvalidity, m.uidnext, m.highestmodseq, " \
	"m.special_use, m.subscribed, " \
	"(SELECT COUNT(*) FROM mailbox_messages mm WHERE mm.mailbox_id = m.id), " \
	"(SELECT CAST(COALESCE(SUM(mm.size), 0) AS BIGINT) FROM mailbox_messages mm " \
	"WHERE mm.mailbox_id = m.id)"

/* RFC 6154 special-use attributes a mailbox may carry. */
static const char *const mailbox_special_uses[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash",
};

int storage_mailbox_name_normalize(const char *name, char out[STORAGE_MAILBOX_NAME_MAX + 1],
				   const char **error_r)
{
	size_t len = name == NULL ? 0 : strlen(name);
	if (len == 0) {
		*error_r = "empty mailbox name";
		return -1;
	}
	if (len > STORAGE_MAILBOX_NAME_MAX) {
		*error_r = "mailbox name too long";
		return -1;
	}
	if (!storage_utf8_printable(name, len)) {
		*error_r = "mailbox name is not printable UTF-8";
		return -1;
	}
	if (strpbrk(name, "*%") != NULL) {
		*error_r = "mailbox name contains a wildcard";
		return -1;
	}
	if (name[0] == STORAGE_HIERARCHY_SEP || name[len - 1] == STORAGE_HIERARCHY_SEP) {
		*error_r = "mailbox name starts or ends with the separator";
		return -1;
	}
	for (size_t i = 1; i < len; i++) {
		if (name[i] == STORAGE_HIERARCHY_SEP && name[i - 1] == STORAGE_HIERARCHY_SEP) {
			*error_r = "mailbox name has an empty level";
			return -1;
		}
	}
	memcpy(out, name, len + 1);
	/* INBOX, and INBOX as a parent, in any case */
	size_t inbox_len = strlen(STORAGE_INBOX);
	if (strncasecmp(out, STORAGE_INBOX, inbox_len) == 0 &&
	    (out[inbox_len] == '\0' || out[inbox_len] == STORAGE_HIERARCHY_SEP))
		memcpy(out, STORAGE_INBOX, inbox_len);
	return 0;
}

static enum storage_result mailbox_name(struct storage_conn *conn, const char *name,
					char out[STORAGE_MAILBOX_NAME_MAX + 1],
					const char **error_r)
{
	const char *error;
	if (storage_mailbox_name_normalize(name, out, &error) < 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "%s", error);
	return STORAGE_OK;
}

static void mailbox_from_row(struct storage_conn *conn, struct db_result *res,
			     struct storage_mailbox *mailbox_r)
{
	memset(mailbox_r, 0, sizeof(*mailbox_r));
	mailbox_r->id = sdb_get_int(conn, res, 0);
	mailbox_r->user_id = sdb_get_int(conn, res, 1);
	storage_strlcpy(mailbox_r->name, sdb_get_text(conn, res, 2), sizeof(mailbox_r->name));
	mailbox_r->uidvalidity = (uint32_t)sdb_get_int(conn, res, 3);
	mailbox_r->uidnext = (uint32_t)sdb_get_int(conn, res, 4);
	mailbox_r->highestmodseq = sdb_get_int(conn, res, 5);
	storage_strlcpy(mailbox_r->special_use, sdb_get_text(conn, res, 6),
			sizeof(mailbox_r->special_use));
	mailbox_r->subscribed = sdb_get_int(conn, res, 7) != 0;
	mailbox_r->message_count = sdb_get_int(conn, res, 8);
	mailbox_r->byte_count = sdb_get_int(conn, res, 9);
}

static enum storage_result mailbox_find(struct storage_conn *conn, int64_t user_id,
					const char *name, int64_t *id_r, bool *found_r,
					const char **error_r)
{
	enum db_status status = sdb_int(conn,
		"SELECT id FROM mailboxes WHERE user_id = $1 AND name = $2",
		DB_ARGS(DB_INT(user_id), DB_TEXT(name)), id_r, found_r);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "find mailbox", error_r);
	return STORAGE_OK;
}

/* Insert one mailbox row unless the name is taken (*created_r false). */
static enum storage_result mailbox_insert(struct storage_conn *conn, int64_t user_id,
					  const char *name, const char *special_use,
					  int64_t *id_r, bool *created_r, const char **error_r)
{
	/* The user row remembers the last UIDVALIDITY given out, so a mailbox
	 * deleted and created again (even within a second) gets a new one. */
	int64_t uidvalidity;
	bool found;
	enum db_status status = sdb_int(conn,
		"UPDATE users SET last_uidvalidity = CASE WHEN last_uidvalidity >= $2 "
		"THEN last_uidvalidity + 1 ELSE $2 END WHERE id = $1 RETURNING last_uidvalidity",
		DB_ARGS(DB_INT(user_id), DB_INT(storage_now())), &uidvalidity, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "mailbox uidvalidity", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %lld",
				    (long long)user_id);
	if (uidvalidity > UINT32_MAX)
		uidvalidity = 1;
	status = sdb_int(conn,
		"INSERT INTO mailboxes (user_id, name, uidvalidity, special_use) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, name) DO NOTHING RETURNING id",
		DB_ARGS(DB_INT(user_id), DB_TEXT(name), DB_INT(uidvalidity),
			DB_TEXT(special_use == NULL ? "" : special_use)),
		id_r, created_r);
	if (status == DB_ERR_CONSTRAINT)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no user %lld",
				    (long long)user_id);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "create mailbox", error_r);
	if (!*created_r)
		return mailbox_find(conn, user_id, name, id_r, &found, error_r);
	return STORAGE_OK;
}

enum storage_result storage_mailbox_create_txn(struct storage_conn *conn, int64_t user_id,
					       const char *name, const char *special_use,
					       bool must_be_new, int64_t *id_r,
					       const char **error_r)
{
	char parent[STORAGE_MAILBOX_NAME_MAX + 1];
	bool found;
	enum storage_result result = mailbox_find(conn, user_id, name, id_r, &found, error_r);
	if (result != STORAGE_OK)
		return result;
	if (found) {
		if (must_be_new)
			return storage_fail(conn, STORAGE_ERR_EXISTS, error_r,
					    "mailbox %s exists", name);
		return STORAGE_OK;
	}
	for (const char *sep = strchr(name, STORAGE_HIERARCHY_SEP); sep != NULL;
	     sep = strchr(sep + 1, STORAGE_HIERARCHY_SEP)) {
		int64_t parent_id;
		bool created;
		memcpy(parent, name, (size_t)(sep - name));
		parent[sep - name] = '\0';
		result = mailbox_insert(conn, user_id, parent, "", &parent_id, &created, error_r);
		if (result != STORAGE_OK)
			return result;
	}
	result = mailbox_insert(conn, user_id, name, special_use, id_r, &found, error_r);
	if (result == STORAGE_OK && !found && must_be_new)
		return storage_fail(conn, STORAGE_ERR_EXISTS, error_r, "mailbox %s exists", name);
	return result;
}

enum storage_result storage_mailbox_create(struct storage_conn *conn, int64_t user_id,
					   const char *name, const char *special_use,
					   const char **error_r)
{
	char norm[STORAGE_MAILBOX_NAME_MAX + 1];
	int64_t id;
	bool special_ok = special_use == NULL || special_use[0] == '\0';
	for (size_t i = 0; !special_ok && i < sizeof(mailbox_special_uses) /
					       sizeof(mailbox_special_uses[0]); i++)
		special_ok = strcmp(special_use, mailbox_special_uses[i]) == 0;
	if (!special_ok)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "unknown special use");
	enum storage_result result = mailbox_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_mailbox_create_txn(conn, user_id, norm, special_use, true, &id, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

enum storage_result storage_mailbox_get(struct storage_conn *conn, int64_t user_id,
					const char *name, struct storage_mailbox *mailbox_r,
					const char **error_r)
{
	char norm[STORAGE_MAILBOX_NAME_MAX + 1];
	struct db_result *res = NULL;
	enum storage_result result = mailbox_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_query(conn,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes m WHERE m.user_id = $1 AND m.name = $2",
		DB_ARGS(DB_INT(user_id), DB_TEXT(norm)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get mailbox", error_r);
	bool found = sdb_next(conn, res);
	if (found)
		mailbox_from_row(conn, res, mailbox_r);
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "get mailbox", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %s", norm);
	return STORAGE_OK;
}

enum storage_result storage_mailbox_set_subscribed(struct storage_conn *conn, int64_t user_id,
						   const char *name, bool subscribed,
						   const char **error_r)
{
	char norm[STORAGE_MAILBOX_NAME_MAX + 1];
	int64_t id;
	bool found;
	enum storage_result result = mailbox_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_int(conn,
		"UPDATE mailboxes SET subscribed = $3 WHERE user_id = $1 AND name = $2 RETURNING id",
		DB_ARGS(DB_INT(user_id), DB_TEXT(norm), DB_INT(subscribed ? 1 : 0)), &id, &found);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "subscribe", error_r);
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %s", norm);
	return STORAGE_OK;
}

/* INBOX first, then by name. */
static int mailbox_cmp(const void *a, const void *b)
{
	const struct storage_mailbox *x = a, *y = b;
	bool xi = strcmp(x->name, STORAGE_INBOX) == 0, yi = strcmp(y->name, STORAGE_INBOX) == 0;
	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

enum storage_result storage_mailbox_list(struct storage_conn *conn, int64_t user_id,
					 storage_mailbox_cb *cb, void *context,
					 const char **error_r)
{
	struct db_result *res = NULL;
	struct storage_mailbox *boxes = NULL;
	size_t count = 0, alloc = 0;
	enum db_status status = sdb_query(conn,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes m WHERE m.user_id = $1",
		DB_ARGS(DB_INT(user_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "list mailboxes", error_r);
	while (sdb_next(conn, res)) {
		if (count == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			boxes = xrealloc(boxes, alloc * sizeof(*boxes));
		}
		mailbox_from_row(conn, res, &boxes[count++]);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK) {
		free(boxes);
		return storage_db_fail(conn, status, "list mailboxes", error_r);
	}
	if (count > 0)
		qsort(boxes, count, sizeof(*boxes), mailbox_cmp);
	for (size_t i = 0; i < count; i++)
		cb(&boxes[i], context);
	free(boxes);
	return STORAGE_OK;
}

static enum storage_result mailbox_delete_txn(struct storage_conn *conn, int64_t user_id,
					      const char *name, const char **error_r)
{
	int64_t id;
	bool found;
	enum storage_result result = mailbox_find(conn, user_id, name, &id, &found, error_r);
	if (result != STORAGE_OK)
		return result;
	if (!found)
		return storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %s", name);
	result = storage_mailbox_purge_txn(conn, id, error_r);
	if (result != STORAGE_OK)
		return result;
	enum db_status status = sdb_exec(conn, "DELETE FROM acls WHERE mailbox_id = $1",
					 DB_ARGS(DB_INT(id)));
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM expunged_uids WHERE mailbox_id = $1",
				  DB_ARGS(DB_INT(id)));
	if (status == DB_OK)
		status = sdb_exec(conn, "DELETE FROM mailboxes WHERE id = $1", DB_ARGS(DB_INT(id)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "delete mailbox", error_r);
	return STORAGE_OK;
}

enum storage_result storage_mailbox_delete(struct storage_conn *conn, int64_t user_id,
					   const char *name, const char **error_r)
{
	char norm[STORAGE_MAILBOX_NAME_MAX + 1];
	enum storage_result result = mailbox_name(conn, name, norm, error_r);
	if (result != STORAGE_OK)
		return result;
	if (strcmp(norm, STORAGE_INBOX) == 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "INBOX cannot be deleted");
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = mailbox_delete_txn(conn, user_id, norm, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}

/* RFC 3501: renaming INBOX moves its messages to a new mailbox and leaves
 * INBOX empty; INBOX's children stay where they are. */
static enum storage_result rename_inbox_txn(struct storage_conn *conn, int64_t user_id,
					    int64_t inbox_id, const char *new_name,
					    const char **error_r)
{
	int64_t new_id;
	enum storage_result result = storage_mailbox_create_txn(conn, user_id, new_name, "",
								true, &new_id, error_r);
	if (result != STORAGE_OK)
		return result;
	/* to a QRESYNC client, INBOX's messages vanish under its next modseq */
	enum db_status status = sdb_exec(conn,
		"INSERT INTO expunged_uids (mailbox_id, uid, modseq) "
		"SELECT mm.mailbox_id, mm.uid, b.highestmodseq + 1 FROM mailbox_messages mm "
		"JOIN mailboxes b ON b.id = mm.mailbox_id WHERE mm.mailbox_id = $1 "
		"ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq",
		DB_ARGS(DB_INT(inbox_id)));
	if (status == DB_OK)
		status = sdb_exec(conn,
			"UPDATE mailbox_messages SET mailbox_id = $2 WHERE mailbox_id = $1",
			DB_ARGS(DB_INT(inbox_id), DB_INT(new_id)));
	if (status == DB_OK)
		status = sdb_exec(conn,
			"UPDATE mailboxes SET uidnext = (SELECT i.uidnext FROM mailboxes i WHERE i.id = $1), "
			"highestmodseq = (SELECT i.highestmodseq FROM mailboxes i WHERE i.id = $1) "
			"WHERE id = $2", DB_ARGS(DB_INT(inbox_id), DB_INT(new_id)));
	if (status == DB_OK)
		status = sdb_exec(conn,
			"UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1",
			DB_ARGS(DB_INT(inbox_id)));
	if (status != DB_OK)
		return storage_db_fail(conn, status, "rename INBOX", error_r);
	return STORAGE_OK;
}

struct rename_entry {
	int64_t id;
	char *new_name;
};

/* Rename old and everything below it; every new name must be free. */
static enum storage_result rename_tree_txn(struct storage_conn *conn, int64_t user_id,
					   const char *old_name, const char *new_name,
					   const char **error_r)
{
	struct db_result *res = NULL;
	struct rename_entry *moves = NULL;
	char **taken = NULL;
	size_t move_count = 0, taken_count = 0;
	size_t old_len = strlen(old_name), new_len = strlen(new_name);
	enum storage_result result = STORAGE_OK;

	enum db_status status = sdb_query(conn, "SELECT id, name FROM mailboxes WHERE user_id = $1",
					  DB_ARGS(DB_INT(user_id)), &res);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "rename mailbox", error_r);
	while (sdb_next(conn, res)) {
		const char *name = sdb_get_text(conn, res, 1);
		taken = xrealloc(taken, (taken_count + 1) * sizeof(*taken));
		taken[taken_count++] = xstrdup(name);
		if (strncmp(name, old_name, old_len) != 0 ||
		    (name[old_len] != '\0' && name[old_len] != STORAGE_HIERARCHY_SEP))
			continue;
		if (new_len + strlen(name + old_len) > STORAGE_MAILBOX_NAME_MAX) {
			result = storage_fail(conn, STORAGE_ERR_INVALID, error_r,
					      "renamed mailbox name too long");
			continue;
		}
		moves = xrealloc(moves, (move_count + 1) * sizeof(*moves));
		moves[move_count].id = sdb_get_int(conn, res, 0);
		moves[move_count++].new_name = xasprintf("%s%s", new_name, name + old_len);
	}
	status = sdb_finish(conn, &res);
	if (status != DB_OK)
		result = storage_db_fail(conn, status, "rename mailbox", error_r);
	if (result == STORAGE_OK && move_count == 0)
		result = storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %s", old_name);
	for (size_t i = 0; result == STORAGE_OK && i < move_count; i++) {
		for (size_t j = 0; j < taken_count; j++) {
			if (strcmp(moves[i].new_name, taken[j]) == 0) {
				result = storage_fail(conn, STORAGE_ERR_EXISTS, error_r,
						      "mailbox %s exists", taken[j]);
				break;
			}
		}
	}
	for (size_t i = 0; result == STORAGE_OK && i < move_count; i++) {
		status = sdb_exec(conn, "UPDATE mailboxes SET name = $2 WHERE id = $1",
				  DB_ARGS(DB_INT(moves[i].id), DB_TEXT(moves[i].new_name)));
		if (status != DB_OK)
			result = storage_db_fail(conn, status, "rename mailbox", error_r);
	}
	for (size_t i = 0; i < move_count; i++)
		free(moves[i].new_name);
	for (size_t i = 0; i < taken_count; i++)
		free(taken[i]);
	free(moves);
	free(taken);
	if (result != STORAGE_OK)
		return result;
	/* parents of the new name, if missing */
	const char *sep = strrchr(new_name, STORAGE_HIERARCHY_SEP);
	if (sep != NULL) {
		char parent[STORAGE_MAILBOX_NAME_MAX + 1];
		int64_t parent_id;
		memcpy(parent, new_name, (size_t)(sep - new_name));
		parent[sep - new_name] = '\0';
		result = storage_mailbox_create_txn(conn, user_id, parent, "", false, &parent_id,
						    error_r);
	}
	return result;
}

enum storage_result storage_mailbox_rename(struct storage_conn *conn, int64_t user_id,
					   const char *old_name, const char *new_name,
					   const char **error_r)
{
	char old_norm[STORAGE_MAILBOX_NAME_MAX + 1], new_norm[STORAGE_MAILBOX_NAME_MAX + 1];
	int64_t old_id;
	bool found;
	enum storage_result result = mailbox_name(conn, old_name, old_norm, error_r);
	if (result == STORAGE_OK)
		result = mailbox_name(conn, new_name, new_norm, error_r);
	if (result != STORAGE_OK)
		return result;
	size_t old_len = strlen(old_norm);
	if (strncmp(new_norm, old_norm, old_len) == 0 && new_norm[old_len] == STORAGE_HIERARCHY_SEP &&
	    strcmp(old_norm, STORAGE_INBOX) != 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "cannot move a mailbox below itself");
	result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = mailbox_find(conn, user_id, old_norm, &old_id, &found, error_r);
	if (result == STORAGE_OK && !found)
		result = storage_fail(conn, STORAGE_ERR_NOTFOUND, error_r, "no mailbox %s", old_norm);
	if (result == STORAGE_OK) {
		if (strcmp(old_norm, STORAGE_INBOX) == 0)
			result = rename_inbox_txn(conn, user_id, old_id, new_norm, error_r);
		else
			result = rename_tree_txn(conn, user_id, old_norm, new_norm, error_r);
	}
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
