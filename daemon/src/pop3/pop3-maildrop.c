/* pop3-maildrop.c - the maildrop of a POP3 session: the exclusive lock
 * (one POP3 session per user in this process, RFC 1939 8), the snapshot
 * of INBOX taken at login (messages delivered later are not shown to the
 * session), and committing DELE at QUIT (RFC 1939 6) in one expunge that
 * IMAP sessions on the same INBOX are told about.
 *
 * The lock lives in memory: several tandemd front ends on one PostgreSQL
 * database do not see each other's locks (see README "POP3"). Runs on the
 * session's worker thread; only the lock table is shared (its mutex).
 * Never deletes anything before QUIT.
 */
#include "pop3-session.h"
#include "log.h"
#include "mailbox-events.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pop3_maildrop_locks_init(struct pop3_maildrop_locks *locks)
{
	memset(locks, 0, sizeof(*locks));
	if (pthread_mutex_init(&locks->mutex, NULL) != 0)
		fatal("pthread_mutex_init failed");
}

void pop3_maildrop_locks_deinit(struct pop3_maildrop_locks *locks)
{
	pthread_mutex_destroy(&locks->mutex);
	free(locks->user_ids);
	locks->user_ids = NULL;
	locks->count = locks->cap = 0;
}

/* Take user_id's lock; false when another session holds it. */
static bool pop3_lock_take(struct pop3_maildrop_locks *locks, int64_t user_id)
{
	bool taken = true;
	pthread_mutex_lock(&locks->mutex);
	for (size_t n = 0; n < locks->count; n++) {
		if (locks->user_ids[n] == user_id) {
			taken = false;
			break;
		}
	}
	if (taken) {
		if (locks->count == locks->cap) {
			locks->cap = locks->cap == 0 ? 16 : locks->cap * 2;
			locks->user_ids = xrealloc(locks->user_ids,
						   locks->cap * sizeof(*locks->user_ids));
		}
		locks->user_ids[locks->count++] = user_id;
	}
	pthread_mutex_unlock(&locks->mutex);
	return taken;
}

static void pop3_lock_release(struct pop3_maildrop_locks *locks, int64_t user_id)
{
	pthread_mutex_lock(&locks->mutex);
	for (size_t n = 0; n < locks->count; n++) {
		if (locks->user_ids[n] == user_id) {
			locks->user_ids[n] = locks->user_ids[--locks->count];
			break;
		}
	}
	pthread_mutex_unlock(&locks->mutex);
}

struct pop3_load {
	struct pop3_mail *mails;
	size_t count, cap;
	bool truncated;
};

static void pop3_load_mail(const struct storage_mail *mail, void *context)
{
	struct pop3_load *load = context;
	if (load->count >= POP3_MAILDROP_MAX) {
		load->truncated = true;
		return;
	}
	if (load->count == load->cap) {
		load->cap = load->cap == 0 ? 64 : load->cap * 2;
		load->mails = xrealloc(load->mails, load->cap * sizeof(*load->mails));
	}
	struct pop3_mail *m = &load->mails[load->count++];
	m->uid = mail->uid;
	m->size = mail->size;
	m->deleted = false;
	m->retrieved = false;
}

