/* cmd-auth.c - logging in (RFC 3501 6.2): LOGIN, and AUTHENTICATE with the
 * SASL mechanisms PLAIN (RFC 4616) and LOGIN, with an initial response
 * (SASL-IR, RFC 4959) or through "+" continuations.
 *
 * Plaintext passwords only over TLS or from loopback unless
 * imap_allow_plaintext_auth. The check itself (SQL or LDAP, throttled,
 * logged) is the auth service's, on its own threads: the session reads no
 * further command until the answer. Never logs a password, never keeps one
 * after the check (buffers are wiped), never says whether the user exists.
 */
#include "imap-commands.h"
#include "auth-service.h"
#include "sasl-exchange.h"
#include "connection.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest base64 SASL response accepted (user + password + authzid). */
#define IMAP_SASL_RESPONSE_MAX 2048

/* A LOGIN/AUTHENTICATE waiting for the auth service. */
struct imap_auth_wait {
	struct imap_session *session;
	char tag[IMAP_TAG_MAX + 1];
	char mech[8];
};

/* The auth service answered (on this session's worker). */
static void imap_auth_done(const struct auth_reply *reply, void *context)
{
	struct imap_auth_wait *wait = context;
	struct imap_session *session = wait->session;
	struct imap_client_cmd cmd = { .session = session, .tag = wait->tag, .name = "LOGIN" };
	session->auth_pending = false;
	if (session->conn != NULL) {
		if (reply->result == AUTH_RESULT_OK) {
			imap_session_login(session, reply->user, wait->mech);
			imap_cmd_ok(&cmd, "[CAPABILITY %s] logged in", imap_capabilities(session));
		} else if (reply->result == AUTH_RESULT_TEMPFAIL) {
			imap_cmd_no(&cmd, "[UNAVAILABLE] temporary failure, try again later");
		} else {
			session->auth_failures++;
			imap_cmd_no(&cmd, "[AUTHENTICATIONFAILED] Authentication failed.");
			if (session->auth_failures >= IMAP_AUTH_FAILURES_MAX)
				imap_session_bye(session, "too many failed logins", "auth failures");
		}
		imap_session_resume(session);
	}
	imap_session_release(session);
	free(wait);
}

/* Check user and password (off this worker's loop) and reply when the
 * answer comes; no further command is read meanwhile. */
static void imap_auth_check(struct imap_client_cmd *cmd, const char *user, const char *password,
			    const char *mech)
{
	struct imap_session *session = cmd->session;
	if (session->service->auth == NULL) {
		imap_cmd_no(cmd, "[UNAVAILABLE] authentication is not available");
		return;
	}
	struct imap_auth_wait *wait = xcalloc(1, sizeof(*wait));
	wait->session = session;
	snprintf(wait->tag, sizeof(wait->tag), "%s", cmd->tag);
	snprintf(wait->mech, sizeof(wait->mech), "%s", mech);
	struct auth_request req = {
		.service = "imap",
		.sid = session->sid,
		.peer_addr = net_conn_peer_addr(session->conn),
		.mech = mech,
		.user = user,
		.password = password,
	};
	session->auth_pending = true;
	net_conn_set_reading(session->conn, false);
	imap_session_hold(session);
	auth_login(session->service->auth, session->worker, &req, imap_auth_done, wait);
}

static bool imap_auth_allowed(struct imap_client_cmd *cmd)
{
	if (cmd->session->plaintext_ok)
		return true;
	imap_cmd_no(cmd, "[PRIVACYREQUIRED] plaintext authentication is not allowed here");
	return false;
}

void imap_cmd_login(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 2 || !imap_arg_is_astring(&cmd->args[0]) ||
	    !imap_arg_is_astring(&cmd->args[1])) {
		imap_cmd_bad(cmd, "LOGIN needs a user name and a password");
		return;
	}
	if (!imap_auth_allowed(cmd))
		return;
	if (memchr(cmd->args[0].str, '\0', cmd->args[0].len) != NULL ||
	    memchr(cmd->args[1].str, '\0', cmd->args[1].len) != NULL) {
		imap_cmd_bad(cmd, "NUL in the user name or password");
		return;
	}
	imap_auth_check(cmd, cmd->args[0].str, cmd->args[1].str, "login");
}

