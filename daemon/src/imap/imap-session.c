/* imap-session.c - an IMAP session: the state machine, reading command
 * lines and literals from the connection in order (pipelining), literal
 * continuation ("+ Ready"), the pre-auth and idle timers, replies, and the
 * connection hooks (greeting, idle, disconnect, shutdown).
 *
 * Runs only on the connection's worker thread. Never blocks except on the
 * worker's own database connection inside command handlers. The state
 * changes only in imap_enter_state(). Never trusts a client length beyond
 * the limits in imap.h.
 */
#include "imap-session.h"
#include "conn-deflate.h"
#include "connection.h"
#include "worker.h"
#include "log.h"
#include "mailbox-events.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMAP_PROTO "imap"
/* Longest reply line formatted with imap_reply (longer data: imap_write). */
#define IMAP_REPLY_MAX 2048
/* Bytes copied from the input per step while reading a literal. */
#define IMAP_LITERAL_CHUNK 16384

static const char *const imap_state_names[IMAP_STATE_COUNT] = {
	[IMAP_STATE_NOT_AUTHENTICATED] = "not-authenticated",
	[IMAP_STATE_AUTHENTICATED] = "authenticated",
	[IMAP_STATE_SELECTED] = "selected",
	[IMAP_STATE_LOGOUT] = "logout",
};

const char *imap_state_name(enum imap_state state)
{
	return state < IMAP_STATE_COUNT ? imap_state_names[state] : "?";
}

void imap_enter_state(struct imap_session *session, enum imap_state state)
{
	if (session->state == state)
		return;
	log_debug(session->sid, IMAP_PROTO, "state", "from=%s to=%s",
		  imap_state_name(session->state), imap_state_name(state));
	session->state = state;
}

static void imap_conn_write(void *context, const void *data, size_t len)
{
	struct imap_session *session = context;
	net_conn_write(session->conn, data, len);
}

/* Every byte to the client goes through here: compression, and the bound
 * on output nobody reads. Updates pushed outside commands (IDLE, events)
 * count while the output is over NET_CONN_OUTPUT_MAX; past the limit the
 * session drops further output and is closed from the timer (never here:
 * the caller still uses the session). A command's own reply is bounded by
 * the input loop, which reads no further command while output is full. */
void imap_write(struct imap_session *session, const void *data, size_t len)
{
	if (session->conn == NULL || session->output_overflow)
		return;
	if (!session->in_input) {
		uint64_t limit = session->service->set.max_output_buffer;
		if (!net_conn_output_full(session->conn))
			session->output_over = 0;
		else
			session->output_over += len;
		if (limit > 0 && session->output_over > 0 &&
		    NET_CONN_OUTPUT_MAX + session->output_over > limit) {
			session->output_overflow = true;
			log_info(session->sid, IMAP_PROTO, "output_limit",
				 "queued=%llu+ max=%llu user=%s",
				 (unsigned long long)(NET_CONN_OUTPUT_MAX + session->output_over),
				 (unsigned long long)limit, session->user);
			event_active(session->timer, EV_TIMEOUT, 0);
			return;
		}
	}
	if (session->deflate != NULL)
		conn_deflate_write(session->deflate, data, len, imap_conn_write, session);
	else
		net_conn_write(session->conn, data, len);
}

void imap_session_compress_start(struct imap_session *session)
{
	if (session->conn == NULL || session->deflate != NULL)
		return;
	session->deflate = conn_deflate_create();
	session->plain_in = evbuffer_new();
	if (session->plain_in == NULL)
		fatal("evbuffer_new failed");
	log_info(session->sid, IMAP_PROTO, "compress", "mechanism=DEFLATE user=%s",
		 session->user);
}

/* The input the command reader works on: the socket's, or inflated. */
static struct evbuffer *imap_session_in(struct imap_session *session)
{
	return session->plain_in != NULL ? session->plain_in : net_conn_input(session->conn);
}

