/* mime-scan.c - find the MIME structure of a raw message as byte offsets:
 * the header and body of every entity, multipart boundaries, and messages
 * embedded as message/rfc822.
 *
 * Works on the bytes in place: no copies, no decoding, linear in the size of
 * the message (each line is looked at once by whichever entity contains it).
 * It never fails on malformed input: a part whose boundary is missing ends at
 * the next boundary of an enclosing multipart, or at the end of the data.
 * Boundaries match as line prefixes, longest first, innermost on a tie
 * (RFC 2046 5.1.1); the line break before a boundary belongs to the boundary.
 * It must never read outside [data, data + size), never recurse deeper than
 * MIME_NESTING_MAX, and never build more than MIME_PARTS_MAX nodes.
 */
#include "mime-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct scan_boundary {
	unsigned char text[MIME_BOUNDARY_MAX];
	size_t len;
};

/* Where an entity stopped: at a boundary line of an enclosing multipart, or
 * at the end of the data. */
struct scan_end {
	size_t at;  /* start of the boundary line, or size */
	int level;  /* index in scan_ctx.stack, -1 for the end of the data */
	bool close; /* "--boundary--" */
};

struct scan_ctx {
	const unsigned char *data;
	size_t size;
	struct mime_tree *tree;
	struct scan_boundary stack[MIME_NESTING_MAX]; /* [0] is the outermost */
	int stack_count;
	bool overflow; /* MIME_PARTS_MAX reached: the result is discarded */
};

static const struct {
	const char *name;
	enum mime_field field;
} scan_fields[] = {
	{ "Content-Type", MIME_F_CONTENT_TYPE },
	{ "Content-Transfer-Encoding", MIME_F_CONTENT_TRANSFER_ENCODING },
	{ "Content-Disposition", MIME_F_CONTENT_DISPOSITION },
	{ "Content-Language", MIME_F_CONTENT_LANGUAGE },
	{ "Content-Location", MIME_F_CONTENT_LOCATION },
	{ "Content-ID", MIME_F_CONTENT_ID },
	{ "Content-Description", MIME_F_CONTENT_DESCRIPTION },
	{ "Content-MD5", MIME_F_CONTENT_MD5 },
	{ "Date", MIME_F_DATE },
	{ "Subject", MIME_F_SUBJECT },
	{ "From", MIME_F_FROM },
	{ "Sender", MIME_F_SENDER },
	{ "Reply-To", MIME_F_REPLY_TO },
	{ "To", MIME_F_TO },
	{ "Cc", MIME_F_CC },
	{ "Bcc", MIME_F_BCC },
	{ "In-Reply-To", MIME_F_IN_REPLY_TO },
	{ "Message-ID", MIME_F_MESSAGE_ID },
};

static size_t line_end(const unsigned char *data, size_t size, size_t pos)
{
	if (pos >= size)
		return size;
	const unsigned char *nl = memchr(data + pos, '\n', size - pos);
	return nl == NULL ? size : (size_t)(nl - data) + 1;
}

size_t mime_count_lf(const unsigned char *data, size_t start, size_t end)
{
	size_t n = 0;
	while (start < end) {
		const unsigned char *nl = memchr(data + start, '\n', end - start);
		if (nl == NULL)
			break;
		n++;
		start = (size_t)(nl - data) + 1;
	}
	return n;
}

enum mime_header_line mime_header_next(const unsigned char *data, size_t size, size_t pos,
				       struct mime_header_field_pos *field_r, size_t *pos_r)
{
	if (pos >= size) {
		*pos_r = size;
		return MIME_HEADER_EOF;
	}
	if (data[pos] == '\n') {
		*pos_r = pos + 1;
		return MIME_HEADER_END;
	}
	if (data[pos] == '\r' && pos + 1 < size && data[pos + 1] == '\n') {
		*pos_r = pos + 2;
		return MIME_HEADER_END;
	}
	size_t eol = line_end(data, size, pos);
	size_t next = eol;
	while (next < size && (data[next] == ' ' || data[next] == '\t'))
		next = line_end(data, size, next);
	*pos_r = next;

