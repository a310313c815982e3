/* managesieve.h - the ManageSieve service (RFC 5804): users upload, list,
 * activate, download, rename and delete their Sieve scripts. What tandemd
 * sees of it: settings, a service context shared by every worker, and the
 * hooks (struct net_service) that drive one session per connection.
 *
 * Everything a session does runs on its connection's worker thread with
 * the worker's own storage connection; passwords are checked by the auth
 * service (service "sieve") off the worker's loop.
 */
#ifndef TANDEM_MANAGESIEVE_H
#define TANDEM_MANAGESIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_service;
struct managesieve_service;
struct auth_service;

/* Longest line of a command (without a literal's octets) with its CRLF,
 * bytes; AUTHENTICATE's initial response fits. */
#define MANAGESIEVE_LINE_MAX 8192
/* Arguments of one command after its name (PUTSCRIPT, RENAMESCRIPT,
 * HAVESPACE, AUTHENTICATE take two). */
#define MANAGESIEVE_ARGS_MAX 4
/* NO replies to bad or unknown commands before the session is closed. */
#define MANAGESIEVE_ERRORS_MAX 10
/* Commands before a successful login. */
#define MANAGESIEVE_PREAUTH_COMMANDS_MAX 30
/* Failed AUTHENTICATE attempts on one connection. */
#define MANAGESIEVE_AUTH_FAILURES_MAX 3
/* Redirects one script run may do, as the MAXREDIRECTS capability says
 * (delivery enforces its own limit; keep the two equal). */
#define MANAGESIEVE_MAXREDIRECTS 4

struct managesieve_settings {
	bool allow_plaintext_auth;     /* AUTHENTICATE without TLS from anywhere */
	bool plaintext_auth_loopback;  /* ... from loopback */
	unsigned idle_timeout_secs;    /* silence before the session is closed */
	size_t max_script_size;        /* bytes of one script (and of any literal) */
	unsigned max_scripts;          /* scripts one user may have */
};

/* settings are copied. */
struct managesieve_service *managesieve_service_create(const struct managesieve_settings *set);
void managesieve_service_free(struct managesieve_service **service);
/* The auth service AUTHENTICATE goes to; set before the first connection. */
void managesieve_service_set_auth(struct managesieve_service *service,
				  struct auth_service *auth);
/* The hooks for net_server_listen(); valid as long as the service. */
const struct net_service *managesieve_service_net(struct managesieve_service *service);

#endif
