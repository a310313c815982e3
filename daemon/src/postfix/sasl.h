/* sasl.h - the SASL authentication service Postfix's smtpd uses with
 * `smtpd_sasl_type = dovecot` and `smtpd_sasl_path` pointing at our UNIX
 * socket, so SMTP submission (587, 465) logs users in against the same
 * accounts as IMAP (SQL or LDAP, through the auth service): mechanisms
 * PLAIN and LOGIN.
 *
 * Postfix tells us whether its client used TLS ("secured") and the
 * client's address ("rip", which the auth service's throttle uses). The
 * service refuses a plaintext mechanism over a connection that is neither
 * TLS nor from loopback unless allow_plaintext is set.
 */
#ifndef TANDEM_POSTFIX_SASL_H
#define TANDEM_POSTFIX_SASL_H

#include <stdbool.h>

struct auth_service;
struct net_service;
struct sasl_service;

struct sasl_settings {
	bool allow_plaintext;   /* PLAIN/LOGIN without TLS from non-loopback clients */
	bool plaintext_loopback; /* ... and from loopback clients */
};

struct sasl_service *sasl_service_create(const struct sasl_settings *set);
/* The auth service checks go to; set before the first connection. */
void sasl_service_set_auth(struct sasl_service *service, struct auth_service *auth);
void sasl_service_free(struct sasl_service **service);
/* The hooks for net_server_listen(); valid as long as the service. */
const struct net_service *sasl_service_net(struct sasl_service *service);

#endif
