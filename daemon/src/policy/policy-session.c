/* policy-session.c - one connection from Postfix's policy client: requests
 * read one at a time (several per connection), each answered with one
 * `action=...` line and an empty line.
 *
 * Per RCPT request: authenticated, whitelisted or not greylisted by the
 * mode -> DUNNO; otherwise (mode dnsbl) the DNSBLs are asked without
 * blocking the loop, and a listed client (or, mode all, any client) goes
 * through the greylist in the database. Never answers REJECT: a malformed
 * request or a database failure gets DEFER_IF_PERMIT and a log line.
 */
#include "policy-private.h"
#include "line-reader.h"
#include "log.h"
#include "storage.h"
#include "xalloc.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Longest client text put into one log field. */
#define POLICY_LOG_FIELD_MAX 160

enum policy_state {
	POLICY_STATE_READ,    /* reading a request's lines */
	POLICY_STATE_LOOKUP,  /* DNSBL lookup in flight: not reading */
};
static const char *const policy_state_names[] = {
	[POLICY_STATE_READ] = "read",
	[POLICY_STATE_LOOKUP] = "lookup",
};

struct policy_session {
	struct policy_service *service;
	struct net_conn *conn;
	struct net_worker *worker;
	char sid[SESSION_ID_SIZE];
	enum policy_state state;
	unsigned refs;
	bool in_input;
	struct net_line_reader reader;
	char line[POLICY_LINE_MAX + 2];
	struct policy_request req;
};

static void policy_enter_state(struct policy_session *session, enum policy_state state)
{
	if (session->state == state)
		return;
	log_debug(session->sid, POLICY_PROTO, "state", "from=%s to=%s",
		  policy_state_names[session->state], policy_state_names[state]);
	session->state = state;
}

/* noinline: GCC cannot see that the input loop's own reference keeps the
 * session alive across a close and warns of a use after free. */
__attribute__((noinline)) static void policy_session_unref(struct policy_session *session)
{
	if (--session->refs == 0)
		free(session);
}

static void policy_session_close(struct policy_session *session, const char *reason)
{
	if (session->conn == NULL)
		return;
	struct net_conn *conn = session->conn;
	session->conn = NULL;
	net_conn_close(conn, reason);
	policy_session_unref(session);
}

