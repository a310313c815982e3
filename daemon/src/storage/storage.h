/* storage.h - the one interface protocols and tools see for mail storage.
 *
 * Nothing outside src/storage includes a backend or driver header; a backend
 * (SQLite, PostgreSQL) is a db driver behind db.h, and everything here is
 * written once on top of it.
 *
 * Threads: a `struct storage` is shared by the whole process; a
 * `struct storage_conn` is one database connection used by one thread at a
 * time (each worker thread owns one). Deliveries from the daemon go through
 * storage_deliver_async(): the group committer (storage-commit.c) puts many
 * of them in one transaction and one fsync; it is the only place that
 * batches writes.
 *
 * Errors: functions return enum storage_result; a failure's detail for the
 * log is in *error_r, a string owned by the connection that stays valid until
 * the next call on it. Protocols map STORAGE_ERR_TEMP to a temporary reply
 * (4xx, NO [UNAVAILABLE]) so the peer retries.
 */
#ifndef TANDEM_STORAGE_H
#define TANDEM_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mime_message;

enum storage_result {
	STORAGE_OK = 0,
	STORAGE_ERR_TEMP,     /* temporary trouble (database down, I/O): retry later */
	STORAGE_ERR_NOTFOUND, /* no such domain, user, mailbox, message */
	STORAGE_ERR_EXISTS,   /* already there (or still in use, for deletes) */
	STORAGE_ERR_NOQUOTA,  /* the user's quota would be exceeded */
	STORAGE_ERR_INVALID,  /* bad input: permanent */
};

/* "ok", "temporary failure", "not found", ... */
const char *storage_result_str(enum storage_result result);

/* Limits of names, enforced by the storage functions (STORAGE_ERR_INVALID). */
#define STORAGE_LOCALPART_MAX 64
#define STORAGE_DOMAIN_MAX 253
#define STORAGE_ADDRESS_MAX (STORAGE_LOCALPART_MAX + 1 + STORAGE_DOMAIN_MAX)
#define STORAGE_MAILBOX_NAME_MAX 1024
#define STORAGE_PASSWORD_HASH_MAX 512
/* Alias chains are followed this deep before giving up. */
#define STORAGE_ALIAS_DEPTH_MAX 8
/* Most local users one address can expand to. */
#define STORAGE_EXPANSION_MAX 1000

struct storage_settings {
	const char *driver;       /* "sqlite" or "pgsql" */
	const char *sqlite_path;
	const char *pgsql_uri;
	unsigned busy_timeout_ms; /* SQLite lock wait */
	unsigned commit_batch_max;
	bool fulltext_index;      /* keep the full-text index (background indexer) */
};

struct storage;
struct storage_conn;

/* Process-wide handle: checks the settings, starts the group committer
 * (which opens its own connection and upgrades an empty database to the
 * current schema). storage_deinit() finishes queued deliveries first. */
int storage_init(const struct storage_settings *set, struct storage **storage_r,
		 const char **error_r);
/* Like storage_init but without the group committer (for tandemctl). */
int storage_init_nocommitter(const struct storage_settings *set, struct storage **storage_r,
			     const char **error_r);
void storage_deinit(struct storage **storage);
/* Whether the full-text index is kept (settings.fulltext_index): the
 * committer's background indexer runs, and synchronous storage_deliver()
 * (APPEND, imports) writes the row in its own transaction. Unindexed
 * messages are still found by SEARCH, by scanning. */
bool storage_fulltext_enabled(const struct storage *storage);

int storage_connect(struct storage *storage, struct storage_conn **conn_r,
		    const char **error_r);
void storage_disconnect(struct storage_conn **conn);

/* ---- schema ---- */
/* Current schema version of the database (0 for an empty database). */
enum storage_result storage_schema_version(struct storage_conn *conn, int *version_r,
					   const char **error_r);
/* The version this build's schema/ files go up to. */
int storage_schema_latest(void);
/* Apply every migration above the database's version, each in its own
 * transaction. Idempotent. */
enum storage_result storage_migrate(struct storage_conn *conn, int *from_r, int *to_r,
				    const char **error_r);

/* ---- domains ---- */
struct storage_domain {
	int64_t id;
	char name[STORAGE_DOMAIN_MAX + 1];
	int64_t default_quota_bytes;    /* 0 = unlimited; given to new users */
	int64_t default_quota_messages; /* 0 = unlimited */
	int64_t user_count;
	int64_t alias_count;
};
typedef void storage_domain_cb(const struct storage_domain *domain, void *context);

enum storage_result storage_domain_add(struct storage_conn *conn, const char *name,
				       const char **error_r);
/* Refuses (EXISTS) while the domain still has users or aliases unless force,
 * which deletes them and their mail too. */
enum storage_result storage_domain_del(struct storage_conn *conn, const char *name, bool force,
				       const char **error_r);
enum storage_result storage_domain_get(struct storage_conn *conn, const char *name,
				       struct storage_domain *domain_r, const char **error_r);
enum storage_result storage_domain_list(struct storage_conn *conn, storage_domain_cb *cb,
					void *context, const char **error_r);
enum storage_result storage_domain_set_quota(struct storage_conn *conn, const char *name,
					     int64_t bytes, int64_t messages,
					     const char **error_r);

/* ---- users ---- */
struct storage_user {
	int64_t id;
	int64_t domain_id;
	char address[STORAGE_ADDRESS_MAX + 1]; /* localpart@domain, lower case */
	char password_hash[STORAGE_PASSWORD_HASH_MAX + 1];
	char source[8];        /* "sql" or "ldap" */
	int64_t quota_bytes;    /* 0 = unlimited */
	int64_t quota_messages; /* 0 = unlimited */
	int64_t used_bytes;
	int64_t used_messages;
	int64_t created;        /* unix time */
};
typedef void storage_user_cb(const struct storage_user *user, void *context);

