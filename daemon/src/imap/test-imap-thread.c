/* test-imap-thread.c - unit tests for imap-thread.c: RFC 5256 REFERENCES
 * and ORDEREDSUBJECT on small mailboxes (the RFC's rules one by one),
 * message id parsing, and hostile headers (loops, self references,
 * duplicate ids, 10 000 references, a 20 000 message chain).
 */
#include "imap-thread.h"
#include "buf.h"
#include "mime.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MSGS_MAX 8

struct thread_case {
	const char *name;
	enum imap_thread_algorithm alg;
	/* subject, message-id, references, in-reply-to; date = index * 10
	 * unless dates[] says otherwise */
	const char *fields[MSGS_MAX][4];
	int64_t dates[MSGS_MAX];
	size_t count;
	const char *want;
};

#define R IMAP_THREAD_REFERENCES
#define O IMAP_THREAD_ORDEREDSUBJECT

static const struct thread_case thread_cases[] = {
	{ "no messages", R, { { 0 } }, { 0 }, 0, "" },
	{ "one thread with a branch, one alone", R,
	  { { "hello", "<a@x>", NULL, NULL },
	    { "Re: hello", "<b@x>", "<a@x>", NULL },
	    { "Re: hello", "<c@x>", "<a@x> <b@x>", NULL },
	    { "Re: hello", "<d@x>", "<a@x>", NULL },
	    { "other", "<e@x>", NULL, NULL } },
	  { 0 }, 5, "(1 (2 3)(4))(5)" },
	{ "a missing parent with two children stays as a dummy", R,
	  { { "a", "<1@x>", "<gone@x>", NULL }, { "b", "<2@x>", "<gone@x>", NULL } },
	  { 0 }, 2, "((1)(2))" },
	{ "a missing parent with one child is pruned", R,
	  { { "a", "<1@x>", "<gone@x>", NULL } }, { 0 }, 1, "(1)" },
	{ "a non-root dummy is replaced by its children", R,
	  { { "a", "<1@x>", NULL, NULL }, { "b", "<2@x>", "<1@x> <gone@x>", NULL },
	    { "c", "<3@x>", "<1@x> <gone@x>", NULL } },
	  { 0 }, 3, "(1 (2)(3))" },
	{ "a reply by subject alone joins its thread", R,
	  { { "foo", "<a@x>", NULL, NULL }, { "Re: foo", "<b@x>", NULL, NULL } },
	  { 0 }, 2, "(1 2)" },
	{ "two non-replies with one subject get a dummy parent", R,
	  { { "foo", "<a@x>", NULL, NULL }, { "foo", "<b@x>", NULL, NULL } },
	  { 0 }, 2, "((1)(2))" },
	{ "empty subjects are never merged", R,
	  { { "", "<a@x>", NULL, NULL }, { NULL, "<b@x>", NULL, NULL } }, { 0 }, 2,
	  "(1)(2)" },
	{ "a reference loop is not closed", R,
	  { { "a", "<a@x>", "<b@x>", NULL }, { "b", "<b@x>", "<a@x>", NULL } },
	  { 0 }, 2, "(2 1)" },
	{ "a self reference is ignored", R,
	  { { "a", "<a@x>", "<a@x>", NULL } }, { 0 }, 1, "(1)" },
	{ "a duplicate message id counts as a unique one", R,
	  { { "a", "<a@x>", NULL, NULL }, { "b", "<a@x>", NULL, NULL },
	    { "c", "<c@x>", "<a@x>", NULL } },
	  { 0 }, 3, "(1 3)(2)" },
	{ "messages without ids stand alone", R,
	  { { "a", NULL, NULL, NULL }, { "b", "garbage", "<>", "no id" } }, { 0 }, 2,
	  "(1)(2)" },
	{ "In-Reply-To counts when there is no References", R,
	  { { "a", "<a@x>", NULL, NULL },
	    { "b", "<b@x>", NULL, "<a@x> (message from Al <al@x>)" } },
	  { 0 }, 2, "(1 2)" },
	{ "siblings and threads go by sent date", R,
	  { { "a", "<a@x>", NULL, NULL }, { "b", "<b@x>", "<a@x>", NULL },
	    { "c", "<c@x>", "<a@x>", NULL }, { "d", "<d@x>", NULL, NULL } },
	  { 30, 50, 40, 10 }, 4, "(4)(1 (3)(2))" },
	{ "a later References fixes a parent guessed from a truncated one", R,
	  { { "a", "<a@x>", NULL, NULL }, { "b", "<b@x>", NULL, NULL },
	    { "c", "<c@x>", "<a@x>", NULL }, { "d", "<d@x>", "<b@x> <c@x>", NULL } },
	  { 0 }, 4, "(1 3 4)(2)" },
	{ "ORDEREDSUBJECT: one level under the first message of each subject", O,
	  { { "a", NULL, NULL, NULL }, { "b", NULL, NULL, NULL },
	    { "Re: a", NULL, NULL, NULL }, { "A", NULL, NULL, NULL },
	    { "re: B", NULL, NULL, NULL }, { "c", NULL, NULL, NULL } },
	  { 0 }, 6, "(1 (3)(4))(2 5)(6)" },
	{ "ORDEREDSUBJECT: threads by their first message's date", O,
	  { { "a", NULL, NULL, NULL }, { "b", NULL, NULL, NULL }, { "a", NULL, NULL, NULL } },
	  { 50, 20, 10 }, 3, "(3 1)(2)" },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(thread_cases) / sizeof(thread_cases[0]); c++) {
		const struct thread_case *tc = &thread_cases[c];
		struct imap_thread_msg msgs[MSGS_MAX];
		bool dated = false;
		for (size_t i = 0; i < tc->count; i++)
			dated |= tc->dates[i] != 0;
		for (size_t i = 0; i < tc->count; i++) {
			msgs[i] = (struct imap_thread_msg){
				.number = (uint32_t)(i + 1),
				.date = dated ? tc->dates[i] : (int64_t)i * 10,
				.subject = tc->fields[i][0],
				.message_id = tc->fields[i][1],
				.references = tc->fields[i][2],
				.in_reply_to = tc->fields[i][3],
			};
		}
		struct buf out;
		buf_init(&out);
		imap_thread_build(tc->alg, msgs, tc->count, &out);
		buf_append_byte(&out, '\0');
		if (strcmp((const char *)out.data, tc->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", tc->name, (const char *)out.data,
				 tc->want);
		buf_free(&out);
	}
}

