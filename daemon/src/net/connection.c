/* connection.c - client connections on a worker's loop (see connection.h),
 * plain or TLS (implicit, or STARTTLS which swaps the socket bufferevent for
 * an OpenSSL one on the same socket). Never blocks: every read and write
 * goes through the bufferevent (the one exception: STARTTLS flushes its
 * short reply with a non-blocking write). Never touches a connection after
 * calling a service hook that may have closed it; never reads plaintext
 * once TLS started.
 */
#include "connection.h"
#include "tls.h"
#include "worker.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct net_conn {
	struct net_conn *prev, *next;  /* the worker's list */
	struct net_worker *worker;
	const struct net_service *service;
	struct bufferevent *bev;
	void *session;                 /* NULL once the service let go */
	struct net_conn_info info;
	bool closing;                  /* flushing the last reply, then freed */
	bool output_blocked;           /* the service waits for output to drain */
	struct tls_context *tls;       /* NULL: no TLS configured */
	bool is_tls;                   /* TLS started (maybe still handshaking) */
	bool handshaking;              /* TLS handshake not done yet */
	unsigned idle_timeout_secs;
	void (*on_free)(const struct net_conn_info *info, void *context);
	void *on_free_context;
};

static void net_conn_free(struct net_conn *conn)
{
	struct net_conn **head = net_worker_conns(conn->worker);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		*head = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	if (conn->is_tls && !conn->handshaking) {
		/* close_notify: the client sees an orderly end, not a truncation */
		SSL *ssl = bufferevent_openssl_get_ssl(conn->bev);
		if (ssl != NULL && SSL_is_init_finished(ssl))
			(void)SSL_shutdown(ssl);
		ERR_clear_error(); /* the queue is this worker thread's */
	}
	bufferevent_free(conn->bev); /* closes the socket */
	net_worker_conn_count_add(conn->worker, -1);
	if (conn->on_free != NULL)
		conn->on_free(&conn->info, conn->on_free_context);
	free(conn);
}

static void net_conn_log_disconnect(struct net_conn *conn, const char *reason)
{
	log_info(conn->info.sid, conn->service->name, "disconnect", "reason=%s", reason);
}

void net_conn_disconnect(struct net_conn *conn, const char *reason)
{
	if (!conn->closing)
		net_conn_log_disconnect(conn, reason);
	void *session = conn->session;
	conn->session = NULL;
	if (session != NULL)
		conn->service->session_disconnected(session, reason);
	net_conn_free(conn);
}

static void net_conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct net_conn *conn = arg;
	if (conn->session != NULL && !conn->closing)
		conn->service->session_input(conn->session); /* may free conn */
}

static void net_conn_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct net_conn *conn = arg;
	/* called when the output buffer is empty (low watermark 0) */
	if (conn->closing) {
		net_conn_free(conn);
		return;
	}
	if (conn->output_blocked && conn->session != NULL) {
		conn->output_blocked = false;
		conn->service->session_input(conn->session); /* may free conn */
	}
}

static void net_conn_set_timeouts(struct net_conn *conn, unsigned secs)
{
	struct timeval tv = { (time_t)secs, 0 };
	bufferevent_set_timeouts(conn->bev, &tv, &tv);
}

/* OpenSSL's reason for a failure on bev, or the socket error, as one token
 * (blanks made '_') */
static void net_conn_error_reason(struct bufferevent *bev, bool tls, char *out, size_t size)
{
	unsigned long ssl_err = tls ? bufferevent_get_openssl_error(bev) : 0;
	int err = EVUTIL_SOCKET_ERROR();
	if (ssl_err != 0) {
		const char *r = ERR_reason_error_string(ssl_err);
		if (r != NULL)
			snprintf(out, size, "%s", r);
		else
			ERR_error_string_n(ssl_err, out, size);
		while (bufferevent_get_openssl_error(bev) != 0)
			;
	} else {
		snprintf(out, size, "%s",
			 err != 0 ? evutil_socket_error_to_string(err) : "unknown");
	}
	for (char *p = out; *p != '\0'; p++)
		if (*p == ' ' || *p == '"')
			*p = '_';
}

