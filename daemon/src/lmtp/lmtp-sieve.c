/* lmtp-sieve.c - Sieve at delivery: for one user of one RCPT, run the
 * administrator's script (sieve_admin_script) and then, unless it stopped,
 * the user's active script, and turn the actions into copies to store
 * (INBOX or a folder, with flags and keywords), a rejection, and jobs for
 * the submit queue (redirect, vacation).
 *
 * Runs on the session's worker, after mime_message_parse and before the
 * commit; blocks only on the worker's own database connection. Never loses
 * a message: a script that does not compile is skipped, a runtime error
 * drops every action and keeps the message in INBOX, a fileinto into a
 * missing folder without :create goes to INBOX, a redirect that would loop
 * or cannot be queued is kept in INBOX; each is logged (sid, user, script,
 * error). Never sends anything itself (lmtp-submit.c does, after commit).
 */
#include "lmtp-session.h"
#include "lmtp-sieve.h"
#include "lmtp-submit.h"
#include "log.h"
#include "sieve.h"
#include "worker.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LMTP_PROTO "lmtp"
/* The loop guard put on top of every redirected copy. */
#define LMTP_SIEVE_REDIRECT_HEADER "X-Tandem-Redirected-By"
/* A message that carries this many loop-guard headers is not sent on. */
#define LMTP_SIEVE_REDIRECT_HOPS_MAX 8

/* The administrator's compiled script, shared by every worker. */
struct lmtp_sieve_admin {
	struct sieve_script *script;
	unsigned refs; /* under the service's admin_lock */
};

static void admin_unref(struct lmtp_service *service, struct lmtp_sieve_admin **adminp)
{
	struct lmtp_sieve_admin *admin = *adminp;
	if (admin == NULL)
		return;
	*adminp = NULL;
	pthread_mutex_lock(&service->admin_lock);
	bool last = --admin->refs == 0;
	pthread_mutex_unlock(&service->admin_lock);
	if (last) {
		sieve_script_free(&admin->script);
		free(admin);
	}
}

static struct lmtp_sieve_admin *admin_ref(struct lmtp_service *service)
{
	pthread_mutex_lock(&service->admin_lock);
	struct lmtp_sieve_admin *admin = service->admin;
	if (admin != NULL)
		admin->refs++;
	pthread_mutex_unlock(&service->admin_lock);
	return admin;
}

static void admin_swap(struct lmtp_service *service, struct lmtp_sieve_admin *admin)
{
	pthread_mutex_lock(&service->admin_lock);
	struct lmtp_sieve_admin *old = service->admin;
	service->admin = admin;
	pthread_mutex_unlock(&service->admin_lock);
	admin_unref(service, &old);
}

/* Read path (at most SIEVE_SCRIPT_MAX bytes). NULL with error set. */
static char *admin_read(const char *path, size_t *len_r, char *error, size_t error_size)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = xmalloc(SIEVE_SCRIPT_MAX + 2);
	size_t len = fread(text, 1, SIEVE_SCRIPT_MAX + 1, f);
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed || len > SIEVE_SCRIPT_MAX) {
		snprintf(error, error_size, "%s: %s", path, failed ? "read error" : "too big");
		free(text);
		return NULL;
	}
	text[len] = '\0';
	*len_r = len;
	return text;
}

void lmtp_sieve_admin_reload(struct lmtp_service *service)
{
	const char *path = service->set.sieve_admin_script;
	if (path == NULL || path[0] == '\0') {
		admin_swap(service, NULL);
		return;
	}
	char error[SIEVE_ERROR_MAX + 256];
	size_t len = 0;
	char *text = admin_read(path, &len, error, sizeof(error));
	struct sieve_script *script = NULL;
	char compile_error[SIEVE_ERROR_MAX];
	if (text != NULL && sieve_compile(text, len, &script, compile_error) < 0) {
		snprintf(error, sizeof(error), "%s: %s", path, compile_error);
		script = NULL;
	}
	free(text);
	if (script == NULL) {
		log_error(NULL, LMTP_PROTO, "sieve_admin_failed", "script=\"%s\" error=\"%s\" "
			  "running=none", path, error);
		admin_swap(service, NULL);
		return;
	}
	struct lmtp_sieve_admin *admin = xcalloc(1, sizeof(*admin));
	admin->script = script;
	admin->refs = 1;
	admin_swap(service, admin);
	log_info(NULL, LMTP_PROTO, "sieve_admin_loaded", "script=\"%s\" size=%zu", path, len);
}

