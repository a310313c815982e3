/* test-ms-parse.c - unit tests for ms-parse.c: a table of assembled
 * commands with the tokens each must give (or the error), literal markers
 * at the end of a line, numbers, and which texts may be quoted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms-parse.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

struct want_arg {
	enum ms_arg_type type;
	const char *data;
	size_t len;
};

#define A(s) { MS_ARG_ATOM, s, sizeof(s) - 1 }
#define S(s) { MS_ARG_STRING, s, sizeof(s) - 1 }

static const struct {
	const char *in;
	size_t len;      /* 0: strlen(in) */
	int ret;
	unsigned count;
	struct want_arg args[MANAGESIEVE_ARGS_MAX + 1];
} token_cases[] = {
	{ "CAPABILITY", 0, 0, 1, { A("CAPABILITY") } },
	{ "logout", 0, 0, 1, { A("logout") } },
	{ "PUTSCRIPT \"foo\" {5+}\r\nkeep;", 0, 0, 3, { A("PUTSCRIPT"), S("foo"), S("keep;") } },
	{ "PUTSCRIPT \"foo\" {5}\r\nkeep;", 0, 0, 3, { A("PUTSCRIPT"), S("foo"), S("keep;") } },
	{ "PUTSCRIPT {3+}\r\nfoo {0+}\r\n", 0, 0, 3, { A("PUTSCRIPT"), S("foo"), S("") } },
	{ "HAVESPACE \"a b\" 1234", 0, 0, 3, { A("HAVESPACE"), S("a b"), A("1234") } },
	{ "NOOP \"a\\\"b\\\\c\"", 0, 0, 2, { A("NOOP"), S("a\"b\\c") } },
	{ "SETACTIVE \"\"", 0, 0, 2, { A("SETACTIVE"), S("") } },
	{ "X {4+}\r\na\r\nb", 0, 0, 2, { A("X"), S("a\r\nb") } },
	{ "X {3+}\r\na\0b", 8 + 3, 0, 2, { A("X"), { MS_ARG_STRING, "a\0b", 3 } } },
	{ "RENAMESCRIPT \"\xc3\xa4\" \"b\"", 0, 0, 3, { A("RENAMESCRIPT"), S("\xc3\xa4"), S("b") } },
	{ "A B C D E", 0, 0, 5, { A("A"), A("B"), A("C"), A("D"), A("E") } },
	{ "", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "A B C D E F", 0, -1, 0, { { 0, NULL, 0 } } },
	{ " CAPABILITY", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "CAPABILITY ", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "NOOP  \"a\"", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "NOOP \"abc", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "NOOP \"a\\b\"", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "NOOP \"a\\", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "NOOP \"a\"b", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "NOOP \"a\r\nb\"", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X {5+}\r\nab", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X {5+}", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X {+}\r\n", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X {99999999999+}\r\n", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X {1+}\r\nab", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X (a)", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X\ta", 0, -1, 0, { { 0, NULL, 0 } } },
	{ "X *", 0, -1, 0, { { 0, NULL, 0 } } },
};

static void test_tokens(void **state)
{
	(void)state;
	for (size_t n = 0; n < N_ELEMENTS(token_cases); n++) {
		size_t len = token_cases[n].len != 0 ? token_cases[n].len : strlen(token_cases[n].in);
		/* a copy with one writable byte after it and nothing readable beyond */
		char *data = malloc(len + 1);
		assert_non_null(data);
		memcpy(data, token_cases[n].in, len);
		data[len] = 'Z';
		struct ms_args args;
		const char *error = NULL;
		int ret = ms_parse_tokens(data, len, &args, &error);
		if (ret != token_cases[n].ret)
			fail_msg("case %zu \"%s\": got %d (%s), want %d", n, token_cases[n].in, ret,
				 error != NULL ? error : "", token_cases[n].ret);
		if (ret < 0) {
			assert_non_null(error);
			free(data);
			continue;
		}
		if (args.count != token_cases[n].count)
			fail_msg("case %zu: got %u tokens, want %u", n, args.count,
				 token_cases[n].count);
		for (unsigned i = 0; i < args.count; i++) {
			const struct want_arg *want = &token_cases[n].args[i];
			const struct ms_arg *got = &args.args[i];
			if (got->type != want->type || got->len != want->len ||
			    memcmp(got->data, want->data, want->len) != 0)
				fail_msg("case %zu token %u: got %d \"%.*s\", want %d \"%s\"", n, i,
					 got->type, (int)got->len, got->data, want->type, want->data);
			if (got->data[got->len] != '\0')
				fail_msg("case %zu token %u: not NUL-terminated", n, i);
		}
		free(data);
	}
}

static const struct {
	const char *line;
	int ret;
	uint64_t size;
} marker_cases[] = {
	{ "PUTSCRIPT \"a\" {12+}", 1, 12 },
	{ "PUTSCRIPT \"a\" {12}", 1, 12 },
	{ "X {0+}", 1, 0 },
	{ "X {4294967295+}", 1, 4294967295ULL },
	{ "X {4294967296+}", -1, 0 },
	{ "X {12345678901+}", -1, 0 },
	{ "X {+}", -1, 0 },
	{ "X {}", -1, 0 },
	{ "X \"{5}\"", 0, 0 },
	{ "X 5}", 0, 0 },
	{ "}", 0, 0 },
	{ "", 0, 0 },
	{ "CAPABILITY", 0, 0 },
};

static void test_literal_marker(void **state)
{
	(void)state;
	for (size_t n = 0; n < N_ELEMENTS(marker_cases); n++) {
		uint64_t size = 0;
		const char *line = marker_cases[n].line;
		int ret = ms_parse_literal_marker(line, strlen(line), &size);
		if (ret != marker_cases[n].ret)
			fail_msg("\"%s\": got %d, want %d", line, ret, marker_cases[n].ret);
		if (ret > 0 && size != marker_cases[n].size)
			fail_msg("\"%s\": got size %llu, want %llu", line, (unsigned long long)size,
				 (unsigned long long)marker_cases[n].size);
	}
}

static void test_number_and_quotable(void **state)
{
	(void)state;
	static const struct {
		struct ms_arg arg;
		int ret;
		uint64_t number;
	} numbers[] = {
		{ { MS_ARG_ATOM, "0", 1 }, 0, 0 },
		{ { MS_ARG_ATOM, "65536", 5 }, 0, 65536 },
		{ { MS_ARG_ATOM, "4294967295", 10 }, 0, 4294967295ULL },
		{ { MS_ARG_ATOM, "4294967296", 10 }, -1, 0 },
		{ { MS_ARG_ATOM, "12a", 3 }, -1, 0 },
		{ { MS_ARG_ATOM, "", 0 }, -1, 0 },
		{ { MS_ARG_STRING, "12", 2 }, -1, 0 },
	};
	for (size_t n = 0; n < N_ELEMENTS(numbers); n++) {
		uint64_t got = 0;
		int ret = ms_parse_number(&numbers[n].arg, &got);
		if (ret != numbers[n].ret || (ret == 0 && got != numbers[n].number))
			fail_msg("number \"%s\": got %d/%llu, want %d/%llu", numbers[n].arg.data, ret,
				 (unsigned long long)got, numbers[n].ret,
				 (unsigned long long)numbers[n].number);
	}
	const char *msg = "line 3: \"x\"";
	assert_true(ms_quotable(msg, strlen(msg)));
	assert_false(ms_quotable("a\r\nb", 4));
	assert_false(ms_quotable("a\0b", 3));
	char big[1100];
	memset(big, 'x', sizeof(big));
	assert_true(ms_quotable(big, 1024));
	assert_false(ms_quotable(big, 1025));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_literal_marker),
		cmocka_unit_test(test_number_and_quotable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