/* Inflate what arrived, up to a line and a literal chunk ahead: a
 * decompression bomb meets the line and literal limits, not memory. Returns
 * bytes made; -1 after BYE on corrupt input. */
static long imap_session_inflate(struct imap_session *session)
{
	if (session->deflate == NULL || session->conn == NULL)
		return 0;
	size_t made;
	const char *error;
	if (conn_deflate_inflate(session->deflate, net_conn_input(session->conn),
				 session->plain_in, IMAP_LINE_MAX + IMAP_LITERAL_CHUNK, &made,
				 &error) < 0) {
		log_info(session->sid, IMAP_PROTO, "compress_error", "error=\"%s\" user=%s",
			 error, session->user);
		imap_session_bye(session, "corrupt compressed data", "compress error");
		return -1;
	}
	return (long)made;
}

static void imap_vreply(struct imap_session *session, const char *prefix, const char *fmt,
			va_list ap)
{
	if (session->conn == NULL)
		return;
	char line[IMAP_REPLY_MAX];
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
	imap_write(session, line, len);
}

void imap_reply(struct imap_session *session, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	imap_vreply(session, "", fmt, ap);
	va_end(ap);
}

#define IMAP_CMD_REPLY(kind)                                                  \
	char prefix[IMAP_TAG_MAX + 8];                                        \
	snprintf(prefix, sizeof(prefix), "%s " kind " ", cmd->tag);           \
	va_list ap;                                                           \
	va_start(ap, fmt);                                                    \
	imap_vreply(cmd->session, prefix, fmt, ap);                           \
	va_end(ap)

/* OK and NO carry the untagged updates others caused (RFC 3501 7). */
void imap_cmd_ok(struct imap_client_cmd *cmd, const char *fmt, ...)
{
	imap_view_command_done(cmd);
	IMAP_CMD_REPLY("OK");
}

void imap_cmd_no(struct imap_client_cmd *cmd, const char *fmt, ...)
{
	imap_view_command_done(cmd);
	IMAP_CMD_REPLY("NO");
}

void imap_cmd_bad(struct imap_client_cmd *cmd, const char *fmt, ...)
{
	IMAP_CMD_REPLY("BAD");
	cmd->session->errors++;
}

struct storage_conn *imap_storage(struct imap_session *session)
{
	return net_worker_storage(session->worker);
}

const char *imap_capabilities(struct imap_session *session)
{
	if (session->state != IMAP_STATE_NOT_AUTHENTICATED)
		return "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR UNSELECT CHILDREN SPECIAL-USE UIDPLUS MOVE"
		       " ID NAMESPACE ENABLE LIST-EXTENDED LIST-STATUS STATUS=SIZE IDLE"
		       " SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES ESEARCH"
		       " CONDSTORE QRESYNC"
		       " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE MULTIAPPEND"
		       " ACL RIGHTS=texk"
		       " COMPRESS=DEFLATE BINARY SEARCHRES";
	/* STARTTLS only while it can be done (RFC 3501 6.2.1) */
	bool starttls = session->conn != NULL && net_conn_can_starttls(session->conn);
	if (!session->plaintext_ok)
		return starttls ? "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID STARTTLS LOGINDISABLED" :
				  "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID LOGINDISABLED";
	return starttls ? "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID STARTTLS AUTH=PLAIN AUTH=LOGIN" :
			  "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID AUTH=PLAIN AUTH=LOGIN";
}

bool imap_output_full(struct imap_session *session)
{
	return session->conn != NULL && net_conn_output_full(session->conn);
}

void imap_session_suspend(struct imap_session *session, const struct imap_cmd_resume *resume)
{
	session->resume = *resume;
}

/* Drop a parked command's state (run or not). */
static void imap_session_resume_free(struct imap_session *session)
{
	struct imap_cmd_resume resume = session->resume;
	memset(&session->resume, 0, sizeof(session->resume));
	if (resume.free != NULL)
		resume.free(resume.state);
}