void lmtp_sieve_admin_free(struct lmtp_service *service)
{
	admin_swap(service, NULL);
}

/* ---- turning actions into outcome ---- */

static void outcome_store(struct lmtp_sieve_outcome *out, const char *mailbox, uint32_t flags,
			  const char *keywords)
{
	if (out->store_count == LMTP_SIEVE_STORES_MAX) {
		/* over the limit: one more INBOX copy at most */
		mailbox = NULL;
		for (size_t i = 0; i < out->store_count; i++)
			if (out->stores[i].mailbox == NULL)
				return;
		out->store_count--;
		free(out->stores[out->store_count].mailbox);
		free(out->stores[out->store_count].keywords);
	}
	if (out->stores == NULL)
		out->stores = xcalloc(LMTP_SIEVE_STORES_MAX, sizeof(*out->stores));
	struct lmtp_sieve_store *st = &out->stores[out->store_count++];
	st->mailbox = mailbox != NULL ? xstrdup(mailbox) : NULL;
	st->flags = flags;
	st->keywords = keywords != NULL && keywords[0] != '\0' ? xstrdup(keywords) : NULL;
}

static void outcome_keep_only(struct lmtp_sieve_outcome *out)
{
	lmtp_sieve_outcome_free(out);
	outcome_store(out, NULL, 0, NULL);
}

void lmtp_sieve_outcome_free(struct lmtp_sieve_outcome *out)
{
	for (size_t i = 0; i < out->store_count; i++) {
		free(out->stores[i].mailbox);
		free(out->stores[i].keywords);
	}
	free(out->stores);
	while (out->submits != NULL) {
		struct lmtp_submit_job *job = out->submits;
		out->submits = job->next;
		lmtp_submit_job_free(&job);
	}
	memset(out, 0, sizeof(*out));
}

/* An IMAP keyword atom (RFC 3501 atom without ']'), as storage wants it. */
static bool flag_is_keyword(const char *flag)
{
	if (flag[0] == '\0' || strlen(flag) > 128)
		return false;
	for (const char *c = flag; *c != '\0'; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch) != NULL)
			return false;
	}
	return true;
}

/* imap4flags' list -> system flag bits and a keyword list (into kw). */
static uint32_t flags_convert(char **flags, struct buf *kw)
{
	static const struct { const char *name; uint32_t bit; } system[] = {
		{ "\\Seen", STORAGE_FLAG_SEEN }, { "\\Answered", STORAGE_FLAG_ANSWERED },
		{ "\\Flagged", STORAGE_FLAG_FLAGGED }, { "\\Deleted", STORAGE_FLAG_DELETED },
		{ "\\Draft", STORAGE_FLAG_DRAFT },
	};
	uint32_t bits = 0;
	buf_reset(kw);
	for (size_t i = 0; flags != NULL && flags[i] != NULL; i++) {
		const char *f = flags[i];
		if (f[0] == '\\') {
			for (size_t s = 0; s < sizeof(system) / sizeof(system[0]); s++)
				if (strcasecmp(f, system[s].name) == 0)
					bits |= system[s].bit;
			continue; /* \Recent and unknown system flags: ignored */
		}
		if (!flag_is_keyword(f) || kw->len + strlen(f) + 2 > 4000)
			continue;
		if (kw->len > 0)
			buf_append_byte(kw, ' ');
		buf_append_str(kw, f);
	}
	buf_append_byte(kw, '\0');
	kw->len--;
	return bits;
}

/* How many loop-guard headers the message has, and whether one names
 * address. Only the top-level header is read. */