/* Creates the user with the domain's default quota, INBOX and the
 * special-use folders Drafts, Sent, Junk, Trash, Archive. The domain must
 * exist (NOTFOUND); the address must not (EXISTS). */
enum storage_result storage_user_add(struct storage_conn *conn, const char *address,
				     const char *password_hash, const char **error_r);
/* The same for a directory (LDAP) user seen for the first time: no SQL
 * password, source "ldap". EXISTS when the row is already there. */
enum storage_result storage_user_add_ldap(struct storage_conn *conn, const char *address,
					  const char **error_r);
/* Deletes the user, their mailboxes and messages (dropping references to
 * shared parts) in one transaction. */
enum storage_result storage_user_del(struct storage_conn *conn, const char *address,
				     const char **error_r);
enum storage_result storage_user_get(struct storage_conn *conn, const char *address,
				     struct storage_user *user_r, const char **error_r);
enum storage_result storage_user_get_by_id(struct storage_conn *conn, int64_t user_id,
					   struct storage_user *user_r, const char **error_r);
/* domain NULL lists every user. */
enum storage_result storage_user_list(struct storage_conn *conn, const char *domain,
				      storage_user_cb *cb, void *context, const char **error_r);
enum storage_result storage_user_set_password(struct storage_conn *conn, const char *address,
					      const char *password_hash, const char **error_r);
enum storage_result storage_user_set_quota(struct storage_conn *conn, const char *address,
					   int64_t bytes, int64_t messages,
					   const char **error_r);

/* ---- aliases ---- */
struct storage_alias {
	int64_t id;
	char address[STORAGE_ADDRESS_MAX + 1];
	char target[STORAGE_ADDRESS_MAX + 1];
};
typedef void storage_alias_cb(const struct storage_alias *alias, void *context);

/* address's domain must be local; target is any address (local user, local
 * alias, or external). One address may have several targets. */
enum storage_result storage_alias_add(struct storage_conn *conn, const char *address,
				      const char *target, const char **error_r);
/* target NULL deletes every target of address. */
enum storage_result storage_alias_del(struct storage_conn *conn, const char *address,
				      const char *target, const char **error_r);
enum storage_result storage_alias_list(struct storage_conn *conn, const char *domain,
				       storage_alias_cb *cb, void *context, const char **error_r);
/* The targets of exactly address (one level, as Postfix's
 * virtual_alias_maps wants it: Postfix follows chains itself); OK with no
 * callback when address is not an alias. */
enum storage_result storage_alias_targets(struct storage_conn *conn, const char *address,
					  storage_alias_cb *cb, void *context,
					  const char **error_r);

/* ---- recipient resolution (LMTP RCPT) ---- */
struct storage_recipient {
	size_t user_count;
	int64_t user_ids[STORAGE_EXPANSION_MAX];
	size_t external_count;      /* alias targets outside local domains (not delivered by LMTP) */
	char detail[STORAGE_LOCALPART_MAX + 1]; /* "+detail" part of the address, without '+' */
};
/* Resolves address (case-insensitive) to local users: the user itself, else
 * `user+detail`, else aliases (followed to STORAGE_ALIAS_DEPTH_MAX, deduped).
 * NOTFOUND when it names no local user. */
enum storage_result storage_recipient_resolve(struct storage_conn *conn, const char *address,
					      struct storage_recipient *rcpt_r,
					      const char **error_r);

/* ---- mailboxes ---- */
#define STORAGE_INBOX "INBOX"
#define STORAGE_HIERARCHY_SEP '/'

struct storage_mailbox {
	int64_t id;
	int64_t user_id;
	char name[STORAGE_MAILBOX_NAME_MAX + 1];
	uint32_t uidvalidity;
	uint32_t uidnext;
	int64_t highestmodseq;
	char special_use[16];  /* "\\Sent" etc., or "" */
	bool subscribed;
	int64_t message_count;
	int64_t byte_count;
};
typedef void storage_mailbox_cb(const struct storage_mailbox *mailbox, void *context);

enum storage_result storage_mailbox_list(struct storage_conn *conn, int64_t user_id,
					 storage_mailbox_cb *cb, void *context,
					 const char **error_r);
enum storage_result storage_mailbox_get(struct storage_conn *conn, int64_t user_id,
					const char *name, struct storage_mailbox *mailbox_r,
					const char **error_r);
/* special_use may be NULL. INBOX is matched case-insensitively everywhere. */
enum storage_result storage_mailbox_create(struct storage_conn *conn, int64_t user_id,
					   const char *name, const char *special_use,
					   const char **error_r);
/* Deletes the mailbox and its messages. INBOX cannot be deleted (INVALID). */
enum storage_result storage_mailbox_delete(struct storage_conn *conn, int64_t user_id,
					   const char *name, const char **error_r);
/* Renames the mailbox and every mailbox below it (old/...). Renaming INBOX
 * moves its messages into the new mailbox and leaves INBOX empty (RFC 3501). */
enum storage_result storage_mailbox_rename(struct storage_conn *conn, int64_t user_id,
					   const char *old_name, const char *new_name,
					   const char **error_r);

