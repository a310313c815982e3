/* storage-mail-headers.c - the cached header fields of many messages of a
 * mailbox in one query (storage_mail_header_fields), for SORT and THREAD,
 * which need a few fields of every message a search selected.
 *
 * Reads only header_fields (cached at delivery), never a message's bytes.
 * The SQL text depends only on how many names are asked (each one a bound
 * parameter), never on their content. Callbacks run while rows are read
 * and must not use the connection.
 */
#include "storage-private.h"
#include "buf.h"

#include <ctype.h>
#include <string.h>

/* Lower-case a header field name into out, checking it. */
static bool header_name_lower(const char *name, char out[STORAGE_HEADER_NAME_MAX + 1])
{
	size_t len = name == NULL ? 0 : strlen(name);
	if (len == 0 || len > STORAGE_HEADER_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == ':')
			return false;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return true;
}

enum storage_result storage_mail_header_fields(struct storage_conn *conn, int64_t mailbox_id,
					       uint32_t uid_lo, uint32_t uid_hi,
					       const char *const *names, size_t name_count,
					       storage_header_field_cb *cb, void *context,
					       const char **error_r)
{
	char lnames[STORAGE_HEADER_FIELDS_MAX][STORAGE_HEADER_NAME_MAX + 1];
	if (name_count == 0 || name_count > STORAGE_HEADER_FIELDS_MAX)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
				    "1 to %d header field names", STORAGE_HEADER_FIELDS_MAX);
	for (size_t i = 0; i < name_count; i++) {
		if (!header_name_lower(names[i], lnames[i]))
			return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad header name");
	}
	enum storage_result result = storage_begin(conn, false, error_r);
	if (result != STORAGE_OK)
		return result;
	result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result != STORAGE_OK) {
		storage_rollback(conn);
		return result;
	}

	/* every message in the range comes at least once (LEFT JOIN): a NULL
	 * name says it has none of the fields */
	struct buf sql;
	buf_init(&sql);
	buf_append_str(&sql, "SELECT mm.uid, h.name, h.value FROM mailbox_messages mm "
			     "LEFT JOIN header_fields h ON h.message_id = mm.message_id "
			     "AND h.name IN (");
	struct db_param params[3 + STORAGE_HEADER_FIELDS_MAX];
	params[0] = DB_INT(mailbox_id);
	params[1] = DB_INT(uid_lo);
	params[2] = DB_INT(uid_hi);
	for (size_t i = 0; i < name_count; i++) {
		buf_printf(&sql, "%s$%zu", i > 0 ? ", " : "", i + 4);
		params[3 + i] = DB_TEXT(lnames[i]);
	}
	buf_append_str(&sql, ") WHERE mm.mailbox_id = $1 AND mm.uid >= $2 AND mm.uid <= $3 "
			     "ORDER BY mm.uid, h.position");
	buf_append_byte(&sql, '\0');

	struct db_result *res = NULL;
	enum db_status status = sdb_query(conn, (const char *)sql.data, params, 3 + name_count,
					  &res);
	if (status == DB_OK) {
		while (sdb_next(conn, res)) {
			uint32_t uid = (uint32_t)sdb_get_int(conn, res, 0);
			if (conn->db->is_null(res, 1)) {
				cb(uid, -1, NULL, context);
				continue;
			}
			const char *name = sdb_get_text(conn, res, 1);
			for (size_t i = 0; i < name_count; i++) {
				if (strcmp(name, lnames[i]) == 0) {
					cb(uid, (int)i, sdb_get_text(conn, res, 2), context);
					break;
				}
			}
		}
		status = sdb_finish(conn, &res);
	}
	buf_free(&sql);
	if (status != DB_OK) {
		result = storage_db_fail(conn, status, "header fields", error_r);
		storage_rollback(conn);
		return result;
	}
	return storage_commit(conn, error_r);
}
