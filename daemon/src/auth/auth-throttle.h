/* auth-throttle.h - slowing down password guessing: a growing delay per
 * client address and per account, never a lockout.
 *
 * Before a login is checked, it waits the larger of what its client address
 * and its account have earned by failing: nothing for the first try, then
 * a delay doubling with each failure, up to a cap. A success clears the
 * account (not the address). Scores decay with a half-life, so a user
 * whose account was attacked waits a few seconds at worst and is never
 * locked out, and legitimate parallel logins from one address (webmail,
 * NAT) are never slowed down by each other. The table is bounded: when
 * full, the entry with the least score gives way.
 *
 * Thread-safe (one mutex); never sleeps, never logs: the caller waits
 * (a timer on its event loop) and says what happened.
 */
#ifndef TANDEM_AUTH_THROTTLE_H
#define TANDEM_AUTH_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

struct auth_throttle_settings {
	unsigned base_delay_ms;    /* delay at a score of 1 (the first failure) */
	unsigned max_address_delay_ms;
	unsigned max_account_delay_ms;
	unsigned half_life_secs;   /* a score halves in this long */
	size_t max_entries;        /* addresses + accounts tracked */
};

/* Defaults: 500 ms doubling per failure, at most 30 s per address and
 * 15 s per account, half-life 300 s, 65536 entries. */
void auth_throttle_settings_default(struct auth_throttle_settings *set_r);

struct auth_throttle;

struct auth_throttle *auth_throttle_create(const struct auth_throttle_settings *set);
void auth_throttle_free(struct auth_throttle **throttle);

/* An attempt from address (may be "" for UNIX sockets: not counted) for
 * account (normalised address, may be "" when unknown): how long (ms) to
 * wait before checking it. now_ms is a monotonic clock. */
unsigned auth_throttle_delay_ms(struct auth_throttle *throttle, const char *address,
				const char *account, uint64_t now_ms);
/* The attempt failed: both earn one more failure. */
void auth_throttle_failed(struct auth_throttle *throttle, const char *address,
			  const char *account, uint64_t now_ms);
/* The attempt succeeded: the account's failures are forgotten. */
void auth_throttle_succeeded(struct auth_throttle *throttle, const char *address,
			     const char *account, uint64_t now_ms);

enum auth_throttle_kind {
	AUTH_THROTTLE_ADDRESS,
	AUTH_THROTTLE_ACCOUNT,
};
/* The current (decayed) score of an address or account; 0 when not
 * tracked. For tests and diagnostics. */
double auth_throttle_score(struct auth_throttle *throttle, enum auth_throttle_kind kind,
			   const char *key, uint64_t now_ms);
/* Entries tracked now. */
size_t auth_throttle_count(struct auth_throttle *throttle);

#endif
