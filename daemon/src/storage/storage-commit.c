/* storage-commit.c - the group committer: one thread with its own database
 * connection that takes every queued delivery (up to commit_batch_max),
 * stores each inside its own SAVEPOINT of one write transaction, and
 * commits them together: one fsync for the whole batch.
 *
 * A delivery that fails is rolled back alone (TEMP); if the commit fails,
 * every delivery of the batch gets TEMP. Every queued delivery gets exactly
 * one done callback, called after the commit and outside the queue lock;
 * stopping drains the queue first. The only place that batches writes.
 *
 * With the full-text index on, deliveries write no index rows; the same
 * thread runs the background indexer (storage_fulltext_index_step) when no
 * delivery is queued: after deliveries committed, and once at start to
 * catch up. SQLite has one writer at a time, so indexing on this thread
 * never makes a delivery meet "database is locked". A step waits for
 * COMMIT_INDEX_QUIET_MS without deliveries (so a burst is not slowed by
 * it), or under steady load runs at most once per COMMIT_INDEX_DEFER_MS;
 * it stops decoding as soon as a delivery is queued, so a delivery waits
 * at most for one message's decoding and one short index transaction.
 * Stopping never starts a step: deliveries are drained, unindexed
 * messages are caught up after the next start.
 */
#include "storage-private.h"
#include "log.h"
#include "mime.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct commit_item {
	struct storage_delivery *delivery;
	storage_delivery_done_cb *done;
	void *context;
	struct commit_item *next;
};

struct storage_committer {
	struct storage_conn *conn; /* used only by the thread once started */
	unsigned batch_max;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock: */
	struct commit_item *head, *tail;
	unsigned pending;  /* queued + being committed */
	bool stopping;     /* deinit asked the thread to finish */
	bool exited;       /* the thread has left: nothing more is taken */
	bool index_wanted; /* the indexer may have work (fulltext only) */
	/* used only by the thread: */
	int64_t last_batch_ms; /* monotonic time the last delivery batch was taken */
	int64_t last_index_ms; /* ... and the last index step ran */
	bool fulltext;        /* settings.fulltext_index */
	int64_t index_cursor; /* storage_fulltext_index_step's cursor */
	bool index_failing;   /* the last step failed (logged once) */
};

/* Messages indexed per step at most when nobody else writes (each step is
 * one write transaction: bigger amortises the commit; it stops early,
 * decoding or writing, as soon as a delivery is queued or another
 * connection starts writing)... */
#define COMMIT_INDEX_STEP 64
/* ...and when deliveries or other writers are busy: a step then holds
 * SQLite's one write lock for a few milliseconds only, since a worker
 * waiting for it stalls every session of its event loop. */
#define COMMIT_INDEX_STEP_BUSY 2
/* Quiet: no delivery batch and no other writer for this long. */
#define COMMIT_INDEX_QUIET_MS 250
/* Under steady load a small step runs once in this long all the same. */
#define COMMIT_INDEX_DEFER_MS 1000

static int64_t monotonic_ms(void)
{
	return storage_monotonic_ms();
}

/* The last write activity: a delivery batch or another connection's write. */
static int64_t last_activity_ms(const struct storage_committer *c)
{
	int64_t other = atomic_load_explicit(&c->conn->storage->last_write_ms,
					     memory_order_relaxed);
	return other > c->last_batch_ms ? other : c->last_batch_ms;
}

/* With the lock held and index work wanted but no delivery queued: 0 when
 * a step may run now, else how many ms to wait before it may. */
static int64_t index_delay_ms(const struct storage_committer *c, int64_t now)
{
	int64_t quiet = last_activity_ms(c) + COMMIT_INDEX_QUIET_MS - now;
	int64_t deferred = c->last_index_ms + COMMIT_INDEX_DEFER_MS - now;
	int64_t wait = quiet < deferred ? quiet : deferred;
	return wait > 0 ? wait : 0;
}

/* Wait on the condition at most ms (lock held). */
static void cond_wait_ms(struct storage_committer *c, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&c->cond, &c->lock, &ts);
}

/* One delivery inside the batch, under its own savepoint. Returns false if
 * the transaction itself is lost (the batch must be abandoned). */
