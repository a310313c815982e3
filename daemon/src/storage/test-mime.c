/* test-mime.c - unit tests for mime_message_parse(): for a table of
 * messages (well-formed and broken), the segments must be the input byte for
 * byte with correct hashes (mime_message_check), the part bodies must be cut
 * where wanted, and for the simple cases ENVELOPE, BODYSTRUCTURE and BODY
 * must be exactly the strings worked out by hand from RFC 3501. Well-formed
 * multipart cases are also cut where GMime's parser puts the part contents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <gmime/gmime.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime-private.h"
#include "xalloc.h"

#define CRLF "\r\n"
#define PARTS_MAX_WANTED 4

struct mime_case {
	const char *name;
	const char *data;
	size_t size;          /* 0: strlen(data) */
	size_t want_header_size;
	size_t want_parts;    /* number of is_part segments */
	/* the bodies of the part segments, in order (NULL: not checked) */
	const char *want_part[PARTS_MAX_WANTED];
	bool gmime_agrees;    /* well-formed: GMime finds the same leaf contents */
	const char *want_envelope;      /* NULL: not checked */
	const char *want_bodystructure; /* NULL: not checked */
	const char *want_body;          /* NULL: not checked */
};

/* RFC 3501 section 7.4.2 / 8: the sample message of the FETCH example. */
#define RFC3501_HEADER                                                      \
	"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" CRLF                  \
	"From: Terry Gray <gray@cac.washington.edu>" CRLF                   \
	"Subject: IMAP4rev1 WG mtg summary and minutes" CRLF                \
	"To: imap@cac.washington.edu" CRLF                                  \
	"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>" CRLF \
	"Message-Id: <B27397-0100000@cac.washington.edu>" CRLF              \
	"MIME-Version: 1.0" CRLF                                            \
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII" CRLF                   \
	"Content-Transfer-Encoding: 7BIT" CRLF CRLF
#define RFC3501_BODY "Minutes follow." CRLF "Nothing else." CRLF

#define MIXED                                                              \
	"From: a@b" CRLF "Content-Type: multipart/mixed; boundary=\"b1\"" CRLF CRLF \
	"pre" CRLF "--b1" CRLF "Content-Type: text/plain" CRLF CRLF "one" CRLF     \
	"--b1" CRLF "Content-Type: application/octet-stream" CRLF                  \
	"Content-Transfer-Encoding: base64" CRLF                                   \
	"Content-Disposition: attachment; filename=\"x.bin\"" CRLF CRLF            \
	"AAECAwQ=" CRLF "--b1--" CRLF "epi" CRLF

#define ALTERNATIVE                                                         \
	"Subject: alt" CRLF "Content-Type: multipart/alternative; boundary=alt" CRLF CRLF \
	"--alt" CRLF "Content-Type: text/plain; charset=utf-8" CRLF               \
	"Content-Transfer-Encoding: quoted-printable" CRLF CRLF "caf=C3=A9" CRLF  \
	"--alt" CRLF "Content-Type: text/html; charset=utf-8" CRLF CRLF           \
	"<p>caf&eacute;</p>" CRLF "--alt--" CRLF

#define NESTED                                                               \
	"From: outer@x.test" CRLF "Subject: fwd" CRLF                             \
	"Content-Type: multipart/mixed; boundary=o" CRLF CRLF "--o" CRLF CRLF     \
	"see below" CRLF "--o" CRLF "Content-Type: message/rfc822" CRLF CRLF       \
	"From: inner@y.test" CRLF "Subject: inner" CRLF                           \
	"Content-Type: multipart/alternative; boundary=i" CRLF CRLF "--i" CRLF     \
	"Content-Type: text/plain" CRLF CRLF "plain" CRLF "--i" CRLF               \
	"Content-Type: text/html" CRLF CRLF "<b>html</b>" CRLF "--i--" CRLF        \
	"--o--" CRLF

#define ATTACHMENT_B64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" CRLF \
		       "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

