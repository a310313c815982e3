/* ctl-import-queue.c - store the messages `tandemctl import` found (see
 * ctl-import-queue.h): decompose each with mime_message_parse(), deliver it
 * with the quota not enforced, report each failure and count the outcomes.
 *
 * With the group committer the deliveries go through
 * storage_deliver_async(), at most CTL_IMPORT_INFLIGHT_MAX (and
 * CTL_IMPORT_INFLIGHT_BYTES_MAX) at once; the committer's thread only moves
 * a finished delivery to the done list under the lock, and the main thread
 * reports and frees it. Never prints from the committer's thread.
 */
#include "ctl-import-queue.h"
#include "mime.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>

struct ctl_import_item {
	struct ctl_import_queue *queue;
	struct storage_delivery delivery;
	struct storage_delivery_rcpt rcpt;
	struct mime_message *msg;
	unsigned char *data;
	size_t size;
	char *label;   /* where the message came from, for errors */
	char *mailbox;
	struct ctl_import_item *next;
};

void ctl_import_queue_init(struct ctl_import_queue *queue, struct ctl_context *ctx,
			   int64_t user_id)
{
	queue->ctx = ctx;
	queue->user_id = user_id;
	queue->imported = queue->failed = 0;
	queue->done = NULL;
	queue->in_flight = 0;
	queue->bytes_in_flight = 0;
	pthread_mutex_init(&queue->lock, NULL);
	pthread_cond_init(&queue->cond, NULL);
}

void ctl_import_queue_deinit(struct ctl_import_queue *queue)
{
	ctl_import_queue_drain(queue);
	pthread_cond_destroy(&queue->cond);
	pthread_mutex_destroy(&queue->lock);
}

void ctl_import_queue_failed(struct ctl_import_queue *queue, const char *label, const char *what,
			     const char *detail)
{
	char safe[1024];
	queue->failed++;
	ctl_fail(queue->ctx, "%s: %s%s%s", ctl_printable(label, safe, sizeof(safe)), what,
		 detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static void ctl_import_item_free(struct ctl_import_item **item)
{
	mime_message_free(&(*item)->msg);
	free((*item)->data);
	free((*item)->label);
	free((*item)->mailbox);
	free(*item);
	*item = NULL;
}

/* Count and report a finished delivery, then free it. */
static void ctl_import_item_finish(struct ctl_import_queue *queue, struct ctl_import_item *item)
{
	if (item->delivery.result != STORAGE_OK)
		ctl_import_queue_failed(queue, item->label,
					storage_result_str(item->delivery.result),
					item->delivery.error[0] != '\0' ? item->delivery.error : NULL);
	else if (item->rcpt.result != STORAGE_OK)
		ctl_import_queue_failed(queue, item->label, storage_result_str(item->rcpt.result),
					NULL);
	else
		queue->imported++;
	ctl_import_item_free(&item);
}

/* Group committer thread: hand the delivery back to the main thread. */
static void ctl_import_done(struct storage_delivery *delivery, void *context)
{
	(void)delivery;
	struct ctl_import_item *item = context;
	struct ctl_import_queue *queue = item->queue;
	pthread_mutex_lock(&queue->lock);
	item->next = queue->done;
	queue->done = item;
	queue->in_flight--;
	queue->bytes_in_flight -= item->size;
	pthread_cond_signal(&queue->cond);
	pthread_mutex_unlock(&queue->lock);
}

/* Report what the committer has finished, in the order it was queued. */
static void ctl_import_reap(struct ctl_import_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	struct ctl_import_item *list = queue->done;
	queue->done = NULL;
	pthread_mutex_unlock(&queue->lock);
	/* the list is newest first */
	struct ctl_import_item *ordered = NULL;
	while (list != NULL) {
		struct ctl_import_item *next = list->next;
		list->next = ordered;
		ordered = list;
		list = next;
	}
	while (ordered != NULL) {
		struct ctl_import_item *next = ordered->next;
		ctl_import_item_finish(queue, ordered);
		ordered = next;
	}
}

void ctl_import_queue_drain(struct ctl_import_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	while (queue->in_flight > 0)
		pthread_cond_wait(&queue->cond, &queue->lock);
	pthread_mutex_unlock(&queue->lock);
	ctl_import_reap(queue);
}

/* Wait until one more delivery of size bytes may be queued, and count it. */
static void ctl_import_reserve(struct ctl_import_queue *queue, size_t size)
{
	for (;;) {
		ctl_import_reap(queue);
		pthread_mutex_lock(&queue->lock);
		if (queue->in_flight < CTL_IMPORT_INFLIGHT_MAX &&
		    (queue->in_flight == 0 ||
		     queue->bytes_in_flight + size <= CTL_IMPORT_INFLIGHT_BYTES_MAX)) {
			queue->in_flight++;
			queue->bytes_in_flight += size;
			pthread_mutex_unlock(&queue->lock);
			return;
		}
		while (queue->done == NULL)
			pthread_cond_wait(&queue->cond, &queue->lock);
		pthread_mutex_unlock(&queue->lock);
	}
}

void ctl_import_queue_submit(struct ctl_import_queue *queue, unsigned char *data, size_t size,
			     const char *mailbox, uint32_t flags, int64_t internal_date,
			     char *label)
{
	struct mime_message *msg = NULL;
	const char *error = NULL;
	if (size == 0) {
		ctl_import_queue_failed(queue, label, "empty message", NULL);
		free(data);
		free(label);
		return;
	}
	if (mime_message_parse(data, size, &msg, &error) < 0) {
		ctl_import_queue_failed(queue, label, "cannot parse the message", error);
		free(data);
		free(label);
		return;
	}
	struct ctl_import_item *item = xcalloc(1, sizeof(*item));
	item->queue = queue;
	item->msg = msg;
	item->data = data;
	item->size = size;
	item->label = label;
	item->mailbox = xstrdup(mailbox);
	item->rcpt.user_id = queue->user_id;
	item->rcpt.mailbox = item->mailbox;
	item->rcpt.flags = flags;
	item->rcpt.trace = NULL;
	item->rcpt.enforce_quota = false;
	item->delivery.message = msg;
	item->delivery.internal_date = internal_date;
	item->delivery.rcpts = &item->rcpt;
	item->delivery.rcpt_count = 1;

	if (!queue->ctx->committer) {
		enum storage_result res = storage_deliver(queue->ctx->conn, &item->delivery, &error);
		if (res != STORAGE_OK && item->delivery.result == STORAGE_OK) {
			item->delivery.result = res;
			snprintf(item->delivery.error, sizeof(item->delivery.error), "%s",
				 error != NULL ? error : "");
		}
		ctl_import_item_finish(queue, item);
		return;
	}
	ctl_import_reserve(queue, size);
	storage_deliver_async(queue->ctx->storage, &item->delivery, ctl_import_done, item);
}
