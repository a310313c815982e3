/* imap-search-view.c - evaluate SEARCH criteria over the selected view:
 * map the parsed arguments to the search module's input, parse the keys,
 * and run them over every message; read cached header values for SORT and
 * THREAD. SEARCH, SORT and THREAD share it.
 *
 * Reads message data only when the keys' cost needs it (1: the header,
 * 2: the whole message), once per message, and only of the selected
 * mailbox. "$" (SEARCHRES) is the session's saved result. BODY and TEXT
 * keys of 3 characters or more ask the full-text index once per SEARCH
 * (storage_mail_search_text) and are decided from its answer; only
 * messages it has no text for are decoded (the background indexer may lag
 * behind delivery). Header values for SORT and THREAD come
 * in one query for all the messages (storage_mail_header_fields). Never
 * changes flags or the view, and never writes untagged responses.
 */
#include "imap-search-view.h"
#include "imap-commands.h"
#include "imap-search.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* One message's data for the evaluator, read on first use. */
struct imap_search_data {
	struct imap_session *session;
	uint32_t uid;
	unsigned char *data;
	size_t size;
	enum storage_result result;
	const char *error;
};

static int imap_search_read(struct imap_search_data *d)
{
	if (d->data != NULL)
		return 0;
	d->result = storage_mail_read(imap_storage(d->session), d->session->mailbox.id, d->uid,
				      &d->data, &d->size, &d->error);
	if (d->result != STORAGE_OK) {
		d->data = NULL;
		return -1;
	}
	return 0;
}

static int imap_search_message_get(void *context, const unsigned char **data_r,
				   size_t *size_r, const char **error_r)
{
	struct imap_search_data *d = context;
	if (imap_search_read(d) < 0) {
		*error_r = d->error != NULL ? d->error : "message cannot be read";
		return -1;
	}
	*data_r = d->data;
	*size_r = d->size;
	return 0;
}

/* The header's length (blank line included), or size without one. */
static size_t imap_search_header_size(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n')
			return i + 3;
	}
	return size;
}

/* ---- the full-text index ---- */

struct imap_search_hits {
	uint32_t *hits, *scan;
	size_t hit_count, hit_cap, scan_count, scan_cap;
};

static void imap_search_hit_cb(uint32_t uid, bool unindexed, void *context)
{
	struct imap_search_hits *h = context;
	if (unindexed)
		*XARRAY_PUSH(h->scan, h->scan_count, h->scan_cap) = uid;
	else
		*XARRAY_PUSH(h->hits, h->hit_count, h->hit_cap) = uid;
}