static unsigned redirect_hops(const unsigned char *data, size_t size, const char *address,
			      bool *by_address_r)
{
	static const char name[] = LMTP_SIEVE_REDIRECT_HEADER ":";
	size_t name_len = sizeof(name) - 1, alen = strlen(address);
	unsigned hops = 0;
	*by_address_r = false;
	size_t pos = 0;
	while (pos < size) {
		const unsigned char *eol = memchr(data + pos, '\n', size - pos);
		size_t end = eol != NULL ? (size_t)(eol - data) : size;
		size_t len = end - pos;
		if (len == 0 || (len == 1 && data[pos] == '\r'))
			break; /* end of header */
		if (len > name_len && strncasecmp((const char *)data + pos, name, name_len) == 0) {
			hops++;
			for (size_t i = pos + name_len; i + alen <= end; i++)
				if (strncasecmp((const char *)data + i, address, alen) == 0)
					*by_address_r = true;
		}
		pos = end + 1;
	}
	return hops;
}

static void outcome_redirect(struct lmtp_session *session, const struct storage_user *user,
			     const struct sieve_action *a, const unsigned char *data,
			     size_t size, const char *trace, struct lmtp_sieve_outcome *out,
			     unsigned *submits)
{
	bool by_user;
	unsigned hops = redirect_hops(data, size, user->address, &by_user);
	const char *why = NULL;
	if (by_user || hops >= LMTP_SIEVE_REDIRECT_HOPS_MAX)
		why = "loop";
	else if (*submits >= LMTP_SIEVE_SUBMITS_MAX)
		why = "too_many";
	else if (lmtp_submit_busy(session->service->submit))
		why = "queue_full";
	if (why != NULL) {
		log_warning(session->sid, LMTP_PROTO, "sieve_redirect_refused", "user=%s to=<%s> "
			    "reason=%s kept=INBOX", user->address, a->address, why);
		outcome_store(out, NULL, 0, NULL);
		return;
	}
	struct lmtp_submit_job *job = xcalloc(1, sizeof(*job));
	job->kind = LMTP_SUBMIT_REDIRECT;
	memcpy(job->sid, session->sid, sizeof(job->sid));
	job->user_id = user->id;
	job->user_address = xstrdup(user->address);
	job->sender = xstrdup(session->null_sender ? "" : session->sender);
	job->rcpt = xstrdup(a->address);
	char *guard = xasprintf(LMTP_SIEVE_REDIRECT_HEADER ": <%s>\r\n", user->address);
	size_t glen = strlen(guard);
	job->data = xmalloc(glen + size);
	memcpy(job->data, guard, glen);
	memcpy(job->data + glen, data, size);
	job->size = glen + size;
	free(guard);
	job->trace = xstrdup(trace != NULL ? trace : "");
	job->next = out->submits;
	out->submits = job;
	(*submits)++;
}

static void outcome_vacation(struct lmtp_session *session, const struct storage_user *user,
			     const struct sieve_action *a, struct lmtp_sieve_outcome *out,
			     unsigned *submits)
{
	if (a->vacation_to == NULL || a->vacation_to[0] == '\0' ||
	    *submits >= LMTP_SIEVE_SUBMITS_MAX)
		return;
	struct lmtp_submit_job *job = xcalloc(1, sizeof(*job));
	job->kind = LMTP_SUBMIT_VACATION;
	memcpy(job->sid, session->sid, sizeof(job->sid));
	job->user_id = user->id;
	job->user_address = xstrdup(user->address);
	job->sender = xstrdup("");
	job->rcpt = xstrdup(a->vacation_to);
	job->vacation_handle = xstrdup(a->vacation_handle != NULL ? a->vacation_handle : "");
	job->vacation_days = a->vacation_days;
	job->data = (unsigned char *)lmtp_submit_compose_vacation(
		a->vacation_from != NULL && a->vacation_from[0] != '\0' ? a->vacation_from :
		user->address, a->vacation_to, a->vacation_subject, a->in_reply_to,
		a->vacation_body, a->vacation_mime, session->service->hostname,
		(int64_t)time(NULL), &job->size);
	job->next = out->submits;
	out->submits = job;
	(*submits)++;
}

