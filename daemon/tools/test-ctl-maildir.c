/* test-ctl-maildir.c - unit tests for ctl-maildir.c: flags from Maildir file
 * names, Maildir++ folder names, and the order files are imported in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-maildir.h"
#include "storage.h"

struct flags_case {
	const char *name;
	uint32_t want;
};

static const struct flags_case flags_cases[] = {
	{ "1700000000.M1P2.host,S=123:2,", 0 },
	{ "1700000000.M1P2.host,S=123:2,S", STORAGE_FLAG_SEEN },
	{ "1700000000.M1P2.host,S=123:2,FRS",
	  STORAGE_FLAG_FLAGGED | STORAGE_FLAG_ANSWERED | STORAGE_FLAG_SEEN },
	{ "x:2,DFPRST", STORAGE_FLAG_DRAFT | STORAGE_FLAG_FLAGGED | STORAGE_FLAG_ANSWERED |
			STORAGE_FLAG_SEEN | STORAGE_FLAG_DELETED },
	{ "x:2,T", STORAGE_FLAG_DELETED },
	{ "x:2,D", STORAGE_FLAG_DRAFT },
	{ "x:2,P", 0 },                          /* passed: no IMAP flag */
	{ "x:2,Sabc", STORAGE_FLAG_SEEN },        /* keywords ignored */
	{ "x:2,s", 0 },                          /* lower case is a keyword, not Seen */
	{ "1700000000.M1P2.host", 0 },           /* new/: no info */
	{ "x:1,S", 0 },                          /* experimental info: not flags */
	{ "x:2S", 0 },
	{ "a:b:2,R", STORAGE_FLAG_ANSWERED },     /* the last colon starts the info */
	{ "x:2,S:junk", 0 },
	{ "", 0 },
};

static void test_flags(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(flags_cases) / sizeof(flags_cases[0]); i++) {
		uint32_t got = ctl_maildir_flags(flags_cases[i].name);
		if (got != flags_cases[i].want)
			fail_msg("case %zu '%s': got flags 0x%x, want 0x%x", i, flags_cases[i].name,
				 got, flags_cases[i].want);
	}
}

struct folder_case {
	const char *dir;
	const char *prefix;
	int want_ret;
	const char *want; /* name, or error substring */
};

static const struct folder_case folder_cases[] = {
	{ ".Sent", NULL, 0, "Sent" },
	{ ".Sub.Folder", NULL, 0, "Sub/Folder" },
	{ ".a.b.c", NULL, 0, "a/b/c" },
	{ ".Sub.Folder", "Old", 0, "Old/Sub/Folder" },
	{ ".Sent", "", 0, "Sent" },
	{ ".&AOQ-rger", NULL, 0, "&AOQ-rger" },  /* modified UTF-7 kept as is */
	{ ".With space", NULL, 0, "With space" },
	{ "Sent", NULL, -1, "no leading dot" },
	{ ".", NULL, -1, "no leading dot" },
	{ "..", NULL, -1, "no leading dot" },
	{ "..Sub", NULL, -1, "empty level" },
	{ ".Sub.", NULL, -1, "empty level" },
	{ ".Sub..Folder", NULL, -1, "empty level" },
};

static void test_folder_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(folder_cases) / sizeof(folder_cases[0]); i++) {
		const struct folder_case *c = &folder_cases[i];
		char out[STORAGE_MAILBOX_NAME_MAX + 1];
		const char *error = NULL;
		int ret = ctl_maildir_folder_name(c->dir, c->prefix, out, sizeof(out), &error);
		if (ret != c->want_ret)
			fail_msg("case %zu '%s': got ret %d, want %d (error: %s)", i, c->dir, ret,
				 c->want_ret, error != NULL ? error : "none");
		if (ret == 0 && strcmp(out, c->want) != 0)
			fail_msg("case %zu '%s': got '%s', want '%s'", i, c->dir, out, c->want);
		if (ret < 0 && strstr(error, c->want) == NULL)
			fail_msg("case %zu '%s': got error '%s', want it to contain '%s'", i, c->dir,
				 error, c->want);
	}
}

static void test_folder_name_too_long(void **state)
{
	(void)state;
	char dir[STORAGE_MAILBOX_NAME_MAX + 3];
	dir[0] = '.';
	memset(dir + 1, 'x', sizeof(dir) - 2);
	dir[sizeof(dir) - 1] = '\0';
	char out[STORAGE_MAILBOX_NAME_MAX + 1];
	const char *error = NULL;
	int ret = ctl_maildir_folder_name(dir, NULL, out, sizeof(out), &error);
	if (ret != -1)
		fail_msg("got ret %d for a %zu byte name, want -1", ret, strlen(dir));
	/* exactly the limit fits */
	dir[STORAGE_MAILBOX_NAME_MAX + 1] = '\0';
	ret = ctl_maildir_folder_name(dir, NULL, out, sizeof(out), &error);
	if (ret != 0 || strlen(out) != STORAGE_MAILBOX_NAME_MAX)
		fail_msg("got ret %d, length %zu, want 0 and %d", ret, ret == 0 ? strlen(out) : 0,
			 STORAGE_MAILBOX_NAME_MAX);
	/* a small output buffer is refused, not overrun */
	ret = ctl_maildir_folder_name(".Sub.Folder", "Prefix", out, 8, &error);
	if (ret != -1)
		fail_msg("got ret %d with an 8 byte buffer, want -1", ret);
}

static void test_message_names(void **state)
{
	(void)state;
	const struct {
		const char *name;
		bool want;
	} cases[] = {
		{ "1700000000.M1P2.host:2,S", true },
		{ "msg", true },
		{ ".", false },
		{ "..", false },
		{ ".hidden", false },
		{ "", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = ctl_maildir_is_message_name(cases[i].name);
		if (got != cases[i].want)
			fail_msg("case %zu '%s': got %d, want %d", i, cases[i].name, got,
				 cases[i].want);
	}
}

static void test_order(void **state)
{
	(void)state;
	const char *names[] = {
		"1700000010.M1.host:2,S",
		"999999999.M9.host:2,",
		"1700000002.M3.host",
		"1700000002.M2.host:2,S",
		"zzz",
		"0999999998.M0.host",
		"abc",
	};
	const char *want[] = {
		"0999999998.M0.host",
		"999999999.M9.host:2,",
		"1700000002.M2.host:2,S",
		"1700000002.M3.host",
		"1700000010.M1.host:2,S",
		"abc",
		"zzz",
	};
	size_t n = sizeof(names) / sizeof(names[0]);
	qsort(names, n, sizeof(names[0]), ctl_maildir_name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], want[i]) != 0)
			fail_msg("position %zu: got '%s', want '%s'", i, names[i], want[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_folder_names),
		cmocka_unit_test(test_folder_name_too_long),
		cmocka_unit_test(test_message_names),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
