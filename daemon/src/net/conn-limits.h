/* conn-limits.h - count open connections, in total and per client IP address,
 * and refuse new ones beyond `max_connections` / `max_connections_per_address`.
 *
 * Thread-safe (one mutex): the listener acquires on the main thread, workers
 * release when their connections close. UNIX-socket clients have no address
 * (NULL): they count towards the total but have no per-address limit.
 */
#ifndef TANDEM_CONN_LIMITS_H
#define TANDEM_CONN_LIMITS_H

#include <stdbool.h>

/* Longest address key: an IPv6 address in text. */
#define CONN_LIMITS_ADDR_MAX 46

enum conn_limits_result {
	CONN_LIMITS_OK = 0,
	CONN_LIMITS_TOTAL,    /* max_connections reached */
	CONN_LIMITS_ADDRESS,  /* max_connections_per_address reached for this IP */
};

struct conn_limits;

/* 0 for a limit means "no limit". */
struct conn_limits *conn_limits_create(unsigned max_total, unsigned max_per_address);
void conn_limits_free(struct conn_limits **limits);

/* Take one slot for a client at addr (NULL: a UNIX socket, no per-address limit). */
enum conn_limits_result conn_limits_acquire(struct conn_limits *limits, const char *addr);
/* Give back the slot taken by a successful conn_limits_acquire(addr). */
void conn_limits_release(struct conn_limits *limits, const char *addr);
/* Connections counted now. */
unsigned conn_limits_total(struct conn_limits *limits);
/* Connections counted now for addr. */
unsigned conn_limits_address_count(struct conn_limits *limits, const char *addr);

const char *conn_limits_result_str(enum conn_limits_result result);

#endif