/* Go on with the parked command; true when it is over. */
static bool imap_session_resume_run(struct imap_session *session)
{
	if (!session->resume.run(session, session->resume.state))
		return false;
	imap_session_resume_free(session);
	return true;
}

static void imap_session_free(struct imap_session *session)
{
	imap_session_resume_free(session);
	mailbox_events_unwatch(&session->watch);
	imap_view_free(session);
	if (session->timer != NULL)
		event_free(session->timer);
	sasl_exchange_end(&session->sasl);
	buf_free(&session->cmd);
	conn_deflate_free(&session->deflate);
	if (session->plain_in != NULL)
		evbuffer_free(session->plain_in);
	free(session);
}

static void imap_session_unref(struct imap_session **sessionp)
{
	struct imap_session *session = *sessionp;
	*sessionp = NULL;
	if (--session->refs == 0)
		imap_session_free(session);
}

void imap_session_hold(struct imap_session *session)
{
	session->refs++;
}

void imap_session_release(struct imap_session *session)
{
	imap_session_unref(&session);
}

static void imap_session_input(void *context);

void imap_session_resume(struct imap_session *session)
{
	if (session->conn == NULL)
		return;
	net_conn_set_reading(session->conn, true);
	if (!session->in_input)
		imap_session_input(session);
}

void imap_session_close(struct imap_session *session, const char *reason)
{
	if (session->conn == NULL)
		return;
	struct net_conn *conn = session->conn;
	session->conn = NULL;
	evtimer_del(session->timer);
	mailbox_events_unwatch(&session->watch);
	net_conn_close(conn, reason);
	imap_session_unref(&session); /* the connection's reference */
}

void imap_session_bye(struct imap_session *session, const char *reason, const char *log_reason)
{
	if (session->conn == NULL)
		return;
	imap_reply(session, "* BYE %s", reason);
	imap_enter_state(session, IMAP_STATE_LOGOUT);
	imap_session_close(session, log_reason);
}

static void imap_timer_arm(struct imap_session *session)
{
	unsigned secs = session->state == IMAP_STATE_NOT_AUTHENTICATED ?
			session->service->set.preauth_timeout_secs :
			session->service->set.idle_timeout_secs;
	struct timeval tv = { (time_t)secs, 0 };
	evtimer_add(session->timer, &tv);
}

void imap_session_login(struct imap_session *session, const struct storage_user *user,
			const char *mech)
{
	session->user_id = user->id;
	snprintf(session->user, sizeof(session->user), "%s", user->address);
	imap_enter_state(session, IMAP_STATE_AUTHENTICATED);
	imap_timer_arm(session); /* from now on the idle timeout */
	log_info(session->sid, IMAP_PROTO, "login", "user=%s mech=%s", user->address, mech);
}

static void imap_timer_cb(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	struct imap_session *session = context;
	if (session->conn == NULL)
		return;
	if (session->output_overflow) {
		imap_session_close(session, "output limit");
		return;
	}
	if (session->state == IMAP_STATE_NOT_AUTHENTICATED) {
		log_info(session->sid, IMAP_PROTO, "preauth_timeout", "commands=%u",
			 session->preauth_commands);
		imap_session_bye(session, "pre-authentication time is up", "preauth timeout");
	} else {
		log_info(session->sid, IMAP_PROTO, "idle_timeout", "state=%s user=%s",
			 imap_state_name(session->state), session->user);
		imap_session_bye(session, "autologout; idle for too long", "idle timeout");
	}
}

/* ---- reading commands ---- */

static void imap_session_reset_command(struct imap_session *session)
{
	buf_reset(&session->cmd);
	if (session->cmd.cap > 1024 * 1024)
		buf_free(&session->cmd); /* do not keep an APPENDed message's memory */
	session->cmd_text = 0;
	session->literals = 0;
	session->literal_left = 0;
}

