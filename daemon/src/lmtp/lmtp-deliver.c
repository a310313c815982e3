/* lmtp-deliver.c - from the end of DATA to the per-recipient replies.
 *
 * The message is parsed once (mime_message_parse, on the worker), Sieve
 * runs for each resolved user (lmtp-sieve.c: copies to store, a reject,
 * redirects and replies), one storage_delivery is built with one rcpt per
 * copy, each carrying its RCPT's trace header (Return-Path + Delivered-To;
 * nothing else is added), and handed to the group committer (skipped when
 * nothing is to be stored). Its done callback runs on the committer's
 * thread and does nothing but send the job back to the session's worker,
 * where one reply per accepted RCPT is written, in order. 250 is never sent
 * before the storage says the transaction committed.
 *
 * Redirects go to the submit queue only after the commit succeeded (a 451
 * sends nothing), and the replies wait until each is handed to sendmail or,
 * failing that, kept in INBOX; vacation replies and the quota warning check
 * follow the replies.
 *
 * The job holds a reference on the session: a client that disconnects while
 * its message commits leaves a session that lives until the callback.
 */
#include "lmtp-session.h"
#include "lmtp-sieve.h"
#include "lmtp-submit.h"
#include "connection.h"
#include "log.h"
#include "mailbox-events.h"
#include "mime.h"
#include "worker.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LMTP_PROTO "lmtp"

/* One message on its way through the committer. */
struct lmtp_job {
	struct lmtp_session *session;  /* referenced */
	struct net_worker *worker;     /* the session's: where the job comes back */
	struct storage_delivery delivery;
	struct mime_message *message;
	unsigned char *data;           /* the raw message (message->data) */
	size_t size;
	char **traces;                 /* one per RCPT */
	struct lmtp_rcpt *rcpts;       /* taken from the session */
	size_t rcpt_count;
	/* per resolved user, in RCPT order: Sieve's outcome and its copies,
	 * delivery.rcpts[first .. first + outcome.store_count) */
	struct lmtp_sieve_outcome *outcomes;
	size_t *firsts;
	size_t user_count;
	char sender[LMTP_PATH_MAX + 1];
	/* redirects the submit queue still has before the replies go out, and
	 * per user whether one of them was neither sent nor kept (451) */
	atomic_uint redirects_pending;
	struct lmtp_job_redirect *redirect_ctx;
	bool *redirect_unsafe;
};

/* The context of one user's redirects in the submit queue. */
struct lmtp_job_redirect {
	struct lmtp_job *job;
	size_t user;
};

static void lmtp_job_free(struct lmtp_job **jobp)
{
	struct lmtp_job *job = *jobp;
	*jobp = NULL;
	mime_message_free(&job->message);
	free(job->data);
	for (size_t i = 0; i < job->rcpt_count; i++) {
		free(job->traces[i]);
		free(job->rcpts[i].address);
		free(job->rcpts[i].user_ids);
	}
	for (size_t i = 0; i < job->user_count; i++)
		lmtp_sieve_outcome_free(&job->outcomes[i]);
	free(job->outcomes);
	free(job->firsts);
	free(job->redirect_ctx);
	free(job->redirect_unsafe);
	free(job->traces);
	free(job->rcpts);
	free(job->delivery.rcpts);
	free(job);
}

/* Every RCPT gets the same answer (no delivery was attempted). */
static void lmtp_reply_each(struct lmtp_session *session, const char *code, const char *text)
{
	for (size_t i = 0; i < session->rcpt_count; i++)
		lmtp_reply(session, "%s <%s> %s", code, session->rcpts[i].address, text);
}

/* The reply for one RCPT from its users' results; users are
 * job->outcomes[first_user .. first_user + rc->user_count). */