void pop3_maildrop_open(struct pop3_session *session, const struct storage_user *user,
			const char *mech)
{
	if (!pop3_lock_take(&session->service->locks, user->id)) {
		log_info(session->core.sid, "pop3", "maildrop_locked", "user=%s", user->address);
		pop3_err(session, "[IN-USE] maildrop is locked by another POP3 session");
		return;
	}
	session->locked = true;
	session->user_id = user->id;
	snprintf(session->user, sizeof(session->user), "%s", user->address);

	struct storage_mailbox mailbox;
	struct pop3_load load = { 0 };
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_get(net_session_core_storage(&session->core), user->id,
						      STORAGE_INBOX, &mailbox, &error);
	if (ret == STORAGE_OK)
		ret = storage_mail_list(net_session_core_storage(&session->core), mailbox.id, pop3_load_mail, &load,
					&error);
	if (ret != STORAGE_OK) {
		log_warning(session->core.sid, "pop3", "maildrop_failed", "user=%s result=%s error=\"%s\"",
			    user->address, storage_result_str(ret), error != NULL ? error : "");
		free(load.mails);
		pop3_maildrop_close(session);
		pop3_err(session, "[SYS/TEMP] cannot open the maildrop, try again later");
		return;
	}
	session->mailbox_id = mailbox.id;
	session->uidvalidity = mailbox.uidvalidity;
	session->mails = load.mails;
	session->mail_count = load.count;
	int64_t bytes = 0;
	for (size_t n = 0; n < load.count; n++)
		bytes += load.mails[n].size;
	pop3_enter_state(session, POP3_STATE_TRANSACTION);
	log_info(session->core.sid, "pop3", "login", "user=%s mech=%s messages=%zu%s", user->address,
		 mech, load.count, load.truncated ? " truncated=yes" : "");
	pop3_ok(session, "logged in, %zu messages (%lld octets)", load.count, (long long)bytes);
}

/* The uids of the messages retrieved (want_deleted false: and kept) or
 * DELEted; allocated, *count_r of them. */
static uint32_t *pop3_maildrop_uids(struct pop3_session *session, bool want_deleted,
				    size_t *count_r)
{
	uint32_t *uids = xmalloc((session->mail_count + 1) * sizeof(*uids));
	size_t count = 0;
	for (size_t n = 0; n < session->mail_count; n++) {
		const struct pop3_mail *m = &session->mails[n];
		if (want_deleted ? m->deleted : m->retrieved && !m->deleted)
			uids[count++] = m->uid;
	}
	*count_r = count;
	return uids;
}

int pop3_maildrop_commit(struct pop3_session *session)
{
	const char *error = NULL;
	struct storage_conn *conn = net_session_core_storage(&session->core);
	uint32_t *modified = NULL;
	size_t modified_count = 0, seen_count, count;
	enum storage_result ret = STORAGE_OK;
	/* what the client downloaded is \Seen for IMAP (as Dovecot does) */
	uint32_t *uids = pop3_maildrop_uids(session, false, &seen_count);
	if (seen_count > 0)
		ret = storage_mail_store_flags(conn, session->mailbox_id, uids, seen_count,
					       STORAGE_FLAGS_ADD, STORAGE_FLAG_SEEN, NULL, 0, NULL,
					       NULL, &modified, &modified_count, &error);
	free(modified);
	modified = NULL;
	free(uids);
	uids = pop3_maildrop_uids(session, true, &count);
	/* \Deleted on exactly these, then the expunge of exactly these: an
	 * IMAP client's own \Deleted marks on other messages are left alone */
	if (ret == STORAGE_OK && count > 0)
		ret = storage_mail_store_flags(conn, session->mailbox_id, uids, count,
					       STORAGE_FLAGS_ADD, STORAGE_FLAG_DELETED, NULL, 0,
					       NULL, NULL, &modified, &modified_count, &error);
	free(modified);
	if (ret == STORAGE_OK && count > 0)
		ret = storage_mail_expunge_deleted(conn, session->mailbox_id, uids, count, NULL,
						   NULL, &error);
	free(uids);
	if (seen_count == 0 && count == 0)
		return 0;
	/* whatever committed: IMAP sessions on this INBOX look again */
	mailbox_events_changed(session->mailbox_id);
	if (ret != STORAGE_OK) {
		log_warning(session->core.sid, "pop3", "expunge_failed",
			    "user=%s count=%zu result=%s error=\"%s\"", session->user, count,
			    storage_result_str(ret), error != NULL ? error : "");
		return -1;
	}
	if (count > 0)
		log_info(session->core.sid, "pop3", "expunge", "user=%s count=%zu", session->user, count);
	return 0;
}

void pop3_maildrop_close(struct pop3_session *session)
{
	free(session->mails);
	session->mails = NULL;
	session->mail_count = 0;
	if (session->locked) {
		pop3_lock_release(&session->service->locks, session->user_id);
		session->locked = false;
	}
}