/* ---- ACL: mailboxes shared between users (RFC 4314) ----
 * Rights are a mask of STORAGE_ACL_* bits, written as RFC 4314 letters in
 * the order of STORAGE_ACL_LETTERS. An identifier is a local user's address
 * (lower case), STORAGE_ACL_ANYONE or STORAGE_ACL_AUTHENTICATED (every
 * logged-in user; the same as anyone here, where nobody reads mail without
 * logging in). The owner of a mailbox always has every right and has no
 * ACL entry. A user's rights on another user's mailbox are the union of
 * the entries naming them, anyone and authenticated. Deleting a mailbox
 * deletes its entries; deleting a user deletes the entries of their
 * mailboxes and those naming them. */
#define STORAGE_ACL_LOOKUP   0x001 /* l: LIST shows it */
#define STORAGE_ACL_READ     0x002 /* r: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from */
#define STORAGE_ACL_SEEN     0x004 /* s: keep \Seen */
#define STORAGE_ACL_WRITE    0x008 /* w: flags other than \Seen and \Deleted, keywords */
#define STORAGE_ACL_INSERT   0x010 /* i: APPEND, COPY/MOVE into */
#define STORAGE_ACL_POST     0x020 /* p: submission to the mailbox's address (unused) */
#define STORAGE_ACL_CREATE   0x040 /* k: CREATE below, RENAME to below */
#define STORAGE_ACL_DELMBOX  0x080 /* x: DELETE, RENAME away */
#define STORAGE_ACL_DELMSG   0x100 /* t: store \Deleted */
#define STORAGE_ACL_EXPUNGE  0x200 /* e: EXPUNGE, CLOSE's expunge, MOVE from */
#define STORAGE_ACL_ADMIN    0x400 /* a: SETACL, DELETEACL, GETACL, LISTRIGHTS */
#define STORAGE_ACL_ALL      0x7ff
#define STORAGE_ACL_LETTERS  "lrswipkxtea" /* bit n is letter n */
#define STORAGE_ACL_RIGHTS_MAX 11          /* letters in a rights string */
#define STORAGE_ACL_ANYONE "anyone"
#define STORAGE_ACL_AUTHENTICATED "authenticated"
#define STORAGE_ACL_IDENTIFIER_MAX STORAGE_ADDRESS_MAX

/* Letters (any order, repeats allowed) -> mask. -1 with *bad_r the first
 * letter that is not an RFC 4314 right (the obsolete c and d are the
 * caller's to map). Pure. */
int storage_acl_rights_parse(const char *letters, uint32_t *rights_r, char *bad_r);
/* mask -> letters in canonical order, NUL-terminated. Pure. */
void storage_acl_rights_format(uint32_t rights, char out[STORAGE_ACL_RIGHTS_MAX + 1]);
/* Normalizes an identifier into out: "anyone"/"authenticated" (any case)
 * or a user address (storage_address_normalize). -1 with static text. Pure. */
int storage_acl_identifier_normalize(const char *identifier,
				     char out[STORAGE_ACL_IDENTIFIER_MAX + 1],
				     const char **error_r);

/* Give identifier exactly rights on the mailbox (0 deletes the entry).
 * NOTFOUND: no such mailbox, or identifier names no local user; INVALID:
 * bad identifier or rights, or identifier is the mailbox's owner. */
enum storage_result storage_acl_set(struct storage_conn *conn, int64_t mailbox_id,
				    const char *identifier, uint32_t rights,
				    const char **error_r);
/* Remove identifier's entry (OK when there was none). NOTFOUND: no such
 * mailbox; INVALID: bad identifier. */
enum storage_result storage_acl_delete(struct storage_conn *conn, int64_t mailbox_id,
				       const char *identifier, const char **error_r);
typedef void storage_acl_cb(const char *identifier, uint32_t rights, void *context);
/* The mailbox's entries by identifier (the owner is not among them). cb
 * runs while rows are read: it must not use conn. NOTFOUND: no mailbox. */
enum storage_result storage_acl_list(struct storage_conn *conn, int64_t mailbox_id,
				     storage_acl_cb *cb, void *context, const char **error_r);
/* user_id's rights on the mailbox: STORAGE_ACL_ALL for the owner, else the
 * union of the entries naming the user, anyone and authenticated (0 when
 * none). NOTFOUND: no such mailbox or user. */
enum storage_result storage_acl_rights(struct storage_conn *conn, int64_t mailbox_id,
				       int64_t user_id, uint32_t *rights_r,
				       const char **error_r);
/* The other users' mailboxes user_id has any right on, ordered by owner
 * address then name: cb gets the mailbox (message_count and byte_count
 * are 0: not counted here), its owner's address and the user's rights
 * (after every row was read: cb may not use conn). */
typedef void storage_acl_shared_cb(const struct storage_mailbox *mailbox, const char *owner,
				   uint32_t rights, void *context);
enum storage_result storage_acl_shared_list(struct storage_conn *conn, int64_t user_id,
					    storage_acl_shared_cb *cb, void *context,
					    const char **error_r);

/* ---- messages in a mailbox ---- */
/* System flags, stored as a bit mask. */
#define STORAGE_FLAG_SEEN     0x01
#define STORAGE_FLAG_ANSWERED 0x02
#define STORAGE_FLAG_FLAGGED  0x04
#define STORAGE_FLAG_DELETED  0x08
#define STORAGE_FLAG_DRAFT    0x10

struct storage_mail {
	int64_t id;          /* row of this message in this mailbox */
	int64_t mailbox_id;
	uint32_t uid;
	int64_t message_id;  /* the physical message (shared between copies) */
	uint32_t flags;
	const char *keywords; /* space-separated, "" if none; valid during the callback */
	int64_t modseq;
	int64_t internal_date; /* unix time */
	int64_t size;          /* bytes as read back (trace headers included) */
};
typedef void storage_mail_cb(const struct storage_mail *mail, void *context);