static void lmtp_job_reply_rcpt(struct lmtp_job *job, size_t index, size_t first_user)
{
	struct lmtp_session *session = job->session;
	const struct lmtp_rcpt *rc = &job->rcpts[index];
	size_t ok = 0, noquota = 0, notfound = 0, other = 0, rejected = 0;
	const struct storage_delivery_rcpt *single = NULL;
	const char *reason = NULL;

	for (size_t u = first_user; u < first_user + rc->user_count; u++) {
		const struct lmtp_sieve_outcome *out = &job->outcomes[u];
		if (out->rejected) {
			rejected++;
			if (reason == NULL)
				reason = out->reason;
			log_info(session->sid, LMTP_PROTO, "sieve_rejected", "to=<%s> user_id=%lld "
				 "reason=\"%s\"", rc->address, (long long)rc->user_ids[u - first_user],
				 out->reason);
			continue;
		}
		if (job->delivery.result != STORAGE_OK) {
			other++;
			continue;
		}
		if (out->store_count == 0) { /* discarded or sent on */
			if (job->redirect_unsafe[u])
				other++;
			else
				ok++;
			continue;
		}
		const struct storage_delivery_rcpt *dr = &job->delivery.rcpts[job->firsts[u]];
		enum storage_result best = dr[0].result;
		for (size_t i = 0; i < out->store_count; i++)
			if (dr[i].result == STORAGE_OK)
				best = STORAGE_OK;
		switch (best) {
		case STORAGE_OK: ok++; single = &dr[0]; break;
		case STORAGE_ERR_NOQUOTA: noquota++; break;
		case STORAGE_ERR_NOTFOUND: notfound++; break;
		default: other++; break;
		}
	}

	if (ok > 0) {
		/* some users of an alias may have failed: a retry would duplicate
		 * the others' copies, so the address counts as delivered */
		if (ok == 1 && rc->user_count == 1 && single != NULL)
			log_info(session->sid, LMTP_PROTO, "delivered",
				 "to=<%s> user_id=%lld mailbox_id=%lld uid=%u size=%zu", rc->address,
				 (long long)single->user_id, (long long)single->mailbox_id_r,
				 single->uid_r, job->size);
		else
			log_info(session->sid, LMTP_PROTO, "delivered",
				 "to=<%s> users=%zu stored=%zu over_quota=%zu rejected=%zu failed=%zu "
				 "size=%zu", rc->address, rc->user_count, ok, noquota, rejected,
				 notfound + other, job->size);
		lmtp_reply(session, "250 2.0.0 <%s> delivered", rc->address);
	} else if (other > 0) {
		log_warning(session->sid, LMTP_PROTO, "deferred", "to=<%s> error=\"%s\"", rc->address,
			    job->delivery.result != STORAGE_OK ? job->delivery.error :
			    "recipient failed or its redirect could not be sent");
		lmtp_reply(session, "451 4.3.0 <%s> temporary failure, try again", rc->address);
	} else if (noquota > 0) {
		log_info(session->sid, LMTP_PROTO, "over_quota", "to=<%s> size=%zu", rc->address,
			 job->size);
		lmtp_reply(session, "552 5.2.2 <%s> mailbox full", rc->address);
	} else if (rejected > 0) {
		lmtp_reply(session, "550 5.7.1 <%s> %s", rc->address,
			   reason != NULL && reason[0] != '\0' ? reason : "rejected");
	} else {
		log_info(session->sid, LMTP_PROTO, "rcpt_unknown", "to=<%s> at=commit", rc->address);
		lmtp_reply(session, "550 5.1.1 <%s>: user unknown", rc->address);
	}
}

/* Whether user u has a copy stored. */
static bool lmtp_job_stored(const struct lmtp_job *job, size_t u)
{
	const struct lmtp_sieve_outcome *out = &job->outcomes[u];
	for (size_t i = 0; i < out->store_count; i++)
		if (job->delivery.rcpts[job->firsts[u] + i].result == STORAGE_OK)
			return true;
	return false;
}

/* Whether user u's redirects and replies may go out: the commit worked
 * and the user's message was taken. A user whose copies were all refused
 * (552: the client retries) sends nothing, or the retry would send it again. */
static bool lmtp_job_sends(const struct lmtp_job *job, size_t u)
{
	const struct lmtp_sieve_outcome *out = &job->outcomes[u];
	return job->delivery.result == STORAGE_OK && !out->rejected &&
	       (out->store_count == 0 || lmtp_job_stored(job, u));
}

static void lmtp_job_replies(void *arg);

/* submit thread: one redirect is over (safe: sent, or kept in INBOX) */
static void lmtp_job_redirect_done(bool safe, void *context)
{
	struct lmtp_job_redirect *r = context;
	struct lmtp_job *job = r->job;
	if (!safe)
		job->redirect_unsafe[r->user] = true;
	if (atomic_fetch_sub(&job->redirects_pending, 1) == 1)
		net_worker_call(job->worker, lmtp_job_replies, job);
}

/* After the commit: hand the redirects to the submit queue, which calls
 * back when each is sent (or kept in INBOX); the replies wait for that, so
 * 250 never goes out for a message that is neither stored nor sent on.
 * Returns how many were queued (0: reply now). */
