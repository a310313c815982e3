/* sieve-lex.c - the tokens of a Sieve script (RFC 5228 section 8.1):
 * identifiers, tags, numbers with K/M/G, quoted strings (only \\ and \"
 * are escapes; any other backslash is dropped), multi-line "text:" strings
 * (dot-unstuffed, line ends made CRLF), hash and bracket comments, and the
 * punctuation [ ] ( ) { } , ; - each with its line number.
 * Never reads past the end of the text, whatever it holds; every string
 * and number is bounded (SIEVE_STRING_MAX, SIEVE_NUMBER_MAX).
 */
#include "sieve-private.h"
#include "buf.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sieve_lexer_init(struct sieve_lexer *lx, const char *text, size_t len)
{
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
}

void sieve_token_clear(struct sieve_token *tok)
{
	free(tok->str);
	tok->str = NULL;
	tok->len = 0;
}

const char *sieve_token_name(enum sieve_token_kind kind)
{
	switch (kind) {
	case SIEVE_TOK_EOF: return "end of script";
	case SIEVE_TOK_IDENT: return "identifier";
	case SIEVE_TOK_TAG: return "tag";
	case SIEVE_TOK_NUMBER: return "number";
	case SIEVE_TOK_STRING: return "string";
	case SIEVE_TOK_LBRACKET: return "'['";
	case SIEVE_TOK_RBRACKET: return "']'";
	case SIEVE_TOK_LPAREN: return "'('";
	case SIEVE_TOK_RPAREN: return "')'";
	case SIEVE_TOK_LBRACE: return "'{'";
	case SIEVE_TOK_RBRACE: return "'}'";
	case SIEVE_TOK_COMMA: return "','";
	case SIEVE_TOK_SEMICOLON: return "';'";
	}
	return "token";
}

static int lex_fail(struct sieve_lexer *lx, char error[SIEVE_ERROR_MAX], const char *what)
{
	snprintf(error, SIEVE_ERROR_MAX, "line %u: %.200s", lx->line, what);
	return -1;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whitespace and comments before the next token. */
static int skip_space(struct sieve_lexer *lx, char error[SIEVE_ERROR_MAX])
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			unsigned start = lx->line;
			lx->p += 2;
			for (;;) {
				if (lx->p + 1 >= lx->end) {
					lx->line = start;
					return lex_fail(lx, error, "unterminated comment");
				}
				if (lx->p[0] == '*' && lx->p[1] == '/') {
					lx->p += 2;
					break;
				}
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
		} else {
			break;
		}
	}
	return 0;
}

static int lex_quoted(struct sieve_lexer *lx, struct sieve_token *tok, char error[SIEVE_ERROR_MAX])
{
	struct buf b;
	buf_init(&b);
	unsigned start = lx->line;
	lx->p++; /* the opening quote */
	for (;;) {
		if (lx->p >= lx->end) {
			buf_free(&b);
			lx->line = start;
			return lex_fail(lx, error, "unterminated string");
		}
		char c = *lx->p++;
		if (c == '"')
			break;
		if (c == '\\') {
			if (lx->p >= lx->end)
				continue; /* the end reports the missing quote */
			c = *lx->p++; /* "\x" is x: only \\ and \" mean anything */
		}
		if (c == '\n')
			lx->line++;
		if (b.len >= SIEVE_STRING_MAX) {
			buf_free(&b);
			return lex_fail(lx, error, "string too long");
		}
		buf_append_byte(&b, (unsigned char)c);
	}
	tok->kind = SIEVE_TOK_STRING;
	tok->str = buf_steal(&b, &tok->len);
	return 0;
}

/* After "text:": blanks, then a hash comment or the line end; then lines up
 * to one holding only ".". */
static int lex_multiline(struct sieve_lexer *lx, struct sieve_token *tok,
			 char error[SIEVE_ERROR_MAX])
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
	if (lx->p < lx->end && *lx->p == '#') {
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	} else if (lx->p < lx->end && *lx->p == '\r') {
		lx->p++;
	}
	if (lx->p >= lx->end || *lx->p != '\n')
		return lex_fail(lx, error, "text: must be followed by the end of the line");
	lx->p++;
	lx->line++;
	unsigned start = lx->line;
	struct buf b;
	buf_init(&b);
	for (;;) {
		if (lx->p >= lx->end) {
			buf_free(&b);
			lx->line = start;
			return lex_fail(lx, error, "unterminated multi-line string (no line with \".\")");
		}
		const char *nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
		const char *eol = nl != NULL ? nl : lx->end;
		size_t len = (size_t)(eol - lx->p);
		if (len > 0 && lx->p[len - 1] == '\r')
			len--;
		if (len == 1 && lx->p[0] == '.') {
			lx->p = nl != NULL ? nl + 1 : lx->end;
			if (nl != NULL)
				lx->line++;
			break;
		}
		const char *text = lx->p;
		if (len > 0 && text[0] == '.') { /* dot-stuffed */
			text++;
			len--;
		}
		if (b.len + len + 2 > SIEVE_STRING_MAX) {
			buf_free(&b);
			return lex_fail(lx, error, "string too long");
		}
		buf_append(&b, text, len);
		if (nl == NULL) { /* the last line lacks its end: the loop reports it */
			lx->p = lx->end;
			continue;
		}
		buf_append(&b, "\r\n", 2);
		lx->p = nl + 1;
		lx->line++;
	}
	tok->kind = SIEVE_TOK_STRING;
	tok->str = buf_steal(&b, &tok->len);
	return 0;
}

