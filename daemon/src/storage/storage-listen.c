/* storage-listen.c - the change listener of storage.h: one dedicated
 * PostgreSQL connection per process that LISTENs on the channel the
 * mailboxes trigger of schema/pgsql/005-notify.sql notifies, so changes
 * committed by other tandemd processes on the same database reach this
 * one's IDLE sessions. SQLite has nothing to listen to (no-op).
 *
 * The connection lives on its own thread, which sleeps in poll() on the
 * libpq socket and a wake pipe (for stop). Everything on that connection is
 * asynchronous (PQconnectStartParams/PQconnectPoll, PQsendQuery), so stop
 * never waits for a slow or dead server. A broken connection is retried
 * with a doubling back-off (LISTEN_BACKOFF_MIN_MS .. LISTEN_BACKOFF_MAX_MS);
 * after every (re)connection fn(STORAGE_CHANGED_ALL) says notices may have
 * been missed. Loss and recovery are logged once each.
 *
 * Never runs on, or blocks, a worker's event loop; never touches the
 * storage connections of other threads; never calls fn with a lock held.
 */
#include "storage-private.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The channel of schema/pgsql/005-notify.sql. */
#define LISTEN_CHANNEL "tandem_mailbox_changed"
/* Waits between connection attempts. */
#define LISTEN_BACKOFF_MIN_MS 100
#define LISTEN_BACKOFF_MAX_MS 2000
/* Longest wait for one connection attempt or the LISTEN reply. */
#define LISTEN_CONNECT_TIMEOUT_MS 10000
/* Longest error text kept for the log. */
#define LISTEN_ERROR_MAX 256

struct storage_listener {
	char *uri;
	storage_changed_fn *fn;
	void *context;
	pthread_t thread;
	int wake_fd[2];          /* stop writes a byte to [1] */
	PGconn *pg;              /* listener thread only */
	char error[LISTEN_ERROR_MAX];
};

enum listen_wait { LISTEN_READY, LISTEN_TIMEOUT, LISTEN_STOP };

static int64_t listen_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events (fd -1: only sleep), timeout_ms passes
 * (-1: never) or stop is asked. */
static enum listen_wait listen_wait(struct storage_listener *l, int fd, short events,
				    int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = l->wake_fd[0], .events = POLLIN },
		{ .fd = fd, .events = events },
	};
	int n;
	do {
		n = poll(pfd, fd < 0 ? 1 : 2, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
		return LISTEN_STOP;
	return n == 0 ? LISTEN_TIMEOUT : LISTEN_READY;
}

/* libpq's message for the connection, one line, into l->error. */
static void listen_set_error(struct storage_listener *l, const char *what)
{
	const char *msg = l->pg != NULL ? PQerrorMessage(l->pg) : "out of memory";
	size_t len = strcspn(msg, "\n");
	char text[LISTEN_ERROR_MAX];
	snprintf(l->error, sizeof(l->error), "%s: %s", what,
		 log_printable(msg, len, text, sizeof(text)));
}

static void listen_close(struct storage_listener *l)
{
	if (l->pg != NULL) {
		PQfinish(l->pg);
		l->pg = NULL;
	}
}

/* Connect without blocking on the server. 0 connected, -1 failed (error
 * in l->error), 1 stop asked. */
static int listen_connect(struct storage_listener *l)
{
	/* the URI (expanded from dbname) overrides the keywords before it */
	const char *const keywords[] = { "connect_timeout", "keepalives", "keepalives_idle",
					 "keepalives_interval", "keepalives_count",
					 "fallback_application_name", "dbname", "client_encoding",
					 NULL };
	const char *const values[] = { "10", "1", "30", "10", "3", "tandem-listen", l->uri, "UTF8",
				       NULL };
	l->pg = PQconnectStartParams(keywords, values, 1);
	if (l->pg == NULL || PQstatus(l->pg) == CONNECTION_BAD) {
		listen_set_error(l, "cannot connect");
		return -1;
	}
	int64_t deadline = listen_now_ms() + LISTEN_CONNECT_TIMEOUT_MS;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			listen_set_error(l, "cannot connect");
			return -1;
		}
		int left = (int)(deadline - listen_now_ms());
		if (left <= 0) {
			snprintf(l->error, sizeof(l->error), "cannot connect: timed out");
			return -1;
		}
		short events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		enum listen_wait w = listen_wait(l, PQsocket(l->pg), events, left);
		if (w == LISTEN_STOP)
			return 1;
		if (w == LISTEN_READY)
			st = PQconnectPoll(l->pg);
	}
	if (PQsetnonblocking(l->pg, 1) != 0 || PQsendQuery(l->pg, "LISTEN " LISTEN_CHANNEL) != 1) {
		listen_set_error(l, "LISTEN");
		return -1;
	}
	/* the query is tiny: one flush normally sends it all */
	while (PQflush(l->pg) == 1) {
		int left = (int)(deadline - listen_now_ms());
		if (left <= 0 || listen_wait(l, PQsocket(l->pg), POLLOUT, left) != LISTEN_READY) {
			snprintf(l->error, sizeof(l->error), "LISTEN: cannot send");
			return -1;
		}
	}
	bool ok = false, done = false;
	while (!done) {
		if (PQconsumeInput(l->pg) != 1) {
			listen_set_error(l, "LISTEN");
			return -1;
		}
		while (!PQisBusy(l->pg)) {
			PGresult *res = PQgetResult(l->pg);
			if (res == NULL) {
				done = true;
				break;
			}
			if (PQresultStatus(res) == PGRES_COMMAND_OK)
				ok = true;
			else
				listen_set_error(l, "LISTEN");
			PQclear(res);
		}
		if (done)
			break;
		int left = (int)(deadline - listen_now_ms());
		enum listen_wait w = left <= 0 ? LISTEN_TIMEOUT
				     : listen_wait(l, PQsocket(l->pg), POLLIN, left);
		if (w == LISTEN_STOP)
			return 1;
		if (w == LISTEN_TIMEOUT) {
			snprintf(l->error, sizeof(l->error), "LISTEN: no reply");
			return -1;
		}
	}
	return ok ? 0 : -1;
}