static const struct mime_case cases[] = {
	{
		.name = "rfc3501 sample",
		.data = RFC3501_HEADER RFC3501_BODY,
		.want_header_size = sizeof(RFC3501_HEADER) - 1,
		.want_parts = 1,
		.want_part = { RFC3501_BODY },
		.want_envelope =
			"(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
			"\"IMAP4rev1 WG mtg summary and minutes\" "
			"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
			"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
			"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
			"((NIL NIL \"imap\" \"cac.washington.edu\")) "
			"((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
			"(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
			"\"<B27397-0100000@cac.washington.edu>\")",
		.want_body = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 32 2)",
		.want_bodystructure = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
				      "\"7BIT\" 32 2 NIL NIL NIL NIL)",
	},
	{
		.name = "simple, no MIME headers",
		.data = "From: Joe <joe@example.com>" CRLF "Sender: <>" CRLF
			"Reply-To: back@example.com" CRLF "Subject: hi \"there\" \\o/" CRLF CRLF
			"Hello" CRLF,
		.want_header_size = 96,
		.want_parts = 1,
		.want_part = { "Hello" CRLF },
		.want_envelope = "(NIL \"hi \\\"there\\\" \\\\o/\" "
				 "((\"Joe\" NIL \"joe\" \"example.com\")) "
				 "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
				 "((NIL NIL \"back\" \"example.com\")) NIL NIL NIL NIL NIL)",
		.want_bodystructure = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
				      "\"7bit\" 7 1 NIL NIL NIL NIL)",
		.want_body = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1)",
	},
	{
		.name = "multipart/mixed with attachment",
		.data = MIXED,
		.want_header_size = 59,
		.want_parts = 2,
		.want_part = { "one", "AAECAwQ=" },
		.gmime_agrees = true,
		.want_envelope = "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
				 "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)",
		.want_bodystructure =
			"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 "
			"NIL NIL NIL NIL)(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 8 "
			"NIL (\"attachment\" (\"filename\" \"x.bin\")) NIL NIL) \"mixed\" "
			"(\"boundary\" \"b1\") NIL NIL NIL)",
		.want_body = "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)"
			     "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 8) \"mixed\")",
	},
	{
		.name = "multipart/alternative, quoted-printable",
		.data = ALTERNATIVE,
		.want_header_size = 67,
		.want_parts = 2,
		.want_part = { "caf=C3=A9", "<p>caf&eacute;</p>" },
		.gmime_agrees = true,
		.want_body = "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
			     "\"quoted-printable\" 9 0)(\"text\" \"html\" (\"charset\" \"utf-8\") "
			     "NIL NIL \"7bit\" 18 0) \"alternative\")",
	},
	{
		.name = "nested message/rfc822",
		.data = NESTED,
		.want_header_size = 79,
		.want_parts = 3,
		.want_part = { "see below", "plain", "<b>html</b>" },
		.gmime_agrees = true,
		.want_body =
			"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0)"
			"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 177 "
			"(NIL \"inner\" ((NIL NIL \"inner\" \"y.test\")) "
			"((NIL NIL \"inner\" \"y.test\")) ((NIL NIL \"inner\" \"y.test\")) "
			"NIL NIL NIL NIL NIL) "
			"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
			"(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0) "
			"\"alternative\") 12) \"mixed\")",
	},
	{
		.name = "base64 attachment, LF line ends",
		.data = "Subject: lf\nContent-Type: multipart/mixed; boundary=\"=_x\"\n\n"
			"--=_x\nContent-Type: image/png; name=a.png\n"
			"Content-Transfer-Encoding: base64\n\n"
			"iVBORw0KGgo=\n--=_x--\n",
		.want_header_size = 59,
		.want_parts = 1,
		.want_part = { "iVBORw0KGgo=" },
		.gmime_agrees = true,
		.want_body = "((\"image\" \"png\" (\"name\" \"a.png\") NIL NIL \"base64\" 12) "
			     "\"mixed\")",
	},
	{
		.name = "8-bit body and raw UTF-8 header",
		.data = "Subject: caf\xc3\xa9 \xe2\x82\xac" CRLF
			"From: \"J\xc3\xb6rg\" <j@x.test>" CRLF
			"Content-Type: text/plain; charset=utf-8" CRLF
			"Content-Transfer-Encoding: 8bit" CRLF CRLF "gr\xc3\xbc\xc3\x9f" CRLF,
		.want_header_size = 122,
		.want_parts = 1,
		.want_envelope = "(NIL {9}\r\ncaf\xc3\xa9 \xe2\x82\xac "
				 "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.test\")) "
				 "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.test\")) "
				 "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.test\")) NIL NIL NIL NIL NIL)",
	},
	{
		.name = "RFC 2047 words stay encoded",
		.data = "Subject: =?UTF-8?Q?caf=C3=A9?=" CRLF
			"To: =?ISO-8859-1?Q?Andr=E9?= <andre@x.test>, Group: ;" CRLF CRLF "x",
		.want_header_size = 89,
		.want_parts = 1,
		.want_envelope = "(NIL \"=?UTF-8?Q?caf=C3=A9?=\" NIL NIL NIL "
				 "((\"=?ISO-8859-1?Q?Andr=E9?=\" NIL \"andre\" \"x.test\")"
				 "(NIL NIL \"Group\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)",
	},
	{
		.name = "invalid UTF-8 and NUL in header",
		.data = "Subject: a\xff\x00z" CRLF CRLF "b\x00" CRLF,
		.size = 21,
		.want_header_size = 17,
		.want_parts = 1,
		.want_part = { NULL },
		.want_envelope = "(NIL \"a??z\" NIL NIL NIL NIL NIL NIL NIL NIL)",
	},
	{
		.name = "missing boundary parameter",
		.data = "Content-Type: multipart/mixed" CRLF CRLF "--x" CRLF CRLF "t" CRLF "--x--" CRLF,
		.want_header_size = 33,
		.want_parts = 1,
		.want_part = { "--x" CRLF CRLF "t" CRLF "--x--" CRLF },
		.want_bodystructure = "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
				      "0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)",
	},
	{
		.name = "boundary never found",
		.data = "Content-Type: multipart/mixed; boundary=zz" CRLF CRLF "just text" CRLF,
		.want_header_size = 46,
		.want_parts = 1,
		.want_part = { "just text" CRLF },
		.want_body = "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) "
			     "\"mixed\")",
	},
	{
		.name = "missing final boundary",
		.data = "Content-Type: multipart/mixed; boundary=m" CRLF CRLF "--m" CRLF CRLF
			"part" CRLF "--m" CRLF "Content-Type: text/plain" CRLF CRLF "never closed",
		.want_header_size = 45,
		.want_parts = 2,
		.want_part = { "part", "never closed" },
		.gmime_agrees = true,
	},
	{
		.name = "bad base64",
		.data = "Content-Type: application/octet-stream" CRLF
			"Content-Transfer-Encoding: base64" CRLF CRLF "!!!not*base64@@@" CRLF,
		.want_header_size = 77,
		.want_parts = 1,
		.want_part = { "!!!not*base64@@@" CRLF },
		.want_bodystructure = "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 18 "
				      "NIL NIL NIL NIL)",
	},
	{
		.name = "encoded message/rfc822 is opaque",
		.data = "Content-Type: message/rfc822" CRLF "Content-Transfer-Encoding: base64" CRLF
			CRLF "U3ViamVjdDogeA0KDQp4" CRLF,
		.want_header_size = 67,
		.want_parts = 1,
		.want_body = "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22 "
			     "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
			     "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 1)",
	},
	{
		.name = "multipart/digest defaults to message/rfc822",
		.data = "Content-Type: multipart/digest; boundary=d" CRLF CRLF "--d" CRLF CRLF
			"Subject: one" CRLF CRLF "body one" CRLF "--d--" CRLF,
		.want_header_size = 46,
		.want_parts = 1,
		.want_part = { "body one" },
		.gmime_agrees = true,
		.want_body = "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 24 (NIL \"one\" NIL NIL "
			     "NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") "
			     "NIL NIL \"7bit\" 8 0) 2) \"digest\")",
	},
	{
		.name = "empty body",
		.data = "Subject: x" CRLF CRLF,
		.want_header_size = 14,
		.want_parts = 0,
		.want_body = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)",
	},
	{
		.name = "header only, no blank line",
		.data = "Subject: x" CRLF "X-Folded: a" CRLF "\tb",
		.want_header_size = 27,
		.want_parts = 0,
	},
	{
		.name = "no header at all",
		.data = CRLF "body",
		.want_header_size = 2,
		.want_parts = 1,
		.want_part = { "body" },
		.want_envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	},
	{
		.name = "extension data: language, location, md5, id, description",
		.data = "Content-Type: text/plain; format=flowed; charset=\"us-ascii\"" CRLF
			"Content-ID: <id@x>" CRLF "Content-Description: the text" CRLF
			"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==" CRLF
			"Content-Disposition: inline" CRLF "Content-Language: en, de (comment)" CRLF
			"Content-Location: http://x.test/a" CRLF CRLF "z" CRLF,
		.want_header_size = 253,
		.want_parts = 1,
		.want_bodystructure = "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" "
				      "\"us-ascii\") \"<id@x>\" \"the text\" \"7bit\" 3 1 "
				      "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"inline\" NIL) (\"en\" \"de\") "
				      "\"http://x.test/a\")",
	},
	{
		.name = "boundary prefixes: longest match wins",
		.data = "Content-Type: multipart/mixed; boundary=ab" CRLF CRLF "--ab" CRLF
			"Content-Type: multipart/mixed; boundary=abc" CRLF CRLF "--abc" CRLF CRLF
			"deep" CRLF "--abc--" CRLF "--ab" CRLF CRLF "second" CRLF "--ab--" CRLF,
		.want_header_size = 46,
		.want_parts = 2,
		.want_part = { "deep", "second" },
		.gmime_agrees = true,
	},
	{
		.name = "part header runs into the next boundary",
		.data = "Content-Type: multipart/mixed; boundary=b" CRLF CRLF "--b" CRLF
			"Content-Type: text/plain" CRLF "--b" CRLF CRLF "x" CRLF "--b--" CRLF,
		.want_header_size = 45,
		.want_parts = 1,
		.want_part = { "x" },
		.want_body = "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
			     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) "
			     "\"mixed\")",
	},
	{
		.name = "boundary lines with trailing junk still match",
		.data = "Content-Type: multipart/mixed; boundary=b" CRLF CRLF "--b junk" CRLF CRLF
			"one" CRLF "--b-- trailing" CRLF "epilogue" CRLF,
		.want_header_size = 45,
		.want_parts = 1,
		.want_part = { "one" },
	},
	{
		.name = "same boundary nested: the innermost wins",
		.data = "Content-Type: multipart/mixed; boundary=s" CRLF CRLF "--s" CRLF
			"Content-Type: multipart/alternative; boundary=s" CRLF CRLF "--s" CRLF CRLF
			"inner" CRLF "--s--" CRLF "--s" CRLF CRLF "outer" CRLF "--s--" CRLF,
		.want_header_size = 45,
		.want_parts = 2,
		.want_part = { "inner", "outer" },
		.want_body = "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0) "
			     "\"alternative\")(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
			     "\"7bit\" 5 0) \"mixed\")",
	},
};

