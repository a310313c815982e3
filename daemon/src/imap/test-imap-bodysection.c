/* test-imap-bodysection.c - unit tests for imap-bodysection.c: tables of
 * section texts (good and hostile) with the parse each must give, and of
 * sections cut out of sample messages (BODY[] and BINARY[]) with the exact
 * bytes wanted.
 * Messages and section texts are copied into exact-size heap buffers
 * without a NUL so ASan catches any read past the given length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap-bodysection.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len == 0 ? 1 : len);
	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* ---- parsing ---- */
static const struct {
	const char *text;
	bool binary;
	bool ok;
	const char *canonical; /* imap_section_write() of the parse */
} parse_cases[] = {
	{ "", false, true, "" },
	{ "HEADER", false, true, "HEADER" },
	{ "header", false, true, "HEADER" },
	{ "TEXT", false, true, "TEXT" },
	{ "1", false, true, "1" },
	{ "1.2.3", false, true, "1.2.3" },
	{ "4294967295", false, true, "4294967295" },
	{ "2.HEADER", false, true, "2.HEADER" },
	{ "3.1.TEXT", false, true, "3.1.TEXT" },
	{ "1.MIME", false, true, "1.MIME" },
	{ "HEADER.FIELDS (From To)", false, true, "HEADER.FIELDS (FROM TO)" },
	{ "header.fields.not (from)", false, true, "HEADER.FIELDS.NOT (FROM)" },
	{ "HEADER.FIELDS (From \"To\")", false, true, "HEADER.FIELDS (FROM TO)" },
	{ "HEADER.FIELDS (\"X(Y)\")", false, true, "HEADER.FIELDS (\"X(Y)\")" },
	{ "HEADER.FIELDS (\"a\\\\b\")", false, true, "HEADER.FIELDS (\"A\\\\B\")" },
	{ "2.HEADER.FIELDS (Subject)", false, true, "2.HEADER.FIELDS (SUBJECT)" },
	{ "1", true, true, "1" },
	{ "1.2", true, true, "1.2" },
	{ "", true, true, "" },
	/* hostile */
	{ "MIME", false, false, NULL },
	{ "HEADER", true, false, NULL },
	{ "1.TEXT", true, false, NULL },
	{ "0", false, false, NULL },
	{ "01", false, false, NULL },
	{ "1.0", false, false, NULL },
	{ "4294967296", false, false, NULL },
	{ "1.", false, false, NULL },
	{ ".1", false, false, NULL },
	{ "1..2", false, false, NULL },
	{ "1 ", false, false, NULL },
	{ "HEADERX", false, false, NULL },
	{ "HEADER.FIELDS", false, false, NULL },
	{ "HEADER.FIELDS ()", false, false, NULL },
	{ "HEADER.FIELDS  (From)", false, false, NULL },
	{ "HEADER.FIELDS (From  To)", false, false, NULL },
	{ "HEADER.FIELDS (From", false, false, NULL },
	{ "HEADER.FIELDS (From) ", false, false, NULL },
	{ "HEADER.FIELDS (\"From)", false, false, NULL },
	{ "HEADER.FIELDS (\"\")", false, false, NULL },
	{ "HEADER.FIELDS (Fr:om)", false, false, NULL },
	{ "HEADER.FIELDS (\"a b\")", false, false, NULL },
	{ "HEADER.FIELDS (\"a\\b\")", false, false, NULL },
	{ "HEADER.FIELDS ({4}\r\nFrom)", false, false, NULL },
	{ "TEXT.HEADER", false, false, NULL },
	{ "1.MIME.TEXT", false, false, NULL },
	{ "1.\xff", false, false, NULL },
	{ "HEADER\x01", false, false, NULL },
	{ "HEADER.FIELDS (\x7f)", false, false, NULL },
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const char *t = parse_cases[i].text;
		size_t len = strlen(t);
		char *copy = exact_copy(t, len);
		struct imap_section s;
		const char *error = NULL;
		int ret = imap_section_parse(copy, len, parse_cases[i].binary, &s, &error);
		free(copy);
		if ((ret == 0) != parse_cases[i].ok)
			fail_msg("parse \"%s\" (binary=%d): got %s (%s), want %s", t,
				 parse_cases[i].binary, ret == 0 ? "ok" : "error",
				 ret == 0 ? "" : error, parse_cases[i].ok ? "ok" : "error");
		if (ret < 0) {
			assert_non_null(error);
			continue;
		}
		struct buf out;
		buf_init(&out);
		buf_append(&out, "", 0);
		imap_section_write(&s, &out);
		if (strcmp((const char *)out.data, parse_cases[i].canonical) != 0)
			fail_msg("write \"%s\": got \"%s\", want \"%s\"", t, out.data,
				 parse_cases[i].canonical);
		buf_free(&out);
		imap_section_free(&s);
	}
}

