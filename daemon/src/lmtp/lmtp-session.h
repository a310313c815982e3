/* lmtp-session.h - internal to src/lmtp: the session, its state machine,
 * and the functions the command, data and delivery files share.
 *
 * A session is referenced by its connection and by a delivery in flight; it
 * is freed when both are gone, so a client that disconnects while its
 * message commits leaves a "zombie" session that the committer's callback
 * still finds (and that then sends nothing).
 */
#ifndef TANDEM_LMTP_SESSION_H
#define TANDEM_LMTP_SESSION_H

#include "buf.h"
#include "lmtp.h"
#include "lmtp-data.h"
#include "lmtp-parse.h"
#include "session-id.h"
#include "storage.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct net_conn;
struct net_service;
struct net_worker;
struct lmtp_job;
struct auth_service;

enum lmtp_state {
	LMTP_STATE_GREETED = 0, /* greeting sent; only LHLO (and RSET/NOOP/QUIT...) */
	LMTP_STATE_READY,       /* after LHLO, no transaction: MAIL may start one */
	LMTP_STATE_MAIL,        /* MAIL FROM accepted, no recipient yet */
	LMTP_STATE_RCPT,        /* at least one recipient accepted: DATA possible */
	LMTP_STATE_DATA,        /* reading the message after 354 */
	LMTP_STATE_COMMITTING,  /* message with the storage; input paused */
	LMTP_STATE_COUNT
};

struct lmtp_sieve_admin;
struct lmtp_submit;

struct lmtp_service {
	struct lmtp_settings set;
	char *hostname;
	char *strings[5];          /* set's other strings, copied */
	struct lmtp_submit *submit; /* the submit queue; NULL until started, after stop */
	pthread_mutex_t admin_lock;
	struct lmtp_sieve_admin *admin; /* the administrator's script; under admin_lock */
	struct storage *storage;
	struct auth_service *auth; /* directory lookups for unknown recipients; may be NULL */
	struct net_service *net;
	atomic_uint deliveries_in_flight;
};

/* One accepted RCPT. */
struct lmtp_rcpt {
	char *address;     /* as the client wrote it: replies, Delivered-To */
	char detail[STORAGE_LOCALPART_MAX + 1]; /* "+detail", kept for Sieve */
	int64_t *user_ids; /* the local users it resolved to */
	size_t user_count;
};

struct lmtp_session {
	struct lmtp_service *service;
	struct net_conn *conn;     /* NULL once the connection is gone */
	struct net_worker *worker; /* fixed: where the committer comes back to */
	char sid[SESSION_ID_SIZE];
	unsigned refs;             /* connection + delivery in flight + input loop */
	enum lmtp_state state;
	unsigned errors;           /* protocol errors, LMTP_ERRORS_MAX closes */
	bool skipping_line;        /* discarding the rest of an overlong line */
	bool shutting_down;        /* server stopping: close once idle */
	bool in_input;             /* lmtp_session_input() is running */
	bool rcpt_pending;         /* a RCPT waits for the directory: read nothing */
	char *line;                /* the current command line */

	/* the transaction (MAIL .. end of DATA) */
	bool null_sender;
	char sender[LMTP_PATH_MAX + 1];
	bool has_size;
	uint64_t declared_size;
	struct lmtp_rcpt *rcpts;
	size_t rcpt_count, rcpt_alloc;
	size_t user_total;         /* users over every rcpt */

	/* DATA */
	struct buf message;
	struct lmtp_data_reader data;
};

/* lmtp-session.c */
void lmtp_enter_state(struct lmtp_session *session, enum lmtp_state state);
const char *lmtp_state_name(enum lmtp_state state);
/* Send one reply line (CRLF added); nothing when the client is gone. */
void lmtp_reply(struct lmtp_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A protocol error reply: counts towards LMTP_ERRORS_MAX. */
void lmtp_reply_error(struct lmtp_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Close the connection after the replies are out (the session may live on
 * while a delivery is in flight). */
void lmtp_session_close(struct lmtp_session *session, const char *reason);
/* Forget the transaction (MAIL, RCPTs, message). */
void lmtp_session_reset_transaction(struct lmtp_session *session);
/* The transaction has its replies: back to READY and read what the client
 * pipelined (or close, when the server is stopping). */
void lmtp_session_transaction_done(struct lmtp_session *session);
/* A command that paused the input (rcpt_pending) has replied: read on. */
void lmtp_session_resume(struct lmtp_session *session);
void lmtp_session_ref(struct lmtp_session *session);
/* Fill the session hooks of the service's struct net_service. */
void lmtp_session_hooks(struct net_service *net);
void lmtp_session_unref(struct lmtp_session **session);

/* lmtp-commands.c: run one command line (without its line end). */
void lmtp_command_run(struct lmtp_session *session, const char *line, size_t len);

/* lmtp-rcpt.c: RCPT TO (may ask the directory, pausing the input). */
void lmtp_cmd_rcpt(struct lmtp_session *session, const char *args, size_t args_len);

/* lmtp-deliver.c: the end of DATA was read; deliver and reply. */
void lmtp_deliver_message(struct lmtp_session *session);

#endif
