/* test-sieve-lex.c - unit tests for sieve-lex.c and sieve-match.c: a table
 * of script fragments with the tokens each must give, written as one line
 * ("id:if tag:is str<a\"b> num:1024 [ ] ;" with the line number of the
 * last token), the errors with their line numbers; then the :matches
 * wildcards (escapes, UTF-8 '?', no exponential backtracking) and the
 * i;ascii-numeric order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "sieve-private.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *text;
	const char *tokens; /* or the error */
	unsigned last_line;
} lex_cases[] = {
	{ "", "", 1 },
	{ "keep;", "id:keep ;", 1 },
	{ "IF Header :IS", "id:if id:header tag:is", 1 },
	{ "[ ] ( ) { } , ;", "[ ] ( ) { } , ;", 1 },
	{ "0 17 1k 2M 3g 007", "num:0 num:17 num:1024 num:2097152 num:3221225472 num:7", 1 },
	{ "\"a\\\"b\\\\c\\d\"", "str<a\"b\\cd>", 1 },
	{ "\"two\nlines\" x", "str<two\nlines> id:x", 2 },
	{ "# comment\nkeep # more\n;", "id:keep ;", 3 },
	{ "/* a\n b */ stop /**/;", "id:stop ;", 2 },
	{ "text:\nline 1\n..dot\n.\n;", "str<line 1\r\n.dot\r\n> ;", 5 },
	{ "text: # why not\r\nA\r\n.\r\n", "str<A\r\n>", 1 },
	{ "text:\n.\nx", "str<> id:x", 3 },
	{ "TEXT:\n\n.\n", "str<\r\n>", 1 },
	{ "text :x", "id:text tag:x", 1 },
	{ "a_b _c d9", "id:a_b id:_c id:d9", 1 },
	/* errors */
	{ "\"open", "ERR line 1: unterminated string", 0 },
	{ "x\n\"open\n\n", "ERR line 2: unterminated string", 0 },
	{ "/* open", "ERR line 1: unterminated comment", 0 },
	{ "text:\nno end\n", "ERR line 2: unterminated multi-line string (no line with \".\")", 0 },
	{ "text: x\n.\n", "ERR line 1: text: must be followed by the end of the line", 0 },
	{ "9007199254740993", "ERR line 1: number too large", 0 },
	{ "8388609G", "ERR line 1: number too large", 0 },
	{ "12ab", "ERR line 1: bad number", 0 },
	{ ":", "ERR line 1: ':' must be followed by a tag name", 0 },
	{ ":9", "ERR line 1: ':' must be followed by a tag name", 0 },
	{ "\n\n$", "ERR line 3: unexpected character '$'", 0 },
	{ "\x01", "ERR line 1: unexpected byte 0x01", 0 },
};

static char *lex_all(const char *text, unsigned *last_line_r)
{
	struct sieve_lexer lx;
	sieve_lexer_init(&lx, text, strlen(text));
	struct buf b;
	buf_init(&b);
	char error[SIEVE_ERROR_MAX];
	*last_line_r = 1;
	for (;;) {
		struct sieve_token tok;
		if (sieve_lex_next(&lx, &tok, error) < 0) {
			buf_reset(&b);
			buf_printf(&b, "ERR %s", error);
			*last_line_r = 0;
			break;
		}
		if (tok.kind == SIEVE_TOK_EOF)
			break;
		*last_line_r = tok.line;
		if (b.len > 0)
			buf_append_byte(&b, ' ');
		switch (tok.kind) {
		case SIEVE_TOK_IDENT: buf_printf(&b, "id:%s", tok.str); break;
		case SIEVE_TOK_TAG: buf_printf(&b, "tag:%s", tok.str); break;
		case SIEVE_TOK_NUMBER: buf_printf(&b, "num:%llu", (unsigned long long)tok.number); break;
		case SIEVE_TOK_STRING: buf_printf(&b, "str<%s>", tok.str); break;
		default: {
			const char *name = sieve_token_name(tok.kind); /* "'['" */
			buf_append(&b, name + 1, 1);
		}
		}
		sieve_token_clear(&tok);
	}
	return buf_steal(&b, NULL);
}

