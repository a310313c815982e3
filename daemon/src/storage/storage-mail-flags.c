/* storage-mail-flags.c - IMAP STORE: set, add or remove system flags and
 * keywords on a set of messages in one transaction, with CONDSTORE's
 * UNCHANGEDSINCE condition.
 *
 * Never gives an unchanged message a new modseq, never stores a keyword
 * list that is invalid or over STORAGE_KEYWORDS_MAX, and reports to the
 * caller only after the transaction committed.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether the space-separated list has the keyword (any case). */
static bool keywords_have(const char *list, const char *word, size_t len)
{
	while (*list != '\0') {
		const char *end = strchr(list, ' ');
		size_t n = end == NULL ? strlen(list) : (size_t)(end - list);
		if (n == len && strncasecmp(list, word, len) == 0)
			return true;
		if (end == NULL)
			break;
		list = end + 1;
	}
	return false;
}

/* Append to out (capacity STORAGE_KEYWORDS_MAX + 1) each keyword of from that
 * out lacks and (when unless is not NULL) unless lacks; false if too long. */
static bool keywords_append(char *out, const char *from, const char *unless)
{
	size_t pos = strlen(out);
	while (*from != '\0') {
		const char *end = strchr(from, ' ');
		size_t n = end == NULL ? strlen(from) : (size_t)(end - from);
		if (n > 0 && !keywords_have(out, from, n) &&
		    (unless == NULL || !keywords_have(unless, from, n))) {
			size_t need = n + (pos > 0 ? 1 : 0);
			if (pos + need > STORAGE_KEYWORDS_MAX)
				return false;
			if (pos > 0)
				out[pos++] = ' ';
			memcpy(out + pos, from, n);
			pos += n;
			out[pos] = '\0';
		}
		if (end == NULL)
			break;
		from = end + 1;
	}
	return true;
}

/* The keywords a message has after the STORE, into out. */
static bool keywords_apply(const char *old, const char *given, enum storage_flags_mode mode,
			   char out[STORAGE_KEYWORDS_MAX + 1])
{
	out[0] = '\0';
	switch (mode) {
	case STORAGE_FLAGS_SET:
		return keywords_append(out, given, NULL);
	case STORAGE_FLAGS_ADD:
		return keywords_append(out, old, NULL) && keywords_append(out, given, NULL);
	case STORAGE_FLAGS_REMOVE:
		return keywords_append(out, old, given);
	}
	return false;
}

static uint32_t flags_apply(uint32_t old, uint32_t flags, enum storage_flags_mode mode)
{
	switch (mode) {
	case STORAGE_FLAGS_SET:
		return flags;
	case STORAGE_FLAGS_ADD:
		return old | flags;
	case STORAGE_FLAGS_REMOVE:
		return old & ~flags;
	}
	return old;
}

struct store_plan {
	struct storage_mail_row *rows;
	size_t count;
	bool *changed;      /* per row */
	bool *skipped;      /* per row: failed UNCHANGEDSINCE */
	uint32_t *modified; /* uids that failed UNCHANGEDSINCE */
	size_t modified_count;
};

