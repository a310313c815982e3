/* dnsbl.c - asynchronous DNSBL lookups (see dnsbl.h).
 *
 * Never blocks the worker's event loop: every query goes through evdns on
 * the worker's base and the caller hears back through its callback. Never
 * lets a DNS failure list a client.
 */
#include "dnsbl.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <event2/dns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DNSBL_PROTO "policy"
#define DNSBL_SID_MAX 32

struct dnsbl_lookup;

struct dnsbl_query {
	struct dnsbl_lookup *lookup;
	unsigned zone;
	bool done;
};

struct dnsbl_lookup {
	struct dnsbl *dnsbl;
	struct dnsbl_lookup *prev, *next;
	unsigned pending;
	struct dnsbl_result result;
	char sid[DNSBL_SID_MAX];
	dnsbl_done_fn *fn;
	void *context;
	struct dnsbl_query queries[DNSBL_ZONES_MAX];
};

struct dnsbl {
	struct evdns_base *dns;
	const struct dnsbl_settings *set;
	struct dnsbl_lookup *lookups; /* in flight */
};

static int dnsbl_zone_add(struct dnsbl_settings *set, const char *word, size_t len, char *error,
			  size_t errsize)
{
	if (set->zone_count >= DNSBL_ZONES_MAX) {
		snprintf(error, errsize, "more than %d zones", DNSBL_ZONES_MAX);
		return -1;
	}
	const char *star = memchr(word, '*', len);
	size_t name_len = star != NULL ? (size_t)(star - word) : len;
	unsigned weight = 1;
	if (star != NULL) {
		weight = 0;
		const char *p = star + 1;
		if (p == word + len) {
			snprintf(error, errsize, "no weight after '*' in '%.*s'", (int)len, word);
			return -1;
		}
		for (; p < word + len; p++) {
			if (!isdigit((unsigned char)*p) || weight > DNSBL_WEIGHT_MAX) {
				snprintf(error, errsize, "bad weight in '%.*s' (0..%d)", (int)len,
					 word, DNSBL_WEIGHT_MAX);
				return -1;
			}
			weight = weight * 10 + (unsigned)(*p - '0');
		}
		if (weight > DNSBL_WEIGHT_MAX) {
			snprintf(error, errsize, "bad weight in '%.*s' (0..%d)", (int)len, word,
				 DNSBL_WEIGHT_MAX);
			return -1;
		}
	}
	if (name_len > 0 && word[name_len - 1] == '.')
		name_len--;
	if (name_len == 0 || name_len > DNSBL_ZONE_MAX) {
		snprintf(error, errsize, "bad zone '%.*s'", (int)len, word);
		return -1;
	}
	struct dnsbl_zone *zone = &set->zones[set->zone_count];
	for (size_t i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)word[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
			snprintf(error, errsize, "bad zone '%.*s'", (int)len, word);
			return -1;
		}
		zone->name[i] = (char)tolower(c);
	}
	zone->name[name_len] = '\0';
	zone->weight = weight;
	set->zone_count++;
	return 0;
}

int dnsbl_zones_parse(struct dnsbl_settings *set, const char *list, char *error,
		      size_t errsize)
{
	set->zone_count = 0;
	const char *p = list;
	for (;;) {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (len == 0)
			return 0;
		if (dnsbl_zone_add(set, p, len, error, errsize) < 0)
			return -1;
		p += len;
	}
}

int dnsbl_query_name(const char *addr, const char *zone, char *out, size_t outsize)
{
	unsigned char ip[16];
	int n;
	if (inet_pton(AF_INET, addr, ip) == 1) {
		n = snprintf(out, outsize, "%u.%u.%u.%u.%s", ip[3], ip[2], ip[1], ip[0], zone);
	} else if (inet_pton(AF_INET6, addr, ip) == 1) {
		static const char hex[] = "0123456789abcdef";
		char nibbles[64];
		for (int i = 15, o = 0; i >= 0; i--) {
			nibbles[o++] = hex[ip[i] & 0xf];
			nibbles[o++] = '.';
			nibbles[o++] = hex[ip[i] >> 4];
			nibbles[o++] = '.';
		}
		n = snprintf(out, outsize, "%.*s%s", (int)sizeof(nibbles), nibbles, zone);
	} else {
		return -1;
	}
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

int dnsbl_create(struct event_base *base, const struct dnsbl_settings *set,
		 struct dnsbl **dnsbl_r, char *error, size_t errsize)
{
	*dnsbl_r = NULL;
	bool system = set->resolver[0] == '\0';
	struct evdns_base *dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE |
					       (system ? EVDNS_BASE_INITIALIZE_NAMESERVERS : 0));
	if (dns == NULL) {
		snprintf(error, errsize, "cannot set up the resolver (/etc/resolv.conf)");
		return -1;
	}
	if (!system && evdns_base_nameserver_ip_add(dns, set->resolver) != 0) {
		snprintf(error, errsize, "bad dnsbl_resolver '%s'", set->resolver);
		evdns_base_free(dns, 0);
		return -1;
	}
	/* two tries of half the time each: one lost datagram is no failure */
	char timeout[32];
	snprintf(timeout, sizeof(timeout), "%u.%03u", set->timeout_ms / 2000,
		 (set->timeout_ms / 2) % 1000);
	if (evdns_base_set_option(dns, "timeout:", timeout) != 0 ||
	    evdns_base_set_option(dns, "attempts:", "2") != 0 ||
	    evdns_base_set_option(dns, "randomize-case:", "0") != 0 ||
	    evdns_base_set_option(dns, "ndots:", "0") != 0) {
		snprintf(error, errsize, "cannot set the resolver's options");
		evdns_base_free(dns, 0);
		return -1;
	}
	struct dnsbl *dnsbl = xcalloc(1, sizeof(*dnsbl));
	dnsbl->dns = dns;
	dnsbl->set = set;
	*dnsbl_r = dnsbl;
	return 0;
}

