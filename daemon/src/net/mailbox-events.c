/* mailbox-events.c - mailbox change notification and \Recent boundaries
 * (see mailbox-events.h).
 *
 * One process-wide context (struct mailbox_events) under one mutex: the
 * list of watches and a sorted array of recent boundaries. A change marks
 * the mailbox's watches pending and queues one call on each watcher's
 * worker; there the pending watches of that worker are run one at a time
 * with the mutex released. A watch is freed only on its own worker thread,
 * so a pending watch found under the mutex is still alive when its callback
 * runs. Never calls out while holding the mutex (except net_worker_call,
 * which only queues).
 */
#include "mailbox-events.h"
#include "worker.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct mailbox_watch {
	struct mailbox_watch *prev, *next;
	int64_t mailbox_id;
	struct net_worker *worker;
	mailbox_events_fn *fn;
	void *context;
	bool pending;          /* changed since its callback last ran */
};

struct mailbox_recent {
	int64_t mailbox_id;
	uint32_t boundary;     /* lowest UID not claimed yet */
};

/* Everything shared between threads here. */
struct mailbox_events {
	pthread_mutex_t lock;
	struct mailbox_watch *watches;
	struct mailbox_recent *recent; /* ascending mailbox_id */
	size_t recent_count, recent_cap;
};

static struct mailbox_events mailbox_events = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

struct mailbox_watch *mailbox_events_watch(int64_t mailbox_id, struct net_worker *worker,
					   mailbox_events_fn *fn, void *context)
{
	struct mailbox_watch *watch = xcalloc(1, sizeof(*watch));
	watch->mailbox_id = mailbox_id;
	watch->worker = worker;
	watch->fn = fn;
	watch->context = context;
	pthread_mutex_lock(&mailbox_events.lock);
	watch->next = mailbox_events.watches;
	if (watch->next != NULL)
		watch->next->prev = watch;
	mailbox_events.watches = watch;
	pthread_mutex_unlock(&mailbox_events.lock);
	return watch;
}

void mailbox_events_unwatch(struct mailbox_watch **watchp)
{
	struct mailbox_watch *watch = *watchp;
	*watchp = NULL;
	if (watch == NULL)
		return;
	pthread_mutex_lock(&mailbox_events.lock);
	if (watch->prev != NULL)
		watch->prev->next = watch->next;
	else
		mailbox_events.watches = watch->next;
	if (watch->next != NULL)
		watch->next->prev = watch->prev;
	pthread_mutex_unlock(&mailbox_events.lock);
	free(watch);
}

/* worker thread: run the worker's pending watches, one at a time */
static void mailbox_events_dispatch(void *arg)
{
	struct net_worker *worker = arg;
	for (;;) {
		pthread_mutex_lock(&mailbox_events.lock);
		struct mailbox_watch *watch = mailbox_events.watches;
		while (watch != NULL && !(watch->pending && watch->worker == worker))
			watch = watch->next;
		if (watch != NULL)
			watch->pending = false;
		pthread_mutex_unlock(&mailbox_events.lock);
		if (watch == NULL)
			return;
		/* alive: only this thread frees it; it may unwatch itself */
		watch->fn(watch->context);
	}
}

void mailbox_events_changed(int64_t mailbox_id)
{
	mailbox_events_changed_except(mailbox_id, NULL);
}

void mailbox_events_changed_except(int64_t mailbox_id, const struct mailbox_watch *except)
{
	pthread_mutex_lock(&mailbox_events.lock);
	for (struct mailbox_watch *watch = mailbox_events.watches; watch != NULL;
	     watch = watch->next) {
		if (watch->mailbox_id != mailbox_id || watch->pending || watch == except)
			continue;
		watch->pending = true;
		net_worker_call(watch->worker, mailbox_events_dispatch, watch->worker);
	}
	pthread_mutex_unlock(&mailbox_events.lock);
}

void mailbox_events_changed_all(void)
{
	pthread_mutex_lock(&mailbox_events.lock);
	for (struct mailbox_watch *watch = mailbox_events.watches; watch != NULL;
	     watch = watch->next) {
		if (watch->pending)
			continue;
		watch->pending = true;
		net_worker_call(watch->worker, mailbox_events_dispatch, watch->worker);
	}
	pthread_mutex_unlock(&mailbox_events.lock);
}

/* The entry for mailbox_id, created (boundary 0) when absent. Locked. */
static struct mailbox_recent *mailbox_events_recent(int64_t mailbox_id)
{
	size_t lo = 0, hi = mailbox_events.recent_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mailbox_events.recent[mid].mailbox_id < mailbox_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < mailbox_events.recent_count && mailbox_events.recent[lo].mailbox_id == mailbox_id)
		return &mailbox_events.recent[lo];
	XARRAY_PUSH(mailbox_events.recent, mailbox_events.recent_count,
		    mailbox_events.recent_cap);
	struct mailbox_recent *r = &mailbox_events.recent[lo];
	memmove(r + 1, r, (mailbox_events.recent_count - 1 - lo) * sizeof(*r));
	r->mailbox_id = mailbox_id;
	r->boundary = 0;
	return r;
}

uint32_t mailbox_events_claim_recent(int64_t mailbox_id, uint32_t uidnext)
{
	pthread_mutex_lock(&mailbox_events.lock);
	struct mailbox_recent *r = mailbox_events_recent(mailbox_id);
	uint32_t before = r->boundary;
	if (uidnext > r->boundary)
		r->boundary = uidnext;
	pthread_mutex_unlock(&mailbox_events.lock);
	return before;
}

uint32_t mailbox_events_recent_boundary(int64_t mailbox_id)
{
	pthread_mutex_lock(&mailbox_events.lock);
	uint32_t boundary = mailbox_events_recent(mailbox_id)->boundary;
	pthread_mutex_unlock(&mailbox_events.lock);
	return boundary;
}
