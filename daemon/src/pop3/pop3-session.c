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
#include "log.h"
#include "xalloc.h"

#include <event2/buffer.h>
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
	log_debug(session->core.sid, POP3_PROTO, "state", "from=%s to=%s",
		  pop3_state_name(session->state), pop3_state_name(state));
	session->state = state;
}

void pop3_write(struct pop3_session *session, const void *data, size_t len)
{
	if (session->core.conn != NULL)
		net_conn_write(session->core.conn, data, len);
}

static void pop3_vreply(struct pop3_session *session, const char *prefix, const char *fmt,
			va_list ap)
{
	if (session->core.conn == NULL)
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

static void pop3_session_free(void *context)
{
	struct pop3_session *session = context;
	pop3_maildrop_close(session);
	if (session->user_arg != NULL)
		free(session->user_arg);
	sasl_exchange_end(&session->sasl);
	free(session);
}

/* The connection is gone or going: the maildrop lock goes at once (a new
 * session of the same user may start right away). */
static void pop3_session_detach(void *context)
{
	pop3_maildrop_close(context);
}

void pop3_session_close(struct pop3_session *session, const char *reason)
{
	net_session_core_close(&session->core, reason);
}

static void pop3_session_idle_timeout(void *context)
{
	struct pop3_session *session = context;
	log_info(session->core.sid, POP3_PROTO, "idle_timeout", "state=%s user=%s",
		 pop3_state_name(session->state), session->user);
	/* RFC 1939 3: the autologout timer closes without entering UPDATE */
	pop3_err(session, "autologout; idle for too long");
	pop3_session_close(session, "idle timeout");
}

/* Read and run one line. Returns false when no complete line is there. */
static bool pop3_session_read_line(struct pop3_session *session)
{
	/* POP3_LINE_MAX counts the CRLF: the line itself is 2 bytes shorter */
	char line[POP3_LINE_MAX];
	size_t line_len = 0;
	enum net_line_result got = net_line_read(&session->line_reader,
						 net_conn_input(session->core.conn), line,
						 POP3_LINE_MAX - 2, &line_len);
	if (got == NET_LINE_NONE)
		return false;
	if (got == NET_LINE_TOO_LONG) {
		log_info(session->core.sid, POP3_PROTO, "line_too_long", "max=%d", POP3_LINE_MAX);
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

/* One line, then the error limit (net_session_core_ops.read). */
static bool pop3_session_read(void *context)
{
	struct pop3_session *session = context;
	bool progress = pop3_session_read_line(session);
	if (session->errors >= POP3_ERRORS_MAX && session->core.conn != NULL) {
		log_info(session->core.sid, POP3_PROTO, "too_many_errors", "errors=%u",
			 session->errors);
		pop3_err(session, "too many errors");
		pop3_session_close(session, "too many errors");
	}
	return progress;
}

static const struct net_session_core_ops pop3_session_ops = {
	.read = pop3_session_read,
	.idle_timeout = pop3_session_idle_timeout,
	.detach = pop3_session_detach,
	.free = pop3_session_free,
};

static void *pop3_session_create(struct net_conn *conn, void *context)
{
	struct pop3_service *service = context;
	struct pop3_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	session->state = POP3_STATE_AUTHORIZATION;
	/* plaintext here means "without TLS": implicit TLS is fine */
	session->plaintext_ok = service->set.allow_plaintext_auth || net_conn_is_tls(conn) ||
				(service->set.plaintext_auth_loopback &&
				 net_conn_peer_is_loopback(conn));
	net_session_core_init(&session->core, conn, service->set.idle_timeout_secs,
			      &pop3_session_ops, session);
	pop3_ok(session, "tandem POP3 ready");
	return session;
}

static void pop3_session_input(void *context)
{
	struct pop3_session *session = context;
	net_session_core_input(&session->core);
}

static void pop3_session_idle(void *context)
{
	struct pop3_session *session = context;
	net_session_core_idle(&session->core);
}

static void pop3_session_disconnected(void *context, const char *reason)
{
	struct pop3_session *session = context;
	(void)reason; /* net logged it */
	net_session_core_disconnected(&session->core);
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
