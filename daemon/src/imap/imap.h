/* imap.h - the IMAP4rev1 service (RFC 3501) as tandemd's net layer sees it:
 * settings, a service context shared by every worker, and the hooks (struct
 * net_service) that drive one session per connection.
 *
 * Everything a session does runs on its connection's worker thread with
 * the worker's own storage connection.
 */
#ifndef TANDEM_IMAP_H
#define TANDEM_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_service;
struct imap_service;

/* Longest command line (without literals), bytes. */
#define IMAP_LINE_MAX 65536
/* Largest literal accepted by commands other than APPEND. */
#define IMAP_SMALL_LITERAL_MAX (64 * 1024)
/* Literals in one command. */
#define IMAP_LITERALS_MAX 64
/* BAD replies a session may earn before it gets BYE and is closed. */
#define IMAP_ERRORS_MAX 20
/* Commands before a successful login (or BYE). */
#define IMAP_PREAUTH_COMMANDS_MAX 30
/* Failed LOGIN/AUTHENTICATE attempts on one connection. */
#define IMAP_AUTH_FAILURES_MAX 3

struct imap_settings {
	const char *hostname;
	bool allow_plaintext_auth;     /* LOGIN without TLS from anywhere */
	bool plaintext_auth_loopback;  /* LOGIN without TLS from loopback */
	unsigned idle_timeout_secs;    /* authenticated: autologout (>= 1800 per RFC) */
	unsigned preauth_timeout_secs; /* from connect to a successful login */
	uint64_t max_literal_size;     /* APPEND's message */
	uint64_t max_output_buffer;    /* pushed output queued for a client that does not read */
};

/* settings' strings are copied. */
struct imap_service *imap_service_create(const struct imap_settings *set);
void imap_service_free(struct imap_service **service);
/* The auth service LOGIN and AUTHENTICATE go to (password checks off the
 * worker's loop, throttled, logged); set before the first connection. */
struct auth_service;
void imap_service_set_auth(struct imap_service *service, struct auth_service *auth);
/* The hooks for net_server_listen(); valid as long as the service. */
const struct net_service *imap_service_net(struct imap_service *service);

#endif
