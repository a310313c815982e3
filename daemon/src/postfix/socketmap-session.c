/* socketmap-session.c - one connection from Postfix's socketmap client:
 * requests one at a time, each looked up by the auth service (off the
 * worker's loop) and answered as a netstring (see socketmap.h).
 *
 * Runs on the connection's worker. A malformed request closes the
 * connection (Postfix reconnects and its lookup fails as temporary).
 */
#include "socketmap.h"
#include "auth-service.h"
#include "connection.h"
#include "log.h"
#include "net.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCKETMAP_PROTO "socketmap"

struct socketmap_service {
	struct auth_service *auth;
	struct net_service net;
};

struct socketmap_session {
	struct socketmap_service *service;
	struct net_conn *conn;
	struct net_worker *worker;
	char sid[SESSION_ID_SIZE];
	unsigned refs;
	bool waiting;          /* a lookup in flight: not reading */
	bool in_input;
	char map[16];          /* of the lookup in flight, for the log */
};

static const struct {
	const char *name;
	enum auth_lookup_kind kind;
} socketmap_maps[] = {
	{ "domain", AUTH_LOOKUP_DOMAIN },
	{ "mailbox", AUTH_LOOKUP_MAILBOX },
	{ "alias", AUTH_LOOKUP_ALIAS },
	{ "sender", AUTH_LOOKUP_SENDER },
};

static void socketmap_session_input(void *context);

/* noinline: GCC cannot see that the input loop's own reference keeps the
 * session alive across a close and warns of a use after free. */
__attribute__((noinline)) static void socketmap_unref(struct socketmap_session *session)
{
	if (--session->refs == 0)
		free(session);
}

static void socketmap_close(struct socketmap_session *session, const char *reason)
{
	if (session->conn == NULL)
		return;
	struct net_conn *conn = session->conn;
	session->conn = NULL;
	net_conn_close(conn, reason);
	socketmap_unref(session);
}

/* "<len>:<text>," */
static void socketmap_reply(struct socketmap_session *session, const char *status,
			    const char *text)
{
	if (session->conn == NULL)
		return;
	char head[32];
	size_t len = strlen(status) + 1 + strlen(text);
	int n = snprintf(head, sizeof(head), "%zu:%s ", len, status);
	net_conn_write(session->conn, head, (size_t)n);
	net_conn_write(session->conn, text, strlen(text));
	net_conn_write(session->conn, ",", 1);
}

static void socketmap_lookup_done(const struct auth_lookup_reply *reply, void *context)
{
	struct socketmap_session *session = context;
	if (session->conn != NULL) {
		if (reply->result == AUTH_RESULT_OK) {
			socketmap_reply(session, "OK", reply->value);
		} else if (reply->result == AUTH_RESULT_FAILED) {
			socketmap_reply(session, "NOTFOUND", "");
		} else {
			log_warning(session->sid, SOCKETMAP_PROTO, "lookup-unavailable",
				    "map=%s reason=\"%s\"", session->map, reply->reason);
			socketmap_reply(session, "TEMP", "lookup temporarily unavailable");
		}
		session->waiting = false;
		net_conn_set_reading(session->conn, true);
		socketmap_session_input(session);
	}
	socketmap_unref(session);
}

