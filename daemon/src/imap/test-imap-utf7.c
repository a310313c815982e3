/* test-imap-utf7.c - unit tests for imap-utf7.c: a table of UTF-8 names and
 * their modified UTF-7 form (both directions), and wire names that must be
 * refused (malformed or non-canonical).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap-utf7.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *utf8;
	const char *utf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "a&b", "a&-b" },
	{ "&", "&-" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },                      /* RFC 3501 5.1.3 */
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	{ "\xc3\xa9t\xc3\xa9", "&AOk-t&AOk-" },
	{ "\xf0\x9f\x93\xa7 mail", "&2D3c5w- mail" },                 /* surrogate pair */
	{ "tab\there", "tab&AAk-here" },                           /* control char */
	{ "\xc3\xa9\xc3\xa8", "&AOkA6A-" },
};

static const char *const bad_utf7[] = {
	"&", "&AOk", "&AOk=-", "&-&", "&AGE-",   /* 'a' encoded: not canonical */
	"&2D3-", "&3OcA-", "&A-", "caf\xc3\xa9", "a\x01", "&AOl-", "&\xff-", "&AOk-&AOk-",
};

static const char *const bad_utf8[] = {
	"\xc3", "\xc3(", "\xed\xa0\x80", "\xc0\xaf", "\xff", "\xf4\x90\x80\x80",
};

static void test_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(pairs); i++) {
		struct buf out;
		const char *error = NULL;
		buf_init(&out);
		if (imap_utf8_to_utf7(pairs[i].utf8, strlen(pairs[i].utf8), &out, &error) < 0)
			fail_msg("encode \"%s\": got error %s, want \"%s\"", pairs[i].utf8, error,
				 pairs[i].utf7);
		buf_append_byte(&out, '\0');
		if (strcmp((char *)out.data, pairs[i].utf7) != 0)
			fail_msg("encode \"%s\": got \"%s\", want \"%s\"", pairs[i].utf8,
				 (char *)out.data, pairs[i].utf7);
		buf_reset(&out);
		if (imap_utf7_to_utf8(pairs[i].utf7, strlen(pairs[i].utf7), &out, &error) < 0)
			fail_msg("decode \"%s\": got error %s, want \"%s\"", pairs[i].utf7, error,
				 pairs[i].utf8);
		buf_append_byte(&out, '\0');
		if (strcmp((char *)out.data, pairs[i].utf8) != 0)
			fail_msg("decode \"%s\": got \"%s\", want \"%s\"", pairs[i].utf7,
				 (char *)out.data, pairs[i].utf8);
		buf_free(&out);
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(bad_utf7); i++) {
		struct buf out;
		const char *error = NULL;
		buf_init(&out);
		if (imap_utf7_to_utf8(bad_utf7[i], strlen(bad_utf7[i]), &out, &error) == 0)
			fail_msg("decode \"%s\": got success, want an error", bad_utf7[i]);
		buf_free(&out);
	}
	for (size_t i = 0; i < N_ELEMENTS(bad_utf8); i++) {
		struct buf out;
		const char *error = NULL;
		buf_init(&out);
		if (imap_utf8_to_utf7(bad_utf8[i], strlen(bad_utf8[i]), &out, &error) == 0)
			fail_msg("encode case %zu: got success, want an error", i);
		buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