	size_t i = pos;
	while (i < eol && data[i] >= 33 && data[i] <= 126 && data[i] != ':')
		i++;
	size_t name_end = i;
	while (i < eol && (data[i] == ' ' || data[i] == '\t'))
		i++;
	if (name_end == pos || i >= eol || data[i] != ':')
		return MIME_HEADER_JUNK;

	size_t value_end = next;
	if (value_end > pos && data[value_end - 1] == '\n') {
		value_end--;
		if (value_end > pos && data[value_end - 1] == '\r')
			value_end--;
	}
	size_t value_start = i + 1;
	while (value_start < value_end &&
	       (data[value_start] == ' ' || data[value_start] == '\t' ||
		data[value_start] == '\r' || data[value_start] == '\n'))
		value_start++;
	if (value_start > value_end)
		value_start = value_end;
	field_r->name_start = pos;
	field_r->name_end = name_end;
	field_r->value_start = value_start;
	field_r->value_end = value_end;
	return MIME_HEADER_FIELD;
}

/* Does the line at pos (starting with "--") open a boundary on the stack? */
static bool boundary_match(const struct scan_ctx *ctx, size_t pos, struct scan_end *end_r)
{
	size_t rest = ctx->size - pos - 2;
	const unsigned char *p = ctx->data + pos + 2;
	int best = -1;
	for (int i = ctx->stack_count - 1; i >= 0; i--) {
		size_t len = ctx->stack[i].len;
		if (len <= rest && memcmp(p, ctx->stack[i].text, len) == 0 &&
		    (best < 0 || len > ctx->stack[best].len))
			best = i;
	}
	if (best < 0)
		return false;
	size_t len = ctx->stack[best].len;
	end_r->at = pos;
	end_r->level = best;
	end_r->close = len + 2 <= rest && p[len] == '-' && p[len + 1] == '-';
	return true;
}

static bool is_boundary_line(const struct scan_ctx *ctx, size_t pos, struct scan_end *end_r)
{
	return ctx->stack_count > 0 && ctx->size - pos >= 2 && ctx->data[pos] == '-' &&
	       ctx->data[pos + 1] == '-' && boundary_match(ctx, pos, end_r);
}

/* The first boundary line at or after pos (a line start). */
static void find_boundary(const struct scan_ctx *ctx, size_t pos, struct scan_end *end_r)
{
	if (ctx->stack_count > 0) {
		while (pos < ctx->size) {
			if (is_boundary_line(ctx, pos, end_r))
				return;
			const unsigned char *nl = memchr(ctx->data + pos, '\n', ctx->size - pos);
			if (nl == NULL)
				break;
			pos = (size_t)(nl - ctx->data) + 1;
		}
	}
	end_r->at = ctx->size;
	end_r->level = -1;
	end_r->close = false;
}

/* Where content that stops at end finishes: before the line break that
 * precedes the boundary line, never before lo. */
static size_t content_end(const struct scan_ctx *ctx, const struct scan_end *end, size_t lo)
{
	if (end->level < 0)
		return ctx->size;
	size_t e = end->at;
	if (e > lo && ctx->data[e - 1] == '\n') {
		e--;
		if (e > lo && ctx->data[e - 1] == '\r')
			e--;
	}
	return e;
}

static void record_field(struct mime_node *node, const unsigned char *data,
			 const struct mime_header_field_pos *f)
{
	size_t name_len = f->name_end - f->name_start;
	for (size_t i = 0; i < sizeof(scan_fields) / sizeof(scan_fields[0]); i++) {
		if (strlen(scan_fields[i].name) == name_len &&
		    strncasecmp((const char *)data + f->name_start, scan_fields[i].name,
				name_len) == 0) {
			struct mime_slice *s = &node->fields[scan_fields[i].field];
			if (!s->present) {
				s->start = f->value_start;
				s->end = f->value_end;
				s->present = true;
			}
			return;
		}
	}
}

