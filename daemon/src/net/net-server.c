/* net-server.c - the network server (see net.h): accepts on the main thread,
 * checks connection limits, names the session, and hands the socket to a
 * worker round-robin. Never reads client data on the main thread: a refused
 * client gets only its one-line refusal. */
#include "net.h"
#include "buf.h"
#include "conn-limits.h"
#include "listener.h"
#include "log.h"
#include "session-id.h"
#include "storage.h"
#include "xalloc.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct net_server_listener {
	struct net_server *server;
	const struct net_service *service;
	struct net_listener *listener;
	bool implicit_tls;            /* handshake before the greeting */
};

struct net_server {
	struct net_settings set;
	struct tls_context *tls;      /* NULL: no TLS; not owned */
	uint64_t start_time;
	uint64_t session_counter;     /* main thread only */
	struct conn_limits *limits;
	atomic_bool shutting_down;

	struct net_server_listener *listeners;
	size_t listener_count;

	struct net_worker **workers;
	size_t worker_count;
	size_t next_worker;           /* round-robin, main thread only */
	bool workers_stopped;
};

/* A socket on its way from the main thread to a worker. */
struct net_server_handoff {
	struct net_server *server;
	const struct net_service *service;
	struct net_worker *worker;
	bool implicit_tls;
	int fd;
	struct net_conn_info info;
};

struct net_server *net_server_create(const struct net_settings *set)
{
	struct net_server *server = xcalloc(1, sizeof(*server));
	server->set = *set;
	server->start_time = (uint64_t)time(NULL);
	server->limits = conn_limits_create(set->max_connections, set->max_connections_per_address);
	atomic_init(&server->shutting_down, false);
	return server;
}

void net_server_set_tls(struct net_server *server, struct tls_context *tls)
{
	server->tls = tls;
}

static int net_server_listen_full(struct net_server *server, const struct net_service *service,
				  const char *listen, bool implicit_tls, char **error_r)
{
	struct net_listener **bound;
	size_t count;
	if (net_listeners_bind(listen, server->set.unix_socket_mode, &bound, &count, error_r) < 0)
		return -1;
	server->listeners = xrealloc(server->listeners,
				     (server->listener_count + count) * sizeof(*server->listeners));
	for (size_t i = 0; i < count; i++) {
		struct net_server_listener *sl = &server->listeners[server->listener_count++];
		sl->server = server;
		sl->service = service;
		sl->listener = bound[i];
		sl->implicit_tls = implicit_tls;
	}
	free(bound);
	return 0;
}

int net_server_listen(struct net_server *server, const struct net_service *service,
		      const char *listen, char **error_r)
{
	return net_server_listen_full(server, service, listen, false, error_r);
}

int net_server_listen_tls(struct net_server *server, const struct net_service *service,
			  const char *listen, char **error_r)
{
	if (server->tls == NULL) {
		*error_r = xasprintf("%s: implicit TLS needs tls_cert_file and tls_key_file", listen);
		return -1;
	}
	return net_server_listen_full(server, service, listen, true, error_r);
}

static void net_server_conn_freed(const struct net_conn_info *info, void *context)
{
	struct net_server *server = context;
	conn_limits_release(server->limits, info->peer_addr[0] != '\0' ? info->peer_addr : NULL);
}

/* worker thread: the socket arrives */
static void net_server_conn_start(void *arg)
{
	struct net_server_handoff *h = arg;
	struct net_conn *conn = net_conn_create(h->worker, h->fd, &h->info, h->service,
						h->server->set.idle_timeout_secs,
						h->server->tls, h->implicit_tls,
						net_server_conn_freed, h->server);
	if (atomic_load(&h->server->shutting_down))
		net_conn_shutdown(conn);
	free(h);
}

/* main thread: a listener accepted fd */
static void net_server_accept(struct net_listener *listener, int fd, const struct sockaddr *addr,
			      socklen_t addrlen, void *context)
{
	struct net_server_listener *sl = context;
	struct net_server *server = sl->server;
	struct net_conn_info info;
	memset(&info, 0, sizeof(info));
	session_id_format(server->start_time, ++server->session_counter, info.sid);
	snprintf(info.listener, sizeof(info.listener), "%s", net_listener_name(listener));
	if (net_listener_is_unix(listener)) {
		snprintf(info.peer, sizeof(info.peer), "unix");
	} else {
		net_sockaddr_format(addr, addrlen, info.peer, sizeof(info.peer), info.peer_addr,
				    sizeof(info.peer_addr));
		int one = 1;
		/* replies are small and pipelined: do not let Nagle hold them */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}

	enum conn_limits_result limit =
		conn_limits_acquire(server->limits, info.peer_addr[0] != '\0' ? info.peer_addr : NULL);
	if (limit != CONN_LIMITS_OK) {
		log_warning(info.sid, sl->service->name, "refused", "peer=%s reason=%s", info.peer,
			    conn_limits_result_str(limit));
		sl->service->refuse(sl->service->context, fd, info.sid);
		close(fd);
		return;
	}

	struct net_server_handoff *h = xmalloc(sizeof(*h));
	h->server = server;
	h->service = sl->service;
	h->implicit_tls = sl->implicit_tls;
	h->worker = server->workers[server->next_worker++ % server->worker_count];
	h->fd = fd;
	h->info = info;
	net_worker_call(h->worker, net_server_conn_start, h);
}