static void test_lex(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(lex_cases); i++) {
		unsigned line;
		char *got = lex_all(lex_cases[i].text, &line);
		if (strcmp(got, lex_cases[i].tokens) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", lex_cases[i].text, got,
				 lex_cases[i].tokens);
		if (line != lex_cases[i].last_line)
			fail_msg("\"%s\": got last line %u, want %u", lex_cases[i].text, line,
				 lex_cases[i].last_line);
		free(got);
	}
}

/* The lexer must respect the length: the byte after it is never read. */
static void test_lex_length(void **state)
{
	(void)state;
	char *text = malloc(5);
	memcpy(text, "\"abc", 4);
	text[4] = '"';
	struct sieve_lexer lx;
	sieve_lexer_init(&lx, text, 4);
	struct sieve_token tok;
	char error[SIEVE_ERROR_MAX];
	assert_int_equal(sieve_lex_next(&lx, &tok, error), -1);
	assert_string_equal(error, "line 1: unterminated string");
	free(text);
}

static const struct {
	const char *pattern, *value;
	bool casemap, want;
} glob_cases[] = {
	{ "", "", true, true },
	{ "*", "", true, true },
	{ "*", "anything", true, true },
	{ "?", "", true, false },
	{ "?", "\xc3\xbc", true, true }, /* one character, two bytes */
	{ "??", "\xc3\xbc", true, false },
	{ "a*c", "abbbc", true, true },
	{ "a*c", "abbbd", true, false },
	{ "A*C", "abc", true, true },
	{ "A*C", "abc", false, false },
	{ "*make*money*fast*", "Make lots of MONEY very fast!", true, true },
	{ "\\*", "*", true, true },
	{ "\\*", "x", true, false },
	{ "\\?x", "?x", true, true },
	{ "a\\\\b", "a\\b", true, true },
	{ "a\\", "a\\", true, true },
	{ "*a?", "bab", true, true },
	{ "*a?", "ba", true, false },
	{ "**x**", "yyxyy", true, true },
};

static void test_glob(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(glob_cases); i++) {
		bool got = sieve_match_glob(glob_cases[i].pattern, glob_cases[i].value,
					    glob_cases[i].casemap);
		if (got != glob_cases[i].want)
			fail_msg("\"%s\" on \"%s\": got %d, want %d", glob_cases[i].pattern,
				 glob_cases[i].value, got, glob_cases[i].want);
	}
}

/* The classic exponential case for naive backtracking finishes at once. */
static void test_glob_bounded(void **state)
{
	(void)state;
	struct buf pat, val;
	buf_init(&pat);
	buf_init(&val);
	for (int i = 0; i < 2000; i++) {
		buf_append_str(&pat, "*a");
		buf_append_str(&val, "aa");
	}
	buf_append_str(&pat, "*b");
	clock_t start = clock();
	assert_false(sieve_match_glob((const char *)pat.data, (const char *)val.data, true));
	double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	if (secs > 2.0)
		fail_msg("got %.1f s for a 4000-byte :matches, want well under 2 s", secs);
	buf_free(&pat);
	buf_free(&val);
}

static const struct {
	const char *a, *b;
	int want;
} numeric_cases[] = {
	{ "1", "1", 0 },
	{ "1", "2", -1 },
	{ "10", "9", 1 },
	{ "007", "7", 0 },
	{ "12abc", "12", 0 },
	{ "abc", "99999", 1 },  /* no digits: positive infinity */
	{ "abc", "xyz", 0 },
	{ "", "0", 1 },
	{ "123456789012345678901234", "123456789012345678901235", -1 },
	{ "99999999999999999999", "1", 1 },
	{ "5", "00000000000000000000000000005", 0 },
};

static void test_numeric(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(numeric_cases); i++) {
		int got = sieve_numeric_compare(numeric_cases[i].a, numeric_cases[i].b);
		if (got != numeric_cases[i].want)
			fail_msg("\"%s\" vs \"%s\": got %d, want %d", numeric_cases[i].a,
				 numeric_cases[i].b, got, numeric_cases[i].want);
		int back = sieve_numeric_compare(numeric_cases[i].b, numeric_cases[i].a);
		if (back != -numeric_cases[i].want)
			fail_msg("\"%s\" vs \"%s\": got %d, want %d", numeric_cases[i].b,
				 numeric_cases[i].a, back, -numeric_cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lex),
		cmocka_unit_test(test_lex_length),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_glob_bounded),
		cmocka_unit_test(test_numeric),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
