/* sasl-session.c - one connection from a Postfix smtpd process speaking
 * the dovecot-type SASL protocol (sasl-protocol.h): the handshake, then
 * AUTH requests one at a time, each a small state machine (PLAIN with or
 * without an initial response; LOGIN asking for user name and password
 * through CONT lines), answered OK/FAIL after the auth service's check.
 *
 * Runs on the connection's worker; the password check runs on the auth
 * service's threads while this connection does not read. Never logs a
 * password; wipes the decoded responses.
 */
#include "sasl.h"
#include "auth-service.h"
#include "connection.h"
#include "line-reader.h"
#include "log.h"
#include "net.h"
#include "sasl-exchange.h"
#include "sasl-protocol.h"
#include "session-core.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define SASL_PROTO "sasl"
/* Protocol errors before the connection is closed. */
#define SASL_ERRORS_MAX 10
/* Longest decoded SASL response (user + password), and the longest
 * base64 text that can decode to no more than that. */
#define SASL_RESPONSE_MAX 2048
#define SASL_RESPONSE_B64_MAX (SASL_RESPONSE_MAX / 3 * 4 + 3)

enum sasl_state {
	SASL_STATE_HANDSHAKE,  /* waiting for VERSION and CPID */
	SASL_STATE_READY,      /* waiting for AUTH */
	SASL_STATE_CONT,       /* sent CONT, waiting for the client's */
	SASL_STATE_CHECKING,   /* the auth service has it */
	SASL_STATE_COUNT
};

static const char *const sasl_state_names[SASL_STATE_COUNT] = {
	[SASL_STATE_HANDSHAKE] = "handshake",
	[SASL_STATE_READY] = "ready",
	[SASL_STATE_CONT] = "cont",
	[SASL_STATE_CHECKING] = "checking",
};

/* The dovecot-type protocol's SASL rules: no cancel ("*" is bad base64),
 * no "=" shorthand. */
static const struct sasl_exchange_rules sasl_session_rules = {
	.response_max = SASL_RESPONSE_B64_MAX,
};

struct sasl_service {
	struct sasl_settings set;
	struct auth_service *auth;
	struct net_service net;
	unsigned long cuid;    /* connection counter for CUID lines */
};

struct sasl_session {
	/* conn (NULL once gone), worker, sid, references (connection + a check
	 * in flight), the input loop; core.auth_pending while CHECKING */
	struct net_session_core core;
	struct sasl_service *service;
	enum sasl_state state;
	bool got_version;
	unsigned errors;
	struct net_line_reader reader;
	char line[SASL_LINE_MAX + 2];

	/* the request being answered */
	unsigned id;
	char rip[48];
	struct sasl_exchange sasl; /* PLAIN or LOGIN, its steps so far */
};

static void sasl_enter_state(struct sasl_session *session, enum sasl_state state)
{
	if (session->state == state)
		return;
	log_debug(session->core.sid, SASL_PROTO, "state", "from=%s to=%s",
		  sasl_state_names[session->state], sasl_state_names[state]);
	session->state = state;
}