static size_t lmtp_job_redirect(struct lmtp_job *job)
{
	struct lmtp_service *service = job->session->service;
	size_t count = 0;
	for (size_t u = 0; u < job->user_count; u++) {
		if (!lmtp_job_sends(job, u))
			continue;
		for (struct lmtp_submit_job *s = job->outcomes[u].submits; s != NULL; s = s->next)
			if (s->kind == LMTP_SUBMIT_REDIRECT)
				count++;
	}
	if (count == 0)
		return 0;
	if (!lmtp_submit_running(service->submit)) {
		/* stopping: the client gets no reply and retries */
		for (size_t u = 0; u < job->user_count; u++)
			job->redirect_unsafe[u] = true;
		return 0;
	}
	atomic_store(&job->redirects_pending, (unsigned)count);
	for (size_t u = 0; u < job->user_count; u++) {
		if (!lmtp_job_sends(job, u))
			continue;
		struct lmtp_submit_job *redirects = NULL, **keep = &job->outcomes[u].submits;
		job->redirect_ctx[u] = (struct lmtp_job_redirect){ .job = job, .user = u };
		while (*keep != NULL) {
			struct lmtp_submit_job *s = *keep;
			if (s->kind != LMTP_SUBMIT_REDIRECT) {
				keep = &s->next;
				continue;
			}
			*keep = s->next;
			s->done = lmtp_job_redirect_done;
			s->done_context = &job->redirect_ctx[u];
			s->next = redirects;
			redirects = s;
		}
		/* the last callback ends the job only through this worker's
		 * queue, so after this function returned */
		if (redirects != NULL)
			lmtp_submit_queue(service->submit, redirects);
	}
	return count;
}

/* After the replies: each user's vacation replies and the quota warning
 * check go to the submit queue (nothing when the delivery failed). */
static void lmtp_job_submit(struct lmtp_job *job)
{
	struct lmtp_service *service = job->session->service;
	for (size_t u = 0; u < job->user_count; u++) {
		struct lmtp_sieve_outcome *out = &job->outcomes[u];
		if (!lmtp_job_sends(job, u) || job->redirect_unsafe[u])
			continue;
		bool stored = lmtp_job_stored(job, u);
		if (out->submits != NULL) {
			lmtp_submit_queue(service->submit, out->submits);
			out->submits = NULL;
		}
		if (stored && out->has_quota && service->set.quota_warning_percent > 0) {
			struct lmtp_submit_job *check = xcalloc(1, sizeof(*check));
			check->kind = LMTP_SUBMIT_QUOTA_CHECK;
			memcpy(check->sid, job->session->sid, sizeof(check->sid));
			check->user_id = job->delivery.rcpts[job->firsts[u]].user_id;
			lmtp_submit_queue(service->submit, check);
		}
	}
}

/* worker thread: the committer is done with the job */
static void lmtp_job_finish(void *arg)
{
	struct lmtp_job *job = arg;
	if (job->delivery.result != STORAGE_OK)
		log_error(job->session->sid, LMTP_PROTO, "commit_failed",
			  "result=\"%s\" error=\"%s\"", storage_result_str(job->delivery.result),
			  job->delivery.error);
	if (lmtp_job_redirect(job) > 0)
		return; /* lmtp_job_replies comes when they are sent */
	lmtp_job_replies(job);
}

/* worker thread: stored and sent on; the replies, then the job ends */
static void lmtp_job_replies(void *arg)
{
	struct lmtp_job *job = arg;
	struct lmtp_session *session = job->session;
	size_t first = 0;
	for (size_t i = 0; i < job->rcpt_count; i++) {
		/* a zombie session writes nothing, but the log still tells */
		lmtp_job_reply_rcpt(job, i, first);
		first += job->rcpts[i].user_count;
	}
	lmtp_job_submit(job);
	atomic_fetch_sub(&session->service->deliveries_in_flight, 1);
	lmtp_job_free(&job);
	lmtp_session_transaction_done(session);
	lmtp_session_unref(&session); /* the job's reference */
}

/* committer thread: must not block, must not touch the session */
static void lmtp_job_done(struct storage_delivery *delivery, void *context)
{
	struct lmtp_job *job = context;
	/* committed: sessions watching these mailboxes (IMAP IDLE) hear it now */
	if (delivery->result == STORAGE_OK) {
		for (size_t i = 0; i < delivery->rcpt_count; i++)
			if (delivery->rcpts[i].result == STORAGE_OK)
				mailbox_events_changed(delivery->rcpts[i].mailbox_id_r);
	}
	net_worker_call(job->worker, lmtp_job_finish, job);
}

static char *lmtp_trace(const struct lmtp_session *session, const struct lmtp_rcpt *rc)
{
	return xasprintf("Return-Path: <%s>\r\nDelivered-To: <%s>\r\n",
			 session->null_sender ? "" : session->sender, rc->address);
}