enum storage_result storage_mail_list(struct storage_conn *conn, int64_t mailbox_id,
				      storage_mail_cb *cb, void *context, const char **error_r);
/* The message exactly as delivered (trace headers first). *data_r is
 * allocated, caller frees. */
enum storage_result storage_mail_read(struct storage_conn *conn, int64_t mailbox_id, uint32_t uid,
				      unsigned char **data_r, size_t *size_r,
				      const char **error_r);
/* Cached data computed at delivery: the IMAP ENVELOPE and BODYSTRUCTURE
 * strings. Each allocated, caller frees. */
enum storage_result storage_mail_cached(struct storage_conn *conn, int64_t mailbox_id,
					uint32_t uid, char **envelope_r, char **bodystructure_r,
					const char **error_r);
/* The cached IMAP BODY string (BODYSTRUCTURE without extension data),
 * allocated, caller frees. NOTFOUND if the uid is not in the mailbox. */
enum storage_result storage_mail_cached_body(struct storage_conn *conn, int64_t mailbox_id,
					     uint32_t uid, char **body_r, const char **error_r);
/* Removes one message from a mailbox, releasing quota and references;
 * recorded for QRESYNC like every expunge (storage_mailbox_vanished_since). */
enum storage_result storage_mail_expunge(struct storage_conn *conn, int64_t mailbox_id,
					 uint32_t uid, const char **error_r);
enum storage_result storage_mail_set_flags(struct storage_conn *conn, int64_t mailbox_id,
					   uint32_t uid, uint32_t flags, const char *keywords,
					   const char **error_r);

/* ---- IMAP: mailbox state, CONDSTORE/QRESYNC, STORE, COPY/MOVE, EXPUNGE ----
 * Modseqs: every change to a message (flags, a copy arriving, an expunge)
 * takes the mailbox's highestmodseq + 1 and gives it to the changed
 * messages (and expunge records); one call is one change, so the messages
 * one call touches share one modseq. A call that changes nothing leaves
 * highestmodseq alone. Callbacks of the calls below that write (STORE,
 * EXPUNGE) run after the transaction committed, so they report only what
 * is durable; those of the reading calls run while rows are read. No
 * callback may use conn; strings they get are valid during the callback
 * only.
 *
 * "Has the mailbox changed?" (IDLE, NOOP): storage_mailbox_get() returns
 * highestmodseq and uidnext from the mailbox row (it also counts the
 * messages, one pass over the mailbox's index entries);
 * storage_mailbox_probe() reads only those two by primary key, the cheap
 * one to poll. Any flag change, expunge, copy, move or delivery raises
 * highestmodseq; a new message also raises uidnext. Comparing the two with
 * what the session last saw is enough to know whether to look closer
 * (storage_mail_list_since, storage_mailbox_vanished_since). */

/* uidnext and highestmodseq of the mailbox, one indexed row read; NOTFOUND
 * if it is gone (deleted under the session). */
enum storage_result storage_mailbox_probe(struct storage_conn *conn, int64_t mailbox_id,
					  uint32_t *uidnext_r, int64_t *highestmodseq_r,
					  const char **error_r);

/* SUBSCRIBE / UNSUBSCRIBE. Only existing mailboxes can be subscribed here:
 * an unknown name is NOTFOUND (IMAP would allow subscribing a name that
 * does not exist; Tandem keeps the flag on the mailbox row instead). */
enum storage_result storage_mailbox_set_subscribed(struct storage_conn *conn, int64_t user_id,
						   const char *name, bool subscribed,
						   const char **error_r);

struct storage_mailbox_status {
	int64_t messages;          /* STATUS MESSAGES */
	int64_t unseen;            /* STATUS UNSEEN: messages without \Seen */
	int64_t deleted;           /* messages with \Deleted (STATUS DELETED, IMAP4rev2) */
	int64_t size;              /* STATUS SIZE: sum of message sizes in bytes */
	uint32_t uidnext;          /* STATUS UIDNEXT */
	uint32_t uidvalidity;      /* STATUS UIDVALIDITY */
	int64_t highestmodseq;     /* STATUS HIGHESTMODSEQ */
	uint32_t first_unseen_uid; /* lowest uid without \Seen (SELECT's [UNSEEN n]); 0 = none */
};
/* Counts for STATUS/SELECT in one indexed pass over the mailbox's rows,
 * read in one consistent snapshot. NOTFOUND if there is no such mailbox. */
enum storage_result storage_mailbox_status(struct storage_conn *conn, int64_t mailbox_id,
					   struct storage_mailbox_status *status_r,
					   const char **error_r);

/* One message row. mail_r->keywords points into conn and stays valid until
 * the next call on conn. NOTFOUND if the uid is not in the mailbox. */
enum storage_result storage_mail_get(struct storage_conn *conn, int64_t mailbox_id, uint32_t uid,
				     struct storage_mail *mail_r, const char **error_r);

/* CONDSTORE / QRESYNC: the messages whose modseq is above modseq, by uid
 * (cb runs while the rows are read: it must not use conn). */
enum storage_result storage_mail_list_since(struct storage_conn *conn, int64_t mailbox_id,
					    int64_t modseq, storage_mail_cb *cb, void *context,
					    const char **error_r);

typedef void storage_uid_cb(uint32_t uid, void *context);
/* QRESYNC VANISHED (EARLIER): uids expunged from the mailbox with a modseq
 * above modseq, ascending. Every expunge path records them (expunge,
 * expunge_deleted, move); deleting a mailbox drops its records with it. */
