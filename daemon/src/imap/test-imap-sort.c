/* test-imap-sort.c - unit tests for imap-sort.c: RFC 5256 base subjects,
 * address and date keys, criteria parsing and the order of messages.
 */
#include "imap-sort.h"
#include "mime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const struct {
	const char *subject;
	const char *want;
	bool reply;
} subject_cases[] = {
	{ "hello", "hello", false },
	{ "Re: hello", "hello", true },
	{ "RE: Re:  [list] Fwd: hello (fwd)", "hello", true },
	{ "[list] hello", "hello", false },
	{ "[list]", "[list]", false },
	{ "[list]  ", "[list]", false },
	{ "[fwd: hello]", "hello", true },
	{ "Re: [Fwd: Re: hello]", "hello", true },
	{ "Re[2]: hello", "hello", true },
	{ "Re [2] : hello", "hello", true },
	{ "fw: Fwd: x", "x", true },
	{ "re:re: [a][b] re: x", "x", true },
	{ "Re: hello (fwd) (FWD)  ", "hello", true },
	{ "  hello \t  world  ", "hello world", false },
	{ "Ref: not a reply", "Ref: not a reply", false },
	{ "Re hello", "Re hello", false },
	{ "[unclosed hello", "[unclosed hello", false },
	{ "=?UTF-8?Q?Re:_Gr=C3=BC=C3=9Fe?=", "Grüße", true },
	{ "=?ISO-8859-1?Q?caf=E9?= au lait", "café au lait", false },
	{ "", "", false },
	{ NULL, "", false },
};

static void test_base_subject(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(subject_cases) / sizeof(subject_cases[0]); i++) {
		bool reply = !subject_cases[i].reply;
		char *got = imap_sort_base_subject(subject_cases[i].subject, &reply);
		if (strcmp(got, subject_cases[i].want) != 0 || reply != subject_cases[i].reply)
			fail_msg("base subject of \"%s\": got \"%s\" reply=%d, want \"%s\" reply=%d",
				 subject_cases[i].subject ? subject_cases[i].subject : "(null)", got,
				 reply, subject_cases[i].want, subject_cases[i].reply);
		free(got);
	}
}

static const struct {
	const char *value;
	bool display;
	const char *want;
} address_cases[] = {
	{ "Alice Example <alice@example.com>", false, "alice" },
	{ "Alice Example <alice@example.com>", true, "Alice Example" },
	{ "bob@example.com, carol@example.com", false, "bob" },
	{ "<z@example.com>", true, "z@example.com" },
	{ "list: x@y, w@v;, a@b", false, "list" },
	{ "list: x@y, w@v;, a@b", true, "list" },
	{ "undisclosed-recipients: ;", false, "undisclosed-recipients" },
	{ "not an address", false, "" },
	{ "=?UTF-8?Q?J=C3=B6rg?= <j@x>", true, "Jörg" },
	{ "", false, "" },
	{ NULL, true, "" },
};

static void test_address(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(address_cases) / sizeof(address_cases[0]); i++) {
		char *got = imap_sort_address(address_cases[i].value, address_cases[i].display);
		if (strcmp(got, address_cases[i].want) != 0)
			fail_msg("address key of \"%s\" (display %d): got \"%s\", want \"%s\"",
				 address_cases[i].value ? address_cases[i].value : "(null)",
				 address_cases[i].display, got, address_cases[i].want);
		free(got);
	}
}

static void test_date(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int64_t want;
	} cases[] = {
		{ "Mon, 1 Jan 2024 00:00:00 +0100", 1704063600 },
		{ "1 Jan 2024 00:00:00 -0000", 1704067200 },
		{ "not a date", 42 },
		{ NULL, 42 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = imap_sort_date(cases[i].value, 42);
		if (got != cases[i].want)
			fail_msg("date of \"%s\": got %lld, want %lld",
				 cases[i].value ? cases[i].value : "(null)", (long long)got,
				 (long long)cases[i].want);
	}
}