void lmtp_deliver_message(struct lmtp_session *session)
{
	struct lmtp_data_reader *data = &session->data;

	if (data->overflow) {
		log_info(session->sid, LMTP_PROTO, "message_too_big", "from=<%s> size=%llu max=%llu",
			 session->sender, (unsigned long long)data->size,
			 (unsigned long long)data->limit);
		lmtp_reply_each(session, "552 5.3.4", "message too big");
		lmtp_session_transaction_done(session);
		return;
	}
	if (session->message.len == 0) {
		log_info(session->sid, LMTP_PROTO, "message_empty", "from=<%s>", session->sender);
		lmtp_reply_each(session, "554 5.6.0", "empty message");
		lmtp_session_transaction_done(session);
		return;
	}

	struct lmtp_job *job = xcalloc(1, sizeof(*job));
	job->data = (unsigned char *)buf_steal(&session->message, &job->size);
	const char *error;
	if (mime_message_parse(job->data, job->size, &job->message, &error) != 0) {
		log_error(session->sid, LMTP_PROTO, "parse_failed", "size=%zu error=\"%s\"", job->size,
			  error);
		free(job->data);
		free(job);
		lmtp_reply_each(session, "451 4.3.0", "temporary failure, try again");
		lmtp_session_transaction_done(session);
		return;
	}

	/* the job takes the recipients; the session's transaction is over */
	job->session = session;
	job->worker = session->worker;
	job->rcpts = session->rcpts;
	job->rcpt_count = session->rcpt_count;
	session->rcpts = NULL;
	session->rcpt_count = session->rcpt_alloc = 0;
	memcpy(job->sender, session->sender, sizeof(job->sender));

	job->traces = xcalloc(job->rcpt_count, sizeof(*job->traces));
	job->outcomes = xcalloc(session->user_total, sizeof(*job->outcomes));
	job->firsts = xcalloc(session->user_total, sizeof(*job->firsts));
	job->redirect_ctx = xcalloc(session->user_total, sizeof(*job->redirect_ctx));
	job->redirect_unsafe = xcalloc(session->user_total, sizeof(*job->redirect_unsafe));
	atomic_init(&job->redirects_pending, 0);
	size_t n = 0, alloc = 0;
	for (size_t i = 0; i < job->rcpt_count; i++) {
		const struct lmtp_rcpt *rc = &job->rcpts[i];
		job->traces[i] = lmtp_trace(session, rc);
		for (size_t u = 0; u < rc->user_count; u++) {
			struct lmtp_sieve_outcome *out = &job->outcomes[job->user_count];
			lmtp_sieve_run(session, rc, rc->user_ids[u], job->data, job->size,
				       job->traces[i], out);
			job->firsts[job->user_count++] = n;
			for (size_t c = 0; c < out->store_count; c++) {
				job->delivery.rcpts = xarray_grow(job->delivery.rcpts, n, &alloc,
								  sizeof(*job->delivery.rcpts));
				struct storage_delivery_rcpt *dr = &job->delivery.rcpts[n++];
				memset(dr, 0, sizeof(*dr));
				dr->user_id = rc->user_ids[u];
				dr->mailbox = out->stores[c].mailbox; /* NULL: INBOX */
				dr->flags = out->stores[c].flags;
				dr->keywords = out->stores[c].keywords;
				dr->trace = job->traces[i];
				dr->enforce_quota = true;
			}
		}
	}
	job->delivery.quota_grace_percent = session->service->set.quota_grace_percent;
	job->delivery.message = job->message;
	/* no full-text work here: the storage's background indexer reads the
	 * message once it is committed */
	job->delivery.internal_date = (int64_t)time(NULL);
	job->delivery.rcpt_count = n;

	log_info(session->sid, LMTP_PROTO, "message", "from=<%s> size=%zu rcpts=%zu users=%zu",
		 session->sender, job->size, job->rcpt_count, n);
	lmtp_enter_state(session, LMTP_STATE_COMMITTING);
	if (session->conn != NULL)
		net_conn_set_reading(session->conn, false);
	lmtp_session_ref(session); /* the job's */
	atomic_fetch_add(&session->service->deliveries_in_flight, 1);
	if (n == 0) {
		/* discarded, sent on or rejected for everyone: nothing to commit */
		job->delivery.result = STORAGE_OK;
		net_worker_call(job->worker, lmtp_job_finish, job);
		return;
	}
	storage_deliver_async(session->service->storage, &job->delivery, lmtp_job_done, job);
}
