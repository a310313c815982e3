/* mime-params.c - read structured MIME header values: Content-Type
 * "type/subtype; name=value", Content-Disposition "token; name=value",
 * Content-Language "tag, tag" and Content-Transfer-Encoding "token"
 * (RFC 2045, 2183, 3282), skipping comments and folding.
 *
 * Lenient: a parameter that does not parse is skipped, never the whole
 * value. Values are unquoted and unfolded but not decoded (RFC 2231 and
 * RFC 2047 forms stay as written). Never reads outside the value given.
 */
#include "mime-private.h"

#include <string.h>

struct lexer {
	const unsigned char *p;
	const unsigned char *end;
};

static bool is_tspecial(unsigned char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL && c != '\0';
}

static bool is_token_char(unsigned char c)
{
	/* RFC 2045 token, plus 8-bit bytes that broken mailers send raw */
	return c > 32 && c != 127 && !is_tspecial(c);
}

static void skip_cfws(struct lexer *lx)
{
	while (lx->p < lx->end) {
		unsigned char c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
		} else if (c == '(') {
			size_t nesting = 0;
			while (lx->p < lx->end) {
				c = *lx->p++;
				if (c == '\\' && lx->p < lx->end)
					lx->p++;
				else if (c == '(')
					nesting++;
				else if (c == ')' && --nesting == 0)
					break;
			}
		} else {
			break;
		}
	}
}

static bool read_token(struct lexer *lx, const unsigned char **tok_r, size_t *len_r)
{
	const unsigned char *start = lx->p;
	while (lx->p < lx->end && is_token_char(*lx->p))
		lx->p++;
	*tok_r = start;
	*len_r = (size_t)(lx->p - start);
	return *len_r > 0;
}

/* A quoted-string (unquoted, CR and LF of folding dropped) or a bare value. */
static void read_value(struct lexer *lx, struct buf *out)
{
	if (lx->p < lx->end && *lx->p == '"') {
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			unsigned char c = *lx->p++;
			if (c == '\\' && lx->p < lx->end)
				c = *lx->p++;
			if (c != '\r' && c != '\n')
				buf_append_byte(out, c);
		}
		if (lx->p < lx->end)
			lx->p++; /* closing quote */
		return;
	}
	const unsigned char *start = lx->p;
	while (lx->p < lx->end && *lx->p != ';' && *lx->p != ' ' && *lx->p != '\t' &&
	       *lx->p != '\r' && *lx->p != '\n' && *lx->p != '"')
		lx->p++;
	buf_append(out, start, (size_t)(lx->p - start));
}

static void skip_to_semicolon(struct lexer *lx)
{
	while (lx->p < lx->end && *lx->p != ';')
		lx->p++;
}

bool mime_bytes_eq_ci(const unsigned char *a, size_t a_len, const char *b)
{
	size_t b_len = strlen(b);
	if (a_len != b_len)
		return false;
	for (size_t i = 0; i < a_len; i++) {
		unsigned char x = a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

void mime_params_init(struct mime_params *p)
{
	p->token = NULL;
	p->token_len = 0;
	p->subtoken = NULL;
	p->subtoken_len = 0;
	p->count = 0;
	buf_init(&p->values);
}

void mime_params_free(struct mime_params *p)
{
	buf_free(&p->values);
	p->count = 0;
}

int mime_params_parse(struct mime_params *p, const unsigned char *value, size_t len,
		      bool with_subtype)
{
	struct lexer lx = { value, value + len };
	skip_cfws(&lx);
	if (!read_token(&lx, &p->token, &p->token_len))
		return -1;
	if (with_subtype) {
		skip_cfws(&lx);
		if (lx.p >= lx.end || *lx.p != '/')
			return -1;
		lx.p++;
		skip_cfws(&lx);
		if (!read_token(&lx, &p->subtoken, &p->subtoken_len))
			return -1;
	}
	for (;;) {
		skip_cfws(&lx);
		if (lx.p >= lx.end)
			break;
		if (*lx.p != ';') {
			skip_to_semicolon(&lx);
			continue;
		}
		lx.p++;
		skip_cfws(&lx);
		const unsigned char *name;
		size_t name_len;
		if (!read_token(&lx, &name, &name_len)) {
			skip_to_semicolon(&lx);
			continue;
		}
		skip_cfws(&lx);
		if (lx.p >= lx.end || *lx.p != '=') {
			skip_to_semicolon(&lx);
			continue;
		}
		lx.p++;
		skip_cfws(&lx);
		size_t off = p->values.len;
		read_value(&lx, &p->values);
		if (p->count < MIME_PARAMS_MAX) {
			struct mime_param *param = &p->params[p->count++];
			param->name = name;
			param->name_len = name_len;
			param->value_off = off;
			param->value_len = p->values.len - off;
		} else {
			p->values.len = off;
		}
	}
	return 0;
}

bool mime_params_get(const struct mime_params *p, const char *name,
		     const unsigned char **value_r, size_t *len_r)
{
	for (size_t i = 0; i < p->count; i++) {
		if (mime_bytes_eq_ci(p->params[i].name, p->params[i].name_len, name)) {
			*value_r = p->values.data + p->params[i].value_off;
			*len_r = p->params[i].value_len;
			return true;
		}
	}
	return false;
}

void mime_language_each(const unsigned char *value, size_t len,
			void (*cb)(const unsigned char *tok, size_t tok_len, void *ctx),
			void *ctx)
{
	struct lexer lx = { value, value + len };
	for (;;) {
		skip_cfws(&lx);
		if (lx.p >= lx.end)
			break;
		const unsigned char *tok;
		size_t tok_len;
		if (read_token(&lx, &tok, &tok_len))
			cb(tok, tok_len, ctx);
		else
			lx.p++; /* a separator or a stray special */
	}
}

bool mime_first_token(const unsigned char *value, size_t len, const unsigned char **tok_r,
		      size_t *tok_len_r)
{
	struct lexer lx = { value, value + len };
	skip_cfws(&lx);
	return read_token(&lx, tok_r, tok_len_r);
}