enum storage_result storage_mailbox_vanished_since(struct storage_conn *conn, int64_t mailbox_id,
						   int64_t modseq, storage_uid_cb *cb,
						   void *context, const char **error_r);

/* SEARCH HEADER / SORT: the values of the top-level header field name (any
 * case) of one message, in header order, unfolded as cached at delivery
 * (the trace lines added at delivery are not among them). OK with no
 * callback when the message has no such field; NOTFOUND when there is no
 * such message. */
/* The uids of a mailbox whose indexed text (the body's only, or with the
 * header fields' for TEXT) contains needle, already folded with
 * imap_search_fold, as a substring: cb(uid, false). Messages without an
 * index row (stored before the index existed) come as cb(uid, true): the
 * caller must decide those by reading the message. INVALID for a needle
 * shorter than STORAGE_SEARCH_TEXT_MIN characters, which the index cannot
 * serve. */
#define STORAGE_SEARCH_TEXT_MIN 3
#define STORAGE_SEARCH_TEXT_MAX 4096
typedef void storage_search_text_cb(uint32_t uid, bool unindexed, void *context);
enum storage_result storage_mail_search_text(struct storage_conn *conn, int64_t mailbox_id,
					     const char *needle, bool body_only,
					     storage_search_text_cb *cb, void *context,
					     const char **error_r);

/* ---- the background full-text indexer ----
 * Group-committed deliveries (LMTP) store no index row: the committer's
 * thread indexes committed messages that have none when no delivery is
 * waiting (storage-commit.c), a few per transaction, walking message ids
 * upwards from a cursor (0 after a restart: it catches up with everything
 * unindexed, messages stored before the index existed included). SEARCH
 * scans what is not indexed yet (storage_mail_search_text's unindexed
 * uids), so the index may lag safely. One step: in id order from
 * *cursor_io (exclusive), read and decode up to max messages without an
 * index row and write their rows in one write transaction; fewer when
 * STORAGE_FULLTEXT_STEP_BYTES of text are reached or when yield (may be
 * NULL; asked after each message decoded and each row written but the
 * first) says a delivery is waiting. Each step reads at most STORAGE_FULLTEXT_WINDOW
 * ids. *indexed_r counts the rows written, *done_r says the cursor reached
 * the highest message id; *cursor_io moves only on success. */
#define STORAGE_FULLTEXT_WINDOW 4096
#define STORAGE_FULLTEXT_STEP_MAX 64
#define STORAGE_FULLTEXT_STEP_BYTES (8u * 1024 * 1024)
typedef bool storage_yield_cb(void *context);
enum storage_result storage_fulltext_index_step(struct storage_conn *conn, int64_t *cursor_io,
						unsigned max, storage_yield_cb *yield,
						void *context, unsigned *indexed_r,
						bool *done_r, const char **error_r);

#define STORAGE_HEADER_NAME_MAX 256
typedef void storage_header_value_cb(const char *value, void *context);
enum storage_result storage_mail_header_values(struct storage_conn *conn, int64_t mailbox_id,
					       uint32_t uid, const char *name,
					       storage_header_value_cb *cb, void *context,
					       const char **error_r);

/* SORT / THREAD: the cached values of the header fields names (any case,
 * 1 to STORAGE_HEADER_FIELDS_MAX of them) of every message of the mailbox
 * whose uid is in [uid_lo, uid_hi], in one query, by ascending uid, each
 * message's values in header order: cb(uid, i, value) with i the index in
 * names of the field's name. A message with none of the fields gets one
 * cb(uid, -1, NULL), so every message in the range is reported (one that
 * is not was expunged). cb runs while rows are read: it must not use conn;
 * value is valid during the call only. NOTFOUND if there is no such
 * mailbox; INVALID for a bad name or count. */
#define STORAGE_HEADER_FIELDS_MAX 8
typedef void storage_header_field_cb(uint32_t uid, int field, const char *value,
				     void *context);
enum storage_result storage_mail_header_fields(struct storage_conn *conn, int64_t mailbox_id,
					       uint32_t uid_lo, uint32_t uid_hi,
					       const char *const *names, size_t name_count,
					       storage_header_field_cb *cb, void *context,
					       const char **error_r);

/* The internal date, size and modseq of every message of the mailbox whose
 * uid is in [uid_lo, uid_hi], in one query, by ascending uid (expunged
 * ones are not reported; an empty range reports nothing): for IMAP
 * commands that need them (the session's view keeps only uids and flags).
 * cb runs while rows are read: it must not use conn; attrs is valid during
 * the call only. NOTFOUND if there is no such mailbox. */
struct storage_mail_attrs {
	uint32_t uid;
	int64_t internal_date; /* unix time */
	int64_t size;          /* bytes as read back (trace headers included) */
	int64_t modseq;
};
typedef void storage_mail_attrs_cb(const struct storage_mail_attrs *attrs, void *context);
enum storage_result storage_mail_attrs(struct storage_conn *conn, int64_t mailbox_id,
				       uint32_t uid_lo, uint32_t uid_hi,
				       storage_mail_attrs_cb *cb, void *context,
				       const char **error_r);

enum storage_flags_mode {
	STORAGE_FLAGS_SET,    /* FLAGS: replace flags and keywords */
	STORAGE_FLAGS_ADD,    /* +FLAGS: add them */
	STORAGE_FLAGS_REMOVE, /* -FLAGS: remove them */
};
/* mail: the message after the STORE (flags, keywords, modseq all new);
 * changed false when the STORE left it as it was (its modseq is then
 * unchanged too; IMAP still reports its FLAGS unless .SILENT). */