/* RFC 5256 section 4's example response, built from References: numbers
 * as in the RFC, dates ascending with them. */
static void test_rfc_example(void **state)
{
	(void)state;
	static const struct {
		uint32_t number;
		const char *id, *refs;
	} in[] = {
		{ 2, "<2@x>", NULL },
		{ 3, "<3@x>", NULL },
		{ 4, "<4@x>", "<3@x> <6@x>" },
		{ 6, "<6@x>", "<3@x>" },
		{ 7, "<7@x>", "<3@x> <6@x> <44@x>" },
		{ 23, "<23@x>", "<3@x> <6@x> <4@x>" },
		{ 44, "<44@x>", "<3@x> <6@x>" },
		{ 96, "<96@x>", "<44@x> <7@x>" },
	};
	struct imap_thread_msg msgs[8];
	for (size_t i = 0; i < 8; i++)
		msgs[i] = (struct imap_thread_msg){ .number = in[i].number, .date = in[i].number,
						    .message_id = in[i].id,
						    .references = in[i].refs };
	struct buf out;
	buf_init(&out);
	imap_thread_build(IMAP_THREAD_REFERENCES, msgs, 8, &out);
	buf_append_byte(&out, '\0');
	const char *want = "(2)(3 6 (4 23)(44 7 96))";
	if (strcmp((const char *)out.data, want) != 0)
		fail_msg("RFC 5256 example: got \"%s\", want \"%s\"", (const char *)out.data, want);
	buf_free(&out);
}

static const struct {
	const char *value;
	size_t max;
	const char *want; /* ids joined by ' ' */
} msgid_cases[] = {
	{ "<a@x>", 8, "a@x" },
	{ " <a@x>  <b@y>\t<c@z> ", 8, "a@x b@y c@z" },
	{ "<a@x> <b@y> <c@z> <d@w>", 3, "a@x c@z d@w" },
	{ "<a@x> <b@y> <c@z> <d@w> <e@v>", 2, "a@x e@v" },
	{ "<a@x> <b@y>", 1, "a@x" },
	{ "<no-at> <@x> <x@> <> <a@\n x>", 8, "a@x" },
	{ "<unterminated@x <b@y>", 8, "b@y" },
	{ "Al's message <a@x> of Monday", 8, "a@x" },
	{ "", 8, "" },
};

static void test_msgids(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(msgid_cases) / sizeof(msgid_cases[0]); c++) {
		char **ids;
		size_t n = imap_thread_msgids(msgid_cases[c].value, msgid_cases[c].max, &ids);
		struct buf got;
		buf_init(&got);
		for (size_t i = 0; i < n; i++)
			buf_printf(&got, "%s%s", i > 0 ? " " : "", ids[i]);
		buf_append_byte(&got, '\0');
		if (strcmp((const char *)got.data, msgid_cases[c].want) != 0)
			fail_msg("ids of \"%s\" (max %zu): got \"%s\", want \"%s\"",
				 msgid_cases[c].value, msgid_cases[c].max,
				 (const char *)got.data, msgid_cases[c].want);
		buf_free(&got);
		imap_thread_msgids_free(ids, n);
	}
}