/* "action=<action>\n\n"; the request is done. */
static void policy_reply(struct policy_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void policy_reply(struct policy_session *session, const char *fmt, ...)
{
	if (session->conn != NULL) {
		char action[256];
		va_list args;
		va_start(args, fmt);
		vsnprintf(action, sizeof(action), fmt, args);
		va_end(args);
		net_conn_write_str(session->conn, "action=");
		net_conn_write_str(session->conn, action);
		net_conn_write_str(session->conn, "\n\n");
	}
	policy_request_reset(&session->req);
}

static const char *policy_attr(struct policy_session *session, const char *name)
{
	const char *value = policy_request_get(&session->req, name);
	return value != NULL ? value : "";
}

static const char *policy_printable(const char *text, char *out, size_t outsize)
{
	return log_printable(text, strlen(text), out, outsize);
}

static void policy_dunno(struct policy_session *session, const char *reason)
{
	char client[64];
	log_info(session->sid, POLICY_PROTO, "pass", "reason=%s client=%s", reason,
		 policy_printable(policy_attr(session, "client_address"), client, sizeof(client)));
	policy_reply(session, "DUNNO");
}

static void policy_defer_error(struct policy_session *session, const char *event,
			       const char *reason)
{
	log_warning(session->sid, POLICY_PROTO, event, "error=\"%s\" action=defer", reason);
	policy_reply(session, "DEFER_IF_PERMIT 4.7.1 Service temporarily unavailable, try again later");
}

/* The greylist in the database decides. */
static void policy_greylist(struct policy_session *session, const char *why)
{
	struct policy_service *service = session->service;
	const struct greylist_settings *g = &service->greylist;
	const char *client = policy_attr(session, "client_address");
	char net[GREYLIST_NET_TEXT_MAX];
	if (greylist_client_network(client, g->ipv4_prefix, g->ipv6_prefix, net, sizeof(net)) < 0) {
		policy_dunno(session, "no-client-address");
		return;
	}
	char sender[GREYLIST_SENDER_MAX + 1];
	greylist_sender_normalize(policy_attr(session, "sender"), sender, sizeof(sender));
	char recipient[STORAGE_GREYLIST_KEY_MAX + 1];
	const char *rcpt = policy_attr(session, "recipient");
	size_t i = 0;
	for (; rcpt[i] != '\0' && i < STORAGE_GREYLIST_KEY_MAX; i++)
		recipient[i] = (char)tolower((unsigned char)rcpt[i]);
	recipient[i] = '\0';

	int64_t now = (int64_t)time(NULL);
	struct storage_greylist_params params = greylist_params(g, now);
	struct storage_greylist_outcome out;
	const char *error;
	struct storage_conn *conn = net_worker_storage(session->worker);
	enum storage_result result = storage_greylist_check(conn, net, sender, recipient, &params,
							    &out, &error);
	char psender[POLICY_LOG_FIELD_MAX], prcpt[POLICY_LOG_FIELD_MAX];
	policy_printable(sender, psender, sizeof(psender));
	policy_printable(recipient, prcpt, sizeof(prcpt));
	if (result == STORAGE_ERR_INVALID) {
		/* a key beyond the storage's limits: not worth holding mail for */
		log_info(session->sid, POLICY_PROTO, "pass", "reason=unkeyable error=\"%s\"", error);
		policy_reply(session, "DUNNO");
		return;
	}
	if (result != STORAGE_OK) {
		policy_defer_error(session, "greylist-unavailable", error);
		return;
	}
	switch (out.verdict) {
	case STORAGE_GREYLIST_NEW:
	case STORAGE_GREYLIST_EARLY:
		log_info(session->sid, POLICY_PROTO, "greylisted",
			 "why=%s client=%s net=%s sender=%s recipient=%s retry=%s wait=%lld", why,
			 client, net, psender, prcpt,
			 out.verdict == STORAGE_GREYLIST_NEW ? "no" : "early",
			 (long long)out.wait_secs);
		policy_reply(session, "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in %lld seconds",
			     (long long)out.wait_secs);
		break;
	case STORAGE_GREYLIST_PASSED:
		log_info(session->sid, POLICY_PROTO, "greylist-passed",
			 "client=%s net=%s sender=%s recipient=%s delayed=%lld passes=%lld "
			 "whitelisted=%s", client, net, psender, prcpt, (long long)out.delayed_secs,
			 (long long)out.passes, out.whitelisted_now ? "yes" : "no");
		policy_reply(session, "DUNNO");
		break;
	case STORAGE_GREYLIST_WHITELISTED:
		log_info(session->sid, POLICY_PROTO, "pass", "reason=autowhitelist client=%s net=%s",
			 client, net);
		policy_reply(session, "DUNNO");
		break;
	}
	policy_service_maybe_prune(service, conn, now, session->sid);
}

static void policy_dnsbl_done(const struct dnsbl_result *result, void *context)
{
	struct policy_session *session = context;
	if (session->conn != NULL) {
		char client[64];
		policy_printable(policy_attr(session, "client_address"), client, sizeof(client));
		log_info(session->sid, POLICY_PROTO, "dnsbl",
			 "client=%s listed=%s score=%u zones=%s errors=%u", client,
			 result->listed ? "yes" : "no", result->score,
			 result->zones[0] != '\0' ? result->zones : "-", result->errors);
		if (result->listed)
			policy_greylist(session, "dnsbl");
		else
			policy_dunno(session, "not-listed");
		policy_enter_state(session, POLICY_STATE_READ);
		if (session->conn != NULL) {
			net_conn_set_reading(session->conn, true);
			policy_session_input(session);
		}
	}
	policy_session_unref(session);
}

/* A whole request is in session->req: answer it (now or after DNS). */
static void policy_request_done(struct policy_session *session)
{
	struct policy_request *req = &session->req;
	if (req->bad) {
		policy_defer_error(session, "bad-request", req->bad_reason);
		return;
	}
	if (strcmp(policy_attr(session, "request"), "smtpd_access_policy") != 0) {
		policy_defer_error(session, "bad-request", "request is not smtpd_access_policy");
		return;
	}
	if (strcasecmp(policy_attr(session, "protocol_state"), "RCPT") != 0) {
		policy_dunno(session, "not-rcpt");
		return;
	}
	if (policy_attr(session, "recipient")[0] == '\0') {
		policy_defer_error(session, "bad-request", "RCPT request without recipient");
		return;
	}
	const struct greylist_settings *g = &session->service->greylist;
	const char *client = policy_attr(session, "client_address");
	if (policy_attr(session, "sasl_username")[0] != '\0') {
		policy_dunno(session, "authenticated");
		return;
	}
	if (g->mode == GREYLIST_MODE_NONE) {
		policy_dunno(session, "mode-none");
		return;
	}
	if (greylist_network_whitelisted(g, client)) {
		policy_dunno(session, "whitelist-network");
		return;
	}
	if (greylist_domain_whitelisted(g, policy_attr(session, "sender"))) {
		policy_dunno(session, "whitelist-domain");
		return;
	}
	if (g->mode == GREYLIST_MODE_ALL) {
		policy_greylist(session, "all");
		return;
	}
	if (session->service->dnsbl_set.zone_count == 0) {
		policy_dunno(session, "not-listed");
		return;
	}
	struct dnsbl *dnsbl = policy_service_dnsbl(session->service, session->worker, session->sid);
	if (dnsbl == NULL) {
		policy_dunno(session, "not-listed");
		return;
	}
	policy_enter_state(session, POLICY_STATE_LOOKUP);
	net_conn_set_reading(session->conn, false);
	session->refs++;
	dnsbl_lookup(dnsbl, client, session->sid, policy_dnsbl_done, session);
}

void policy_session_input(void *context)
{
	struct policy_session *session = context;
	if (session->in_input)
		return;
	session->in_input = true;
	session->refs++;
	while (session->conn != NULL && session->state == POLICY_STATE_READ &&
	       !net_conn_output_full(session->conn)) {
		size_t len;
		enum net_line_result ret = net_line_read(&session->reader,
							 net_conn_input(session->conn),
							 session->line, POLICY_LINE_MAX, &len);
		if (ret == NET_LINE_NONE)
			break;
		if (ret == NET_LINE_TOO_LONG) {
			policy_request_mark_bad(&session->req, "line too long");
			continue;
		}
		if (policy_request_add_line(&session->req, session->line, len) == POLICY_PARSE_END)
			policy_request_done(session);
	}
	session->in_input = false;
	policy_session_unref(session);
}

void *policy_session_create(struct net_conn *conn, void *context)
{
	struct policy_session *session = xcalloc(1, sizeof(*session));
	session->service = context;
	session->conn = conn;
	session->worker = net_conn_worker(conn);
	snprintf(session->sid, sizeof(session->sid), "%s", net_conn_sid(conn));
	session->refs = 1;
	session->state = POLICY_STATE_READ;
	policy_request_reset(&session->req);
	return session;
}

void policy_session_idle(void *context)
{
	/* Postfix reconnects when it needs us again */
	policy_session_close(context, "idle timeout");
}

void policy_session_disconnected(void *context, const char *reason)
{
	struct policy_session *session = context;
	(void)reason;
	session->conn = NULL;
	policy_session_unref(session);
}

void policy_session_shutdown(void *context)
{
	/* a lookup in flight finds the connection gone and only lets go */
	policy_session_close(context, "shutdown");
}
