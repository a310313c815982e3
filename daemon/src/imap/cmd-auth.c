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
#include "base64.h"
#include "sasl-plain.h"
#include "connection.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Decode one SASL response; replies BAD and returns NULL when malformed or
 * cancelled ("*"). The result is allocated and wiped by the caller. */
static unsigned char *imap_sasl_decode(struct imap_client_cmd *cmd, const char *in, size_t len,
				       size_t *len_r)
{
	if (len == 1 && in[0] == '*') {
		imap_cmd_bad(cmd, "authentication cancelled");
		return NULL;
	}
	if (len > IMAP_SASL_RESPONSE_MAX) {
		imap_cmd_bad(cmd, "SASL response too long");
		return NULL;
	}
	unsigned char *out = xmalloc(BASE64_DECODED_MAX(len));
	if (len == 1 && in[0] == '=') {
		out[0] = '\0';
		*len_r = 0;
		return out;
	}
	if (base64_decode(in, len, out, len_r) < 0) {
		free(out);
		imap_cmd_bad(cmd, "invalid base64 in the SASL response");
		return NULL;
	}
	return out;
}

static void imap_sasl_wipe(unsigned char **data, size_t len)
{
	if (*data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}

/* PLAIN: [authzid] NUL authcid NUL passwd */
static void imap_sasl_plain(struct imap_client_cmd *cmd, const char *resp, size_t resp_len)
{
	size_t len;
	unsigned char *data = imap_sasl_decode(cmd, resp, resp_len, &len);
	if (data == NULL)
		return;
	const char *authcid, *passwd;
	int ret = sasl_plain_split((const char *)data, len, &authcid, &passwd);
	if (ret == -2) {
		cmd->session->auth_failures++;
		imap_cmd_no(cmd, "[AUTHORIZATIONFAILED] cannot log in as another user");
	} else if (ret < 0) {
		imap_cmd_bad(cmd, "malformed PLAIN response");
	} else {
		imap_auth_check(cmd, authcid, passwd, "plain");
	}
	imap_sasl_wipe(&data, len);
}

static void imap_sasl_plain_cont(struct imap_session *session, const char *line, size_t len)
{
	struct imap_client_cmd cmd = imap_auth_cmd(session);
	imap_sasl_plain(&cmd, line, len);
}

static void imap_sasl_login_cont(struct imap_session *session, const char *line, size_t len)
{
	struct imap_client_cmd cmd = imap_auth_cmd(session);
	size_t dlen;
	unsigned char *data = imap_sasl_decode(&cmd, line, len, &dlen);
	if (data == NULL) {
		free(session->cont_user);
		session->cont_user = NULL;
		return;
	}
	if (memchr(data, '\0', dlen) != NULL) {
		imap_cmd_bad(&cmd, "NUL in a LOGIN response");
	} else if (session->cont_user == NULL) {
		session->cont_user = (char *)data;
		data = NULL;
		session->continuation = imap_sasl_login_cont;
		imap_reply(session, "+ UGFzc3dvcmQ6"); /* "Password:" */
		return;
	} else {
		imap_auth_check(&cmd, session->cont_user, (const char *)data, "login");
	}
	imap_sasl_wipe(&data, dlen);
	free(session->cont_user);
	session->cont_user = NULL;
}

void imap_cmd_authenticate(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count < 1 || cmd->arg_count > 2 || cmd->args[0].type != IMAP_ARG_ATOM ||
	    (cmd->arg_count == 2 && cmd->args[1].type != IMAP_ARG_ATOM)) {
		imap_cmd_bad(cmd, "AUTHENTICATE needs a mechanism and an optional initial response");
		return;
	}
	bool plain = strcasecmp(cmd->args[0].str, "PLAIN") == 0;
	bool login = strcasecmp(cmd->args[0].str, "LOGIN") == 0;
	if (!plain && !login) {
		imap_cmd_no(cmd, "unsupported authentication mechanism");
		return;
	}
	if (!imap_auth_allowed(cmd))
		return;
	snprintf(session->cont_tag, sizeof(session->cont_tag), "%s", cmd->tag);
	free(session->cont_user);
	session->cont_user = NULL;
	if (plain) {
		if (cmd->arg_count == 2) {
			imap_sasl_plain(cmd, cmd->args[1].str, cmd->args[1].len);
			return;
		}
		session->continuation = imap_sasl_plain_cont;
		imap_reply(session, "+ ");
		return;
	}
	if (cmd->arg_count == 2) {
		imap_sasl_login_cont(session, cmd->args[1].str, cmd->args[1].len);
		return;
	}
	session->continuation = imap_sasl_login_cont;
	imap_reply(session, "+ VXNlcm5hbWU6"); /* "Username:" */
}
