/* pop3-session.c - a POP3 session: the state machine (AUTHORIZATION ->
 * TRANSACTION -> UPDATE, RFC 1939 3), reading command lines in order, the
 * line limit, the idle timer, replies, and the connection hooks (greeting,
 * idle, disconnect, shutdown).
 *
 * Runs only on the connection's worker thread. Never blocks except on the
 * worker's own database connection inside command handlers. The state
 * changes only in pop3_enter_state(). Never reads a line longer than
 * POP3_LINE_MAX into memory.
 */
#include "pop3-session.h"
#include "connection.h"
#include "worker.h"
#include "log.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POP3_PROTO "pop3"
/* Longest reply line formatted with pop3_ok/pop3_err. */
#define POP3_REPLY_MAX 1024

static const char *const pop3_state_names[POP3_STATE_COUNT] = {
	[POP3_STATE_AUTHORIZATION] = "authorization",
	[POP3_STATE_TRANSACTION] = "transaction",
	[POP3_STATE_UPDATE] = "update",
};

const char *pop3_state_name(enum pop3_state state)
{
	return state < POP3_STATE_COUNT ? pop3_state_names[state] : "?";
}

void pop3_enter_state(struct pop3_session *session, enum pop3_state state)
{
	if (session->state == state)
		return;
	log_debug(session->sid, POP3_PROTO, "state", "from=%s to=%s",
		  pop3_state_name(session->state), pop3_state_name(state));
	session->state = state;
}

void pop3_write(struct pop3_session *session, const void *data, size_t len)
{
	if (session->conn != NULL)
		net_conn_write(session->conn, data, len);
}

static void pop3_vreply(struct pop3_session *session, const char *prefix, const char *fmt,
			va_list ap)
{
	if (session->conn == NULL)
		return;
	char line[POP3_REPLY_MAX];
	int p = snprintf(line, sizeof(line), "%s", prefix);
	if (p < 0 || (size_t)p >= sizeof(line) - 3)
		return;
	int n = vsnprintf(line + p, sizeof(line) - 2 - (size_t)p, fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)p + (size_t)n;
	if (len > sizeof(line) - 3)
		len = sizeof(line) - 3;
	line[len++] = '\r';
	line[len++] = '\n';
	pop3_write(session, line, len);
}

void pop3_ok(struct pop3_session *session, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pop3_vreply(session, "+OK ", fmt, ap);
	va_end(ap);
}

void pop3_err(struct pop3_session *session, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pop3_vreply(session, "-ERR ", fmt, ap);
	va_end(ap);
}

struct storage_conn *pop3_storage(struct pop3_session *session)
{
	return net_worker_storage(session->worker);
}

static void pop3_session_free(struct pop3_session *session)
{
	pop3_maildrop_close(session);
	if (session->timer != NULL)
		event_free(session->timer);
	if (session->user_arg != NULL)
		free(session->user_arg);
	if (session->sasl_user != NULL) {
		explicit_bzero(session->sasl_user, strlen(session->sasl_user));
		free(session->sasl_user);
	}
	free(session);
}

static void pop3_session_unref(struct pop3_session **sessionp)
{
	struct pop3_session *session = *sessionp;
	*sessionp = NULL;
	if (--session->refs == 0)
		pop3_session_free(session);
}

void pop3_session_hold(struct pop3_session *session)
{
	session->refs++;
}

void pop3_session_release(struct pop3_session *session)
{
	pop3_session_unref(&session);
}

static void pop3_session_input(void *context);

void pop3_session_resume(struct pop3_session *session)
{
	if (session->conn == NULL)
		return;
	net_conn_set_reading(session->conn, true);
	if (!session->in_input)
		pop3_session_input(session);
}

/* The connection is gone or going: no more output; the maildrop lock goes
 * at once (a new session of the same user may start right away). */
static void pop3_session_detach(struct pop3_session *session)
{
	session->conn = NULL;
	evtimer_del(session->timer);
	pop3_maildrop_close(session);
}

void pop3_session_close(struct pop3_session *session, const char *reason)
{
	if (session->conn == NULL)
		return;
	struct net_conn *conn = session->conn;
	pop3_session_detach(session);
	net_conn_close(conn, reason);
	pop3_session_unref(&session); /* the connection's reference */
}

static void pop3_timer_arm(struct pop3_session *session)
{
	struct timeval tv = { (time_t)session->service->set.idle_timeout_secs, 0 };
	evtimer_add(session->timer, &tv);
}