static void test_parse_limits(void **state)
{
	(void)state;
	struct buf t;
	buf_init(&t);
	/* a path one deeper than allowed, and exactly as deep */
	for (int depth = IMAP_SECTION_PATH_MAX; depth <= IMAP_SECTION_PATH_MAX + 1; depth++) {
		buf_reset(&t);
		for (int i = 0; i < depth; i++)
			buf_append_str(&t, i == 0 ? "1" : ".1");
		struct imap_section s;
		const char *error;
		int ret = imap_section_parse((const char *)t.data, t.len, false, &s, &error);
		int want = depth <= IMAP_SECTION_PATH_MAX ? 0 : -1;
		if (ret != want)
			fail_msg("path depth %d: got %d, want %d", depth, ret, want);
		if (ret == 0)
			imap_section_free(&s);
	}
	/* too many field names */
	for (int n = IMAP_SECTION_FIELDS_MAX; n <= IMAP_SECTION_FIELDS_MAX + 1; n++) {
		buf_reset(&t);
		buf_append_str(&t, "HEADER.FIELDS (");
		for (int i = 0; i < n; i++)
			buf_printf(&t, "%sX-%d", i == 0 ? "" : " ", i);
		buf_append_str(&t, ")");
		struct imap_section s;
		const char *error;
		int ret = imap_section_parse((const char *)t.data, t.len, false, &s, &error);
		int want = n <= IMAP_SECTION_FIELDS_MAX ? 0 : -1;
		if (ret != want)
			fail_msg("%d field names: got %d, want %d", n, ret, want);
		if (ret == 0) {
			if (s.field_count != (size_t)n)
				fail_msg("%d field names: got count %zu", n, s.field_count);
			imap_section_free(&s);
		}
	}
	/* a field name too long */
	buf_reset(&t);
	buf_append_str(&t, "HEADER.FIELDS (");
	for (int i = 0; i <= IMAP_SECTION_FIELD_NAME_MAX; i++)
		buf_append_byte(&t, 'x');
	buf_append_str(&t, ")");
	struct imap_section s;
	const char *error;
	if (imap_section_parse((const char *)t.data, t.len, false, &s, &error) == 0)
		fail_msg("long field name: got ok, want error");
	/* the whole text too long */
	buf_reset(&t);
	for (int i = 0; i <= IMAP_SECTION_TEXT_MAX; i++)
		buf_append_byte(&t, '1');
	if (imap_section_parse((const char *)t.data, t.len, false, &s, &error) == 0)
		fail_msg("long section text: got ok, want error");
	buf_free(&t);
}

static const struct {
	const char *text;
	bool ok;
	uint32_t origin, count;
} partial_cases[] = {
	{ "<0.10>", true, 0, 10 },
	{ "<4294967295.4294967295>", true, 4294967295u, 4294967295u },
	{ "<5.1>", true, 5, 1 },
	{ "<0.0>", false, 0, 0 },
	{ "<4294967296.1>", false, 0, 0 },
	{ "<1>", false, 0, 0 },
	{ "<1.>", false, 0, 0 },
	{ "<.1>", false, 0, 0 },
	{ "<1.2", false, 0, 0 },
	{ "1.2>", false, 0, 0 },
	{ "<1.2>x", false, 0, 0 },
	{ "<-1.2>", false, 0, 0 },
	{ "", false, 0, 0 },
};

static void test_partial_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(partial_cases); i++) {
		const char *t = partial_cases[i].text;
		char *copy = exact_copy(t, strlen(t));
		struct imap_section s;
		memset(&s, 0, sizeof(s));
		const char *error;
		int ret = imap_partial_parse(copy, strlen(t), &s, &error);
		free(copy);
		if ((ret == 0) != partial_cases[i].ok)
			fail_msg("partial \"%s\": got %d, want %s", t, ret,
				 partial_cases[i].ok ? "ok" : "error");
		if (ret == 0 && (!s.partial || s.origin != partial_cases[i].origin ||
				 s.count != partial_cases[i].count))
			fail_msg("partial \"%s\": got <%u.%u>, want <%u.%u>", t, s.origin, s.count,
				 partial_cases[i].origin, partial_cases[i].count);
	}
}

/* ---- cutting ---- */

