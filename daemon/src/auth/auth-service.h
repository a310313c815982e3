/* auth-service.h - checking a user name and password for every protocol
 * (IMAP, and later POP3, ManageSieve and Postfix's SASL): off the workers'
 * event loops, slowed down after failures, written to the auth log.
 *
 * A password check is slow on purpose (yescrypt) and a user lookup may wait
 * on a database (or, later, a directory): both run on the service's own
 * threads, each with its own storage connection, never on a worker's loop.
 * A worker asks with auth_login(); the answer comes back on that worker's
 * loop (net_worker_call), after the throttle's delay. The caller keeps its
 * context alive until the answer came (e.g. a session reference).
 *
 * Where accounts live: a domain with an LDAP settings file (auth-ldap.h)
 * authenticates against its directory, except accounts created in SQL
 * with a password (tandemctl user add); a directory user logging in for
 * the first time gets a user row and mailboxes, and the directory's other
 * addresses become aliases. Every other domain is SQL only.
 *
 * Results: OK (the user row), FAILED (wrong password, unknown user, no
 * password set: never said apart to the client), TEMPFAIL (the database
 * could not answer: the client must hear "try again later", never "wrong
 * password"). Every attempt is logged (log line + auth log row); passwords
 * are wiped once checked and never logged.
 */
#ifndef TANDEM_AUTH_SERVICE_H
#define TANDEM_AUTH_SERVICE_H

#include "auth-throttle.h"
#include "storage.h"

#include <stdbool.h>

struct net_worker;
struct auth_service;

struct auth_service_settings {
	unsigned threads;          /* >= 1 */
	bool log_attempts;         /* write auth log rows (tandemctl auth failures) */
	unsigned log_days;         /* rows older than this are deleted (hourly); 0 = kept */
	const char *default_domain; /* appended to login names without '@' ("" = none) */
	const char *ldap_domains_dir; /* auth-ldap.h; "" = SQL accounts only */
	struct auth_throttle_settings throttle;
};

enum auth_result {
	AUTH_RESULT_OK = 0,
	AUTH_RESULT_FAILED,
	AUTH_RESULT_TEMPFAIL,
};
const char *auth_result_str(enum auth_result result);

struct auth_request {
	const char *service;   /* "imap", "pop3", "sieve", "smtp" */
	const char *sid;       /* the session's id, for log lines */
	const char *peer_addr; /* client IP ("" for UNIX sockets) */
	const char *mech;      /* "login", "plain" */
	const char *user;      /* as the client sent it */
	const char *password;  /* copied, wiped after the check */
};

struct auth_reply {
	enum auth_result result;
	const struct storage_user *user; /* OK: the account; NULL otherwise */
	const char *reason;    /* for the log: "password", "user", "database: ..." */
	unsigned delay_ms;     /* how long the attempt was held back */
};
/* Called on the requesting worker's loop (on a service thread when worker
 * was NULL); reply and its strings are valid during the call only. */
typedef void auth_done_fn(const struct auth_reply *reply, void *context);

/* Load the LDAP settings, start threads, each connecting to storage. On
 * error *error_r is allocated, caller frees. */
int auth_service_create(struct storage *storage, const struct auth_service_settings *set,
			struct auth_service **service_r, char **error_r);
/* Stop: requests still queued are answered TEMPFAIL (through their
 * worker's queue), running checks finish, threads are joined. */
void auth_service_free(struct auth_service **service);

/* Check req (strings copied). worker: where done runs; NULL runs it on
 * the service thread (tools, tests). */
void auth_login(struct auth_service *service, struct net_worker *worker,
		const struct auth_request *req, auth_done_fn *done, void *context);

/* Lookups Postfix asks for (socketmap), answered from SQL and, in a
 * domain with a directory, from LDAP (creating the user the first time
 * mail arrives for them, like a first login). No throttle, no auth log. */
enum auth_lookup_kind {
	AUTH_LOOKUP_DOMAIN,  /* a local mail domain? value: the domain */
	AUTH_LOOKUP_MAILBOX, /* a local user? value: the address */
	AUTH_LOOKUP_ALIAS,   /* an alias? value: its targets, comma-separated */
	AUTH_LOOKUP_SENDER,  /* who may send as it? value: login names, comma-separated */
};
struct auth_lookup_reply {
	enum auth_result result;  /* OK: found; FAILED: not found; TEMPFAIL */
	const char *value;        /* OK only */
	const char *reason;       /* for the log */
};
typedef void auth_lookup_fn(const struct auth_lookup_reply *reply, void *context);
/* key is copied; done runs like auth_login's. */
void auth_lookup(struct auth_service *service, struct net_worker *worker,
		 enum auth_lookup_kind kind, const char *key, const char *sid,
		 auth_lookup_fn *done, void *context);

/* Whether domain's users live in a directory (an LDAP settings file):
 * only then can a lookup find an address SQL does not know. */
bool auth_service_has_directory(const struct auth_service *service, const char *domain);

/* The throttle, for diagnostics and tests. */
struct auth_throttle *auth_service_throttle(struct auth_service *service);

#endif