static int lex_number(struct sieve_lexer *lx, struct sieve_token *tok, char error[SIEVE_ERROR_MAX])
{
	uint64_t n = 0;
	while (lx->p < lx->end && is_digit(*lx->p)) {
		n = n * 10 + (uint64_t)(*lx->p - '0');
		if (n > SIEVE_NUMBER_MAX)
			return lex_fail(lx, error, "number too large");
		lx->p++;
	}
	if (lx->p < lx->end) {
		uint64_t mult = 1;
		switch (*lx->p) {
		case 'k': case 'K': mult = 1024; break;
		case 'm': case 'M': mult = 1024 * 1024; break;
		case 'g': case 'G': mult = 1024 * 1024 * 1024; break;
		}
		if (mult > 1) {
			lx->p++;
			if (n > SIEVE_NUMBER_MAX / mult)
				return lex_fail(lx, error, "number too large");
			n *= mult;
		}
	}
	if (lx->p < lx->end && (is_alpha(*lx->p) || is_digit(*lx->p)))
		return lex_fail(lx, error, "bad number");
	tok->kind = SIEVE_TOK_NUMBER;
	tok->number = n;
	return 0;
}

static char *lower_copy(const char *s, size_t len)
{
	char *out = xstrndup(s, len);
	for (size_t i = 0; i < len; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

int sieve_lex_next(struct sieve_lexer *lx, struct sieve_token *tok_r, char error[SIEVE_ERROR_MAX])
{
	memset(tok_r, 0, sizeof(*tok_r));
	if (skip_space(lx, error) < 0)
		return -1;
	tok_r->line = lx->line;
	if (lx->p >= lx->end) {
		tok_r->kind = SIEVE_TOK_EOF;
		return 0;
	}
	char c = *lx->p;
	static const struct {
		char c;
		enum sieve_token_kind kind;
	} punct[] = {
		{ '[', SIEVE_TOK_LBRACKET }, { ']', SIEVE_TOK_RBRACKET }, { '(', SIEVE_TOK_LPAREN },
		{ ')', SIEVE_TOK_RPAREN },   { '{', SIEVE_TOK_LBRACE },   { '}', SIEVE_TOK_RBRACE },
		{ ',', SIEVE_TOK_COMMA },    { ';', SIEVE_TOK_SEMICOLON },
	};
	for (size_t i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
		if (punct[i].c == c) {
			lx->p++;
			tok_r->kind = punct[i].kind;
			return 0;
		}
	}
	if (c == '"')
		return lex_quoted(lx, tok_r, error);
	if (is_digit(c))
		return lex_number(lx, tok_r, error);
	if (c == ':' || is_alpha(c)) {
		const char *start = c == ':' ? lx->p + 1 : lx->p;
		const char *q = start;
		if (q >= lx->end || !is_alpha(*q))
			return lex_fail(lx, error, "':' must be followed by a tag name");
		while (q < lx->end && (is_alpha(*q) || is_digit(*q)))
			q++;
		size_t len = (size_t)(q - start);
		if (len > 128)
			return lex_fail(lx, error, "identifier too long");
		if (c != ':' && len == 4 && strncasecmp(start, "text", 4) == 0 && q < lx->end &&
		    *q == ':') {
			lx->p = q + 1;
			return lex_multiline(lx, tok_r, error);
		}
		lx->p = q;
		tok_r->kind = c == ':' ? SIEVE_TOK_TAG : SIEVE_TOK_IDENT;
		tok_r->str = lower_copy(start, len);
		tok_r->len = len;
		return 0;
	}
	char what[64];
	if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
		snprintf(what, sizeof(what), "unexpected character '%c'", c);
	else
		snprintf(what, sizeof(what), "unexpected byte 0x%02x", (unsigned char)c);
	return lex_fail(lx, error, what);
}
