/* auth-service.c - the login checker's threads (see auth-service.h): a
 * queue of requests ordered by the time the throttle lets them run, a few
 * threads with their own storage connections taking them in order, and
 * the answer posted back to the asking worker.
 *
 * Never runs on a worker's loop except to queue and to answer; never logs
 * or keeps a password (copies are wiped before they are freed).
 */
#include "auth-service.h"
#include "auth-ldap.h"
#include "buf.h"
#include "log.h"
#include "password.h"
#include "worker.h"
#include "xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longest user name looked at (longer ones fail without a lookup). */
#define AUTH_USER_MAX 512

struct auth_job {
	struct auth_job *next;
	struct auth_service *service;
	uint64_t run_at_ms;        /* monotonic: not before */
	unsigned delay_ms;
	struct net_worker *worker;
	auth_done_fn *done;          /* a login */
	auth_lookup_fn *lookup_done; /* or a lookup */
	enum auth_lookup_kind lookup_kind;
	struct buf value;            /* a lookup's answer */
	void *context;

	char service_name[8];
	char sid[40];
	char peer_addr[48];
	char mech[16];
	char *user;
	char *password;
	char account[STORAGE_ADDRESS_MAX + 1]; /* normalised user, "" if malformed */

	/* the answer */
	enum auth_result result;
	struct storage_user found;
	char reason[512];
};

struct auth_service {
	struct storage *storage;
	struct auth_service_settings set;
	struct auth_throttle *throttle;
	char *dummy_hash;          /* checked for unknown users: same time spent */
	char *default_domain;
	struct auth_ldap_directory *ldap;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct auth_job *queue;    /* sorted by run_at_ms */
	uint64_t next_prune_ms;    /* when the auth log is pruned next */
	bool stopping;
	pthread_t *threads;
	unsigned thread_count;
};

const char *auth_result_str(enum auth_result result)
{
	switch (result) {
	case AUTH_RESULT_OK: return "ok";
	case AUTH_RESULT_FAILED: return "failed";
	case AUTH_RESULT_TEMPFAIL: return "tempfail";
	}
	return "unknown";
}

