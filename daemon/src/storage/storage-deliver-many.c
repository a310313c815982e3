/* storage-deliver-many.c - several messages stored in one transaction,
 * all or nothing (IMAP MULTIAPPEND, RFC 3502): each delivery goes through
 * the same per-delivery code as storage_deliver (storage_deliver_txn), and
 * the first recipient that is not OK (quota, missing mailbox, bad input,
 * database trouble) rolls every one of them back.
 *
 * Never commits a part of the batch, and never goes through the group
 * committer: the caller waits for the one commit.
 */
#include "storage-private.h"

/* Every delivery gets result (nothing of the batch was stored). */
static void deliver_many_fail(struct storage_delivery *deliveries, size_t count,
			      enum storage_result result, const char *error)
{
	for (size_t i = 0; i < count; i++)
		storage_delivery_fail_all(&deliveries[i], result, error);
}

/* Store every delivery inside the open transaction; the first failure
 * (a delivery's or a recipient's) is returned with conn->error set. */
static enum storage_result deliver_many_txn(struct storage_conn *conn,
					    struct storage_delivery *deliveries, size_t count,
					    const char **error_r)
{
	for (size_t i = 0; i < count; i++) {
		struct storage_delivery *delivery = &deliveries[i];
		enum storage_result result = storage_deliver_txn(conn, delivery, error_r);
		if (result != STORAGE_OK)
			return result;
		for (size_t r = 0; r < delivery->rcpt_count; r++) {
			if (delivery->rcpts[r].result != STORAGE_OK)
				return storage_fail(conn, delivery->rcpts[r].result, error_r,
						    "message %zu: %s", i + 1, delivery->error);
		}
	}
	return STORAGE_OK;
}

enum storage_result storage_deliver_many(struct storage_conn *conn,
					 struct storage_delivery *deliveries, size_t count,
					 const char **error_r)
{
	const char *error = NULL;
	if (count == 0 || deliveries == NULL) {
		enum storage_result result =
			storage_fail(conn, STORAGE_ERR_INVALID, &error, "no messages");
		if (error_r != NULL)
			*error_r = error;
		return result;
	}
	enum storage_result result = storage_begin(conn, true, &error);
	if (result == STORAGE_OK) {
		result = deliver_many_txn(conn, deliveries, count, &error);
		if (result != STORAGE_OK)
			storage_rollback(conn);
		else
			result = storage_commit(conn, &error);
		if (result == STORAGE_OK)
			storage_committer_index_wanted(conn->storage);
	}
	if (result != STORAGE_OK) {
		deliver_many_fail(deliveries, count, result, conn->error);
		if (error_r != NULL)
			*error_r = conn->error;
	}
	return result;
}
