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
#include "base64.h"
#include "connection.h"
#include "log.h"
#include "sasl-plain.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A USER/PASS or AUTH waiting for the auth service. */
struct pop3_auth_wait {
	struct pop3_session *session;
	char mech[8];
};

static void pop3_auth_done(const struct auth_reply *reply, void *context)
{
	struct pop3_auth_wait *wait = context;
	struct pop3_session *session = wait->session;
	session->auth_pending = false;
	if (session->conn != NULL) {
		if (reply->result == AUTH_RESULT_OK) {
			pop3_maildrop_open(session, reply->user, wait->mech);
		} else if (reply->result == AUTH_RESULT_TEMPFAIL) {
			pop3_err(session, "[SYS/TEMP] temporary failure, try again later");
		} else {
			session->auth_failures++;
			pop3_err(session, "[AUTH] Authentication failed.");
			if (session->auth_failures >= POP3_AUTH_FAILURES_MAX)
				pop3_session_close(session, "auth failures");
		}
		pop3_session_resume(session);
	}
	pop3_session_release(session);
	free(wait);
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
	struct pop3_auth_wait *wait = xcalloc(1, sizeof(*wait));
	wait->session = session;
	snprintf(wait->mech, sizeof(wait->mech), "%s", mech);
	struct auth_request req = {
		.service = "pop3",
		.sid = session->sid,
		.peer_addr = net_conn_peer_addr(session->conn),
		.mech = mech,
		.user = user,
		.password = password,
	};
	session->auth_pending = true;
	net_conn_set_reading(session->conn, false);
	pop3_session_hold(session);
	auth_login(session->service->auth, session->worker, &req, pop3_auth_done, wait);
}

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

static void pop3_sasl_wipe(unsigned char **data, size_t len)
{
	if (*data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}

/* Decode one SASL response; replies -ERR and returns NULL when malformed
 * or cancelled ("*", RFC 5034 4). The result is wiped by the caller. */
static unsigned char *pop3_sasl_decode(struct pop3_session *session, const char *in,
				       size_t len, size_t *len_r)
{
	if (len == 1 && in[0] == '*') {
		pop3_err(session, "authentication cancelled");
		return NULL;
	}
	unsigned char *out = xmalloc(BASE64_DECODED_MAX(len) + 1);
	if (len == 1 && in[0] == '=') {
		out[0] = '\0';
		*len_r = 0;
		return out;
	}
	if (base64_decode(in, len, out, len_r) < 0) {
		free(out);
		pop3_err(session, "invalid base64 in the SASL response");
		session->errors++;
		return NULL;
	}
	return out;
}

/* PLAIN: [authzid] NUL authcid NUL passwd */
static void pop3_sasl_plain(struct pop3_session *session, const char *resp, size_t resp_len)
{
	size_t len;
	unsigned char *data = pop3_sasl_decode(session, resp, resp_len, &len);
	if (data == NULL)
		return;
	const char *authcid, *passwd;
	int ret = sasl_plain_split((const char *)data, len, &authcid, &passwd);
	if (ret == -2) {
		session->auth_failures++;
		pop3_err(session, "[AUTH] cannot log in as another user");
	} else if (ret < 0) {
		pop3_err(session, "malformed PLAIN response");
		session->errors++;
	} else {
		pop3_auth_check(session, authcid, passwd, "plain");
	}
	pop3_sasl_wipe(&data, len);
}

static void pop3_sasl_plain_cont(struct pop3_session *session, const char *line, size_t len)
{
	pop3_sasl_plain(session, line, len);
}

static void pop3_sasl_login_cont(struct pop3_session *session, const char *line, size_t len)
{
	size_t dlen;
	unsigned char *data = pop3_sasl_decode(session, line, len, &dlen);
	if (data == NULL) {
		free(session->sasl_user);
		session->sasl_user = NULL;
		return;
	}
	if (memchr(data, '\0', dlen) != NULL) {
		pop3_err(session, "NUL in a LOGIN response");
	} else if (session->sasl_user == NULL) {
		session->sasl_user = (char *)data;
		session->continuation = pop3_sasl_login_cont;
		pop3_write(session, "+ UGFzc3dvcmQ6\r\n", 16); /* "Password:" */
		return;
	} else {
		pop3_auth_check(session, session->sasl_user, (const char *)data, "login");
	}
	pop3_sasl_wipe(&data, dlen);
	free(session->sasl_user);
	session->sasl_user = NULL;
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
	bool plain = strcasecmp(cmd->args[0], "PLAIN") == 0;
	bool login = strcasecmp(cmd->args[0], "LOGIN") == 0;
	if (!plain && !login) {
		pop3_err(session, "unsupported authentication mechanism");
		return;
	}
	if (!pop3_auth_allowed(session))
		return;
	free(session->sasl_user);
	session->sasl_user = NULL;
	const char *initial = cmd->arg_count == 2 ? cmd->args[1] : NULL;
	if (plain) {
		if (initial != NULL) {
			pop3_sasl_plain(session, initial, strlen(initial));
			return;
		}
		session->continuation = pop3_sasl_plain_cont;
		pop3_write(session, "+ \r\n", 4);
		return;
	}
	if (initial != NULL) {
		pop3_sasl_login_cont(session, initial, strlen(initial));
		return;
	}
	session->continuation = pop3_sasl_login_cont;
	pop3_write(session, "+ VXNlcm5hbWU6\r\n", 16); /* "Username:" */
}

void pop3_cmd_stls(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	if (net_conn_is_tls(session->conn)) {
		pop3_err(session, "TLS is already active");
		return;
	}
	if (!net_conn_can_starttls(session->conn)) {
		pop3_err(session, "TLS is not available");
		return;
	}
	free(session->user_arg); /* nothing from before TLS counts (RFC 2595 4) */
	session->user_arg = NULL;
	pop3_ok(session, "Begin TLS negotiation now");
	const char *error;
	if (net_conn_starttls(session->conn, &error) < 0) {
		log_info(session->sid, "pop3", "starttls_failed", "error=\"%s\"", error);
		pop3_err(session, "TLS negotiation failed");
		pop3_session_close(session, "starttls failed");
		return;
	}
	/* from here on everything the client says comes over TLS */
	session->plaintext_ok = true;
}
