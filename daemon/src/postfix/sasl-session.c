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
#include "base64.h"
#include "connection.h"
#include "line-reader.h"
#include "log.h"
#include "net.h"
#include "sasl-protocol.h"
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
/* Longest decoded SASL response (user + password). */
#define SASL_RESPONSE_MAX 2048

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

enum sasl_mech { SASL_MECH_PLAIN, SASL_MECH_LOGIN };

struct sasl_service {
	struct sasl_settings set;
	struct auth_service *auth;
	struct net_service net;
	unsigned long cuid;    /* connection counter for CUID lines */
};

struct sasl_session {
	struct sasl_service *service;
	struct net_conn *conn;  /* NULL once gone */
	struct net_worker *worker;
	char sid[SESSION_ID_SIZE];
	unsigned refs;          /* connection + a check in flight */
	enum sasl_state state;
	bool got_version;
	unsigned errors;
	bool in_input;
	struct net_line_reader reader;
	char line[SASL_LINE_MAX + 2];

	/* the request being answered */
	unsigned id;
	enum sasl_mech mech;
	char rip[48];
	char *login_user;       /* LOGIN: the user name, once sent */
};

static void sasl_session_input(void *context);

static void sasl_enter_state(struct sasl_session *session, enum sasl_state state)
{
	if (session->state == state)
		return;
	log_debug(session->sid, SASL_PROTO, "state", "from=%s to=%s",
		  sasl_state_names[session->state], sasl_state_names[state]);
	session->state = state;
}

