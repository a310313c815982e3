/* storage-private.h - what the storage-*.c files share: the storage and
 * connection structs, error helpers, transactions, and the internal
 * functions one part of the engine calls in another inside an already open
 * transaction.
 *
 * Internal to src/storage: protocols and tools only see storage.h.
 */
#ifndef TANDEM_STORAGE_PRIVATE_H
#define TANDEM_STORAGE_PRIVATE_H

#include "storage.h"
#include "db.h"
#include "db-util.h"

#include <stdarg.h>
#include <stdatomic.h>

struct storage_committer;

/* Longest keyword list of one message. */
#define STORAGE_KEYWORDS_MAX 4096

struct storage {
	struct storage_settings set; /* strings below are owned copies */
	char *driver;
	char *sqlite_path;
	char *pgsql_uri;
	const struct db_driver *db;
	struct storage_committer *committer; /* NULL: storage_init_nocommitter */
	/* monotonic ms of the last write transaction begun by a connection
	 * other than the committer's (IMAP STORE, APPEND...): the background
	 * indexer keeps out of the way of such writers (SQLite has one) */
	atomic_llong last_write_ms;
};

/* Monotonic milliseconds. */
int64_t storage_monotonic_ms(void);

struct storage_conn {
	struct storage *storage;
	const struct db_driver *db;
	struct db_conn *dbc;
	char error[512]; /* what *error_r points to */
	char keywords[STORAGE_KEYWORDS_MAX + 1]; /* storage_mail_get's mail_r->keywords */
	/* the group committer's own connection (its writes are not "other
	 * writers" for the background indexer) */
	bool is_committer;
};

/* Default and bounds of commit_batch_max. */
#define STORAGE_COMMIT_BATCH_DEFAULT 512
#define STORAGE_COMMIT_BATCH_LIMIT 100000
/* Longest trace header block a delivery may add for one recipient. */
#define STORAGE_TRACE_MAX 65536
/* Every STORAGE_FLAG_* bit. */
#define STORAGE_FLAGS_ALL (STORAGE_FLAG_SEEN | STORAGE_FLAG_ANSWERED | STORAGE_FLAG_FLAGGED | \
			   STORAGE_FLAG_DELETED | STORAGE_FLAG_DRAFT)

