/* connection.h - one client connection on a worker's event loop: a libevent
 * bufferevent (a socket one, or an OpenSSL one for TLS), the session id, the
 * peer's address, the idle timeout, and the hooks through which a protocol
 * service (LMTP...) drives it.
 *
 * TLS: on an implicit-TLS listener the handshake runs before session_create
 * (so the greeting goes out encrypted); a service that implements STARTTLS
 * writes its OK and calls net_conn_starttls(). Handshake failures and
 * timeouts are logged with OpenSSL's reason and close the connection.
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
struct tls_context;

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
	/* Longest TLS handshake, seconds (0: the idle timeout). */
	unsigned handshake_timeout_secs;

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
 * thread), then call the service's session_create (with implicit_tls: once
 * the TLS handshake is done). tls (may be NULL: no TLS configured) must
 * outlive the connection. Logs "connect". */
struct net_conn *net_conn_create(struct net_worker *worker, int fd, const struct net_conn_info *info,
		     const struct net_service *service, unsigned idle_timeout_secs,
		     struct tls_context *tls, bool implicit_tls,
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

/* STARTTLS: call right after writing the protocol's "go ahead" reply. The
 * reply is flushed in plaintext, every byte the client sent after the
 * command and that was already read is DISCARDED (logged as
 * starttls_discarded: command injection, CVE-2011-0411), and the server
 * side of a TLS handshake starts; input arrives again only over TLS. -1
 * with *error_r (conn still usable, plaintext) when TLS is not configured,
 * already on, or the reply could not be flushed at once. */
int net_conn_starttls(struct net_conn *conn, const char **error_r);
/* TLS is on (handshake done or under way: no plaintext will be read). */
bool net_conn_is_tls(const struct net_conn *conn);
/* TLS is configured and not yet on: a service may offer STARTTLS. */
bool net_conn_can_starttls(const struct net_conn *conn);
/* The peer is 127.0.0.0/8, ::1 (also v4-mapped) or a UNIX socket. */
bool net_conn_peer_is_loopback(const struct net_conn *conn);

const char *net_conn_sid(const struct net_conn *conn);
const char *net_conn_peer(const struct net_conn *conn);
/* The client's IP alone ("" for UNIX sockets): throttles, the auth log. */
const char *net_conn_peer_addr(const struct net_conn *conn);
struct net_worker *net_conn_worker(struct net_conn *conn);
/* Next connection in the worker's list (for walking it at shutdown). */
struct net_conn *net_conn_next(struct net_conn *conn);

#endif
