/* mime-bodystructure.c - the IMAP BODYSTRUCTURE (with extension data) and
 * BODY (without) of a scanned message (RFC 3501 7.4.2).
 *
 * Everything comes from the part tree's offsets and the raw header values:
 * sizes are bytes of the body as stored (still transfer-encoded), lines are
 * LF counts. Types, subtypes and parameters are written as in the message
 * (not decoded); a missing or unparsable Content-Type is text/plain with
 * charset us-ascii (message/rfc822 inside multipart/digest). A multipart
 * whose boundaries were never found gets one empty text/plain child, as the
 * grammar needs at least one. Never reads the part bodies except to count
 * lines.
 */
#include "mime-private.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY_BODY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
#define EMPTY_BODY_EXT \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
#define NIL_ENVELOPE "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"

static void put_bytes(struct buf *out, const unsigned char *p, size_t len)
{
	mime_imap_string(out, p, len);
}

static void put_str(struct buf *out, const char *s)
{
	mime_imap_string(out, (const unsigned char *)s, strlen(s));
}

static void put_params(struct buf *out, const struct mime_params *p, bool text_default)
{
	if (p->count == 0) {
		buf_append_str(out, text_default ? "(\"charset\" \"us-ascii\")" : "NIL");
		return;
	}
	buf_append_byte(out, '(');
	for (size_t i = 0; i < p->count; i++) {
		if (i > 0)
			buf_append_byte(out, ' ');
		put_bytes(out, p->params[i].name, p->params[i].name_len);
		buf_append_byte(out, ' ');
		put_bytes(out, p->values.data + p->params[i].value_off, p->params[i].value_len);
	}
	buf_append_byte(out, ')');
}

static void put_disposition(struct buf *out, const unsigned char *data, const struct mime_slice *s)
{
	struct mime_params p;
	mime_params_init(&p);
	if (!s->present || mime_params_parse(&p, data + s->start, s->end - s->start, false) < 0) {
		buf_append_str(out, "NIL");
	} else {
		buf_append_byte(out, '(');
		put_bytes(out, p.token, p.token_len);
		buf_append_byte(out, ' ');
		put_params(out, &p, false);
		buf_append_byte(out, ')');
	}
	mime_params_free(&p);
}

struct language_ctx {
	struct buf *out;
	size_t count;
};

static void language_cb(const unsigned char *tok, size_t tok_len, void *context)
{
	struct language_ctx *ctx = context;
	buf_append_byte(ctx->out, ctx->count == 0 ? '(' : ' ');
	put_bytes(ctx->out, tok, tok_len);
	ctx->count++;
}

static void put_language(struct buf *out, const unsigned char *data, const struct mime_slice *s)
{
	struct language_ctx ctx = { out, 0 };
	if (s->present)
		mime_language_each(data + s->start, s->end - s->start, language_cb, &ctx);
	buf_append_str(out, ctx.count == 0 ? "NIL" : ")");
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void put_ext_common(struct buf *out, const unsigned char *data, const struct mime_node *n)
{
	buf_append_byte(out, ' ');
	put_disposition(out, data, &n->fields[MIME_F_CONTENT_DISPOSITION]);
	buf_append_byte(out, ' ');
	put_language(out, data, &n->fields[MIME_F_CONTENT_LANGUAGE]);
	buf_append_byte(out, ' ');
	mime_imap_field(out, data, &n->fields[MIME_F_CONTENT_LOCATION]);
}

static void put_multipart(struct buf *out, const struct mime_tree *tree, int idx,
			  const struct mime_params *ct, bool extended)
{
	const struct mime_node *n = &tree->nodes[idx];
	buf_append_byte(out, '(');
	if (n->first_child < 0)
		buf_append_str(out, extended ? EMPTY_BODY_EXT : EMPTY_BODY);
	for (int c = n->first_child; c >= 0; c = tree->nodes[c].next_sibling)
		mime_bodystructure_append(out, tree, c, extended);
	buf_append_byte(out, ' ');
	put_bytes(out, ct->subtoken, ct->subtoken_len);
	if (extended) {
		buf_append_byte(out, ' ');
		put_params(out, ct, false);
		put_ext_common(out, tree->data, n);
	}
	buf_append_byte(out, ')');
}

static void put_single(struct buf *out, const struct mime_tree *tree, int idx,
		       const struct mime_params *ct, bool ct_ok, bool extended)
{
	const struct mime_node *n = &tree->nodes[idx];
	const unsigned char *data = tree->data;
	bool is_text;
	buf_append_byte(out, '(');
	if (ct_ok) {
		put_bytes(out, ct->token, ct->token_len);
		buf_append_byte(out, ' ');
		put_bytes(out, ct->subtoken, ct->subtoken_len);
		is_text = mime_bytes_eq_ci(ct->token, ct->token_len, "text");
	} else if (n->kind == MIME_NODE_MESSAGE) {
		buf_append_str(out, "\"message\" \"rfc822\"");
		is_text = false;
	} else {
		buf_append_str(out, "\"text\" \"plain\"");
		is_text = true;
	}
	buf_append_byte(out, ' ');
	put_params(out, ct, is_text);
	buf_append_byte(out, ' ');
	mime_imap_field(out, data, &n->fields[MIME_F_CONTENT_ID]);
	buf_append_byte(out, ' ');
	mime_imap_field(out, data, &n->fields[MIME_F_CONTENT_DESCRIPTION]);
	buf_append_byte(out, ' ');
	const struct mime_slice *cte = &n->fields[MIME_F_CONTENT_TRANSFER_ENCODING];
	const unsigned char *enc;
	size_t enc_len;
	if (cte->present && mime_first_token(data + cte->start, cte->end - cte->start, &enc,
					     &enc_len))
		put_bytes(out, enc, enc_len);
	else
		put_str(out, "7bit");
	buf_printf(out, " %zu", n->body_end - n->body_start);
	if (n->kind == MIME_NODE_MESSAGE) {
		buf_append_byte(out, ' ');
		if (n->first_child >= 0) {
			mime_envelope_append(out, tree, n->first_child);
			buf_append_byte(out, ' ');
			mime_bodystructure_append(out, tree, n->first_child, extended);
		} else {
			buf_append_str(out, NIL_ENVELOPE " ");
			buf_append_str(out, extended ? EMPTY_BODY_EXT : EMPTY_BODY);
		}
	}
	if (n->kind == MIME_NODE_MESSAGE || is_text)
		buf_printf(out, " %zu", mime_count_lf(data, n->body_start, n->body_end));
	if (extended) {
		buf_append_byte(out, ' ');
		mime_imap_field(out, data, &n->fields[MIME_F_CONTENT_MD5]);
		put_ext_common(out, data, n);
	}
	buf_append_byte(out, ')');
}

void mime_bodystructure_append(struct buf *out, const struct mime_tree *tree, int idx,
			       bool extended)
{
	const struct mime_node *n = &tree->nodes[idx];
	const struct mime_slice *s = &n->fields[MIME_F_CONTENT_TYPE];
	/* on the heap: this recurses once per nesting level */
	struct mime_params *ct = xmalloc(sizeof(*ct));
	mime_params_init(ct);
	bool ct_ok = s->present &&
		     mime_params_parse(ct, tree->data + s->start, s->end - s->start, true) == 0;
	if (!ct_ok)
		ct->count = 0;
	if (n->kind == MIME_NODE_MULTIPART)
		put_multipart(out, tree, idx, ct, extended);
	else
		put_single(out, tree, idx, ct, ct_ok, extended);
	mime_params_free(ct);
	free(ct);
}
