/* imap-bodysection.c - FETCH BODY[section]<partial>: parse the section text
 * and cut the bytes it names out of a raw message.
 *
 * The MIME structure comes from the storage scanner (mime_tree_scan in
 * storage/mime-scan.c), which gives the byte offsets of every entity's
 * header and body; this file only walks that tree and slices. It never
 * copies the message except for HEADER.FIELDS[.NOT] and decoded BINARY
 * parts, never decodes except for BINARY (GMime's decoders), never reads
 * outside [msg, msg + size), and never does I/O.
 */
#include "imap-bodysection.h"
#include "mime-private.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parsing ---- */

struct section_lexer {
	const char *p;
	const char *end;
};

static bool lex_word(struct section_lexer *lx, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(lx->end - lx->p) < n || strncasecmp(lx->p, word, n) != 0)
		return false;
	lx->p += n;
	return true;
}

static bool lex_char(struct section_lexer *lx, char c)
{
	if (lx->p >= lx->end || *lx->p != c)
		return false;
	lx->p++;
	return true;
}

/* RFC 5322 field name characters: printable ASCII except ':' */
static bool is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* RFC 3501 atom-char, less ']' (resp-specials) */
static bool is_atom_char(unsigned char c)
{
	return c > 32 && c < 127 && strchr("(){%*\"\\]", c) == NULL;
}

/* One header-fld-name (astring: atom or quoted; no literals). */
static int lex_field_name(struct section_lexer *lx, char **name_r, const char **error_r)
{
	char name[IMAP_SECTION_FIELD_NAME_MAX + 1];
	size_t len = 0;
	if (lex_char(lx, '"')) {
		for (;;) {
			if (lx->p >= lx->end) {
				*error_r = "Unterminated quoted field name";
				return -1;
			}
			unsigned char c = (unsigned char)*lx->p++;
			if (c == '"')
				break;
			if (c == '\\') {
				if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\\')) {
					*error_r = "Bad escape in quoted field name";
					return -1;
				}
				c = (unsigned char)*lx->p++;
			}
			if (!is_ftext(c)) {
				*error_r = "Invalid character in header field name";
				return -1;
			}
			if (len == IMAP_SECTION_FIELD_NAME_MAX) {
				*error_r = "Header field name too long";
				return -1;
			}
			name[len++] = (char)c;
		}
	} else {
		while (lx->p < lx->end && is_atom_char((unsigned char)*lx->p)) {
			if (!is_ftext((unsigned char)*lx->p)) {
				*error_r = "Invalid character in header field name";
				return -1;
			}
			if (len == IMAP_SECTION_FIELD_NAME_MAX) {
				*error_r = "Header field name too long";
				return -1;
			}
			name[len++] = *lx->p++;
		}
	}
	if (len == 0) {
		*error_r = "Empty header field name";
		return -1;
	}
	*name_r = xstrndup(name, len);
	return 0;
}

static int lex_header_list(struct section_lexer *lx, struct imap_section *s,
			   const char **error_r)
{
	if (!lex_char(lx, ' ') || !lex_char(lx, '(')) {
		*error_r = "Expected \" (\" after HEADER.FIELDS";
		return -1;
	}
	for (;;) {
		if (s->field_count == IMAP_SECTION_FIELDS_MAX) {
			*error_r = "Too many header field names";
			return -1;
		}
		char *name;
		if (lex_field_name(lx, &name, error_r) < 0)
			return -1;
		if (s->fields == NULL)
			s->fields = xcalloc(IMAP_SECTION_FIELDS_MAX, sizeof(s->fields[0]));
		s->fields[s->field_count++] = name;
		if (lex_char(lx, ')'))
			return 0;
		if (!lex_char(lx, ' ')) {
			*error_r = "Expected SP or \")\" in header field list";
			return -1;
		}
	}
}

/* nz-number: no leading zero, fits 32 bits */
static int lex_part_number(struct section_lexer *lx, unsigned *n_r)
{
	if (lx->p >= lx->end || *lx->p < '1' || *lx->p > '9')
		return -1;
	unsigned long n = 0;
	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		n = n * 10 + (unsigned long)(*lx->p++ - '0');
		if (n > 4294967295UL)
			return -1;
	}
	*n_r = (unsigned)n;
	return 0;
}