typedef void storage_flags_cb(const struct storage_mail *mail, bool changed, void *context);
/* STORE / UID STORE on the uids (any order, duplicates and uids not in the
 * mailbox ignored) in one transaction. keywords: space-separated, may be
 * NULL; compared case-insensitively, and with ADD a keyword the message has
 * is not added twice. unchangedsince > 0 (CONDSTORE UNCHANGEDSINCE): a
 * message whose modseq is above it is left alone and its uid is put in
 * *modified_uids_r (allocated, ascending, caller frees; NULL when none) for
 * the [MODIFIED ...] response code. 0 means no condition (IMAP's
 * "UNCHANGEDSINCE 0", which fails every message, is the caller's to
 * answer). cb (may be NULL) gets every message stored or left as it was, by
 * ascending uid, after commit. INVALID for unknown flag bits, a bad keyword
 * list or a result longer than the keyword limit (nothing is stored);
 * NOTFOUND if there is no such mailbox. */
enum storage_result storage_mail_store_flags(struct storage_conn *conn, int64_t mailbox_id,
					     const uint32_t *uids, size_t uid_count,
					     enum storage_flags_mode mode, uint32_t flags,
					     const char *keywords, int64_t unchangedsince,
					     storage_flags_cb *cb, void *context,
					     uint32_t **modified_uids_r, size_t *modified_count_r,
					     const char **error_r);

/* COPY / UID COPY in one transaction: each uid of src found is added to dst
 * sharing its physical message (refcount + 1), with its trace, flags,
 * keywords and internal date, a new uid (given in ascending order of the
 * source uids, for UIDPLUS COPYUID) and dst's new modseq. dst_uids_r (may
 * be NULL) has uid_count slots: dst_uids_r[i] is the new uid of uids[i], 0
 * when uids[i] is not in src. The usage of dst's owner grows; with
 * enforce_quota, NOQUOTA when it would go over quota, and then nothing is
 * copied. NOTFOUND when src or dst does not exist. src may equal dst. */
enum storage_result storage_mail_copy(struct storage_conn *conn, int64_t src_mailbox_id,
				      const uint32_t *uids, size_t uid_count,
				      int64_t dst_mailbox_id, bool enforce_quota,
				      uint32_t *dst_uids_r, const char **error_r);
/* MOVE / UID MOVE: storage_mail_copy, then the source messages expunged
 * (recorded for VANISHED), in one transaction. The uids moved are those
 * with dst_uids_r[i] != 0. Moving between mailboxes of one owner never
 * fails for quota (usage is unchanged). src may equal dst (the messages
 * get new uids). */
enum storage_result storage_mail_move(struct storage_conn *conn, int64_t src_mailbox_id,
				      const uint32_t *uids, size_t uid_count,
				      int64_t dst_mailbox_id, bool enforce_quota,
				      uint32_t *dst_uids_r, const char **error_r);

/* EXPUNGE (uids NULL: every message with \Deleted), UID EXPUNGE and CLOSE
 * (uids given: those of them with \Deleted; others and unknown uids are
 * ignored), in one transaction, releasing quota and references and
 * recording each uid for VANISHED. cb (may be NULL) gets each expunged uid
 * in ascending order after commit. NOTFOUND if there is no such mailbox. */
enum storage_result storage_mail_expunge_deleted(struct storage_conn *conn, int64_t mailbox_id,
						 const uint32_t *uids, size_t uid_count,
						 storage_uid_cb *cb, void *context,
						 const char **error_r);

/* ---- Sieve scripts (storage-sieve.c): ManageSieve and delivery ----
 * Per user, any number of named scripts, at most one active. Names are
 * 1..STORAGE_SIEVE_NAME_MAX bytes of printable UTF-8 (RFC 5804 2.1); text
 * is stored as given (the caller validates it with sieve_compile first). */
#define STORAGE_SIEVE_NAME_MAX 128
struct storage_sieve_script {
	const char *name;
	bool active;
	size_t size;            /* bytes of text */
};
typedef void storage_sieve_cb(const struct storage_sieve_script *script, void *context);
/* Every script of the user, by name. */
enum storage_result storage_sieve_list(struct storage_conn *conn, int64_t user_id,
				       storage_sieve_cb *cb, void *context, const char **error_r);
/* One script's text (malloc'd, NUL-terminated; caller frees). NOTFOUND. */
enum storage_result storage_sieve_get(struct storage_conn *conn, int64_t user_id,
				      const char *name, char **text_r, size_t *len_r,
				      bool *active_r, const char **error_r);
/* Create or replace name's text (an active script stays active). */
enum storage_result storage_sieve_put(struct storage_conn *conn, int64_t user_id,
				      const char *name, const char *text, size_t len,
				      const char **error_r);
/* NOTFOUND; EXISTS when it is the active script (RFC 5804: deactivate first). */
enum storage_result storage_sieve_delete(struct storage_conn *conn, int64_t user_id,
					 const char *name, const char **error_r);
/* NOTFOUND (old), EXISTS (new taken); the active flag moves with it. */
enum storage_result storage_sieve_rename(struct storage_conn *conn, int64_t user_id,
					 const char *old_name, const char *new_name,
					 const char **error_r);
/* Make name the active script (NULL or "": none active). NOTFOUND. */
enum storage_result storage_sieve_activate(struct storage_conn *conn, int64_t user_id,
					   const char *name, const char **error_r);
/* The active script: OK with *text_r NULL (and *name_r NULL) when none is
 * active; else both malloc'd for the caller. name_r may be NULL. */
enum storage_result storage_sieve_active(struct storage_conn *conn, int64_t user_id,
					 char **name_r, char **text_r, size_t *len_r,
					 const char **error_r);
