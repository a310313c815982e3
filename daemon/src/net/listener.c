/* listener.c - bind and accept on listening sockets (see listener.h).
 * Binding happens once at start-up; accepting runs on the main loop and
 * pauses for a second when the process is out of file descriptors instead of
 * spinning. Never reads or writes client data. */
#include "listener.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NET_LISTENER_RETRY_SECS 1

struct net_listener {
	char name[NET_LISTEN_SPEC_MAX + 8];
	char bound[NET_LISTEN_SPEC_MAX + 8];
	bool is_unix;
	char path[NET_LISTEN_SPEC_MAX];
	int fd;
	struct evconnlistener *evl;
	struct event *retry_event;
	net_listener_accept_fn *accept_fn;
	void *context;
};

static char *net_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

static int net_port_check(const char *port, const char *spec, char **error_r)
{
	size_t len = strlen(port);
	if (len == 0 || len > 5 || strspn(port, "0123456789") != len || atoi(port) > 65535) {
		*error_r = xasprintf("'%s': bad port '%s'", spec, port);
		return -1;
	}
	return 0;
}

int net_listen_spec_parse(const char *spec_in, struct net_listen_spec *spec_r, char **error_r)
{
	char copy[NET_LISTEN_SPEC_MAX];
	memset(spec_r, 0, sizeof(*spec_r));
	if (strlen(spec_in) >= sizeof(copy)) {
		*error_r = xasprintf("listen address too long");
		return -1;
	}
	strcpy(copy, spec_in);
	char *spec = net_trim(copy);
	if (*spec == '\0') {
		*error_r = xasprintf("empty listen address");
		return -1;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		const char *path = spec + 5;
		if (*path == '\0' || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
		    strlen(path) >= sizeof(spec_r->path)) {
			*error_r = xasprintf("'%s': UNIX socket path empty or too long", spec);
			return -1;
		}
		spec_r->is_unix = true;
		strcpy(spec_r->path, path);
		return 0;
	}
	const char *host, *port;
	if (spec[0] == '[') {
		char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':') {
			*error_r = xasprintf("'%s': expected [address]:port", spec);
			return -1;
		}
		*close = '\0';
		host = spec + 1;
		port = close + 2;
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			*error_r = xasprintf("'%s]:%s': bad IPv6 address", spec, port);
			return -1;
		}
	} else {
		char *colon = strrchr(spec, ':');
		if (colon == NULL) {
			*error_r = xasprintf("'%s': expected host:port, [address]:port or unix:/path", spec);
			return -1;
		}
		*colon = '\0';
		host = spec;
		port = colon + 1;
		if (strchr(host, ':') != NULL) {
			*error_r = xasprintf("'%s:%s': write IPv6 addresses as [address]:port", spec, port);
			return -1;
		}
		if (strcmp(host, "*") == 0)
			host = "";
	}
	if (net_port_check(port, spec_in, error_r) < 0)
		return -1;
	snprintf(spec_r->host, sizeof(spec_r->host), "%s", host);
	snprintf(spec_r->port, sizeof(spec_r->port), "%s", port);
	return 0;
}

int net_listen_specs_parse(const char *list, struct net_listen_spec *specs, size_t max,
			   size_t *count_r, char **error_r)
{
	char *copy = xstrdup(list);
	char *save = NULL;
	size_t count = 0;
	int ret = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (count == max) {
			*error_r = xasprintf("more than %zu listen addresses", max);
			ret = -1;
			break;
		}
		if (net_listen_spec_parse(tok, &specs[count], error_r) < 0) {
			ret = -1;
			break;
		}
		count++;
	}
	free(copy);
	if (ret == 0 && count == 0) {
		*error_r = xasprintf("no listen address");
		ret = -1;
	}
	*count_r = count;
	return ret;
}

void net_sockaddr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outsize,
			 char *addr_out, size_t addr_outsize)
{
	char ip[INET6_ADDRSTRLEN] = "";
	unsigned port = 0;
	bool v6 = false;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
		v6 = true;
	}
	if (out != NULL) {
		if (ip[0] == '\0')
			snprintf(out, outsize, "unix");
		else
			snprintf(out, outsize, v6 ? "[%s]:%u" : "%s:%u", ip, port);
	}
	if (addr_out != NULL)
		snprintf(addr_out, addr_outsize, "%s", ip);
}

