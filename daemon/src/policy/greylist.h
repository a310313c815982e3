/* greylist.h - what greylisting decides before and around the database:
 * the mode, the static whitelists (client networks, sender domains), and
 * the key of an attempt (client network, normalized sender). The memory of
 * attempts is storage_greylist_check() (storage-greylist.c).
 */
#ifndef TANDEM_POLICY_GREYLIST_H
#define TANDEM_POLICY_GREYLIST_H

#include "storage.h"

#include <stdbool.h>
#include <stddef.h>

/* Most entries in greylist_whitelist_networks / greylist_whitelist_domains. */
#define GREYLIST_WHITELIST_MAX 256
#define GREYLIST_DOMAIN_MAX 253
/* "ffff:ffff:...:ffff/128" */
#define GREYLIST_NET_TEXT_MAX 64
/* A normalized sender: an address (local part, '@', domain) at most. */
#define GREYLIST_SENDER_MAX (64 + 1 + 253)

enum greylist_mode {
	GREYLIST_MODE_DNSBL, /* only clients listed on the DNSBLs */
	GREYLIST_MODE_ALL,
	GREYLIST_MODE_NONE,
};

struct greylist_net {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* masked to prefix */
	unsigned prefix;
};

struct greylist_settings {
	enum greylist_mode mode;
	unsigned delay, retry_window, autowhitelist_count, autowhitelist_days;
	unsigned ipv4_prefix, ipv6_prefix;
	struct greylist_net nets[GREYLIST_WHITELIST_MAX];
	size_t net_count;
	char domains[GREYLIST_WHITELIST_MAX][GREYLIST_DOMAIN_MAX + 1];
	size_t domain_count;
};

/* "dnsbl", "all", "none". */
int greylist_mode_parse(const char *text, enum greylist_mode *mode_r);
const char *greylist_mode_name(enum greylist_mode mode);
/* Parse a comma- or blank-separated list of CIDR networks (a bare address
 * is a /32 or /128) into set->nets. -1 with a message in error. */
int greylist_networks_parse(struct greylist_settings *set, const char *list, char *error,
			    size_t errsize);
/* The same for sender domains (lower-cased, a leading '.' or '@' dropped). */
int greylist_domains_parse(struct greylist_settings *set, const char *list, char *error,
			   size_t errsize);

/* The client's network as text ("192.0.2.0/24", "2001:db8::/64"): addr
 * masked to ipv4_prefix / ipv6_prefix (a v4-mapped IPv6 address counts as
 * IPv4). -1 when addr is not an IP address. */
int greylist_client_network(const char *addr, unsigned ipv4_prefix, unsigned ipv6_prefix,
			    char *out, size_t outsize);
/* The sender as greylisting keys it: lower case, "+detail" removed, BATV
 * (prvs=TAG=user) and SRS (SRS0=...) tags reduced, each run of digits in
 * the local part made '#' (per-message VERP senders of mailing lists then
 * give one key). "" stays "" (the null sender). Truncated to outsize. */
void greylist_sender_normalize(const char *sender, char *out, size_t outsize);

/* addr is in a whitelisted network. */
bool greylist_network_whitelisted(const struct greylist_settings *set, const char *addr);
/* The sender's domain is a whitelisted domain or under one. */
bool greylist_domain_whitelisted(const struct greylist_settings *set, const char *sender);
/* The storage's view of the settings at time now (unix seconds). */
struct storage_greylist_params greylist_params(const struct greylist_settings *set, int64_t now);

#endif