/* The TLS handshake finished or failed; true when conn was freed. */
static bool net_conn_handshake_event(struct net_conn *conn, short what)
{
	if ((what & BEV_EVENT_CONNECTED) != 0) {
		conn->handshaking = false;
		SSL *ssl = bufferevent_openssl_get_ssl(conn->bev);
		log_info(conn->info.sid, conn->service->name, "tls", "protocol=%s cipher=%s",
			 SSL_get_version(ssl), SSL_get_cipher_name(ssl));
		net_conn_set_timeouts(conn, conn->idle_timeout_secs);
		if (conn->session == NULL) /* implicit TLS: now the greeting */
			conn->session = conn->service->session_create(conn, conn->service->context);
		return false;
	}
	char reason[160];
	if ((what & BEV_EVENT_TIMEOUT) != 0)
		snprintf(reason, sizeof(reason), "timeout");
	else if ((what & BEV_EVENT_EOF) != 0)
		snprintf(reason, sizeof(reason), "client_closed");
	else
		net_conn_error_reason(conn->bev, true, reason, sizeof(reason));
	log_info(conn->info.sid, conn->service->name, "tls_failed", "peer=%s error=%s",
		 conn->info.peer, reason);
	net_conn_disconnect(conn, (what & BEV_EVENT_TIMEOUT) != 0 ? "tls handshake timeout" :
				  "tls handshake failed");
	return true;
}

static void net_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct net_conn *conn = arg;
	if (conn->handshaking && !conn->closing) {
		(void)net_conn_handshake_event(conn, what);
		return;
	}
	if ((what & BEV_EVENT_CONNECTED) != 0)
		return;
	if (conn->closing) {
		/* the client did not take the last reply in time, or left */
		net_conn_free(conn);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) != 0 && (what & BEV_EVENT_READING) != 0) {
		if (conn->session != NULL) {
			conn->service->session_idle(conn->session);
			return; /* the service closed it */
		}
		net_conn_disconnect(conn, "idle timeout");
	} else if ((what & BEV_EVENT_TIMEOUT) != 0) {
		net_conn_disconnect(conn, "write timeout");
	} else if ((what & BEV_EVENT_EOF) != 0) {
		net_conn_disconnect(conn, "client closed");
	} else {
		char reason[160], text[150];
		net_conn_error_reason(conn->bev, conn->is_tls, text, sizeof(text));
		snprintf(reason, sizeof(reason), "error:%s", text);
		net_conn_disconnect(conn, reason);
	}
}

/* Callbacks, bounds and timeouts of a new bufferevent of conn. */
static void net_conn_setup_bev(struct net_conn *conn)
{
	bufferevent_setcb(conn->bev, net_conn_read_cb, net_conn_write_cb, net_conn_event_cb, conn);
	bufferevent_setwatermark(conn->bev, EV_READ, 0,
				 conn->service->max_line_length + NET_CONN_INPUT_SLACK);
	bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	unsigned secs = conn->service->handshake_timeout_secs;
	net_conn_set_timeouts(conn, conn->handshaking && secs != 0 ? secs :
			      conn->idle_timeout_secs);
}

