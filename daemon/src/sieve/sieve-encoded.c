/* sieve-encoded.c - the encoded-character extension (RFC 5228 2.4.2.4):
 * "${hex:48 69}" and "${unicode:1F600}" inside strings become the octets or
 * UTF-8 characters they name. Applied once at compile time to every string
 * after the requires, when "encoded-character" was required.
 * A sequence that is not well-formed (bad digits, a surrogate, a code
 * point past U+10FFFF, a NUL) is left as written, never half-decoded.
 */
#include "sieve-private.h"
#include "buf.h"
#include "hex.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>


static void put_utf8(struct buf *out, unsigned long cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(out, u, n);
}

/* One "${...}" at s (s[0] == '$'): its length and the decoded bytes in out,
 * or 0 when it is not a well-formed sequence (out untouched). */
static size_t decode_one(const char *s, struct buf *out)
{
	bool unicode;
	const char *p;
	if (strncasecmp(s, "${hex:", 6) == 0) {
		unicode = false;
		p = s + 6;
	} else if (strncasecmp(s, "${unicode:", 10) == 0) {
		unicode = true;
		p = s + 10;
	} else {
		return 0;
	}
	struct buf tmp;
	buf_init(&tmp);
	size_t items = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '}')
			break;
		unsigned long v = 0;
		size_t digits = 0;
		while (hex_digit_value((unsigned char)*p) >= 0 && digits < 9) {
			v = v * 16 + (unsigned long)hex_digit_value((unsigned char)*p++);
			digits++;
		}
		bool bad = digits == 0 || (*p != '}' && *p != ' ' && *p != '\t' && *p != '\r' &&
					   *p != '\n');
		if (!unicode)
			bad = bad || digits != 2 || v == 0;
		else
			bad = bad || digits > 8 || v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff);
		if (bad) {
			buf_free(&tmp);
			return 0;
		}
		if (unicode)
			put_utf8(&tmp, v);
		else
			buf_append_byte(&tmp, (unsigned char)v);
		items++;
	}
	buf_append(out, tmp.data, tmp.len);
	buf_free(&tmp);
	(void)items; /* "${hex:}" is well-formed and stands for nothing */
	return (size_t)(p + 1 - s);
}

void sieve_encoded_decode(char **s)
{
	if (strchr(*s, '$') == NULL)
		return;
	struct buf out;
	buf_init(&out);
	const char *p = *s;
	while (*p != '\0') {
		size_t used = *p == '$' ? decode_one(p, &out) : 0;
		if (used > 0) {
			p += used;
		} else {
			buf_append_byte(&out, (unsigned char)*p);
			p++;
		}
	}
	free(*s);
	*s = buf_steal(&out, NULL);
}

void sieve_encoded_decode_node(struct sieve_node *n)
{
	for (size_t i = 0; i < n->arg_count; i++)
		for (size_t k = 0; k < n->args[i].list.count; k++)
			sieve_encoded_decode(&n->args[i].list.s[k]);
	for (size_t i = 0; i < n->test_count; i++)
		sieve_encoded_decode_node(&n->tests[i]);
	for (size_t i = 0; i < n->block_count; i++)
		sieve_encoded_decode_node(&n->block[i]);
}
