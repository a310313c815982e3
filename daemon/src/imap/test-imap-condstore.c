/* test-imap-condstore.c - unit tests for the CONDSTORE/QRESYNC argument
 * helpers (imap-condstore.c): mod-sequence values, client uid sets and
 * their membership, and the compact uid sets the server writes
 * (imap_append_uid_set in imap-view.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap-condstore.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static struct imap_arg atom(const char *s)
{
	struct imap_arg a = { .type = IMAP_ARG_ATOM, .str = (char *)s, .len = strlen(s) };
	return a;
}

static const struct {
	const char *text;
	bool allow_zero;
	int ret;
	int64_t value;
} modseqs[] = {
	{ "1", false, 0, 1 },
	{ "0", true, 0, 0 },
	{ "0", false, -1, 0 },
	{ "9223372036854775807", false, 0, INT64_MAX },
	{ "9223372036854775808", false, -1, 0 },
	{ "12a", false, -1, 0 },
	{ "-1", true, -1, 0 },
	{ "", true, -1, 0 },
};

static void test_modseq(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(modseqs); i++) {
		struct imap_arg a = atom(modseqs[i].text);
		int64_t v = -7;
		int ret = imap_arg_modseq(&a, modseqs[i].allow_zero, &v);
		if (ret != modseqs[i].ret)
			fail_msg("modseq \"%s\": got %d, want %d", modseqs[i].text, ret,
				 modseqs[i].ret);
		if (ret == 0 && v != modseqs[i].value)
			fail_msg("modseq \"%s\": got %lld, want %lld", modseqs[i].text,
				 (long long)v, (long long)modseqs[i].value);
	}
	struct imap_arg quoted = { .type = IMAP_ARG_QUOTED, .str = (char *)"5", .len = 1 };
	int64_t v;
	if (imap_arg_modseq(&quoted, false, &v) == 0)
		fail_msg("modseq as a quoted string: got ok, want -1");
}

static const struct {
	const char *set;
	uint32_t uid;
	int parse;
	bool contains;
} sets[] = {
	{ "1:5", 3, 0, true },
	{ "1:5", 6, 0, false },
	{ "5:1", 1, 0, true },
	{ "2,4,7:9", 4, 0, true },
	{ "2,4,7:9", 5, 0, false },
	{ "10:*", 4000000000u, 0, true },
	{ "*", 1, 0, false },
	{ "0", 1, -1, false },
	{ "1,", 1, -1, false },
	{ ",1", 1, -1, false },
	{ "1::2", 1, -1, false },
	{ "4294967296", 1, -1, false },
	{ "a", 1, -1, false },
};

static void test_uid_set(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(sets); i++) {
		struct imap_arg a = atom(sets[i].set);
		struct imap_uid_set set;
		int ret = imap_uid_set_parse(&a, &set);
		if (ret != sets[i].parse)
			fail_msg("parse \"%s\": got %d, want %d", sets[i].set, ret, sets[i].parse);
		if (ret < 0)
			continue;
		bool in = imap_uid_set_contains(&set, sets[i].uid);
		if (in != sets[i].contains)
			fail_msg("%u in \"%s\": got %d, want %d", sets[i].uid, sets[i].set, in,
				 sets[i].contains);
		imap_uid_set_free(&set);
	}
}

static const struct {
	uint32_t uids[8];
	size_t count;
	const char *want;
} compact[] = {
	{ { 1 }, 1, "1" },
	{ { 1, 2, 3 }, 3, "1:3" },
	{ { 1, 3, 4, 5, 9 }, 5, "1,3:5,9" },
	{ { 0 }, 0, "" },
	{ { 7, 8, 10, 11 }, 4, "7:8,10:11" },
};

static void test_append_uid_set(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(compact); i++) {
		struct buf out;
		buf_init(&out);
		imap_append_uid_set(&out, compact[i].uids, compact[i].count);
		buf_append_byte(&out, '\0');
		if (strcmp((const char *)out.data, compact[i].want) != 0)
			fail_msg("set %zu: got \"%s\", want \"%s\"", i, (const char *)out.data,
				 compact[i].want);
		buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modseq),
		cmocka_unit_test(test_uid_set),
		cmocka_unit_test(test_append_uid_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
