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
/* Removes one message from a mailbox, releasing quota and references. */
enum storage_result storage_mail_expunge(struct storage_conn *conn, int64_t mailbox_id,
					 uint32_t uid, const char **error_r);
enum storage_result storage_mail_set_flags(struct storage_conn *conn, int64_t mailbox_id,
					   uint32_t uid, uint32_t flags, const char *keywords,
					   const char **error_r);

/* ---- delivery ---- */
struct storage_delivery_rcpt {
	/* in */
	int64_t user_id;
	const char *mailbox;      /* NULL = INBOX; created if missing */
	uint32_t flags;           /* STORAGE_FLAG_* to set */
	const char *trace;        /* header lines to put before the message (Return-Path,
				     Delivered-To...), each ending in CRLF; may be NULL */
	bool enforce_quota;       /* false for imports by the administrator */
	/* out */
	enum storage_result result;
	uint32_t uid_r;
	int64_t mailbox_id_r;
};

struct storage_delivery {
	const struct mime_message *message; /* decomposed once for every recipient */
	int64_t internal_date;              /* unix time */
	struct storage_delivery_rcpt *rcpts;
	size_t rcpt_count;
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

/* Called from the group committer's thread when delivery is durably
 * committed (or failed); must not block. */
typedef void storage_delivery_done_cb(struct storage_delivery *delivery, void *context);
/* Queue delivery for the group committer. delivery and its message must
 * stay valid until done is called. Never blocks on the database. */
void storage_deliver_async(struct storage *storage, struct storage_delivery *delivery,
			   storage_delivery_done_cb *done, void *context);
/* Deliveries queued or being committed right now. */
unsigned storage_deliveries_pending(struct storage *storage);

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

/* Lower-cases address and checks it has one '@', a non-empty local part and
 * a domain within the limits. Returns 0 or -1 with *error_r static text. */
int storage_address_normalize(const char *address, char *out, size_t outsize,
			      const char **error_r);

#endif