static uint64_t auth_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void auth_copy(char *dst, size_t size, const char *src)
{
	size_t len = src != NULL ? strnlen(src, size - 1) : 0;
	if (len > 0)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

static void auth_job_free(struct auth_job *job)
{
	if (job->password != NULL) {
		explicit_bzero(job->password, strlen(job->password));
		free(job->password);
	}
	free(job->user);
	buf_free(&job->value);
	explicit_bzero(&job->found, sizeof(job->found));
	free(job);
}

/* On the asking worker (or the service thread): answer and forget. */
static void auth_job_answer(void *arg)
{
	struct auth_job *job = arg;
	if (job->lookup_done != NULL) {
		struct auth_lookup_reply reply = {
			.result = job->result,
			.value = job->result == AUTH_RESULT_OK ? (const char *)job->value.data : NULL,
			.reason = job->reason,
		};
		job->lookup_done(&reply, job->context);
		auth_job_free(job);
		return;
	}
	if (job->result == AUTH_RESULT_OK)
		auth_throttle_succeeded(job->service->throttle, job->peer_addr, job->account,
					auth_now_ms());
	else if (job->result == AUTH_RESULT_FAILED)
		auth_throttle_failed(job->service->throttle, job->peer_addr, job->account,
				     auth_now_ms());
	struct auth_reply reply = {
		.result = job->result,
		.user = job->result == AUTH_RESULT_OK ? &job->found : NULL,
		.reason = job->reason,
		.delay_ms = job->delay_ms,
	};
	job->done(&reply, job->context);
	auth_job_free(job);
}

static void auth_job_post(struct auth_job *job)
{
	if (job->worker != NULL)
		net_worker_call(job->worker, auth_job_answer, job);
	else
		auth_job_answer(job);
}

static void auth_job_log(struct auth_job *job, struct storage_conn *conn)
{
	char printable[STORAGE_AUTH_USER_MAX + 1];
	log_printable(job->user, strlen(job->user), printable, sizeof(printable));
	if (job->result == AUTH_RESULT_OK) {
		log_info(job->sid, job->service_name, "auth-ok", "user=%s mech=%s client=%s delay_ms=%u",
			 printable, job->mech, job->peer_addr, job->delay_ms);
	} else if (job->result == AUTH_RESULT_FAILED) {
		log_info(job->sid, job->service_name, "auth-failed",
			 "user=%s mech=%s client=%s reason=%s delay_ms=%u", printable, job->mech,
			 job->peer_addr, job->reason, job->delay_ms);
	} else {
		log_warning(job->sid, job->service_name, "auth-unavailable",
			    "user=%s mech=%s client=%s reason=\"%s\"", printable, job->mech,
			    job->peer_addr, job->reason);
	}
	if (!job->service->set.log_attempts || conn == NULL)
		return;
	struct storage_auth_entry entry = { .at = (int64_t)time(NULL) };
	auth_copy(entry.service, sizeof(entry.service), job->service_name);
	auth_copy(entry.client, sizeof(entry.client), job->peer_addr);
	/* the account as tandemctl looks it up, or what was sent */
	if (job->account[0] != '\0')
		log_printable(job->account, strlen(job->account), entry.username,
			      sizeof(entry.username));
	else
		auth_copy(entry.username, sizeof(entry.username), printable);
	auth_copy(entry.result, sizeof(entry.result), auth_result_str(job->result));
	auth_copy(entry.reason, sizeof(entry.reason), job->reason);
	const char *error = NULL;
	if (storage_auth_log_add(conn, &entry, &error) != STORAGE_OK)
		log_warning(job->sid, job->service_name, "auth-log-failed", "error=\"%s\"",
			    error != NULL ? error : "");
}

/* A directory user who logged in: their row (created the first time) and
 * their other addresses as aliases. */
static void auth_job_provision(struct auth_job *job, struct storage_conn *conn,
			       const struct auth_ldap_user *luser)
{
	const char *error = NULL;
	enum storage_result ret = storage_user_get(conn, luser->address, &job->found, &error);
	if (ret == STORAGE_ERR_NOTFOUND) {
		ret = storage_user_add_ldap(conn, luser->address, &error);
		if (ret == STORAGE_OK)
			log_info(job->sid, job->service_name, "ldap-user-created", "user=%s",
				 luser->address);
		if (ret == STORAGE_OK || ret == STORAGE_ERR_EXISTS)
			ret = storage_user_get(conn, luser->address, &job->found, &error);
	}
	if (ret != STORAGE_OK) {
		job->result = ret == STORAGE_ERR_TEMP ? AUTH_RESULT_TEMPFAIL : AUTH_RESULT_FAILED;
		snprintf(job->reason, sizeof(job->reason), "ldap user %s: %s", luser->address,
			 error != NULL ? error : storage_result_str(ret));
		return;
	}
	for (size_t i = 0; i < luser->alias_count; i++) {
		ret = storage_alias_add(conn, luser->aliases[i], luser->address, &error);
		if (ret != STORAGE_OK && ret != STORAGE_ERR_EXISTS && ret != STORAGE_ERR_NOTFOUND)
			log_warning(job->sid, job->service_name, "ldap-alias-failed",
				    "alias=%s user=%s error=\"%s\"", luser->aliases[i],
				    luser->address, error != NULL ? error : "");
	}
	job->result = AUTH_RESULT_OK;
	auth_copy(job->reason, sizeof(job->reason), "ldap");
}

/* On a service thread: the directory of the user's domain. */
static void auth_job_check_ldap(struct auth_job *job, struct storage_conn *conn,
				struct auth_ldap_conn *ldap_conn,
				const struct auth_ldap_domain *domain)
{
	struct auth_ldap_user *luser = xcalloc(1, sizeof(*luser));
	enum auth_ldap_result ret = auth_ldap_login(ldap_conn, domain, job->account, job->password,
						    luser, job->reason, sizeof(job->reason));
	if (ret == AUTH_LDAP_OK)
		auth_job_provision(job, conn, luser);
	else
		job->result = ret == AUTH_LDAP_TEMPFAIL ? AUTH_RESULT_TEMPFAIL : AUTH_RESULT_FAILED;
	free(luser);
}

/* On a service thread: look the user up and check the password. */
static void auth_job_check(struct auth_job *job, struct storage_conn *conn,
			   struct auth_ldap_conn *ldap_conn)
{
	const char *error = NULL;
	if (conn == NULL) {
		job->result = AUTH_RESULT_TEMPFAIL;
		auth_copy(job->reason, sizeof(job->reason), "database: not connected");
		return;
	}
	if (job->account[0] == '\0' || strlen(job->password) > PASSWORD_PLAIN_MAX) {
		job->result = AUTH_RESULT_FAILED;
		auth_copy(job->reason, sizeof(job->reason), "user");
		return;
	}
	const struct auth_ldap_domain *domain =
		auth_ldap_find(job->service->ldap, strchr(job->account, '@') + 1);
	enum storage_result ret = storage_user_get(conn, job->account, &job->found, &error);
	if (ret == STORAGE_ERR_TEMP) {
		job->result = AUTH_RESULT_TEMPFAIL;
		snprintf(job->reason, sizeof(job->reason), "database: %s", error != NULL ? error : "");
	} else if (domain != NULL && (ret != STORAGE_OK || strcmp(job->found.source, "sql") != 0 ||
				      job->found.password_hash[0] == '\0')) {
		auth_job_check_ldap(job, conn, ldap_conn, domain);
	} else if (ret != STORAGE_OK) {
		/* spend the time a check would, so timing tells nothing */
		(void)password_verify(job->password, job->service->dummy_hash);
		job->result = AUTH_RESULT_FAILED;
		auth_copy(job->reason, sizeof(job->reason), "user");
	} else if (!password_verify(job->password, job->found.password_hash)) {
		job->result = AUTH_RESULT_FAILED;
		auth_copy(job->reason, sizeof(job->reason),
			  job->found.password_hash[0] == '\0' ? "no password" : "password");
	} else {
		job->result = AUTH_RESULT_OK;
		auth_copy(job->reason, sizeof(job->reason), "password");
	}
	explicit_bzero(job->password, strlen(job->password));
}

/* ---- lookups ---- */

static void auth_value_add(struct buf *value, const char *item)
{
	/* no duplicates: Postfix would not mind, an admin reading it would */
	size_t len = strlen(item);
	const char *p = (const char *)value->data;
	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == len && memcmp(p, item, n) == 0)
			return;
		p = comma != NULL ? comma + 1 : NULL;
	}
	if (value->len > 0)
		buf_append_byte(value, ',');
	buf_append_str(value, item);
}

