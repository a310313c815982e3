/* imap-condstore.c - CONDSTORE and QRESYNC helpers (RFC 7162) shared by
 * SELECT, FETCH and STORE: mod-sequence and uid set arguments, and the
 * resync answer (VANISHED (EARLIER) and FETCH of changed messages).
 * Never reports a message of another mailbox than the selected one, and
 * never modifies the view.
 */
#include "imap-condstore.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

int imap_arg_modseq(const struct imap_arg *arg, bool allow_zero, int64_t *modseq_r)
{
	if (arg->type != IMAP_ARG_ATOM || arg->len == 0 || arg->len > 19)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < arg->len; i++) {
		if (arg->str[i] < '0' || arg->str[i] > '9')
			return -1;
		int d = arg->str[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v == 0 && !allow_zero)
		return -1;
	*modseq_r = v;
	return 0;
}

int imap_arg_uint32(const struct imap_arg *arg, uint32_t *value_r)
{
	int64_t v;
	if (imap_arg_modseq(arg, false, &v) < 0 || v > UINT32_MAX)
		return -1;
	*value_r = (uint32_t)v;
	return 0;
}

/* One uid of a set: digits or '*'. Advances *p. -1 if malformed. */
static int imap_uid_parse(const char **p, const char *end, uint32_t *uid_r)
{
	if (*p < end && **p == '*') {
		(*p)++;
		*uid_r = UINT32_MAX;
		return 0;
	}
	uint64_t v = 0;
	const char *start = *p;
	while (*p < end && **p >= '0' && **p <= '9') {
		v = v * 10 + (uint64_t)(**p - '0');
		if (v > UINT32_MAX)
			return -1;
		(*p)++;
	}
	if (*p == start || v == 0)
		return -1;
	*uid_r = (uint32_t)v;
	return 0;
}

int imap_uid_set_parse(const struct imap_arg *arg, struct imap_uid_set *set_r)
{
	memset(set_r, 0, sizeof(*set_r));
	if (arg->type != IMAP_ARG_ATOM)
		return -1;
	const char *p = arg->str, *end = arg->str + arg->len;
	size_t cap = 0;
	while (p < end) {
		uint32_t lo, hi;
		if (set_r->count >= IMAP_UID_RANGES_MAX || imap_uid_parse(&p, end, &lo) < 0)
			goto bad;
		hi = lo;
		if (p < end && *p == ':') {
			p++;
			if (imap_uid_parse(&p, end, &hi) < 0)
				goto bad;
		}
		if (p < end && *p++ != ',')
			goto bad;
		if (p == end && end[-1] == ',')
			goto bad;
		uint32_t (*r)[2] = XARRAY_PUSH(set_r->ranges, set_r->count, cap);
		(*r)[0] = lo < hi ? lo : hi;
		(*r)[1] = lo < hi ? hi : lo;
	}
	if (set_r->count == 0)
		goto bad;
	return 0;
bad:
	imap_uid_set_free(set_r);
	return -1;
}

bool imap_uid_set_contains(const struct imap_uid_set *set, uint32_t uid)
{
	for (size_t i = 0; i < set->count; i++)
		if (uid >= set->ranges[i][0] && uid <= set->ranges[i][1])
			return true;
	return false;
}

void imap_uid_set_free(struct imap_uid_set *set)
{
	free(set->ranges);
	set->ranges = NULL;
	set->count = 0;
}

struct imap_condstore_gone {
	const struct imap_uid_set *known;
	uint32_t *uids;
	size_t count, cap;
};

static void imap_condstore_gone_add(uint32_t uid, void *context)
{
	struct imap_condstore_gone *g = context;
	if (g->known == NULL || imap_uid_set_contains(g->known, uid))
		*XARRAY_PUSH(g->uids, g->count, g->cap) = uid;
}

enum storage_result imap_condstore_vanished(struct imap_session *session, int64_t modseq,
					    const struct imap_uid_set *known,
					    const char **error_r)
{
	struct imap_condstore_gone gone = { .known = known };
	enum storage_result ret =
		storage_mailbox_vanished_since(imap_storage(session), session->mailbox.id, modseq,
					       imap_condstore_gone_add, &gone, error_r);
	if (ret == STORAGE_OK && gone.count > 0) {
		struct buf line;
		buf_init(&line);
		buf_append_str(&line, "* VANISHED (EARLIER) ");
		imap_append_uid_set(&line, gone.uids, gone.count);
		buf_append_str(&line, "\r\n");
		imap_write(session, line.data, line.len);
		buf_free(&line);
	}
	free(gone.uids);
	return ret;
}

enum storage_result imap_condstore_resync(struct imap_session *session, int64_t modseq,
					  const struct imap_uid_set *known,
					  const char **error_r)
{
	enum storage_result ret = imap_condstore_vanished(session, modseq, known, error_r);
	if (ret != STORAGE_OK)
		return ret;
	struct imap_view_attrs attrs;
	ret = imap_view_attrs_load(session, NULL, 0, &attrs, error_r);
	if (ret != STORAGE_OK)
		return ret;
	struct buf out;
	buf_init(&out);
	for (size_t k = 0; k < session->mail_count; k++) {
		uint32_t uid = imap_view_uid(session, k);
		const struct storage_mail_attrs *a = imap_view_attrs_find(&attrs, uid);
		if (a == NULL || a->modseq <= modseq ||
		    (known != NULL && !imap_uid_set_contains(known, uid)))
			continue;
		buf_printf(&out, "* %zu FETCH (UID %u FLAGS (", k + 1, uid);
		imap_append_view_flags(session, &out, k);
		buf_printf(&out, ") MODSEQ (%lld))\r\n", (long long)a->modseq);
		if (out.len > 64 * 1024) {
			imap_write(session, out.data, out.len);
			buf_reset(&out);
		}
	}
	imap_write(session, out.data, out.len);
	buf_free(&out);
	imap_view_attrs_free(&attrs);
	return STORAGE_OK;
}
