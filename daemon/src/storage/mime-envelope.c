/* mime-envelope.c - the IMAP ENVELOPE of a message (RFC 3501 7.4.2):
 * date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
 * message-id, with address lists parsed per RFC 5322 (groups, routes,
 * obsolete forms tolerated).
 *
 * Strings are the header text as written (unfolded, not RFC 2047 decoded),
 * cleaned to UTF-8 by mime-string.c. Sender and Reply-To default to From.
 * A mailbox without a local part or domain gets MISSING_MAILBOX /
 * MISSING_DOMAIN, because a NIL host means a group marker. Never fails:
 * unparsable text is skipped up to the next comma.
 */
#include "mime-private.h"

#include <string.h>

#define MISSING_MAILBOX "MISSING_MAILBOX"
#define MISSING_DOMAIN "MISSING_DOMAIN"

enum addr_tok {
	ADDR_TOK_END,
	ADDR_TOK_ATOM,    /* dot-atom or obsolete word run */
	ADDR_TOK_QUOTED,  /* "..." (raw, quotes included) */
	ADDR_TOK_DOMLIT,  /* [...] */
	ADDR_TOK_SPECIAL, /* one of < > @ , ; : */
};

struct addr_lexer {
	const unsigned char *p, *end;
	const unsigned char *comment; /* last comment seen, without parentheses */
	size_t comment_len;
	/* the current token */
	enum addr_tok tok;
	const unsigned char *start;
	size_t len;
};

struct addr_parser {
	struct addr_lexer lx;
	struct buf name;   /* display name words, joined by one space */
	struct buf local;  /* the same words, raw and joined without space */
	struct buf domain;
	struct buf adl;
	struct buf *out;   /* the addresses, each "(...)" */
	size_t count;
};

static bool is_addr_special(unsigned char c)
{
	return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':';
}

static void skip_comment(struct addr_lexer *lx)
{
	const unsigned char *start = lx->p + 1;
	size_t nesting = 0;
	while (lx->p < lx->end) {
		unsigned char c = *lx->p++;
		if (c == '\\' && lx->p < lx->end) {
			lx->p++;
		} else if (c == '(') {
			nesting++;
		} else if (c == ')' && --nesting == 0) {
			lx->comment = start;
			lx->comment_len = (size_t)(lx->p - 1 - start);
			return;
		}
	}
	lx->comment = start;
	lx->comment_len = (size_t)(lx->p - start);
}

static void lex_next(struct addr_lexer *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\n')
			lx->p++;
		else if (*lx->p == '(')
			skip_comment(lx);
		else
			break;
	}
	lx->start = lx->p;
	if (lx->p >= lx->end) {
		lx->tok = ADDR_TOK_END;
		lx->len = 0;
		return;
	}
	unsigned char c = *lx->p;
	if (c == '"' || c == '[') {
		unsigned char close = c == '"' ? '"' : ']';
		lx->tok = c == '"' ? ADDR_TOK_QUOTED : ADDR_TOK_DOMLIT;
		lx->p++;
		while (lx->p < lx->end && *lx->p != close) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			lx->p++;
		}
		if (lx->p < lx->end)
			lx->p++;
	} else if (is_addr_special(c)) {
		lx->tok = ADDR_TOK_SPECIAL;
		lx->p++;
	} else {
		lx->tok = ADDR_TOK_ATOM;
		while (lx->p < lx->end && !is_addr_special(*lx->p) && *lx->p != ' ' &&
		       *lx->p != '\t' && *lx->p != '\r' && *lx->p != '\n' && *lx->p != '"' &&
		       *lx->p != '(' && *lx->p != '[')
			lx->p++;
	}
	lx->len = (size_t)(lx->p - lx->start);
}

static bool tok_is(const struct addr_lexer *lx, unsigned char special)
{
	return lx->tok == ADDR_TOK_SPECIAL && lx->start[0] == special;
}

static bool tok_is_word(const struct addr_lexer *lx)
{
	return lx->tok == ADDR_TOK_ATOM || lx->tok == ADDR_TOK_QUOTED ||
	       lx->tok == ADDR_TOK_DOMLIT;
}

