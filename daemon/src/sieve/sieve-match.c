/* sieve-match.c - match types and comparators: :is :contains :matches
 * (* ? and \ escapes) :regex, relational :count and :value (gt ge lt le eq
 * ne), under i;octet, i;ascii-casemap (the default) and i;ascii-numeric
 * (RFC 4790: the leading digits are the number; a string that does not
 * start with a digit is positive infinity).
 * Never backtracks exponentially: :matches keeps one backtrack point
 * (O(pattern x value)); :contains uses memmem; :regex sees at most
 * SIEVE_REGEX_INPUT_MAX bytes of a value.
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* i;ascii-casemap orders as i;octet after mapping a-z to A-Z (RFC 4790) */
static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char *lower_dup(const char *s)
{
	char *out = xstrdup(s);
	for (char *p = out; *p != '\0'; p++)
		*p = lower(*p);
	return out;
}

/* Past one UTF-8 character (one byte when not well-formed). */
static const char *utf8_next(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return s + 1;
	return s + n;
}

bool sieve_match_glob(const char *pattern, const char *value, bool casemap)
{
	const char *p = pattern, *s = value;
	const char *star_p = NULL, *star_s = NULL;
	while (*s != '\0') {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s = utf8_next(s);
			continue;
		}
		if (*p != '\0') {
			const char *lit = p;
			if (*lit == '\\' && lit[1] != '\0')
				lit++;
			if (*lit == *s || (casemap && lower(*lit) == lower(*s))) {
				p = lit + 1;
				s++;
				continue;
			}
		}
		if (star_p == NULL)
			return false;
		/* let the last star take one more character and retry */
		star_s = utf8_next(star_s);
		s = star_s;
		p = star_p;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* i;ascii-numeric value: the leading digits, or "infinity" (-1). */
static int numeric_parse(const char *s, unsigned long long *n_r)
{
	if (*s < '0' || *s > '9')
		return -1;
	while (*s == '0' && s[1] >= '0' && s[1] <= '9')
		s++;
	size_t digits = 0;
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits > 19) /* compare longer numbers by their digits */
		return 1;
	unsigned long long n = 0;
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (unsigned long long)(s[i] - '0');
	*n_r = n;
	return 0;
}

int sieve_numeric_compare(const char *a, const char *b)
{
	unsigned long long na = 0, nb = 0;
	int ra = numeric_parse(a, &na), rb = numeric_parse(b, &nb);
	if (ra < 0 || rb < 0)
		return (ra < 0) - (rb < 0); /* infinity equals infinity, beats any number */
	if (ra == 0 && rb == 0)
		return na < nb ? -1 : na > nb ? 1 : 0;
	/* at least one has more than 19 digits: longer digit runs are larger */
	while (*a == '0' && a[1] >= '0' && a[1] <= '9')
		a++;
	while (*b == '0' && b[1] >= '0' && b[1] <= '9')
		b++;
	size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = strncmp(a, b, la);
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* Order of value and key under the comparator. */
static int compare(enum sieve_comparator cmp, const char *value, const char *key)
{
	if (cmp == SIEVE_CMP_NUMERIC)
		return sieve_numeric_compare(value, key);
	if (cmp == SIEVE_CMP_OCTET) {
		int c = strcmp(value, key);
		return c < 0 ? -1 : c > 0 ? 1 : 0;
	}
	for (;; value++, key++) {
		unsigned char a = (unsigned char)upper(*value), b = (unsigned char)upper(*key);
		if (a != b)
			return a < b ? -1 : 1;
		if (a == '\0')
			return 0;
	}
}

static bool relation_holds(enum sieve_relation rel, int c)
{
	switch (rel) {
	case SIEVE_REL_GT: return c > 0;
	case SIEVE_REL_GE: return c >= 0;
	case SIEVE_REL_LT: return c < 0;
	case SIEVE_REL_LE: return c <= 0;
	case SIEVE_REL_EQ: return c == 0;
	case SIEVE_REL_NE: return c != 0;
	}
	return false;
}

static bool regex_match(const regex_t *re, const char *value)
{
	size_t len = strlen(value);
	if (len <= SIEVE_REGEX_INPUT_MAX)
		return regexec(re, value, 0, NULL, 0) == 0;
	char *cut = xstrndup(value, SIEVE_REGEX_INPUT_MAX);
	bool m = regexec(re, cut, 0, NULL, 0) == 0;
	free(cut);
	return m;
}

static bool match_one(const struct sieve_opts *opt, const char *value, size_t key_index,
		      const char *key)
{
	switch (opt->match) {
	case SIEVE_MATCH_IS:
		return compare(opt->cmp, value, key) == 0;
	case SIEVE_MATCH_CONTAINS: /* i;octet only: casemap is contains_casemap() */
		return strstr(value, key) != NULL;
	case SIEVE_MATCH_MATCHES:
		return sieve_match_glob(key, value, opt->cmp != SIEVE_CMP_OCTET);
	case SIEVE_MATCH_REGEX:
		return key_index < opt->regex_count && regex_match(&opt->regex[key_index], value);
	case SIEVE_MATCH_VALUE:
		return relation_holds(opt->rel, compare(opt->cmp, value, key));
	case SIEVE_MATCH_COUNT:
		break; /* handled over all values */
	}
	return false;
}

uint64_t sieve_match_cost(const char *const *values, size_t n, const struct sieve_strlist *keys)
{
	uint64_t bytes = 0, key_bytes = 0;
	for (size_t v = 0; v < n; v++)
		bytes += strlen(values[v]) + 1;
	for (size_t k = 0; k < keys->count; k++)
		key_bytes += strlen(keys->s[k]) + 1;
	/* every value against every key; a long key costs like a long value */
	return bytes * keys->count + key_bytes * n;
}

/* :contains under i;ascii-casemap: each value and key folded once. */
static bool contains_casemap(const char *const *values, size_t n, const struct sieve_strlist *keys)
{
	char **folded = xcalloc(keys->count + 1, sizeof(*folded));
	for (size_t k = 0; k < keys->count; k++)
		folded[k] = lower_dup(keys->s[k]);
	bool found = false;
	for (size_t v = 0; v < n && !found; v++) {
		char *value = lower_dup(values[v]);
		size_t len = strlen(value);
		for (size_t k = 0; k < keys->count && !found; k++)
			found = memmem(value, len, folded[k], strlen(folded[k])) != NULL;
		free(value);
	}
	for (size_t k = 0; k < keys->count; k++)
		free(folded[k]);
	free(folded);
	return found;
}

bool sieve_match_values(const struct sieve_opts *opt, const char *const *values, size_t n,
			const struct sieve_strlist *keys)
{
	if (opt->match == SIEVE_MATCH_COUNT) {
		char count[32];
		snprintf(count, sizeof(count), "%zu", n);
		for (size_t k = 0; k < keys->count; k++)
			if (relation_holds(opt->rel, compare(opt->cmp, count, keys->s[k])))
				return true;
		return false;
	}
	if (opt->match == SIEVE_MATCH_CONTAINS && opt->cmp != SIEVE_CMP_OCTET)
		return contains_casemap(values, n, keys);
	for (size_t v = 0; v < n; v++)
		for (size_t k = 0; k < keys->count; k++)
			if (match_one(opt, values[v], k, keys->s[k]))
				return true;
	return false;
}