static int imap_search_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Characters (not bytes) of a folded needle. */
static size_t imap_search_chars(const char *text, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Ask the index once per SEARCH for each BODY and TEXT key it can serve
 * (needles of STORAGE_SEARCH_TEXT_MIN characters or more); a key it cannot
 * serve, or whose lookup fails, stays on the scan. */
static void imap_search_use_index(struct imap_session *session, struct imap_search_key *key)
{
	for (size_t i = 0; i < key->child_count; i++)
		imap_search_use_index(session, &key->children[i]);
	if ((key->type != IMAP_SEARCH_BODY && key->type != IMAP_SEARCH_TEXT) ||
	    key->str == NULL || key->str_len > STORAGE_SEARCH_TEXT_MAX ||
	    strlen(key->str) != key->str_len ||
	    imap_search_chars(key->str, key->str_len) < STORAGE_SEARCH_TEXT_MIN)
		return;
	struct imap_search_hits h;
	memset(&h, 0, sizeof(h));
	const char *error = NULL;
	enum storage_result ret = storage_mail_search_text(
		imap_storage(session), session->mailbox.id, key->str,
		key->type == IMAP_SEARCH_BODY, imap_search_hit_cb, &h, &error);
	if (ret != STORAGE_OK) {
		log_debug(session->sid, "imap", "search-index", "fallback=scan error=\"%s\"",
			  error != NULL ? error : "");
		free(h.hits);
		free(h.scan);
		return;
	}
	if (h.hit_count > 1)
		qsort(h.hits, h.hit_count, sizeof(*h.hits), imap_search_uid_cmp);
	if (h.scan_count > 1)
		qsort(h.scan, h.scan_count, sizeof(*h.scan), imap_search_uid_cmp);
	key->indexed = true;
	key->index_uids = h.hits;
	key->index_uid_count = h.hit_count;
	key->scan_uids = h.scan;
	key->scan_uid_count = h.scan_count;
	log_debug(session->sid, "imap", "search-index", "hits=%zu unindexed=%zu key=%s",
		  h.hit_count, h.scan_count, key->type == IMAP_SEARCH_BODY ? "BODY" : "TEXT");
}

/* The index answers are the view's; the parser frees the rest of the key. */
static void imap_search_index_free(struct imap_search_key *key)
{
	for (size_t i = 0; i < key->child_count; i++)
		imap_search_index_free(&key->children[i]);
	free(key->index_uids);
	free(key->scan_uids);
	key->index_uids = NULL;
	key->scan_uids = NULL;
	key->indexed = false;
}

/* The parser's args as the search module's (same tree shape). */
/* Does the key use internal dates or sizes (read from the storage)? */
static bool imap_search_key_needs_attrs(const struct imap_search_key *key)
{
	switch (key->type) {
	case IMAP_SEARCH_LARGER:
	case IMAP_SEARCH_SMALLER:
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_SENTBEFORE: /* without a Date header: the internal date */
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		return true;
	default:
		break;
	}
	for (size_t i = 0; i < key->child_count; i++)
		if (imap_search_key_needs_attrs(&key->children[i]))
			return true;
	return false;
}

static struct imap_search_arg *imap_search_args(const struct imap_arg *args, size_t count)
{
	if (count == 0)
		return NULL;
	struct imap_search_arg *out = xcalloc(count, sizeof(*out));
	for (size_t i = 0; i < count; i++) {
		switch (args[i].type) {
		case IMAP_ARG_ATOM:
		case IMAP_ARG_NIL:
			out[i].type = IMAP_SEARCH_ARG_ATOM;
			break;
		case IMAP_ARG_QUOTED:
		case IMAP_ARG_LITERAL:
			out[i].type = IMAP_SEARCH_ARG_STRING;
			break;
		case IMAP_ARG_LIST:
			out[i].type = IMAP_SEARCH_ARG_LIST;
			out[i].children = imap_search_args(args[i].list, args[i].list_count);
			out[i].child_count = args[i].list_count;
			continue;
		}
		out[i].text = args[i].str;
		out[i].len = args[i].len;
	}
	return out;
}

static void imap_search_args_free(struct imap_search_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (args[i].type == IMAP_SEARCH_ARG_LIST)
			imap_search_args_free((struct imap_search_arg *)args[i].children,
					      args[i].child_count);
	free(args);
}

int imap_search_view(struct imap_client_cmd *cmd, const struct imap_arg *charset,
		     const struct imap_arg *args, size_t arg_count, size_t **indexes_r,
		     size_t *count_r, bool *gone_r)
{
	struct imap_session *session = cmd->session;
	*indexes_r = NULL;
	*count_r = 0;
	*gone_r = false;
	size_t total = arg_count + (charset != NULL ? 2 : 0);
	struct imap_search_arg *sargs = xcalloc(total + 1, sizeof(*sargs));
	struct imap_search_arg *converted = imap_search_args(args, arg_count);
	size_t first = 0;
	if (charset != NULL) {
		struct imap_search_arg *cs = imap_search_args(charset, 1);
		sargs[0] = (struct imap_search_arg){ .type = IMAP_SEARCH_ARG_ATOM,
						     .text = "CHARSET",
						     .len = 7 };
		sargs[1] = cs[0];
		free(cs);
		first = 2;
	}
	if (arg_count > 0)
		memcpy(sargs + first, converted, arg_count * sizeof(*sargs));
	free(converted);
	struct imap_search_key *key = NULL;
	const char *error = NULL;
	struct imap_search_saved saved = { session->searchres, session->searchres_count };
	enum imap_search_parse_result pret = imap_search_parse_saved(sargs, total, &saved, &key,
								     &error);
	imap_search_args_free(sargs, total);
	if (pret == IMAP_SEARCH_PARSE_BADCHARSET) {
		imap_cmd_no(cmd, "[BADCHARSET (UTF-8 US-ASCII)] %s", error);
		return -1;
	}
	if (pret != IMAP_SEARCH_PARSE_OK) {
		imap_cmd_bad(cmd, "%s", error);
		return -1;
	}

	imap_search_use_index(session, key);

	struct imap_search_mailbox box = {
		.max_seq = (uint32_t)session->mail_count,
		.max_uid = imap_view_last_uid(session),
	};
	size_t *indexes = NULL, count = 0, cap = 0;
	enum storage_result sret = STORAGE_OK;
	/* internal dates and sizes: one query, only when a key asks */
	struct imap_view_attrs attrs = { NULL, 0, 0 };
	bool need_attrs = imap_search_key_needs_attrs(key);
	if (need_attrs)
		sret = imap_view_attrs_load(session, NULL, 0, &attrs, &error);
	for (size_t i = 0; i < session->mail_count && sret == STORAGE_OK; i++) {
		uint32_t uid = imap_view_uid(session, i);
		struct imap_search_data d = { .session = session, .uid = uid };
		const struct storage_mail_attrs *a = need_attrs ? imap_view_attrs_find(&attrs, uid) :
								  NULL;
		if (need_attrs && a == NULL) {
			*gone_r = true; /* expunged by another session meanwhile */
			continue;
		}
		struct imap_search_mail mail = {
			.seq = (uint32_t)(i + 1),
			.uid = uid,
			.flags = imap_view_flags(session, i),
			.recent = imap_view_recent(session, i), /* this session's (imap-view.c) */
			.keywords = imap_view_keywords(session, i),
			.internal_date = a != NULL ? a->internal_date : 0,
			.size = a != NULL && a->size > 0 ? (uint64_t)a->size : 0,
			.get_message = imap_search_message_get,
			.context = &d,
		};
		if (key->cost == 1) {
			/* the header only: cut it from the message's bytes */
			if (imap_search_read(&d) == 0) {
				mail.header = d.data;
				mail.header_size = imap_search_header_size(d.data, d.size);
			}
		}
		bool match = false;
		int r = d.result == STORAGE_OK ?
			imap_search_match(key, &box, &mail, &match, &error) : -1;
		free(d.data);
		if (r < 0) {
			if (d.result == STORAGE_ERR_NOTFOUND) {
				*gone_r = true; /* expunged by another session meanwhile */
				continue;
			}
			sret = d.result != STORAGE_OK ? d.result : STORAGE_ERR_TEMP;
			if (d.error != NULL)
				error = d.error;
			break;
		}
		if (match)
			*XARRAY_PUSH(indexes, count, cap) = i;
	}
	imap_view_attrs_free(&attrs);
	imap_search_index_free(key);
	imap_search_key_free(&key);
	if (sret != STORAGE_OK) {
		free(indexes);
		*gone_r = false;
		imap_cmd_storage_error(cmd, sret, error);
		return -1;
	}
	*indexes_r = indexes;
	*count_r = count;
	return 0;
}

/* Walks the storage's rows (ascending uids) along the wanted uids. */
struct imap_header_fill {
	const uint32_t *uids; /* the wanted messages' uids, ascending */
	size_t count;
	size_t pos;
	size_t name_count;
	char **values;        /* count * name_count */
	bool *seen;
};

static void imap_header_fill_cb(uint32_t uid, int field, const char *value, void *context)
{
	struct imap_header_fill *f = context;
	while (f->pos < f->count && f->uids[f->pos] < uid)
		f->pos++;
	if (f->pos == f->count || f->uids[f->pos] != uid)
		return; /* in the range but not wanted */
	f->seen[f->pos] = true;
	if (field < 0 || (size_t)field >= f->name_count || value == NULL)
		return;
	char **slot = &f->values[f->pos * f->name_count + (size_t)field];
	if (*slot == NULL)
		*slot = xstrdup(value);
}

enum storage_result imap_view_header_firsts(struct imap_session *session,
					    const size_t *indexes, size_t count,
					    const char *const *names, size_t name_count,
					    char **values_r, bool *gone_r, const char **error_r)
{
	for (size_t i = 0; i < count * name_count; i++)
		values_r[i] = NULL;
	for (size_t i = 0; i < count; i++)
		gone_r[i] = false;
	if (count == 0 || name_count == 0)
		return STORAGE_OK;
	uint32_t *uids = xcalloc(count, sizeof(*uids));
	for (size_t i = 0; i < count; i++)
		uids[i] = imap_view_uid(session, indexes[i]);
	struct imap_header_fill fill = {
		.uids = uids, .count = count, .name_count = name_count, .values = values_r,
		.seen = gone_r, /* true = seen until inverted below */
	};
	enum storage_result ret = storage_mail_header_fields(
		imap_storage(session), session->mailbox.id, uids[0], uids[count - 1], names,
		name_count, imap_header_fill_cb, &fill, error_r);
	free(uids);
	if (ret == STORAGE_ERR_NOTFOUND) {
		/* the mailbox is gone: so are its messages */
		for (size_t i = 0; i < count * name_count; i++) {
			free(values_r[i]);
			values_r[i] = NULL;
		}
		for (size_t i = 0; i < count; i++)
			gone_r[i] = true;
		return STORAGE_OK;
	}
	if (ret != STORAGE_OK) {
		for (size_t i = 0; i < count * name_count; i++) {
			free(values_r[i]);
			values_r[i] = NULL;
		}
		for (size_t i = 0; i < count; i++)
			gone_r[i] = false;
		return ret;
	}
	for (size_t i = 0; i < count; i++)
		gone_r[i] = !gone_r[i];
	return STORAGE_OK;
}
