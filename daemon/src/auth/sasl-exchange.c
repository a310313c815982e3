/* sasl-exchange.c - PLAIN and LOGIN exchanges without any framing, and
 * handing their result to the auth service (see sasl-exchange.h). Never
 * writes to a client, never logs; every decoded response is wiped before
 * it is freed.
 */
#include "sasl-exchange.h"
#include "auth-service.h"
#include "base64.h"
#include "connection.h"
#include "sasl-plain.h"
#include "session-core.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* base64 of "Username:" and "Password:", LOGIN's challenges */
#define SASL_LOGIN_USERNAME "VXNlcm5hbWU6"
#define SASL_LOGIN_PASSWORD "UGFzc3dvcmQ6"

int sasl_exchange_mech_parse(const char *name, enum sasl_exchange_mech *mech_r)
{
	if (strcasecmp(name, "PLAIN") == 0)
		*mech_r = SASL_EXCHANGE_PLAIN;
	else if (strcasecmp(name, "LOGIN") == 0)
		*mech_r = SASL_EXCHANGE_LOGIN;
	else
		return -1;
	return 0;
}

const char *sasl_exchange_mech_name(enum sasl_exchange_mech mech)
{
	return mech == SASL_EXCHANGE_PLAIN ? "plain" : "login";
}

static void sasl_exchange_wipe(unsigned char **data, size_t len)
{
	if (*data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}

void sasl_exchange_end(struct sasl_exchange *ex)
{
	sasl_exchange_wipe(&ex->response, ex->response_len);
	ex->response_len = 0;
	if (ex->login_user != NULL) {
		unsigned char *user = (unsigned char *)ex->login_user;
		ex->login_user = NULL;
		sasl_exchange_wipe(&user, strlen((const char *)user));
	}
}

void sasl_exchange_begin(struct sasl_exchange *ex, enum sasl_exchange_mech mech,
			 const struct sasl_exchange_rules *rules)
{
	sasl_exchange_end(ex);
	ex->mech = mech;
	ex->rules = *rules;
}

const char *sasl_exchange_first_challenge(const struct sasl_exchange *ex)
{
	return ex->mech == SASL_EXCHANGE_PLAIN ? "" : SASL_LOGIN_USERNAME;
}

/* Decode into ex->response (NUL-terminated). */
static enum sasl_exchange_result sasl_exchange_decode(struct sasl_exchange *ex, const char *in,
						      size_t len)
{
	if (ex->rules.cancel && len == 1 && in[0] == '*')
		return SASL_EXCHANGE_CANCELLED;
	if (ex->rules.response_max > 0 && len > ex->rules.response_max)
		return SASL_EXCHANGE_TOO_LONG;
	sasl_exchange_wipe(&ex->response, ex->response_len);
	ex->response_len = 0;
	unsigned char *out = xmalloc(BASE64_DECODED_MAX(len) + 1);
	if (ex->rules.equals_is_empty && len == 1 && in[0] == '=') {
		out[0] = '\0';
		ex->response = out;
		return SASL_EXCHANGE_DONE;
	}
	size_t out_len = 0;
	if (base64_decode(in, len, out, &out_len) < 0) {
		free(out);
		return SASL_EXCHANGE_BAD_BASE64;
	}
	ex->response = out;
	ex->response_len = out_len;
	return SASL_EXCHANGE_DONE;
}

enum sasl_exchange_result sasl_exchange_step(struct sasl_exchange *ex, const char *in,
					     size_t len, const char **challenge_r,
					     const char **user_r, const char **password_r)
{
	enum sasl_exchange_result ret = sasl_exchange_decode(ex, in, len);
	if (ret != SASL_EXCHANGE_DONE)
		return ret;
	const char *data = (const char *)ex->response;
	if (ex->mech == SASL_EXCHANGE_PLAIN) {
		int split = sasl_plain_split(data, ex->response_len, user_r, password_r);
		if (split == -2)
			return SASL_EXCHANGE_AUTHZID;
		return split < 0 ? SASL_EXCHANGE_BAD_PLAIN : SASL_EXCHANGE_DONE;
	}
	if (memchr(data, '\0', ex->response_len) != NULL)
		return SASL_EXCHANGE_LOGIN_NUL;
	if (ex->login_user == NULL) {
		/* the user name: keep it, ask for the password */
		ex->login_user = (char *)ex->response;
		ex->response = NULL;
		ex->response_len = 0;
		*challenge_r = SASL_LOGIN_PASSWORD;
		return SASL_EXCHANGE_CHALLENGE;
	}
	*user_r = ex->login_user;
	*password_r = data;
	return SASL_EXCHANGE_DONE;
}

/* A check waiting for the auth service. */
struct sasl_check_wait {
	struct net_session_core *core;
	sasl_check_done_fn *done;
	char mech[8];
};

static void sasl_exchange_check_done(const struct auth_reply *reply, void *context)
{
	struct sasl_check_wait *wait = context;
	struct net_session_core *core = wait->core;
	core->auth_pending = false;
	if (core->conn != NULL) {
		wait->done(core->owner, reply, wait->mech);
		net_session_core_resume(core);
	}
	net_session_core_release(core);
	free(wait);
}

void sasl_exchange_check(struct net_session_core *core, struct auth_service *auth,
			 const char *service, const char *user, const char *password,
			 const char *mech, sasl_check_done_fn *done)
{
	struct sasl_check_wait *wait = xcalloc(1, sizeof(*wait));
	wait->core = core;
	wait->done = done;
	snprintf(wait->mech, sizeof(wait->mech), "%s", mech);
	struct auth_request req = {
		.service = service,
		.sid = core->sid,
		.peer_addr = net_conn_peer_addr(core->conn),
		.mech = mech,
		.user = user,
		.password = password,
	};
	core->auth_pending = true;
	net_conn_set_reading(core->conn, false);
	net_session_core_hold(core);
	auth_login(auth, core->worker, &req, sasl_exchange_check_done, wait);
}