static void hash_of(const void *data, size_t len, unsigned char *md)
{
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, MIME_HASH_SIZE);
}

static size_t part_count(const struct mime_message *msg)
{
	size_t n = 0;
	for (size_t i = 0; i < msg->segment_count; i++)
		n += msg->segments[i].is_part ? 1 : 0;
	return n;
}

static void check_string(const char *casename, const char *what, const char *got,
			 const char *want)
{
	if (want != NULL && strcmp(got, want) != 0)
		fail_msg("%s: %s: got\n  %s\nwant\n  %s", casename, what, got, want);
}

/* The leaf content ranges GMime finds, in order, empty ones left out. */
static void gmime_leaves(GMimeObject *obj, gint64 *ranges, size_t *count)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			gmime_leaves(g_mime_multipart_get_part(mp, i), ranges, count);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (m != NULL)
			gmime_leaves(g_mime_message_get_mime_part(m), ranges, count);
	} else if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
		GMimeStream *s = w == NULL ? NULL : g_mime_data_wrapper_get_stream(w);
		if (s != NULL && s->bound_end > s->bound_start && *count < PARTS_MAX_WANTED) {
			ranges[2 * *count] = s->bound_start;
			ranges[2 * *count + 1] = s->bound_end;
			(*count)++;
		}
	}
}

