/* test-mime-text.c - unit tests of mime-text.c: the searchable text of
 * hostile and ordinary messages (RFC 2047 words, transfer encodings,
 * charsets, nesting, too many parts), and case folding. Table-driven: each
 * message with text its header or body text must hold, and text it must
 * not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "mime-text.h"
#include "mime.h"
#include "buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

enum where { IN_BODY, IN_HEADERS, NOT_IN_BODY, NOT_IN_HEADERS };

static const struct {
	const char *msg;
	enum where where;
	const char *text; /* folded, as a needle is */
} cases[] = {
	{ "Subject: x\r\n\r\nplain Needle\r\n", IN_BODY, "plain needle" },
	{ "Subject: x\r\n\r\nplain Needle\r\n", IN_HEADERS, "subject: x\n" },
	{ "Subject: x\r\n\r\nplain Needle\r\n", NOT_IN_HEADERS, "needle" },
	{ "Subject: x\r\n\r\nplain Needle\r\n", NOT_IN_BODY, "subject" },
	{ "Content-Type: garbage\r\n\r\nneedle\r\n", IN_BODY, "needle" },
	{ "Content-Type: image/png\r\n\r\nneedle\r\n", NOT_IN_BODY, "needle" },
	{ "Content-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "aADpAGwAbABvACAAdwD2AHIAbABkAA==\r\n", IN_BODY, "h\xc3\xa9llo w\xc3\xb6rld" },
	{ "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xe9\r\n", IN_BODY,
	  "caf\xc3\xa9" },
	{ "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ngr\xc3\xbc\xc3\x9f\r\n",
	  IN_BODY, "gr\xc3\xbcss" },
	{ "Content-Type: text/plain; charset=us-ascii\r\n\r\ncaf\xe9\r\n", IN_BODY,
	  "caf\xc3\xa9" },
	{ "Content-Type: text/plain; charset=iso-8859-1\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\nQuoted caf=E9 narwh=\r\nal\r\n",
	  IN_BODY, "quoted caf\xc3\xa9 narwhal" },
	{ "Content-Transfer-Encoding: x-unknown\r\n\r\nneedle\r\n", IN_BODY, "needle" },
	{ "Content-Transfer-Encoding: base64\r\n\r\n!!bm Vl\r\nZGxl*\r\n", IN_BODY, "needle" },
	{ "Content-Transfer-Encoding: base64\r\n\r\nbmVlZGxl\r\n", NOT_IN_BODY, "bmvl" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner needle\r\n--b--\r\n",
	  IN_BODY, "inner needle" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble needle\r\n--b\r\n\r\nx\r\n"
	  "--b--\r\n", NOT_IN_BODY, "needle" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "AAECAwQF\r\n--b--\r\n", NOT_IN_BODY, "aaecawqf" },
	{ "Content-Type: multipart/mixed\r\n\r\nno boundary needle\r\n", IN_BODY, "needle" },
	{ "Subject: a\r\n  b\r\n\r\n", IN_HEADERS, "subject: a  b\n" },
	{ "Subject: =?x-bad?B?!!!?= z\r\n\r\n", IN_HEADERS, " z\n" },
	{ "Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\n", IN_HEADERS, "subject: caf\xc3\xa9\n" },
	{ "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\r\n", IN_HEADERS, "gr\xc3\xbcsse" },
	{ "Subject: caf\xe9\r\n\r\n", IN_HEADERS, "subject: caf" },
	{ "Subject x\r\n\r\n", NOT_IN_HEADERS, "x" },
	{ "", NOT_IN_BODY, "x" },
	{ "X-Nul: a\0b\r\n\r\nc\0d\r\n", IN_BODY, "c d" },
};

static bool holds(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static void test_extract(void **state)
{
	(void)state;
	static const char *const names[] = { "body", "headers", "body", "headers" };
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		/* exact size, no NUL after it; the X-Nul case has NULs inside */
		size_t len = strlen(cases[i].msg);
		if (strncmp(cases[i].msg, "X-Nul", 5) == 0)
			len = sizeof("X-Nul: a\0b\r\n\r\nc\0d\r\n") - 1;
		unsigned char *copy = malloc(len == 0 ? 1 : len);
		assert_non_null(copy);
		memcpy(copy, cases[i].msg, len);
		char *headers, *body;
		size_t headers_len, body_len;
		mime_text_extract(copy, len, &headers, &headers_len, &body, &body_len);
		assert_int_equal(strlen(headers), headers_len);
		assert_int_equal(strlen(body), body_len);
		bool in_headers = holds(headers, headers_len, cases[i].text);
		bool in_body = holds(body, body_len, cases[i].text);
		bool want = cases[i].where == IN_BODY || cases[i].where == IN_HEADERS;
		bool got = cases[i].where == IN_BODY || cases[i].where == NOT_IN_BODY ? in_body
										      : in_headers;
		if (got != want)
			fail_msg("case %zu: \"%s\" in %s: got %s, want %s (headers \"%s\", body "
				 "\"%s\")", i, cases[i].text, names[cases[i].where],
				 got ? "yes" : "no", want ? "yes" : "no", headers, body);
		free(headers);
		free(body);
		free(copy);
	}
}

/* NULL is an empty message; a message with more parts than the scanner
 * keeps is decoded raw. */
static void test_extract_edges(void **state)
{
	(void)state;
	char *headers, *body;
	size_t headers_len, body_len;
	mime_text_extract(NULL, 0, &headers, &headers_len, &body, &body_len);
	if (headers_len != 0 || strcmp(headers, "") != 0)
		fail_msg("headers of NULL: got \"%s\", want \"\"", headers);
	free(headers);
	free(body);

	struct buf m;
	buf_init(&m);
	buf_append_str(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int n = 0; n < 6000; n++)
		buf_append_str(&m, "--b\r\n\r\nx\r\n");
	buf_append_str(&m, "--b\r\n\r\nNeedle\r\n--b--\r\n");
	mime_text_extract(m.data, m.len, &headers, &headers_len, &body, &body_len);
	if (!holds(body, body_len, "needle"))
		fail_msg("needle in 6001 parts: got no, want yes");
	free(headers);
	free(body);
	buf_free(&m);
}

static void test_fold(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} folds[] = {
		{ "ABC", 3, "abc" },
		{ "Stra\xc3\x9f" "e", 7, "strasse" },
		{ "e\xcc\x81", 3, "\xc3\xa9" },        /* NFC */
		{ "a\0b", 3, "a b" },                   /* NUL a blank */
		{ "x\xff", 2, "x\xef\xbf\xbd" },        /* bad byte: U+FFFD */
		{ "", 0, "" },
	};
	for (size_t i = 0; i < N_ELEMENTS(folds); i++) {
		size_t len;
		char *got = mime_text_fold(folds[i].in, folds[i].len, &len);
		if (strcmp(got, folds[i].want) != 0 || len != strlen(folds[i].want))
			fail_msg("fold %zu: got \"%s\", want \"%s\"", i, got, folds[i].want);
		free(got);
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
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_extract_edges),
		cmocka_unit_test(test_fold),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
