/* lmtp-rcpt.c - RCPT TO: resolve the recipient to local users, and, for an
 * address storage does not know yet, ask the auth service (the domain's
 * directory, LDAP/AD) whether it is a user or an alias of one; the auth
 * service then creates the user (and their aliases) like at a first login,
 * and the address is resolved again.
 *
 * While the directory is asked the session reads no further command
 * (rcpt_pending), so pipelined replies stay in order. "Not in the
 * directory" is 550 5.1.1; "the directory cannot answer" is 451 4.4.3 (the
 * client retries), never a bounce.
 *
 * Runs on the session's worker only. Never blocks except on the worker's
 * own database connection; never waits for the directory on the loop.
 */
#include "lmtp-session.h"
#include "auth-service.h"
#include "connection.h"
#include "log.h"
#include "worker.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LMTP_PROTO "lmtp"

/* A RCPT waiting for the auth service's answer. */
struct lmtp_rcpt_wait {
	struct lmtp_session *session;
	char address[LMTP_PATH_MAX + 1];   /* as written: replies */
	char canonical[LMTP_PATH_MAX + 1]; /* looked up */
};

/* What the directory said about a recipient storage did not know. */
enum lmtp_rcpt_directory {
	LMTP_RCPT_DIRECTORY_NOT_ASKED = 0,
	LMTP_RCPT_DIRECTORY_ASKED,    /* answered (found it or not) */
	LMTP_RCPT_DIRECTORY_TEMPFAIL, /* could not answer */
};

/* With SIZE given, refuse now when the message cannot fit any of the users'
 * quotas (with the LMTP grace, quota_grace_percent). Lookup failures do not
 * refuse: the commit decides then. */
static bool lmtp_rcpt_over_quota(struct lmtp_session *session, const struct storage_recipient *r)
{
	if (!session->has_size || r->user_count == 0)
		return false;
	struct storage_conn *conn = net_worker_storage(session->worker);
	for (size_t i = 0; i < r->user_count; i++) {
		struct storage_user user;
		const char *error;
		if (storage_user_get_by_id(conn, r->user_ids[i], &user, &error) != STORAGE_OK)
			return false;
		/* the commit's rule: a user under quota may end up to the
		 * grace over it, one at or over it gets nothing */
		uint64_t grace = (uint64_t)user.quota_bytes *
				 session->service->set.quota_grace_percent / 100;
		bool bytes_over = user.quota_bytes > 0 &&
				  (user.used_bytes >= user.quota_bytes ||
				   (uint64_t)user.used_bytes + session->declared_size >
				   (uint64_t)user.quota_bytes + grace);
		bool count_over = user.quota_messages > 0 &&
				  user.used_messages + 1 > user.quota_messages;
		if (!bytes_over && !count_over)
			return false;
	}
	return true;
}

/* The address without its "+detail" (what a directory knows), into out. */
static void lmtp_rcpt_base_address(const char *canonical, char *out, size_t size)
{
	const char *at = strrchr(canonical, '@');
	const char *plus = strchr(canonical, '+');
	if (at == NULL || plus == NULL || plus > at || plus == canonical) {
		snprintf(out, size, "%s", canonical);
		return;
	}
	snprintf(out, size, "%.*s%s", (int)(plus - canonical), canonical, at);
}

static void lmtp_rcpt_lookup_done(const struct auth_lookup_reply *reply, void *context);

/* Ask the directory about canonical; the reply comes later. */
static void lmtp_rcpt_ask_directory(struct lmtp_session *session, const char *addr,
				    const char *canonical)
{
	struct lmtp_rcpt_wait *wait = xcalloc(1, sizeof(*wait));
	wait->session = session;
	snprintf(wait->address, sizeof(wait->address), "%s", addr);
	snprintf(wait->canonical, sizeof(wait->canonical), "%s", canonical);
	char key[LMTP_PATH_MAX + 1];
	lmtp_rcpt_base_address(canonical, key, sizeof(key));
	session->rcpt_pending = true;
	net_conn_set_reading(session->conn, false);
	lmtp_session_ref(session);
	log_debug(session->sid, LMTP_PROTO, "rcpt_directory_lookup", "to=<%s>", addr);
	/* MAILBOX creates the user found in the directory, and their other
	 * addresses as aliases: an alias is then found by resolving again */
	auth_lookup(session->service->auth, session->worker, AUTH_LOOKUP_MAILBOX, key, session->sid,
		    lmtp_rcpt_lookup_done, wait);
}