static void check_against_gmime(const struct mime_case *c, const struct mime_message *msg)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)msg->data, msg->size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	GMimeMessage *gm = g_mime_parser_construct_message(parser, NULL);
	assert_non_null(gm);
	gint64 ranges[2 * PARTS_MAX_WANTED];
	size_t count = 0;
	gmime_leaves(g_mime_message_get_mime_part(gm), ranges, &count);
	if (count != part_count(msg))
		fail_msg("%s: GMime leaves: got %zu parts, GMime %zu", c->name, part_count(msg),
			 count);
	size_t k = 0;
	for (size_t i = 0; i < msg->segment_count; i++) {
		const struct mime_segment *seg = &msg->segments[i];
		if (!seg->is_part)
			continue;
		if ((gint64)seg->offset != ranges[2 * k] ||
		    (gint64)(seg->offset + seg->size) != ranges[2 * k + 1])
			fail_msg("%s: part %zu: got %zu..%zu, GMime %ld..%ld", c->name, k,
				 seg->offset, seg->offset + seg->size, (long)ranges[2 * k],
				 (long)ranges[2 * k + 1]);
		k++;
	}
	g_object_unref(gm);
	g_object_unref(parser);
	g_object_unref(stream);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mime_case *c = &cases[i];
		size_t size = c->size != 0 ? c->size : strlen(c->data);
		unsigned char *data = xmemdup(c->data, size); /* exact size for ASan */
		struct mime_message *msg;
		const char *error = NULL;
		if (mime_message_parse(data, size, &msg, &error) < 0)
			fail_msg("%s: got error %s, want success", c->name, error);
		if (mime_message_check(msg, &error) < 0)
			fail_msg("%s: check: %s", c->name, error);
		if (msg->header_size != c->want_header_size)
			fail_msg("%s: header_size: got %zu, want %zu", c->name, msg->header_size,
				 c->want_header_size);
		if (part_count(msg) != c->want_parts)
			fail_msg("%s: parts: got %zu, want %zu", c->name, part_count(msg),
				 c->want_parts);
		size_t k = 0;
		for (size_t s = 0; s < msg->segment_count; s++) {
			const struct mime_segment *seg = &msg->segments[s];
			if (!seg->is_part)
				continue;
			const char *want = k < PARTS_MAX_WANTED ? c->want_part[k] : NULL;
			if (want != NULL && (seg->size != strlen(want) ||
					     memcmp(data + seg->offset, want, seg->size) != 0))
				fail_msg("%s: part %zu: got '%.*s', want '%s'", c->name, k,
					 (int)seg->size, data + seg->offset, want);
			unsigned char md[MIME_HASH_SIZE];
			hash_of(data + seg->offset, seg->size, md);
			assert_memory_equal(md, seg->hash, MIME_HASH_SIZE);
			k++;
		}
		check_string(c->name, "envelope", msg->envelope, c->want_envelope);
		check_string(c->name, "bodystructure", msg->bodystructure, c->want_bodystructure);
		check_string(c->name, "body", msg->body, c->want_body);
		if (c->gmime_agrees)
			check_against_gmime(c, msg);
		mime_message_free(&msg);
		assert_null(msg);
		free(data);
	}
}

