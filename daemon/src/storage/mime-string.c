/* mime-string.c - text clean-up and IMAP string syntax for the cached
 * ENVELOPE / BODYSTRUCTURE strings and header field values.
 *
 * What comes out is always valid UTF-8 without NUL bytes (PostgreSQL TEXT
 * needs that): invalid sequences and NULs become '?'. An IMAP string is
 * written quoted ("...", with \ and " escaped) when it is plain 7-bit text
 * without CR/LF and at most MIME_QUOTED_MAX bytes, else as a literal
 * {n}\r\n<n bytes> (RFC 3501 section 4.3). Never decodes RFC 2047 words.
 */
#include "mime-private.h"


/* Length of the valid UTF-8 sequence at p (at least one byte >= 0x80), or 0. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	}
	return n;
}

void mime_append_clean(struct buf *out, const unsigned char *data, size_t len, bool unfold)
{
	if (len == 0)
		return;
	buf_reserve(out, len);
	size_t run = 0; /* start of bytes not yet appended */
	size_t i = 0;
	while (i < len) {
		unsigned char c = data[i];
		if (c >= 0x01 && c < 0x80 && c != '\r' && c != '\n') {
			i++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			size_t nl = 0;
			if (unfold && c == '\n')
				nl = 1;
			else if (unfold && i + 1 < len && data[i + 1] == '\n')
				nl = 2;
			if (nl == 0) {
				i++;
				continue;
			}
			buf_append(out, data + run, i - run);
			i += nl;
			run = i;
			continue;
		}
		size_t n = c == 0 ? 0 : utf8_seq_len(data + i, len - i);
		if (n > 0) {
			i += n;
			continue;
		}
		buf_append(out, data + run, i - run);
		buf_append_byte(out, '?');
		i++;
		run = i;
	}
	buf_append(out, data + run, len - run);
}

static bool quotable(const unsigned char *data, size_t len)
{
	if (len > MIME_QUOTED_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == 0 || data[i] >= 0x80 || data[i] == '\r' || data[i] == '\n')
			return false;
	}
	return true;
}

void mime_imap_string(struct buf *out, const unsigned char *data, size_t len)
{
	if (len == 0) {
		buf_append_str(out, "\"\"");
		return;
	}
	if (quotable(data, len)) {
		buf_reserve(out, len + 2);
		buf_append_byte(out, '"');
		size_t run = 0;
		for (size_t i = 0; i < len; i++) {
			if (data[i] == '"' || data[i] == '\\') {
				buf_append(out, data + run, i - run);
				buf_append_byte(out, '\\');
				run = i;
			}
		}
		buf_append(out, data + run, len - run);
		buf_append_byte(out, '"');
		return;
	}
	struct buf clean;
	buf_init(&clean);
	mime_append_clean(&clean, data, len, false);
	buf_printf(out, "{%zu}\r\n", clean.len);
	buf_append(out, clean.data, clean.len);
	buf_free(&clean);
}

void mime_imap_nstring(struct buf *out, const unsigned char *data, size_t len, bool present)
{
	if (!present)
		buf_append_str(out, "NIL");
	else
		mime_imap_string(out, data, len);
}

void mime_imap_field(struct buf *out, const unsigned char *data, const struct mime_slice *s)
{
	if (!s->present) {
		buf_append_str(out, "NIL");
		return;
	}
	struct buf v;
	buf_init(&v);
	mime_append_clean(&v, data + s->start, s->end - s->start, true);
	size_t start = 0, end = v.len;
	while (start < end && (v.data[start] == ' ' || v.data[start] == '\t'))
		start++;
	while (end > start && (v.data[end - 1] == ' ' || v.data[end - 1] == '\t'))
		end--;
	mime_imap_string(out, v.data == NULL ? (const unsigned char *)"" : v.data + start,
			 end - start);
	buf_free(&v);
}
