/* greylist.c - greylisting's decisions outside the database (greylist.h):
 * modes, static whitelists, the client network and the normalized sender.
 *
 * Pure functions of their input; never does I/O, never allocates.
 */
#include "greylist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const char *const greylist_mode_names[] = {
	[GREYLIST_MODE_DNSBL] = "dnsbl",
	[GREYLIST_MODE_ALL] = "all",
	[GREYLIST_MODE_NONE] = "none",
};

int greylist_mode_parse(const char *text, enum greylist_mode *mode_r)
{
	for (size_t i = 0; i < sizeof(greylist_mode_names) / sizeof(greylist_mode_names[0]); i++) {
		if (strcmp(text, greylist_mode_names[i]) == 0) {
			*mode_r = (enum greylist_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *greylist_mode_name(enum greylist_mode mode)
{
	return greylist_mode_names[mode];
}

/* Zero every bit of addr (len bytes) past prefix. */
static void greylist_mask(unsigned char *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		unsigned bits = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;
		addr[i] &= (unsigned char)(0xff00u >> bits);
	}
}

/* Parse an IP address; a v4-mapped IPv6 one becomes IPv4. */
static int greylist_parse_ip(const char *text, int *family_r, unsigned char addr_r[16])
{
	memset(addr_r, 0, 16);
	if (inet_pton(AF_INET, text, addr_r) == 1) {
		*family_r = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr_r) != 1)
		return -1;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(addr_r, mapped, sizeof(mapped)) == 0) {
		memmove(addr_r, addr_r + 12, 4);
		memset(addr_r + 4, 0, 12);
		*family_r = AF_INET;
		return 0;
	}
	*family_r = AF_INET6;
	return 0;
}

/* Call fn for each comma- or blank-separated word of list. */
typedef int greylist_word_fn(struct greylist_settings *set, const char *word, char *error,
			     size_t errsize);
static int greylist_words(struct greylist_settings *set, const char *list, greylist_word_fn *fn,
			  char *error, size_t errsize)
{
	const char *p = list;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (len == 0)
			break;
		char word[GREYLIST_DOMAIN_MAX + 2];
		if (len >= sizeof(word)) {
			snprintf(error, errsize, "entry too long: %.40s...", p);
			return -1;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		if (fn(set, word, error, errsize) < 0)
			return -1;
		p += len;
	}
	return 0;
}

static int greylist_network_add(struct greylist_settings *set, const char *word, char *error,
				size_t errsize)
{
	if (set->net_count >= GREYLIST_WHITELIST_MAX) {
		snprintf(error, errsize, "more than %d networks", GREYLIST_WHITELIST_MAX);
		return -1;
	}
	char ip[GREYLIST_NET_TEXT_MAX];
	const char *slash = strchr(word, '/');
	size_t ip_len = slash != NULL ? (size_t)(slash - word) : strlen(word);
	if (ip_len >= sizeof(ip)) {
		snprintf(error, errsize, "bad network '%s'", word);
		return -1;
	}
	memcpy(ip, word, ip_len);
	ip[ip_len] = '\0';
	struct greylist_net *net = &set->nets[set->net_count];
	if (greylist_parse_ip(ip, &net->family, net->addr) < 0) {
		snprintf(error, errsize, "bad network '%s'", word);
		return -1;
	}
	unsigned max = net->family == AF_INET ? 32 : 128;
	net->prefix = max;
	if (slash != NULL) {
		char *end;
		unsigned long prefix = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || prefix > max) {
			snprintf(error, errsize, "bad prefix length in '%s'", word);
			return -1;
		}
		net->prefix = (unsigned)prefix;
	}
	greylist_mask(net->addr, 16, net->prefix);
	set->net_count++;
	return 0;
}

int greylist_networks_parse(struct greylist_settings *set, const char *list, char *error,
			    size_t errsize)
{
	set->net_count = 0;
	return greylist_words(set, list, greylist_network_add, error, errsize);
}

static int greylist_domain_add(struct greylist_settings *set, const char *word, char *error,
			       size_t errsize)
{
	if (set->domain_count >= GREYLIST_WHITELIST_MAX) {
		snprintf(error, errsize, "more than %d domains", GREYLIST_WHITELIST_MAX);
		return -1;
	}
	if (*word == '.' || *word == '@')
		word++;
	size_t len = strlen(word);
	if (len == 0 || len > GREYLIST_DOMAIN_MAX || strchr(word, '@') != NULL) {
		snprintf(error, errsize, "bad domain '%s'", word);
		return -1;
	}
	char *out = set->domains[set->domain_count++];
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)word[i]);
	return 0;
}