/* Resolve and reply; directory: whether (and how) it was asked already. */
static void lmtp_rcpt_resolve(struct lmtp_session *session, const char *addr,
			      const char *canonical, enum lmtp_rcpt_directory directory)
{
	const char *error;
	struct storage_recipient *r = xmalloc(sizeof(*r));
	enum storage_result res = storage_recipient_resolve(net_worker_storage(session->worker),
							    canonical, r, &error);
	if (res == STORAGE_ERR_TEMP) {
		log_error(session->sid, LMTP_PROTO, "rcpt_lookup_failed", "to=<%s> error=\"%s\"",
			  addr, error);
		lmtp_reply(session, "451 4.3.0 <%s> temporary failure, try again", addr);
		free(r);
		return;
	}
	if (res == STORAGE_ERR_NOTFOUND && directory == LMTP_RCPT_DIRECTORY_NOT_ASKED &&
	    session->service->auth != NULL && session->conn != NULL &&
	    strchr(canonical, '@') != NULL &&
	    auth_service_has_directory(session->service->auth, strchr(canonical, '@') + 1)) {
		free(r);
		lmtp_rcpt_ask_directory(session, addr, canonical);
		return;
	}
	if (res == STORAGE_ERR_NOTFOUND && directory == LMTP_RCPT_DIRECTORY_TEMPFAIL) {
		log_info(session->sid, LMTP_PROTO, "rcpt_directory_unavailable", "to=<%s>", addr);
		lmtp_reply(session, "451 4.4.3 <%s> directory unavailable, try again later", addr);
		free(r);
		return;
	}
	if (res != STORAGE_OK || r->user_count == 0) {
		log_info(session->sid, LMTP_PROTO, "rcpt_unknown", "to=<%s> result=\"%s\"%s", addr,
			 storage_result_str(res),
			 res == STORAGE_OK ? " external_only=yes" : "");
		lmtp_reply(session, "550 5.1.1 <%s>: user unknown", addr);
		free(r);
		return;
	}
	if (session->user_total + r->user_count > LMTP_USERS_MAX) {
		lmtp_reply(session, "452 4.5.3 <%s> too many recipients", addr);
		free(r);
		return;
	}
	if (lmtp_rcpt_over_quota(session, r)) {
		log_info(session->sid, LMTP_PROTO, "rcpt_over_quota", "to=<%s> size=%llu", addr,
			 (unsigned long long)session->declared_size);
		lmtp_reply(session, "552 5.2.2 <%s> mailbox full", addr);
		free(r);
		return;
	}

	if (session->rcpt_count == session->rcpt_alloc) {
		session->rcpt_alloc = session->rcpt_alloc == 0 ? 8 : session->rcpt_alloc * 2;
		session->rcpts = xrealloc(session->rcpts, session->rcpt_alloc * sizeof(*session->rcpts));
	}
	struct lmtp_rcpt *rc = &session->rcpts[session->rcpt_count++];
	rc->address = xstrdup(addr);
	memcpy(rc->detail, r->detail, sizeof(rc->detail));
	rc->detail[sizeof(rc->detail) - 1] = '\0';
	rc->user_count = r->user_count;
	rc->user_ids = xmemdup(r->user_ids, r->user_count * sizeof(r->user_ids[0]));
	session->user_total += r->user_count;
	free(r);
	lmtp_enter_state(session, LMTP_STATE_RCPT);
	log_debug(session->sid, LMTP_PROTO, "rcpt", "to=<%s> users=%zu", addr, rc->user_count);
	lmtp_reply(session, "250 2.1.5 <%s> recipient ok", addr);
}

/* The auth service answered (on the session's worker). */
static void lmtp_rcpt_lookup_done(const struct auth_lookup_reply *reply, void *context)
{
	struct lmtp_rcpt_wait *wait = context;
	struct lmtp_session *session = wait->session;
	session->rcpt_pending = false;
	if (session->conn != NULL) {
		enum lmtp_rcpt_directory directory = reply->result == AUTH_RESULT_TEMPFAIL ?
						     LMTP_RCPT_DIRECTORY_TEMPFAIL :
						     LMTP_RCPT_DIRECTORY_ASKED;
		if (reply->result != AUTH_RESULT_OK)
			log_debug(session->sid, LMTP_PROTO, "rcpt_directory", "to=<%s> result=%s "
				  "reason=\"%s\"", wait->address, auth_result_str(reply->result),
				  reply->reason != NULL ? reply->reason : "");
		lmtp_rcpt_resolve(session, wait->address, wait->canonical, directory);
		lmtp_session_resume(session);
	}
	free(wait);
	lmtp_session_unref(&session);
}

void lmtp_cmd_rcpt(struct lmtp_session *session, const char *args, size_t args_len)
{
	struct lmtp_rcpt_args rcpt;
	const char *error;
	switch (lmtp_parse_rcpt(args, args_len, &rcpt, &error)) {
	case LMTP_PARSE_OK:
		break;
	case LMTP_PARSE_UNSUPPORTED:
		lmtp_reply_error(session, "555 5.5.4 %s", error);
		return;
	default:
		lmtp_reply_error(session, "501 5.5.4 %s", error);
		return;
	}
	const char *addr = rcpt.rcpt.address;
	if (session->rcpt_count >= session->service->set.max_recipients) {
		lmtp_reply(session, "452 4.5.3 <%s> too many recipients", addr);
		return;
	}
	if (!rcpt.rcpt.has_domain) {
		lmtp_reply(session, "550 5.1.1 <%s>: user unknown", addr);
		return;
	}
	lmtp_rcpt_resolve(session, addr, rcpt.rcpt.canonical, LMTP_RCPT_DIRECTORY_NOT_ASKED);
}
