/* sieve-message.c - what the tests read from the raw message: the top-level
 * header fields (unfolded; RFC 2047 decoded by GMime for "header"), and the
 * body test's texts (RFC 5173 transforms: :raw is the undecoded body,
 * :content the decoded leaf parts of the given types, :text - the default -
 * the decoded text parts, converted to UTF-8). The header is split once
 * and the MIME parse done once per sieve_execute, on first use; the
 * decoded parts are kept for every later body test.
 * Never reads outside msg->data; never gives GMime more than
 * SIEVE_BODY_PARSE_MAX bytes nor a test more than SIEVE_BODY_MAX bytes of
 * body text; needs g_mime_init() done by the process (mime_init()).
 */
#include "sieve-private.h"
#include "buf.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sieve_msg_cache_init(struct sieve_msg_cache *c, const struct sieve_message *msg)
{
	memset(c, 0, sizeof(*c));
	c->msg = msg;
}

void sieve_msg_cache_free(struct sieve_msg_cache *c)
{
	for (size_t i = 0; i < c->field_count; i++) {
		free(c->fields[i].name);
		free(c->fields[i].value);
	}
	free(c->fields);
	for (size_t i = 0; i < c->part_count; i++) {
		free(c->parts[i].type);
		free(c->parts[i].subtype);
		free(c->parts[i].text);
	}
	free(c->parts);
	free(c->raw);
	memset(c, 0, sizeof(*c));
}

static char *trimmed_copy(const unsigned char *s, size_t len)
{
	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	char *out = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		out[i] = s[i] == '\0' ? ' ' : (char)s[i];
	out[len] = '\0';
	return out;
}

/* Split the header into fields once: name, and the value unfolded. */
static void split_header(struct sieve_msg_cache *c)
{
	if (c->headers_done)
		return;
	c->headers_done = true;
	const unsigned char *d = c->msg->data;
	size_t size = c->msg->data != NULL ? c->msg->size : 0;
	size_t pos = 0, cap = 0;
	while (pos < size) {
		const unsigned char *nl = memchr(d + pos, '\n', size - pos);
		size_t end = nl != NULL ? (size_t)(nl - d) : size;
		size_t line_len = end - pos;
		if (line_len > 0 && d[end - 1] == '\r')
			line_len--;
		if (line_len == 0) { /* the blank line ends the header */
			pos = nl != NULL ? end + 1 : size;
			break;
		}
		size_t next = nl != NULL ? end + 1 : size;
		if (d[pos] == ' ' || d[pos] == '\t' || c->field_count >= SIEVE_HEADERS_MAX) {
			pos = next; /* stray continuation, or past the limit */
			continue;
		}
		const unsigned char *colon = memchr(d + pos, ':', line_len);
		/* the field and its continuation lines */
		struct buf value;
		buf_init(&value);
		size_t vstart = colon != NULL ? (size_t)(colon - d) + 1 : pos;
		buf_append(&value, d + vstart, pos + line_len - vstart);
		while (next < size && (d[next] == ' ' || d[next] == '\t')) {
			const unsigned char *nl2 = memchr(d + next, '\n', size - next);
			size_t end2 = nl2 != NULL ? (size_t)(nl2 - d) : size;
			size_t l2 = end2 - next;
			if (l2 > 0 && d[end2 - 1] == '\r')
				l2--;
			buf_append(&value, d + next, l2);
			next = nl2 != NULL ? end2 + 1 : size;
		}
		if (colon != NULL) {
			size_t name_len = (size_t)(colon - (d + pos));
			while (name_len > 0 && (d[pos + name_len - 1] == ' ' || d[pos + name_len - 1] == '\t'))
				name_len--;
			struct sieve_header_field *f = XARRAY_PUSH(c->fields, c->field_count, cap);
			f->name = trimmed_copy(d + pos, name_len);
			f->value = trimmed_copy(value.data, value.len);
		}
		buf_free(&value);
		pos = next;
	}
	c->header_size = pos;
}

void sieve_msg_header_values(struct sieve_msg_cache *c, const char *name, bool decode,
			     char ***values, size_t *count, size_t *cap)
{
	split_header(c);
	for (size_t i = 0; i < c->field_count; i++) {
		if (strcasecmp(c->fields[i].name, name) != 0)
			continue;
		char *v;
		if (decode) {
			char *dec = g_mime_utils_header_decode_text(NULL, c->fields[i].value);
			v = xstrdup(dec != NULL ? dec : c->fields[i].value);
			g_free(dec);
		} else {
			v = xstrdup(c->fields[i].value);
		}
		*XARRAY_PUSH(*values, *count, *cap) = v;
	}
}

