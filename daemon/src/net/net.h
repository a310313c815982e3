/* net.h - tandemd's network server: listeners on the main thread, a fixed
 * pool of worker threads (each its own event loop and storage connection),
 * connection limits, session ids, and the steps of a clean shutdown.
 *
 * Life cycle, all calls from the main thread:
 *   net_server_create -> net_server_listen (per service, before dropping
 *   privileges) -> net_server_start -> [main loop runs] ->
 *   net_server_stop_listening -> net_server_shutdown_sessions -> wait for
 *   net_server_connection_count() == 0 or a timeout -> net_server_stop_workers
 *   -> (storage_deinit) -> net_server_run_pending -> net_server_free.
 * Never one thread per connection.
 */
#ifndef TANDEM_NET_H
#define TANDEM_NET_H

#include "connection.h"
#include "worker.h"

#include <stddef.h>

struct event_base;
struct storage;
struct buf;
struct tls_context;

/* Most worker threads whatever the configuration says. */
#define NET_WORKERS_MAX 256

struct net_settings {
	unsigned worker_threads;   /* 0 = one per CPU core */
	unsigned unix_socket_mode;
	unsigned max_connections;  /* 0 = unlimited */
	unsigned max_connections_per_address;
	unsigned idle_timeout_secs;
};

struct net_server;

struct net_server *net_server_create(const struct net_settings *set);
/* The TLS context connections use (STARTTLS and implicit-TLS listeners);
 * set before net_server_listen_tls() and net_server_start(); must outlive
 * the server. NULL (the default): no TLS. */
void net_server_set_tls(struct net_server *server, struct tls_context *tls);
/* Bind the listeners of a comma-separated spec list for service (which must
 * outlive the server). *error_r is allocated. */
int net_server_listen(struct net_server *server, const struct net_service *service,
		      const char *listen, char **error_r);
/* The same for implicit-TLS listeners (IMAPS 993, POP3S 995): the TLS
 * handshake comes before the greeting. Fails without a TLS context. */
int net_server_listen_tls(struct net_server *server, const struct net_service *service,
			  const char *listen, char **error_r);
/* Connect one storage connection per worker, start the workers, then accept
 * on base. *error_r is allocated. */
int net_server_start(struct net_server *server, struct event_base *base, struct storage *storage,
		     char **error_r);
unsigned net_server_worker_count(const struct net_server *server);
/* The addresses bound, comma-separated, e.g. "127.0.0.1:2424,unix:run/lmtp.sock". */
void net_server_describe_listeners(const struct net_server *server, struct buf *out);

void net_server_stop_listening(struct net_server *server);
/* Ask every session to finish (service hook session_shutdown). */
void net_server_shutdown_sessions(struct net_server *server);
/* Connections accepted and not yet closed (on every worker). */
unsigned net_server_connection_count(struct net_server *server);
/* Disconnect every connection that is left, stop and join the workers,
 * close their storage connections. */
void net_server_stop_workers(struct net_server *server);
/* Run the worker calls that arrived after the workers stopped (e.g. the
 * group committer's last callbacks while storage_deinit drained it). */
unsigned net_server_run_pending(struct net_server *server);
void net_server_free(struct net_server **server);

#endif