/* A folder to file into: INBOX (NULL) when it is INBOX, or missing without
 * :create, or not a valid name. */
static const char *fileinto_target(struct lmtp_session *session, const struct storage_user *user,
				   const struct sieve_action *a)
{
	if (a->mailbox == NULL || strcasecmp(a->mailbox, STORAGE_INBOX) == 0)
		return NULL;
	struct storage_mailbox mailbox;
	const char *error;
	enum storage_result res = storage_mailbox_get(net_worker_storage(session->worker),
						      user->id, a->mailbox, &mailbox, &error);
	if (res == STORAGE_OK || (res == STORAGE_ERR_NOTFOUND && a->create))
		return a->mailbox;
	char name[128];
	log_printable(a->mailbox, strlen(a->mailbox), name, sizeof(name));
	log_info(session->sid, LMTP_PROTO, "sieve_fileinto_kept", "user=%s mailbox=\"%s\" "
		 "reason=\"%s\" kept=INBOX", user->address, name,
		 res == STORAGE_ERR_NOTFOUND ? "no such mailbox (no :create)" : error);
	return NULL;
}

/* Log one line saying what the scripts decided. */
static void outcome_log(struct lmtp_session *session, const struct storage_user *user,
			const char *script_name, const struct lmtp_sieve_outcome *out)
{
	struct buf what;
	buf_init(&what);
	for (size_t i = 0; i < out->store_count; i++) {
		if (what.len > 0)
			buf_append_byte(&what, ',');
		if (out->stores[i].mailbox == NULL) {
			buf_append_str(&what, "keep");
		} else {
			char name[64];
			log_printable(out->stores[i].mailbox, strlen(out->stores[i].mailbox), name,
				      sizeof(name));
			buf_printf(&what, "fileinto:%s", name);
		}
	}
	for (const struct lmtp_submit_job *j = out->submits; j != NULL; j = j->next)
		buf_printf(&what, "%s%s", what.len > 0 ? "," : "",
			   j->kind == LMTP_SUBMIT_REDIRECT ? "redirect" : "vacation");
	if (out->rejected)
		buf_printf(&what, "%sreject", what.len > 0 ? "," : "");
	if (what.len == 0)
		buf_append_str(&what, "discard");
	buf_append_byte(&what, '\0');
	log_info(session->sid, LMTP_PROTO, "sieve", "user=%s script=\"%s\" actions=%s",
		 user->address, script_name, (const char *)what.data);
	buf_free(&what);
}

static void outcome_from_result(struct lmtp_session *session, const struct storage_user *user,
				const struct sieve_result *result, const unsigned char *data,
				size_t size, const char *trace, struct lmtp_sieve_outcome *out)
{
	struct buf kw;
	buf_init(&kw);
	unsigned submits = 0;
	const char *reject_reason = NULL;
	for (size_t i = 0; i < result->count; i++) {
		const struct sieve_action *a = &result->actions[i];
		switch (a->kind) {
		case SIEVE_ACTION_KEEP: {
			uint32_t bits = flags_convert(a->flags, &kw);
			outcome_store(out, NULL, bits, (const char *)kw.data);
			break;
		}
		case SIEVE_ACTION_FILEINTO: {
			uint32_t bits = flags_convert(a->flags, &kw);
			outcome_store(out, fileinto_target(session, user, a), bits,
				      (const char *)kw.data);
			break;
		}
		case SIEVE_ACTION_REDIRECT:
			outcome_redirect(session, user, a, data, size, trace, out, &submits);
			break;
		case SIEVE_ACTION_REJECT:
			if (reject_reason == NULL)
				reject_reason = a->reason != NULL ? a->reason : "";
			break;
		case SIEVE_ACTION_VACATION:
			outcome_vacation(session, user, a, out, &submits);
			break;
		}
	}
	buf_free(&kw);
	/* a reject with something stored anyway (the interpreter should not
	 * allow it): storing wins, nothing is lost */
	if (reject_reason != NULL && out->store_count == 0) {
		out->rejected = true;
		log_printable(reject_reason[0] != '\0' ? reject_reason : "rejected by recipient",
			      strlen(reject_reason[0] != '\0' ? reject_reason :
				     "rejected by recipient"),
			      out->reason, sizeof(out->reason));
		/* one line of printable ASCII in the reply */
		for (char *c = out->reason; *c != '\0'; c++)
			if (*c == '\r' || *c == '\n')
				*c = ' ';
	}
}