#define SIMPLE_HDR \
	"Return-Path: <a@example.org>\r\n" \
	"From: A <a@example.org>\r\n" \
	"To: b@example.org\r\n" \
	"Subject: hello\r\n" \
	"  folded\r\n" \
	"X-Junk\r\n" \
	"from: second@example.org\r\n" \
	"\r\n"
#define SIMPLE_BODY "body line 1\r\nbody line 2\r\n"
static const char simple_msg[] = SIMPLE_HDR SIMPLE_BODY;

#define MP_HDR \
	"From: c@example.org\r\n" \
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n" \
	"\r\n"
#define P1_HDR "Content-Type: text/plain\r\n\r\n"
#define P1_BODY "part one"
#define P2_HDR "Content-Type: message/rfc822\r\n\r\n"
#define P2_INNER_HDR \
	"Subject: inner\r\n" \
	"Content-Type: multipart/alternative; boundary=inner\r\n" \
	"\r\n"
#define P2_INNER_BODY \
	"--inner\r\n" \
	"Content-Type: text/plain\r\n\r\n" \
	"plain" \
	"\r\n--inner\r\n" \
	"Content-Type: text/html\r\n\r\n" \
	"<b>html</b>" \
	"\r\n--inner--\r\n"
#define P3_HDR "Content-Type: message/rfc822\r\n\r\n"
#define P3_INNER_HDR "Subject: leaf\r\n\r\n"
#define P3_INNER_BODY "leaf body"
static const char mp_msg[] =
	MP_HDR "preamble\r\n--outer\r\n" P1_HDR P1_BODY "\r\n--outer\r\n" P2_HDR P2_INNER_HDR
	       P2_INNER_BODY "\r\n--outer\r\n" P3_HDR P3_INNER_HDR P3_INNER_BODY
	       "\r\n--outer--\r\nepilogue\r\n";

/* header cut off by the end of the data, no blank line */
static const char cut_msg[] = "Subject: x\r\nFrom: y";

static const struct {
	const char *msg;
	const char *section;
	const char *partial; /* NULL for none */
	const char *want;
	bool missing;
} cut_cases[] = {
	{ simple_msg, "", NULL, SIMPLE_HDR SIMPLE_BODY, false },
	{ simple_msg, "HEADER", NULL, SIMPLE_HDR, false },
	{ simple_msg, "TEXT", NULL, SIMPLE_BODY, false },
	{ simple_msg, "1", NULL, SIMPLE_BODY, false },
	{ simple_msg, "1.MIME", NULL, SIMPLE_HDR, false },
	{ simple_msg, "2", NULL, "", true },
	{ simple_msg, "1.1", NULL, "", true },
	{ simple_msg, "1.HEADER", NULL, "", true },
	{ simple_msg, "HEADER.FIELDS (FROM)", NULL,
	  "From: A <a@example.org>\r\nfrom: second@example.org\r\n\r\n", false },
	{ simple_msg, "HEADER.FIELDS (subject return-path)", NULL,
	  "Return-Path: <a@example.org>\r\nSubject: hello\r\n  folded\r\n\r\n", false },
	{ simple_msg, "HEADER.FIELDS (X-Junk)", NULL, "\r\n", false },
	{ simple_msg, "HEADER.FIELDS (Nothing)", NULL, "\r\n", false },
	{ simple_msg, "HEADER.FIELDS.NOT (From Subject Return-Path)", NULL,
	  "To: b@example.org\r\n\r\n", false },
	{ simple_msg, "", "<0.4>", "Retu", false },
	{ simple_msg, "TEXT", "<5.4>", "line", false },
	{ simple_msg, "TEXT", "<20.1000>", "ne 2\r\n", false },
	{ simple_msg, "TEXT", "<26.1>", "", false },
	{ simple_msg, "TEXT", "<4294967295.1>", "", false },
	{ simple_msg, "HEADER.FIELDS (To)", "<4.100>", "b@example.org\r\n\r\n", false },
	{ simple_msg, "7", "<0.1>", "", true },
	{ mp_msg, "1", NULL, P1_BODY, false },
	{ mp_msg, "1.MIME", NULL, P1_HDR, false },
	{ mp_msg, "1.TEXT", NULL, "", true },
	{ mp_msg, "2", NULL, P2_INNER_HDR P2_INNER_BODY, false },
	{ mp_msg, "2.MIME", NULL, P2_HDR, false },
	{ mp_msg, "2.HEADER", NULL, P2_INNER_HDR, false },
	{ mp_msg, "2.TEXT", NULL, P2_INNER_BODY, false },
	{ mp_msg, "2.HEADER.FIELDS (subject)", NULL, "Subject: inner\r\n\r\n", false },
	{ mp_msg, "2.1", NULL, "plain", false },
	{ mp_msg, "2.2", NULL, "<b>html</b>", false },
	{ mp_msg, "2.2.MIME", NULL, "Content-Type: text/html\r\n\r\n", false },
	{ mp_msg, "2.3", NULL, "", true },
	{ mp_msg, "2.1.1", NULL, "", true },
	{ mp_msg, "3", NULL, P3_INNER_HDR P3_INNER_BODY, false },
	{ mp_msg, "3.HEADER", NULL, P3_INNER_HDR, false },
	{ mp_msg, "3.TEXT", NULL, P3_INNER_BODY, false },
	{ mp_msg, "3.1", NULL, P3_INNER_BODY, false },
	{ mp_msg, "3.1.MIME", NULL, P3_INNER_HDR, false },
	{ mp_msg, "3.2", NULL, "", true },
	{ mp_msg, "4", NULL, "", true },
	{ mp_msg, "HEADER", NULL, MP_HDR, false },
	{ mp_msg, "HEADER.FIELDS.NOT (Content-Type)", NULL, "From: c@example.org\r\n\r\n", false },
	{ cut_msg, "HEADER", NULL, cut_msg, false },
	{ cut_msg, "TEXT", NULL, "", false },
	{ cut_msg, "HEADER.FIELDS (From)", NULL, "From: y\r\n\r\n", false },
	{ cut_msg, "1", NULL, "", false },
	{ "", "", NULL, "", false },
	{ "", "HEADER.FIELDS (a)", NULL, "\r\n", false },
	{ "", "1.2", NULL, "", true },
};

