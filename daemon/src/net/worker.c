/* worker.c - worker threads with their own event loop (see worker.h).
 * Never runs a connection's code on another thread; never blocks its loop
 * except for the fast local database work done by the services. */
#include "worker.h"
#include "log.h"
#include "xalloc.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct net_worker_call_item {
	struct net_worker_call_item *next;
	net_worker_fn *fn;
	void *arg;
};

struct net_worker {
	unsigned index;
	pthread_t thread;
	bool thread_started;
	struct event_base *base;
	struct event *call_event;      /* activated by net_worker_call() */
	struct storage_conn *storage_conn;

	pthread_mutex_t call_lock;     /* protects the queue and stopped */
	struct net_worker_call_item *calls_head, *calls_tail;
	bool stopped;                  /* loop gone: calls stay queued */

	struct net_conn *conns;        /* worker thread only */
	atomic_uint conn_count;
};

/* Take the whole queue at once, run it in order; calls queued meanwhile get
 * the event activated again. */
static void net_worker_run_queue(struct net_worker *worker)
{
	pthread_mutex_lock(&worker->call_lock);
	struct net_worker_call_item *item = worker->calls_head;
	worker->calls_head = worker->calls_tail = NULL;
	pthread_mutex_unlock(&worker->call_lock);
	while (item != NULL) {
		struct net_worker_call_item *next = item->next;
		item->fn(item->arg);
		free(item);
		item = next;
	}
}

static void net_worker_call_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_worker_run_queue(arg);
}

struct net_worker *net_worker_create(unsigned index, struct storage_conn *storage_conn)
{
	struct net_worker *worker = xcalloc(1, sizeof(*worker));
	worker->index = index;
	worker->storage_conn = storage_conn;
	worker->base = event_base_new();
	if (worker->base == NULL)
		fatal("worker %u: event_base_new failed", index);
	worker->call_event = event_new(worker->base, -1, 0, net_worker_call_cb, worker);
	if (worker->call_event == NULL)
		fatal("worker %u: event_new failed", index);
	pthread_mutex_init(&worker->call_lock, NULL);
	atomic_init(&worker->conn_count, 0);
	return worker;
}

static void *net_worker_thread(void *arg)
{
	struct net_worker *worker = arg;
	/* signals are the main thread's business */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	event_base_loop(worker->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int net_worker_start(struct net_worker *worker, const char **error_r)
{
	int ret = pthread_create(&worker->thread, NULL, net_worker_thread, worker);
	if (ret != 0) {
		*error_r = strerror(ret);
		return -1;
	}
	worker->thread_started = true;
	return 0;
}

void net_worker_call(struct net_worker *worker, net_worker_fn *fn, void *arg)
{
	struct net_worker_call_item *item = xmalloc(sizeof(*item));
	item->next = NULL;
	item->fn = fn;
	item->arg = arg;
	pthread_mutex_lock(&worker->call_lock);
	bool was_empty = worker->calls_head == NULL;
	if (worker->calls_tail != NULL)
		worker->calls_tail->next = item;
	else
		worker->calls_head = item;
	worker->calls_tail = item;
	/* activating under the lock: the loop cannot be freed meanwhile */
	if (was_empty && !worker->stopped)
		event_active(worker->call_event, EV_READ, 0);
	pthread_mutex_unlock(&worker->call_lock);
}

struct net_worker_stop_ctx {
	struct net_worker *worker;
	net_worker_fn *last_fn;
	void *arg;
};

static void net_worker_stop_on_loop(void *arg)
{
	struct net_worker_stop_ctx *ctx = arg;
	if (ctx->last_fn != NULL)
		ctx->last_fn(ctx->arg);
	/* from now on calls stay queued for net_worker_run_pending() */
	pthread_mutex_lock(&ctx->worker->call_lock);
	ctx->worker->stopped = true;
	pthread_mutex_unlock(&ctx->worker->call_lock);
	event_base_loopbreak(ctx->worker->base);
}

void net_worker_stop(struct net_worker *worker, net_worker_fn *last_fn, void *arg)
{
	if (!worker->thread_started) {
		pthread_mutex_lock(&worker->call_lock);
		worker->stopped = true;
		pthread_mutex_unlock(&worker->call_lock);
		return;
	}
	struct net_worker_stop_ctx ctx = { worker, last_fn, arg };
	net_worker_call(worker, net_worker_stop_on_loop, &ctx);
	pthread_join(worker->thread, NULL);
	worker->thread_started = false;
}

unsigned net_worker_run_pending(struct net_worker *worker)
{
	unsigned n = 0;
	for (;;) {
		pthread_mutex_lock(&worker->call_lock);
		bool empty = worker->calls_head == NULL;
		pthread_mutex_unlock(&worker->call_lock);
		if (empty)
			return n;
		net_worker_run_queue(worker);
		n++;
	}
}

void net_worker_free(struct net_worker **workerp)
{
	struct net_worker *worker = *workerp;
	if (worker == NULL)
		return;
	*workerp = NULL;
	net_worker_run_pending(worker);
	event_free(worker->call_event);
	event_base_free(worker->base);
	pthread_mutex_destroy(&worker->call_lock);
	free(worker);
}

unsigned net_worker_index(const struct net_worker *worker)
{
	return worker->index;
}

struct event_base *net_worker_base(struct net_worker *worker)
{
	return worker->base;
}

struct storage_conn *net_worker_storage(struct net_worker *worker)
{
	return worker->storage_conn;
}

struct net_conn **net_worker_conns(struct net_worker *worker)
{
	return &worker->conns;
}

unsigned net_worker_conn_count(struct net_worker *worker)
{
	return atomic_load(&worker->conn_count);
}

void net_worker_conn_count_add(struct net_worker *worker, int delta)
{
	if (delta >= 0)
		atomic_fetch_add(&worker->conn_count, (unsigned)delta);
	else
		atomic_fetch_sub(&worker->conn_count, (unsigned)-delta);
}