static void test_many_references(void **state)
{
	(void)state;
	struct buf refs;
	buf_init(&refs);
	for (int i = 0; i < 10000; i++)
		buf_printf(&refs, "<r%d@x> ", i);
	buf_append_byte(&refs, '\0');
	struct imap_thread_msg msgs[2] = {
		{ .number = 1, .date = 1, .subject = "s", .message_id = "<r9999@x>" },
		{ .number = 2, .date = 2, .subject = "t", .message_id = "<m@x>",
		  .references = (const char *)refs.data },
	};
	struct buf out;
	buf_init(&out);
	imap_thread_build(IMAP_THREAD_REFERENCES, msgs, 2, &out);
	buf_append_byte(&out, '\0');
	if (strcmp((const char *)out.data, "(1 2)") != 0)
		fail_msg("10000 references: got \"%s\", want \"(1 2)\"", (const char *)out.data);
	buf_free(&out);
	buf_free(&refs);
}

/* 20 000 messages each answering the one before, and every second one also
 * answered twice: deep trees must neither recurse nor be quadratic in
 * the writer. */
static void test_deep_chain(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct imap_thread_msg *msgs = xcalloc(N, sizeof(*msgs));
	char (*ids)[32] = xcalloc(N, sizeof(*ids));
	char (*refs)[32] = xcalloc(N, sizeof(*refs));
	for (size_t i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "<m%zu@x>", i);
		if (i > 0)
			snprintf(refs[i], sizeof(refs[i]), "<m%zu@x>", i % 3 == 2 ? i - 2 : i - 1);
		msgs[i] = (struct imap_thread_msg){ .number = (uint32_t)(i + 1),
						    .date = (int64_t)i, .subject = "s",
						    .message_id = ids[i],
						    .references = i > 0 ? refs[i] : NULL };
	}
	struct buf out;
	buf_init(&out);
	imap_thread_build(IMAP_THREAD_REFERENCES, msgs, N, &out);
	if (out.len < 8 || memcmp(out.data, "(1 (2)(3 4 (5)(6 7 (8)(9", 24) != 0)
		fail_msg("deep chain: got \"%.40s\", want it to start \"(1 (2)(3 4 (5)(6 7 (8)(9\"",
			 (const char *)out.data);
	size_t open = 0, close = 0;
	for (size_t i = 0; i < out.len; i++) {
		open += out.data[i] == '(';
		close += out.data[i] == ')';
	}
	if (open != close)
		fail_msg("deep chain: got %zu '(' and %zu ')', want as many", open, close);
	buf_free(&out);
	free(msgs);
	free(ids);
	free(refs);
}

/* 50 000 threads, every second one with the same subject: merging them
 * must not be quadratic in the number of threads. */
static void test_many_roots(void **state)
{
	(void)state;
	enum { N = 50000 };
	struct imap_thread_msg *msgs = xcalloc(N, sizeof(*msgs));
	char (*subjects)[32] = xcalloc(N, sizeof(*subjects));
	for (size_t i = 0; i < N; i++) {
		if (i % 2 == 0 || i == 1)
			snprintf(subjects[i], sizeof(subjects[i]), "%sx", i % 2 == 0 ? "Re: " : "");
		else
			snprintf(subjects[i], sizeof(subjects[i]), "s%zu", i);
		msgs[i] = (struct imap_thread_msg){ .number = (uint32_t)(i + 1),
						    .date = (int64_t)i, .subject = subjects[i] };
	}
	for (int alg = 0; alg < 2; alg++) {
		struct buf out;
		buf_init(&out);
		imap_thread_build((enum imap_thread_algorithm)alg, msgs, N, &out);
		/* REFERENCES: message 2 ("x") is the parent of every "Re: x";
		 * ORDEREDSUBJECT: the first of them, message 1, is */
		const char *want = alg == IMAP_THREAD_REFERENCES ? "(2 (1)(3)(5)" : "(1 (2)(3)(5)";
		if (out.len < 12 || memcmp(out.data, want, 12) != 0)
			fail_msg("many roots (alg %d): got \"%.30s\", want it to start \"%s\"", alg,
				 (const char *)out.data, want);
		buf_free(&out);
	}
	free(msgs);
	free(subjects);
}

static void test_algorithm_names(void **state)
{
	(void)state;
	enum imap_thread_algorithm alg;
	assert_int_equal(imap_thread_algorithm_parse("references", &alg), 0);
	assert_int_equal(alg, IMAP_THREAD_REFERENCES);
	assert_int_equal(imap_thread_algorithm_parse("OrderedSubject", &alg), 0);
	assert_int_equal(alg, IMAP_THREAD_ORDEREDSUBJECT);
	assert_int_equal(imap_thread_algorithm_parse("REFS", &alg), -1);
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
		cmocka_unit_test(test_cases),           cmocka_unit_test(test_msgids),
		cmocka_unit_test(test_many_references), cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_algorithm_names), cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_many_roots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