static void test_criteria(void **state)
{
	(void)state;
	static const struct {
		const char *atoms[6];
		size_t count;
		int want_ret;
		size_t want_count;
	} cases[] = {
		{ { "SUBJECT" }, 1, 0, 1 },
		{ { "reverse", "date", "From", "displayto" }, 4, 0, 3 },
		{ { "REVERSE" }, 1, -1, 0 },
		{ { "REVERSE", "REVERSE", "DATE" }, 3, -1, 0 },
		{ { "BODY" }, 1, -1, 0 },
		{ { 0 }, 0, -1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_sort_criterion crit[IMAP_SORT_CRITERIA_MAX];
		size_t count = 0;
		const char *error = NULL;
		int ret = imap_sort_criteria_parse(cases[i].atoms, cases[i].count, crit, &count,
						   &error);
		if (ret != cases[i].want_ret || (ret == 0 && count != cases[i].want_count) ||
		    (ret < 0 && error == NULL))
			fail_msg("criteria case %zu: got ret %d count %zu, want ret %d count %zu",
				 i, ret, count, cases[i].want_ret, cases[i].want_count);
	}
	const char *atoms[] = { "REVERSE", "DATE", "SIZE" };
	struct imap_sort_criterion crit[IMAP_SORT_CRITERIA_MAX];
	size_t count;
	const char *error;
	assert_int_equal(imap_sort_criteria_parse(atoms, 3, crit, &count, &error), 0);
	assert_true(crit[0].key == IMAP_SORT_DATE && crit[0].reverse);
	assert_true(crit[1].key == IMAP_SORT_SIZE && !crit[1].reverse);
	const char *many[IMAP_SORT_CRITERIA_MAX + 1];
	for (size_t i = 0; i <= IMAP_SORT_CRITERIA_MAX; i++)
		many[i] = "SIZE";
	assert_int_equal(imap_sort_criteria_parse(many, IMAP_SORT_CRITERIA_MAX + 1, crit,
						  &count, &error), -1);
}

/* Five messages: seq, subject, from, date, size, arrival. */
static const struct {
	const char *subject, *from, *date;
	uint64_t size;
	int64_t arrival;
} sort_msgs[] = {
	{ "Re: beta", "Zed <zed@x>", "Mon, 1 Jan 2024 10:00:00 +0000", 300, 5 },
	{ "alpha", "amy@x", "Mon, 1 Jan 2024 09:00:00 +0000", 100, 4 },
	{ "BETA", "Bob <bob@x>", NULL, 200, 3 },
	{ "[list] Alpha", "AMY@y", "Mon, 1 Jan 2024 12:00:00 +0200", 100, 2 },
	{ NULL, NULL, "garbage", 50, 1 },
};

static void test_sort(void **state)
{
	(void)state;
	static const struct {
		const char *atoms[4];
		size_t count;
		const char *want;
	} cases[] = {
		{ { "SUBJECT" }, 1, "5 2 4 1 3" },
		{ { "SUBJECT", "REVERSE", "DATE" }, 3, "5 4 2 1 3" },
		{ { "FROM" }, 1, "5 2 4 3 1" },
		{ { "DISPLAYFROM" }, 1, "5 2 4 3 1" },
		{ { "REVERSE", "FROM" }, 1 + 1, "1 3 2 4 5" },
		{ { "DATE" }, 1, "5 3 2 1 4" },
		{ { "ARRIVAL" }, 1, "5 4 3 2 1" },
		{ { "SIZE" }, 1, "5 2 4 3 1" },
		{ { "REVERSE", "SIZE" }, 2, "1 3 2 4 5" },
		{ { "TO" }, 1, "1 2 3 4 5" },
	};
	size_t n = sizeof(sort_msgs) / sizeof(sort_msgs[0]);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct imap_sort_criterion crit[IMAP_SORT_CRITERIA_MAX];
		size_t crit_count;
		const char *error;
		assert_int_equal(imap_sort_criteria_parse(cases[c].atoms, cases[c].count, crit,
							  &crit_count, &error), 0);
		struct imap_sort_msg msgs[5];
		for (size_t i = 0; i < n; i++) {
			msgs[i] = (struct imap_sort_msg){ .seq = (uint32_t)(i + 1),
							  .arrival = sort_msgs[i].arrival,
							  .size = sort_msgs[i].size };
			for (size_t k = 0; k < crit_count; k++) {
				const char *h = imap_sort_key_header(crit[k].key);
				const char *v = NULL;
				if (h != NULL && strcmp(h, "Subject") == 0)
					v = sort_msgs[i].subject;
				else if (h != NULL && strcmp(h, "From") == 0)
					v = sort_msgs[i].from;
				else if (h != NULL && strcmp(h, "Date") == 0)
					v = sort_msgs[i].date;
				imap_sort_msg_set(&msgs[i], crit[k].key, v);
			}
		}
		imap_sort_msgs(msgs, n, crit, crit_count);
		char got[64] = "";
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(got);
			snprintf(got + len, sizeof(got) - len, "%s%u", i > 0 ? " " : "", msgs[i].seq);
			imap_sort_msg_clear(&msgs[i]);
		}
		if (strcmp(got, cases[c].want) != 0)
			fail_msg("SORT (%s%s%s): got \"%s\", want \"%s\"", cases[c].atoms[0],
				 cases[c].count > 1 ? " " : "",
				 cases[c].count > 1 ? cases[c].atoms[1] : "", got, cases[c].want);
	}
}

static int setup(void **state)
{
	(void)state;
	mime_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mime_deinit();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_subject), cmocka_unit_test(test_address),
		cmocka_unit_test(test_date),         cmocka_unit_test(test_criteria),
		cmocka_unit_test(test_sort),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