static void sasl_reply(struct sasl_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sasl_reply(struct sasl_session *session, const char *fmt, ...)
{
	if (session->core.conn == NULL)
		return;
	char line[SASL_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
	line[len++] = '\n';
	net_conn_write(session->core.conn, line, len);
}

static void sasl_session_free(void *context)
{
	struct sasl_session *session = context;
	sasl_exchange_end(&session->sasl);
	free(session);
}

static void sasl_session_close(struct sasl_session *session, const char *reason)
{
	net_session_core_close(&session->core, reason);
}

static void sasl_request_reset(struct sasl_session *session)
{
	sasl_exchange_end(&session->sasl);
	sasl_enter_state(session, SASL_STATE_READY);
}

static void sasl_fail(struct sasl_session *session, const char *reason)
{
	sasl_reply(session, "FAIL\t%u\treason=%s", session->id, reason);
	sasl_request_reset(session);
}

static void sasl_protocol_error(struct sasl_session *session, const char *what)
{
	log_info(session->core.sid, SASL_PROTO, "protocol-error", "error=\"%s\" state=%s", what,
		 sasl_state_names[session->state]);
	if (++session->errors >= SASL_ERRORS_MAX || session->state == SASL_STATE_HANDSHAKE)
		sasl_session_close(session, "protocol error");
}

/* The auth service answered. */
static void sasl_auth_done(const struct auth_reply *reply, void *context)
{
	struct sasl_session *session = context;
	session->core.auth_pending = false;
	if (session->core.conn != NULL && reply->result == AUTH_RESULT_TEMPFAIL) {
		/* Postfix turns every FAIL into 535 (wrong credentials) but a lost
		 * connection into 454 4.7.0 (try again later): so close it */
		sasl_session_close(session, "temporary auth failure");
	} else if (session->core.conn != NULL) {
		if (reply->result == AUTH_RESULT_OK)
			sasl_reply(session, "OK\t%u\tuser=%s", session->id, reply->user->address);
		else
			sasl_reply(session, "FAIL\t%u\treason=Authentication failed", session->id);
		sasl_request_reset(session);
		/* requests pipelined meanwhile are already buffered */
		net_session_core_resume(&session->core);
	}
	net_session_core_release(&session->core);
}

static void sasl_check(struct sasl_session *session, const char *user, const char *password)
{
	struct auth_request req = {
		.service = "smtp",
		.sid = session->core.sid,
		.peer_addr = session->rip,
		.mech = sasl_exchange_mech_name(session->sasl.mech),
		.user = user,
		.password = password,
	};
	sasl_enter_state(session, SASL_STATE_CHECKING);
	session->core.auth_pending = true;
	net_conn_set_reading(session->core.conn, false);
	net_session_core_hold(&session->core);
	auth_login(session->service->auth, session->core.worker, &req, sasl_auth_done, session);
}

/* A response to the current request (initial or from CONT). */
static void sasl_response(struct sasl_session *session, const char *b64)
{
	const char *challenge = NULL, *user = NULL, *password = NULL;
	switch (sasl_exchange_step(&session->sasl, b64, strlen(b64), &challenge, &user,
				   &password)) {
	case SASL_EXCHANGE_CHALLENGE:
		sasl_reply(session, "CONT\t%u\t%s", session->id, challenge);
		sasl_enter_state(session, SASL_STATE_CONT);
		return;
	case SASL_EXCHANGE_DONE:
		sasl_check(session, user, password);
		sasl_exchange_end(&session->sasl);
		return;
	case SASL_EXCHANGE_CANCELLED:
	case SASL_EXCHANGE_TOO_LONG:
	case SASL_EXCHANGE_BAD_BASE64:
		sasl_fail(session, "Invalid base64 data in response");
		return;
	case SASL_EXCHANGE_BAD_PLAIN:
	case SASL_EXCHANGE_AUTHZID:
		sasl_fail(session, "Invalid PLAIN response");
		return;
	case SASL_EXCHANGE_LOGIN_NUL:
		sasl_fail(session, "NUL in LOGIN response");
		return;
	}
}

static bool sasl_plaintext_allowed(struct sasl_session *session, const struct sasl_line *line)
{
	if (line->secured || session->service->set.allow_plaintext)
		return true;
	/* Postfix's client is on loopback: no TLS needed there by default */
	return session->service->set.plaintext_loopback &&
	       (strcmp(line->rip, "::1") == 0 || strncmp(line->rip, "127.", 4) == 0);
}

static void sasl_auth(struct sasl_session *session, const struct sasl_line *line)
{
	session->id = line->id;
	snprintf(session->rip, sizeof(session->rip), "%s", line->rip);
	enum sasl_exchange_mech mech;
	if (sasl_exchange_mech_parse(line->mech, &mech) < 0) {
		sasl_fail(session, "Unsupported authentication mechanism");
		return;
	}
	sasl_exchange_begin(&session->sasl, mech, &sasl_session_rules);
	if (!sasl_plaintext_allowed(session, line)) {
		log_info(session->core.sid, SASL_PROTO, "plaintext-refused", "client=%s", line->rip);
		sasl_fail(session, "Plaintext authentication disallowed without TLS");
		return;
	}
	if (line->resp != NULL) {
		sasl_response(session, line->resp);
		return;
	}
	/* no initial response: PLAIN gets an empty challenge, LOGIN "Username:" */
	sasl_reply(session, "CONT\t%u\t%s", session->id,
		   sasl_exchange_first_challenge(&session->sasl));
	sasl_enter_state(session, SASL_STATE_CONT);
}

static void sasl_command(struct sasl_session *session, size_t len)
{
	struct sasl_line line;
	const char *error = NULL;
	if (sasl_line_parse(session->line, len, &line, &error) < 0) {
		sasl_protocol_error(session, error);
		return;
	}
	switch (session->state) {
	case SASL_STATE_HANDSHAKE:
		if (line.kind == SASL_LINE_VERSION) {
			if (line.major != 1) {
				sasl_protocol_error(session, "unsupported protocol version");
				return;
			}
			session->got_version = true;
		} else if (line.kind == SASL_LINE_CPID && session->got_version) {
			sasl_enter_state(session, SASL_STATE_READY);
		} else {
			sasl_protocol_error(session, "expected VERSION and CPID");
		}
		return;
	case SASL_STATE_READY:
		if (line.kind == SASL_LINE_AUTH)
			sasl_auth(session, &line);
		else
			sasl_protocol_error(session, "expected AUTH");
		return;
	case SASL_STATE_CONT:
		if (line.kind == SASL_LINE_CONT && line.id == session->id)
			sasl_response(session, line.resp);
		else if (line.kind == SASL_LINE_AUTH)
			sasl_auth(session, &line); /* the client gave the old one up */
		else
			sasl_protocol_error(session, "expected CONT");
		return;
	case SASL_STATE_CHECKING:
	case SASL_STATE_COUNT:
		break;
	}
}

/* Read and answer one line (net_session_core_ops.read); false when no
 * complete line is there. */
static bool sasl_session_read(void *context)
{
	struct sasl_session *session = context;
	size_t len = 0;
	enum net_line_result got = net_line_read(&session->reader, net_conn_input(session->core.conn),
						 session->line, SASL_LINE_MAX, &len);
	if (got == NET_LINE_NONE)
		return false;
	if (got == NET_LINE_TOO_LONG)
		sasl_protocol_error(session, "line too long");
	else
		sasl_command(session, len);
	return true;
}

static void sasl_session_idle_timeout(void *context)
{
	/* Postfix reconnects when it needs us again */
	sasl_session_close(context, "idle timeout");
}

static const struct net_session_core_ops sasl_session_ops = {
	.read = sasl_session_read,
	.idle_timeout = sasl_session_idle_timeout,
	.free = sasl_session_free,
};

static void sasl_session_input(void *context)
{
	struct sasl_session *session = context;
	net_session_core_input(&session->core);
}

static void *sasl_session_create(struct net_conn *conn, void *context)
{
	struct sasl_service *service = context;
	struct sasl_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	/* no timer of its own: the net layer's idle timeout closes */
	net_session_core_init(&session->core, conn, 0, &sasl_session_ops, session);
	session->state = SASL_STATE_HANDSHAKE;
	/* the server's half of the handshake goes out at once */
	unsigned long cuid = __atomic_add_fetch(&service->cuid, 1, __ATOMIC_RELAXED);
	/* COOKIE matters to Dovecot's own login processes only; random anyway */
	unsigned char cookie[16] = { 0 };
	char cookie_hex[33];
	if (getrandom(cookie, sizeof(cookie), GRND_NONBLOCK) != (ssize_t)sizeof(cookie))
		memcpy(cookie, &cuid, sizeof(cuid));
	for (size_t i = 0; i < sizeof(cookie); i++)
		snprintf(cookie_hex + 2 * i, 3, "%02x", cookie[i]);
	sasl_reply(session, "VERSION\t1\t2");
	sasl_reply(session, "MECH\tPLAIN\tplaintext");
	sasl_reply(session, "MECH\tLOGIN\tplaintext");
	sasl_reply(session, "SPID\t%ld", (long)getpid());
	sasl_reply(session, "CUID\t%lu", cuid);
	sasl_reply(session, "COOKIE\t%s", cookie_hex);
	sasl_reply(session, "DONE");
	return session;
}

static void sasl_session_idle(void *context)
{
	struct sasl_session *session = context;
	net_session_core_idle(&session->core);
}

static void sasl_session_disconnected(void *context, const char *reason)
{
	struct sasl_session *session = context;
	(void)reason;
	net_session_core_disconnected(&session->core);
}

static void sasl_session_shutdown(void *context)
{
	sasl_session_close(context, "shutdown");
}

static void sasl_service_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)fd;
	(void)sid; /* Postfix sees the close and answers its client 454 */
}

struct sasl_service *sasl_service_create(const struct sasl_settings *set)
{
	struct sasl_service *service = xcalloc(1, sizeof(*service));
	service->set = *set;
	service->net = (struct net_service){
		.name = SASL_PROTO,
		.context = service,
		.max_line_length = SASL_LINE_MAX,
		.session_create = sasl_session_create,
		.session_input = sasl_session_input,
		.session_idle = sasl_session_idle,
		.session_disconnected = sasl_session_disconnected,
		.session_shutdown = sasl_session_shutdown,
		.refuse = sasl_service_refuse,
	};
	return service;
}

void sasl_service_set_auth(struct sasl_service *service, struct auth_service *auth)
{
	service->auth = auth;
}

void sasl_service_free(struct sasl_service **servicep)
{
	free(*servicep);
	*servicep = NULL;
}

const struct net_service *sasl_service_net(struct sasl_service *service)
{
	return &service->net;
}