static void test_cut(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(cut_cases); i++) {
		const char *sec = cut_cases[i].section;
		struct imap_section s;
		const char *error = NULL;
		if (imap_section_parse(sec, strlen(sec), false, &s, &error) < 0)
			fail_msg("case %zu \"%s\": parse failed: %s", i, sec, error);
		if (cut_cases[i].partial != NULL &&
		    imap_partial_parse(cut_cases[i].partial, strlen(cut_cases[i].partial), &s,
				       &error) < 0)
			fail_msg("case %zu: partial failed: %s", i, error);
		size_t len = strlen(cut_cases[i].msg);
		char *msg = exact_copy(cut_cases[i].msg, len);
		struct imap_bodysection_result r;
		imap_bodysection_get((const unsigned char *)msg, len, &s, &r);
		const char *want = cut_cases[i].want;
		if (r.size != strlen(want) || memcmp(r.data, want, r.size) != 0)
			fail_msg("case %zu BODY[%s]%s: got \"%.*s\" (%zu), want \"%s\" (%zu)", i,
				 sec, cut_cases[i].partial ? cut_cases[i].partial : "",
				 (int)r.size, (const char *)r.data, r.size, want, strlen(want));
		if (r.missing != cut_cases[i].missing)
			fail_msg("case %zu BODY[%s]: got missing=%d, want %d", i, sec, r.missing,
				 cut_cases[i].missing);
		imap_bodysection_result_free(&r);
		imap_section_free(&s);
		free(msg);
	}
}