int greylist_domains_parse(struct greylist_settings *set, const char *list, char *error,
			   size_t errsize)
{
	set->domain_count = 0;
	return greylist_words(set, list, greylist_domain_add, error, errsize);
}

int greylist_client_network(const char *addr, unsigned ipv4_prefix, unsigned ipv6_prefix,
			    char *out, size_t outsize)
{
	int family;
	unsigned char ip[16];
	if (greylist_parse_ip(addr, &family, ip) < 0)
		return -1;
	unsigned prefix = family == AF_INET ? (ipv4_prefix > 32 ? 32 : ipv4_prefix)
					    : (ipv6_prefix > 128 ? 128 : ipv6_prefix);
	greylist_mask(ip, 16, prefix);
	char text[INET6_ADDRSTRLEN];
	if (inet_ntop(family, ip, text, sizeof(text)) == NULL)
		return -1;
	int n = snprintf(out, outsize, "%s/%u", text, prefix);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

static bool greylist_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void greylist_sender_normalize(const char *sender, char *out, size_t outsize)
{
	if (outsize == 0)
		return;
	out[0] = '\0';
	const char *at = strrchr(sender, '@');
	const char *local = sender;
	size_t local_len = at != NULL ? (size_t)(at - sender) : strlen(sender);
	const char *domain = at != NULL ? at + 1 : NULL;

	/* BATV: prvs=TAG=user (RFC draft), msprvs1=TAG=user; old prvs=user/TAG */
	if (greylist_prefix_ci(local, "prvs=") || greylist_prefix_ci(local, "msprvs1=")) {
		const char *rest = strchr(local, '=') + 1;
		const char *eq = memchr(rest, '=', local_len - (size_t)(rest - local));
		if (eq != NULL) {
			local_len -= (size_t)(eq + 1 - local);
			local = eq + 1;
		} else {
			const char *slash = memchr(rest, '/', local_len - (size_t)(rest - local));
			local_len = (size_t)((slash != NULL ? slash : local + local_len) - rest);
			local = rest;
		}
	} else if (greylist_prefix_ci(local, "srs0=") || greylist_prefix_ci(local, "srs1=")) {
		/* SRS: the hash and timestamp change; the forwarder stays */
		local = "srs";
		local_len = 3;
	}
	const char *plus = memchr(local, '+', local_len);
	if (plus != NULL && plus != local)
		local_len = (size_t)(plus - local);

	size_t o = 0;
	bool in_digits = false;
	for (size_t i = 0; i < local_len && o + 1 < outsize; i++) {
		unsigned char c = (unsigned char)local[i];
		if (isdigit(c)) {
			if (!in_digits)
				out[o++] = '#';
			in_digits = true;
			continue;
		}
		in_digits = false;
		out[o++] = (char)tolower(c);
	}
	if (domain != NULL && o + 1 < outsize)
		out[o++] = '@';
	for (const char *d = domain; d != NULL && *d != '\0' && o + 1 < outsize; d++)
		out[o++] = (char)tolower((unsigned char)*d);
	out[o] = '\0';
}

bool greylist_network_whitelisted(const struct greylist_settings *set, const char *addr)
{
	int family;
	unsigned char ip[16];
	if (set->net_count == 0 || greylist_parse_ip(addr, &family, ip) < 0)
		return false;
	for (size_t i = 0; i < set->net_count; i++) {
		const struct greylist_net *net = &set->nets[i];
		if (net->family != family)
			continue;
		unsigned char masked[16];
		memcpy(masked, ip, sizeof(masked));
		greylist_mask(masked, sizeof(masked), net->prefix);
		if (memcmp(masked, net->addr, sizeof(masked)) == 0)
			return true;
	}
	return false;
}

bool greylist_domain_whitelisted(const struct greylist_settings *set, const char *sender)
{
	const char *at = strrchr(sender, '@');
	if (at == NULL || at[1] == '\0')
		return false;
	const char *domain = at + 1;
	size_t len = strlen(domain);
	for (size_t i = 0; i < set->domain_count; i++) {
		const char *w = set->domains[i];
		size_t wlen = strlen(w);
		if (len == wlen && strcasecmp(domain, w) == 0)
			return true;
		if (len > wlen && domain[len - wlen - 1] == '.' &&
		    strcasecmp(domain + len - wlen, w) == 0)
			return true;
	}
	return false;
}

struct storage_greylist_params greylist_params(const struct greylist_settings *set, int64_t now)
{
	return (struct storage_greylist_params){
		.now = now,
		.delay = set->delay,
		.retry_window = set->retry_window,
		.autowhitelist_count = set->autowhitelist_count,
		.autowhitelist_days = set->autowhitelist_days,
	};
}