bool sieve_msg_header_exists(struct sieve_msg_cache *c, const char *name)
{
	split_header(c);
	for (size_t i = 0; i < c->field_count; i++)
		if (strcasecmp(c->fields[i].name, name) == 0)
			return true;
	return false;
}

struct body_walk {
	struct sieve_msg_cache *c;
	size_t cap;
	size_t total;
};

static char *lower_dup(const char *s)
{
	char *out = xstrdup(s);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* A copy of at most the room left under SIEVE_BODY_MAX, NUL bytes blanked. */
static char *bounded_copy(size_t *total, const char *text, size_t len)
{
	size_t room = SIEVE_BODY_MAX - *total;
	if (len > room)
		len = room;
	*total += len;
	char *v = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		v[i] = text[i] == '\0' ? ' ' : text[i];
	v[len] = '\0';
	return v;
}

static void walk_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	struct body_walk *w = data;
	if (!GMIME_IS_PART(part) || w->total >= SIEVE_BODY_MAX)
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	const char *type = ct != NULL ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : NULL;
	char *text;
	if (GMIME_IS_TEXT_PART(part)) {
		char *utf8 = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
		text = bounded_copy(&w->total, utf8 != NULL ? utf8 : "", utf8 != NULL ? strlen(utf8) : 0);
		g_free(utf8);
	} else {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
		if (content == NULL)
			return;
		GMimeStream *out = g_mime_stream_mem_new();
		g_mime_data_wrapper_write_to_stream(content, out);
		GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
		text = bounded_copy(&w->total, (const char *)bytes->data, bytes->len);
		g_object_unref(out);
	}
	struct sieve_body_part *p = XARRAY_PUSH(w->c->parts, w->c->part_count, w->cap);
	p->type = lower_dup(type != NULL ? type : "text");
	p->subtype = lower_dup(sub != NULL ? sub : "plain");
	p->text = text;
}

/* Parse the message once: the decoded leaf parts and the raw body. */
static void body_parse(struct sieve_msg_cache *c)
{
	if (c->body_done)
		return;
	c->body_done = true;
	split_header(c);
	const char *data = c->msg->data != NULL ? (const char *)c->msg->data : "";
	size_t size = c->msg->data != NULL ? c->msg->size : 0;
	size_t start = c->header_size <= size ? c->header_size : size;
	size_t raw_total = 0;
	c->raw = bounded_copy(&raw_total, data + start, size - start);

	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		data, size > SIEVE_BODY_PARSE_MAX ? SIEVE_BODY_PARSE_MAX : size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (m == NULL)
		return;
	GMimeObject *top = g_mime_message_get_mime_part(m);
	struct body_walk w = { c, 0, 0 };
	if (top != NULL && GMIME_IS_MULTIPART(top))
		g_mime_multipart_foreach(GMIME_MULTIPART(top), walk_part, &w);
	else if (top != NULL)
		walk_part(NULL, top, &w);
	g_object_unref(m);
}

static bool type_wanted(const struct sieve_opts *opt, const struct sieve_body_part *p)
{
	if (opt->transform == SIEVE_BODY_TEXT)
		return strcmp(p->type, "text") == 0;
	for (size_t i = 0; opt->content_types != NULL && i < opt->content_types->count; i++) {
		const char *want = opt->content_types->s[i];
		const char *slash = strchr(want, '/');
		size_t type_len = strlen(p->type);
		if (want[0] == '\0')
			return true;
		if (slash == NULL && strcasecmp(want, p->type) == 0)
			return true;
		if (slash != NULL && (size_t)(slash - want) == type_len &&
		    strncasecmp(want, p->type, type_len) == 0 && strcasecmp(slash + 1, p->subtype) == 0)
			return true;
	}
	return false;
}

void sieve_msg_body_values(struct sieve_msg_cache *c, const struct sieve_opts *opt,
			   const char ***values, size_t *count, size_t *cap)
{
	body_parse(c);
	if (opt->transform == SIEVE_BODY_RAW) {
		*XARRAY_PUSH(*values, *count, *cap) = c->raw;
		return;
	}
	for (size_t i = 0; i < c->part_count; i++)
		if (type_wanted(opt, &c->parts[i]))
			*XARRAY_PUSH(*values, *count, *cap) = c->parts[i].text;
}
