/* cmd-auth.c - logging in (RFC 3501 6.2): LOGIN, and AUTHENTICATE with the
 * SASL mechanisms PLAIN (RFC 4616) and LOGIN, with an initial response
 * (SASL-IR, RFC 4959) or through "+" continuations.
 *
 * Plaintext passwords only over a connection from loopback (TLS comes
 * later) unless imap_allow_plaintext_auth. Never logs a password, never
 * keeps one after the check (buffers are wiped), never says whether the
 * user exists.
 */
#include "imap-commands.h"
#include "password.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest base64 SASL response accepted (user + password + authzid). */
#define IMAP_SASL_RESPONSE_MAX 2048

/* Standard base64 (RFC 4648) with padding; -1 when malformed. out must
 * hold len / 4 * 3 + 1 bytes. */
static int imap_base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len_r)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (len % 4 != 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (size_t k = 0; k < 4; k++) {
			char c = in[i + k];
			const char *p = c != '\0' ? strchr(alphabet, c) : NULL;
			if (c == '=' && i + 4 == len && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (p == NULL || pad > 0)
				return -1;
			v = (v << 6) | (uint32_t)(p - alphabet);
		}
		out[n++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)v;
	}
	out[n] = '\0';
	*out_len_r = n;
	return 0;
}

/* Check user and password and reply. */
static void imap_auth_check(struct imap_client_cmd *cmd, const char *user, const char *password,
			    const char *mech)
{
	struct imap_session *session = cmd->session;
	char address[STORAGE_ADDRESS_MAX + 1], printable[STORAGE_ADDRESS_MAX + 8];
	const char *error = NULL;
	log_printable(user, strlen(user), printable, sizeof(printable));
	struct storage_user *su = xcalloc(1, sizeof(*su));
	enum storage_result ret = STORAGE_ERR_NOTFOUND;
	if (strlen(password) <= PASSWORD_PLAIN_MAX &&
	    storage_address_normalize(user, address, sizeof(address), &error) == 0)
		ret = storage_user_get(imap_storage(session), address, su, &error);
	if (ret == STORAGE_ERR_TEMP) {
		log_warning(session->sid, "imap", "auth_unavailable", "user=%s error=\"%s\"",
			    printable, error != NULL ? error : "");
		imap_cmd_no(cmd, "[UNAVAILABLE] temporary failure, try again later");
	} else if (ret == STORAGE_OK && password_verify(password, su->password_hash)) {
		imap_session_login(session, su, mech);
		imap_cmd_ok(cmd, "[CAPABILITY %s] logged in", imap_capabilities(session));
	} else {
		session->auth_failures++;
		log_info(session->sid, "imap", "auth-failed", "user=%s mech=%s reason=%s", printable,
			 mech, ret == STORAGE_OK ? "password" : "user");
		imap_cmd_no(cmd, "[AUTHENTICATIONFAILED] Authentication failed.");
		if (session->auth_failures >= IMAP_AUTH_FAILURES_MAX)
			imap_session_bye(session, "too many failed logins", "auth failures");
	}
	explicit_bzero(su, sizeof(*su));
	free(su);
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
	unsigned char *out = xmalloc(len / 4 * 3 + 1);
	if (len == 1 && in[0] == '=') {
		out[0] = '\0';
		*len_r = 0;
		return out;
	}
	if (imap_base64_decode(in, len, out, len_r) < 0) {
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
	unsigned char *nul1 = memchr(data, '\0', len);
	unsigned char *nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - data)) : NULL;
	if (nul1 == NULL || nul2 == NULL) {
		imap_cmd_bad(cmd, "malformed PLAIN response");
		imap_sasl_wipe(&data, len);
		return;
	}
	const char *authzid = (const char *)data, *authcid = (const char *)nul1 + 1;
	const char *passwd = (const char *)nul2 + 1;
	if (authzid[0] != '\0' && strcasecmp(authzid, authcid) != 0) {
		cmd->session->auth_failures++;
		imap_cmd_no(cmd, "[AUTHORIZATIONFAILED] cannot log in as another user");
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