static void dnsbl_lookup_finish(struct dnsbl_lookup *lookup)
{
	struct dnsbl *dnsbl = lookup->dnsbl;
	if (lookup->prev != NULL)
		lookup->prev->next = lookup->next;
	else if (dnsbl->lookups == lookup)
		dnsbl->lookups = lookup->next;
	if (lookup->next != NULL)
		lookup->next->prev = lookup->prev;
	unsigned threshold = dnsbl->set->threshold;
	lookup->result.listed = threshold > 0 && lookup->result.score >= threshold;
	lookup->fn(&lookup->result, lookup->context);
	free(lookup);
}

static void dnsbl_listed_by(struct dnsbl_lookup *lookup, const struct dnsbl_zone *zone)
{
	struct dnsbl_result *r = &lookup->result;
	r->score += zone->weight;
	size_t len = strlen(r->zones);
	snprintf(r->zones + len, sizeof(r->zones) - len, "%s%s", len > 0 ? "," : "", zone->name);
}

static void dnsbl_answer(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct dnsbl_query *query = arg;
	struct dnsbl_lookup *lookup = query->lookup;
	const struct dnsbl_zone *zone = &lookup->dnsbl->set->zones[query->zone];
	(void)ttl;
	if (query->done)
		return;
	query->done = true;
	if (result == DNS_ERR_NONE && type == DNS_IPv4_A && count > 0) {
		const unsigned char *a = addresses; /* network order */
		if (a[0] == 127 && !(a[1] == 255 && a[2] == 255)) {
			dnsbl_listed_by(lookup, zone);
		} else {
			lookup->result.errors++;
			log_warning(lookup->sid, DNSBL_PROTO, "dnsbl-error",
				    "zone=%s error=\"unexpected answer %u.%u.%u.%u\"", zone->name,
				    a[0], a[1], a[2], a[3]);
		}
	} else if (result != DNS_ERR_NONE && result != DNS_ERR_NOTEXIST &&
		   result != DNS_ERR_NODATA) {
		lookup->result.errors++;
		log_warning(lookup->sid, DNSBL_PROTO, "dnsbl-error",
			    "zone=%s error=\"%s\" listed=no", zone->name, evdns_err_to_string(result));
	}
	if (--lookup->pending == 0)
		dnsbl_lookup_finish(lookup);
}

void dnsbl_lookup(struct dnsbl *dnsbl, const char *addr, const char *sid, dnsbl_done_fn *fn,
		  void *context)
{
	struct dnsbl_lookup *lookup = xcalloc(1, sizeof(*lookup));
	lookup->dnsbl = dnsbl;
	lookup->fn = fn;
	lookup->context = context;
	snprintf(lookup->sid, sizeof(lookup->sid), "%s", sid != NULL ? sid : "-");
	lookup->next = dnsbl->lookups;
	if (lookup->next != NULL)
		lookup->next->prev = lookup;
	dnsbl->lookups = lookup;
	/* held until every query is sent, so an answer given at once cannot
	 * finish the lookup half way */
	lookup->pending = 1;
	for (size_t i = 0; i < dnsbl->set->zone_count; i++) {
		struct dnsbl_query *query = &lookup->queries[i];
		query->lookup = lookup;
		query->zone = (unsigned)i;
		char name[DNSBL_QUERY_MAX + 1];
		if (dnsbl_query_name(addr, dnsbl->set->zones[i].name, name, sizeof(name)) < 0) {
			query->done = true;
			continue; /* not an IP address: nothing to ask */
		}
		lookup->pending++;
		if (evdns_base_resolve_ipv4(dnsbl->dns, name, DNS_QUERY_NO_SEARCH, dnsbl_answer,
					    query) == NULL && !query->done) {
			query->done = true;
			lookup->pending--;
			lookup->result.errors++;
			log_warning(lookup->sid, DNSBL_PROTO, "dnsbl-error",
				    "zone=%s error=\"cannot send the query\" listed=no",
				    dnsbl->set->zones[i].name);
		}
	}
	if (--lookup->pending == 0)
		dnsbl_lookup_finish(lookup);
}

void dnsbl_free(struct dnsbl **dnsblp)
{
	struct dnsbl *dnsbl = *dnsblp;
	if (dnsbl == NULL)
		return;
	*dnsblp = NULL;
	/* requests dropped without their callbacks: finished here instead */
	evdns_base_free(dnsbl->dns, 0);
	while (dnsbl->lookups != NULL) {
		struct dnsbl_lookup *lookup = dnsbl->lookups;
		for (size_t i = 0; i < dnsbl->set->zone_count; i++)
			if (!lookup->queries[i].done)
				lookup->result.errors++;
		dnsbl_lookup_finish(lookup);
	}
	free(dnsbl);
}
