/* mime-check.c - verify a parsed message against the promises of mime.h:
 * segments that are the input byte for byte, part hashes that match, and
 * cached strings that are valid UTF-8 and follow the RFC 3501 grammar of
 * ENVELOPE, BODYSTRUCTURE and BODY.
 *
 * For the unit tests, the fuzz target and integrity checks. Read-only: it
 * never changes the message, and never trusts the strings it reads (every
 * read is bounded, recursion is limited).
 */
#include "mime-private.h"

#include <openssl/evp.h>
#include <string.h>

/* Deeper than the scanner can produce: a sign of a broken string. */
#define CHECK_DEPTH_MAX (4 * MIME_NESTING_MAX + 8)

struct imap_reader {
	const unsigned char *s;
	size_t len;
	size_t pos;
	unsigned depth;
	const char *error;
};

static bool fail(struct imap_reader *r, const char *error)
{
	if (r->error == NULL)
		r->error = error;
	return false;
}

static bool peek(const struct imap_reader *r, unsigned char c)
{
	return r->pos < r->len && r->s[r->pos] == c;
}

static bool expect(struct imap_reader *r, unsigned char c, const char *error)
{
	if (!peek(r, c))
		return fail(r, error);
	r->pos++;
	return true;
}

static bool sp(struct imap_reader *r)
{
	return expect(r, ' ', "expected a space");
}

static bool read_nil(struct imap_reader *r)
{
	if (r->len - r->pos >= 3 && memcmp(r->s + r->pos, "NIL", 3) == 0) {
		r->pos += 3;
		return true;
	}
	return false;
}

static bool read_number(struct imap_reader *r)
{
	size_t start = r->pos;
	while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
		r->pos++;
	return r->pos > start || fail(r, "expected a number");
}

/* A quoted string or a literal; *text_r/len_r is its raw content. */
static bool read_string(struct imap_reader *r, const unsigned char **text_r, size_t *len_r)
{
	if (peek(r, '"')) {
		r->pos++;
		size_t start = r->pos;
		while (r->pos < r->len && r->s[r->pos] != '"') {
			unsigned char c = r->s[r->pos];
			if (c == 0 || c >= 0x80 || c == '\r' || c == '\n')
				return fail(r, "bad byte in a quoted string");
			if (c == '\\') {
				if (r->pos + 1 >= r->len ||
				    (r->s[r->pos + 1] != '"' && r->s[r->pos + 1] != '\\'))
					return fail(r, "bad escape in a quoted string");
				r->pos++;
			}
			r->pos++;
		}
		*text_r = r->s + start;
		*len_r = r->pos - start;
		return expect(r, '"', "unterminated quoted string");
	}
	if (peek(r, '{')) {
		r->pos++;
		size_t n = 0, digits = 0;
		while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
			if (n > r->len)
				return fail(r, "literal too long");
			n = n * 10 + (size_t)(r->s[r->pos++] - '0');
			digits++;
		}
		if (digits == 0 || !expect(r, '}', "bad literal") ||
		    !expect(r, '\r', "literal without CRLF") ||
		    !expect(r, '\n', "literal without CRLF"))
			return false;
		if (n > r->len - r->pos)
			return fail(r, "literal past the end");
		if (memchr(r->s + r->pos, '\0', n) != NULL)
			return fail(r, "NUL in a literal");
		*text_r = r->s + r->pos;
		*len_r = n;
		r->pos += n;
		return true;
	}
	return fail(r, "expected a string");
}

static bool read_nstring(struct imap_reader *r)
{
	const unsigned char *t;
	size_t n;
	return read_nil(r) || read_string(r, &t, &n);
}

static bool read_any_string(struct imap_reader *r)
{
	const unsigned char *t;
	size_t n;
	return read_string(r, &t, &n);
}

static bool read_address_list(struct imap_reader *r)
{
	if (read_nil(r))
		return true;
	if (!expect(r, '(', "expected an address list"))
		return false;
	do {
		if (!expect(r, '(', "expected an address") || !read_nstring(r) || !sp(r) ||
		    !read_nstring(r) || !sp(r) || !read_nstring(r) || !sp(r) || !read_nstring(r) ||
		    !expect(r, ')', "address not closed"))
			return false;
	} while (peek(r, '('));
	return expect(r, ')', "address list not closed");
}

static bool read_envelope(struct imap_reader *r)
{
	if (!expect(r, '(', "expected an envelope") || !read_nstring(r) || !sp(r) ||
	    !read_nstring(r))
		return false;
	for (int i = 0; i < 6; i++) {
		if (!sp(r) || !read_address_list(r))
			return false;
	}
	return sp(r) && read_nstring(r) && sp(r) && read_nstring(r) &&
	       expect(r, ')', "envelope not closed");
}

static bool read_params(struct imap_reader *r)
{
	if (read_nil(r))
		return true;
	if (!expect(r, '(', "expected parameters") || !read_any_string(r) || !sp(r) ||
	    !read_any_string(r))
		return false;
	while (peek(r, ' ')) {
		if (!sp(r) || !read_any_string(r) || !sp(r) || !read_any_string(r))
			return false;
	}
	return expect(r, ')', "parameters not closed");
}

