/* pop3.h - the POP3 service (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH
 * RFC 5034) as tandemd's net layer sees it: settings, a service context
 * shared by every worker, and the hooks (struct net_service) that drive one
 * session per connection.
 *
 * Everything a session does runs on its connection's worker thread with
 * the worker's own storage connection. The maildrop is the user's INBOX.
 */
#ifndef TANDEM_POP3_H
#define TANDEM_POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_service;
struct pop3_service;
struct auth_service;

/* Longest command line with its CRLF, bytes (RFC 2449 4: 255 for
 * commands; RFC 5034 4: AUTH's initial response may be longer). */
#define POP3_LINE_MAX 2048
/* -ERR replies to bad or unknown commands before the session is closed. */
#define POP3_ERRORS_MAX 10
/* Commands before a successful login. */
#define POP3_PREAUTH_COMMANDS_MAX 30
/* Failed USER/PASS or AUTH attempts on one connection. */
#define POP3_AUTH_FAILURES_MAX 3
/* Most messages one maildrop shows (the rest wait for the next session). */
#define POP3_MAILDROP_MAX 100000

struct pop3_settings {
	bool allow_plaintext_auth;     /* USER/PASS, AUTH without TLS from anywhere */
	bool plaintext_auth_loopback;  /* ... from loopback */
	unsigned idle_timeout_secs;    /* silence before the session is closed (RFC 1939: >= 600) */
};

/* settings are copied. */
struct pop3_service *pop3_service_create(const struct pop3_settings *set);
void pop3_service_free(struct pop3_service **service);
/* The auth service USER/PASS and AUTH go to; set before the first
 * connection. */
void pop3_service_set_auth(struct pop3_service *service, struct auth_service *auth);
/* The hooks for net_server_listen() / net_server_listen_tls(); valid as
 * long as the service. */
const struct net_service *pop3_service_net(struct pop3_service *service);

#endif