static struct mime_message *parse_ok(const struct buf *b)
{
	struct mime_message *msg;
	const char *error = NULL;
	if (mime_message_parse(b->data, b->len, &msg, &error) < 0)
		fail_msg("got error %s, want success", error);
	if (mime_message_check(msg, &error) < 0)
		fail_msg("check: %s", error);
	return msg;
}

static void test_empty_input(void **state)
{
	(void)state;
	struct mime_message *msg = NULL;
	const char *error = NULL;
	assert_int_equal(mime_message_parse((const unsigned char *)"", 0, &msg, &error), -1);
	assert_non_null(error);
	assert_null(msg);
}

struct stats_case {
	const char *data;
	unsigned want_lines;
	bool want_8bit;
	bool want_bare_lf;
};

static const struct stats_case stats_cases[] = {
	{ "a: b\r\n\r\nx\r\n", 3, false, false },
	{ "a: b\n\nx\n", 3, false, true },
	{ "\na", 1, false, true },
	{ "a: b\r\n\r\n\xe9", 2, true, false },
	{ "no newline", 0, false, false },
};

static void test_stats(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(stats_cases) / sizeof(stats_cases[0]); i++) {
		const struct stats_case *c = &stats_cases[i];
		struct buf b;
		buf_init(&b);
		buf_append_str(&b, c->data);
		struct mime_message *msg = parse_ok(&b);
		if (msg->line_count != c->want_lines || msg->has_8bit != c->want_8bit ||
		    msg->bare_lf != c->want_bare_lf)
			fail_msg("case %zu: got lines=%u 8bit=%d bare_lf=%d, want %u %d %d", i,
				 msg->line_count, msg->has_8bit, msg->bare_lf, c->want_lines,
				 c->want_8bit, c->want_bare_lf);
		mime_message_free(&msg);
		buf_free(&b);
	}
}