/* Read the header of node; true if a boundary line cut it short (end_r set). */
static bool scan_header(struct scan_ctx *ctx, struct mime_node *node, struct scan_end *end_r)
{
	size_t pos = node->hdr_start;
	for (;;) {
		if (is_boundary_line(ctx, pos, end_r)) {
			node->body_start = content_end(ctx, end_r, node->hdr_start);
			node->body_end = node->body_start;
			return true;
		}
		struct mime_header_field_pos f;
		size_t next;
		switch (mime_header_next(ctx->data, ctx->size, pos, &f, &next)) {
		case MIME_HEADER_FIELD:
			record_field(node, ctx->data, &f);
			break;
		case MIME_HEADER_JUNK:
			break;
		case MIME_HEADER_END:
		case MIME_HEADER_EOF:
			node->body_start = next;
			return false;
		}
		pos = next;
	}
}

static bool slice_eq_ci(const struct scan_ctx *ctx, const struct mime_slice *s,
			const char *want)
{
	const unsigned char *tok;
	size_t len;
	return s->present &&
	       mime_first_token(ctx->data + s->start, s->end - s->start, &tok, &len) &&
	       mime_bytes_eq_ci(tok, len, want);
}

/* Decide what node is from its Content-Type; for a multipart, copy its
 * boundary into *boundary_r (len 0 when missing or unusable) and say whether
 * it is a multipart/digest. */
static void classify(struct scan_ctx *ctx, struct mime_node *node,
		     struct scan_boundary *boundary_r, bool *digest_r)
{
	const struct mime_slice *ct = &node->fields[MIME_F_CONTENT_TYPE];
	boundary_r->len = 0;
	*digest_r = false;
	node->kind = node->in_digest ? MIME_NODE_MESSAGE : MIME_NODE_LEAF;
	if (!ct->present)
		return;
	struct mime_params params;
	mime_params_init(&params);
	if (mime_params_parse(&params, ctx->data + ct->start, ct->end - ct->start, true) == 0) {
		node->kind = MIME_NODE_LEAF;
		if (mime_bytes_eq_ci(params.token, params.token_len, "multipart")) {
			node->kind = MIME_NODE_MULTIPART;
			*digest_r = mime_bytes_eq_ci(params.subtoken, params.subtoken_len,
						     "digest");
			const unsigned char *b;
			size_t len;
			if (mime_params_get(&params, "boundary", &b, &len) && len > 0 &&
			    len <= MIME_BOUNDARY_MAX) {
				memcpy(boundary_r->text, b, len);
				boundary_r->len = len;
			}
		} else if (mime_bytes_eq_ci(params.token, params.token_len, "message") &&
			   mime_bytes_eq_ci(params.subtoken, params.subtoken_len, "rfc822")) {
			node->kind = MIME_NODE_MESSAGE;
		}
	}
	mime_params_free(&params);
}

static int new_node(struct scan_ctx *ctx, size_t hdr_start, unsigned depth, bool in_digest)
{
	struct mime_tree *tree = ctx->tree;
	if (tree->count >= MIME_PARTS_MAX) {
		ctx->overflow = true;
		return -1;
	}
	tree->nodes = xarray_grow(tree->nodes, tree->count, &tree->cap, sizeof(tree->nodes[0]));
	struct mime_node *node = &tree->nodes[tree->count];
	memset(node, 0, sizeof(*node));
	node->hdr_start = hdr_start;
	node->depth = depth;
	node->in_digest = in_digest;
	node->first_child = -1;
	node->next_sibling = -1;
	return (int)tree->count++;
}

static int scan_entity(struct scan_ctx *ctx, size_t start, unsigned depth, bool in_digest,
		       bool opaque, struct scan_end *end_r);

