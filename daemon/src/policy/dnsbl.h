/* dnsbl.h - DNS blocklist lookups for the policy service: the client's
 * reversed address under each configured zone, all zones asked at once,
 * asynchronously with libevent's evdns on the worker's own event base.
 *
 * A zone that answers 127.0.0.0/8 lists the client and adds its weight; the
 * client counts as listed when the weights reach the threshold. NXDOMAIN is
 * "not listed"; a timeout, SERVFAIL or any other failure also counts as not
 * listed (a broken blocklist must not hold mail back) and is logged, as are
 * 127.255.255.x answers (Spamhaus' "your query was refused").
 */
#ifndef TANDEM_POLICY_DNSBL_H
#define TANDEM_POLICY_DNSBL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct dnsbl;

/* Most zones in dnsbl_zones, longest zone name, largest weight. */
#define DNSBL_ZONES_MAX 16
#define DNSBL_ZONE_MAX 253
#define DNSBL_WEIGHT_MAX 100
/* Longest dnsbl_resolver ("[v6]:port"). */
#define DNSBL_RESOLVER_MAX 64
/* Longest query name: 32 nibbles of IPv6, dots, the zone. */
#define DNSBL_QUERY_MAX (64 + 1 + DNSBL_ZONE_MAX)

struct dnsbl_zone {
	char name[DNSBL_ZONE_MAX + 1];
	unsigned weight;
};

struct dnsbl_settings {
	struct dnsbl_zone zones[DNSBL_ZONES_MAX];
	size_t zone_count;
	unsigned threshold;
	char resolver[DNSBL_RESOLVER_MAX + 1]; /* "" = /etc/resolv.conf */
	unsigned timeout_ms;
};

struct dnsbl_result {
	unsigned score;           /* sum of the weights of the zones listing the client */
	bool listed;              /* score >= threshold (and threshold > 0) */
	unsigned errors;          /* zones that did not answer usably */
	char zones[256];          /* the listing zones, comma-separated, for the log */
};

/* Parse "zone*weight zone ..." (blank- or comma-separated; weight 1 when
 * left out) into set->zones. -1 with a message in error. */
int dnsbl_zones_parse(struct dnsbl_settings *set, const char *list, char *error,
		      size_t errsize);
/* The query name of addr (IPv4 or IPv6) under zone: "2.0.0.127.zone".
 * -1 when addr is not an IP address or it does not fit. */
int dnsbl_query_name(const char *addr, const char *zone, char *out, size_t outsize);

/* A resolver on base (the worker's; used on its thread only). set must
 * outlive it. -1 with a message in error. */
int dnsbl_create(struct event_base *base, const struct dnsbl_settings *set,
		 struct dnsbl **dnsbl_r, char *error, size_t errsize);
/* Abandon the lookups in flight (their callbacks run now, with every
 * unanswered zone counted as an error) and free. Before the event base. */
void dnsbl_free(struct dnsbl **dnsbl);

typedef void dnsbl_done_fn(const struct dnsbl_result *result, void *context);
/* Look addr up in every zone; fn runs once, on the worker's loop (at once,
 * before dnsbl_lookup returns, when there is nothing to ask). sid is for the
 * log lines. */
void dnsbl_lookup(struct dnsbl *dnsbl, const char *addr, const char *sid, dnsbl_done_fn *fn,
		  void *context);

#endif
