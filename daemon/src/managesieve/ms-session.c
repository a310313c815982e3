/* ms-session.c - a ManageSieve session: the state machine (NONAUTH ->
 * AUTH -> LOGOUT, RFC 5804 1.6), assembling each command from its lines
 * and literals under hard limits, the idle timer, replies, and the
 * connection hooks (greeting, idle, disconnect, shutdown).
 *
 * Runs only on the connection's worker thread. Never blocks except on the
 * worker's own database connection inside command handlers. The state
 * changes only in ms_enter_state(). Never holds more of a command than
 * its lines (MANAGESIEVE_LINE_MAX each) plus, once logged in,
 * max_script_size; a bigger one is read and dropped, then refused.
 */
#include "ms-session.h"
#include "connection.h"
#include "log.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest reply text formatted with ms_reply. */
#define MS_REPLY_TEXT_MAX 1024

static const char *const ms_state_names[MS_STATE_COUNT] = {
	[MS_STATE_NONAUTH] = "nonauth",
	[MS_STATE_AUTH] = "auth",
	[MS_STATE_LOGOUT] = "logout",
};

const char *ms_state_name(enum ms_state state)
{
	return state < MS_STATE_COUNT ? ms_state_names[state] : "?";
}

void ms_enter_state(struct ms_session *session, enum ms_state state)
{
	if (session->state == state)
		return;
	log_debug(session->core.sid, MS_PROTO, "state", "from=%s to=%s",
		  ms_state_name(session->state), ms_state_name(state));
	session->state = state;
}

void ms_write(struct ms_session *session, const void *data, size_t len)
{
	if (session->core.conn != NULL)
		net_conn_write(session->core.conn, data, len);
}

void ms_write_string(struct ms_session *session, const char *text, size_t len)
{
	struct buf out;
	buf_init(&out);
	if (ms_quotable(text, len)) {
		buf_append_byte(&out, '"');
		for (size_t i = 0; i < len; i++) {
			if (text[i] == '"' || text[i] == '\\')
				buf_append_byte(&out, '\\');
			buf_append_byte(&out, (unsigned char)text[i]);
		}
		buf_append_byte(&out, '"');
	} else {
		buf_printf(&out, "{%zu}\r\n", len);
		buf_append(&out, text, len);
	}
	ms_write(session, out.data, out.len);
	buf_free(&out);
}

void ms_reply(struct ms_session *session, const char *status, const char *code,
	      const char *fmt, ...)
{
	if (session->core.conn == NULL)
		return;
	char text[MS_REPLY_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	size_t len = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	ms_write(session, status, strlen(status));
	if (code != NULL) {
		ms_write(session, " (", 2);
		ms_write(session, code, strlen(code));
		ms_write(session, ")", 1);
	}
	if (len > 0) {
		ms_write(session, " ", 1);
		ms_write_string(session, text, len);
	}
	ms_write(session, "\r\n", 2);
}

static void ms_command_reset(struct ms_session *session)
{
	if (session->cmd.len > 0)
		explicit_bzero(session->cmd.data, session->cmd.len); /* may be a SASL response */
	buf_reset(&session->cmd);
	session->literal_left = 0;
	session->literals = 0;
	session->discard_reason = NULL;
	session->discard_quota = false;
}

static void ms_session_free(void *context)
{
	struct ms_session *session = context;
	ms_command_reset(session);
	buf_free(&session->cmd);
	sasl_exchange_end(&session->sasl);
	free(session);
}

void ms_session_close(struct ms_session *session, const char *reason)
{
	net_session_core_close(&session->core, reason);
}

static void ms_session_idle_timeout(void *context)
{
	struct ms_session *session = context;
	log_info(session->core.sid, MS_PROTO, "idle_timeout", "state=%s user=%s",
		 ms_state_name(session->state), session->user);
	ms_reply(session, "BYE", NULL, "Disconnected for inactivity");
	ms_session_close(session, "idle timeout");
}

/* Most bytes one command may take: its lines and, once logged in, one
 * script-sized literal (before that nothing needs more than a SASL
 * response, which fits a line). */
static size_t ms_command_max(const struct ms_session *session)
{
	size_t lines = (MANAGESIEVE_ARGS_MAX + 2) * (size_t)MANAGESIEVE_LINE_MAX;
	if (session->state != MS_STATE_AUTH)
		return lines;
	return session->service->set.max_script_size + lines;
}

static void ms_command_discard(struct ms_session *session, const char *reason, bool quota)
{
	if (session->discard_reason == NULL) {
		session->discard_reason = reason;
		session->discard_quota = quota;
	}
	if (session->cmd.len > 0)
		explicit_bzero(session->cmd.data, session->cmd.len);
	buf_reset(&session->cmd);
}

/* A whole command is assembled (or dropped): run it or refuse it. */
static void ms_command_complete(struct ms_session *session)
{
	if (session->discard_reason != NULL) {
		log_info(session->core.sid, MS_PROTO, "command_refused", "reason=\"%s\"",
			 session->discard_reason);
		ms_reply(session, "NO", session->discard_quota ? "QUOTA/MAXSIZE" : NULL, "%s",
			 session->discard_reason);
		session->errors++;
	} else if (session->continuation != NULL) {
		ms_continuation_fn *fn = session->continuation;
		session->continuation = NULL;
		struct ms_args args;
		const char *error;
		if (ms_parse_tokens((char *)session->cmd.data, session->cmd.len, &args,
				    &error) < 0)
			args.count = 0;
		fn(session, &args);
	} else {
		ms_command_run(session, (char *)session->cmd.data, session->cmd.len);
	}
	ms_command_reset(session);
}

/* Take the rest of a literal (or what has arrived of it). */
static bool ms_session_read_literal(struct ms_session *session, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in);
	if (have == 0)
		return false;
	size_t take = have < session->literal_left ? have : (size_t)session->literal_left;
	if (session->discard_reason != NULL) {
		evbuffer_drain(in, take);
	} else {
		buf_reserve(&session->cmd, take + 1);
		evbuffer_remove(in, session->cmd.data + session->cmd.len, take);
		session->cmd.len += take;
		session->cmd.data[session->cmd.len] = '\0';
	}
	session->literal_left -= take;
	return true;
}