static void test_header_fields(void **state)
{
	(void)state;
	static const char *const want[][2] = {
		{ "Subject", "folded  line" },
		{ "X-Empty", "" },
		{ "X-Bytes", "a?b" },
		{ "to", "x@y" },
	};
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "Subject: folded\r\n  line\r\nX-Empty:\r\nnot a field\r\nX-Bytes: a");
	buf_append(&b, "\0", 1);
	buf_append_str(&b, "b\r\nto : x@y\r\n\r\nNot-Header: z\r\n");
	struct mime_message *msg = parse_ok(&b);
	if (msg->header_count != 4)
		fail_msg("header_count: got %zu, want 4", msg->header_count);
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(msg->headers[i].name, want[i][0]) != 0 ||
		    strcmp(msg->headers[i].value, want[i][1]) != 0)
			fail_msg("field %zu: got '%s: %s', want '%s: %s'", i, msg->headers[i].name,
				 msg->headers[i].value, want[i][0], want[i][1]);
	}
	mime_message_free(&msg);

	/* more fields than are cached: the first MIME_CACHED_HEADERS_MAX */
	buf_reset(&b);
	for (int i = 0; i < MIME_CACHED_HEADERS_MAX + 50; i++)
		buf_printf(&b, "X-N%d: %d\r\n", i, i);
	buf_append_str(&b, "\r\nbody\r\n");
	msg = parse_ok(&b);
	if (msg->header_count != MIME_CACHED_HEADERS_MAX)
		fail_msg("header_count: got %zu, want %d", msg->header_count,
			 MIME_CACHED_HEADERS_MAX);
	assert_string_equal(msg->headers[MIME_CACHED_HEADERS_MAX - 1].value, "255");
	assert_int_equal(part_count(msg), 1);
	mime_message_free(&msg);
	buf_free(&b);
}

static void test_long_lines(void **state)
{
	(void)state;
	const size_t n = 100 * 1024;
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "Subject: ");
	for (size_t i = 0; i < n; i++)
		buf_append_byte(&b, (unsigned char)('a' + i % 26));
	buf_append_str(&b, "\r\nContent-Type: multipart/mixed; boundary=L\r\n\r\n--L\r\n\r\n");
	size_t body_start = b.len;
	for (size_t i = 0; i < n; i++)
		buf_append_byte(&b, 'x');
	buf_append_str(&b, "\r\n--L--\r\n");
	struct mime_message *msg = parse_ok(&b);
	assert_int_equal(part_count(msg), 1);
	assert_int_equal(msg->segments[1].offset, body_start);
	assert_int_equal(msg->segments[1].size, n);
	char want[32];
	snprintf(want, sizeof(want), "(NIL {%zu}\r\nabc", n);
	if (strncmp(msg->envelope, want, strlen(want)) != 0)
		fail_msg("envelope: got '%.40s', want a literal '%s...'", msg->envelope, want);
	mime_message_free(&msg);
	buf_free(&b);
}

