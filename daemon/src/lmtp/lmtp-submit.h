/* lmtp-submit.h - internal to src/lmtp: the submit queue, one thread that
 * does what follows a committed delivery and may block or take long:
 * Postfix's sendmail for Sieve redirects and vacation replies, the
 * vacation :days bookkeeping, and the quota warning.
 *
 * Workers only queue (lmtp_submit_queue never blocks on anything but a
 * short mutex); the thread has its own database connection.
 */
#ifndef TANDEM_LMTP_SUBMIT_H
#define TANDEM_LMTP_SUBMIT_H

#include "session-id.h"
#include "storage.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Jobs queued and not done; lmtp_submit_busy() says "full" beyond it (new
 * redirects are then kept in INBOX instead). */
#define LMTP_SUBMIT_QUEUE_MAX 1000
/* Bytes of messages queued for redirect beyond which the queue is full. */
#define LMTP_SUBMIT_QUEUE_BYTES_MAX ((size_t)512 * 1024 * 1024)

struct lmtp_submit_settings {
	const char *sendmail_path;
	const char *sendmail_config_dir;  /* MAIL_CONFIG; "" = Postfix's default */
	unsigned timeout_secs;            /* one sendmail run; killed beyond */
	unsigned quota_warning_percent;   /* 0 = no quota warnings */
	const char *quota_warning_from;   /* "" = postmaster@<user's domain> */
	const char *hostname;             /* Message-ID of composed messages */
};

enum lmtp_submit_kind {
	LMTP_SUBMIT_REDIRECT,    /* send data on to rcpt from sender; failing: INBOX */
	LMTP_SUBMIT_VACATION,    /* :days check, then send the composed reply */
	LMTP_SUBMIT_QUOTA_CHECK, /* warn the user once past quota_warning_percent */
};

struct lmtp_submit_job {
	enum lmtp_submit_kind kind;
	char sid[SESSION_ID_SIZE];
	int64_t user_id;
	char *user_address;      /* the user's own address */
	char *sender;            /* envelope sender for sendmail -f ("" = null) */
	char *rcpt;              /* envelope recipient */
	unsigned char *data;     /* REDIRECT: the message as sent on; VACATION: the reply */
	size_t size;
	char *trace;             /* REDIRECT: trace header for the INBOX fallback */
	char *vacation_handle;   /* VACATION: :days key */
	unsigned vacation_days;
	/* REDIRECT: called on the submit thread when the job is over, with
	 * whether the message is safe (handed to sendmail, or kept in INBOX);
	 * also when the queue refuses the job. May be NULL. */
	void (*done)(bool safe, void *context);
	void *done_context;
	struct lmtp_submit_job *next;
};

struct lmtp_submit;

/* Start the thread (it connects to the storage). -1 with *error_r (malloc'd). */
int lmtp_submit_start(const struct lmtp_submit_settings *set, struct storage *storage,
		      struct lmtp_submit **submit_r, char **error_r);
/* Finish the queue (each job gets its run, bounded by timeout_secs; a
 * redirect that cannot be sent goes to INBOX), then join. NULL is fine. */
void lmtp_submit_stop(struct lmtp_submit **submit);
/* Take job (and the chain behind job->next); never blocks. After stop
 * (submit NULL) the jobs are logged and dropped. */
void lmtp_submit_queue(struct lmtp_submit *submit, struct lmtp_submit_job *job);
/* Whether the queue is over its limits (or not running): callers keep a
 * redirected message in INBOX rather than queue it. */
bool lmtp_submit_busy(struct lmtp_submit *submit);
/* Whether the queue still takes jobs (started, not stopping). */
bool lmtp_submit_running(struct lmtp_submit *submit);
void lmtp_submit_job_free(struct lmtp_submit_job **job);

/* Compose an auto-reply (RFC 5230 section 5) into a malloc'd message with
 * LF line ends; pure. from/to/subject/in_reply_to are header-safe here
 * (controls replaced); body is text/plain UTF-8 unless mime (then it is a
 * whole MIME entity: its header, a blank line, its body). */
char *lmtp_submit_compose_vacation(const char *from, const char *to, const char *subject,
				   const char *in_reply_to, const char *body, bool mime,
				   const char *hostname, int64_t now, size_t *size_r);

#endif
