/* imap-utf7.c - modified UTF-7 mailbox names (see imap-utf7.h).
 * Pure code: never does I/O; refuses malformed or non-canonical input
 * rather than guessing.
 */
#include "imap-utf7.h"

#include <stdint.h>
#include <string.h>

static const char imap_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int imap_b64_value(unsigned char c)
{
	const char *p = c != '\0' ? strchr(imap_b64, c) : NULL;
	return p != NULL ? (int)(p - imap_b64) : -1;
}

static void imap_utf8_put(struct buf *out, uint32_t cp)
{
	if (cp < 0x80) {
		buf_append_byte(out, (unsigned char)cp);
	} else if (cp < 0x800) {
		buf_append_byte(out, (unsigned char)(0xc0 | (cp >> 6)));
		buf_append_byte(out, (unsigned char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_append_byte(out, (unsigned char)(0xe0 | (cp >> 12)));
		buf_append_byte(out, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_append_byte(out, (unsigned char)(0x80 | (cp & 0x3f)));
	} else {
		buf_append_byte(out, (unsigned char)(0xf0 | (cp >> 18)));
		buf_append_byte(out, (unsigned char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_append_byte(out, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_append_byte(out, (unsigned char)(0x80 | (cp & 0x3f)));
	}
}

int imap_utf7_to_utf8(const char *in, size_t len, struct buf *out, const char **error_r)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c > 0x7e) {
			*error_r = "8-bit or control character in a mailbox name";
			return -1;
		}
		if (c != '&') {
			buf_append_byte(out, c);
			i++;
			continue;
		}
		i++;
		if (i < len && in[i] == '-') {
			buf_append_byte(out, '&');
			i++;
			continue;
		}
		uint32_t bits = 0, nbits = 0, high = 0;
		size_t units = 0;
		for (;;) {
			if (i >= len) {
				*error_r = "unterminated &...- in a mailbox name";
				return -1;
			}
			if (in[i] == '-') {
				i++;
				break;
			}
			int v = imap_b64_value((unsigned char)in[i++]);
			if (v < 0) {
				*error_r = "bad base64 in a mailbox name";
				return -1;
			}
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			uint32_t unit = (bits >> nbits) & 0xffff;
			bits &= (1u << nbits) - 1;
			units++;
			if (high != 0) {
				if (unit < 0xdc00 || unit > 0xdfff) {
					*error_r = "bad surrogate pair in a mailbox name";
					return -1;
				}
				imap_utf8_put(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
				high = 0;
			} else if (unit >= 0xd800 && unit <= 0xdbff) {
				high = unit;
			} else if (unit >= 0xdc00 && unit <= 0xdfff) {
				*error_r = "bad surrogate pair in a mailbox name";
				return -1;
			} else if (unit >= 0x20 && unit <= 0x7e) {
				*error_r = "printable ASCII encoded in a mailbox name";
				return -1;
			} else {
				imap_utf8_put(out, unit);
			}
		}
		if (units == 0 || high != 0 || nbits >= 6 || bits != 0) {
			*error_r = "bad &...- sequence in a mailbox name";
			return -1;
		}
		if (i + 1 < len && in[i] == '&' && in[i + 1] != '-') {
			/* two shifts in a row: one would do (not canonical) */
			*error_r = "adjacent &...- sequences in a mailbox name";
			return -1;
		}
	}
	return 0;
}

/* Next code point of UTF-8 text; -1 for malformed input. */
static int imap_utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp_r)
{
	unsigned char c = s[*i];
	size_t n;
	uint32_t cp, min;
	if (c < 0x80) {
		*cp_r = c;
		(*i)++;
		return 0;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1; cp = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2; cp = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3; cp = c & 0x07; min = 0x10000;
	} else {
		return -1;
	}
	if (*i + n >= len)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	*cp_r = cp;
	return 0;
}

int imap_utf8_to_utf7(const char *in, size_t len, struct buf *out, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	while (i < len) {
		if (s[i] >= 0x20 && s[i] <= 0x7e) {
			if (s[i] == '&')
				buf_append_str(out, "&-");
			else
				buf_append_byte(out, s[i]);
			i++;
			continue;
		}
		/* a run of characters outside printable ASCII */
		buf_append_byte(out, '&');
		uint32_t bits = 0, nbits = 0;
		while (i < len && !(s[i] >= 0x20 && s[i] <= 0x7e)) {
			uint32_t cp;
			if (imap_utf8_next(s, len, &i, &cp) < 0) {
				*error_r = "mailbox name is not valid UTF-8";
				return -1;
			}
			uint32_t units[2];
			size_t nunits = 1;
			if (cp >= 0x10000) {
				units[0] = 0xd800 + ((cp - 0x10000) >> 10);
				units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
				nunits = 2;
			} else {
				units[0] = cp;
			}
			for (size_t k = 0; k < nunits; k++) {
				bits = (bits << 16) | units[k];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					buf_append_byte(out, (unsigned char)imap_b64[(bits >> nbits) & 0x3f]);
				}
				bits &= (1u << nbits) - 1;
			}
		}
		if (nbits > 0)
			buf_append_byte(out, (unsigned char)imap_b64[(bits << (6 - nbits)) & 0x3f]);
		buf_append_byte(out, '-');
	}
	return 0;
}
