/* socketmap.h - the lookup service Postfix queries with socketmap tables
 * (socketmap_table(5)): netstring requests "<map> <key>", netstring
 * replies "OK <value>", "NOTFOUND ", "TEMP <reason>", "PERM <reason>".
 *
 * Maps (Postfix main.cf names them socketmap:unix:<socket>:<map>):
 *   domain   virtual_mailbox_domains: is the domain ours?
 *   mailbox  virtual_mailbox_maps: is the address a user (a directory user
 *            seen for the first time gets created)?
 *   alias    virtual_alias_maps: the alias's targets (local or external)
 *   sender   smtpd_sender_login_maps: which login names may send as it
 * Answers come from the auth service (SQL, and LDAP for directory
 * domains); a database or directory that cannot answer gives TEMP, so
 * Postfix replies 4xx and the sender retries.
 *
 * The netstring parser is separate from the session so it can be fuzzed.
 */
#ifndef TANDEM_POSTFIX_SOCKETMAP_H
#define TANDEM_POSTFIX_SOCKETMAP_H

#include <stddef.h>

struct auth_service;
struct net_service;
struct socketmap_service;

/* Largest request accepted (Postfix's keys are addresses). */
#define SOCKETMAP_REQUEST_MAX 4096

enum netstring_result {
	NETSTRING_NEED_MORE, /* not all of it is there yet */
	NETSTRING_OK,
	NETSTRING_BAD,       /* malformed or longer than max */
};
/* Parse one netstring "<len>:<data>," at the start of buf (len bytes).
 * OK: *data_r and *data_len_r are the payload, *consumed_r the netstring's
 * whole length. */
enum netstring_result netstring_parse(const char *buf, size_t len, size_t max,
				      const char **data_r, size_t *data_len_r,
				      size_t *consumed_r);

struct socketmap_service *socketmap_service_create(void);
/* The auth service lookups go to; set before the first connection. */
void socketmap_service_set_auth(struct socketmap_service *service, struct auth_service *auth);
void socketmap_service_free(struct socketmap_service **service);
const struct net_service *socketmap_service_net(struct socketmap_service *service);

#endif
