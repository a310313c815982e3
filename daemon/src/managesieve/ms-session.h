/* ms-session.h - internal to src/managesieve: the service context, the
 * session and its state machine, assembling commands with their literals,
 * replies, and what the command files share.
 *
 * A session lives on one worker thread; it is freed when its connection is
 * gone and no auth check holds it any more. Commands run one at a time, in
 * the order the client sent them.
 */
#ifndef TANDEM_MS_SESSION_H
#define TANDEM_MS_SESSION_H

#include "managesieve.h"
#include "ms-parse.h"
#include "buf.h"
#include "line-reader.h"
#include "sasl-exchange.h"
#include "session-core.h"
#include "storage.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct event;
struct net_conn;
struct net_worker;

#define MS_PROTO "managesieve"

enum ms_state {
	MS_STATE_NONAUTH = 0,  /* before AUTHENTICATE (RFC 5804 1.6) */
	MS_STATE_AUTH,         /* logged in: the script commands */
	MS_STATE_LOGOUT,       /* after LOGOUT: replies flushed, then close */
	MS_STATE_COUNT
};

struct managesieve_service {
	struct managesieve_settings set;
	struct net_service *net;
	struct auth_service *auth;
};

struct ms_session;
/* The client's answer (a string) to a SASL challenge. */
typedef void ms_continuation_fn(struct ms_session *session, const struct ms_args *args);

struct ms_session {
	/* conn (NULL once gone), worker, sid, references, the input loop, the
	 * idle timer; core.auth_pending: AUTHENTICATE being checked */
	struct net_session_core core;
	struct managesieve_service *service;
	enum ms_state state;
	unsigned errors;           /* NO for bad or unknown commands */
	unsigned preauth_commands;
	unsigned auth_failures;
	bool plaintext_ok;         /* TLS, loopback peer or allow_plaintext_auth */

	/* the command being assembled: its lines and literals */
	struct net_line_reader line_reader; /* bounded lines, overlong ones skipped */
	struct buf cmd;
	uint64_t literal_left;     /* octets of the current literal still to come */
	unsigned literals;         /* literals in this command so far */
	const char *discard_reason; /* command over a limit: its bytes are dropped */
	bool discard_quota;        /* ... because of its size: NO (QUOTA/MAXSIZE) */

	/* NONAUTH: AUTHENTICATE in progress */
	ms_continuation_fn *continuation;
	struct sasl_exchange sasl;

	/* AUTH */
	int64_t user_id;
	char user[STORAGE_ADDRESS_MAX + 1];
};

/* ms-session.c */
void ms_enter_state(struct ms_session *session, enum ms_state state);
const char *ms_state_name(enum ms_state state);
/* OK / NO / BYE with an optional response code (e.g. "NONEXISTENT",
 * NULL for none) and a human-readable text, sent as a quoted string or,
 * when it cannot be one, a literal. Nothing when the client is gone. */
void ms_reply(struct ms_session *session, const char *status, const char *code,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A string as a quoted string (escaped) or a literal {n}. */
void ms_write_string(struct ms_session *session, const char *text, size_t len);
/* Raw bytes. */
void ms_write(struct ms_session *session, const void *data, size_t len);
/* Close after the replies are out (reason for the log). */
void ms_session_close(struct ms_session *session, const char *reason);
/* The worker's database connection, references for work that finishes
 * later and resuming the input: net_session_core_*(&session->core). */
void ms_session_hooks(struct net_service *net);
/* The capability lines (RFC 5804 1.7) followed by OK. */
void ms_send_capabilities(struct ms_session *session);

/* ms-commands.c: run one assembled command (data[len] writable). */
void ms_command_run(struct ms_session *session, char *data, size_t len);
/* A string argument (NUL-free) or NO "what" and false. */
bool ms_arg_string(struct ms_session *session, const struct ms_arg *arg, const char *what);

/* handlers: args->args[0] is the command name; argument counts checked */
typedef void ms_cmd_fn(struct ms_session *session, const struct ms_args *args);
/* ms-commands.c */
ms_cmd_fn ms_cmd_capability, ms_cmd_logout, ms_cmd_noop, ms_cmd_unauthenticate;
/* ms-auth.c */
ms_cmd_fn ms_cmd_authenticate, ms_cmd_starttls;
/* ms-scripts.c */
ms_cmd_fn ms_cmd_havespace, ms_cmd_putscript, ms_cmd_listscripts, ms_cmd_setactive,
	ms_cmd_getscript, ms_cmd_deletescript, ms_cmd_renamescript, ms_cmd_checkscript;

#endif
