/* imap-view.c - the selected mailbox as the session sees it: the messages
 * in UID order (index + 1 = sequence number) with their flags and \Recent,
 * loaded at SELECT and brought up to date by imap_view_sync() (NOOP, CHECK,
 * IDLE, and before the tagged reply of any command once another session or
 * a delivery said the mailbox changed: mailbox-events.h); and the mapping
 * of storage failures to tagged replies.
 * Never sends EXPUNGE while FETCH, STORE or SEARCH (non-UID) complete
 * (RFC 3501 7.4.1): those messages stay in the view until a later sync.
 * Never shows a client another user's mailbox: every storage call passes
 * the session's own user id or a mailbox id obtained with it.
 * Memory: an idle session holds 32 bytes per message of its selected
 * mailbox (struct imap_view_mail) and the array's slack is given back
 * after loads and syncs; never keeps a per-message allocation for a
 * message without keywords.
 */
#include "imap-session.h"
#include "log.h"
#include "mailbox-events.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(struct imap_view_mail) == 32, "a view entry is 32 bytes");

/* The keywords of every view entry that has none: never freed. */
static const char imap_view_no_keywords[] = "";

void imap_view_mail_set_keywords(struct imap_view_mail *m, const char *keywords)
{
	if (m->keywords != imap_view_no_keywords)
		free((char *)m->keywords);
	m->keywords = keywords == NULL || keywords[0] == '\0' ? imap_view_no_keywords :
									xstrdup(keywords);
}

void imap_view_mail_clear(struct imap_view_mail *m)
{
	imap_view_mail_set_keywords(m, NULL);
}

/* Give back the array's growth slack: an idle session keeps its view for
 * hours. Some room stays for the deliveries to come. */
static void imap_view_fit(struct imap_session *session)
{
	size_t want = session->mail_count + session->mail_count / 64 + 4;
	if (session->mail_cap <= want + want / 4)
		return;
	session->mails = xrealloc(session->mails, want * sizeof(session->mails[0]));
	session->mail_cap = want;
}

void imap_view_free(struct imap_session *session)
{
	for (size_t i = 0; i < session->mail_count; i++)
		imap_view_mail_clear(&session->mails[i]);
	free(session->mails);
	session->mails = NULL;
	session->mail_count = 0;
	session->mail_cap = 0;
	imap_searchres_clear(session); /* RFC 5182: "$" is of this view */
}

void imap_view_mail_fill(struct imap_view_mail *m, const struct storage_mail *mail)
{
	m->uid = mail->uid;
	m->flags = mail->flags;
	m->keywords = imap_view_no_keywords;
	imap_view_mail_set_keywords(m, mail->keywords);
	m->internal_date = mail->internal_date;
	m->size = mail->size < 0 ? 0 : mail->size > UINT32_MAX ? UINT32_MAX : (uint32_t)mail->size;
	m->recent = false;
	m->modseq = mail->modseq;
}

static void imap_view_add(const struct storage_mail *mail, void *context)
{
	struct imap_session *session = context;
	imap_view_mail_fill(XARRAY_PUSH(session->mails, session->mail_count, session->mail_cap),
			    mail);
}

static void imap_view_mark_recent(struct imap_session *session, size_t first);

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
	imap_view_fit(session);
	imap_view_mark_recent(session, 0);
	session->changed = false;
	session->expunge_pending = false;
	return STORAGE_OK;
}

/* \Recent for the messages from index first on: SELECT claims them for
 * this session (no other session sees them \Recent), EXAMINE only looks. */
static void imap_view_mark_recent(struct imap_session *session, size_t first)
{
	if (first >= session->mail_count)
		return;
	uint32_t next = session->mails[session->mail_count - 1].uid + 1;
	if (next < session->mailbox.uidnext)
		next = session->mailbox.uidnext;
	uint32_t boundary = session->readonly ?
			    mailbox_events_recent_boundary(session->mailbox.id) :
			    mailbox_events_claim_recent(session->mailbox.id, next);
	for (size_t i = first; i < session->mail_count; i++)
		session->mails[i].recent = session->mails[i].uid >= boundary;
}