/* "<map> <key>" */
static void socketmap_request(struct socketmap_session *session, const char *data, size_t len)
{
	const char *space = memchr(data, ' ', len);
	if (space == NULL || memchr(data, '\0', len) != NULL) {
		socketmap_reply(session, "PERM", "expected '<map> <key>'");
		return;
	}
	size_t name_len = (size_t)(space - data);
	for (size_t i = 0; i < sizeof(socketmap_maps) / sizeof(socketmap_maps[0]); i++) {
		if (strlen(socketmap_maps[i].name) != name_len ||
		    memcmp(socketmap_maps[i].name, data, name_len) != 0)
			continue;
		char key[SOCKETMAP_REQUEST_MAX + 1];
		size_t key_len = len - name_len - 1;
		memcpy(key, space + 1, key_len);
		key[key_len] = '\0';
		snprintf(session->map, sizeof(session->map), "%s", socketmap_maps[i].name);
		session->waiting = true;
		session->refs++;
		net_conn_set_reading(session->conn, false);
		auth_lookup(session->service->auth, session->worker, socketmap_maps[i].kind, key,
			    session->sid, socketmap_lookup_done, session);
		return;
	}
	char printable[32];
	log_info(session->sid, SOCKETMAP_PROTO, "unknown-map", "map=%s",
		 log_printable(data, name_len, printable, sizeof(printable)));
	socketmap_reply(session, "PERM", "unknown map");
}

static void socketmap_session_input(void *context)
{
	struct socketmap_session *session = context;
	if (session->in_input)
		return;
	session->in_input = true;
	session->refs++;
	while (session->conn != NULL && !session->waiting && !net_conn_output_full(session->conn)) {
		struct evbuffer *in = net_conn_input(session->conn);
		size_t have = evbuffer_get_length(in);
		if (have == 0)
			break;
		size_t look = have < SOCKETMAP_REQUEST_MAX + 16 ? have : SOCKETMAP_REQUEST_MAX + 16;
		const char *buf = (const char *)evbuffer_pullup(in, (ssize_t)look);
		const char *data;
		size_t data_len, consumed;
		enum netstring_result ret = netstring_parse(buf, look, SOCKETMAP_REQUEST_MAX, &data,
							    &data_len, &consumed);
		if (ret == NETSTRING_NEED_MORE)
			break;
		if (ret == NETSTRING_BAD) {
			log_info(session->sid, SOCKETMAP_PROTO, "bad-request", "bytes=%zu", have);
			socketmap_close(session, "malformed netstring");
			break;
		}
		char request[SOCKETMAP_REQUEST_MAX];
		memcpy(request, data, data_len);
		evbuffer_drain(in, consumed);
		socketmap_request(session, request, data_len);
	}
	session->in_input = false;
	socketmap_unref(session);
}

static void *socketmap_session_create(struct net_conn *conn, void *context)
{
	struct socketmap_session *session = xcalloc(1, sizeof(*session));
	session->service = context;
	session->conn = conn;
	session->worker = net_conn_worker(conn);
	snprintf(session->sid, sizeof(session->sid), "%s", net_conn_sid(conn));
	session->refs = 1;
	return session;
}

static void socketmap_session_idle(void *context)
{
	socketmap_close(context, "idle timeout");
}

static void socketmap_session_disconnected(void *context, const char *reason)
{
	struct socketmap_session *session = context;
	(void)reason;
	session->conn = NULL;
	socketmap_unref(session);
}

static void socketmap_session_shutdown(void *context)
{
	socketmap_close(context, "shutdown");
}

static void socketmap_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)fd;
	(void)sid;
}

struct socketmap_service *socketmap_service_create(void)
{
	struct socketmap_service *service = xcalloc(1, sizeof(*service));
	service->net = (struct net_service){
		.name = SOCKETMAP_PROTO,
		.context = service,
		.max_line_length = SOCKETMAP_REQUEST_MAX,
		.session_create = socketmap_session_create,
		.session_input = socketmap_session_input,
		.session_idle = socketmap_session_idle,
		.session_disconnected = socketmap_session_disconnected,
		.session_shutdown = socketmap_session_shutdown,
		.refuse = socketmap_refuse,
	};
	return service;
}

void socketmap_service_set_auth(struct socketmap_service *service, struct auth_service *auth)
{
	service->auth = auth;
}

void socketmap_service_free(struct socketmap_service **servicep)
{
	free(*servicep);
	*servicep = NULL;
}

const struct net_service *socketmap_service_net(struct socketmap_service *service)
{
	return &service->net;
}
