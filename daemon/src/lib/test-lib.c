/* test-lib.c - unit tests for the small building blocks: buf.c and
 * log_printable(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

static void test_buf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	buf_printf(&b, "%d-%s", 42, "x");
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data + 3, "42-x", 5); /* includes the NUL after */
	for (int i = 0; i < 10000; i++)
		buf_append_byte(&b, 'z');
	assert_int_equal(b.len, 10007);
	size_t len;
	char *s = buf_steal(&b, &len);
	assert_int_equal(len, 10007);
	assert_int_equal(s[len], '\0');
	assert_null(b.data);
	free(s);
	buf_free(&b);
}

struct printable_case {
	const char *in;
	size_t in_len;
	size_t outsize;
	const char *want;
};

static const struct printable_case printable_cases[] = {
	{ "hello", 5, 32, "hello" },
	{ "a\r\nb", 4, 32, "a??b" },
	{ "\xff\x01z", 3, 32, "??z" },
	{ "a\0b", 3, 32, "a?b" },
	{ "0123456789", 10, 8, "0123..." },
	{ "", 0, 8, "" },
};

static void test_log_printable(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(printable_cases) / sizeof(printable_cases[0]); i++) {
		const struct printable_case *c = &printable_cases[i];
		char out[64];
		log_printable(c->in, c->in_len, out, c->outsize);
		if (strcmp(out, c->want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out, c->want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_log_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