void lmtp_sieve_run(struct lmtp_session *session, const struct lmtp_rcpt *rc, int64_t user_id,
		    const unsigned char *data, size_t size, const char *trace,
		    struct lmtp_sieve_outcome *out)
{
	memset(out, 0, sizeof(*out));
	struct storage_conn *conn = net_worker_storage(session->worker);
	struct storage_user user;
	const char *error;
	/* the storage decides (NOTFOUND, TEMP) at commit */
	if (storage_user_get_by_id(conn, user_id, &user, &error) != STORAGE_OK) {
		outcome_keep_only(out);
		return;
	}
	bool has_quota = user.quota_bytes > 0 || user.quota_messages > 0;
	char *name = NULL, *text = NULL;
	size_t len = 0;
	if (storage_sieve_active(conn, user_id, &name, &text, &len, &error) != STORAGE_OK) {
		log_error(session->sid, LMTP_PROTO, "sieve_load_failed", "user=%s error=\"%s\" "
			  "kept=INBOX", user.address, error);
		outcome_keep_only(out);
		out->has_quota = has_quota;
		return;
	}
	struct lmtp_sieve_admin *admin = admin_ref(session->service);
	if (admin == NULL && text == NULL) {
		outcome_keep_only(out);
		out->has_quota = has_quota;
		return;
	}
	struct sieve_script *script = NULL;
	char compile_error[SIEVE_ERROR_MAX];
	if (text != NULL && sieve_compile(text, len, &script, compile_error) < 0) {
		char printable[SIEVE_ERROR_MAX];
		log_printable(compile_error, strlen(compile_error), printable, sizeof(printable));
		log_error(session->sid, LMTP_PROTO, "sieve_compile_failed", "user=%s script=\"%s\" "
			  "error=\"%s\" kept=INBOX", user.address, name, printable);
		script = NULL;
	}
	free(text);

	/* own addresses: the user's, and the address written in RCPT
	 * (without +detail) when it is another (an alias) */
	char rcpt_base[LMTP_PATH_MAX + 1];
	snprintf(rcpt_base, sizeof(rcpt_base), "%s", rc->address);
	char *plus = strchr(rcpt_base, '+'), *at = strrchr(rcpt_base, '@');
	if (plus != NULL && at != NULL && plus < at)
		memmove(plus, at, strlen(at) + 1);
	const char *own[3] = { user.address, rcpt_base, NULL };
	struct sieve_message msg = {
		.data = data,
		.size = size,
		.envelope_from = session->null_sender ? "" : session->sender,
		.envelope_to = rc->address,
		.own_addresses = own,
	};
	struct sieve_result result;
	sieve_result_init(&result);
	int ret = 0;
	const char *failed = NULL;
	if (admin != NULL) {
		ret = sieve_execute(admin->script, &msg, &result);
		if (ret < 0)
			failed = session->service->set.sieve_admin_script;
	}
	if (ret == 0 && script != NULL && !result.stopped) {
		ret = sieve_execute(script, &msg, &result);
		if (ret < 0)
			failed = name;
	}
	if (ret < 0) {
		char printable[SIEVE_ERROR_MAX];
		log_printable(result.error, strlen(result.error), printable, sizeof(printable));
		log_error(session->sid, LMTP_PROTO, "sieve_runtime_failed", "user=%s script=\"%s\" "
			  "error=\"%s\" kept=INBOX", user.address, failed, printable);
		outcome_keep_only(out);
	} else {
		sieve_result_finish(&result);
		outcome_from_result(session, &user, &result, data, size, trace, out);
		outcome_log(session, &user, name != NULL ? name : "(admin)", out);
	}
	out->has_quota = has_quota;
	sieve_result_free(&result);
	sieve_script_free(&script);
	admin_unref(session->service, &admin);
	free(name);
}
