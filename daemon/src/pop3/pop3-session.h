/* pop3-session.h - internal to src/pop3: the service context, the session
 * and its state machine, the maildrop snapshot, and what the command files
 * share.
 *
 * A session lives on one worker thread; it is freed when its connection is
 * gone and no auth check holds it any more. Commands run one at a time, in
 * the order the client sent them (pipelining, RFC 2449 6.6).
 */
#ifndef TANDEM_POP3_SESSION_H
#define TANDEM_POP3_SESSION_H

#include "pop3.h"
#include "pop3-parse.h"
#include "sasl-exchange.h"
#include "session-core.h"
#include "storage.h"

#include <pthread.h>
#include <stdbool.h>

#include "line-reader.h"
#include <time.h>

struct event;
struct net_conn;
struct net_worker;

enum pop3_state {
	POP3_STATE_AUTHORIZATION = 0,
	POP3_STATE_TRANSACTION,
	POP3_STATE_UPDATE,   /* after QUIT in TRANSACTION: deletions committed, then close */
	POP3_STATE_COUNT
};

/* The maildrop locks of every session of the process: one POP3 session
 * per user at a time (RFC 1939 8: an exclusive-access lock). */
struct pop3_maildrop_locks {
	pthread_mutex_t mutex;
	int64_t *user_ids;
	size_t count, cap;
};

struct pop3_service {
	struct pop3_settings set;
	struct net_service *net;
	struct auth_service *auth;
	struct pop3_maildrop_locks locks;
};

/* One message of the maildrop: its index + 1 is its message number. */
struct pop3_mail {
	uint32_t uid;
	int64_t size;
	bool deleted;          /* DELE in this session (undone by RSET) */
	bool retrieved;        /* RETR in this session: \Seen at QUIT */
};

struct pop3_session;
/* A line the client sends in answer to "+ ..." (AUTH). */
typedef void pop3_continuation_fn(struct pop3_session *session, const char *line, size_t len);

struct pop3_session {
	/* conn (NULL once gone), worker, sid, references, the input loop, the
	 * idle timer; core.auth_pending: USER/PASS or AUTH being checked */
	struct net_session_core core;
	struct pop3_service *service;
	enum pop3_state state;
	unsigned errors;           /* -ERR for bad or unknown commands */
	unsigned preauth_commands;
	unsigned auth_failures;
	bool plaintext_ok;         /* TLS, loopback peer or allow_plaintext_auth */
	struct net_line_reader line_reader; /* bounded lines, overlong ones skipped */

	/* AUTHORIZATION */
	char *user_arg;            /* USER's argument, waiting for PASS */
	pop3_continuation_fn *continuation;
	struct sasl_exchange sasl; /* AUTH in progress */

	/* TRANSACTION: the maildrop as it was at login */
	int64_t user_id;
	char user[STORAGE_ADDRESS_MAX + 1];
	bool locked;               /* holds the maildrop lock of user_id */
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct pop3_mail *mails;
	size_t mail_count;
};

/* pop3-session.c */
void pop3_enter_state(struct pop3_session *session, enum pop3_state state);
const char *pop3_state_name(enum pop3_state state);
/* "+OK text" / "-ERR text" (CRLF added); nothing when the client is gone. */
void pop3_ok(struct pop3_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pop3_err(struct pop3_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Raw bytes (multi-line responses). */
void pop3_write(struct pop3_session *session, const void *data, size_t len);
/* Close after the replies are out (reason for the log). */
void pop3_session_close(struct pop3_session *session, const char *reason);
/* The worker's database connection, references for work that finishes
 * later and resuming the input: net_session_core_*(&session->core). */
void pop3_session_hooks(struct net_service *net);

/* pop3-commands.c: run one command line. */
void pop3_command_run(struct pop3_session *session, const char *line, size_t len);

/* pop3-maildrop.c: after a successful check: lock the maildrop (-ERR
 * [IN-USE] when another session holds it), load INBOX, enter
 * TRANSACTION and reply +OK; on failure reply and stay in AUTHORIZATION. */
void pop3_maildrop_open(struct pop3_session *session, const struct storage_user *user,
			const char *mech);
/* QUIT in TRANSACTION: expunge the messages marked with DELE. 0 on
 * success; -1 after logging (some were not removed). */
int pop3_maildrop_commit(struct pop3_session *session);
/* Forget the snapshot and release the lock (session end). */
void pop3_maildrop_close(struct pop3_session *session);
/* The lock table (pop3-service.c creates and frees it). */
void pop3_maildrop_locks_init(struct pop3_maildrop_locks *locks);
void pop3_maildrop_locks_deinit(struct pop3_maildrop_locks *locks);

/* pop3-cmd-*.c: the handlers (args already split; see pop3-commands.c). */
typedef void pop3_cmd_fn(struct pop3_session *session, const struct pop3_command *cmd);
pop3_cmd_fn pop3_cmd_user, pop3_cmd_pass, pop3_cmd_auth, pop3_cmd_stls;
pop3_cmd_fn pop3_cmd_stat, pop3_cmd_list, pop3_cmd_uidl, pop3_cmd_retr, pop3_cmd_top,
	pop3_cmd_dele, pop3_cmd_rset, pop3_cmd_noop;
pop3_cmd_fn pop3_cmd_capa, pop3_cmd_quit;

#endif