/* The tag of the command being read ("*" if none), for early replies. */
static void imap_session_pending_tag(struct imap_session *session, char *tag, size_t size)
{
	size_t n = 0;
	while (n < session->cmd.len && n + 1 < size && session->cmd.data[n] > ' ' &&
	       session->cmd.data[n] < 0x7f && session->cmd.data[n] != '{')
		n++;
	if (n == 0 || n >= session->cmd.len || session->cmd.data[n] != ' ') {
		snprintf(tag, size, "*");
		return;
	}
	memcpy(tag, session->cmd.data, n);
	tag[n] = '\0';
}

/* Is the command being read an APPEND (the only one with big literals)? */
static bool imap_session_pending_is_append(struct imap_session *session)
{
	const char *p = memchr(session->cmd.data, ' ', session->cmd.len);
	if (p == NULL)
		return false;
	p++;
	size_t rest = session->cmd.len - (size_t)(p - (const char *)session->cmd.data);
	return rest >= 7 && strncasecmp(p, "APPEND ", 7) == 0;
}

static void imap_session_run_command(struct imap_session *session)
{
	struct imap_parser_limits limits;
	imap_parser_limits_default(&limits);
	limits.max_literal = session->service->set.max_literal_size > IMAP_SMALL_LITERAL_MAX ?
			     session->service->set.max_literal_size : IMAP_SMALL_LITERAL_MAX;
	struct imap_command *cmd;
	const char *error;
	if (session->state == IMAP_STATE_NOT_AUTHENTICATED &&
	    ++session->preauth_commands > IMAP_PREAUTH_COMMANDS_MAX) {
		log_info(session->sid, IMAP_PROTO, "preauth_limit", "commands=%u",
			 session->preauth_commands);
		imap_session_reset_command(session);
		imap_session_bye(session, "too many commands before login", "preauth limit");
		return;
	}
	if (imap_command_parse(session->cmd.data, session->cmd.len, &limits, &cmd, &error) < 0) {
		char printable[128];
		log_printable((const char *)session->cmd.data, session->cmd.len, printable,
			      sizeof(printable));
		log_debug(session->sid, IMAP_PROTO, "bad_command", "error=\"%s\" line=\"%s\"",
			  error, printable);
		imap_reply(session, "%s BAD %s", cmd->tag[0] != '\0' ? cmd->tag : "*", error);
		session->errors++;
	} else {
		imap_command_run(session, cmd);
	}
	imap_command_free(&cmd);
	imap_session_reset_command(session);
}

/* One complete input line (without its line end) of the command being
 * read: a whole command, or a part that ends with a literal announcement. */
static void imap_session_line(struct imap_session *session, const unsigned char *line,
			      size_t len)
{
	if (session->idling) {
		imap_idle_line(session, (const char *)line, len);
		return;
	}
	if (session->continuation != NULL) {
		imap_continuation_fn *fn = session->continuation;
		session->continuation = NULL;
		fn(session, (const char *)line, len);
		return;
	}
	if (session->cmd_text + len > IMAP_LINE_MAX) {
		imap_reply(session, "* BAD command too long");
		session->errors++;
		imap_session_reset_command(session);
		return;
	}
	buf_append(&session->cmd, line, len);
	session->cmd_text += len;

	uint64_t size;
	bool nonsync, bad;
	if (!imap_parser_line_literal(line, len, &size, &nonsync, &bad)) {
		imap_session_run_command(session);
		return;
	}
	/* big literals only for APPEND, and only once logged in */
	uint64_t max = session->state != IMAP_STATE_NOT_AUTHENTICATED &&
		       imap_session_pending_is_append(session) ?
		       session->service->set.max_literal_size : IMAP_SMALL_LITERAL_MAX;
	/* the literals of one command together (a MULTIAPPEND's messages) stay
	 * within the same limit: bytes held so far, with their CRLFs */
	uint64_t literal_bytes_held = session->cmd.len - session->cmd_text;
	if (size > max || literal_bytes_held > max - size ||
	    session->literals >= IMAP_LITERALS_MAX) {
		log_info(session->sid, IMAP_PROTO, "literal_too_big", "size=%llu max=%llu",
			 (unsigned long long)size, (unsigned long long)max);
		if (nonsync) {
			/* the client sends the bytes anyway: no way to stay in step */
			imap_session_reset_command(session);
			imap_session_bye(session, "literal too big", "literal too big");
			return;
		}
		char tag[IMAP_TAG_MAX + 1];
		imap_session_pending_tag(session, tag, sizeof(tag));
		imap_reply(session, "%s BAD [TOOBIG] literal too big (at most %llu bytes)", tag,
			   (unsigned long long)max);
		session->errors++;
		imap_session_reset_command(session);
		return;
	}
	buf_append(&session->cmd, "\r\n", 2);
	session->literals++;
	session->literal_left = size;
	if (!nonsync)
		imap_reply(session, "+ Ready for literal data");
}