/* How many scripts and bytes of text the user has (ManageSieve HAVESPACE). */
enum storage_result storage_sieve_usage(struct storage_conn *conn, int64_t user_id,
					size_t *count_r, uint64_t *bytes_r, const char **error_r);

/* ---- Sieve vacation memory (storage-vacation.c) ----
 * RFC 5230 :days: at most one auto-reply per (user, sender, handle) per
 * days. sender is lower-cased here; handle is at most
 * STORAGE_VACATION_HANDLE_MAX bytes (longer ones are hashed to fit). */
#define STORAGE_VACATION_HANDLE_MAX 256
#define STORAGE_VACATION_DAYS_MAX 365
/* Decide and record in one transaction: *send_r true when no reply went to
 * sender for handle in the last days days (before now); the reply is then
 * recorded as sent at now. Also prunes the user's rows older than
 * STORAGE_VACATION_DAYS_MAX days. */
enum storage_result storage_vacation_check_record(struct storage_conn *conn, int64_t user_id,
						  const char *sender, const char *handle,
						  unsigned days, int64_t now, bool *send_r,
						  const char **error_r);
/* Forget every reply recorded for the user (a new vacation period). */
enum storage_result storage_vacation_reset(struct storage_conn *conn, int64_t user_id,
					   const char **error_r);

/* ---- quota warning (storage-quota-warning.c) ----
 * Whether the user has just reached percent (1..100) of their byte or
 * message quota: *warn_r true only for the delivery that finds the usage at
 * or above it while users.quota_warned is 0 (which it then sets, in the
 * same statement: once). Usage below the threshold clears quota_warned, so
 * the next crossing warns again. Writes only when the flag changes.
 * usage_r (may be NULL) gets the user row when *warn_r. NOTFOUND. */
enum storage_result storage_quota_warning_check(struct storage_conn *conn, int64_t user_id,
						unsigned percent, bool *warn_r,
						struct storage_user *usage_r,
						const char **error_r);

/* ---- delivery ---- */
struct storage_delivery_rcpt {
	/* in */
	int64_t user_id;
	const char *mailbox;      /* NULL = INBOX; created if missing */
	uint32_t flags;           /* STORAGE_FLAG_* to set */
	const char *keywords;     /* IMAP keywords to set, space-separated; NULL = none
				     (Sieve imap4flags); INVALID when not valid keywords */
	const char *trace;        /* header lines to put before the message (Return-Path,
				     Delivered-To...), each ending in CRLF; may be NULL */
	bool enforce_quota;       /* false for imports by the administrator */
	/* out */
	enum storage_result result;
	uint32_t uid_r;
	int64_t mailbox_id_r;
};

/* The searchable text of a message for the full-text index
 * (storage-fulltext.c): decoded header fields and text parts, case-folded
 * as IMAP SEARCH folds its needles. */
struct storage_message_text {
	char *headers;
	char *body;
};
/* Extract it (pure, CPU only: call it in a worker thread next to
 * mime_message_parse) and free it. */
void storage_message_text_extract(const struct mime_message *msg,
				  struct storage_message_text *text_r);
void storage_message_text_free(struct storage_message_text *text);

struct storage_delivery {
	const struct mime_message *message; /* decomposed once for every recipient */
	/* the message's text for the full-text index, extracted beforehand
	 * (storage_message_text_extract); NULL: extracted in the transaction.
	 * Only synchronous storage_deliver()/storage_deliver_many() write the
	 * row; the group committer leaves it to its background indexer. */
	const struct storage_message_text *text;
	int64_t internal_date;              /* unix time */
	struct storage_delivery_rcpt *rcpts;
	size_t rcpt_count;
	/* LMTP quota grace: a recipient with enforce_quota still below its
	 * byte quota is accepted when the message ends at most this many
	 * percent of the quota over it (0 = none: APPEND, COPY). */
	unsigned quota_grace_percent;
	/* out: STORAGE_OK when the transaction committed (each recipient then has
	 * its own result); STORAGE_ERR_TEMP when nothing was stored. */
	enum storage_result result;
	char error[256];
};

/* Store one message for its recipients in one transaction on conn, durably
 * committed when it returns OK. Recipient-level failures (NOQUOTA, NOTFOUND)
 * do not fail the others. */
enum storage_result storage_deliver(struct storage_conn *conn, struct storage_delivery *delivery,
				    const char **error_r);

/* IMAP MULTIAPPEND (RFC 3502): store count deliveries in one transaction on
 * conn, all or nothing. OK when every recipient of every delivery was
 * stored and committed (uid_r and mailbox_id_r set); otherwise nothing is
 * stored, the first failure is returned (NOQUOTA, NOTFOUND, INVALID, TEMP)
 * and every recipient of every delivery gets it as its result. */
enum storage_result storage_deliver_many(struct storage_conn *conn,
					 struct storage_delivery *deliveries, size_t count,
					 const char **error_r);

/* Called from the group committer's thread when delivery is durably
 * committed (or failed); must not block. */
typedef void storage_delivery_done_cb(struct storage_delivery *delivery, void *context);
/* Queue delivery for the group committer. delivery and its message must
 * stay valid until done is called. Never blocks on the database. */
void storage_deliver_async(struct storage *storage, struct storage_delivery *delivery,
			   storage_delivery_done_cb *done, void *context);
/* Deliveries queued or being committed right now. */
unsigned storage_deliveries_pending(struct storage *storage);

