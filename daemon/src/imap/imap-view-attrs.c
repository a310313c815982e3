/* imap-view-attrs.c - the internal date, size and modseq of the selected
 * mailbox's messages for one command (FETCH, SEARCH, SORT, THREAD,
 * CONDSTORE/QRESYNC), read from the storage in one query over the uid
 * range the command touches (storage_mail_attrs), since the view keeps
 * only uids and flags (imap-view.c).
 * Never queries the storage once per message, and never keeps the rows
 * past the command (the caller frees them).
 */
#include "imap-session.h"
#include "xalloc.h"

#include <stdlib.h>

static void imap_view_attrs_add(const struct storage_mail_attrs *row, void *context)
{
	struct imap_view_attrs *attrs = context;
	if (attrs->count > 0 && attrs->rows[attrs->count - 1].uid >= row->uid)
		return; /* ascending from the storage: keep the lookup sound anyway */
	*XARRAY_PUSH(attrs->rows, attrs->count, attrs->cap) = *row;
}

enum storage_result imap_view_attrs_load(struct imap_session *session, const size_t *indexes,
					 size_t count, struct imap_view_attrs *attrs_r,
					 const char **error_r)
{
	*attrs_r = (struct imap_view_attrs){ NULL, 0, 0 };
	if (indexes == NULL)
		count = session->mail_count;
	if (count == 0)
		return STORAGE_OK;
	uint32_t lo = UINT32_MAX, hi = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t uid = imap_view_uid(session, indexes != NULL ? indexes[i] : i);
		if (uid < lo)
			lo = uid;
		if (uid > hi)
			hi = uid;
	}
	enum storage_result ret = storage_mail_attrs(imap_storage(session), session->mailbox.id,
						     lo, hi, imap_view_attrs_add, attrs_r, error_r);
	if (ret != STORAGE_OK)
		imap_view_attrs_free(attrs_r);
	if (ret == STORAGE_ERR_NOTFOUND)
		return STORAGE_OK; /* the mailbox is gone: so are its messages (no rows) */
	return ret;
}

static struct storage_mail_attrs *imap_view_attrs_slot(const struct imap_view_attrs *attrs,
						       uint32_t uid)
{
	size_t lo = 0, hi = attrs->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (attrs->rows[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < attrs->count && attrs->rows[lo].uid == uid ? &attrs->rows[lo] : NULL;
}

const struct storage_mail_attrs *imap_view_attrs_find(const struct imap_view_attrs *attrs,
						      uint32_t uid)
{
	return imap_view_attrs_slot(attrs, uid);
}

void imap_view_attrs_set_modseq(struct imap_view_attrs *attrs, uint32_t uid, int64_t modseq)
{
	struct storage_mail_attrs *row = imap_view_attrs_slot(attrs, uid);
	if (row != NULL)
		row->modseq = modseq;
}

void imap_view_attrs_free(struct imap_view_attrs *attrs)
{
	free(attrs->rows);
	*attrs = (struct imap_view_attrs){ NULL, 0, 0 };
}
