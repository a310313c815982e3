/* lmtp-deliver.c - from the end of DATA to the per-recipient replies.
 *
 * The message is parsed once (mime_message_parse, on the worker), one
 * storage_delivery is built with one rcpt per resolved user, each carrying
 * its trace header (Return-Path + Delivered-To; nothing else is added), and
 * handed to the group committer. Its done callback runs on the committer's
 * thread and does nothing but send the job back to the session's worker,
 * where one reply per accepted RCPT is written, in order. 250 is never sent
 * before the storage says the transaction committed.
 *
 * The job holds a reference on the session: a client that disconnects while
 * its message commits leaves a session that lives until the callback.
 */
#include "lmtp-session.h"
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
	char sender[LMTP_PATH_MAX + 1];
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

/* The reply for one RCPT from its users' results. */
static void lmtp_job_reply_rcpt(struct lmtp_job *job, size_t index, size_t first)
{
	struct lmtp_session *session = job->session;
	const struct lmtp_rcpt *rc = &job->rcpts[index];
	const struct storage_delivery_rcpt *dr = &job->delivery.rcpts[first];
	size_t ok = 0, noquota = 0, notfound = 0, other = 0;

	if (job->delivery.result != STORAGE_OK) {
		other = rc->user_count;
	} else {
		for (size_t i = 0; i < rc->user_count; i++) {
			switch (dr[i].result) {
			case STORAGE_OK: ok++; break;
			case STORAGE_ERR_NOQUOTA: noquota++; break;
			case STORAGE_ERR_NOTFOUND: notfound++; break;
			default: other++; break;
			}
		}
	}

	if (ok > 0) {
		/* some users of an alias may have failed: a retry would duplicate
		 * the others' copies, so the address counts as delivered */
		if (ok == 1 && rc->user_count == 1)
			log_info(session->sid, LMTP_PROTO, "delivered",
				 "to=<%s> user_id=%lld mailbox_id=%lld uid=%u size=%zu", rc->address,
				 (long long)dr[0].user_id, (long long)dr[0].mailbox_id_r, dr[0].uid_r,
				 job->size);
		else
			log_info(session->sid, LMTP_PROTO, "delivered",
				 "to=<%s> users=%zu stored=%zu over_quota=%zu failed=%zu size=%zu",
				 rc->address, rc->user_count, ok, noquota, notfound + other, job->size);
		lmtp_reply(session, "250 2.0.0 <%s> delivered", rc->address);
	} else if (other > 0) {
		log_warning(session->sid, LMTP_PROTO, "deferred", "to=<%s> error=\"%s\"", rc->address,
			    job->delivery.result != STORAGE_OK ? job->delivery.error :
			    "recipient failed");
		lmtp_reply(session, "451 4.3.0 <%s> temporary failure, try again", rc->address);
	} else if (noquota > 0) {
		log_info(session->sid, LMTP_PROTO, "over_quota", "to=<%s> size=%zu", rc->address,
			 job->size);
		lmtp_reply(session, "552 5.2.2 <%s> mailbox full", rc->address);
	} else {
		log_info(session->sid, LMTP_PROTO, "rcpt_unknown", "to=<%s> at=commit", rc->address);
		lmtp_reply(session, "550 5.1.1 <%s>: user unknown", rc->address);
	}
}

/* worker thread: the committer is done with the job */
static void lmtp_job_finish(void *arg)
{
	struct lmtp_job *job = arg;
	struct lmtp_session *session = job->session;

	if (job->delivery.result != STORAGE_OK)
		log_error(session->sid, LMTP_PROTO, "commit_failed", "result=\"%s\" error=\"%s\"",
			  storage_result_str(job->delivery.result), job->delivery.error);
	size_t first = 0;
	for (size_t i = 0; i < job->rcpt_count; i++) {
		/* a zombie session writes nothing, but the log still tells */
		lmtp_job_reply_rcpt(job, i, first);
		first += job->rcpts[i].user_count;
	}
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
	job->delivery.rcpts = xcalloc(session->user_total, sizeof(*job->delivery.rcpts));
	size_t n = 0;
	for (size_t i = 0; i < job->rcpt_count; i++) {
		const struct lmtp_rcpt *rc = &job->rcpts[i];
		job->traces[i] = lmtp_trace(session, rc);
		for (size_t u = 0; u < rc->user_count; u++) {
			struct storage_delivery_rcpt *dr = &job->delivery.rcpts[n++];
			dr->user_id = rc->user_ids[u];
			dr->mailbox = NULL; /* INBOX; Sieve will choose later */
			dr->flags = 0;
			dr->trace = job->traces[i];
			dr->enforce_quota = true;
		}
	}
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
	storage_deliver_async(session->service->storage, &job->delivery, lmtp_job_done, job);
}