static struct net_listener *net_listener_new(const char *name, int fd)
{
	struct net_listener *l = xcalloc(1, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->fd = fd;
	return l;
}

static int net_bind_unix(const struct net_listen_spec *spec, unsigned mode,
			 struct net_listener **listener_r, char **error_r)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, spec->path);

	struct stat st;
	if (lstat(spec->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*error_r = xasprintf("unix:%s: exists and is not a socket", spec->path);
			return -1;
		}
		/* a live server answers; a stale socket file is removed */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			*error_r = xasprintf("unix:%s: in use by another process", spec->path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		if (unlink(spec->path) < 0) {
			*error_r = xasprintf("unix:%s: cannot remove stale socket: %s", spec->path,
					     strerror(errno));
			return -1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = xasprintf("unix:%s: socket: %s", spec->path, strerror(errno));
		return -1;
	}
	/* never world-accessible, even for the moment between bind and chmod */
	mode_t old_umask = umask(0177);
	int ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (ret < 0 || chmod(spec->path, (mode_t)mode) < 0 || listen(fd, NET_LISTEN_BACKLOG) < 0) {
		*error_r = xasprintf("unix:%s: %s", spec->path, strerror(errno));
		close(fd);
		if (ret == 0)
			unlink(spec->path);
		return -1;
	}
	char name[NET_LISTEN_SPEC_MAX + 8];
	snprintf(name, sizeof(name), "unix:%s", spec->path);
	struct net_listener *l = net_listener_new(name, fd);
	l->is_unix = true;
	strcpy(l->path, spec->path);
	snprintf(l->bound, sizeof(l->bound), "%s", name);
	*listener_r = l;
	return 0;
}

static int net_bind_inet(const struct net_listen_spec *spec, struct net_listener **out,
			 size_t max, size_t *count_r, char **error_r)
{
	char name[NET_LISTEN_SPEC_MAX + 8];
	bool v6 = strchr(spec->host, ':') != NULL;
	snprintf(name, sizeof(name), v6 ? "[%s]:%s" : "%s:%s",
		 spec->host[0] != '\0' ? spec->host : "*", spec->port);

	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(spec->host[0] != '\0' ? spec->host : NULL, spec->port, &hints, &res);
	if (gai != 0) {
		*error_r = xasprintf("%s: %s", name, gai_strerror(gai));
		return -1;
	}
	size_t count = 0;
	int ret = 0;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (count == max) {
			*error_r = xasprintf("%s: too many addresses", name);
			ret = -1;
			break;
		}
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			*error_r = xasprintf("%s: socket: %s", name, strerror(errno));
			ret = -1;
			break;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, NET_LISTEN_BACKLOG) < 0) {
			*error_r = xasprintf("%s: %s", name, strerror(errno));
			close(fd);
			ret = -1;
			break;
		}
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		struct net_listener *l = net_listener_new(name, fd);
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
			net_sockaddr_format((struct sockaddr *)&ss, sslen, l->bound, sizeof(l->bound),
					    NULL, 0);
		else
			snprintf(l->bound, sizeof(l->bound), "%s", name);
		out[count++] = l;
	}
	freeaddrinfo(res);
	if (ret < 0) {
		for (size_t i = 0; i < count; i++)
			net_listener_free(&out[i]);
		count = 0;
	}
	*count_r = count;
	return ret;
}

int net_listeners_bind(const char *list, unsigned unix_mode, struct net_listener ***listeners_r,
		       size_t *count_r, char **error_r)
{
	struct net_listen_spec specs[NET_LISTENERS_MAX];
	size_t spec_count;
	if (net_listen_specs_parse(list, specs, NET_LISTENERS_MAX, &spec_count, error_r) < 0)
		return -1;

	struct net_listener **listeners = xcalloc(NET_LISTENERS_MAX, sizeof(*listeners));
	size_t count = 0;
	for (size_t i = 0; i < spec_count; i++) {
		if (specs[i].is_unix) {
			if (count == NET_LISTENERS_MAX) {
				*error_r = xasprintf("more than %d listening sockets", NET_LISTENERS_MAX);
				goto fail;
			}
			if (net_bind_unix(&specs[i], unix_mode, &listeners[count], error_r) < 0)
				goto fail;
			count++;
		} else {
			size_t n;
			if (net_bind_inet(&specs[i], listeners + count, NET_LISTENERS_MAX - count, &n,
					  error_r) < 0)
				goto fail;
			count += n;
		}
	}
	*listeners_r = listeners;
	*count_r = count;
	return 0;
fail:
	for (size_t i = 0; i < count; i++)
		net_listener_free(&listeners[i]);
	free(listeners);
	return -1;
}

static void net_listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
				   struct sockaddr *addr, int addrlen, void *arg)
{
	(void)evl;
	struct net_listener *l = arg;
	l->accept_fn(l, fd, addr, (socklen_t)addrlen, l->context);
}

static void net_listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct net_listener *l = arg;
	evconnlistener_enable(l->evl);
}

static void net_listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct net_listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	log_error(NULL, NULL, "accept_failed", "listener=%s error=\"%s\"", l->name,
		  evutil_socket_error_to_string(err));
	/* EMFILE and friends: the socket stays readable; pause instead of spinning */
	evconnlistener_disable(evl);
	struct timeval tv = { NET_LISTENER_RETRY_SECS, 0 };
	evtimer_add(l->retry_event, &tv);
}

void net_listener_start(struct net_listener *l, struct event_base *base,
			net_listener_accept_fn *accept_fn, void *context)
{
	l->accept_fn = accept_fn;
	l->context = context;
	/* backlog 0: the socket already listens with NET_LISTEN_BACKLOG (-1
	 * would make libevent call listen(fd, 128) again) */
	l->evl = evconnlistener_new(base, net_listener_accept_cb, l, LEV_OPT_CLOSE_ON_FREE, 0, l->fd);
	if (l->evl == NULL)
		fatal("evconnlistener_new failed for %s", l->name);
	l->fd = -1; /* owned by evl now */
	l->retry_event = evtimer_new(base, net_listener_retry_cb, l);
	if (l->retry_event == NULL)
		fatal("evtimer_new failed");
	evconnlistener_set_error_cb(l->evl, net_listener_error_cb);
}

void net_listener_free(struct net_listener **lp)
{
	struct net_listener *l = *lp;
	if (l == NULL)
		return;
	*lp = NULL;
	if (l->evl != NULL)
		evconnlistener_free(l->evl);
	if (l->retry_event != NULL)
		event_free(l->retry_event);
	if (l->fd >= 0)
		close(l->fd);
	if (l->is_unix)
		(void)unlink(l->path); /* may fail after dropping privileges: harmless */
	free(l);
}

const char *net_listener_name(const struct net_listener *l)
{
	return l->name;
}

const char *net_listener_bound(const struct net_listener *l)
{
	return l->bound;
}

bool net_listener_is_unix(const struct net_listener *l)
{
	return l->is_unix;
}