static void auth_alias_target(const struct storage_alias *alias, void *context)
{
	auth_value_add(context, alias->target);
}

struct auth_sender_ctx {
	struct storage_conn *conn;
	struct buf *value;
	enum storage_result ret;
};

/* An alias target that is a local user may send as the alias. */
static void auth_sender_target(const struct storage_alias *alias, void *context)
{
	struct auth_sender_ctx *ctx = context;
	ctx->ret = STORAGE_OK;
	auth_value_add(ctx->value, alias->target);
}

/* A directory user the lookup found: their row and aliases, as at login. */
static bool auth_lookup_ldap(struct auth_job *job, struct storage_conn *conn,
			     struct auth_ldap_conn *ldap_conn)
{
	const struct auth_ldap_domain *domain =
		auth_ldap_find(job->service->ldap, strchr(job->account, '@') + 1);
	if (domain == NULL)
		return false;
	struct auth_ldap_user *luser = xcalloc(1, sizeof(*luser));
	enum auth_ldap_result ret = auth_ldap_lookup(ldap_conn, domain, job->account, luser,
						     job->reason, sizeof(job->reason));
	bool found = false;
	if (ret == AUTH_LDAP_OK) {
		auth_job_provision(job, conn, luser);
		found = job->result == AUTH_RESULT_OK;
	} else {
		job->result = ret == AUTH_LDAP_TEMPFAIL ? AUTH_RESULT_TEMPFAIL : AUTH_RESULT_FAILED;
	}
	free(luser);
	return found;
}