static void sasl_reply(struct sasl_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sasl_reply(struct sasl_session *session, const char *fmt, ...)
{
	if (session->conn == NULL)
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
	net_conn_write(session->conn, line, len);
}

static void sasl_session_unref(struct sasl_session *session)
{
	if (--session->refs > 0)
		return;
	if (session->login_user != NULL) {
		explicit_bzero(session->login_user, strlen(session->login_user));
		free(session->login_user);
	}
	free(session);
}

static void sasl_session_close(struct sasl_session *session, const char *reason)
{
	if (session->conn == NULL)
		return;
	struct net_conn *conn = session->conn;
	session->conn = NULL;
	net_conn_close(conn, reason);
	sasl_session_unref(session); /* the connection's */
}

static void sasl_request_reset(struct sasl_session *session)
{
	if (session->login_user != NULL) {
		explicit_bzero(session->login_user, strlen(session->login_user));
		free(session->login_user);
		session->login_user = NULL;
	}
	sasl_enter_state(session, SASL_STATE_READY);
}

static void sasl_fail(struct sasl_session *session, const char *reason)
{
	sasl_reply(session, "FAIL\t%u\treason=%s", session->id, reason);
	sasl_request_reset(session);
}

static void sasl_protocol_error(struct sasl_session *session, const char *what)
{
	log_info(session->sid, SASL_PROTO, "protocol-error", "error=\"%s\" state=%s", what,
		 sasl_state_names[session->state]);
	if (++session->errors >= SASL_ERRORS_MAX || session->state == SASL_STATE_HANDSHAKE)
		sasl_session_close(session, "protocol error");
}

/* The auth service answered. */
static void sasl_auth_done(const struct auth_reply *reply, void *context)
{
	struct sasl_session *session = context;
	if (session->conn != NULL && reply->result == AUTH_RESULT_TEMPFAIL) {
		/* Postfix turns every FAIL into 535 (wrong credentials) but a lost
		 * connection into 454 4.7.0 (try again later): so close it */
		sasl_session_close(session, "temporary auth failure");
	} else if (session->conn != NULL) {
		if (reply->result == AUTH_RESULT_OK)
			sasl_reply(session, "OK\t%u\tuser=%s", session->id, reply->user->address);
		else
			sasl_reply(session, "FAIL\t%u\treason=Authentication failed", session->id);
		sasl_request_reset(session);
		net_conn_set_reading(session->conn, true);
		/* requests pipelined meanwhile are already buffered */
		sasl_session_input(session);
	}
	sasl_session_unref(session);
}

static void sasl_check(struct sasl_session *session, const char *user, const char *password)
{
	struct auth_request req = {
		.service = "smtp",
		.sid = session->sid,
		.peer_addr = session->rip,
		.mech = session->mech == SASL_MECH_PLAIN ? "plain" : "login",
		.user = user,
		.password = password,
	};
	sasl_enter_state(session, SASL_STATE_CHECKING);
	net_conn_set_reading(session->conn, false);
	session->refs++;
	auth_login(session->service->auth, session->worker, &req, sasl_auth_done, session);
}

/* Decode a base64 response into out (SASL_RESPONSE_MAX + 1). */
static int sasl_decode(const char *b64, unsigned char *out, size_t *len_r)
{
	size_t len = strlen(b64);
	if (BASE64_DECODED_MAX(len) > SASL_RESPONSE_MAX + 1)
		return -1;
	return base64_decode(b64, len, out, len_r);
}

/* A response to the current request (initial or from CONT). */
static void sasl_response(struct sasl_session *session, const char *b64)
{
	unsigned char data[SASL_RESPONSE_MAX + 1];
	size_t len = 0;
	if (sasl_decode(b64, data, &len) < 0) {
		sasl_fail(session, "Invalid base64 data in response");
		return;
	}
	if (session->mech == SASL_MECH_PLAIN) {
		const char *user, *password;
		if (sasl_plain_split((const char *)data, len, &user, &password) != 0)
			sasl_fail(session, "Invalid PLAIN response");
		else
			sasl_check(session, user, password);
	} else if (memchr(data, '\0', len) != NULL) {
		sasl_fail(session, "NUL in LOGIN response");
	} else if (session->login_user == NULL) {
		session->login_user = xstrdup((const char *)data);
		sasl_reply(session, "CONT\t%u\tUGFzc3dvcmQ6", session->id); /* "Password:" */
		sasl_enter_state(session, SASL_STATE_CONT);
	} else {
		sasl_check(session, session->login_user, (const char *)data);
	}
	explicit_bzero(data, sizeof(data));
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
	if (strcasecmp(line->mech, "PLAIN") == 0) {
		session->mech = SASL_MECH_PLAIN;
	} else if (strcasecmp(line->mech, "LOGIN") == 0) {
		session->mech = SASL_MECH_LOGIN;
	} else {
		sasl_fail(session, "Unsupported authentication mechanism");
		return;
	}
	if (!sasl_plaintext_allowed(session, line)) {
		log_info(session->sid, SASL_PROTO, "plaintext-refused", "client=%s", line->rip);
		sasl_fail(session, "Plaintext authentication disallowed without TLS");
		return;
	}
	if (line->resp != NULL) {
		sasl_response(session, line->resp);
		return;
	}
	/* no initial response: PLAIN gets an empty challenge, LOGIN "Username:" */
	sasl_reply(session, "CONT\t%u\t%s", session->id,
		   session->mech == SASL_MECH_PLAIN ? "" : "VXNlcm5hbWU6");
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

static void sasl_session_input(void *context)
{
	struct sasl_session *session = context;
	if (session->in_input)
		return;
	session->in_input = true;
	session->refs++;
	while (session->conn != NULL && session->state != SASL_STATE_CHECKING &&
	       !net_conn_output_full(session->conn)) {
		size_t len = 0;
		enum net_line_result got = net_line_read(&session->reader,
							 net_conn_input(session->conn),
							 session->line, SASL_LINE_MAX, &len);
		if (got == NET_LINE_NONE)
			break;
		if (got == NET_LINE_TOO_LONG) {
			sasl_protocol_error(session, "line too long");
			continue;
		}
		sasl_command(session, len);
	}
	session->in_input = false;
	sasl_session_unref(session);
}

static void *sasl_session_create(struct net_conn *conn, void *context)
{
	struct sasl_service *service = context;
	struct sasl_session *session = xcalloc(1, sizeof(*session));
	session->service = service;
	session->conn = conn;
	session->worker = net_conn_worker(conn);
	snprintf(session->sid, sizeof(session->sid), "%s", net_conn_sid(conn));
	session->refs = 1;
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
	/* Postfix reconnects when it needs us again */
	sasl_session_close(context, "idle timeout");
}

static void sasl_session_disconnected(void *context, const char *reason)
{
	struct sasl_session *session = context;
	(void)reason;
	session->conn = NULL;
	sasl_session_unref(session);
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
