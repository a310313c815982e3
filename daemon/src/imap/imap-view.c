/* imap-view.c - the selected mailbox as the session sees it: the messages
 * in UID order (index + 1 = sequence number) with their flags, loaded at
 * SELECT and brought up to date by imap_view_sync() (NOOP, CHECK); and the
 * mapping of storage failures to tagged replies.
 * Never shows a client another user's mailbox: every storage call passes
 * the session's own user id or a mailbox id obtained with it.
 */
#include "imap-session.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void imap_view_free(struct imap_session *session)
{
	for (size_t i = 0; i < session->mail_count; i++)
		free(session->mails[i].keywords);
	free(session->mails);
	session->mails = NULL;
	session->mail_count = 0;
	session->mail_cap = 0;
}

static void imap_view_add(const struct storage_mail *mail, void *context)
{
	struct imap_session *session = context;
	struct imap_view_mail *m = XARRAY_PUSH(session->mails, session->mail_count,
					       session->mail_cap);
	m->uid = mail->uid;
	m->flags = mail->flags;
	m->keywords = xstrdup(mail->keywords != NULL ? mail->keywords : "");
	m->internal_date = mail->internal_date;
	m->size = mail->size;
}

static int imap_view_cmp(const void *a, const void *b)
{
	const struct imap_view_mail *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

enum storage_result imap_view_load(struct imap_session *session, const char **error_r)
{
	imap_view_free(session);
	enum storage_result ret = storage_mail_list(imap_storage(session), session->mailbox.id,
						    imap_view_add, session, error_r);
	if (ret != STORAGE_OK) {
		imap_view_free(session);
		return ret;
	}
	if (session->mail_count > 1)
		qsort(session->mails, session->mail_count, sizeof(session->mails[0]),
		      imap_view_cmp);
	return STORAGE_OK;
}

void imap_session_unselect(struct imap_session *session)
{
	imap_view_free(session);
	memset(&session->mailbox, 0, sizeof(session->mailbox));
	session->readonly = false;
	if (session->state == IMAP_STATE_SELECTED)
		imap_enter_state(session, IMAP_STATE_AUTHENTICATED);
}

void imap_cmd_storage_error(struct imap_client_cmd *cmd, enum storage_result result,
			    const char *error)
{
	struct imap_session *session = cmd->session;
	switch (result) {
	case STORAGE_ERR_TEMP:
		log_warning(session->sid, "imap", "storage_error", "command=%s error=\"%s\"",
			    cmd->name, error != NULL ? error : "");
		imap_cmd_no(cmd, "[UNAVAILABLE] temporary failure, try again later");
		break;
	case STORAGE_ERR_NOTFOUND:
		imap_cmd_no(cmd, "[NONEXISTENT] no such mailbox");
		break;
	case STORAGE_ERR_EXISTS:
		imap_cmd_no(cmd, "[ALREADYEXISTS] mailbox already exists");
		break;
	case STORAGE_ERR_NOQUOTA:
		imap_cmd_no(cmd, "[OVERQUOTA] quota exceeded");
		break;
	case STORAGE_ERR_INVALID:
	default:
		log_info(session->sid, "imap", "storage_refused", "command=%s error=\"%s\"",
			 cmd->name, error != NULL ? error : "");
		imap_cmd_no(cmd, "[CANNOT] operation refused");
		break;
	}
}

struct imap_view_list {
	struct imap_view_mail *mails;
	size_t count, cap;
};

static void imap_view_list_add(const struct storage_mail *mail, void *context)
{
	struct imap_view_list *list = context;
	struct imap_view_mail *m = XARRAY_PUSH(list->mails, list->count, list->cap);
	m->uid = mail->uid;
	m->flags = mail->flags;
	m->keywords = xstrdup(mail->keywords != NULL ? mail->keywords : "");
	m->internal_date = mail->internal_date;
	m->size = mail->size;
}

static void imap_view_report_flags(struct imap_session *session, size_t index)
{
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %zu FETCH (FLAGS (", index + 1);
	imap_append_flags(&line, session->mails[index].flags, session->mails[index].keywords);
	buf_append_str(&line, "))\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
}

enum storage_result imap_view_sync(struct imap_session *session, const char **error_r)
{
	struct storage_mailbox now;
	enum storage_result ret = storage_mailbox_get(imap_storage(session), session->user_id,
						      session->mailbox.name, &now, error_r);
	if (ret != STORAGE_OK || (now.id == session->mailbox.id &&
				  now.highestmodseq == session->mailbox.highestmodseq &&
				  now.uidnext == session->mailbox.uidnext))
		return ret == STORAGE_ERR_NOTFOUND ? STORAGE_OK : ret;
	if (now.id != session->mailbox.id)
		return STORAGE_OK; /* deleted and recreated: not this view's mailbox */
	struct imap_view_list list = { NULL, 0, 0 };
	ret = storage_mail_list(imap_storage(session), session->mailbox.id, imap_view_list_add,
				&list, error_r);
	if (ret != STORAGE_OK)
		goto out;
	if (list.count > 1)
		qsort(list.mails, list.count, sizeof(list.mails[0]), imap_view_cmp);
	/* expunged: from the highest sequence number down */
	for (size_t i = session->mail_count; i > 0; i--) {
		struct imap_view_mail key = { .uid = session->mails[i - 1].uid };
		if (bsearch(&key, list.mails, list.count, sizeof(key), imap_view_cmp) != NULL)
			continue;
		free(session->mails[i - 1].keywords);
		memmove(&session->mails[i - 1], &session->mails[i],
			(session->mail_count - i) * sizeof(session->mails[0]));
		session->mail_count--;
		imap_reply(session, "* %zu EXPUNGE", i);
	}
	/* flag changes of the messages still there */
	for (size_t i = 0; i < session->mail_count; i++) {
		struct imap_view_mail *m = &session->mails[i];
		struct imap_view_mail key = { .uid = m->uid };
		struct imap_view_mail *n = bsearch(&key, list.mails, list.count, sizeof(key),
						   imap_view_cmp);
		if (n == NULL || (n->flags == m->flags && strcmp(n->keywords, m->keywords) == 0))
			continue;
		m->flags = n->flags;
		free(m->keywords);
		m->keywords = xstrdup(n->keywords);
		imap_view_report_flags(session, i);
	}
	/* new messages */
	uint32_t last = session->mail_count > 0 ? session->mails[session->mail_count - 1].uid : 0;
	size_t before = session->mail_count;
	for (size_t i = 0; i < list.count; i++) {
		if (list.mails[i].uid <= last)
			continue;
		struct imap_view_mail *m = XARRAY_PUSH(session->mails, session->mail_count,
						       session->mail_cap);
		*m = list.mails[i];
		m->keywords = xstrdup(list.mails[i].keywords);
	}
	if (session->mail_count != before)
		imap_reply(session, "* %zu EXISTS", session->mail_count);
	session->mailbox = now;
out:
	for (size_t i = 0; i < list.count; i++)
		free(list.mails[i].keywords);
	free(list.mails);
	return ret;
}

void imap_view_expunged(struct imap_session *session, const uint32_t *uids, size_t count,
			bool silent)
{
	/* both ascending: walk down together */
	size_t k = count;
	for (size_t i = session->mail_count; i > 0 && k > 0; i--) {
		struct imap_view_mail *m = &session->mails[i - 1];
		while (k > 0 && uids[k - 1] > m->uid)
			k--;
		if (k == 0 || uids[k - 1] != m->uid)
			continue;
		free(m->keywords);
		memmove(m, m + 1, (session->mail_count - i) * sizeof(*m));
		session->mail_count--;
		if (!silent)
			imap_reply(session, "* %zu EXPUNGE", i);
	}
}