/* ---- change listener (several processes on one database) ----
 * Changes committed by any process sharing the database (several tandemd
 * front ends on one PostgreSQL) reach fn(mailbox_id, context), on the
 * listener's own thread, soon after their commit; this process's own
 * changes come back too (harmless: a probe finds nothing new). mailbox_id
 * STORAGE_CHANGED_ALL after notices may have been lost (the listener's
 * connection broke and came back): every mailbox may have changed. fn must
 * not block. The listener reconnects by itself, logging the loss and the
 * recovery once each. SQLite: one file has one process, nothing to listen
 * to; start succeeds with *listener_r NULL. storage_listener_stop() joins
 * the thread; no fn call runs after it returns. NULL is fine. */
#define STORAGE_CHANGED_ALL ((int64_t)0)
typedef void storage_changed_fn(int64_t mailbox_id, void *context);
struct storage_listener;
int storage_listener_start(struct storage *storage, storage_changed_fn *fn, void *context,
			   struct storage_listener **listener_r, const char **error_r);
void storage_listener_stop(struct storage_listener **listener);

/* ---- the auth log: one row per login attempt (auth-service.c) ---- */
#define STORAGE_AUTH_USER_MAX 128
struct storage_auth_entry {
	int64_t at;            /* unix time */
	char service[8];       /* imap, pop3, sieve, smtp */
	char client[48];       /* IP address, "" for UNIX sockets */
	char username[STORAGE_AUTH_USER_MAX + 1]; /* as sent (printable) */
	char result[12];       /* ok, failed, tempfail */
	char reason[64];
};
typedef void storage_auth_entry_cb(const struct storage_auth_entry *entry, void *context);
/* Append a row (strings are truncated to the fields' sizes). */
enum storage_result storage_auth_log_add(struct storage_conn *conn,
					 const struct storage_auth_entry *entry,
					 const char **error_r);
/* Rows at or after since, newest first, at most limit; failures_only
 * leaves out "ok"; username NULL for every user. */
enum storage_result storage_auth_log_list(struct storage_conn *conn, int64_t since,
					  const char *username, bool failures_only,
					  unsigned limit, storage_auth_entry_cb *cb, void *context,
					  const char **error_r);
/* Delete rows older than before; *deleted_r counts them. */
enum storage_result storage_auth_log_prune(struct storage_conn *conn, int64_t before,
					   int64_t *deleted_r, const char **error_r);

/* ---- integrity and statistics (tandemctl) ---- */
typedef void storage_report_cb(const char *problem, void *context);
/* Checks reference counts, orphans, uid/uidnext and modseq sanity, quota
 * usage. Each problem is reported through cb; with repair, each is fixed in
 * one transaction. *problems_r counts what was found. */
enum storage_result storage_check(struct storage_conn *conn, bool repair, storage_report_cb *cb,
				  void *context, unsigned *problems_r, const char **error_r);

struct storage_stats {
	int64_t domains, users, aliases, mailboxes;
	int64_t mails;          /* messages in mailboxes */
	int64_t messages;       /* physical messages */
	int64_t parts;          /* distinct MIME part bodies */
	int64_t logical_bytes;  /* sum of the sizes users see */
	int64_t part_bytes;     /* bytes of distinct part bodies stored */
};
enum storage_result storage_get_stats(struct storage_conn *conn, struct storage_stats *stats_r,
				      const char **error_r);

/* ---- greylisting (storage-greylist.c): the policy service's memory ----
 * Keyed by (client network, normalized sender, recipient), each at most
 * STORAGE_GREYLIST_KEY_MAX bytes (INVALID beyond). One write transaction
 * per check, so two tandemd on one database agree. */
#define STORAGE_GREYLIST_KEY_MAX 512
struct storage_greylist_params {
	int64_t now;                   /* unix time of the attempt */
	unsigned delay;                /* seconds before a retry is accepted */
	unsigned retry_window;         /* seconds after the first attempt a retry may come */
	unsigned autowhitelist_count;  /* accepted mails that whitelist the network; 0 = never */
	unsigned autowhitelist_days;   /* lifetime of a whitelisted network or passed triplet */
};
enum storage_greylist_verdict {
	STORAGE_GREYLIST_NEW,          /* first attempt (or expired): greylisted now */
	STORAGE_GREYLIST_EARLY,        /* retried before the delay: still greylisted */
	STORAGE_GREYLIST_PASSED,       /* retried after the delay, or passed before: accept */
	STORAGE_GREYLIST_WHITELISTED,  /* the client network is auto-whitelisted: accept */
};
struct storage_greylist_outcome {
	enum storage_greylist_verdict verdict;
	int64_t wait_secs;             /* NEW, EARLY: seconds until a retry is accepted */
	int64_t delayed_secs;          /* PASSED: seconds the mail was held (0: passed before) */
	int64_t passes;                /* PASSED: the network's accepted mails so far */
	bool whitelisted_now;          /* PASSED: this mail whitelisted the network */
};
/* Record an attempt and decide. TEMP when the database cannot answer. */
enum storage_result storage_greylist_check(struct storage_conn *conn, const char *client_net,
					   const char *sender, const char *recipient,
					   const struct storage_greylist_params *params,
					   struct storage_greylist_outcome *outcome_r,
					   const char **error_r);
/* Delete expired triplets and client networks (params' now, retry_window,
 * autowhitelist_days); *deleted_r counts the rows. */
enum storage_result storage_greylist_prune(struct storage_conn *conn,
					   const struct storage_greylist_params *params,
					   int64_t *deleted_r, const char **error_r);

/* Lower-cases address and checks it has one '@', a non-empty local part and
 * a domain within the limits. Returns 0 or -1 with *error_r static text. */
int storage_address_normalize(const char *address, char *out, size_t outsize,
			      const char **error_r);

#endif
