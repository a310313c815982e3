/* lmtp.h - the LMTP delivery service (RFC 2033) as tandemd's net layer sees
 * it: settings, a service context shared by every worker, and the hooks
 * (struct net_service) that drive one session per connection.
 *
 * Everything a session does runs on its connection's worker thread, except
 * the group committer's done callback, which only hands the result back to
 * that worker (net_worker_call).
 */
#ifndef TANDEM_LMTP_H
#define TANDEM_LMTP_H

#include <stddef.h>
#include <stdint.h>

struct net_service;
struct storage;
struct lmtp_service;
struct auth_service;

/* Protocol errors (bad syntax, bad sequence, unknown command, overlong
 * line) a session may make before it gets 421 and is closed. */
#define LMTP_ERRORS_MAX 20
/* Most local users one transaction delivers to, over all its recipients
 * (one alias can expand to STORAGE_EXPANSION_MAX). */
#define LMTP_USERS_MAX 10000

struct lmtp_settings {
	const char *hostname;      /* in the greeting and the LHLO reply */
	size_t max_line_length;    /* longest command line, without CRLF */
	uint64_t max_message_size; /* SIZE advertised; 552 5.3.4 beyond */
	unsigned max_recipients;   /* RCPTs per transaction; 452 4.5.3 beyond */
	unsigned quota_grace_percent;   /* over-quota grace for a user still under it */
	unsigned quota_warning_percent; /* warn once at this share of the quota; 0 = off */
	const char *quota_warning_from; /* "" = postmaster@<user's domain> */
	const char *sieve_admin_script; /* path; "" = none */
	const char *sendmail_path;      /* redirect and vacation go out through it */
	const char *sendmail_config_dir;/* MAIL_CONFIG for it; "" = default */
	unsigned sendmail_timeout_secs;
};

/* settings' strings are copied. */
struct lmtp_service *lmtp_service_create(const struct lmtp_settings *set);
void lmtp_service_free(struct lmtp_service **service);
/* The storage deliveries go to; set before the first connection. */
void lmtp_service_set_storage(struct lmtp_service *service, struct storage *storage);
/* The auth service asked about recipients storage does not know (a
 * domain's directory); NULL (the default) answers them 550 at once. Set
 * before the first connection. */
void lmtp_service_set_auth(struct lmtp_service *service, struct auth_service *auth);
/* After lmtp_service_set_storage: start the submit queue's thread (Sieve
 * redirect, vacation, quota warnings) and read the administrator's Sieve
 * script. -1 with *error_r (malloc'd). */
int lmtp_service_start(struct lmtp_service *service, char **error_r);
/* Before the storage goes: finish the submit queue and join its thread. */
void lmtp_service_stop(struct lmtp_service *service);
/* SIGHUP: read the administrator's Sieve script again. */
void lmtp_service_reload(struct lmtp_service *service);
/* The hooks for net_server_listen(); valid as long as the service. */
const struct net_service *lmtp_service_net(struct lmtp_service *service);
/* Deliveries handed to the storage whose replies are not sent yet. */
unsigned lmtp_deliveries_in_flight(struct lmtp_service *service);

#endif
