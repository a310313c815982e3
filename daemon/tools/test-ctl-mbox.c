/* test-ctl-mbox.c - unit tests for ctl-mbox.c: splitting mbox files,
 * mboxrd quoting both ways, From_ line dates and senders, and that what the
 * writer rules produce reads back byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl-mbox.h"

#define MAX_MESSAGES 4

struct split_case {
	const char *mbox;
	size_t count;
	const char *want[MAX_MESSAGES]; /* unquoted messages */
	const char *want_from[MAX_MESSAGES]; /* From_ line text after "From " */
};

static const struct split_case split_cases[] = {
	{ "", 0, { NULL }, { NULL } },
	{ "From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\nbody\n\n", 1,
	  { "Subject: x\n\nbody\n" }, { "a@b Thu Jan  1 00:00:00 1970" } },
	{ "From a Mon Jan  1 00:00:00 2001\nA: 1\n\none\n\nFrom b Mon Jan  1 00:00:00 2001\nB: 2\n\ntwo\n\n", 2,
	  { "A: 1\n\none\n", "B: 2\n\ntwo\n" }, { "a Mon Jan  1 00:00:00 2001", "b Mon Jan  1 00:00:00 2001" } },
	/* quoted From lines come back, and only one '>' goes */
	{ "From a x\nS: 1\n\n>From here\n>>From there\n>>>From far\n> From not\nFrom\n\n", 1,
	  { "S: 1\n\nFrom here\n>From there\n>>From far\n> From not\nFrom\n" }, { "a x" } },
	/* a message without a final newline (the writer adds one "\n") */
	{ "From a x\nS: 1\n\nno newline\nFrom b y\nS: 2\n\nlast", 2,
	  { "S: 1\n\nno newline", "S: 2\n\nlast" }, { "a x", "b y" } },
	/* CRLF messages keep their CRLF */
	{ "From a x\nS: 1\r\n\r\nbody\r\n\nFrom b y\nS: 2\r\n\r\n\n", 2,
	  { "S: 1\r\n\r\nbody\r\n", "S: 2\r\n\r\n" }, { "a x", "b y" } },
	/* a file written with CRLF throughout */
	{ "From a x\r\nS: 1\r\n\r\nbody\r\n\r\nFrom b y\r\nS: 2\r\n\r\nend\r\n\r\n", 2,
	  { "S: 1\r\n\r\nbody\r\n", "S: 2\r\n\r\nend\r\n" }, { "a x", "b y" } },
	/* empty messages */
	{ "From a x\nFrom b y\n", 2, { "", "" }, { "a x", "b y" } },
	{ "From a x", 1, { "" }, { "a x" } },
	/* "From " in the middle of a line is not a separator */
	{ "From a x\nS: 1\n\nsee From here\n\n", 1, { "S: 1\n\nsee From here\n" }, { "a x" } },
	/* a message that is only a blank line */
	{ "From a x\n\n\nFrom b y\nS: 2\n\n", 2, { "\n", "S: 2\n" }, { "a x", "b y" } },
};

static void test_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];
		struct ctl_mbox_reader reader;
		struct ctl_mbox_message msg;
		const unsigned char *data = (const unsigned char *)c->mbox;
		ctl_mbox_reader_init(&reader, data, strlen(c->mbox));
		size_t n = 0;
		while (ctl_mbox_next(&reader, &msg)) {
			if (n >= c->count)
				fail_msg("case %zu: got more than %zu messages, want %zu", i, n, c->count);
			struct buf b;
			buf_init(&b);
			ctl_mbox_unquote(msg.quoted, msg.quoted_len, &b);
			if (b.len != strlen(c->want[n]) || memcmp(b.data, c->want[n], b.len) != 0)
				fail_msg("case %zu message %zu: got '%.*s', want '%s'", i, n,
					 (int)b.len, b.data != NULL ? (char *)b.data : "", c->want[n]);
			if (msg.from_line_len != strlen(c->want_from[n]) ||
			    memcmp(msg.from_line, c->want_from[n], msg.from_line_len) != 0)
				fail_msg("case %zu message %zu: got From_ line '%.*s', want '%s'", i,
					 n, (int)msg.from_line_len, msg.from_line, c->want_from[n]);
			if (msg.number != n + 1)
				fail_msg("case %zu: got number %u, want %zu", i, msg.number, n + 1);
			buf_free(&b);
			n++;
		}
		if (n != c->count)
			fail_msg("case %zu: got %zu messages, want %zu", i, n, c->count);
	}
}