/* Sections of messages too deep or with too many parts still answer. */
static void test_hostile_messages(void **state)
{
	(void)state;
	struct buf m;
	buf_init(&m);
	/* 6000 empty parts: over MIME_PARTS_MAX, so the message is opaque */
	buf_append_str(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; i < 6000; i++)
		buf_append_str(&m, "--b\r\n\r\nx\r\n");
	buf_append_str(&m, "--b--\r\n");
	struct imap_section s;
	const char *error;
	assert_int_equal(imap_section_parse("1", 1, false, &s, &error), 0);
	struct imap_bodysection_result r;
	imap_bodysection_get(m.data, m.len, &s, &r);
	if (!r.missing)
		fail_msg("part 1 of an over-full multipart: got %zu bytes, want missing", r.size);
	imap_bodysection_result_free(&r);
	imap_section_free(&s);
	assert_int_equal(imap_section_parse("TEXT", 4, false, &s, &error), 0);
	imap_bodysection_get(m.data, m.len, &s, &r);
	size_t hdr = strlen("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	if (r.size != m.len - hdr)
		fail_msg("TEXT of an over-full multipart: got %zu bytes, want %zu", r.size,
			 m.len - hdr);
	imap_bodysection_result_free(&r);
	imap_section_free(&s);

	/* nested message/rfc822 40 deep: the path stops where the scanner did */
	buf_reset(&m);
	for (int i = 0; i < 40; i++)
		buf_append_str(&m, "Content-Type: message/rfc822\r\n\r\n");
	buf_append_str(&m, "Subject: end\r\n\r\ndeep");
	struct buf sec;
	buf_init(&sec);
	for (int i = 0; i < IMAP_SECTION_PATH_MAX; i++)
		buf_append_str(&sec, i == 0 ? "1" : ".1");
	assert_int_equal(imap_section_parse((const char *)sec.data, sec.len, false, &s, &error), 0);
	imap_bodysection_get(m.data, m.len, &s, &r);
	if (r.size > m.len)
		fail_msg("deep path: got %zu bytes, more than the message", r.size);
	imap_bodysection_result_free(&r);
	imap_section_free(&s);
	buf_free(&sec);
	buf_free(&m);
}

static void test_null_message(void **state)
{
	(void)state;
	struct imap_section s;
	const char *error;
	assert_int_equal(imap_section_parse("", 0, false, &s, &error), 0);
	struct imap_bodysection_result r;
	imap_bodysection_get(NULL, 0, &s, &r);
	if (r.size != 0)
		fail_msg("BODY[] of no message: got %zu bytes, want 0", r.size);
	imap_bodysection_result_free(&r);
	/* a NUL inside the section text is an error, not the end */
	if (imap_section_parse("HEADER\0", 7, false, &s, &error) == 0)
		fail_msg("\"HEADER\\0\": got ok, want error");
}

/* BINARY[section]: the body with its transfer encoding undone. */
static const char binary_msg[] =
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	"--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n"
	"--b\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\ncaf=E9 =\r\nau lait\r\n"
	"--b\r\nContent-Transfer-Encoding: 8bit\r\n\r\nas is\r\n"
	"--b\r\nContent-Transfer-Encoding: x-compressed\r\n\r\n???\r\n"
	"--b\r\n\r\nnone\r\n"
	"--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!*\r\n"
	"--b--\r\n";

static const struct {
	const char *section;
	const char *partial;
	int ret;
	const char *want;
	bool missing;
} binary_cases[] = {
	{ "1", NULL, 0, "hello world", false },
	{ "1", "<6.100>", 0, "world", false },
	{ "1", "<11.1>", 0, "", false },
	{ "2", NULL, 0, "caf\xe9 au lait", false },
	{ "3", NULL, 0, "as is", false },
	{ "4", NULL, -1, "", true },
	{ "5", NULL, 0, "none", false },
	{ "6", NULL, 0, "", false },
	{ "7", NULL, 0, "", true },
	{ "1.1", NULL, 0, "", true },
	{ "", "<0.12>", 0, "Content-Type", false },
};

static void test_binary(void **state)
{
	(void)state;
	size_t len = sizeof(binary_msg) - 1;
	char *msg = exact_copy(binary_msg, len);
	for (size_t i = 0; i < N_ELEMENTS(binary_cases); i++) {
		const char *sec = binary_cases[i].section;
		struct imap_section s;
		const char *error = NULL;
		if (imap_section_parse(sec, strlen(sec), true, &s, &error) < 0)
			fail_msg("BINARY[%s]: parse failed: %s", sec, error);
		if (binary_cases[i].partial != NULL &&
		    imap_partial_parse(binary_cases[i].partial, strlen(binary_cases[i].partial),
				       &s, &error) < 0)
			fail_msg("BINARY[%s]: partial failed: %s", sec, error);
		struct imap_bodysection_result r;
		int ret = imap_bodysection_binary((const unsigned char *)msg, len, &s, &r, &error);
		const char *want = binary_cases[i].want;
		if (ret != binary_cases[i].ret)
			fail_msg("BINARY[%s]: got %d, want %d", sec, ret, binary_cases[i].ret);
		if (r.size != strlen(want) || memcmp(r.data, want, r.size) != 0)
			fail_msg("BINARY[%s]%s: got \"%.*s\" (%zu), want \"%s\"", sec,
				 binary_cases[i].partial ? binary_cases[i].partial : "",
				 (int)r.size, (const char *)r.data, r.size, want);
		if (r.missing != binary_cases[i].missing)
			fail_msg("BINARY[%s]: got missing=%d, want %d", sec, r.missing,
				 binary_cases[i].missing);
		imap_bodysection_result_free(&r);
		imap_section_free(&s);
	}
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_partial_parse),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_null_message),
		cmocka_unit_test(test_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
