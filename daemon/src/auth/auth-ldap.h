/* auth-ldap.h - users kept in LDAP / Active Directory (libldap): per-domain
 * settings read from one file per mail domain, and the two questions the
 * auth service asks a directory: "is this user's password right?" (search
 * the user's entry with the service account, then bind as it) and "is this
 * address a user?" (for mail arriving for a user never seen before).
 *
 * Settings: `ldap_domains_dir` holds `<domain>.conf` files of `key = value`
 * lines (see auth-ldap-config.c for every key). Several URIs are tried in
 * order (failover); ldaps:// or StartTLS; filters take %u (the address),
 * %n (its local part) and %d (its domain), escaped as RFC 4515 requires.
 *
 * Results keep "no" and "cannot tell" apart: a server that cannot be
 * reached, a service bind that fails or a timeout is TEMPFAIL (the client
 * is told to try later), never a wrong password.
 *
 * Threads: the directory (settings) is read-only once loaded and shared; a
 * struct auth_ldap_conn (the open connections) belongs to one thread.
 */
#ifndef TANDEM_AUTH_LDAP_H
#define TANDEM_AUTH_LDAP_H

#include "storage.h"

#include <stdbool.h>
#include <stddef.h>

/* Most aliases taken from one entry. */
#define AUTH_LDAP_ALIASES_MAX 64

struct auth_ldap_domain;
struct auth_ldap_directory;
struct auth_ldap_conn;

/* Load every <domain>.conf of dir (a missing dir is an empty directory).
 * On error *error_r is allocated ("FILE:LINE: ..."), caller frees. */
int auth_ldap_load(const char *dir, struct auth_ldap_directory **directory_r, char **error_r);
void auth_ldap_free(struct auth_ldap_directory **directory);
/* The settings of a mail domain (lower case), or NULL. */
const struct auth_ldap_domain *auth_ldap_find(const struct auth_ldap_directory *directory,
					      const char *domain);
size_t auth_ldap_domain_count(const struct auth_ldap_directory *directory);

/* One thread's connections (opened on first use, reopened after errors). */
struct auth_ldap_conn *auth_ldap_conn_create(void);
void auth_ldap_conn_free(struct auth_ldap_conn **conn);

enum auth_ldap_result {
	AUTH_LDAP_OK = 0,
	AUTH_LDAP_FAILED,   /* no such user, wrong password, disabled, not in the group */
	AUTH_LDAP_TEMPFAIL, /* the directory could not answer */
};

struct auth_ldap_user {
	char address[STORAGE_ADDRESS_MAX + 1];  /* the mail attribute, lower case */
	char aliases[AUTH_LDAP_ALIASES_MAX][STORAGE_ADDRESS_MAX + 1];
	size_t alias_count;                     /* other addresses of the user */
};

/* Check address + password against the domain's directory. reason (for
 * the log, never the client) says why: "password", "user", "disabled",
 * "locked", "group", "ldap: ...". */
enum auth_ldap_result auth_ldap_login(struct auth_ldap_conn *conn,
				      const struct auth_ldap_domain *domain,
				      const char *address, const char *password,
				      struct auth_ldap_user *user_r, char *reason, size_t reason_size);
/* Is address (the user's mail attribute or one of the alias attribute's
 * addresses) a mail user of the domain's directory? The required group
 * counts; a disabled or locked account still receives mail. */
enum auth_ldap_result auth_ldap_lookup(struct auth_ldap_conn *conn,
				       const struct auth_ldap_domain *domain,
				       const char *address, struct auth_ldap_user *user_r,
				       char *reason, size_t reason_size);

/* Expand %u %n %d %% in pattern for address into out, escaping the values
 * for an LDAP filter (RFC 4515). -1 if it does not fit or a % is unknown. */
int auth_ldap_filter_expand(const char *pattern, const char *address, char *out, size_t size);

#endif