/* Parse a notification's payload: a mailbox id in decimal. */
static int listen_parse_id(const char *payload, int64_t *id_r)
{
	char *end;
	errno = 0;
	long long v = strtoll(payload, &end, 10);
	if (errno != 0 || end == payload || *end != '\0' || v <= 0)
		return -1;
	*id_r = (int64_t)v;
	return 0;
}

/* Read what arrived; pass every notification on. -1 when the connection
 * broke (error in l->error). */
static int listen_read(struct storage_listener *l)
{
	if (PQconsumeInput(l->pg) != 1) {
		listen_set_error(l, "connection lost");
		return -1;
	}
	/* results of nothing we sent: drain them */
	while (!PQisBusy(l->pg)) {
		PGresult *res = PQgetResult(l->pg);
		if (res == NULL)
			break;
		PQclear(res);
	}
	PGnotify *notify;
	while ((notify = PQnotifies(l->pg)) != NULL) {
		int64_t id;
		if (strcmp(notify->relname, LISTEN_CHANNEL) == 0 &&
		    listen_parse_id(notify->extra, &id) == 0)
			l->fn(id, l->context);
		PQfreemem(notify);
	}
	if (PQstatus(l->pg) != CONNECTION_OK) {
		listen_set_error(l, "connection lost");
		return -1;
	}
	return 0;
}

static void *listen_thread(void *arg)
{
	struct storage_listener *l = arg;
	int backoff_ms = LISTEN_BACKOFF_MIN_MS;
	bool connected_once = false, lost = false;
	for (;;) {
		int ret = listen_connect(l);
		if (ret > 0)
			break;
		if (ret < 0) {
			listen_close(l);
			if (!lost) {
				log_warning(NULL, "storage", "listen_lost", "error=\"%s\"", l->error);
				lost = true;
			}
			if (listen_wait(l, -1, 0, backoff_ms) == LISTEN_STOP)
				break;
			backoff_ms = backoff_ms * 2 > LISTEN_BACKOFF_MAX_MS ? LISTEN_BACKOFF_MAX_MS
									: backoff_ms * 2;
			continue;
		}
		if (lost)
			log_info(NULL, "storage", "listen_recovered", "channel=%s", LISTEN_CHANNEL);
		else if (!connected_once)
			log_info(NULL, "storage", "listen_started", "channel=%s backend_pid=%d",
				 LISTEN_CHANNEL, PQbackendPID(l->pg));
		connected_once = true;
		lost = false;
		backoff_ms = LISTEN_BACKOFF_MIN_MS;
		/* what changed while nobody listened is unknown */
		l->fn(STORAGE_CHANGED_ALL, l->context);

		enum listen_wait w;
		while ((w = listen_wait(l, PQsocket(l->pg), POLLIN, -1)) == LISTEN_READY) {
			if (listen_read(l) < 0)
				break;
		}
		listen_close(l);
		if (w == LISTEN_STOP)
			break;
		log_warning(NULL, "storage", "listen_lost", "error=\"%s\"", l->error);
		lost = true;
	}
	listen_close(l);
	return NULL;
}

int storage_listener_start(struct storage *storage, storage_changed_fn *fn, void *context,
			   struct storage_listener **listener_r, const char **error_r)
{
	*listener_r = NULL;
	if (strcmp(storage->db->name, "pgsql") != 0)
		return 0; /* one SQLite file, one process: nothing to hear */
	struct storage_listener *l = xcalloc(1, sizeof(*l));
	l->uri = xstrdup(storage->pgsql_uri);
	l->fn = fn;
	l->context = context;
	if (pipe2(l->wake_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(l->uri);
		free(l);
		*error_r = "cannot create the change listener's pipe";
		return -1;
	}
	if (pthread_create(&l->thread, NULL, listen_thread, l) != 0) {
		close(l->wake_fd[0]);
		close(l->wake_fd[1]);
		free(l->uri);
		free(l);
		*error_r = "cannot start the change listener's thread";
		return -1;
	}
	*listener_r = l;
	return 0;
}

void storage_listener_stop(struct storage_listener **listenerp)
{
	struct storage_listener *l = *listenerp;
	if (l == NULL)
		return;
	*listenerp = NULL;
	char byte = 0;
	while (write(l->wake_fd[1], &byte, 1) < 0 && errno == EINTR)
		;
	pthread_join(l->thread, NULL);
	close(l->wake_fd[0]);
	close(l->wake_fd[1]);
	free(l->uri);
	free(l);
}