/* Append the current word to the display name (unquoted) and local part. */
static void add_word(struct addr_parser *ap)
{
	struct addr_lexer *lx = &ap->lx;
	buf_append(&ap->local, lx->start, lx->len);
	if (ap->name.len > 0)
		buf_append_byte(&ap->name, ' ');
	if (lx->tok != ADDR_TOK_QUOTED) {
		buf_append(&ap->name, lx->start, lx->len);
		return;
	}
	const unsigned char *p = lx->start + 1;
	const unsigned char *end = lx->start + lx->len;
	if (end > p && end[-1] == '"')
		end--;
	while (p < end) {
		if (*p == '\\' && p + 1 < end)
			p++;
		buf_append_byte(&ap->name, *p++);
	}
}

/* Words up to the next special, into domain (raw, no spaces). */
static void read_domain(struct addr_parser *ap)
{
	buf_reset(&ap->domain);
	while (tok_is_word(&ap->lx)) {
		buf_append(&ap->domain, ap->lx.start, ap->lx.len);
		lex_next(&ap->lx);
	}
}

static void put_nstring(struct buf *out, const struct buf *b, const char *if_empty)
{
	if (b->len > 0)
		mime_imap_string(out, b->data, b->len);
	else if (if_empty != NULL)
		mime_imap_string(out, (const unsigned char *)if_empty, strlen(if_empty));
	else
		buf_append_str(out, "NIL");
}

static void emit(struct addr_parser *ap, const struct buf *name, const struct buf *adl,
		 const struct buf *mailbox, const struct buf *host)
{
	struct buf *out = ap->out;
	buf_append_byte(out, '(');
	put_nstring(out, name, NULL);
	buf_append_byte(out, ' ');
	put_nstring(out, adl, NULL);
	buf_append_byte(out, ' ');
	put_nstring(out, mailbox, MISSING_MAILBOX);
	buf_append_byte(out, ' ');
	put_nstring(out, host, MISSING_DOMAIN);
	buf_append_byte(out, ')');
	ap->count++;
}

static void emit_group(struct addr_parser *ap, const struct buf *name)
{
	buf_append_str(ap->out, "(NIL NIL ");
	if (name != NULL)
		mime_imap_string(ap->out, name->data == NULL ? (const unsigned char *)"" : name->data,
				 name->len);
	else
		buf_append_str(ap->out, "NIL");
	buf_append_str(ap->out, " NIL)");
	ap->count++;
}

/* The display name when there is none: a trailing comment, as in
 * "user@host (Real Name)". */
static void comment_as_name(struct addr_parser *ap)
{
	if (ap->name.len == 0 && ap->lx.comment != NULL)
		mime_append_clean(&ap->name, ap->lx.comment, ap->lx.comment_len, true);
}

/* After '<': [route ":"] local-part ["@" domain] [">"]. */
static void parse_angle(struct addr_parser *ap)
{
	struct buf local;
	buf_init(&local);
	buf_reset(&ap->adl);
	buf_reset(&ap->domain);
	lex_next(&ap->lx);
	if (tok_is(&ap->lx, '@')) {
		/* obsolete route "@a,@b:" or a bare "@domain" */
		while (ap->lx.tok != ADDR_TOK_END && !tok_is(&ap->lx, ':') && !tok_is(&ap->lx, '>')) {
			buf_append(&ap->adl, ap->lx.start, ap->lx.len);
			lex_next(&ap->lx);
		}
		if (tok_is(&ap->lx, ':')) {
			lex_next(&ap->lx);
		} else {
			/* no route after all: "<@domain>" */
			if (ap->adl.len > 1)
				buf_append(&ap->domain, ap->adl.data + 1, ap->adl.len - 1);
			buf_reset(&ap->adl);
		}
	}
	while (tok_is_word(&ap->lx)) {
		buf_append(&local, ap->lx.start, ap->lx.len);
		lex_next(&ap->lx);
	}
	if (tok_is(&ap->lx, '@')) {
		lex_next(&ap->lx);
		read_domain(ap);
	}
	if (tok_is(&ap->lx, '>'))
		lex_next(&ap->lx);
	emit(ap, &ap->name, &ap->adl, &local, &ap->domain);
	buf_free(&local);
}

/* Skip to the ',' or ';' ending an address (or the end); leaves it current. */
static void skip_junk(struct addr_parser *ap)
{
	while (ap->lx.tok != ADDR_TOK_END && !tok_is(&ap->lx, ',') && !tok_is(&ap->lx, ';'))
		lex_next(&ap->lx);
}