static unsigned net_server_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (unsigned)n;
}

int net_server_start(struct net_server *server, struct event_base *base, struct storage *storage,
		     char **error_r)
{
	unsigned n = server->set.worker_threads != 0 ? server->set.worker_threads :
		     net_server_default_workers();
	if (n > NET_WORKERS_MAX)
		n = NET_WORKERS_MAX;
	server->workers = xcalloc(n, sizeof(*server->workers));
	for (unsigned i = 0; i < n; i++) {
		struct storage_conn *conn;
		const char *error;
		if (storage_connect(storage, &conn, &error) != 0) {
			*error_r = xasprintf("worker %u: storage: %s", i, error);
			return -1;
		}
		server->workers[i] = net_worker_create(i, conn);
		server->worker_count++;
		if (net_worker_start(server->workers[i], &error) < 0) {
			*error_r = xasprintf("worker %u: cannot start thread: %s", i, error);
			return -1;
		}
	}
	for (size_t i = 0; i < server->listener_count; i++)
		net_listener_start(server->listeners[i].listener, base, net_server_accept,
				   &server->listeners[i]);
	return 0;
}

unsigned net_server_worker_count(const struct net_server *server)
{
	return (unsigned)server->worker_count;
}

void net_server_describe_listeners(const struct net_server *server, struct buf *out)
{
	for (size_t i = 0; i < server->listener_count; i++) {
		if (server->listeners[i].listener == NULL)
			continue;
		if (out->len > 0)
			buf_append_byte(out, ',');
		buf_append_str(out, net_listener_bound(server->listeners[i].listener));
	}
}

void net_server_stop_listening(struct net_server *server)
{
	for (size_t i = 0; i < server->listener_count; i++)
		net_listener_free(&server->listeners[i].listener);
}

/* worker thread: ask each of its sessions to finish */
static void net_server_shutdown_worker(void *arg)
{
	struct net_worker *worker = arg;
	struct net_conn *conn = *net_worker_conns(worker);
	while (conn != NULL) {
		/* the hook may free conn */
		struct net_conn *next = net_conn_next(conn);
		net_conn_shutdown(conn);
		conn = next;
	}
}

void net_server_shutdown_sessions(struct net_server *server)
{
	atomic_store(&server->shutting_down, true);
	for (size_t i = 0; i < server->worker_count; i++)
		net_worker_call(server->workers[i], net_server_shutdown_worker, server->workers[i]);
}

unsigned net_server_connection_count(struct net_server *server)
{
	return conn_limits_total(server->limits);
}

/* worker thread, last call on its loop: disconnect whatever is left */
static void net_server_close_all(void *arg)
{
	struct net_worker *worker = arg;
	while (*net_worker_conns(worker) != NULL)
		net_conn_disconnect(*net_worker_conns(worker), "shutdown");
}

void net_server_stop_workers(struct net_server *server)
{
	if (server->workers_stopped)
		return;
	server->workers_stopped = true;
	for (size_t i = 0; i < server->worker_count; i++) {
		struct net_worker *worker = server->workers[i];
		net_worker_stop(worker, net_server_close_all, worker);
		struct storage_conn *conn = net_worker_storage(worker);
		storage_disconnect(&conn);
	}
}

unsigned net_server_run_pending(struct net_server *server)
{
	unsigned n = 0;
	for (size_t i = 0; i < server->worker_count; i++)
		n += net_worker_run_pending(server->workers[i]);
	return n;
}

void net_server_free(struct net_server **serverp)
{
	struct net_server *server = *serverp;
	if (server == NULL)
		return;
	*serverp = NULL;
	net_server_stop_listening(server);
	net_server_stop_workers(server);
	for (size_t i = 0; i < server->worker_count; i++)
		net_worker_free(&server->workers[i]);
	free(server->workers);
	free(server->listeners);
	conn_limits_free(&server->limits);
	free(server);
}