/* The command a continuation line answers. */
static struct imap_client_cmd imap_auth_cmd(struct imap_session *session)
{
	struct imap_client_cmd cmd = {
		.session = session,
		.tag = session->cont_tag,
		.name = "AUTHENTICATE",
	};
	return cmd;
}

/* IMAP's SASL rules: "=" is the empty response (RFC 4959), "*" cancels
 * (RFC 3501 6.2.2). */
static const struct sasl_exchange_rules imap_sasl_rules = {
	.response_max = IMAP_SASL_RESPONSE_MAX,
	.equals_is_empty = true,
	.cancel = true,
};

static void imap_sasl_cont(struct imap_session *session, const char *line, size_t len);

/* "+ challenge"; the answer goes to imap_sasl_cont. */
static void imap_sasl_challenge(struct imap_session *session, const char *challenge)
{
	session->continuation = imap_sasl_cont;
	imap_reply(session, "+ %s", challenge);
}

/* One SASL response (initial or after "+ "): the next challenge, the
 * check, or the reply that ends the exchange. */
static void imap_sasl_step(struct imap_client_cmd *cmd, const char *resp, size_t len)
{
	struct sasl_exchange *ex = &cmd->session->sasl;
	const char *challenge = NULL, *user = NULL, *password = NULL;
	switch (sasl_exchange_step(ex, resp, len, &challenge, &user, &password)) {
	case SASL_EXCHANGE_CHALLENGE:
		imap_sasl_challenge(cmd->session, challenge);
		return;
	case SASL_EXCHANGE_DONE:
		imap_auth_check(cmd, user, password, sasl_exchange_mech_name(ex->mech));
		break;
	case SASL_EXCHANGE_CANCELLED:
		imap_cmd_bad(cmd, "authentication cancelled");
		break;
	case SASL_EXCHANGE_TOO_LONG:
		imap_cmd_bad(cmd, "SASL response too long");
		break;
	case SASL_EXCHANGE_BAD_BASE64:
		imap_cmd_bad(cmd, "invalid base64 in the SASL response");
		break;
	case SASL_EXCHANGE_AUTHZID:
		cmd->session->auth_failures++;
		imap_cmd_no(cmd, "[AUTHORIZATIONFAILED] cannot log in as another user");
		break;
	case SASL_EXCHANGE_BAD_PLAIN:
		imap_cmd_bad(cmd, "malformed PLAIN response");
		break;
	case SASL_EXCHANGE_LOGIN_NUL:
		imap_cmd_bad(cmd, "NUL in a LOGIN response");
		break;
	}
	sasl_exchange_end(ex);
}

static void imap_sasl_cont(struct imap_session *session, const char *line, size_t len)
{
	struct imap_client_cmd cmd = imap_auth_cmd(session);
	imap_sasl_step(&cmd, line, len);
}

void imap_cmd_authenticate(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count < 1 || cmd->arg_count > 2 || cmd->args[0].type != IMAP_ARG_ATOM ||
	    (cmd->arg_count == 2 && cmd->args[1].type != IMAP_ARG_ATOM)) {
		imap_cmd_bad(cmd, "AUTHENTICATE needs a mechanism and an optional initial response");
		return;
	}
	enum sasl_exchange_mech mech;
	if (sasl_exchange_mech_parse(cmd->args[0].str, &mech) < 0) {
		imap_cmd_no(cmd, "unsupported authentication mechanism");
		return;
	}
	if (!imap_auth_allowed(cmd))
		return;
	snprintf(session->cont_tag, sizeof(session->cont_tag), "%s", cmd->tag);
	sasl_exchange_begin(&session->sasl, mech, &imap_sasl_rules);
	if (cmd->arg_count == 2) {
		imap_sasl_step(cmd, cmd->args[1].str, cmd->args[1].len);
		return;
	}
	imap_sasl_challenge(session, sasl_exchange_first_challenge(&session->sasl));
}