static void auth_job_lookup(struct auth_job *job, struct storage_conn *conn,
			    struct auth_ldap_conn *ldap_conn)
{
	const char *error = NULL;
	enum storage_result ret;
	job->result = AUTH_RESULT_FAILED;
	auth_copy(job->reason, sizeof(job->reason), "not found");
	if (conn == NULL) {
		job->result = AUTH_RESULT_TEMPFAIL;
		auth_copy(job->reason, sizeof(job->reason), "database: not connected");
		return;
	}
	if (job->lookup_kind == AUTH_LOOKUP_DOMAIN) {
		struct storage_domain domain;
		char name[STORAGE_DOMAIN_MAX + 1];
		auth_copy(name, sizeof(name), job->user);
		for (char *p = name; *p != '\0'; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		ret = storage_domain_get(conn, name, &domain, &error);
		if (ret == STORAGE_OK) {
			job->result = AUTH_RESULT_OK;
			buf_append_str(&job->value, domain.name);
		}
	} else if (job->account[0] == '\0') {
		return; /* not an address (e.g. Postfix's "@domain" catch-all probe) */
	} else if (job->lookup_kind == AUTH_LOOKUP_MAILBOX) {
		ret = storage_user_get(conn, job->account, &job->found, &error);
		if (ret == STORAGE_OK) {
			job->result = AUTH_RESULT_OK;
			buf_append_str(&job->value, job->found.address);
		} else if (ret == STORAGE_ERR_NOTFOUND && auth_lookup_ldap(job, conn, ldap_conn) &&
			   strcmp(job->found.address, job->account) == 0) {
			buf_append_str(&job->value, job->found.address);
		} else if (job->result == AUTH_RESULT_OK) {
			/* the directory knows it as an alias: not a mailbox */
			job->result = AUTH_RESULT_FAILED;
			auth_copy(job->reason, sizeof(job->reason), "an alias");
		}
	} else if (job->lookup_kind == AUTH_LOOKUP_ALIAS) {
		ret = storage_alias_targets(conn, job->account, auth_alias_target, &job->value, &error);
		if (ret == STORAGE_OK && job->value.len > 0) {
			job->result = AUTH_RESULT_OK;
		} else if (ret == STORAGE_OK) {
			/* a directory alias nobody received mail for yet */
			struct storage_user user;
			ret = storage_user_get(conn, job->account, &user, &error);
			if (ret == STORAGE_ERR_NOTFOUND && auth_lookup_ldap(job, conn, ldap_conn)) {
				if (strcmp(job->found.address, job->account) != 0)
					buf_append_str(&job->value, job->found.address);
				else
					job->result = AUTH_RESULT_FAILED; /* a user, not an alias */
			}
		}
	} else {
		/* SENDER: the user itself, and the local users an alias leads to */
		ret = storage_user_get(conn, job->account, &job->found, &error);
		if (ret == STORAGE_OK)
			auth_value_add(&job->value, job->found.address);
		if (ret == STORAGE_OK || ret == STORAGE_ERR_NOTFOUND) {
			struct auth_sender_ctx ctx = { conn, &job->value, STORAGE_ERR_NOTFOUND };
			ret = storage_alias_targets(conn, job->account, auth_sender_target, &ctx, &error);
		}
		if (ret == STORAGE_OK && job->value.len == 0 && auth_lookup_ldap(job, conn, ldap_conn))
			auth_value_add(&job->value, job->found.address);
		if (job->value.len > 0)
			job->result = AUTH_RESULT_OK;
	}
	if (ret == STORAGE_ERR_TEMP) {
		job->result = AUTH_RESULT_TEMPFAIL;
		snprintf(job->reason, sizeof(job->reason), "database: %s", error != NULL ? error : "");
	}
}

/* Whether a thread should prune the auth log now (lock held); claims it. */
static bool auth_prune_due(struct auth_service *service)
{
	if (!service->set.log_attempts || service->set.log_days == 0)
		return false;
	uint64_t now = auth_now_ms();
	if (now < service->next_prune_ms)
		return false;
	service->next_prune_ms = now + 3600u * 1000u;
	return true;
}

static void auth_prune(struct auth_service *service, struct storage_conn *conn)
{
	if (conn == NULL)
		return;
	int64_t deleted = 0;
	const char *error = NULL;
	int64_t before = (int64_t)time(NULL) - (int64_t)service->set.log_days * 86400;
	if (storage_auth_log_prune(conn, before, &deleted, &error) != STORAGE_OK)
		log_warning(NULL, "auth", "auth-log-prune-failed", "error=\"%s\"",
			    error != NULL ? error : "");
	else if (deleted > 0)
		log_info(NULL, "auth", "auth-log-pruned", "rows=%lld days=%u", (long long)deleted,
			 service->set.log_days);
}

static void *auth_thread(void *arg)
{
	struct auth_service *service = arg;
	struct auth_ldap_conn *ldap_conn = auth_ldap_conn_create();
	struct storage_conn *conn = NULL;
	const char *error = NULL;
	if (storage_connect(service->storage, &conn, &error) < 0) {
		log_error(NULL, "auth", "connect-failed", "error=\"%s\"", error != NULL ? error : "");
		conn = NULL;
	}
	pthread_mutex_lock(&service->lock);
	for (;;) {
		struct auth_job *job = service->queue;
		if (job == NULL && !service->stopping && auth_prune_due(service)) {
			pthread_mutex_unlock(&service->lock);
			auth_prune(service, conn);
			pthread_mutex_lock(&service->lock);
			continue;
		}
		if (job == NULL) {
			if (service->stopping)
				break;
			pthread_cond_wait(&service->wake, &service->lock);
			continue;
		}
		uint64_t now = auth_now_ms();
		if (!service->stopping && job->run_at_ms > now) {
			uint64_t wait_ms = job->run_at_ms - now;
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += (time_t)(wait_ms / 1000);
			until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&service->wake, &service->lock, &until);
			continue;
		}
		service->queue = job->next;
		bool stopping = service->stopping;
		pthread_mutex_unlock(&service->lock);
		if (stopping) {
			job->result = AUTH_RESULT_TEMPFAIL;
			auth_copy(job->reason, sizeof(job->reason), "shutting down");
		} else if (job->lookup_done != NULL) {
			auth_job_lookup(job, conn, ldap_conn);
		} else {
			auth_job_check(job, conn, ldap_conn);
		}
		if (job->lookup_done == NULL)
			auth_job_log(job, stopping ? NULL : conn);
		else if (job->result == AUTH_RESULT_TEMPFAIL)
			log_warning(job->sid, "auth", "lookup-unavailable", "key=%s reason=\"%s\"",
				    job->account[0] != '\0' ? job->account : "?", job->reason);
		auth_job_post(job);
		pthread_mutex_lock(&service->lock);
	}
	pthread_mutex_unlock(&service->lock);
	auth_ldap_conn_free(&ldap_conn);
	storage_disconnect(&conn);
	return NULL;
}

