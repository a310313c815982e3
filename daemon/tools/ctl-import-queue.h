/* ctl-import-queue.h - deliveries of `tandemctl import`: each message is
 * decomposed and handed to storage, through the group committer when the
 * context has it (many messages per transaction, a bounded number in flight)
 * or one storage_deliver() at a time otherwise. Failures are reported as
 * "tandemctl: import: <where>: <why>" and counted; the import goes on.
 *
 * Used from one thread (the committer's callback only touches the locked
 * fields). Never blocks except to wait for its own deliveries.
 */
#ifndef TANDEM_CTL_IMPORT_QUEUE_H
#define TANDEM_CTL_IMPORT_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

/* Deliveries queued for the group committer at once, and their bytes. */
#define CTL_IMPORT_INFLIGHT_MAX 256
#define CTL_IMPORT_INFLIGHT_BYTES_MAX (64u * 1024 * 1024)

struct ctl_import_item;

struct ctl_import_queue {
	struct ctl_context *ctx;
	int64_t user_id;
	unsigned imported, failed;

	/* shared with the committer thread's done callback */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ctl_import_item *done; /* finished, not yet reported */
	unsigned in_flight;
	size_t bytes_in_flight;
};

void ctl_import_queue_init(struct ctl_import_queue *queue, struct ctl_context *ctx,
			   int64_t user_id);
/* Waits for every delivery (ctl_import_queue_drain) and frees. */
void ctl_import_queue_deinit(struct ctl_import_queue *queue);

/* Deliver data (size bytes, allocated: taken over) into mailbox with flags
 * (STORAGE_FLAG_*) and the internal date; label (allocated, taken over)
 * names it in errors. May wait while too much is in flight. */
void ctl_import_queue_submit(struct ctl_import_queue *queue, unsigned char *data, size_t size,
			     const char *mailbox, uint32_t flags, int64_t internal_date,
			     char *label);
/* Wait for every queued delivery and report the finished ones. */
void ctl_import_queue_drain(struct ctl_import_queue *queue);

/* Report and count a failure: "<label>: <what>[: <detail>]". */
void ctl_import_queue_failed(struct ctl_import_queue *queue, const char *label, const char *what,
			     const char *detail);

#endif