static bool imap_session_read_literal(struct imap_session *session, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in);
	if (have == 0)
		return false;
	unsigned char chunk[IMAP_LITERAL_CHUNK];
	size_t n = have < sizeof(chunk) ? have : sizeof(chunk);
	if (n > session->literal_left)
		n = (size_t)session->literal_left;
	int got = evbuffer_remove(in, chunk, n);
	if (got <= 0)
		return false;
	buf_append(&session->cmd, chunk, (size_t)got);
	session->literal_left -= (size_t)got;
	return true;
}

static void imap_session_skip_tail(struct imap_session *session, struct evbuffer *in, size_t n)
{
	/* keep the last bytes of what is skipped: does the line end in {n+}? */
	unsigned char *tail = session->skip_tail;
	size_t keep = sizeof(session->skip_tail);
	if (n >= keep) {
		evbuffer_drain(in, n - keep);
		evbuffer_remove(in, tail, keep);
		session->skip_tail_len = keep;
		return;
	}
	size_t old = session->skip_tail_len + n > keep ? keep - n : session->skip_tail_len;
	memmove(tail, tail + session->skip_tail_len - old, old);
	evbuffer_remove(in, tail + old, n);
	session->skip_tail_len = old + n;
}

/* Read one line or literal chunk. Returns false when nothing could be done. */
static bool imap_session_read(struct imap_session *session)
{
	struct evbuffer *in = imap_session_in(session);
	if (session->literal_left > 0) {
		if (!imap_session_read_literal(session, in))
			return false;
		/* a literal ends, the rest of the command follows on its line */
		return true;
	}
	size_t eol_len = 0;
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	size_t room = IMAP_LINE_MAX - session->cmd_text + 1; /* + CR */
	if (eol.pos < 0) {
		size_t have = evbuffer_get_length(in);
		if (session->skipping_line) {
			imap_session_skip_tail(session, in, have);
		} else if (have > room) {
			imap_reply(session, "* BAD line too long");
			session->errors++;
			log_info(session->sid, IMAP_PROTO, "line_too_long", "bytes=%zu+", have);
			imap_session_reset_command(session);
			session->skipping_line = true;
			session->skip_tail_len = 0;
			imap_session_skip_tail(session, in, have);
		}
		return false;
	}
	size_t line_len = (size_t)eol.pos;
	if (session->skipping_line) {
		imap_session_skip_tail(session, in, line_len);
		evbuffer_drain(in, eol_len);
		session->skipping_line = false;
		size_t tl = session->skip_tail_len;
		if (tl > 0 && session->skip_tail[tl - 1] == '\r')
			tl--;
		uint64_t size;
		bool nonsync, bad;
		if (imap_parser_line_literal(session->skip_tail, tl, &size, &nonsync, &bad) &&
		    nonsync && size > 0) {
			imap_session_bye(session, "line too long", "line too long");
			return false;
		}
		return true;
	}
	if (line_len > room) {
		evbuffer_drain(in, line_len + eol_len);
		imap_reply(session, "* BAD line too long");
		session->errors++;
		log_info(session->sid, IMAP_PROTO, "line_too_long", "bytes=%zu", line_len);
		imap_session_reset_command(session);
		return true;
	}
	unsigned char *line = xmalloc(line_len + 1);
	evbuffer_remove(in, line, line_len);
	evbuffer_drain(in, eol_len);
	if (line_len > 0 && line[line_len - 1] == '\r')
		line_len--;
	line[line_len] = '\0';
	imap_session_line(session, line, line_len);
	free(line);
	return true;
}