size_t imap_view_recent_count(struct imap_session *session)
{
	size_t n = 0;
	for (size_t i = 0; i < session->mail_count; i++)
		n += session->mails[i].recent;
	return n;
}

static void imap_view_notified(void *context)
{
	struct imap_session *session = context;
	session->changed = true;
	if (!session->idling || session->conn == NULL || session->state != IMAP_STATE_SELECTED)
		return;
	/* IDLE: tell the client now */
	const char *error = NULL;
	enum storage_result ret = imap_view_sync(session, &error);
	if (ret != STORAGE_OK)
		log_warning(session->sid, "imap", "idle_sync_failed", "result=%s error=\"%s\"",
			    storage_result_str(ret), error != NULL ? error : "");
}

void imap_view_watch(struct imap_session *session)
{
	mailbox_events_unwatch(&session->watch);
	session->watch = mailbox_events_watch(session->mailbox.id, session->worker,
					      imap_view_notified, session);
}

void imap_view_changed(struct imap_session *session, int64_t mailbox_id)
{
	/* the command brought its own view up to date itself */
	bool own = session->state == IMAP_STATE_SELECTED && session->mailbox.id == mailbox_id;
	mailbox_events_changed_except(mailbox_id, own ? session->watch : NULL);
}

void imap_view_command_done(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	imap_view_fit(session); /* after APPEND or COPY grew the view */
	if (session->state != IMAP_STATE_SELECTED || session->conn == NULL ||
	    (!session->changed && !session->expunge_pending))
		return;
	bool allow_expunge = cmd->uid || (strcasecmp(cmd->name, "FETCH") != 0 &&
					  strcasecmp(cmd->name, "STORE") != 0 &&
					  strcasecmp(cmd->name, "SEARCH") != 0);
	const char *error = NULL;
	enum storage_result ret = imap_view_sync_mode(session, allow_expunge, &error);
	if (ret != STORAGE_OK)
		log_warning(session->sid, "imap", "sync_failed", "command=%s result=%s error=\"%s\"",
			    cmd->name, storage_result_str(ret), error != NULL ? error : "");
}

