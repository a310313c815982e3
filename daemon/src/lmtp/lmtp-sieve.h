/* lmtp-sieve.h - internal to src/lmtp: what Sieve decided for one user of
 * one RCPT (lmtp-sieve.c), for lmtp-deliver.c to turn into storage
 * recipients, a per-RCPT reply and jobs for the submit queue.
 */
#ifndef TANDEM_LMTP_SIEVE_H
#define TANDEM_LMTP_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lmtp_session;
struct lmtp_service;
struct lmtp_rcpt;
struct lmtp_submit_job;

/* Most copies one user's scripts may store (fileinto + keep); the rest go
 * to INBOX as one copy. */
#define LMTP_SIEVE_STORES_MAX 32
/* Most redirects and vacation replies one user's scripts may send. */
#define LMTP_SIEVE_SUBMITS_MAX 8
/* Longest reject reason sent in the LMTP reply (printable ASCII). */
#define LMTP_SIEVE_REASON_MAX 200

/* One copy to store. */
struct lmtp_sieve_store {
	char *mailbox;   /* NULL = INBOX */
	uint32_t flags;  /* STORAGE_FLAG_* */
	char *keywords;  /* space-separated, NULL = none */
};

struct lmtp_sieve_outcome {
	struct lmtp_sieve_store *stores; /* none: discarded, redirected away or rejected */
	size_t store_count;
	bool rejected;                   /* reject/ereject: the RCPT's reply is 550 5.7.1 */
	char reason[LMTP_SIEVE_REASON_MAX + 1];
	struct lmtp_submit_job *submits; /* redirects and replies, queued after commit */
	bool has_quota;                  /* the user has a byte or message quota: after
					    commit, check for the quota warning */
};

/* Run the administrator's script and the user's active one on the message
 * for user_id of rc (on the session's worker; blocks only on the worker's
 * database connection). Never fails: trouble of any kind ends in one copy
 * for INBOX and a log line. trace is this RCPT's trace header. */
void lmtp_sieve_run(struct lmtp_session *session, const struct lmtp_rcpt *rc, int64_t user_id,
		    const unsigned char *data, size_t size, const char *trace,
		    struct lmtp_sieve_outcome *out);
void lmtp_sieve_outcome_free(struct lmtp_sieve_outcome *out);

/* (Re)read the administrator's script (sieve_admin_script): compiled, it
 * replaces the old one; a file that cannot be read or compiled is logged
 * and the service then runs none. Any thread. */
void lmtp_sieve_admin_reload(struct lmtp_service *service);
void lmtp_sieve_admin_free(struct lmtp_service *service);

#endif