/* A server-side TLS bufferevent on fd (owned by it from now on). */
static struct bufferevent *net_conn_tls_bev(struct net_conn *conn, int fd)
{
	SSL *ssl = tls_context_ssl_new(conn->tls);
	struct bufferevent *bev = bufferevent_openssl_socket_new(
		net_worker_base(conn->worker), fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatal("bufferevent_openssl_socket_new failed");
	/* a client that just closes the socket has left, not attacked */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	conn->is_tls = true;
	conn->handshaking = true;
	return bev;
}

struct net_conn *net_conn_create(struct net_worker *worker, int fd, const struct net_conn_info *info,
		     const struct net_service *service, unsigned idle_timeout_secs,
		     struct tls_context *tls, bool implicit_tls,
		     void (*on_free)(const struct net_conn_info *info, void *context),
		     void *on_free_context)
{
	struct net_conn *conn = xcalloc(1, sizeof(*conn));
	conn->worker = worker;
	conn->service = service;
	conn->info = *info;
	conn->on_free = on_free;
	conn->on_free_context = on_free_context;
	conn->tls = tls;
	conn->idle_timeout_secs = idle_timeout_secs;
	if (implicit_tls && tls != NULL)
		conn->bev = net_conn_tls_bev(conn, fd);
	else
		conn->bev = bufferevent_socket_new(net_worker_base(worker), fd,
						   BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL)
		fatal("bufferevent_socket_new failed");

	struct net_conn **head = net_worker_conns(worker);
	conn->next = *head;
	if (*head != NULL)
		(*head)->prev = conn;
	*head = conn;
	net_worker_conn_count_add(worker, 1);

	net_conn_setup_bev(conn);

	log_info(conn->info.sid, service->name, "connect", "peer=%s listener=%s%s",
		 conn->info.peer, conn->info.listener, conn->is_tls ? " tls=implicit" : "");
	/* nothing is read before the loop runs again, so enabling first is safe;
	 * after session_create conn is not touched (it may have been closed) */
	bufferevent_enable(conn->bev, EV_READ);
	if (!conn->is_tls) /* TLS: once the handshake is done */
		conn->session = service->session_create(conn, service->context);
	return conn;
}

int net_conn_starttls(struct net_conn *conn, const char **error_r)
{
	if (conn->closing || conn->tls == NULL || conn->is_tls) {
		*error_r = conn->tls == NULL ? "TLS is not configured" : "TLS is already active";
		return -1;
	}
	/* the service's reply goes out now, in plaintext, before any TLS byte */
	int fd = (int)bufferevent_getfd(conn->bev);
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	/* a bufferevent keeps the start of its output frozen: only it drains */
	evbuffer_unfreeze(out, 1);
	bool flushed = true;
	while (flushed && evbuffer_get_length(out) > 0)
		flushed = evbuffer_write(out, fd) > 0;
	evbuffer_freeze(out, 1);
	if (!flushed) {
		*error_r = "cannot flush the reply";
		return -1;
	}
	/* what the client sent after the command was not encrypted: whoever
	 * sent it, it must not be taken as coming over TLS */
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	size_t extra = evbuffer_get_length(in);
	if (extra > 0) {
		log_warning(conn->info.sid, conn->service->name, "starttls_discarded",
			    "bytes=%zu peer=%s reason=\"plaintext sent after STARTTLS\"", extra,
			    conn->info.peer);
		evbuffer_drain(in, extra);
	}
	/* the old bufferevent closes its descriptor when it goes (maybe only
	 * after the callback running now returns): the TLS one gets a copy */
	int tls_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (tls_fd < 0) {
		*error_r = "cannot duplicate the socket";
		return -1;
	}
	bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(conn->bev, NULL, NULL, NULL, NULL);
	bufferevent_free(conn->bev);
	conn->bev = net_conn_tls_bev(conn, tls_fd);
	net_conn_setup_bev(conn);
	bufferevent_enable(conn->bev, EV_READ);
	log_debug(conn->info.sid, conn->service->name, "starttls", "peer=%s", conn->info.peer);
	return 0;
}

bool net_conn_is_tls(const struct net_conn *conn)
{
	return conn->is_tls;
}

bool net_conn_can_starttls(const struct net_conn *conn)
{
	return conn->tls != NULL && !conn->is_tls;
}

bool net_conn_peer_is_loopback(const struct net_conn *conn)
{
	const char *peer = conn->info.peer;
	return strncmp(peer, "127.", 4) == 0 || strncmp(peer, "[::1]:", 6) == 0 ||
	       strncmp(peer, "[::ffff:127.", 12) == 0 || strcmp(peer, "unix") == 0;
}

struct evbuffer *net_conn_input(struct net_conn *conn)
{
	return bufferevent_get_input(conn->bev);
}

void net_conn_write(struct net_conn *conn, const void *data, size_t size)
{
	if (conn->closing)
		return;
	if (bufferevent_write(conn->bev, data, size) < 0)
		fatal("bufferevent_write failed");
}

void net_conn_write_str(struct net_conn *conn, const char *str)
{
	net_conn_write(conn, str, strlen(str));
}

void net_conn_set_reading(struct net_conn *conn, bool reading)
{
	if (conn->closing)
		return;
	if (reading)
		bufferevent_enable(conn->bev, EV_READ);
	else
		bufferevent_disable(conn->bev, EV_READ);
}

bool net_conn_output_full(struct net_conn *conn)
{
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) <= NET_CONN_OUTPUT_MAX)
		return false;
	conn->output_blocked = true;
	return true;
}

void net_conn_close(struct net_conn *conn, const char *reason)
{
	if (conn->closing)
		return;
	net_conn_log_disconnect(conn, reason);
	conn->closing = true;
	conn->session = NULL;
	bufferevent_disable(conn->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0) {
		net_conn_free(conn);
		return;
	}
	/* the write callback frees it once the reply is out */
	struct timeval tv = { NET_CONN_CLOSE_FLUSH_SECS, 0 };
	bufferevent_set_timeouts(conn->bev, NULL, &tv);
	bufferevent_enable(conn->bev, EV_WRITE);
}

void net_conn_shutdown(struct net_conn *conn)
{
	if (conn->session != NULL && !conn->closing)
		conn->service->session_shutdown(conn->session);
	else if (conn->session == NULL && conn->handshaking && !conn->closing)
		net_conn_disconnect(conn, "shutdown"); /* implicit TLS, no session yet */
}

const char *net_conn_sid(const struct net_conn *conn)
{
	return conn->info.sid;
}

const char *net_conn_peer(const struct net_conn *conn)
{
	return conn->info.peer;
}

const char *net_conn_peer_addr(const struct net_conn *conn)
{
	return conn->info.peer_addr;
}

struct net_worker *net_conn_worker(struct net_conn *conn)
{
	return conn->worker;
}

struct net_conn *net_conn_next(struct net_conn *conn)
{
	return conn->next;
}