int auth_service_create(struct storage *storage, const struct auth_service_settings *set,
			struct auth_service **service_r, char **error_r)
{
	const char *error = NULL;
	struct auth_ldap_directory *ldap = NULL;
	if (auth_ldap_load(set->ldap_domains_dir, &ldap, error_r) < 0)
		return -1;
	struct auth_service *service = xcalloc(1, sizeof(*service));
	service->storage = storage;
	service->set = *set;
	service->ldap = ldap;
	service->default_domain = xstrdup(set->default_domain != NULL ? set->default_domain : "");
	service->set.default_domain = service->default_domain;
	service->set.ldap_domains_dir = NULL;
	if (service->set.threads == 0)
		service->set.threads = 1;
	service->throttle = auth_throttle_create(&set->throttle);
	if (password_hash("tandem-unknown-user", &service->dummy_hash, &error) < 0) {
		*error_r = xasprintf("auth: %s", error);
		auth_ldap_free(&service->ldap);
		auth_throttle_free(&service->throttle);
		free(service->default_domain);
		free(service);
		return -1;
	}
	pthread_mutex_init(&service->lock, NULL);
	pthread_cond_init(&service->wake, NULL);
	service->threads = xcalloc(service->set.threads, sizeof(*service->threads));
	for (unsigned i = 0; i < service->set.threads; i++) {
		if (pthread_create(&service->threads[i], NULL, auth_thread, service) != 0) {
			*error_r = xstrdup("auth: cannot start a thread");
			auth_service_free(&service);
			return -1;
		}
		service->thread_count++;
	}
	*service_r = service;
	return 0;
}

