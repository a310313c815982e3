/* sasl-exchange.h - the protocol-neutral half of a SASL exchange for the
 * mechanisms Tandem offers, PLAIN (RFC 4616) and LOGIN: choosing the
 * mechanism, the first challenge, decoding each base64 response, "*" to
 * cancel, LOGIN's two steps, PLAIN's split (sasl-plain.c), and in the end
 * the user name and password for the auth service.
 *
 * Each protocol (IMAP, POP3, ManageSieve, Postfix's SASL service) drives it
 * with its own framing ("+ ", quoted strings, CONT lines) and its own
 * replies: this module never writes to a client, never logs, never checks
 * a password itself. It wipes every decoded byte in sasl_exchange_end().
 *
 * sasl_exchange_check() hands the user name and password to the auth
 * service for a session built on net_session_core, holding the session
 * and reading no further input until the answer.
 */
#ifndef TANDEM_SASL_EXCHANGE_H
#define TANDEM_SASL_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>

struct auth_reply;
struct auth_service;
struct net_session_core;

enum sasl_exchange_mech {
	SASL_EXCHANGE_PLAIN = 0,
	SASL_EXCHANGE_LOGIN,
};

/* What one response led to. Every result but CHALLENGE ends the
 * exchange: the caller replies, then calls sasl_exchange_end(). */
enum sasl_exchange_result {
	SASL_EXCHANGE_CHALLENGE = 0, /* send *challenge_r, wait for the next response */
	SASL_EXCHANGE_DONE,          /* *user_r and *password_r are ready to check */
	SASL_EXCHANGE_CANCELLED,     /* the client sent "*" */
	SASL_EXCHANGE_TOO_LONG,      /* over the response_max of sasl_exchange_begin() */
	SASL_EXCHANGE_BAD_BASE64,    /* not base64 */
	SASL_EXCHANGE_BAD_PLAIN,     /* PLAIN: not authzid NUL authcid NUL passwd */
	SASL_EXCHANGE_AUTHZID,       /* PLAIN: an authzid other than the authcid */
	SASL_EXCHANGE_LOGIN_NUL,     /* LOGIN: a NUL in the user name or password */
};

/* Options of a protocol's exchange. */
struct sasl_exchange_rules {
	size_t response_max;  /* longest base64 response; 0: no limit here */
	bool equals_is_empty; /* "=" is the empty response (RFC 4959, RFC 5034) */
	bool cancel;          /* "*" cancels (IMAP, POP3, ManageSieve) */
};

/* One exchange in progress; lives inside the protocol's session. Zeroed
 * memory is a valid idle exchange. */
struct sasl_exchange {
	enum sasl_exchange_mech mech;
	struct sasl_exchange_rules rules;
	unsigned char *response;  /* the last decoded response (wiped at end) */
	size_t response_len;
	char *login_user;         /* LOGIN: the user name, waiting for the password */
};

/* The mechanism named name (any case), or -1 when not offered. */
int sasl_exchange_mech_parse(const char *name, enum sasl_exchange_mech *mech_r);
/* The mechanism's name for the auth service and logs: "plain", "login". */
const char *sasl_exchange_mech_name(enum sasl_exchange_mech mech);
/* Start an exchange (ending any earlier one). */
void sasl_exchange_begin(struct sasl_exchange *ex, enum sasl_exchange_mech mech,
			 const struct sasl_exchange_rules *rules);
/* The first challenge, base64, when there is no initial response:
 * "" for PLAIN, "Username:" for LOGIN. */
const char *sasl_exchange_first_challenge(const struct sasl_exchange *ex);
/* Take one response (base64, len bytes; the initial response or the
 * answer to a challenge). On CHALLENGE, *challenge_r is the next one
 * (base64); on DONE, *user_r and *password_r point into ex and stay
 * valid until sasl_exchange_end(). */
enum sasl_exchange_result sasl_exchange_step(struct sasl_exchange *ex, const char *in,
					     size_t len, const char **challenge_r,
					     const char **user_r, const char **password_r);
/* Wipe and free what the exchange holds; ex is idle again. */
void sasl_exchange_end(struct sasl_exchange *ex);

/* The auth service answered a sasl_exchange_check() of a session whose
 * connection is still there: reply. owner is core->owner. */
typedef void sasl_check_done_fn(void *owner, const struct auth_reply *reply, const char *mech);
/* Check user and password (copied) off this worker's loop for service
 * ("pop3", "sieve"): the session is held and reads nothing until done
 * has run; then its input resumes. */
void sasl_exchange_check(struct net_session_core *core, struct auth_service *auth,
			 const char *service, const char *user, const char *password,
			 const char *mech, sasl_check_done_fn *done);

#endif
