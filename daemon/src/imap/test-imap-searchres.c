/* test-imap-searchres.c - unit tests for SEARCHRES (RFC 5182) in the search
 * parser (imap_search_parse_saved in imap-search-parse.c): a table of
 * search keys using "$" with the saved UIDs and the messages of a small
 * mailbox each must match, and the errors "$" gives where it is not
 * allowed or not alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap-search.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 16

/* Atoms separated by spaces; "(" and ")" around atoms make one list
 * level. Returns the top-level count. Text points into storage. */
static size_t tokenize(const char *text, char *storage, struct imap_search_arg *top,
		       struct imap_search_arg *inner)
{
	strcpy(storage, text);
	size_t top_count = 0, inner_count = 0;
	bool in_list = false;
	for (char *p = strtok(storage, " "); p != NULL; p = strtok(NULL, " ")) {
		if (*p == '(') {
			in_list = true;
			top[top_count++] = (struct imap_search_arg){ .type = IMAP_SEARCH_ARG_LIST,
								      .children = inner };
			p++;
		}
		size_t len = strlen(p);
		bool close = len > 0 && p[len - 1] == ')';
		if (close)
			p[--len] = '\0';
		struct imap_search_arg atom = { .type = IMAP_SEARCH_ARG_ATOM, .text = p, .len = len };
		if (in_list) {
			inner[inner_count++] = atom;
			top[top_count - 1].child_count = inner_count;
		} else {
			top[top_count++] = atom;
		}
		if (close)
			in_list = false;
	}
	return top_count;
}

/* The mailbox: sequence numbers 1..5 with these UIDs. */
static const uint32_t mailbox_uids[] = { 10, 20, 30, 40, 50 };

static const uint32_t saved_some[] = { 20, 30, 50, 60 }; /* 60: expunged since */

static const struct {
	const char *keys;
	bool saved_empty;
	const char *want; /* matching sequence numbers, or "BAD: error" */
} cases[] = {
	{ "$", false, "2 3 5" },
	{ "UID $", false, "2 3 5" },
	{ "NOT $", false, "1 4" },
	{ "OR $ 1", false, "1 2 3 5" },
	{ "($ 1:3)", false, "2 3" },
	{ "$ $", false, "2 3 5" },
	{ "$", true, "" },
	{ "NOT $", true, "1 2 3 4 5" },
	{ "UID $", true, "" },
	{ "$:3", false, "BAD: Unknown search key" },
	{ "UID $,20", false, "BAD: Invalid sequence set" },
	{ "UID", false, "BAD: Missing argument to search key" },
};

static void run_case(size_t n, const struct imap_search_saved *saved, const char *keys,
		     const char *want)
{
	char storage[256];
	struct imap_search_arg top[MAX_ARGS], inner[MAX_ARGS];
	size_t count = tokenize(keys, storage, top, inner);
	struct imap_search_key *key = NULL;
	const char *error = NULL;
	struct buf got;
	buf_init(&got);
	if (imap_search_parse_saved(top, count, saved, &key, &error) != IMAP_SEARCH_PARSE_OK) {
		buf_printf(&got, "BAD: %s", error);
	} else {
		struct imap_search_mailbox box = { .max_seq = 5, .max_uid = 50 };
		for (size_t i = 0; i < N_ELEMENTS(mailbox_uids); i++) {
			struct imap_search_mail mail = { .seq = (uint32_t)(i + 1),
							 .uid = mailbox_uids[i],
							 .keywords = "" };
			bool match = false;
			if (imap_search_match(key, &box, &mail, &match, &error) < 0)
				fail_msg("case %zu: match failed: %s", n, error);
			if (match)
				buf_printf(&got, "%s%zu", got.len > 0 ? " " : "", i + 1);
		}
	}
	buf_append_byte(&got, '\0');
	if (strcmp((const char *)got.data, want) != 0)
		fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", n, keys,
			 (const char *)got.data, want);
	buf_free(&got);
	imap_search_key_free(&key);
}

static void test_saved(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct imap_search_saved saved = { saved_some, N_ELEMENTS(saved_some) };
		if (cases[i].saved_empty)
			saved = (struct imap_search_saved){ NULL, 0 };
		run_case(i, &saved, cases[i].keys, cases[i].want);
	}
}

/* Without a saved result (imap_search_parse): "$" is a syntax error. */
static void test_not_allowed(void **state)
{
	(void)state;
	run_case(0, NULL, "$", "BAD: Invalid sequence set");
	run_case(1, NULL, "UID $", "BAD: Invalid sequence set");
	run_case(2, NULL, "1:2", "1 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saved),
		cmocka_unit_test(test_not_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
