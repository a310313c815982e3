/* pop3-cmd-auth.c - the AUTHORIZATION state's login commands: USER/PASS
 * (RFC 1939 7), AUTH (RFC 5034) with PLAIN (RFC 4616) and LOGIN, an
 * initial response or "+" continuations, and STLS (RFC 2595 4). APOP is
 * not offered (it needs the password in clear on the server).
 *
 * Plaintext passwords only over TLS or from loopback unless
 * imap_allow_plaintext_auth (the same rule as IMAP). The check itself is
 * the auth service's, on its own threads: the session reads no further
 * command until the answer. Never logs a password, never keeps one after
 * the check, never says whether the user exists.
 */
#include "pop3-session.h"
#include "auth-service.h"
#include "connection.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The auth service answered (sasl_exchange_check). */
static void pop3_auth_done(void *context, const struct auth_reply *reply, const char *mech)
{
	struct pop3_session *session = context;
	if (reply->result == AUTH_RESULT_OK) {
		pop3_maildrop_open(session, reply->user, mech);
	} else if (reply->result == AUTH_RESULT_TEMPFAIL) {
		pop3_err(session, "[SYS/TEMP] temporary failure, try again later");
	} else {
		session->auth_failures++;
		pop3_err(session, "[AUTH] Authentication failed.");
		if (session->auth_failures >= POP3_AUTH_FAILURES_MAX)
			pop3_session_close(session, "auth failures");
	}
}

/* Check user and password off this worker's loop; reply when the answer
 * comes; no further command is read meanwhile. */
static void pop3_auth_check(struct pop3_session *session, const char *user,
			    const char *password, const char *mech)
{
	if (session->service->auth == NULL) {
		pop3_err(session, "[SYS/TEMP] authentication is not available");
		return;
	}
	sasl_exchange_check(&session->core, session->service->auth, "pop3", user, password, mech,
			    pop3_auth_done);
}

/* pop3_continuation_fn: one SASL response */
static void pop3_sasl_step(struct pop3_session *session, const char *resp, size_t len);

static bool pop3_auth_allowed(struct pop3_session *session)
{
	if (session->plaintext_ok)
		return true;
	pop3_err(session, "[AUTH] plaintext authentication is not allowed without TLS (STLS)");
	return false;
}

void pop3_cmd_user(struct pop3_session *session, const struct pop3_command *cmd)
{
	if (!pop3_auth_allowed(session))
		return;
	free(session->user_arg);
	session->user_arg = xstrdup(cmd->args[0]);
	pop3_ok(session, "send PASS");
}

void pop3_cmd_pass(struct pop3_session *session, const struct pop3_command *cmd)
{
	if (session->user_arg == NULL) {
		pop3_err(session, "USER first");
		return;
	}
	char *user = session->user_arg;
	session->user_arg = NULL;
	if (pop3_auth_allowed(session))
		pop3_auth_check(session, user, cmd->args[0], "login");
	free(user);
}

/* POP3's SASL rules (RFC 5034 4): "=" is the empty response, "*" cancels. */
static const struct sasl_exchange_rules pop3_sasl_rules = {
	.equals_is_empty = true,
	.cancel = true,
};

/* "+ challenge" and wait for the answer. */
static void pop3_sasl_challenge(struct pop3_session *session, const char *challenge)
{
	session->continuation = pop3_sasl_step;
	pop3_write(session, "+ ", 2);
	pop3_write(session, challenge, strlen(challenge));
	pop3_write(session, "\r\n", 2);
}

/* One SASL response (initial or after "+ "): the next challenge, the
 * check, or the error that ends the exchange. */
static void pop3_sasl_step(struct pop3_session *session, const char *resp, size_t len)
{
	struct sasl_exchange *ex = &session->sasl;
	const char *challenge = NULL, *user = NULL, *password = NULL;
	switch (sasl_exchange_step(ex, resp, len, &challenge, &user, &password)) {
	case SASL_EXCHANGE_CHALLENGE:
		pop3_sasl_challenge(session, challenge);
		return;
	case SASL_EXCHANGE_DONE:
		pop3_auth_check(session, user, password, sasl_exchange_mech_name(ex->mech));
		break;
	case SASL_EXCHANGE_CANCELLED:
		pop3_err(session, "authentication cancelled");
		break;
	case SASL_EXCHANGE_TOO_LONG:
	case SASL_EXCHANGE_BAD_BASE64:
		pop3_err(session, "invalid base64 in the SASL response");
		session->errors++;
		break;
	case SASL_EXCHANGE_AUTHZID:
		session->auth_failures++;
		pop3_err(session, "[AUTH] cannot log in as another user");
		break;
	case SASL_EXCHANGE_BAD_PLAIN:
		pop3_err(session, "malformed PLAIN response");
		session->errors++;
		break;
	case SASL_EXCHANGE_LOGIN_NUL:
		pop3_err(session, "NUL in a LOGIN response");
		break;
	}
	sasl_exchange_end(ex);
}

void pop3_cmd_auth(struct pop3_session *session, const struct pop3_command *cmd)
{
	if (cmd->arg_count == 0) {
		/* the mechanisms, as many clients ask (not in RFC 5034; harmless) */
		if (!session->plaintext_ok) {
			pop3_ok(session, "no mechanisms without TLS");
			pop3_write(session, ".\r\n", 3);
			return;
		}
		pop3_ok(session, "mechanisms follow");
		pop3_write(session, "PLAIN\r\nLOGIN\r\n.\r\n", 17);
		return;
	}
	enum sasl_exchange_mech mech;
	if (sasl_exchange_mech_parse(cmd->args[0], &mech) < 0) {
		pop3_err(session, "unsupported authentication mechanism");
		return;
	}
	if (!pop3_auth_allowed(session))
		return;
	sasl_exchange_begin(&session->sasl, mech, &pop3_sasl_rules);
	if (cmd->arg_count == 2) {
		pop3_sasl_step(session, cmd->args[1], strlen(cmd->args[1]));
		return;
	}
	pop3_sasl_challenge(session, sasl_exchange_first_challenge(&session->sasl));
}

void pop3_cmd_stls(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	if (net_conn_is_tls(session->core.conn)) {
		pop3_err(session, "TLS is already active");
		return;
	}
	if (!net_conn_can_starttls(session->core.conn)) {
		pop3_err(session, "TLS is not available");
		return;
	}
	free(session->user_arg); /* nothing from before TLS counts (RFC 2595 4) */
	session->user_arg = NULL;
	pop3_ok(session, "Begin TLS negotiation now");
	const char *error;
	if (net_conn_starttls(session->core.conn, &error) < 0) {
		log_info(session->core.sid, "pop3", "starttls_failed", "error=\"%s\"", error);
		pop3_err(session, "TLS negotiation failed");
		pop3_session_close(session, "starttls failed");
		return;
	}
	/* from here on everything the client says comes over TLS */
	session->plaintext_ok = true;
}