static void pop3_timer_cb(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	struct pop3_session *session = context;
	if (session->conn == NULL)
		return;
	log_info(session->sid, POP3_PROTO, "idle_timeout", "state=%s user=%s",
		 pop3_state_name(session->state), session->user);
	/* RFC 1939 3: the autologout timer closes without entering UPDATE */
	pop3_err(session, "autologout; idle for too long");
	pop3_session_close(session, "idle timeout");
}

/* Read and run one line. Returns false when no complete line is there. */
static bool pop3_session_read(struct pop3_session *session)
{
	/* POP3_LINE_MAX counts the CRLF: the line itself is 2 bytes shorter */
	char line[POP3_LINE_MAX];
	size_t line_len = 0;
	enum net_line_result got = net_line_read(&session->line_reader,
						 net_conn_input(session->conn), line,
						 POP3_LINE_MAX - 2, &line_len);
	if (got == NET_LINE_NONE)
		return false;
	if (got == NET_LINE_TOO_LONG) {
		log_info(session->sid, POP3_PROTO, "line_too_long", "max=%d", POP3_LINE_MAX);
		pop3_err(session, "line too long");
		session->errors++;
		return true;
	}
	if (session->continuation != NULL) {
		pop3_continuation_fn *fn = session->continuation;
		session->continuation = NULL;
		fn(session, line, line_len);
	} else {
		pop3_command_run(session, line, line_len);
	}
	explicit_bzero(line, line_len); /* may have been a password */
	return true;
}

static void pop3_session_input(void *context)
{
	struct pop3_session *session = context;
	if (session->in_input)
		return;
	session->in_input = true;
	session->refs++; /* commands may close the connection */
	session->last_input = time(NULL);
	if (session->conn != NULL)
		pop3_timer_arm(session);
	while (session->conn != NULL && !session->auth_pending) {
		if (net_conn_output_full(session->conn))
			break; /* resumes when the client has read the replies */
		bool progress = pop3_session_read(session);
		if (session->errors >= POP3_ERRORS_MAX && session->conn != NULL) {
			log_info(session->sid, POP3_PROTO, "too_many_errors", "errors=%u",
				 session->errors);
			pop3_err(session, "too many errors");
			pop3_session_close(session, "too many errors");
		}
		if (!progress)
			break;
	}
	session->in_input = false;
	pop3_session_unref(&session);
}

static void *pop3_session_create(struct net_conn *conn, void *context)
{
	struct pop3_service *service = context;
	struct pop3_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	session->conn = conn;
	session->worker = net_conn_worker(conn);
	snprintf(session->sid, sizeof(session->sid), "%s", net_conn_sid(conn));
	session->refs = 1; /* the connection's */
	session->state = POP3_STATE_AUTHORIZATION;
	/* plaintext here means "without TLS": implicit TLS is fine */
	session->plaintext_ok = service->set.allow_plaintext_auth || net_conn_is_tls(conn) ||
				(service->set.plaintext_auth_loopback &&
				 net_conn_peer_is_loopback(conn));
	session->last_input = time(NULL);
	session->timer = evtimer_new(net_worker_base(session->worker), pop3_timer_cb, session);
	if (session->timer == NULL)
		fatal("evtimer_new failed");
	pop3_timer_arm(session);
	pop3_ok(session, "tandem POP3 ready");
	return session;
}

static void pop3_session_idle(void *context)
{
	struct pop3_session *session = context;
	/* the net layer's idle timeout: ours rules */
	if (time(NULL) - session->last_input < (time_t)session->service->set.idle_timeout_secs) {
		net_conn_set_reading(session->conn, true);
		return;
	}
	pop3_timer_cb(-1, 0, session);
}

static void pop3_session_disconnected(void *context, const char *reason)
{
	struct pop3_session *session = context;
	(void)reason; /* net logged it */
	pop3_session_detach(session);
	pop3_session_unref(&session);
}

static void pop3_session_shutdown(void *context)
{
	struct pop3_session *session = context;
	/* no deletions without QUIT (RFC 1939 6) */
	pop3_err(session, "[SYS/TEMP] server shutting down");
	pop3_session_close(session, "shutdown");
}

void pop3_session_hooks(struct net_service *net)
{
	net->session_create = pop3_session_create;
	net->session_input = pop3_session_input;
	net->session_idle = pop3_session_idle;
	net->session_disconnected = pop3_session_disconnected;
	net->session_shutdown = pop3_session_shutdown;
}
