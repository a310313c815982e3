/* listener.h - listening sockets: parse `lmtp_listen` style specs, bind them
 * (as root, before privileges are dropped), then accept on the main thread's
 * event loop and hand each new socket to a callback.
 *
 * Spec forms: `host:port` (a name may give several addresses, `*:port` is
 * every address), `[v6]:port`, `unix:/path` (relative paths are relative to
 * the working directory). Port 0 picks a free port (see net_listener_bound()).
 * Never accepts on a worker thread; never blocks the loop.
 */
#ifndef TANDEM_NET_LISTENER_H
#define TANDEM_NET_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct net_listener;

#define NET_LISTEN_SPEC_MAX 110
/* Accept queue length (the kernel caps it at net.core.somaxconn). Generous on
 * purpose: when a burst of connections overflows it and SYN cookies are on,
 * a client may believe it is connected while the server never sees it. */
#define NET_LISTEN_BACKLOG 4096
#define NET_LISTENERS_MAX 64

struct net_listen_spec {
	bool is_unix;
	char host[NET_LISTEN_SPEC_MAX]; /* "" = every address */
	char port[8];
	char path[NET_LISTEN_SPEC_MAX]; /* UNIX socket path */
};

/* Parse one spec (surrounding blanks ignored). */
int net_listen_spec_parse(const char *spec, struct net_listen_spec *spec_r, char **error_r);
/* Parse a comma-separated list; *count_r specs into specs (size max). */
int net_listen_specs_parse(const char *list, struct net_listen_spec *specs, size_t max,
			   size_t *count_r, char **error_r);

/* Called on the main thread for each accepted socket (non-blocking, close-on-exec). */
typedef void net_listener_accept_fn(struct net_listener *listener, int fd,
				    const struct sockaddr *addr, socklen_t addrlen, void *context);

/* Bind and listen for every spec of the list; *listeners_r is an array of
 * *count_r listeners. On failure nothing stays bound and *error_r is an
 * allocated message. */
int net_listeners_bind(const char *list, unsigned unix_mode, struct net_listener ***listeners_r,
		       size_t *count_r, char **error_r);
/* Start accepting on base. */
void net_listener_start(struct net_listener *listener, struct event_base *base,
			net_listener_accept_fn *accept_fn, void *context);
/* Stop accepting, close the socket, remove a UNIX socket's file. */
void net_listener_free(struct net_listener **listener);

/* The spec as configured, e.g. "127.0.0.1:2424" or "unix:run/lmtp.sock". */
const char *net_listener_name(const struct net_listener *listener);
/* The address actually bound, e.g. "127.0.0.1:40123" (port 0 resolved). */
const char *net_listener_bound(const struct net_listener *listener);
bool net_listener_is_unix(const struct net_listener *listener);

/* Format a socket address as "ip:port" / "[ip6]:port" into out, and the IP
 * alone into addr_out (either may be NULL). UNIX sockets give "unix" / "". */
void net_sockaddr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outsize,
			 char *addr_out, size_t addr_outsize);

#endif
