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
 * Memory: an idle session holds 5 bytes per message of its selected
 * mailbox (a uid and a flags byte: imap-session.h) plus the keywords of
 * the messages that have some, and the arrays' slack is given back after
 * loads and syncs; internal date, size and modseq are never kept here
 * (imap-view-attrs.c reads them per command).
 */
#include "imap-session.h"
#include "log.h"
#include "mailbox-events.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Own changes listed before a command's end brings the view up to date. */
#define IMAP_VIEW_OWN_MAX 256

/* The keyword table's position of uid (where it is or would go). */
static size_t imap_view_kw_pos(const struct imap_session *session, uint32_t uid)
{
	size_t lo = 0, hi = session->view_kw_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (session->view_kw[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *imap_view_keywords(const struct imap_session *session, size_t k)
{
	if ((session->view_flags[k] & IMAP_VIEW_KEYWORDS) == 0)
		return "";
	size_t pos = imap_view_kw_pos(session, session->view_uids[k]);
	if (pos < session->view_kw_count && session->view_kw[pos].uid == session->view_uids[k])
		return session->view_kw[pos].keywords;
	return "";
}

/* Replace uid's keywords in the table (NULL or "" removes them). */
static bool imap_view_kw_set(struct imap_session *session, uint32_t uid, const char *keywords)
{
	size_t pos = imap_view_kw_pos(session, uid);
	bool present = pos < session->view_kw_count && session->view_kw[pos].uid == uid;
	bool want = keywords != NULL && keywords[0] != '\0';
	if (present && want) {
		if (strcmp(session->view_kw[pos].keywords, keywords) != 0) {
			free(session->view_kw[pos].keywords);
			session->view_kw[pos].keywords = xstrdup(keywords);
		}
	} else if (present) {
		free(session->view_kw[pos].keywords);
		memmove(&session->view_kw[pos], &session->view_kw[pos + 1],
			(session->view_kw_count - pos - 1) * sizeof(session->view_kw[0]));
		session->view_kw_count--;
	} else if (want) {
		XARRAY_PUSH(session->view_kw, session->view_kw_count, session->view_kw_cap);
		memmove(&session->view_kw[pos + 1], &session->view_kw[pos],
			(session->view_kw_count - pos - 1) * sizeof(session->view_kw[0]));
		session->view_kw[pos] = (struct imap_view_keywords){ uid, xstrdup(keywords) };
	}
	return want;
}

void imap_view_set_flags(struct imap_session *session, size_t k, uint32_t flags,
			 const char *keywords)
{
	uint8_t f = session->view_flags[k] & IMAP_VIEW_RECENT;
	f |= (uint8_t)(flags & IMAP_VIEW_SYSTEM_FLAGS);
	if (imap_view_kw_set(session, session->view_uids[k], keywords))
		f |= IMAP_VIEW_KEYWORDS;
	session->view_flags[k] = f;
}

/* Grow the uid and flag arrays for one more message. */
static void imap_view_grow(struct imap_session *session)
{
	if (session->mail_count < session->mail_cap)
		return;
	size_t cap = session->mail_cap < 16 ? 16 : session->mail_cap * 2;
	session->view_uids = xrealloc(session->view_uids, cap * sizeof(uint32_t));
	session->view_flags = xrealloc(session->view_flags, cap);
	session->mail_cap = cap;
}

/* Push a message without checking order (imap_view_load sorts). */
static void imap_view_push(struct imap_session *session, const struct storage_mail *mail)
{
	imap_view_grow(session);
	size_t k = session->mail_count++;
	session->view_uids[k] = mail->uid;
	session->view_flags[k] = 0;
	imap_view_set_flags(session, k, mail->flags, mail->keywords);
}

bool imap_view_append(struct imap_session *session, const struct storage_mail *mail)
{
	if (mail->uid <= imap_view_last_uid(session))
		return false;
	imap_view_push(session, mail);
	return true;
}

void imap_view_own_change(struct imap_session *session, uint32_t uid, int64_t modseq)
{
	*XARRAY_PUSH(session->view_own, session->view_own_count, session->view_own_cap) =
		(struct imap_view_own_change){ uid, modseq };
}

static int imap_view_own_cmp(const void *a, const void *b)
{
	const struct imap_view_own_change *x = a, *y = b;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->modseq < y->modseq ? -1 : x->modseq > y->modseq;
}

/* The modseq of this session's own last change of uid not yet synced, or
 * 0; the list is sorted (imap_view_own_cmp) by the sync before. */
static int64_t imap_view_own_find(const struct imap_session *session, uint32_t uid)
{
	size_t lo = 0, hi = session->view_own_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (session->view_own[mid].uid <= uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo: the first entry above uid; the one before is uid's highest */
	return lo > 0 && session->view_own[lo - 1].uid == uid ? session->view_own[lo - 1].modseq : 0;
}

static void imap_view_own_clear(struct imap_session *session)
{
	free(session->view_own);
	session->view_own = NULL;
	session->view_own_count = 0;
	session->view_own_cap = 0;
}

/* Give back the arrays' growth slack: an idle session keeps its view for
 * hours. Some room stays for the deliveries to come. */
static void imap_view_fit(struct imap_session *session)
{
	size_t want = session->mail_count + session->mail_count / 64 + 4;
	if (session->mail_cap > want + want / 4) {
		session->view_uids = xrealloc(session->view_uids, want * sizeof(uint32_t));
		session->view_flags = xrealloc(session->view_flags, want);
		session->mail_cap = want;
	}
	size_t kw_want = session->view_kw_count + 4;
	if (session->view_kw_cap > kw_want + kw_want / 4) {
		session->view_kw = xrealloc(session->view_kw, kw_want * sizeof(session->view_kw[0]));
		session->view_kw_cap = kw_want;
	}
}

void imap_view_free(struct imap_session *session)
{
	for (size_t i = 0; i < session->view_kw_count; i++)
		free(session->view_kw[i].keywords);
	free(session->view_kw);
	session->view_kw = NULL;
	session->view_kw_count = 0;
	session->view_kw_cap = 0;
	free(session->view_uids);
	free(session->view_flags);
	session->view_uids = NULL;
	session->view_flags = NULL;
	session->mail_count = 0;
	session->mail_cap = 0;
	imap_view_own_clear(session);
	imap_searchres_clear(session); /* RFC 5182: "$" is of this view */
}

static void imap_view_add(const struct storage_mail *mail, void *context)
{
	imap_view_push(context, mail);
}

static void imap_view_mark_recent(struct imap_session *session, size_t first);

/* For sorting a view loaded out of uid order. */
struct imap_view_sort_entry {
	uint32_t uid;
	uint8_t flags;
};

static int imap_view_sort_cmp(const void *a, const void *b)
{
	const struct imap_view_sort_entry *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int imap_view_kw_cmp(const void *a, const void *b)
{
	const struct imap_view_keywords *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The keyword table is kept by uid as rows come: rows in uid order append
 * at its end; put both in uid order when the storage's were not. */
static void imap_view_sort(struct imap_session *session)
{
	bool sorted = true;
	for (size_t i = 1; i < session->mail_count && sorted; i++)
		sorted = session->view_uids[i - 1] < session->view_uids[i];
	if (sorted)
		return;
	struct imap_view_sort_entry *e = xcalloc(session->mail_count, sizeof(*e));
	for (size_t i = 0; i < session->mail_count; i++)
		e[i] = (struct imap_view_sort_entry){ session->view_uids[i], session->view_flags[i] };
	qsort(e, session->mail_count, sizeof(*e), imap_view_sort_cmp);
	for (size_t i = 0; i < session->mail_count; i++) {
		session->view_uids[i] = e[i].uid;
		session->view_flags[i] = e[i].flags;
	}
	free(e);
	if (session->view_kw_count > 1)
		qsort(session->view_kw, session->view_kw_count, sizeof(session->view_kw[0]),
		      imap_view_kw_cmp);
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
	imap_view_sort(session);
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
	uint32_t next = imap_view_last_uid(session) + 1;
	if (next < session->mailbox.uidnext)
		next = session->mailbox.uidnext;
	uint32_t boundary = session->readonly ?
			    mailbox_events_recent_boundary(session->mailbox.id) :
			    mailbox_events_claim_recent(session->mailbox.id, next);
	for (size_t i = first; i < session->mail_count; i++) {
		if (session->view_uids[i] >= boundary)
			session->view_flags[i] |= IMAP_VIEW_RECENT;
		else
			session->view_flags[i] &= (uint8_t)~IMAP_VIEW_RECENT;
	}
}

size_t imap_view_recent_count(struct imap_session *session)
{
	size_t n = 0;
	for (size_t i = 0; i < session->mail_count; i++)
		n += imap_view_recent(session, i);
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
	/* a big STORE's own changes are read past soon: their list is not
	 * kept while the session idles */
	bool own_many = session->view_own_count > IMAP_VIEW_OWN_MAX;
	if (session->state != IMAP_STATE_SELECTED || session->conn == NULL ||
	    (!session->changed && !session->expunge_pending && !own_many))
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

/* A storage row as the sync needs it. */
struct imap_view_row {
	uint32_t uid;
	uint32_t flags;
	int64_t modseq;
	char *keywords; /* NULL if none */
};

struct imap_view_list {
	struct imap_view_row *rows;
	size_t count, cap;
};

struct imap_view_uids {
	uint32_t *uids;
	size_t count, cap;
};

static void imap_view_list_add(const struct storage_mail *mail, void *context)
{
	struct imap_view_list *list = context;
	*XARRAY_PUSH(list->rows, list->count, list->cap) = (struct imap_view_row){
		.uid = mail->uid, .flags = mail->flags, .modseq = mail->modseq,
		.keywords = mail->keywords != NULL && mail->keywords[0] != '\0' ?
			    xstrdup(mail->keywords) : NULL,
	};
}

void imap_append_view_flags(struct imap_session *session, struct buf *out, size_t k)
{
	size_t start = out->len;
	imap_append_flags(out, imap_view_flags(session, k), imap_view_keywords(session, k));
	if (imap_view_recent(session, k) && !session->rev2)
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

static void imap_view_report_flags(struct imap_session *session, size_t index, int64_t modseq)
{
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %zu FETCH (FLAGS (", index + 1);
	imap_append_view_flags(session, &line, index);
	buf_append_byte(&line, ')');
	if (session->condstore) /* RFC 7162 3.1: UID and MODSEQ in every unsolicited FETCH */
		buf_printf(&line, " UID %u MODSEQ (%lld)", imap_view_uid(session, index),
			   (long long)modseq);
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
		if (session->view_uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < session->mail_count && session->view_uids[lo] == uid ? lo : session->mail_count;
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
	/* flag changes of the messages still there, then the new ones; this
	 * session's own changes were told already (but a later one by another
	 * session is told) */
	if (session->view_own_count > 1)
		qsort(session->view_own, session->view_own_count, sizeof(session->view_own[0]),
		      imap_view_own_cmp);
	uint32_t last = imap_view_last_uid(session);
	size_t before = session->mail_count;
	for (size_t i = 0; i < list.count; i++) {
		const struct imap_view_row *n = &list.rows[i];
		if (n->uid > last) {
			struct storage_mail mail = {
				.uid = n->uid, .flags = n->flags,
				.keywords = n->keywords != NULL ? n->keywords : "",
			};
			imap_view_push(session, &mail);
			last = n->uid;
			continue;
		}
		size_t k = imap_view_find(session, n->uid);
		if (k == session->mail_count || k >= before)
			continue;
		const char *kw = n->keywords != NULL ? n->keywords : "";
		bool own = n->modseq <= imap_view_own_find(session, n->uid);
		bool same_flags = n->flags == imap_view_flags(session, k) &&
				  strcmp(kw, imap_view_keywords(session, k)) == 0;
		/* without CONDSTORE only flags tell; with it, a new modseq too */
		if (same_flags && (!session->condstore || own))
			continue;
		imap_view_set_flags(session, k, n->flags, kw);
		imap_view_report_flags(session, k, n->modseq);
	}
	if (uidnext > session->mailbox.uidnext)
		session->mailbox.uidnext = uidnext;
	/* held back: read the same expunges again next time */
	if (!held_back) {
		session->mailbox.highestmodseq = modseq;
		imap_view_own_clear(session); /* read past them */
	}
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
		free(list.rows[i].keywords);
	free(list.rows);
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
		uint32_t uid = session->view_uids[i - 1];
		while (k > 0 && uids[k - 1] > uid)
			k--;
		if (k == 0 || uids[k - 1] != uid)
			continue;
		imap_view_kw_set(session, uid, NULL);
		memmove(&session->view_uids[i - 1], &session->view_uids[i],
			(session->mail_count - i) * sizeof(uint32_t));
		memmove(&session->view_flags[i - 1], &session->view_flags[i],
			session->mail_count - i);
		session->mail_count--;
		if (!silent)
			imap_reply(session, "* %zu EXPUNGE", i);
	}
}