static bool commit_one(struct storage_conn *conn, struct storage_delivery *delivery)
{
	const char *error;
	enum db_status status = sdb_exec(conn, "SAVEPOINT tandem_delivery", DB_NOARGS);
	if (status != DB_OK) {
		storage_db_fail(conn, status, "savepoint", &error);
		storage_delivery_fail_all(delivery, STORAGE_ERR_TEMP, error);
		return false;
	}
	enum storage_result result = storage_deliver_txn(conn, delivery, &error);
	if (result == STORAGE_OK) {
		status = sdb_exec(conn, "RELEASE SAVEPOINT tandem_delivery", DB_NOARGS);
		if (status == DB_OK)
			return true;
		storage_db_fail(conn, status, "release savepoint", &error);
		storage_delivery_fail_all(delivery, STORAGE_ERR_TEMP, error);
		return false;
	}
	/* storage_deliver_txn already marked the delivery failed */
	status = sdb_exec(conn, "ROLLBACK TO SAVEPOINT tandem_delivery", DB_NOARGS);
	if (status == DB_OK)
		status = sdb_exec(conn, "RELEASE SAVEPOINT tandem_delivery", DB_NOARGS);
	return status == DB_OK;
}

/* Returns true when the batch committed. */
static bool commit_batch(struct storage_committer *c, struct commit_item *batch)
{
	struct storage_conn *conn = c->conn;
	const char *error;
	struct commit_item *item;

	enum storage_result result = storage_begin(conn, true, &error);
	for (item = batch; result == STORAGE_OK && item != NULL; item = item->next) {
		if (!commit_one(conn, item->delivery)) {
			result = STORAGE_ERR_TEMP;
			error = item->delivery->error;
			storage_rollback(conn);
		}
	}
	if (result == STORAGE_OK)
		result = storage_commit(conn, &error);
	if (result != STORAGE_OK) {
		/* nothing of the batch is stored: copy the text before it is reused */
		char text[sizeof(batch->delivery->error)];
		storage_strlcpy(text, error, sizeof(text));
		for (item = batch; item != NULL; item = item->next)
			storage_delivery_fail_all(item->delivery, STORAGE_ERR_TEMP, text);
		return false;
	}
	return true;
}

/* The index step's yield: a delivery is queued, another connection began
 * writing since the step started, or stop was asked. */
static bool deliveries_waiting(void *context)
{
	struct storage_committer *c = context;
	if (atomic_load_explicit(&c->conn->storage->last_write_ms, memory_order_relaxed) >=
	    c->last_index_ms)
		return true;
	pthread_mutex_lock(&c->lock);
	bool waiting = c->head != NULL || c->stopping;
	pthread_mutex_unlock(&c->lock);
	return waiting;
}

/* One step of the background indexer; index_wanted stays set while there
 * is more to do. A failure stops the indexer until deliveries commit again
 * (the messages stay searchable by scanning). */
static void index_step(struct storage_committer *c, unsigned max)
{
	unsigned indexed = 0;
	bool done = false;
	const char *error = NULL;
	enum storage_result result = storage_fulltext_index_step(c->conn, &c->index_cursor, max,
								 deliveries_waiting, c, &indexed,
								 &done, &error);
	if (result != STORAGE_OK && !c->index_failing)
		log_warning(NULL, "storage", "fulltext-index-failed", "error=%s",
			    error != NULL ? error : storage_result_str(result));
	else if (result == STORAGE_OK && c->index_failing)
		log_info(NULL, "storage", "fulltext-index-resumed", "cursor=%lld",
			 (long long)c->index_cursor);
	if (result == STORAGE_OK && (indexed > 0 || done))
		log_debug(NULL, "storage", "fulltext-indexed", "messages=%u cursor=%lld done=%s",
			  indexed, (long long)c->index_cursor, done ? "yes" : "no");
	c->index_failing = result != STORAGE_OK;
	if (result != STORAGE_OK || done) {
		pthread_mutex_lock(&c->lock);
		c->index_wanted = false;
		pthread_mutex_unlock(&c->lock);
	}
}

/* New messages to index (lock held); look one window back too: SQLite
 * may reuse the ids of messages deleted at the top. */
static void index_wanted_locked(struct storage_committer *c)
{
	if (!c->fulltext || c->index_wanted)
		return;
	c->index_wanted = true;
	c->index_cursor = c->index_cursor > STORAGE_FULLTEXT_WINDOW
				  ? c->index_cursor - STORAGE_FULLTEXT_WINDOW
				  : 0;
	pthread_cond_signal(&c->cond);
}