/* Read one line of a command, or a piece of a literal. Returns false when
 * nothing more is there. */
static bool ms_session_read_one(struct ms_session *session)
{
	struct evbuffer *in = net_conn_input(session->core.conn);
	if (session->literal_left > 0)
		return ms_session_read_literal(session, in);
	char line[MANAGESIEVE_LINE_MAX];
	size_t len = 0;
	enum net_line_result got = net_line_read(&session->line_reader, in, line,
						 MANAGESIEVE_LINE_MAX - 2, &len);
	if (got == NET_LINE_NONE)
		return false;
	if (got == NET_LINE_TOO_LONG) {
		log_info(session->core.sid, MS_PROTO, "line_too_long", "max=%d", MANAGESIEVE_LINE_MAX);
		ms_reply(session, "NO", NULL, "line too long");
		session->errors++;
		session->continuation = NULL;
		ms_command_reset(session);
		return true;
	}
	uint64_t literal = 0;
	int marker = ms_parse_literal_marker(line, len, &literal);
	if (marker < 0) {
		/* a size we cannot read: whatever follows is out of step */
		ms_reply(session, "BYE", NULL, "bad literal size");
		ms_session_close(session, "bad literal");
		explicit_bzero(line, len);
		return true;
	}
	if (marker > 0 && ++session->literals > MANAGESIEVE_ARGS_MAX + 1)
		ms_command_discard(session, "too many literals", false);
	size_t need = session->cmd.len + len + 2 + (size_t)literal;
	if (session->discard_reason == NULL && need > ms_command_max(session))
		ms_command_discard(session, "too big", true);
	if (session->discard_reason == NULL) {
		buf_append(&session->cmd, line, len);
		if (marker > 0)
			buf_append(&session->cmd, "\r\n", 2);
	}
	explicit_bzero(line, len); /* may have been a SASL response */
	if (marker > 0) {
		session->literal_left = literal;
		return true;
	}
	ms_command_complete(session);
	return true;
}

/* One line or piece of a literal, then the error limit
 * (net_session_core_ops.read). */
static bool ms_session_read(void *context)
{
	struct ms_session *session = context;
	bool progress = ms_session_read_one(session);
	if (session->errors >= MANAGESIEVE_ERRORS_MAX && session->core.conn != NULL) {
		log_info(session->core.sid, MS_PROTO, "too_many_errors", "errors=%u",
			 session->errors);
		ms_reply(session, "BYE", NULL, "Too many errors");
		ms_session_close(session, "too many errors");
	}
	return progress;
}

static const struct net_session_core_ops ms_session_ops = {
	.read = ms_session_read,
	.idle_timeout = ms_session_idle_timeout,
	.free = ms_session_free,
};

static void *ms_session_create(struct net_conn *conn, void *context)
{
	struct managesieve_service *service = context;
	struct ms_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	session->state = MS_STATE_NONAUTH;
	buf_init(&session->cmd);
	session->plaintext_ok = service->set.allow_plaintext_auth || net_conn_is_tls(conn) ||
				(service->set.plaintext_auth_loopback &&
				 net_conn_peer_is_loopback(conn));
	net_session_core_init(&session->core, conn, service->set.idle_timeout_secs,
			      &ms_session_ops, session);
	ms_send_capabilities(session); /* the greeting (RFC 5804 1.7) */
	return session;
}

static void ms_session_input(void *context)
{
	struct ms_session *session = context;
	net_session_core_input(&session->core);
}

static void ms_session_idle(void *context)
{
	struct ms_session *session = context;
	net_session_core_idle(&session->core);
}

static void ms_session_disconnected(void *context, const char *reason)
{
	struct ms_session *session = context;
	(void)reason; /* net logged it */
	net_session_core_disconnected(&session->core);
}

static void ms_session_shutdown(void *context)
{
	struct ms_session *session = context;
	ms_reply(session, "BYE", "TRYLATER", "Server shutting down");
	ms_session_close(session, "shutdown");
}

void ms_session_hooks(struct net_service *net)
{
	net->session_create = ms_session_create;
	net->session_input = ms_session_input;
	net->session_idle = ms_session_idle;
	net->session_disconnected = ms_session_disconnected;
	net->session_shutdown = ms_session_shutdown;
}