void imap_session_unselect(struct imap_session *session)
{
	mailbox_events_unwatch(&session->watch);
	session->changed = false;
	session->expunge_pending = false;
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

struct imap_view_uids {
	uint32_t *uids;
	size_t count, cap;
};

static void imap_view_list_add(const struct storage_mail *mail, void *context)
{
	struct imap_view_list *list = context;
	imap_view_mail_fill(XARRAY_PUSH(list->mails, list->count, list->cap), mail);
}

void imap_append_view_flags(struct imap_session *session, struct buf *out,
			    const struct imap_view_mail *m)
{
	size_t start = out->len;
	imap_append_flags(out, m->flags, m->keywords);
	if (m->recent && !session->rev2)
		buf_append_str(out, out->len > start ? " \\Recent" : "\\Recent");
}

struct imap_view_recent_count {
	uint32_t boundary;
	int64_t count;
};

static void imap_view_recent_cb(const struct storage_mail *mail, void *context)
{
	struct imap_view_recent_count *c = context;
	if (mail->uid >= c->boundary)
		c->count++;
}

enum storage_result imap_view_status_recent(struct imap_session *session, int64_t mailbox_id,
					    int64_t *count_r, const char **error_r)
{
	*count_r = 0;
	if (session->state == IMAP_STATE_SELECTED && session->mailbox.id == mailbox_id) {
		*count_r = (int64_t)imap_view_recent_count(session);
		return STORAGE_OK;
	}
	struct imap_view_recent_count c = { mailbox_events_recent_boundary(mailbox_id), 0 };
	enum storage_result ret = storage_mail_list(imap_storage(session), mailbox_id,
						    imap_view_recent_cb, &c, error_r);
	if (ret == STORAGE_OK)
		*count_r = c.count;
	return ret;
}

static void imap_view_report_flags(struct imap_session *session, size_t index)
{
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %zu FETCH (FLAGS (", index + 1);
	imap_append_view_flags(session, &line, &session->mails[index]);
	buf_append_byte(&line, ')');
	if (session->condstore) /* RFC 7162 3.1: UID and MODSEQ in every unsolicited FETCH */
		buf_printf(&line, " UID %u MODSEQ (%lld)", session->mails[index].uid,
			   (long long)session->mails[index].modseq);
	buf_append_str(&line, ")\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
}

enum storage_result imap_view_sync(struct imap_session *session, const char **error_r)
{
	return imap_view_sync_mode(session, true, error_r);
}

static void imap_view_vanished_add(uint32_t uid, void *context)
{
	struct imap_view_uids *v = context;
	*XARRAY_PUSH(v->uids, v->count, v->cap) = uid;
}

/* The view index of uid, or mail_count. */
static size_t imap_view_find(struct imap_session *session, uint32_t uid)
{
	size_t lo = 0, hi = session->mail_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (session->mails[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < session->mail_count && session->mails[lo].uid == uid ? lo : session->mail_count;
}

/* Incremental: one probe; when it moved, the rows changed since the
 * view's modseq and the uids expunged since then. Reading a change twice
 * is harmless (flags compared, known uids skipped), so the new modseq is
 * the probed one, read before the rows. */
enum storage_result imap_view_sync_mode(struct imap_session *session, bool allow_expunge,
					const char **error_r)
{
	session->changed = false; /* a change told from now on asks again */
	uint32_t uidnext;
	int64_t modseq;
	enum storage_result ret = storage_mailbox_probe(imap_storage(session), session->mailbox.id,
							&uidnext, &modseq, error_r);
	if (ret == STORAGE_ERR_NOTFOUND)
		return STORAGE_OK; /* deleted under the session: nothing more to tell */
	if (ret != STORAGE_OK)
		return ret;
	if (modseq == session->mailbox.highestmodseq && uidnext == session->mailbox.uidnext &&
	    !session->expunge_pending)
		return STORAGE_OK;
	struct imap_view_list list = { NULL, 0, 0 };
	struct imap_view_uids gone = { NULL, 0, 0 };
	ret = storage_mailbox_vanished_since(imap_storage(session), session->mailbox.id,
					     session->mailbox.highestmodseq,
					     imap_view_vanished_add, &gone, error_r);
	if (ret == STORAGE_OK)
		ret = storage_mail_list_since(imap_storage(session), session->mailbox.id,
					      session->mailbox.highestmodseq, imap_view_list_add,
					      &list, error_r);
	if (ret != STORAGE_OK)
		goto out;
	/* expunged: from the highest sequence number down, so that each number
	 * is right when the client reads it (RFC 3501 7.4.1) */
	bool held_back = false;
	if (gone.count > 0) {
		if (allow_expunge)
			imap_view_expunged(session, gone.uids, gone.count, false);
		else
			for (size_t i = 0; i < gone.count && !held_back; i++)
				held_back = imap_view_find(session, gone.uids[i]) <
					    session->mail_count;
	}
	/* flag changes of the messages still there, then the new ones */
	uint32_t last = session->mail_count > 0 ? session->mails[session->mail_count - 1].uid : 0;
	size_t before = session->mail_count;
	for (size_t i = 0; i < list.count; i++) {
		struct imap_view_mail *n = &list.mails[i];
		if (n->uid > last) {
			struct imap_view_mail *m = XARRAY_PUSH(session->mails, session->mail_count,
							       session->mail_cap);
			*m = *n;
			n->keywords = imap_view_no_keywords; /* m owns them now */
			last = n->uid;
			continue;
		}
		size_t k = imap_view_find(session, n->uid);
		if (k == session->mail_count || k >= before)
			continue;
		struct imap_view_mail *m = &session->mails[k];
		bool same_modseq = !session->condstore || n->modseq <= m->modseq;
		if (n->flags == m->flags && strcmp(n->keywords, m->keywords) == 0 && same_modseq)
			continue;
		if (n->modseq > m->modseq)
			m->modseq = n->modseq;
		m->flags = n->flags;
		imap_view_mail_set_keywords(m, n->keywords);
		imap_view_report_flags(session, k);
	}
	if (uidnext > session->mailbox.uidnext)
		session->mailbox.uidnext = uidnext;
	/* held back: read the same expunges again next time */
	if (!held_back)
		session->mailbox.highestmodseq = modseq;
	if (session->mail_count != before) {
		imap_view_fit(session);
		imap_view_mark_recent(session, before);
		imap_reply(session, "* %zu EXISTS", session->mail_count);
		if (!session->rev2) /* RFC 9051: no RECENT response */
			imap_reply(session, "* %zu RECENT", imap_view_recent_count(session));
	}
	session->expunge_pending = held_back;
out:
	for (size_t i = 0; i < list.count; i++)
		imap_view_mail_clear(&list.mails[i]);
	free(list.mails);
	free(gone.uids);
	return ret;
}

size_t imap_view_index(struct imap_session *session, uint32_t uid)
{
	return imap_view_find(session, uid);
}

void imap_append_uid_set(struct buf *out, const uint32_t *uids, size_t count)
{
	for (size_t i = 0; i < count;) {
		size_t j = i;
		while (j + 1 < count && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			buf_append_byte(out, ',');
		if (j == i)
			buf_printf(out, "%u", uids[i]);
		else
			buf_printf(out, "%u:%u", uids[i], uids[j]);
		i = j + 1;
	}
}

void imap_view_condstore_enable(struct imap_session *session, bool with_highestmodseq)
{
	if (session->condstore)
		return;
	session->condstore = true;
	if (with_highestmodseq && session->state == IMAP_STATE_SELECTED)
		imap_reply(session, "* OK [HIGHESTMODSEQ %lld] modseqs on",
			   (long long)session->mailbox.highestmodseq);
}

/* QRESYNC (RFC 7162 3.2.10): one "* VANISHED set" of the uids that were in
 * the view, instead of an EXPUNGE per message. */
static void imap_view_report_vanished(struct imap_session *session, const uint32_t *uids,
				      size_t count)
{
	uint32_t *present = xcalloc(count + 1, sizeof(uint32_t));
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		if (imap_view_find(session, uids[i]) < session->mail_count)
			present[n++] = uids[i];
	if (n > 0) {
		struct buf line;
		buf_init(&line);
		buf_append_str(&line, "* VANISHED ");
		imap_append_uid_set(&line, present, n);
		buf_append_str(&line, "\r\n");
		imap_write(session, line.data, line.len);
		buf_free(&line);
	}
	free(present);
}

void imap_view_expunged(struct imap_session *session, const uint32_t *uids, size_t count,
			bool silent)
{
	if (!silent && session->qresync) {
		imap_view_report_vanished(session, uids, count);
		silent = true;
	}
	/* both ascending: walk down together */
	size_t k = count;
	for (size_t i = session->mail_count; i > 0 && k > 0; i--) {
		struct imap_view_mail *m = &session->mails[i - 1];
		while (k > 0 && uids[k - 1] > m->uid)
			k--;
		if (k == 0 || uids[k - 1] != m->uid)
			continue;
		imap_view_mail_clear(m);
		memmove(m, m + 1, (session->mail_count - i) * sizeof(*m));
		session->mail_count--;
		if (!silent)
			imap_reply(session, "* %zu EXPUNGE", i);
	}
}
