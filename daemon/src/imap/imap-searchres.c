/* imap-searchres.c - SEARCHRES (RFC 5182): the session's saved search
 * result ("$"), kept as UIDs of the selected mailbox, and the message-set
 * resolution every command that takes a sequence set shares: "$" or a set.
 *
 * The saved UIDs are never renumbered: a UID is never reused in a mailbox,
 * so a message expunged since the SAVE simply no longer resolves (it drops
 * out, as the RFC asks), whatever the sequence numbers became. The result
 * is emptied when the view is (SELECT, EXAMINE, CLOSE, UNSELECT: see
 * imap_view_free()). Never replies except through imap_cmd_seqset().
 */
#include "imap-commands.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void imap_searchres_clear(struct imap_session *session)
{
	free(session->searchres);
	session->searchres = NULL;
	session->searchres_count = 0;
}

void imap_searchres_save(struct imap_session *session, const size_t *indexes, size_t count)
{
	imap_searchres_clear(session);
	if (count == 0)
		return;
	session->searchres = xcalloc(count, sizeof(uint32_t));
	for (size_t i = 0; i < count; i++)
		session->searchres[i] = imap_view_uid(session, indexes[i]);
	session->searchres_count = count;
}

bool imap_arg_is_searchres(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_ATOM && arg->len == 1 && arg->str[0] == '$';
}

int imap_cmd_msgset(struct imap_client_cmd *cmd, const struct imap_arg *arg, bool by_uid,
		    size_t **indexes_r, size_t *count_r)
{
	struct imap_session *session = cmd->session;
	if (!imap_arg_is_searchres(arg))
		return imap_cmd_seqset(cmd, arg, by_uid, indexes_r, count_r);
	/* "$" means the same messages as sequence numbers or as UIDs (RFC
	 * 5182 2.1); the saved UIDs ascend, and so do their view indexes */
	size_t *indexes = NULL, count = 0, cap = 0;
	for (size_t i = 0; i < session->searchres_count; i++) {
		size_t index = imap_view_index(session, session->searchres[i]);
		if (index < session->mail_count)
			*XARRAY_PUSH(indexes, count, cap) = index;
	}
	*indexes_r = indexes;
	*count_r = count;
	return 0;
}
