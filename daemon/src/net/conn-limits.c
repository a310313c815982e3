/* conn-limits.c - connection counting per client address (see conn-limits.h).
 * A small chained hash table keyed by the address text; an entry lives only
 * while its address has connections, so the table is bounded by
 * max_connections. Never blocks except on its own short mutex. */
#include "conn-limits.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONN_LIMITS_BUCKETS 4096

struct conn_limits_entry {
	struct conn_limits_entry *next;
	unsigned count;
	char addr[CONN_LIMITS_ADDR_MAX + 1];
};

struct conn_limits {
	pthread_mutex_t lock;
	unsigned max_total;
	unsigned max_per_address;
	unsigned total;
	struct conn_limits_entry *buckets[CONN_LIMITS_BUCKETS];
};

static unsigned conn_limits_hash(const char *addr)
{
	/* FNV-1a: the keys are addresses, not adversarial enough to matter for
	 * a table that holds at most max_connections entries */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)addr; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % CONN_LIMITS_BUCKETS;
}

struct conn_limits *conn_limits_create(unsigned max_total, unsigned max_per_address)
{
	struct conn_limits *limits = xcalloc(1, sizeof(*limits));
	pthread_mutex_init(&limits->lock, NULL);
	limits->max_total = max_total;
	limits->max_per_address = max_per_address;
	return limits;
}

void conn_limits_free(struct conn_limits **limitsp)
{
	struct conn_limits *limits = *limitsp;
	if (limits == NULL)
		return;
	*limitsp = NULL;
	for (size_t i = 0; i < CONN_LIMITS_BUCKETS; i++) {
		while (limits->buckets[i] != NULL) {
			struct conn_limits_entry *e = limits->buckets[i];
			limits->buckets[i] = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&limits->lock);
	free(limits);
}

static struct conn_limits_entry **conn_limits_find(struct conn_limits *limits, const char *addr)
{
	struct conn_limits_entry **ep = &limits->buckets[conn_limits_hash(addr)];
	while (*ep != NULL && strcmp((*ep)->addr, addr) != 0)
		ep = &(*ep)->next;
	return ep;
}

enum conn_limits_result conn_limits_acquire(struct conn_limits *limits, const char *addr)
{
	enum conn_limits_result result = CONN_LIMITS_OK;
	pthread_mutex_lock(&limits->lock);
	struct conn_limits_entry **ep = addr == NULL ? NULL : conn_limits_find(limits, addr);
	if (limits->max_total != 0 && limits->total >= limits->max_total) {
		result = CONN_LIMITS_TOTAL;
	} else if (ep == NULL) {
		limits->total++;
	} else if (limits->max_per_address != 0 && *ep != NULL &&
		   (*ep)->count >= limits->max_per_address) {
		result = CONN_LIMITS_ADDRESS;
	} else {
		if (*ep == NULL) {
			struct conn_limits_entry *e = xcalloc(1, sizeof(*e));
			strncpy(e->addr, addr, CONN_LIMITS_ADDR_MAX);
			*ep = e;
		}
		(*ep)->count++;
		limits->total++;
	}
	pthread_mutex_unlock(&limits->lock);
	return result;
}

void conn_limits_release(struct conn_limits *limits, const char *addr)
{
	pthread_mutex_lock(&limits->lock);
	if (addr == NULL) {
		if (limits->total > 0)
			limits->total--;
		pthread_mutex_unlock(&limits->lock);
		return;
	}
	struct conn_limits_entry **ep = conn_limits_find(limits, addr);
	if (*ep != NULL) {
		if (--(*ep)->count == 0) {
			struct conn_limits_entry *e = *ep;
			*ep = e->next;
			free(e);
		}
		limits->total--;
	}
	pthread_mutex_unlock(&limits->lock);
}

unsigned conn_limits_total(struct conn_limits *limits)
{
	pthread_mutex_lock(&limits->lock);
	unsigned total = limits->total;
	pthread_mutex_unlock(&limits->lock);
	return total;
}

unsigned conn_limits_address_count(struct conn_limits *limits, const char *addr)
{
	pthread_mutex_lock(&limits->lock);
	struct conn_limits_entry **ep = conn_limits_find(limits, addr);
	unsigned count = *ep != NULL ? (*ep)->count : 0;
	pthread_mutex_unlock(&limits->lock);
	return count;
}

const char *conn_limits_result_str(enum conn_limits_result result)
{
	switch (result) {
	case CONN_LIMITS_OK: return "ok";
	case CONN_LIMITS_TOTAL: return "max_connections";
	case CONN_LIMITS_ADDRESS: return "max_connections_per_address";
	}
	return "?";
}
