/* mime-text.c - the searchable text of a raw message (mime-text.h): header
 * fields decoded and folded, text parts decoded to UTF-8 and folded. The
 * MIME structure is the storage scanner's (mime-scan.c: bounded nesting and
 * part count, the same parts as BODYSTRUCTURE); GMime decodes RFC 2047
 * words, transfer encodings and charsets; GLib folds case.
 * Never does I/O, never keeps state between calls, never trusts the
 * message: any bytes are decoded without reading outside them.
 */
#include "mime-text.h"
#include "mime-private.h"
#include "buf.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

char *mime_text_fold(const char *text, size_t len, size_t *len_r)
{
	/* NUL would end GLib's strings early: searched as a blank */
	char *copy = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		copy[i] = text[i] == '\0' ? ' ' : text[i];
	copy[len] = '\0';
	gchar *valid = g_utf8_make_valid(copy, (gssize)len);
	free(copy);
	gchar *folded = g_utf8_casefold(valid, -1);
	g_free(valid);
	gchar *norm = g_utf8_normalize(folded, -1, G_NORMALIZE_DEFAULT_COMPOSE);
	g_free(folded);
	char *out = xstrdup(norm != NULL ? norm : "");
	g_free(norm);
	*len_r = strlen(out);
	return out;
}

char *mime_text_field_value(const unsigned char *hdr, const struct mime_header_field_pos *f,
			    size_t *len_r)
{
	size_t raw_len = f->value_end - f->value_start;
	char *raw = xmalloc(raw_len + 1);
	size_t n = 0;
	for (size_t i = f->value_start; i < f->value_end; i++) {
		if (hdr[i] == '\r' || hdr[i] == '\n')
			continue;
		raw[n++] = hdr[i] == '\0' ? ' ' : (char)hdr[i];
	}
	raw[n] = '\0';
	char *decoded = g_mime_utils_header_decode_text(NULL, raw);
	free(raw);
	const char *src = decoded != NULL ? decoded : "";
	char *out = mime_text_fold(src, strlen(src), len_r);
	g_free(decoded);
	return out;
}

size_t mime_text_header_size(const unsigned char *msg, size_t size)
{
	size_t pos = 0;
	for (;;) {
		struct mime_header_field_pos f;
		size_t next;
		enum mime_header_line kind = mime_header_next(msg, size, pos, &f, &next);
		if (kind == MIME_HEADER_END || kind == MIME_HEADER_EOF || next <= pos)
			return next > pos ? next : pos;
		pos = next;
	}
}

char *mime_text_header(const unsigned char *hdr, size_t hdr_size, size_t *len_r)
{
	struct buf out;
	buf_init(&out);
	buf_append(&out, "", 0);
	size_t pos = 0;
	for (;;) {
		struct mime_header_field_pos f;
		size_t next;
		enum mime_header_line kind = mime_header_next(hdr, hdr_size, pos, &f, &next);
		if (kind == MIME_HEADER_END || kind == MIME_HEADER_EOF || next <= pos)
			break;
		if (kind == MIME_HEADER_FIELD) {
			size_t name_len, value_len;
			char *name = mime_text_fold((const char *)hdr + f.name_start,
						    f.name_end - f.name_start, &name_len);
			char *value = mime_text_field_value(hdr, &f, &value_len);
			buf_append(&out, name, name_len);
			buf_append_str(&out, ": ");
			buf_append(&out, value, value_len);
			buf_append_byte(&out, '\n');
			free(name);
			free(value);
		}
		pos = next;
	}
	return (char *)buf_steal(&out, len_r);
}

/* Longest charset name looked at; longer ones are unknown. */
#define MIME_TEXT_CHARSET_MAX 64

/* A NUL-terminated copy of a short token, or NULL. */
static char *token_copy(const unsigned char *tok, size_t len)
{
	return len == 0 || len > MIME_TEXT_CHARSET_MAX ? NULL : xstrndup((const char *)tok, len);
}

/* Append text (len bytes, any charset-less bytes) to out as folded UTF-8:
 * UTF-8 if it is valid, else read as ISO-8859-1. */
static void append_folded(struct buf *out, char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) /* a NUL would fail the UTF-8 check */
		if (text[i] == '\0')
			text[i] = ' ';
	gchar *latin1 = NULL;
	if (!g_utf8_validate_len(text, len, NULL)) {
		gsize written = 0;
		latin1 = g_convert(text, (gssize)len, "UTF-8", "ISO-8859-1", NULL, &written, NULL);
		if (latin1 != NULL) {
			text = latin1;
			len = written;
		}
	}
	size_t folded_len;
	char *folded = mime_text_fold(text, len, &folded_len);
	buf_append(out, folded, folded_len);
	buf_append_byte(out, '\n');
	free(folded);
	g_free(latin1);
}