void storage_committer_index_wanted(struct storage *storage)
{
	struct storage_committer *c = storage->committer;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	index_wanted_locked(c);
	pthread_mutex_unlock(&c->lock);
}

static void *committer_thread(void *arg)
{
	struct storage_committer *c = arg;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (c->head == NULL && !c->stopping && !c->index_wanted)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->head == NULL && !c->stopping) {
			int64_t now = monotonic_ms(), delay = index_delay_ms(c, now);
			if (delay > 0) {
				cond_wait_ms(c, delay);
				pthread_mutex_unlock(&c->lock);
				continue; /* look again: a delivery may have come */
			}
			pthread_mutex_unlock(&c->lock);
			bool busy = now - last_activity_ms(c) < COMMIT_INDEX_QUIET_MS;
			c->last_index_ms = now;
			index_step(c, busy ? COMMIT_INDEX_STEP_BUSY : COMMIT_INDEX_STEP);
			continue;
		}
		if (c->head == NULL) {
			c->exited = true;
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		struct commit_item *batch = c->head, *last = c->head;
		unsigned count = 1;
		while (last->next != NULL && count < c->batch_max) {
			last = last->next;
			count++;
		}
		c->head = last->next;
		if (c->head == NULL)
			c->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&c->lock);
		c->last_batch_ms = monotonic_ms();

		bool stored = commit_batch(c, batch);
		/* decided: no longer pending when its owner hears of it */
		pthread_mutex_lock(&c->lock);
		c->pending -= count;
		if (stored)
			index_wanted_locked(c);
		pthread_mutex_unlock(&c->lock);
		while (batch != NULL) {
			struct commit_item *next = batch->next;
			batch->done(batch->delivery, batch->context);
			free(batch);
			batch = next;
		}
	}
}

int storage_committer_start(struct storage *storage, struct storage_conn *conn,
			    const char **error_r)
{
	struct storage_committer *c = xcalloc(1, sizeof(*c));
	c->conn = conn;
	c->batch_max = storage->set.commit_batch_max;
	c->fulltext = storage->set.fulltext_index;
	c->index_wanted = c->fulltext; /* catch up with what is unindexed */
	/* ...after a quiet period, like any step: a short-lived process
	 * (tandemctl) seldom gets to it */
	c->last_batch_ms = monotonic_ms();
	conn->is_committer = true;
	if (c->fulltext)
		mime_init(); /* the indexer decodes with GMime: keep it up (counted) */
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &attr);
	pthread_condattr_destroy(&attr);
	int err = pthread_create(&c->thread, NULL, committer_thread, c);
	if (err != 0) {
		if (c->fulltext)
			mime_deinit();
		storage_fail(conn, STORAGE_ERR_TEMP, error_r,
			     "cannot start the group committer thread: %s", strerror(err));
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -1;
	}
	storage->committer = c;
	return 0;
}

void storage_committer_stop(struct storage *storage)
{
	struct storage_committer *c = storage->committer;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	if (c->fulltext)
		mime_deinit();
	storage_disconnect(&c->conn);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	storage->committer = NULL;
}

void storage_deliver_async(struct storage *storage, struct storage_delivery *delivery,
			   storage_delivery_done_cb *done, void *context)
{
	struct storage_committer *c = storage->committer;
	if (c != NULL) {
		struct commit_item *item = xcalloc(1, sizeof(*item));
		item->delivery = delivery;
		item->done = done;
		item->context = context;
		pthread_mutex_lock(&c->lock);
		if (!c->exited) {
			if (c->tail == NULL)
				c->head = item;
			else
				c->tail->next = item;
			c->tail = item;
			c->pending++;
			pthread_cond_signal(&c->cond);
			pthread_mutex_unlock(&c->lock);
			return;
		}
		pthread_mutex_unlock(&c->lock);
		free(item);
	}
	storage_delivery_fail_all(delivery, STORAGE_ERR_TEMP, c == NULL ? "storage has no group committer"
						      : "storage is shutting down");
	done(delivery, context);
}

unsigned storage_deliveries_pending(struct storage *storage)
{
	struct storage_committer *c = storage->committer;
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	unsigned pending = c->pending;
	pthread_mutex_unlock(&c->lock);
	return pending;
}