static void scan_multipart(struct scan_ctx *ctx, int idx, const struct scan_boundary *boundary,
			   bool digest, struct scan_end *end_r)
{
	unsigned depth = ctx->tree->nodes[idx].depth;
	size_t body_start = ctx->tree->nodes[idx].body_start;
	int level = ctx->stack_count++;
	ctx->stack[level] = *boundary;
	find_boundary(ctx, body_start, end_r);
	int last = -1;
	while (end_r->level == level && !end_r->close) {
		size_t child_start = line_end(ctx->data, ctx->size, end_r->at);
		int child = scan_entity(ctx, child_start, depth + 1, digest, false, end_r);
		if (ctx->overflow)
			return;
		if (last < 0)
			ctx->tree->nodes[idx].first_child = child;
		else
			ctx->tree->nodes[last].next_sibling = child;
		last = child;
	}
	ctx->stack_count = level;
	if (end_r->level == level) /* closed: the epilogue runs to an outer boundary */
		find_boundary(ctx, line_end(ctx->data, ctx->size, end_r->at), end_r);
	ctx->tree->nodes[idx].body_end = content_end(ctx, end_r, body_start);
}

static int scan_entity(struct scan_ctx *ctx, size_t start, unsigned depth, bool in_digest,
		       bool opaque, struct scan_end *end_r)
{
	int idx = new_node(ctx, start, depth, in_digest);
	if (idx < 0)
		return -1;
	struct mime_node *node = &ctx->tree->nodes[idx];
	if (scan_header(ctx, node, end_r)) {
		struct scan_boundary unused;
		bool unused_digest;
		classify(ctx, node, &unused, &unused_digest);
		node->opaque = node->kind != MIME_NODE_LEAF;
		return idx;
	}
	struct scan_boundary boundary;
	bool digest;
	classify(ctx, node, &boundary, &digest);
	bool nest_ok = !opaque && depth + 1 < MIME_NESTING_MAX;
	if (node->kind == MIME_NODE_MULTIPART && nest_ok && boundary.len > 0 &&
	    ctx->stack_count < MIME_NESTING_MAX) {
		scan_multipart(ctx, idx, &boundary, digest, end_r);
		return idx;
	}
	const struct mime_slice *cte = &node->fields[MIME_F_CONTENT_TRANSFER_ENCODING];
	bool identity = !cte->present || slice_eq_ci(ctx, cte, "7bit") ||
			slice_eq_ci(ctx, cte, "8bit") || slice_eq_ci(ctx, cte, "binary");
	if (node->kind == MIME_NODE_MESSAGE && nest_ok && identity) {
		size_t body_start = node->body_start;
		int child = scan_entity(ctx, body_start, depth + 1, false, false, end_r);
		if (ctx->overflow)
			return -1;
		node = &ctx->tree->nodes[idx];
		node->first_child = child;
		node->body_end = content_end(ctx, end_r, body_start);
		return idx;
	}
	/* a leaf, or a multipart/message kept whole */
	node->opaque = node->kind != MIME_NODE_LEAF;
	find_boundary(ctx, node->body_start, end_r);
	node->body_end = content_end(ctx, end_r, node->body_start);
	return idx;
}

int mime_tree_scan(const unsigned char *data, size_t size, bool opaque_root,
		   struct mime_tree *tree_r)
{
	memset(tree_r, 0, sizeof(*tree_r));
	tree_r->data = data;
	tree_r->size = size;
	struct scan_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->data = data;
	ctx->size = size;
	ctx->tree = tree_r;
	struct scan_end end;
	(void)scan_entity(ctx, 0, 0, false, opaque_root, &end);
	bool overflow = ctx->overflow;
	free(ctx);
	if (overflow) {
		mime_tree_free(tree_r);
		return -1;
	}
	return 0;
}

void mime_tree_free(struct mime_tree *tree)
{
	free(tree->nodes);
	tree->nodes = NULL;
	tree->count = 0;
	tree->cap = 0;
}
