/* lmtp-session.c - an LMTP session: its state machine, reading commands and
 * message data from the connection in order (PIPELINING), replies, and the
 * connection hooks (greeting, idle timeout, disconnect, shutdown).
 *
 * Runs only on the connection's worker thread. Never blocks except on the
 * worker's own (local, fast) database connection inside command handlers.
 * The state changes only in lmtp_enter_state().
 */
#include "lmtp-session.h"
#include "connection.h"
#include "log.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LMTP_PROTO "lmtp"
/* Longest reply line we ever format (addresses are at most 256). */
#define LMTP_REPLY_MAX 1024

static const char *const lmtp_state_names[LMTP_STATE_COUNT] = {
	[LMTP_STATE_GREETED] = "greeted",
	[LMTP_STATE_READY] = "ready",
	[LMTP_STATE_MAIL] = "mail",
	[LMTP_STATE_RCPT] = "rcpt",
	[LMTP_STATE_DATA] = "data",
	[LMTP_STATE_COMMITTING] = "committing",
};

const char *lmtp_state_name(enum lmtp_state state)
{
	return state < LMTP_STATE_COUNT ? lmtp_state_names[state] : "?";
}

void lmtp_enter_state(struct lmtp_session *session, enum lmtp_state state)
{
	if (session->state == state)
		return;
	log_debug(session->sid, LMTP_PROTO, "state", "from=%s to=%s",
		  lmtp_state_name(session->state), lmtp_state_name(state));
	session->state = state;
}

static void lmtp_vreply(struct lmtp_session *session, const char *fmt, va_list ap)
{
	if (session->conn == NULL)
		return;
	char line[LMTP_REPLY_MAX];
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) - 2 ? (size_t)n : sizeof(line) - 3;
	line[len++] = '\r';
	line[len++] = '\n';
	net_conn_write(session->conn, line, len);
}

void lmtp_reply(struct lmtp_session *session, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lmtp_vreply(session, fmt, ap);
	va_end(ap);
}

void lmtp_reply_error(struct lmtp_session *session, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lmtp_vreply(session, fmt, ap);
	va_end(ap);
	session->errors++;
}

void lmtp_session_ref(struct lmtp_session *session)
{
	session->refs++;
}

static void lmtp_session_free(struct lmtp_session *session)
{
	lmtp_session_reset_transaction(session);
	buf_free(&session->message);
	free(session->rcpts);
	free(session->line);
	free(session);
}

void lmtp_session_unref(struct lmtp_session **sessionp)
{
	struct lmtp_session *session = *sessionp;
	*sessionp = NULL;
	if (--session->refs == 0)
		lmtp_session_free(session);
}

void lmtp_session_close(struct lmtp_session *session, const char *reason)
{
	if (session->conn == NULL)
		return;
	struct net_conn *conn = session->conn;
	session->conn = NULL;
	net_conn_close(conn, reason);
	lmtp_session_unref(&session); /* the connection's reference */
}

void lmtp_session_reset_transaction(struct lmtp_session *session)
{
	for (size_t i = 0; i < session->rcpt_count; i++) {
		free(session->rcpts[i].address);
		free(session->rcpts[i].user_ids);
	}
	session->rcpt_count = 0;
	session->user_total = 0;
	session->null_sender = false;
	session->sender[0] = '\0';
	session->has_size = false;
	session->declared_size = 0;
	buf_reset(&session->message);
	if (session->message.cap > 1024 * 1024)
		buf_free(&session->message); /* do not keep a big message's memory */
}

static void lmtp_session_input(void *context);

void lmtp_session_transaction_done(struct lmtp_session *session)
{
	lmtp_session_reset_transaction(session);
	lmtp_enter_state(session, LMTP_STATE_READY);
	if (session->conn == NULL)
		return;
	if (session->shutting_down) {
		lmtp_reply(session, "421 4.3.2 %s shutting down", session->service->hostname);
		lmtp_session_close(session, "shutdown");
		return;
	}
	net_conn_set_reading(session->conn, true);
	/* commands pipelined behind the message are already buffered */
	if (!session->in_input)
		lmtp_session_input(session);
}

void lmtp_session_resume(struct lmtp_session *session)
{
	if (session->conn == NULL)
		return;
	net_conn_set_reading(session->conn, true);
	if (!session->in_input)
		lmtp_session_input(session);
}

/* A command line is complete in the input: take it and run it. Returns false
 * when there is no complete line yet. */
