/* policy.h - the Postfix policy delegation service (check_policy_service in
 * smtpd_recipient_restrictions): greylisting with DNSBL lookups, answered
 * per RCPT TO with `action=DUNNO` or `action=DEFER_IF_PERMIT 4.7.1 ...`.
 *
 * Which clients are greylisted is greylist_mode: those listed on the
 * DNSBLs (dnsbl), all, or none; authenticated submission (sasl_username
 * set), whitelisted networks and sender domains never are. The greylist's
 * state is in tandemd's database (storage_greylist_check), so every node on
 * that database sees it. Trouble (database, a malformed request) defers;
 * nothing here ever answers REJECT.
 */
#ifndef TANDEM_POLICY_H
#define TANDEM_POLICY_H

struct net_service;
struct policy_service;

struct policy_settings {
	const char *greylist_mode;        /* dnsbl, all, none */
	unsigned greylist_delay;          /* seconds */
	unsigned greylist_retry_window;   /* seconds */
	unsigned greylist_autowhitelist_count;
	unsigned greylist_autowhitelist_days;
	unsigned greylist_ipv4_prefix, greylist_ipv6_prefix;
	const char *greylist_whitelist_networks;
	const char *greylist_whitelist_domains;
	const char *dnsbl_zones;          /* "zone*weight ..." */
	unsigned dnsbl_threshold;
	const char *dnsbl_resolver;       /* "" = /etc/resolv.conf */
	unsigned dnsbl_timeout_ms;
};

/* Check and take the settings. -1 with an allocated *error_r naming the
 * key at fault ("greylist_mode: ..."). */
int policy_service_create(const struct policy_settings *set, struct policy_service **service_r,
			  char **error_r);
const struct net_service *policy_service_net(struct policy_service *service);
/* After the workers stopped, before their event bases go: abandon the DNS
 * lookups still in flight and free the resolvers. */
void policy_service_stop(struct policy_service *service);
void policy_service_free(struct policy_service **service);

#endif