static void parse_address_list(struct addr_parser *ap)
{
	bool in_group = false;
	struct buf empty;
	buf_init(&empty);
	lex_next(&ap->lx);
	while (ap->lx.tok != ADDR_TOK_END && ap->count < MIME_ADDRESSES_MAX) {
		buf_reset(&ap->name);
		buf_reset(&ap->local);
		ap->lx.comment = NULL;
		while (tok_is_word(&ap->lx)) {
			add_word(ap);
			lex_next(&ap->lx);
		}
		if (tok_is(&ap->lx, '<')) {
			parse_angle(ap);
			skip_junk(ap);
		} else if (tok_is(&ap->lx, '@')) {
			lex_next(&ap->lx);
			read_domain(ap);
			skip_junk(ap);
			buf_reset(&ap->name);
			comment_as_name(ap);
			emit(ap, &ap->name, &empty, &ap->local, &ap->domain);
		} else if (tok_is(&ap->lx, ':')) {
			if (in_group)
				emit_group(ap, NULL);
			emit_group(ap, &ap->name);
			in_group = true;
			lex_next(&ap->lx);
			continue;
		} else if (ap->local.len > 0) {
			/* a bare word: a local part without a domain */
			skip_junk(ap);
			buf_reset(&ap->name);
			comment_as_name(ap);
			emit(ap, &ap->name, &empty, &ap->local, &empty);
		}
		if (tok_is(&ap->lx, ';') && in_group) {
			emit_group(ap, NULL);
			in_group = false;
		}
		if (ap->lx.tok != ADDR_TOK_END)
			lex_next(&ap->lx); /* the separator, or a stray special */
	}
	if (in_group)
		emit_group(ap, NULL);
}

/* The address list of field s as "((...)(...))", or NIL if it has none. */
static void address_list(struct buf *out, const unsigned char *data, const struct mime_slice *s)
{
	if (!s->present) {
		buf_append_str(out, "NIL");
		return;
	}
	struct buf value, list;
	buf_init(&value);
	buf_init(&list);
	mime_append_clean(&value, data + s->start, s->end - s->start, true);
	struct addr_parser ap;
	memset(&ap, 0, sizeof(ap));
	buf_init(&ap.name);
	buf_init(&ap.local);
	buf_init(&ap.domain);
	buf_init(&ap.adl);
	ap.out = &list;
	if (value.len > 0) {
		ap.lx.p = value.data;
		ap.lx.end = value.data + value.len;
		parse_address_list(&ap);
	}
	if (ap.count == 0) {
		buf_append_str(out, "NIL");
	} else {
		buf_append_byte(out, '(');
		buf_append(out, list.data, list.len);
		buf_append_byte(out, ')');
	}
	buf_free(&ap.name);
	buf_free(&ap.local);
	buf_free(&ap.domain);
	buf_free(&ap.adl);
	buf_free(&list);
	buf_free(&value);
}

void mime_envelope_append(struct buf *out, const struct mime_tree *tree, int node)
{
	const struct mime_node *n = &tree->nodes[node];
	const unsigned char *data = tree->data;
	struct buf from;
	buf_init(&from);
	address_list(&from, data, &n->fields[MIME_F_FROM]);

	buf_append_byte(out, '(');
	mime_imap_field(out, data, &n->fields[MIME_F_DATE]);
	buf_append_byte(out, ' ');
	mime_imap_field(out, data, &n->fields[MIME_F_SUBJECT]);
	buf_append_byte(out, ' ');
	buf_append(out, from.data, from.len);
	static const enum mime_field defaulted[] = { MIME_F_SENDER, MIME_F_REPLY_TO };
	for (size_t i = 0; i < 2; i++) {
		buf_append_byte(out, ' ');
		size_t before = out->len;
		address_list(out, data, &n->fields[defaulted[i]]);
		if (out->len - before == 3 && memcmp(out->data + before, "NIL", 3) == 0) {
			out->len = before; /* absent or empty: same as From */
			buf_append(out, from.data, from.len);
		}
	}
	static const enum mime_field lists[] = { MIME_F_TO, MIME_F_CC, MIME_F_BCC };
	for (size_t i = 0; i < 3; i++) {
		buf_append_byte(out, ' ');
		address_list(out, data, &n->fields[lists[i]]);
	}
	buf_append_byte(out, ' ');
	mime_imap_field(out, data, &n->fields[MIME_F_IN_REPLY_TO]);
	buf_append_byte(out, ' ');
	mime_imap_field(out, data, &n->fields[MIME_F_MESSAGE_ID]);
	buf_append_byte(out, ')');
	buf_free(&from);
}