static bool lmtp_session_read_command(struct lmtp_session *session)
{
	struct evbuffer *in = net_conn_input(session->conn);
	size_t max = session->service->set.max_line_length;
	size_t eol_len = 0;
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);

	if (eol.pos < 0) {
		size_t have = evbuffer_get_length(in);
		/* max + CR: the line is too long before its end even arrives */
		if (have > max + 1) {
			if (!session->skipping_line) {
				lmtp_reply_error(session, "500 5.5.6 line too long");
				log_info(session->sid, LMTP_PROTO, "line_too_long", "bytes=%zu+", have);
				session->skipping_line = true;
			}
			evbuffer_drain(in, have);
		}
		return false;
	}
	size_t line_len = (size_t)eol.pos; /* without the LF */
	if (session->skipping_line) {
		/* the tail of the overlong line: already answered */
		evbuffer_drain(in, line_len + eol_len);
		session->skipping_line = false;
		return true;
	}
	if (line_len > max + 1) {
		evbuffer_drain(in, line_len + eol_len);
		lmtp_reply_error(session, "500 5.5.6 line too long");
		log_info(session->sid, LMTP_PROTO, "line_too_long", "bytes=%zu", line_len);
		return true;
	}
	evbuffer_remove(in, session->line, line_len + eol_len);
	if (line_len > 0 && session->line[line_len - 1] == '\r')
		line_len--;
	if (line_len > max) {
		lmtp_reply_error(session, "500 5.5.6 line too long");
		log_info(session->sid, LMTP_PROTO, "line_too_long", "bytes=%zu", line_len);
		return true;
	}
	session->line[line_len] = '\0';
	lmtp_command_run(session, session->line, line_len);
	return true;
}

/* Feed the buffered input to the DATA decoder. Returns false when there is
 * nothing to read. */
static bool lmtp_session_read_data(struct lmtp_session *session)
{
	struct evbuffer *in = net_conn_input(session->conn);
	struct evbuffer_iovec vec[16];
	int n = evbuffer_peek(in, -1, NULL, vec, 16);
	if (n <= 0)
		return false;
	size_t consumed = 0;
	for (int i = 0; i < n && i < 16 && !lmtp_data_done(&session->data); i++)
		consumed += lmtp_data_feed(&session->data, vec[i].iov_base, vec[i].iov_len);
	evbuffer_drain(in, consumed);
	if (lmtp_data_done(&session->data))
		lmtp_deliver_message(session);
	return consumed > 0;
}

/* Process as much buffered input as the state allows, in order. */
static void lmtp_session_input(void *context)
{
	struct lmtp_session *session = context;
	if (session->in_input)
		return;
	session->in_input = true;
	lmtp_session_ref(session); /* commands may close the connection */
	while (session->conn != NULL && session->state != LMTP_STATE_COMMITTING &&
	       !session->rcpt_pending) {
		if (net_conn_output_full(session->conn))
			break; /* resumes when the client has read its replies */
		bool progress = session->state == LMTP_STATE_DATA ?
				lmtp_session_read_data(session) :
				lmtp_session_read_command(session);
		if (session->errors >= LMTP_ERRORS_MAX && session->conn != NULL) {
			lmtp_reply(session, "421 4.7.0 too many errors");
			log_info(session->sid, LMTP_PROTO, "too_many_errors", "errors=%u",
				 session->errors);
			lmtp_session_close(session, "too many errors");
		}
		if (!progress)
			break;
	}
	session->in_input = false;
	lmtp_session_unref(&session);
}

static void *lmtp_session_create(struct net_conn *conn, void *context)
{
	struct lmtp_service *service = context;
	struct lmtp_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	session->conn = conn;
	session->worker = net_conn_worker(conn);
	snprintf(session->sid, sizeof(session->sid), "%s", net_conn_sid(conn));
	session->refs = 1; /* the connection's */
	session->state = LMTP_STATE_GREETED;
	session->line = xmalloc(service->set.max_line_length + 2);
	buf_init(&session->message);
	lmtp_reply(session, "220 %s LMTP tandemd ready", service->hostname);
	return session;
}

static void lmtp_session_idle(void *context)
{
	struct lmtp_session *session = context;
	log_info(session->sid, LMTP_PROTO, "idle_timeout", "state=%s",
		 lmtp_state_name(session->state));
	lmtp_reply(session, "421 4.4.2 idle timeout");
	lmtp_session_close(session, "idle timeout");
}

static void lmtp_session_disconnected(void *context, const char *reason)
{
	struct lmtp_session *session = context;
	(void)reason; /* net logged it */
	if (session->state == LMTP_STATE_DATA)
		log_info(session->sid, LMTP_PROTO, "data_aborted", "bytes=%llu",
			 (unsigned long long)session->data.size);
	else if (session->state == LMTP_STATE_COMMITTING)
		log_info(session->sid, LMTP_PROTO, "client_gone", "state=committing");
	session->conn = NULL;
	lmtp_session_unref(&session);
}

static void lmtp_session_shutdown(void *context)
{
	struct lmtp_session *session = context;
	if (session->state == LMTP_STATE_DATA || session->state == LMTP_STATE_COMMITTING) {
		/* let the message arrive and commit; closes in transaction_done */
		session->shutting_down = true;
		return;
	}
	lmtp_reply(session, "421 4.3.2 %s shutting down", session->service->hostname);
	lmtp_session_close(session, "shutdown");
}

void lmtp_session_hooks(struct net_service *net)
{
	net->session_create = lmtp_session_create;
	net->session_input = lmtp_session_input;
	net->session_idle = lmtp_session_idle;
	net->session_disconnected = lmtp_session_disconnected;
	net->session_shutdown = lmtp_session_shutdown;
}
