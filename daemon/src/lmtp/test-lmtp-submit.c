/* test-lmtp-submit.c - unit tests of the submit queue's pure part, the
 * vacation reply it composes (RFC 5230 section 5): the header fields it
 * must carry, RFC 2047 subjects, no header injection from script text, a
 * :mime body taken as a MIME entity. Table-driven: each case lists lines
 * the reply must hold and must not hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lmtp-submit.h"

#include <stdlib.h>
#include <string.h>

struct compose_case {
	const char *from, *to, *subject, *in_reply_to, *body;
	bool mime;
	const char *want[8];     /* each must appear as a whole line */
	const char *never[4];    /* none may appear anywhere */
};

static const struct compose_case cases[] = {
	{ "alice@example.test", "friend@elsewhere.test", "Auto: hello", "<1@remote.test>",
	  "I am away.", false,
	  { "From: alice@example.test", "To: friend@elsewhere.test", "Subject: Auto: hello",
	    "In-Reply-To: <1@remote.test>", "References: <1@remote.test>",
	    "Auto-Submitted: auto-replied (vacation)",
	    "Content-Type: text/plain; charset=utf-8", "I am away." },
	  { "\r" } },
	/* UTF-8 subject: encoded words; CRLF in the body becomes LF */
	{ "a@example.test", "b@elsewhere.test", "Abwesenheitsnotiz f\xc3\xbcr M\xc3\xa4rz",
	  NULL, "line one\r\nline two", false,
	  { "Subject: =?utf-8?B?QWJ3ZXNlbmhlaXRzbm90aXogZsO8ciBNw6Ryeg==?=", "line one",
	    "line two" },
	  { "In-Reply-To", "References", "\r" } },
	/* script text cannot add header fields */
	{ "a@example.test\nBcc: victim@elsewhere.test", "b@elsewhere.test",
	  "hi\r\nBcc: victim@elsewhere.test", NULL, "x", false,
	  { "From: a@example.test Bcc: victim@elsewhere.test" },
	  { "\nBcc:" } },
	/* :mime: the body is the entity, with its own Content-Type */
	{ "a@example.test", "b@elsewhere.test", "s", NULL,
	  "Content-Type: text/html; charset=us-ascii\r\n\r\n<p>away</p>", true,
	  { "MIME-Version: 1.0", "Content-Type: text/html; charset=us-ascii", "<p>away</p>" },
	  { "text/plain" } },
};

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		bool starts = p == text || p[-1] == '\n';
		bool ends = p[len] == '\n' || p[len] == '\0';
		if (starts && ends)
			return true;
	}
	return false;
}

static void test_compose_vacation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct compose_case *c = &cases[i];
		size_t size = 0;
		char *reply = lmtp_submit_compose_vacation(c->from, c->to, c->subject,
							   c->in_reply_to, c->body, c->mime,
							   "tandem.test", 1800000000, &size);
		if (strlen(reply) != size)
			fail_msg("case %zu: got size %zu, want %zu", i, size, strlen(reply));
		for (size_t w = 0; w < 8 && c->want[w] != NULL; w++)
			if (!has_line(reply, c->want[w]))
				fail_msg("case %zu: got\n%s\nwant the line \"%s\"", i, reply, c->want[w]);
		for (size_t n = 0; n < 4 && c->never[n] != NULL; n++)
			if (strstr(reply, c->never[n]) != NULL)
				fail_msg("case %zu: got\n%s\nwant no \"%s\"", i, reply, c->never[n]);
		if (!has_line(reply, "Date: Fri, 15 Jan 2027 08:00:00 +0000"))
			fail_msg("case %zu: got\n%s\nwant the Date line", i, reply);
		if (strstr(reply, "@tandem.test>\n") == NULL)
			fail_msg("case %zu: got\n%s\nwant a Message-ID at tandem.test", i, reply);
		free(reply);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_vacation),
	};
	return cmocka_run_group_tests_name("lmtp submit", tests, NULL, NULL);
}