static void test_detect(void **state)
{
	(void)state;
	const struct {
		const char *data;
		bool want;
	} cases[] = {
		{ "From a b\n", true }, { "From ", true }, { "From", false },
		{ "Return-Path: <a>\n", false }, { ">From a\n", false }, { "", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = ctl_mbox_detect((const unsigned char *)cases[i].data,
					   strlen(cases[i].data));
		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
	}
}

struct quote_case {
	const char *in;
	const char *quoted;
};

static const struct quote_case quote_cases[] = {
	{ "", "" },
	{ "no from\n", "no from\n" },
	{ "From here\n", ">From here\n" },
	{ "a\nFrom b\n>From c\n>>From d\n", "a\n>From b\n>>From c\n>>>From d\n" },
	{ "From", "From" },
	{ "From x", ">From x" },
	{ "a\r\nFrom b\r\n", "a\r\n>From b\r\n" },
	{ "> From x\n", "> From x\n" },
	{ "x From y\n", "x From y\n" },
	{ "\nFrom ", "\n>From " },
};

static void test_quote(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]); i++) {
		const struct quote_case *c = &quote_cases[i];
		struct buf q, u;
		buf_init(&q);
		buf_init(&u);
		ctl_mbox_quote((const unsigned char *)c->in, strlen(c->in), &q);
		if (q.len != strlen(c->quoted) || memcmp(q.data, c->quoted, q.len) != 0)
			fail_msg("case %zu: got quoted '%.*s', want '%s'", i, (int)q.len,
				 q.data != NULL ? (char *)q.data : "", c->quoted);
		ctl_mbox_unquote(q.data, q.len, &u);
		if (u.len != strlen(c->in) || memcmp(u.data, c->in, u.len) != 0)
			fail_msg("case %zu: got unquoted '%.*s', want '%s'", i, (int)u.len,
				 u.data != NULL ? (char *)u.data : "", c->in);
		buf_free(&q);
		buf_free(&u);
	}
}

/* Messages that must survive writer + reader unchanged. */
static const char *const round_trip_messages[] = {
	"Subject: plain\n\nbody\n",
	"Subject: crlf\r\n\r\nbody\r\n",
	"From: starts with a From line? no, a header\n\nFrom the body\n>From quoted\n",
	"no final newline",
	"ends in a blank line\n\n",
	"\n",
	"Subject: cr at the end\r",
	"X: 1\n\n>>>>From deep\nFrom \nFrom\n",
};

static void test_round_trip(void **state)
{
	(void)state;
	size_t n = sizeof(round_trip_messages) / sizeof(round_trip_messages[0]);
	struct buf file;
	buf_init(&file);
	for (size_t i = 0; i < n; i++) {
		ctl_mbox_write_from_line(&file, "sender@example.test", 1700000000 + (int64_t)i);
		ctl_mbox_quote((const unsigned char *)round_trip_messages[i],
			       strlen(round_trip_messages[i]), &file);
		buf_append_byte(&file, '\n');
	}
	struct ctl_mbox_reader reader;
	struct ctl_mbox_message msg;
	ctl_mbox_reader_init(&reader, file.data, file.len);
	size_t got = 0;
	while (ctl_mbox_next(&reader, &msg)) {
		if (got >= n)
			fail_msg("got more than %zu messages back, want %zu", got, n);
		struct buf b;
		buf_init(&b);
		ctl_mbox_unquote(msg.quoted, msg.quoted_len, &b);
		const char *want = round_trip_messages[got];
		if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
			fail_msg("message %zu: got '%.*s', want '%s'", got, (int)b.len,
				 b.data != NULL ? (char *)b.data : "", want);
		int64_t t;
		if (ctl_mbox_from_line_time(msg.from_line, msg.from_line_len, &t) < 0 ||
		    t != 1700000000 + (int64_t)got)
			fail_msg("message %zu: got no date or a wrong one from '%.*s', want %lld", got,
				 (int)msg.from_line_len, msg.from_line,
				 (long long)(1700000000 + got));
		buf_free(&b);
		got++;
	}
	if (got != n)
		fail_msg("got %zu messages back, want %zu", got, n);
	buf_free(&file);
}

struct time_case {
	const char *line; /* after "From " */
	int want_ret;
	int64_t want;
};

