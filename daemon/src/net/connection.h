/* connection.h - one client connection on a worker's event loop: a libevent
 * bufferevent, the session id, the peer's address, the idle timeout, and the
 * hooks through which a protocol service (LMTP...) drives it.
 *
 * All of it runs on the connection's worker thread. The service owns its
 * session; the connection only points at it. Two ways to end:
 *  - the service calls net_conn_close(): the connection flushes what was
 *    written and goes away on its own; the service forgets conn at once;
 *  - the client goes away (EOF, error, timeout writing, server shutdown):
 *    net calls session_disconnected() and the session forgets conn.
 * Either way the session may outlive its connection (e.g. a delivery still
 * committing): that is the service's business.
 */
#ifndef TANDEM_NET_CONNECTION_H
#define TANDEM_NET_CONNECTION_H

#include "session-id.h"

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;
struct net_conn;
struct net_worker;

/* Output queued beyond this makes net_conn_output_full() true: the service
 * stops processing input until the client reads its replies. */
#define NET_CONN_OUTPUT_MAX (256 * 1024)
/* Input read ahead beyond the service's longest line before libevent stops
 * reading from the socket. */
#define NET_CONN_INPUT_SLACK (64 * 1024)
/* Longest time a closing connection may take to flush its last reply. */
#define NET_CONN_CLOSE_FLUSH_SECS 10

struct net_service {
	const char *name;  /* protocol in log lines: "lmtp" */
	void *context;     /* the service's own context, given to the hooks */
	size_t max_line_length; /* input read ahead is bounded by this + slack */

	/* A new connection, on its worker: create the session and send the
	 * greeting. Must not fail and must not close conn. */
	void *(*session_create)(struct net_conn *conn, void *context);
	/* New input is in net_conn_input(), or output drained after
	 * net_conn_output_full() was seen. */
	void (*session_input)(void *session);
	/* Nothing read for idle_timeout: say goodbye and net_conn_close(). */
	void (*session_idle)(void *session);
	/* The client is gone (reason for the log); conn is freed right after
	 * this returns and must not be used any more. */
	void (*session_disconnected)(void *session, const char *reason);
	/* The server is stopping: close now with a goodbye (net_conn_close()),
	 * or, when busy (message being received, delivery committing), finish
	 * and close soon. Sessions still open at shutdown_timeout are
	 * disconnected. */
	void (*session_shutdown)(void *session);
	/* Over a connection limit (main thread): write the refusal to fd (non-
	 * blocking, fresh socket). net logs it and closes fd afterwards. */
	void (*refuse)(void *context, int fd, const char *sid);
};

struct net_conn_info {
	char sid[SESSION_ID_SIZE];
	char peer[64];        /* "192.0.2.1:4242", "[2001:db8::1]:4242", "unix" */
	char peer_addr[48];   /* the IP alone ("" for UNIX sockets): limits key */
	char listener[120];   /* what the client connected to, as configured */
};

/* Create the connection for an accepted socket on the worker (worker
 * thread), then call the service's session_create. Logs "connect". */
struct net_conn *net_conn_create(struct net_worker *worker, int fd, const struct net_conn_info *info,
		     const struct net_service *service, unsigned idle_timeout_secs,
		     void (*on_free)(const struct net_conn_info *info, void *context),
		     void *on_free_context);

struct evbuffer *net_conn_input(struct net_conn *conn);
void net_conn_write(struct net_conn *conn, const void *data, size_t size);
void net_conn_write_str(struct net_conn *conn, const char *str);
/* Stop or resume reading from the client (e.g. while a delivery commits):
 * the idle timeout does not run while reading is stopped. */
void net_conn_set_reading(struct net_conn *conn, bool reading);
bool net_conn_output_full(struct net_conn *conn);
/* Flush what was written, then close (logs "disconnect reason=..."). The
 * caller must not use conn afterwards; no hook is called for it any more. */
void net_conn_close(struct net_conn *conn, const char *reason);
/* Close with the session_disconnected hook (worker thread). */
void net_conn_disconnect(struct net_conn *conn, const char *reason);
/* Ask the session to wind down (the session_shutdown hook). */
void net_conn_shutdown(struct net_conn *conn);

const char *net_conn_sid(const struct net_conn *conn);
const char *net_conn_peer(const struct net_conn *conn);
struct net_worker *net_conn_worker(struct net_conn *conn);
/* Next connection in the worker's list (for walking it at shutdown). */
struct net_conn *net_conn_next(struct net_conn *conn);

#endif