/* SP body-fld-dsp SP body-fld-lang SP body-fld-loc */
static bool read_ext_common(struct imap_reader *r)
{
	if (!sp(r))
		return false;
	if (!read_nil(r)) {
		if (!expect(r, '(', "expected a disposition") || !read_any_string(r) || !sp(r) ||
		    !read_params(r) || !expect(r, ')', "disposition not closed"))
			return false;
	}
	if (!sp(r))
		return false;
	if (peek(r, '(')) {
		r->pos++;
		if (!read_any_string(r))
			return false;
		while (peek(r, ' ')) {
			if (!sp(r) || !read_any_string(r))
				return false;
		}
		if (!expect(r, ')', "language list not closed"))
			return false;
	} else if (!read_nstring(r)) {
		return false;
	}
	return sp(r) && read_nstring(r);
}

static bool read_body(struct imap_reader *r, bool extended);

static bool read_body_inner(struct imap_reader *r, bool extended)
{
	if (peek(r, '(')) {
		/* multipart: 1*body SP subtype [SP params dsp lang loc] */
		while (peek(r, '(')) {
			if (!read_body(r, extended))
				return false;
		}
		if (!sp(r) || !read_any_string(r))
			return false;
		if (extended && (!sp(r) || !read_params(r) || !read_ext_common(r)))
			return false;
		return true;
	}
	const unsigned char *type, *subtype;
	size_t type_len, subtype_len;
	if (!read_string(r, &type, &type_len) || !sp(r) ||
	    !read_string(r, &subtype, &subtype_len) || !sp(r) || !read_params(r) || !sp(r) ||
	    !read_nstring(r) || !sp(r) || !read_nstring(r) || !sp(r) || !read_any_string(r) ||
	    !sp(r) || !read_number(r))
		return false;
	if (mime_bytes_eq_ci(type, type_len, "message") &&
	    mime_bytes_eq_ci(subtype, subtype_len, "rfc822")) {
		if (!sp(r) || !read_envelope(r) || !sp(r) || !read_body(r, extended) || !sp(r) ||
		    !read_number(r))
			return false;
	} else if (mime_bytes_eq_ci(type, type_len, "text")) {
		if (!sp(r) || !read_number(r))
			return false;
	}
	if (extended && (!sp(r) || !read_nstring(r) || !read_ext_common(r)))
		return false;
	return true;
}

static bool read_body(struct imap_reader *r, bool extended)
{
	if (++r->depth > CHECK_DEPTH_MAX)
		return fail(r, "body nested too deep");
	bool ok = expect(r, '(', "expected a body") && read_body_inner(r, extended) &&
		  expect(r, ')', "body not closed");
	r->depth--;
	return ok;
}

static bool utf8_valid(const unsigned char *s, size_t len)
{
	struct buf clean;
	buf_init(&clean);
	mime_append_clean(&clean, s, len, false);
	bool same = clean.len == len && (len == 0 || memcmp(clean.data, s, len) == 0);
	buf_free(&clean);
	return same;
}

/* what: 0 envelope, 1 bodystructure, 2 body */
static int check_string(const char *s, int what, const char **error_r)
{
	if (s == NULL) {
		*error_r = "missing cached string";
		return -1;
	}
	struct imap_reader r = { (const unsigned char *)s, strlen(s), 0, 0, NULL };
	if (!utf8_valid(r.s, r.len)) {
		*error_r = "cached string is not valid UTF-8";
		return -1;
	}
	bool ok = what == 0 ? read_envelope(&r) : read_body(&r, what == 1);
	if (ok && r.pos != r.len)
		ok = fail(&r, "trailing bytes");
	if (!ok) {
		*error_r = r.error;
		return -1;
	}
	return 0;
}

static int check_segments(const struct mime_message *msg, const char **error_r)
{
	size_t pos = 0;
	for (size_t i = 0; i < msg->segment_count; i++) {
		const struct mime_segment *seg = &msg->segments[i];
		if (seg->offset != pos || seg->size == 0 || seg->size > msg->size - pos) {
			*error_r = "segments do not concatenate to the message";
			return -1;
		}
		if (i > 0 && !seg->is_part && !msg->segments[i - 1].is_part) {
			*error_r = "adjacent literal segments";
			return -1;
		}
		if (seg->is_part && seg->offset < msg->header_size) {
			*error_r = "part segment inside the top-level header";
			return -1;
		}
		if (seg->is_part) {
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int len = 0;
			if (EVP_Digest(msg->data + seg->offset, seg->size, md, &len, EVP_sha256(),
				       NULL) != 1 ||
			    len != MIME_HASH_SIZE || memcmp(md, seg->hash, MIME_HASH_SIZE) != 0) {
				*error_r = "part hash mismatch";
				return -1;
			}
		}
		pos += seg->size;
	}
	if (pos != msg->size) {
		*error_r = "segments do not cover the message";
		return -1;
	}
	return 0;
}

int mime_message_check(const struct mime_message *msg, const char **error_r)
{
	if (msg->header_size > msg->size || msg->header_count > MIME_CACHED_HEADERS_MAX) {
		*error_r = "header size or count out of range";
		return -1;
	}
	if (check_segments(msg, error_r) < 0)
		return -1;
	for (size_t i = 0; i < msg->header_count; i++) {
		const struct mime_header_field *h = &msg->headers[i];
		if (h->name[0] == '\0' ||
		    !utf8_valid((const unsigned char *)h->value, strlen(h->value))) {
			*error_r = "bad cached header field";
			return -1;
		}
	}
	if (check_string(msg->envelope, 0, error_r) < 0 ||
	    check_string(msg->bodystructure, 1, error_r) < 0 ||
	    check_string(msg->body, 2, error_r) < 0)
		return -1;
	return 0;
}