static void test_nul_bytes(void **state)
{
	(void)state;
	static const unsigned char data[] = "Subject: n\0l\r\nContent-Type: multipart/mixed; "
					    "boundary=\"q\"\r\n\r\n--q\r\n\r\n\0\0\0\r\n--q--\r\n";
	struct buf b;
	buf_init(&b);
	buf_append(&b, data, sizeof(data) - 1);
	struct mime_message *msg = parse_ok(&b);
	assert_int_equal(part_count(msg), 1);
	assert_int_equal(msg->segments[1].size, 3);
	assert_memory_equal(b.data + msg->segments[1].offset, "\0\0\0", 3);
	assert_string_equal(msg->headers[0].value, "n?l");
	mime_message_free(&msg);
	buf_free(&b);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < MIME_NESTING_MAX + 10; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"deep-%d-x\"\r\n\r\n"
			   "--deep-%d-x\r\n", i, i);
	buf_append_str(&b, "\r\nleaf\r\n");
	struct mime_message *msg = parse_ok(&b);
	/* the levels past the limit are one opaque part */
	assert_int_equal(part_count(msg), 1);
	const struct mime_segment *last = &msg->segments[msg->segment_count - 1];
	assert_true(last->is_part);
	assert_int_equal(last->offset + last->size, b.len);
	mime_message_free(&msg);
	buf_free(&b);
}

static void test_too_many_parts(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "Subject: many\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n");
	size_t header_size = b.len;
	for (int i = 0; i < MIME_PARTS_MAX + 10; i++)
		buf_printf(&b, "--p\r\n\r\n%d\r\n", i);
	buf_append_str(&b, "--p--\r\n");
	struct mime_message *msg = parse_ok(&b);
	/* fallback: the header, then the whole body as one part */
	assert_int_equal(msg->segment_count, 2);
	assert_int_equal(msg->header_size, header_size);
	assert_true(msg->segments[1].is_part);
	assert_int_equal(msg->segments[1].offset, header_size);
	mime_message_free(&msg);

	/* just under the limit is still parsed part by part */
	buf_reset(&b);
	buf_append_str(&b, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < MIME_PARTS_MAX - 2; i++)
		buf_printf(&b, "--p\r\n\r\n%d\r\n", i);
	buf_append_str(&b, "--p--\r\n");
	msg = parse_ok(&b);
	assert_int_equal(part_count(msg), MIME_PARTS_MAX - 2);
	mime_message_free(&msg);
	buf_free(&b);
}

/* Single instance: the same attachment in two different messages, and twice
 * in one message, has one hash. */
static void test_same_attachment_same_hash(void **state)
{
	(void)state;
	static const char *const msgs[] = {
		"From: a@x\r\nSubject: one\r\nContent-Type: multipart/mixed; boundary=AAA\r\n\r\n"
		"--AAA\r\n\r\nhello\r\n--AAA\r\nContent-Type: image/png\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n" ATTACHMENT_B64 "\r\n--AAA--\r\n",
		"From: b@y\r\nSubject: two\r\nContent-Type: multipart/mixed; boundary=\"-=B=-\"\r\n\r\n"
		"---=B=-\r\nContent-Type: image/png; name=copy.png\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n" ATTACHMENT_B64 "\r\n---=B=-\r\n"
		"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		ATTACHMENT_B64 "\r\n---=B=---\r\n",
	};
	unsigned char want[MIME_HASH_SIZE];
	hash_of(ATTACHMENT_B64, strlen(ATTACHMENT_B64), want);
	size_t found = 0;
	for (size_t m = 0; m < 2; m++) {
		struct buf b;
		buf_init(&b);
		buf_append_str(&b, msgs[m]);
		struct mime_message *msg = parse_ok(&b);
		for (size_t i = 0; i < msg->segment_count; i++) {
			if (msg->segments[i].is_part &&
			    memcmp(msg->segments[i].hash, want, MIME_HASH_SIZE) == 0)
				found++;
		}
		mime_message_free(&msg);
		buf_free(&b);
	}
	if (found != 3)
		fail_msg("attachment hash found %zu times, want 3", found);
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
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_too_many_parts),
		cmocka_unit_test(test_same_attachment_same_hash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
