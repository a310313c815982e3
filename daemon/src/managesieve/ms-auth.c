/* ms-auth.c - NONAUTH's ways in: AUTHENTICATE (RFC 5804 2.1) with PLAIN
 * (RFC 4616) and LOGIN, an initial response or challenges answered with a
 * string, "*" to cancel; and STARTTLS (RFC 5804 2.2), after which the
 * capabilities are sent again over TLS.
 *
 * Passwords only over TLS or from loopback unless allowed by the
 * configuration (the rule of IMAP and POP3). The check itself is the auth
 * service's (service "sieve"), on its own threads: the session reads no
 * further command until the answer. Never logs a password, never keeps one
 * after the check, never says whether the user exists.
 */
#include "ms-session.h"
#include "auth-service.h"
#include "connection.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ms_auth_failed(struct ms_session *session, const char *text)
{
	session->auth_failures++;
	ms_reply(session, "NO", NULL, "%s", text);
	if (session->auth_failures >= MANAGESIEVE_AUTH_FAILURES_MAX) {
		ms_reply(session, "BYE", NULL, "Too many authentication failures");
		ms_session_close(session, "auth failures");
	}
}

/* The auth service answered (sasl_exchange_check). */
static void ms_auth_done(void *context, const struct auth_reply *reply, const char *mech)
{
	struct ms_session *session = context;
	if (reply->result == AUTH_RESULT_OK) {
		session->user_id = reply->user->id;
		snprintf(session->user, sizeof(session->user), "%s", reply->user->address);
		log_info(session->core.sid, MS_PROTO, "login", "user=%s mech=%s", session->user,
			 mech);
		ms_enter_state(session, MS_STATE_AUTH);
		ms_reply(session, "OK", NULL, "Logged in");
	} else if (reply->result == AUTH_RESULT_TEMPFAIL) {
		ms_reply(session, "NO", "TRYLATER", "Temporary failure, try again later");
	} else {
		ms_auth_failed(session, "Authentication failed");
	}
}

/* Check user and password off this worker's loop; reply when the answer
 * comes; no further command is read meanwhile. */
static void ms_auth_check(struct ms_session *session, const char *user, const char *password,
			  const char *mech)
{
	if (session->service->auth == NULL) {
		ms_reply(session, "NO", "TRYLATER", "Authentication is not available");
		return;
	}
	sasl_exchange_check(&session->core, session->service->auth, "sieve", user, password,
			    mech, ms_auth_done);
}

/* ManageSieve's SASL rules: responses are strings, "*" cancels
 * (RFC 5804 2.1); "=" is not special. */
static const struct sasl_exchange_rules ms_sasl_rules = {
	.cancel = true,
};

static void ms_sasl_continue(struct ms_session *session, const struct ms_args *args);

/* A challenge as a quoted string; the answer goes to ms_sasl_continue. */
static void ms_sasl_challenge(struct ms_session *session, const char *challenge)
{
	session->continuation = ms_sasl_continue;
	ms_write(session, "\"", 1);
	ms_write(session, challenge, strlen(challenge));
	ms_write(session, "\"\r\n", 3);
}

/* One SASL response (initial or the answer to a challenge): the next
 * challenge, the check, or the NO that ends the exchange. */
static void ms_sasl_step(struct ms_session *session, const char *resp, size_t len)
{
	struct sasl_exchange *ex = &session->sasl;
	const char *challenge = NULL, *user = NULL, *password = NULL;
	switch (sasl_exchange_step(ex, resp, len, &challenge, &user, &password)) {
	case SASL_EXCHANGE_CHALLENGE:
		ms_sasl_challenge(session, challenge);
		return;
	case SASL_EXCHANGE_DONE:
		ms_auth_check(session, user, password, sasl_exchange_mech_name(ex->mech));
		break;
	case SASL_EXCHANGE_CANCELLED:
		ms_reply(session, "NO", NULL, "Authentication cancelled");
		break;
	case SASL_EXCHANGE_TOO_LONG:
	case SASL_EXCHANGE_BAD_BASE64:
		ms_reply(session, "NO", NULL, "Invalid base64 in the SASL response");
		session->errors++;
		break;
	case SASL_EXCHANGE_AUTHZID:
		ms_auth_failed(session, "Cannot log in as another user");
		break;
	case SASL_EXCHANGE_BAD_PLAIN:
		ms_auth_failed(session, "Malformed PLAIN response");
		break;
	case SASL_EXCHANGE_LOGIN_NUL:
		ms_auth_failed(session, "NUL in a LOGIN response");
		break;
	}
	sasl_exchange_end(ex);
}

/* The client's answer to a challenge: one string. */
static void ms_sasl_continue(struct ms_session *session, const struct ms_args *args)
{
	if (args->count != 1 || args->args[0].type != MS_ARG_STRING) {
		ms_reply(session, "NO", NULL, "Expected a string as the SASL response");
		session->errors++;
		sasl_exchange_end(&session->sasl);
		return;
	}
	ms_sasl_step(session, args->args[0].data, args->args[0].len);
}

void ms_cmd_authenticate(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *mech_arg = &args->args[1];
	if (!ms_arg_string(session, mech_arg, "the mechanism"))
		return;
	enum sasl_exchange_mech mech;
	if (sasl_exchange_mech_parse(mech_arg->data, &mech) < 0) {
		ms_reply(session, "NO", NULL, "Unsupported authentication mechanism");
		return;
	}
	if (!session->plaintext_ok) {
		ms_reply(session, "NO", "ENCRYPT-NEEDED",
			 "Plaintext authentication is not allowed without TLS (STARTTLS)");
		return;
	}
	sasl_exchange_begin(&session->sasl, mech, &ms_sasl_rules);
	if (args->count == 3) {
		/* the initial response, a string like a later answer */
		struct ms_args initial = { .count = 1, .args = { args->args[2] } };
		ms_sasl_continue(session, &initial);
		return;
	}
	ms_sasl_challenge(session, sasl_exchange_first_challenge(&session->sasl));
}

void ms_cmd_starttls(struct ms_session *session, const struct ms_args *args)
{
	(void)args;
	if (net_conn_is_tls(session->core.conn)) {
		ms_reply(session, "NO", NULL, "TLS is already active");
		return;
	}
	if (!net_conn_can_starttls(session->core.conn)) {
		ms_reply(session, "NO", NULL, "TLS is not available");
		return;
	}
	ms_reply(session, "OK", NULL, "Begin TLS negotiation now");
	const char *error;
	if (net_conn_starttls(session->core.conn, &error) < 0) {
		log_info(session->core.sid, MS_PROTO, "starttls_failed", "error=\"%s\"", error);
		ms_reply(session, "BYE", NULL, "TLS negotiation failed");
		ms_session_close(session, "starttls failed");
		return;
	}
	/* from here on everything the client says comes over TLS; what it sent
	 * after the command in plaintext was discarded by net_conn_starttls,
	 * and so must be whatever of it we had already taken */
	session->plaintext_ok = true;
	session->continuation = NULL;
	/* RFC 5804 2.2: the capabilities again, now over TLS */
	ms_send_capabilities(session);
}