/* The body of a text leaf, transfer-decoded (GMime's decoders), converted
 * from its charset to UTF-8 (GMime's iconv), folded, appended to out. */
static void append_text_leaf(const struct mime_tree *tree, const struct mime_node *n,
			     const struct mime_params *ct, bool ct_ok, struct buf *out)
{
	const unsigned char *body = tree->data + n->body_start;
	size_t len = n->body_end - n->body_start;
	char *decoded = NULL;
	const struct mime_slice *cte = &n->fields[MIME_F_CONTENT_TRANSFER_ENCODING];
	const unsigned char *tok;
	size_t tok_len;
	if (cte->present &&
	    mime_first_token(tree->data + cte->start, cte->end - cte->start, &tok, &tok_len)) {
		char *name = token_copy(tok, tok_len);
		GMimeContentEncoding enc = name == NULL ? GMIME_CONTENT_ENCODING_DEFAULT
							: g_mime_content_encoding_from_string(name);
		free(name);
		if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
		    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
		    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
			GMimeEncoding state;
			g_mime_encoding_init_decode(&state, enc);
			decoded = xmalloc(g_mime_encoding_outlen(&state, len) + 1);
			len = g_mime_encoding_flush(&state, (const char *)body, len, decoded);
		}
	}
	if (decoded == NULL)
		decoded = xmemdup(body, len);

	const unsigned char *cs;
	size_t cs_len;
	char *charset = ct_ok && mime_params_get(ct, "charset", &cs, &cs_len)
				? token_copy(cs, cs_len)
				: NULL;
	char *converted = NULL;
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0) {
		iconv_t cd = g_mime_iconv_open("UTF-8", charset);
		if (cd != (iconv_t)-1) {
			converted = g_mime_iconv_strndup(cd, decoded, len);
			g_mime_iconv_close(cd);
		}
	}
	free(charset);
	if (converted != NULL) {
		/* stops at a U+0000, if the charset had one */
		size_t folded_len;
		char *folded = mime_text_fold(converted, strlen(converted), &folded_len);
		buf_append(out, folded, folded_len);
		buf_append_byte(out, '\n');
		free(folded);
		g_free(converted);
	} else {
		append_folded(out, decoded, len);
	}
	free(decoded);
}

/* The text of every text leaf of the message, in order. The structure is
 * the storage scanner's (mime-scan.c: bounded nesting and part count, the
 * same parts as BODYSTRUCTURE); a multipart left opaque is searched raw. */
static void collect_body_text(const unsigned char *msg, size_t size, struct buf *out)
{
	struct mime_tree tree;
	if (mime_tree_scan(msg, size, false, &tree) < 0)
		(void)mime_tree_scan(msg, size, true, &tree); /* too many parts */
	for (size_t i = 0; i < tree.count; i++) {
		const struct mime_node *n = &tree.nodes[i];
		if (n->first_child >= 0 || n->kind == MIME_NODE_MESSAGE)
			continue;
		if (n->kind == MIME_NODE_MULTIPART) {
			char *raw = xmemdup(msg + n->body_start, n->body_end - n->body_start);
			append_folded(out, raw, n->body_end - n->body_start);
			free(raw);
			continue;
		}
		const struct mime_slice *s = &n->fields[MIME_F_CONTENT_TYPE];
		struct mime_params ct;
		mime_params_init(&ct);
		bool ct_ok = s->present &&
			     mime_params_parse(&ct, msg + s->start, s->end - s->start, true) == 0;
		/* no or unparsable Content-Type: text/plain, as BODYSTRUCTURE says */
		if (!ct_ok || mime_bytes_eq_ci(ct.token, ct.token_len, "text"))
			append_text_leaf(&tree, n, &ct, ct_ok, out);
		mime_params_free(&ct);
	}
	mime_tree_free(&tree);
}

char *mime_text_body(const unsigned char *msg, size_t size, size_t *len_r)
{
	struct buf out;
	buf_init(&out);
	buf_append(&out, "", 0);
	collect_body_text(msg, size, &out);
	return (char *)buf_steal(&out, len_r);
}

void mime_text_extract(const unsigned char *msg, size_t size, char **headers_r,
		       size_t *headers_len_r, char **body_r, size_t *body_len_r)
{
	if (msg == NULL) {
		msg = (const unsigned char *)"";
		size = 0;
	}
	*headers_r = mime_text_header(msg, mime_text_header_size(msg, size), headers_len_r);
	*body_r = mime_text_body(msg, size, body_len_r);
}