/* ---- errors (storage.c) ---- */
/* Set conn's error text and return result; *error_r (may be NULL) points to it. */
enum storage_result storage_fail(struct storage_conn *conn, enum storage_result result,
				 const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A database failure while doing `what`: error text "what: driver error",
 * returns STORAGE_ERR_TEMP (the safe answer when unsure). */
enum storage_result storage_db_fail(struct storage_conn *conn, enum db_status status,
				    const char *what, const char **error_r);

/* ---- transactions (storage.c) ---- */
enum storage_result storage_begin(struct storage_conn *conn, bool write, const char **error_r);
enum storage_result storage_commit(struct storage_conn *conn, const char **error_r);
/* Roll back, ignoring failure (the transaction is gone either way). */
void storage_rollback(struct storage_conn *conn);

/* ---- queries (thin wrappers over the driver) ---- */
static inline enum db_status sdb_exec(struct storage_conn *conn, const char *sql,
				      const struct db_param *params, size_t count)
{
	return conn->db->query(conn->dbc, sql, params, count, NULL);
}
static inline enum db_status sdb_query(struct storage_conn *conn, const char *sql,
				       const struct db_param *params, size_t count,
				       struct db_result **result_r)
{
	return conn->db->query(conn->dbc, sql, params, count, result_r);
}
static inline enum db_status sdb_int(struct storage_conn *conn, const char *sql,
				     const struct db_param *params, size_t count,
				     int64_t *value_r, bool *found_r)
{
	return db_query_int(conn->db, conn->dbc, sql, params, count, value_r, found_r);
}
static inline bool sdb_next(struct storage_conn *conn, struct db_result *result)
{
	return db_result_next(conn->db, result);
}
static inline enum db_status sdb_finish(struct storage_conn *conn, struct db_result **result)
{
	return db_result_finish(conn->db, result);
}
static inline int64_t sdb_get_int(struct storage_conn *conn, struct db_result *r, unsigned col)
{
	return conn->db->get_int(r, col);
}
static inline const char *sdb_get_text(struct storage_conn *conn, struct db_result *r,
				       unsigned col)
{
	const char *text = conn->db->get_text(r, col);
	return text == NULL ? "" : text;
}

/* ---- names (storage.c) ---- */
/* Copy src into dst (size dstsize), truncating; always NUL-terminated. */
void storage_strlcpy(char *dst, const char *src, size_t dstsize);
/* Checks a domain name (letters, digits, '-', '_', dots between labels) and
 * lower-cases it into out. */
int storage_domain_normalize(const char *name, char *out, size_t outsize,
			     const char **error_r);
/* Replace each byte that is not part of valid UTF-8 (and, with controls,
 * each control character but TAB) by '?', in place; length is unchanged. */
void storage_utf8_sanitize(char *text, size_t len, bool controls);
/* true if text is valid UTF-8 without control characters */
bool storage_utf8_printable(const char *text, size_t len);
int64_t storage_now(void);

/* ---- mailboxes (storage-mailbox.c) ---- */
/* Checks a mailbox name and writes its canonical form (INBOX upper case). */
int storage_mailbox_name_normalize(const char *name, char out[STORAGE_MAILBOX_NAME_MAX + 1],
				   const char **error_r);
/* Inside a write transaction: create name (already normalized) and any
 * missing parents; *id_r is the mailbox (EXISTS if it was there already and
 * must_be_new). */
enum storage_result storage_mailbox_create_txn(struct storage_conn *conn, int64_t user_id,
					       const char *name, const char *special_use,
					       bool must_be_new, int64_t *id_r,
					       const char **error_r);

/* ---- releasing references (storage-release.c), inside a write transaction ---- */
/* Empty a mailbox: delete its messages, drop the references they hold and
 * the owner's usage. The mailbox row stays. */
enum storage_result storage_mailbox_purge_txn(struct storage_conn *conn, int64_t mailbox_id,
					      const char **error_r);
/* Drop one reference to a physical message; at zero delete it, its
 * segments and header fields, and drop its references to parts (deleting
 * parts left with none). */
enum storage_result storage_message_unref_txn(struct storage_conn *conn, int64_t message_id,
					      const char **error_r);
/* Delete a message whose refcount is already zero (or that nothing
 * references), releasing its parts. */
enum storage_result storage_message_delete_txn(struct storage_conn *conn, int64_t message_id,
					       const char **error_r);
/* Delete a user and everything they own (mailboxes, mail, sieve, ACLs). */
enum storage_result storage_user_delete_txn(struct storage_conn *conn, int64_t user_id,
					    const char **error_r);

/* ---- the full-text index (storage-fulltext.c), inside a write transaction ---- */
/* Index message_id's text (text NULL: extracted from msg here). */
enum storage_result storage_fulltext_store_txn(struct storage_conn *conn, int64_t message_id,
					       const struct mime_message *msg,
					       const struct storage_message_text *text,
					       const char **error_r);
/* Drop message_id's index row, if any. */
enum storage_result storage_fulltext_delete_txn(struct storage_conn *conn, int64_t message_id,
						const char **error_r);

/* ---- messages (storage-mail*.c), inside a transaction ---- */
/* A keyword list is space-separated IMAP atoms, no system flags, at most
 * STORAGE_KEYWORDS_MAX bytes. */
bool storage_keywords_valid(const char *keywords);
/* NOTFOUND unless the mailbox exists. */
enum storage_result storage_mailbox_check_txn(struct storage_conn *conn, int64_t mailbox_id,
					      const char **error_r);

/* One mailbox_messages row, owning its keywords. */
struct storage_mail_row {
	int64_t id;
	uint32_t uid;
	int64_t message_id;
	uint32_t flags;
	char *keywords;
	int64_t modseq;
	int64_t internal_date;
	int64_t size;
};
/* The rows of mailbox whose uid is in uids (NULL: every row), ascending by
 * uid; only those with all of the flag bits in need (0: any). *rows_r is
 * allocated (NULL when none); free with storage_mail_rows_free. */
enum storage_result storage_mail_rows_txn(struct storage_conn *conn, int64_t mailbox_id,
					  const uint32_t *uids, size_t uid_count, uint32_t need,
					  struct storage_mail_row **rows_r, size_t *count_r,
					  const char **error_r);
void storage_mail_rows_free(struct storage_mail_row **rows, size_t count);
/* Give the mailbox a new modseq (highestmodseq + 1) and return it. */
enum storage_result storage_mailbox_next_modseq_txn(struct storage_conn *conn,
						    int64_t mailbox_id, int64_t *modseq_r,
						    const char **error_r);
/* Remove rows from mailbox: delete them, record their uids in
 * expunged_uids under one new modseq, release the owner's usage and the
 * references to their messages. Nothing happens when count is 0. */
enum storage_result storage_mail_expunge_rows_txn(struct storage_conn *conn, int64_t mailbox_id,
						  const struct storage_mail_row *rows, size_t count,
						  const char **error_r);

/* ---- delivery (storage-deliver.c) ---- */
/* Store delivery inside the transaction already open on conn. Returns OK
 * with each recipient's result set, or TEMP (the caller rolls back). */
/* Give every recipient of delivery the same result (nothing was stored). */
void storage_delivery_fail_all(struct storage_delivery *delivery, enum storage_result result,
			       const char *error);
enum storage_result storage_deliver_txn(struct storage_conn *conn,
					struct storage_delivery *delivery,
					const char **error_r);

/* ---- the group committer (storage-commit.c) ---- */
int storage_committer_start(struct storage *storage, struct storage_conn *conn,
			    const char **error_r);
/* Finish every queued delivery, stop the thread, close its connection. */
void storage_committer_stop(struct storage *storage);
/* Messages were stored outside the committer (IMAP APPEND): the background
 * indexer should look for unindexed ones. No-op without a committer. */
void storage_committer_index_wanted(struct storage *storage);

/* ---- schema (storage-schema.c) ---- */
/* Used by storage_init: migrate an empty database, then insist on the
 * latest version. */
int storage_schema_prepare(struct storage_conn *conn, const char **error_r);

#endif