static const struct time_case time_cases[] = {
	{ "a@b Thu Jan  1 00:00:00 1970", 0, 0 },
	{ "a@b Tue Nov 14 22:13:20 2023", 0, 1700000000 },
	{ "MAILER-DAEMON Tue Nov 14 22:13:20 2023", 0, 1700000000 },
	{ "a@b Nov 14 22:13:20 2023", 0, 1700000000 },            /* no weekday */
	{ "a@b Tue Nov 14 22:13 2023", 0, 1699999980 },           /* no seconds */
	{ "a@b Tue Nov 14 23:13:20 2023 +0100", 0, 1700000000 },  /* zone after the year */
	{ "a@b Tue Nov 14 17:13:20 -0500 2023", 0, 1700000000 },  /* zone before it */
	{ "a@b Tue Nov 14 22:13:20 UTC 2023", 0, 1700000000 },
	{ "\"quoted sender\"@b Tue Nov 14 22:13:20 2023", 0, 1700000000 },
	{ "a@b Wed Feb 29 12:00:00 2024", 0, 1709208000 },
	{ "a@b tue nov 14 22:13:20 2023", 0, 1700000000 },        /* any case */
	{ "a@b", -1, 0 },
	{ "", -1, 0 },
	{ "a@b Tue Foo 14 22:13:20 2023", -1, 0 },
	{ "a@b Tue Nov 32 22:13:20 2023", -1, 0 },
	{ "a@b Tue Nov 14 25:13:20 2023", -1, 0 },
	{ "a@b Tue Nov 14 22:13:20", -1, 0 },                     /* no year */
	{ "a@b Tue Nov 14 22:13:20 1969", -1, 0 },
	{ "a@b Tue Nov 14 22:13:20 2023 +9999", -1, 0 },
	{ "a@b Tue Nov 14 22-13-20 2023", -1, 0 },
	{ "\"unterminated Tue Nov 14 22:13:20 2023", -1, 0 },
	{ "a@b Tue Nov 14 22:13:20 2023 x x x x x x x", -1, 0 },
};

static void test_from_line_time(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		const struct time_case *c = &time_cases[i];
		int64_t t = -1;
		int ret = ctl_mbox_from_line_time((const unsigned char *)c->line, strlen(c->line), &t);
		if (ret != c->want_ret)
			fail_msg("case %zu '%s': got ret %d, want %d", i, c->line, ret, c->want_ret);
		if (ret == 0 && t != c->want)
			fail_msg("case %zu '%s': got %lld, want %lld", i, c->line, (long long)t,
				 (long long)c->want);
	}
	/* a too long line is refused, not overrun */
	char long_line[CTL_MBOX_FROM_LINE_MAX + 50];
	memset(long_line, 'a', sizeof(long_line));
	int64_t t;
	if (ctl_mbox_from_line_time((const unsigned char *)long_line, sizeof(long_line), &t) != -1)
		fail_msg("got a date from a %zu byte line, want -1", sizeof(long_line));
}

static void test_write_from_line(void **state)
{
	(void)state;
	const struct {
		const char *sender;
		int64_t time;
		const char *want;
	} cases[] = {
		{ "a@b", 0, "From a@b Thu Jan  1 00:00:00 1970\n" },
		{ "MAILER-DAEMON", 1700000000, "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\n" },
		{ "x@y", 1709208000, "From x@y Thu Feb 29 12:00:00 2024\n" },
		{ "x@y", -5, "From x@y Thu Jan  1 00:00:00 1970\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		ctl_mbox_write_from_line(&b, cases[i].sender, cases[i].time);
		if (strcmp((char *)b.data, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, (char *)b.data, cases[i].want);
		buf_free(&b);
	}
}

struct sender_case {
	const char *message;
	const char *want;
};

static const struct sender_case sender_cases[] = {
	{ "Return-Path: <bounce@example.test>\nFrom: Someone <someone@example.test>\n\nx",
	  "bounce@example.test" },
	{ "From: Someone <someone@example.test>\nSubject: x\n\n", "someone@example.test" },
	{ "From: plain@example.test (Plain Person)\n\n", "plain@example.test" },
	{ "Return-Path: <>\nFrom: a@b\n\n", "MAILER-DAEMON" },
	{ "Subject: none\n\n", "MAILER-DAEMON" },
	{ "", "MAILER-DAEMON" },
	{ "return-path: <lower@case>\n\n", "lower@case" },
	{ "Return-Path:\r\n <folded@example.test>\r\n\r\n", "folded@example.test" },
	{ "From: <with space@example.test>\n\n", "with_space@example.test" },
	{ "Subject: x\n\nReturn-Path: <in-body@example.test>\n", "MAILER-DAEMON" },
	{ "From-Not: <a@b>\nFrom: <c@d>\n\n", "c@d" },
	{ "From: =?utf-8?q?only_a_name?=\n\n", "=?utf-8?q?only_a_name?=" },
};

static void test_sender(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]); i++) {
		const struct sender_case *c = &sender_cases[i];
		char out[CTL_MBOX_SENDER_MAX + 1];
		ctl_mbox_sender((const unsigned char *)c->message, strlen(c->message), out,
				sizeof(out));
		if (strcmp(out, c->want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out, c->want);
	}
	/* a long address is cut, not overrun */
	char message[2000];
	snprintf(message, sizeof(message), "Return-Path: <%0900d@x>\n\n", 0);
	char small[16];
	ctl_mbox_sender((const unsigned char *)message, strlen(message), small, sizeof(small));
	if (strlen(small) != sizeof(small) - 1)
		fail_msg("got a %zu byte sender in a %zu byte buffer, want %zu", strlen(small),
			 sizeof(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_line_time),
		cmocka_unit_test(test_write_from_line),
		cmocka_unit_test(test_sender),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