/* section-msgtext, or (after a path) MIME */
static int lex_section_text(struct section_lexer *lx, bool after_path, struct imap_section *s,
			    const char **error_r)
{
	if (lex_word(lx, "HEADER.FIELDS")) {
		s->kind = IMAP_SECTION_HEADER_FIELDS;
		if (lex_word(lx, ".NOT"))
			s->kind = IMAP_SECTION_HEADER_FIELDS_NOT;
		return lex_header_list(lx, s, error_r);
	}
	if (lex_word(lx, "HEADER")) {
		s->kind = IMAP_SECTION_HEADER;
		return 0;
	}
	if (lex_word(lx, "TEXT")) {
		s->kind = IMAP_SECTION_TEXT;
		return 0;
	}
	if (after_path && lex_word(lx, "MIME")) {
		s->kind = IMAP_SECTION_MIME;
		return 0;
	}
	*error_r = "Unknown section text";
	return -1;
}

static int section_parse(struct section_lexer *lx, bool binary, struct imap_section *s,
			 const char **error_r)
{
	if (lx->p == lx->end)
		return 0;
	if (*lx->p < '0' || *lx->p > '9') {
		if (binary) {
			*error_r = "BINARY takes only a part number";
			return -1;
		}
		return lex_section_text(lx, false, s, error_r);
	}
	for (;;) {
		if (s->path_len == IMAP_SECTION_PATH_MAX) {
			*error_r = "Part number path too deep";
			return -1;
		}
		if (lex_part_number(lx, &s->path[s->path_len]) < 0) {
			*error_r = "Invalid part number";
			return -1;
		}
		s->path_len++;
		if (lx->p == lx->end)
			return 0;
		if (!lex_char(lx, '.')) {
			*error_r = "Expected \".\" after part number";
			return -1;
		}
		if (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9')
			continue;
		if (binary) {
			*error_r = "BINARY takes only a part number";
			return -1;
		}
		return lex_section_text(lx, true, s, error_r);
	}
}

int imap_section_parse(const char *text, size_t len, bool binary,
		       struct imap_section *section_r, const char **error_r)
{
	memset(section_r, 0, sizeof(*section_r));
	if (text == NULL)
		text = "";
	if (len > IMAP_SECTION_TEXT_MAX) {
		*error_r = "Section text too long";
		return -1;
	}
	struct section_lexer lx = { text, text + len };
	if (section_parse(&lx, binary, section_r, error_r) < 0) {
		imap_section_free(section_r);
		return -1;
	}
	if (lx.p != lx.end) {
		*error_r = "Trailing characters after section";
		imap_section_free(section_r);
		return -1;
	}
	return 0;
}

void imap_section_free(struct imap_section *section)
{
	for (size_t i = 0; i < section->field_count; i++)
		free(section->fields[i]);
	free(section->fields);
	memset(section, 0, sizeof(*section));
}

static int lex_u32(struct section_lexer *lx, uint32_t *n_r)
{
	if (lx->p >= lx->end || *lx->p < '0' || *lx->p > '9')
		return -1;
	uint64_t n = 0;
	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		n = n * 10 + (uint64_t)(*lx->p++ - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	*n_r = (uint32_t)n;
	return 0;
}

int imap_partial_parse(const char *text, size_t len, struct imap_section *section,
		       const char **error_r)
{
	struct section_lexer lx = { text, text + len };
	uint32_t origin, count;
	if (!lex_char(&lx, '<') || lex_u32(&lx, &origin) < 0 || !lex_char(&lx, '.') ||
	    lex_u32(&lx, &count) < 0 || !lex_char(&lx, '>') || lx.p != lx.end) {
		*error_r = "Invalid partial <origin.count>";
		return -1;
	}
	if (count == 0) {
		*error_r = "Partial count must not be 0";
		return -1;
	}
	section->partial = true;
	section->origin = origin;
	section->count = count;
	return 0;
}

static void write_field_name(struct buf *out, const char *name)
{
	bool atom = true;
	for (const char *p = name; *p != '\0'; p++)
		if (!is_atom_char((unsigned char)*p))
			atom = false;
	if (!atom)
		buf_append_byte(out, '"');
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			buf_append_byte(out, '\\');
		buf_append_byte(out, c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c);
	}
	if (!atom)
		buf_append_byte(out, '"');
}

void imap_section_write(const struct imap_section *section, struct buf *out)
{
	for (size_t i = 0; i < section->path_len; i++)
		buf_printf(out, "%s%u", i == 0 ? "" : ".", section->path[i]);
	const char *text = NULL;
	switch (section->kind) {
	case IMAP_SECTION_BODY: return;
	case IMAP_SECTION_HEADER: text = "HEADER"; break;
	case IMAP_SECTION_HEADER_FIELDS: text = "HEADER.FIELDS"; break;
	case IMAP_SECTION_HEADER_FIELDS_NOT: text = "HEADER.FIELDS.NOT"; break;
	case IMAP_SECTION_TEXT: text = "TEXT"; break;
	case IMAP_SECTION_MIME: text = "MIME"; break;
	}
	if (section->path_len > 0)
		buf_append_byte(out, '.');
	buf_append_str(out, text);
	if (section->kind == IMAP_SECTION_HEADER_FIELDS ||
	    section->kind == IMAP_SECTION_HEADER_FIELDS_NOT) {
		buf_append_str(out, " (");
		for (size_t i = 0; i < section->field_count; i++) {
			if (i > 0)
				buf_append_byte(out, ' ');
			write_field_name(out, section->fields[i]);
		}
		buf_append_byte(out, ')');
	}
}

/* ---- cutting ---- */

/* The n-th (1-based) child of node idx, -1 if none. */
static int nth_child(const struct mime_tree *tree, int idx, unsigned n)
{
	int c = tree->nodes[idx].first_child;
	for (unsigned i = 1; c >= 0 && i < n; i++)
		c = tree->nodes[c].next_sibling;
	return c;
}

/* Part n of the message at msg: a child of a multipart body, else (n == 1)
 * the message's own non-multipart body, whose entity is msg itself. */
static int message_part(const struct mime_tree *tree, int msg, unsigned n)
{
	if (tree->nodes[msg].kind == MIME_NODE_MULTIPART)
		return nth_child(tree, msg, n);
	return n == 1 ? msg : -1;
}

/* The entity the path names, -1 if none. */
static int follow_path(const struct mime_tree *tree, const struct imap_section *s)
{
	int cur = message_part(tree, 0, s->path[0]);
	for (size_t i = 1; cur >= 0 && i < s->path_len; i++) {
		const struct mime_node *n = &tree->nodes[cur];
		if (n->kind == MIME_NODE_MULTIPART)
			cur = nth_child(tree, cur, s->path[i]);
		else if (n->kind == MIME_NODE_MESSAGE && n->first_child >= 0)
			cur = message_part(tree, n->first_child, s->path[i]);
		else
			cur = -1;
	}
	return cur;
}

static bool field_listed(const struct imap_section *s, const unsigned char *name, size_t len)
{
	for (size_t i = 0; i < s->field_count; i++)
		if (strlen(s->fields[i]) == len &&
		    strncasecmp(s->fields[i], (const char *)name, len) == 0)
			return true;
	return false;
}

/* HEADER.FIELDS[.NOT] of the header [start, end) */
static void filter_header(const unsigned char *msg, size_t start, size_t end,
			  const struct imap_section *s, struct buf *out)
{
	bool want_listed = s->kind == IMAP_SECTION_HEADER_FIELDS;
	size_t pos = start;
	for (;;) {
		struct mime_header_field_pos f;
		size_t next;
		/* end bounds the scan: a header cut short by a boundary ends there */
		enum mime_header_line kind = mime_header_next(msg, end, pos, &f, &next);
		if (kind == MIME_HEADER_END || kind == MIME_HEADER_EOF || next <= pos)
			break;
		if (kind == MIME_HEADER_FIELD &&
		    field_listed(s, msg + f.name_start, f.name_end - f.name_start) == want_listed) {
			buf_append(out, msg + pos, next - pos);
			if (msg[next - 1] != '\n')
				buf_append_str(out, "\r\n");
		}
		pos = next;
	}
	buf_append_str(out, "\r\n");
}

static void set_slice(struct imap_bodysection_result *r, const unsigned char *msg, size_t start,
		      size_t end)
{
	r->data = msg + start;
	r->size = end > start ? end - start : 0;
}

/* Cut a section with a part path out of the scanned tree. */
static void cut_section(const struct mime_tree *tree, const struct imap_section *s,
			struct imap_bodysection_result *r)
{
	const unsigned char *msg = tree->data;
	int part = follow_path(tree, s);
	if (part < 0) {
		r->missing = true;
		return;
	}
	const struct mime_node *n = &tree->nodes[part];
	if (s->kind == IMAP_SECTION_BODY) {
		set_slice(r, msg, n->body_start, n->body_end);
		return;
	}
	if (s->kind == IMAP_SECTION_MIME) {
		set_slice(r, msg, n->hdr_start, n->body_start);
		return;
	}
	if (n->kind != MIME_NODE_MESSAGE || n->first_child < 0) {
		r->missing = true;
		return;
	}
	const struct mime_node *m = &tree->nodes[n->first_child];
	switch (s->kind) {
	case IMAP_SECTION_HEADER:
		set_slice(r, msg, m->hdr_start, m->body_start);
		break;
	case IMAP_SECTION_TEXT:
		set_slice(r, msg, m->body_start, m->body_end);
		break;
	case IMAP_SECTION_HEADER_FIELDS:
	case IMAP_SECTION_HEADER_FIELDS_NOT:
		filter_header(msg, m->hdr_start, m->body_start, s, &r->built);
		r->data = r->built.data;
		r->size = r->built.len;
		break;
	case IMAP_SECTION_BODY:
	case IMAP_SECTION_MIME: /* handled above */
		break;
	}
}

/* Sections of the top-level message need no MIME scan, only the end of
 * its header (found exactly as mime-scan.c finds it; the body runs to the
 * end of the data): FETCH BODY.PEEK[HEADER.FIELDS (...)] on every message
 * of a mailbox stays cheap for large messages. */
static void cut_top(const unsigned char *msg, size_t msg_size, const struct imap_section *s,
		    struct imap_bodysection_result *r)
{
	size_t body_start = 0;
	for (;;) {
		struct mime_header_field_pos f;
		enum mime_header_line kind =
			mime_header_next(msg, msg_size, body_start, &f, &body_start);
		if (kind == MIME_HEADER_END || kind == MIME_HEADER_EOF)
			break;
	}
	switch (s->kind) {
	case IMAP_SECTION_BODY:
		set_slice(r, msg, 0, msg_size);
		break;
	case IMAP_SECTION_HEADER:
		set_slice(r, msg, 0, body_start);
		break;
	case IMAP_SECTION_TEXT:
		set_slice(r, msg, body_start, msg_size);
		break;
	case IMAP_SECTION_HEADER_FIELDS:
	case IMAP_SECTION_HEADER_FIELDS_NOT:
		filter_header(msg, 0, body_start, s, &r->built);
		r->data = r->built.data;
		r->size = r->built.len;
		break;
	case IMAP_SECTION_MIME: /* refused by the parser without a path */
		r->missing = true;
		break;
	}
}

/* "" for a missing part; then the partial, if any. */
static void finish_result(const struct imap_section *section, struct imap_bodysection_result *r)
{
	if (r->missing || r->data == NULL) {
		r->data = (const unsigned char *)"";
		r->size = 0;
	}
	if (section->partial) {
		if (section->origin >= r->size) {
			r->data += r->size;
			r->size = 0;
		} else {
			r->data += section->origin;
			size_t rest = r->size - section->origin;
			r->size = section->count < rest ? section->count : rest;
		}
	}
}

void imap_bodysection_get(const unsigned char *msg, size_t msg_size,
			  const struct imap_section *section,
			  struct imap_bodysection_result *result_r)
{
	memset(result_r, 0, sizeof(*result_r));
	buf_init(&result_r->built);
	if (msg == NULL) {
		msg = (const unsigned char *)"";
		msg_size = 0;
	}
	if (section->path_len == 0)
		cut_top(msg, msg_size, section, result_r);
	else {
		struct mime_tree tree;
		if (mime_tree_scan(msg, msg_size, false, &tree) < 0)
			(void)mime_tree_scan(msg, msg_size, true, &tree); /* too many parts */
		if (tree.count > 0)
			cut_section(&tree, section, result_r);
		else
			result_r->missing = true;
		mime_tree_free(&tree);
	}
	finish_result(section, result_r);
}

void imap_bodysection_result_free(struct imap_bodysection_result *result)
{
	buf_free(&result->built);
	result->data = NULL;
	result->size = 0;
}

/* Undo the Content-Transfer-Encoding of node's body into r; -1 if unknown. */
static int binary_decode(const struct mime_tree *tree, const struct mime_node *n,
			 struct imap_bodysection_result *r)
{
	const unsigned char *body = tree->data + n->body_start;
	size_t len = n->body_end - n->body_start;
	const struct mime_slice *cte = &n->fields[MIME_F_CONTENT_TRANSFER_ENCODING];
	const unsigned char *tok;
	size_t tok_len;
	if (!cte->present ||
	    !mime_first_token(tree->data + cte->start, cte->end - cte->start, &tok, &tok_len) ||
	    mime_bytes_eq_ci(tok, tok_len, "7bit") || mime_bytes_eq_ci(tok, tok_len, "8bit") ||
	    mime_bytes_eq_ci(tok, tok_len, "binary")) {
		set_slice(r, tree->data, n->body_start, n->body_end);
		return 0;
	}
	GMimeContentEncoding enc;
	if (mime_bytes_eq_ci(tok, tok_len, "base64"))
		enc = GMIME_CONTENT_ENCODING_BASE64;
	else if (mime_bytes_eq_ci(tok, tok_len, "quoted-printable"))
		enc = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	else if (mime_bytes_eq_ci(tok, tok_len, "x-uuencode"))
		enc = GMIME_CONTENT_ENCODING_UUENCODE;
	else
		return -1;
	GMimeEncoding state;
	g_mime_encoding_init_decode(&state, enc);
	buf_reserve(&r->built, g_mime_encoding_outlen(&state, len) + 1);
	r->built.len = g_mime_encoding_flush(&state, (const char *)body, len,
					     (char *)r->built.data);
	r->built.data[r->built.len] = '\0'; /* buf keeps a NUL after len */
	r->data = r->built.data;
	r->size = r->built.len;
	return 0;
}

int imap_bodysection_binary(const unsigned char *msg, size_t msg_size,
			    const struct imap_section *section,
			    struct imap_bodysection_result *result_r, const char **error_r)
{
	memset(result_r, 0, sizeof(*result_r));
	buf_init(&result_r->built);
	if (msg == NULL) {
		msg = (const unsigned char *)"";
		msg_size = 0;
	}
	int ret = 0;
	if (section->path_len == 0) {
		set_slice(result_r, msg, 0, msg_size);
	} else {
		struct mime_tree tree;
		if (mime_tree_scan(msg, msg_size, false, &tree) < 0)
			(void)mime_tree_scan(msg, msg_size, true, &tree); /* too many parts */
		int part = tree.count > 0 ? follow_path(&tree, section) : -1;
		if (part < 0)
			result_r->missing = true;
		else if (binary_decode(&tree, &tree.nodes[part], result_r) < 0) {
			*error_r = "Unknown Content-Transfer-Encoding";
			result_r->missing = true;
			ret = -1;
		}
		mime_tree_free(&tree);
	}
	finish_result(section, result_r);
	return ret;
}