static enum storage_result store_txn(struct storage_conn *conn, int64_t mailbox_id,
				     const uint32_t *uids, size_t uid_count,
				     enum storage_flags_mode mode, uint32_t flags,
				     const char *keywords, int64_t unchangedsince,
				     struct store_plan *plan, const char **error_r)
{
	char kw[STORAGE_KEYWORDS_MAX + 1];
	size_t changed_count = 0;
	int64_t modseq = 0;
	enum storage_result result = storage_mailbox_check_txn(conn, mailbox_id, error_r);
	if (result == STORAGE_OK)
		result = storage_mail_rows_txn(conn, mailbox_id, uids, uid_count, 0, &plan->rows,
					       &plan->count, error_r);
	if (result != STORAGE_OK)
		return result;
	plan->changed = xcalloc(plan->count + 1, sizeof(*plan->changed));
	plan->skipped = xcalloc(plan->count + 1, sizeof(*plan->skipped));
	for (size_t i = 0; i < plan->count; i++) {
		struct storage_mail_row *row = &plan->rows[i];
		if (unchangedsince > 0 && row->modseq > unchangedsince) {
			plan->skipped[i] = true;
			plan->modified = xrealloc(plan->modified, (plan->modified_count + 1) *
							      sizeof(*plan->modified));
			plan->modified[plan->modified_count++] = row->uid;
			continue;
		}
		if (!keywords_apply(row->keywords, keywords, mode, kw))
			return storage_fail(conn, STORAGE_ERR_INVALID, error_r,
					    "uid %u: keyword list too long", row->uid);
		uint32_t new_flags = flags_apply(row->flags, flags, mode);
		if (new_flags == row->flags && strcmp(kw, row->keywords) == 0)
			continue;
		plan->changed[i] = true;
		changed_count++;
		row->flags = new_flags;
		free(row->keywords);
		row->keywords = xstrdup(kw);
	}
	if (changed_count == 0)
		return STORAGE_OK;
	result = storage_mailbox_next_modseq_txn(conn, mailbox_id, &modseq, error_r);
	for (size_t i = 0; result == STORAGE_OK && i < plan->count; i++) {
		struct storage_mail_row *row = &plan->rows[i];
		if (!plan->changed[i])
			continue;
		row->modseq = modseq;
		enum db_status status = sdb_exec(conn,
			"UPDATE mailbox_messages SET flags = $2, keywords = $3, modseq = $4 "
			"WHERE id = $1", DB_ARGS(DB_INT(row->id), DB_INT(row->flags),
						 DB_TEXT(row->keywords), DB_INT(modseq)));
		if (status != DB_OK)
			result = storage_db_fail(conn, status, "store flags", error_r);
	}
	return result;
}

static void store_plan_free(struct store_plan *plan)
{
	storage_mail_rows_free(&plan->rows, plan->count);
	free(plan->changed);
	free(plan->skipped);
	free(plan->modified);
	memset(plan, 0, sizeof(*plan));
}

enum storage_result storage_mail_store_flags(struct storage_conn *conn, int64_t mailbox_id,
					     const uint32_t *uids, size_t uid_count,
					     enum storage_flags_mode mode, uint32_t flags,
					     const char *keywords, int64_t unchangedsince,
					     storage_flags_cb *cb, void *context,
					     uint32_t **modified_uids_r, size_t *modified_count_r,
					     const char **error_r)
{
	struct store_plan plan;
	memset(&plan, 0, sizeof(plan));
	*modified_uids_r = NULL;
	*modified_count_r = 0;
	if (keywords == NULL)
		keywords = "";
	if (mode != STORAGE_FLAGS_SET && mode != STORAGE_FLAGS_ADD && mode != STORAGE_FLAGS_REMOVE)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "unknown store mode");
	if ((flags & ~(uint32_t)STORAGE_FLAGS_ALL) != 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "unknown flag bits 0x%x",
				    flags & ~(uint32_t)STORAGE_FLAGS_ALL);
	if (!storage_keywords_valid(keywords))
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "bad keyword list");
	if (uids == NULL && uid_count > 0)
		return storage_fail(conn, STORAGE_ERR_INVALID, error_r, "no uid list");
	if (uid_count == 0)
		return storage_mailbox_check_txn(conn, mailbox_id, error_r);
	enum storage_result result = storage_begin(conn, true, error_r);
	if (result != STORAGE_OK)
		return result;
	result = store_txn(conn, mailbox_id, uids, uid_count, mode, flags, keywords,
			   unchangedsince, &plan, error_r);
	if (result == STORAGE_OK)
		result = storage_commit(conn, error_r);
	else
		storage_rollback(conn);
	if (result != STORAGE_OK) {
		store_plan_free(&plan);
		return result;
	}
	for (size_t i = 0; cb != NULL && i < plan.count; i++) {
		const struct storage_mail_row *row = &plan.rows[i];
		if (plan.skipped[i])
			continue;
		struct storage_mail mail = {
			.id = row->id, .mailbox_id = mailbox_id, .uid = row->uid,
			.message_id = row->message_id, .flags = row->flags,
			.keywords = row->keywords, .modseq = row->modseq,
			.internal_date = row->internal_date, .size = row->size,
		};
		cb(&mail, plan.changed[i], context);
	}
	*modified_uids_r = plan.modified;
	*modified_count_r = plan.modified_count;
	plan.modified = NULL;
	store_plan_free(&plan);
	return STORAGE_OK;
}
