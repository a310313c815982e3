/* storage-commit.c - the group committer: one thread with its own database
 * connection that takes every queued delivery (up to commit_batch_max),
 * stores each inside its own SAVEPOINT of one write transaction, and
 * commits them together: one fsync for the whole batch.
 *
 * A delivery that fails is rolled back alone (TEMP); if the commit fails,
 * every delivery of the batch gets TEMP. Every queued delivery gets exactly
 * one done callback, called after the commit and outside the queue lock;
 * stopping drains the queue first. The only place that batches writes.
 */
#include "storage-private.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
};

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

static void commit_batch(struct storage_committer *c, struct commit_item *batch)
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
	}
}

static void *committer_thread(void *arg)
{
	struct storage_committer *c = arg;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (c->head == NULL && !c->stopping)
			pthread_cond_wait(&c->cond, &c->lock);
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

		commit_batch(c, batch);
		/* decided: no longer pending when its owner hears of it */
		pthread_mutex_lock(&c->lock);
		c->pending -= count;
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
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	int err = pthread_create(&c->thread, NULL, committer_thread, c);
	if (err != 0) {
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
