/* sieve-address.c - addresses for the address, envelope and vacation
 * tests: header values parsed with GMime (internet_address_list_parse,
 * groups flattened to their members), the address parts :all :localpart
 * :domain and, with subaddress (RFC 5233, separator '+'), :user :detail.
 * Never fails on bad input: an unparsable value yields no address, a
 * missing part yields NULL (":detail" of an address without '+').
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_list(InternetAddressList *list, char ***addrs, size_t *count, size_t *cap,
		     unsigned depth)
{
	int n = internet_address_list_length(list);
	for (int i = 0; i < n && *count < SIEVE_LIST_MAX; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members =
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
			if (members != NULL && depth < 4)
				add_list(members, addrs, count, cap, depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			if (a != NULL && a[0] != '\0')
				*XARRAY_PUSH(*addrs, *count, *cap) = xstrdup(a);
		}
	}
}

void sieve_address_parse_list(const char *value, char ***addrs, size_t *count, size_t *cap)
{
	InternetAddressList *list = internet_address_list_parse(NULL, value);
	if (list == NULL)
		return;
	add_list(list, addrs, count, cap, 0);
	g_object_unref(list);
}

char *sieve_address_part(const char *address, enum sieve_addr_part part)
{
	const char *at = strrchr(address, '@');
	size_t local_len = at != NULL ? (size_t)(at - address) : strlen(address);
	switch (part) {
	case SIEVE_PART_ALL:
		return xstrdup(address);
	case SIEVE_PART_LOCALPART:
		return xstrndup(address, local_len);
	case SIEVE_PART_DOMAIN:
		return at != NULL ? xstrdup(at + 1) : NULL;
	case SIEVE_PART_USER:
	case SIEVE_PART_DETAIL: {
		const char *plus = memchr(address, '+', local_len);
		if (part == SIEVE_PART_USER)
			return xstrndup(address, plus != NULL ? (size_t)(plus - address) : local_len);
		if (plus == NULL)
			return NULL;
		return xstrndup(plus + 1, local_len - (size_t)(plus + 1 - address));
	}
	}
	return NULL;
}

bool sieve_address_equal(const char *a, const char *b)
{
	char *ua = sieve_address_part(a, SIEVE_PART_USER);
	char *ub = sieve_address_part(b, SIEVE_PART_USER);
	const char *da = strrchr(a, '@'), *db = strrchr(b, '@');
	bool eq = strcasecmp(ua, ub) == 0 &&
		  strcasecmp(da != NULL ? da : "", db != NULL ? db : "") == 0;
	free(ua);
	free(ub);
	return eq;
}

bool sieve_address_valid(const char *address)
{
	const char *at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' || strlen(address) > 320)
		return false;
	for (const char *p = address; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("<>\"(),;:[]\\", *p) != NULL)
			return false;
	return true;
}