static void imap_session_input(void *context)
{
	struct imap_session *session = context;
	if (session->in_input)
		return;
	session->in_input = true;
	session->refs++; /* commands may close the connection */
	session->last_input = time(NULL);
	if (session->state != IMAP_STATE_NOT_AUTHENTICATED && session->conn != NULL)
		imap_timer_arm(session);
	while (session->conn != NULL && !session->auth_pending) {
		if (net_conn_output_full(session->conn))
			break; /* resumes when the client has read the replies */
		if (session->resume.run != NULL) {
			/* a command's output first, then the next command */
			if (!imap_session_resume_run(session))
				continue;
		}
		long inflated = imap_session_inflate(session);
		if (inflated < 0)
			break;
		bool progress = imap_session_read(session) || inflated > 0;
		if (session->errors >= IMAP_ERRORS_MAX && session->conn != NULL) {
			log_info(session->sid, IMAP_PROTO, "too_many_errors", "errors=%u",
				 session->errors);
			imap_session_bye(session, "too many errors", "too many errors");
		}
		if (!progress)
			break;
	}
	session->in_input = false;
	imap_session_unref(&session);
}

static void *imap_session_create(struct net_conn *conn, void *context)
{
	struct imap_service *service = context;
	struct imap_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	session->conn = conn;
	session->worker = net_conn_worker(conn);
	snprintf(session->sid, sizeof(session->sid), "%s", net_conn_sid(conn));
	session->refs = 1; /* the connection's */
	session->state = IMAP_STATE_NOT_AUTHENTICATED;
	/* plaintext here means "without TLS": implicit TLS is fine */
	session->plaintext_ok = service->set.allow_plaintext_auth || net_conn_is_tls(conn) ||
				(service->set.plaintext_auth_loopback &&
				 net_conn_peer_is_loopback(conn));
	session->last_input = time(NULL);
	buf_init(&session->cmd);
	session->timer = evtimer_new(net_worker_base(session->worker), imap_timer_cb, session);
	if (session->timer == NULL)
		fatal("evtimer_new failed");
	imap_timer_arm(session);
	imap_reply(session, "* OK [CAPABILITY %s] tandem ready", imap_capabilities(session));
	return session;
}

static void imap_session_idle(void *context)
{
	struct imap_session *session = context;
	/* the net layer's idle timeout: ours (longer when authenticated) rules */
	if (session->state != IMAP_STATE_NOT_AUTHENTICATED &&
	    time(NULL) - session->last_input < (time_t)session->service->set.idle_timeout_secs) {
		net_conn_set_reading(session->conn, true);
		return;
	}
	imap_timer_cb(-1, 0, session);
}

static void imap_session_disconnected(void *context, const char *reason)
{
	struct imap_session *session = context;
	(void)reason; /* net logged it */
	session->conn = NULL;
	evtimer_del(session->timer);
	mailbox_events_unwatch(&session->watch);
	imap_session_unref(&session);
}

static void imap_session_shutdown(void *context)
{
	struct imap_session *session = context;
	imap_session_bye(session, "server shutting down", "shutdown");
}

void imap_session_hooks(struct net_service *net)
{
	net->session_create = imap_session_create;
	net->session_input = imap_session_input;
	net->session_idle = imap_session_idle;
	net->session_disconnected = imap_session_disconnected;
	net->session_shutdown = imap_session_shutdown;
}