void auth_service_free(struct auth_service **servicep)
{
	struct auth_service *service = *servicep;
	if (service == NULL)
		return;
	*servicep = NULL;
	pthread_mutex_lock(&service->lock);
	service->stopping = true;
	pthread_cond_broadcast(&service->wake);
	pthread_mutex_unlock(&service->lock);
	for (unsigned i = 0; i < service->thread_count; i++)
		pthread_join(service->threads[i], NULL);
	/* no thread ever started: answer what is queued here */
	while (service->queue != NULL) {
		struct auth_job *job = service->queue;
		service->queue = job->next;
		job->result = AUTH_RESULT_TEMPFAIL;
		auth_copy(job->reason, sizeof(job->reason), "shutting down");
		auth_job_post(job);
	}
	free(service->threads);
	free(service->dummy_hash);
	free(service->default_domain);
	auth_ldap_free(&service->ldap);
	auth_throttle_free(&service->throttle);
	pthread_cond_destroy(&service->wake);
	pthread_mutex_destroy(&service->lock);
	free(service);
}

/* Into the queue, ordered by when it may run. */
static void auth_job_queue(struct auth_service *service, struct auth_job *job)
{
	pthread_mutex_lock(&service->lock);
	struct auth_job **slot = &service->queue;
	while (*slot != NULL && (*slot)->run_at_ms <= job->run_at_ms)
		slot = &(*slot)->next;
	job->next = *slot;
	*slot = job;
	pthread_cond_broadcast(&service->wake);
	pthread_mutex_unlock(&service->lock);
}

void auth_login(struct auth_service *service, struct net_worker *worker,
		const struct auth_request *req, auth_done_fn *done, void *context)
{
	struct auth_job *job = xcalloc(1, sizeof(*job));
	job->service = service;
	job->worker = worker;
	job->done = done;
	job->context = context;
	auth_copy(job->service_name, sizeof(job->service_name), req->service);
	auth_copy(job->sid, sizeof(job->sid), req->sid);
	auth_copy(job->peer_addr, sizeof(job->peer_addr), req->peer_addr);
	auth_copy(job->mech, sizeof(job->mech), req->mech);
	job->user = xstrdup(req->user != NULL ? req->user : "");
	job->password = xstrdup(req->password != NULL ? req->password : "");
	const char *error = NULL;
	char *qualified = NULL;
	if (strchr(job->user, '@') == NULL && service->default_domain[0] != '\0' &&
	    job->user[0] != '\0')
		qualified = xasprintf("%s@%s", job->user, service->default_domain);
	const char *login = qualified != NULL ? qualified : job->user;
	if (strlen(login) > AUTH_USER_MAX ||
	    storage_address_normalize(login, job->account, sizeof(job->account), &error) < 0)
		job->account[0] = '\0';
	free(qualified);
	uint64_t now = auth_now_ms();
	job->delay_ms = auth_throttle_delay_ms(service->throttle, job->peer_addr, job->account, now);
	job->run_at_ms = now + job->delay_ms;

	auth_job_queue(service, job);
}

void auth_lookup(struct auth_service *service, struct net_worker *worker,
		 enum auth_lookup_kind kind, const char *key, const char *sid,
		 auth_lookup_fn *done, void *context)
{
	struct auth_job *job = xcalloc(1, sizeof(*job));
	job->service = service;
	job->worker = worker;
	job->lookup_done = done;
	job->lookup_kind = kind;
	job->context = context;
	auth_copy(job->service_name, sizeof(job->service_name), "map");
	auth_copy(job->sid, sizeof(job->sid), sid);
	job->user = xstrdup(key != NULL ? key : "");
	job->password = xstrdup("");
	const char *error = NULL;
	if (strlen(job->user) > AUTH_USER_MAX ||
	    storage_address_normalize(job->user, job->account, sizeof(job->account), &error) < 0)
		job->account[0] = '\0';
	job->run_at_ms = auth_now_ms();
	auth_job_queue(service, job);
}

bool auth_service_has_directory(const struct auth_service *service, const char *domain)
{
	return auth_ldap_find(service->ldap, domain) != NULL;
}

struct auth_throttle *auth_service_throttle(struct auth_service *service)
{
	return service->throttle;
}
