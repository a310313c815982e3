/* test-imap-search.c - unit tests for imap-search-parse.c and imap-search.c:
 * a table of SEARCH argument lists (written as IMAP text, tokenized here)
 * with the messages of a small sample mailbox each must match, a table of
 * hostile argument lists with the error each must give, the limits, and
 * how often the raw message is asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap-search.h"
#include "buf.h"
#include "mime.h"
#include "storage.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- a tiny tokenizer for the tables: atoms, "quoted" (\\ \" escapes) and
 * (lists); no literals ---- */
struct tok_list {
	struct imap_search_arg *args;
	size_t count;
};

static void tok_free(struct imap_search_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (args[i].type == IMAP_SEARCH_ARG_LIST)
			tok_free((struct imap_search_arg *)args[i].children, args[i].child_count);
		else
			free((char *)args[i].text);
	}
	free(args);
}

static int tok_parse(const char **p, bool in_list, struct imap_search_arg **args_r,
		     size_t *count_r)
{
	struct imap_search_arg *args = NULL;
	size_t count = 0;
	for (;;) {
		while (**p == ' ')
			(*p)++;
		if (**p == '\0' || **p == ')') {
			if ((**p == ')') != in_list) {
				tok_free(args, count);
				return -1;
			}
			if (**p == ')')
				(*p)++;
			*args_r = args;
			*count_r = count;
			return 0;
		}
		args = realloc(args, (count + 1) * sizeof(*args));
		assert_non_null(args);
		struct imap_search_arg *a = &args[count++];
		memset(a, 0, sizeof(*a));
		if (**p == '(') {
			(*p)++;
			a->type = IMAP_SEARCH_ARG_LIST;
			struct imap_search_arg *children;
			if (tok_parse(p, true, &children, &a->child_count) < 0) {
				count--;
				tok_free(args, count);
				return -1;
			}
			a->children = children;
			continue;
		}
		struct buf b;
		buf_init(&b);
		buf_append(&b, "", 0);
		if (**p == '"') {
			a->type = IMAP_SEARCH_ARG_STRING;
			(*p)++;
			while (**p != '"' && **p != '\0') {
				if (**p == '\\' && (*p)[1] != '\0')
					(*p)++;
				buf_append_byte(&b, (unsigned char)*(*p)++);
			}
			if (**p == '"')
				(*p)++;
		} else {
			a->type = IMAP_SEARCH_ARG_ATOM;
			while (**p != ' ' && **p != '(' && **p != ')' && **p != '\0')
				buf_append_byte(&b, (unsigned char)*(*p)++);
		}
		a->text = (const char *)buf_steal(&b, &a->len);
	}
}

static struct tok_list tokenize(const char *text)
{
	struct tok_list t = { NULL, 0 };
	const char *p = text;
	if (tok_parse(&p, false, &t.args, &t.count) < 0)
		fail_msg("test bug: cannot tokenize \"%s\"", text);
	return t;
}

/* ---- the sample mailbox ---- */
static const char msg1[] =
	"Return-Path: <x@y.example>\r\n"
	"Date: Tue, 1 Feb 1994 23:30:00 -0800\r\n"
	"From: =?UTF-8?Q?J=C3=BCrgen?= <jurgen@example.org>\r\n"
	"To: Bob <bob@example.org>\r\n"
	"Cc: carol@example.org\r\n"
	"Subject: Quarterly\r\n =?ISO-8859-1?Q?r=E9port?=\r\n"
	"X-Custom: Foo\r\n"
	"\r\n"
	"Hello World\r\n";

static const char msg2[] =
	"From: anna@example.org\r\n"
	"Subject: Re: Hello\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"R3LDvMOfZSBhdXMgS8O2bG4NCg==\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"caf=E9 au lait\r\n"
	"--b1\r\n"
	"Content-Type: application/octet-stream\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"dG9wIHNlY3JldCBkYXRh\r\n"
	"--b1--\r\n";

/* msg3 has a NUL in the body: its size is given explicitly */
static const char msg3[] =
	"Subject: =?UTF-8?B?w6nDqQ==?=\r\n"
	"From: zed@example.org\r\n"
	"Bcc: hidden@example.org\r\n"
	"Date: garbage\r\n"
	"\r\n"
	"NUL\0byte \xc3\xbc\r\n";

struct sample {
	struct imap_search_mail mail;
	const char *data;
	size_t size;
	unsigned reads;
	bool fail_read;
};

static int sample_read(void *context, const unsigned char **data_r, size_t *size_r,
		       const char **error_r)
{
	struct sample *s = context;
	s->reads++;
	if (s->fail_read) {
		*error_r = "read failed";
		return -1;
	}
	*data_r = (const unsigned char *)s->data;
	*size_r = s->size;
	return 0;
}

static struct sample samples[3];

static const struct imap_search_mailbox box = { 3, 30, true, 0 };

static void samples_init(void)
{
	memset(samples, 0, sizeof(samples));
	const struct {
		uint32_t uid, flags;
		bool recent;
		const char *keywords;
		int64_t idate;
		uint64_t size;
		const char *data;
		size_t data_size;
	} init[3] = {
		{ 10, STORAGE_FLAG_SEEN | STORAGE_FLAG_ANSWERED, false, "$Forwarded Work",
		  760104000 /* 1994-02-01 12:00 UTC */, 1000, msg1, sizeof(msg1) - 1 },
		{ 20, 0, true, NULL, 760149000 /* 1994-02-02 00:30 UTC */, 50000, msg2,
		  sizeof(msg2) - 1 },
		{ 30,
		  STORAGE_FLAG_DELETED | STORAGE_FLAG_DRAFT | STORAGE_FLAG_FLAGGED |
			  STORAGE_FLAG_SEEN,
		  true, "", 1584230400 /* 2020-03-15 00:00 UTC */, 100, msg3, sizeof(msg3) - 1 },
	};
	for (size_t i = 0; i < 3; i++) {
		struct sample *s = &samples[i];
		s->data = init[i].data;
		s->size = init[i].data_size;
		s->mail.seq = (uint32_t)i + 1;
		s->mail.uid = init[i].uid;
		s->mail.flags = init[i].flags;
		s->mail.recent = init[i].recent;
		s->mail.keywords = init[i].keywords;
		s->mail.internal_date = init[i].idate;
		s->mail.size = init[i].size;
		s->mail.get_message = sample_read;
		s->mail.context = s;
	}
}

/* "1,3": the sequence numbers of the samples key matches */
static void run_search(const struct imap_search_key *key, char *out, size_t out_size)
{
	out[0] = '\0';
	for (size_t i = 0; i < 3; i++) {
		bool match;
		const char *error = NULL;
		if (imap_search_match(key, &box, &samples[i].mail, &match, &error) < 0)
			fail_msg("match on mail %zu failed: %s", i + 1, error);
		if (match)
			snprintf(out + strlen(out), out_size - strlen(out), "%s%zu",
				 out[0] == '\0' ? "" : ",", i + 1);
	}
}

static const struct {
	const char *query;
	const char *want;
} match_cases[] = {
	{ "ALL", "1,2,3" },
	{ "SEEN", "1,3" },
	{ "unseen", "2" },
	{ "ANSWERED", "1" },
	{ "UNANSWERED", "2,3" },
	{ "DELETED", "3" },
	{ "UNDELETED", "1,2" },
	{ "DRAFT", "3" },
	{ "UNDRAFT", "1,2" },
	{ "FLAGGED", "3" },
	{ "UNFLAGGED", "1,2" },
	{ "RECENT", "2,3" },
	{ "NEW", "2" },
	{ "OLD", "1" },
	{ "KEYWORD work", "1" },
	{ "KEYWORD $forwarded", "1" },
	{ "KEYWORD Wor", "" },
	{ "UNKEYWORD $Forwarded", "2,3" },
	{ "KEYWORD \\Seen", "1,3" },
	{ "UNKEYWORD \\Seen", "2" },
	{ "1", "1" },
	{ "2:*", "2,3" },
	{ "*", "3" },
	{ "*:2", "2,3" },
	{ "1,3", "1,3" },
	{ "3:1", "1,2,3" },
	{ "4:*", "3" },
	{ "UID 20", "2" },
	{ "UID 25:*", "3" },
	{ "UID 31:*", "3" },
	{ "UID 1:9", "" },
	{ "UID 10,30", "1,3" },
	{ "LARGER 1000", "2" },
	{ "SMALLER 1000", "3" },
	{ "LARGER 99 SMALLER 1001", "1,3" },
	{ "BEFORE 2-Feb-1994", "1" },
	{ "ON 2-Feb-1994", "2" },
	{ "ON \"02-feb-1994\"", "2" },
	{ "SINCE 2-Feb-1994", "2,3" },
	{ "ON 1-FEB-1994", "1" },
	{ "SINCE 15-Mar-2020", "3" },
	{ "SINCE 16-Mar-2020", "" },
	/* Date in its own zone (-0800: still 1 Feb); no Date / bad Date: internal */
	{ "SENTON 1-Feb-1994", "1" },
	{ "SENTON 2-Feb-1994", "2" },
	{ "SENTBEFORE 1-Jan-2000", "1,2" },
	{ "SENTSINCE 1-Jan-2000", "3" },
	{ "SENTSINCE 2-Feb-1994", "2,3" },
	{ "FROM jürgen", "1" },
	{ "FROM JÜRGEN", "1" },
	{ "FROM jurgen@", "1" },
	{ "FROM zed", "3" },
	{ "FROM example.org", "1,2,3" },
	{ "TO bob", "1" },
	{ "TO \"\"", "1" },
	{ "CC carol", "1" },
	{ "BCC hidden", "3" },
	{ "SUBJECT réport", "1" },
	{ "SUBJECT \"QUARTERLY RÉPORT\"", "1" },
	{ "SUBJECT éé", "3" },
	{ "SUBJECT hello", "2" },
	{ "SUBJECT \"\"", "1,2,3" },
	{ "HEADER X-Custom foo", "1" },
	{ "HEADER x-custom \"\"", "1" },
	{ "HEADER Return-Path x@y", "1" },
	{ "HEADER MIME-Version 1.0", "2" },
	{ "BODY world", "1" },
	{ "BODY grüße", "2" },
	{ "BODY GRÜSSE", "2" },
	{ "BODY köln", "2" },
	{ "BODY café", "2" },
	{ "BODY secret", "" },
	{ "BODY dG9w", "" },
	{ "BODY \"nul byte\"", "3" },
	{ "BODY \"byte Ü\"", "3" },
	{ "BODY hello", "1" },
	{ "BODY \"\"", "1,2,3" },
	{ "TEXT hello", "1,2" },
	{ "TEXT bob@example", "1" },
	{ "TEXT \"x-custom: foo\"", "1" },
	{ "NOT SEEN", "2" },
	{ "NOT NOT NOT SEEN", "2" },
	{ "OR SEEN FLAGGED", "1,3" },
	{ "OR (SEEN ANSWERED) DELETED", "1,3" },
	{ "OR BODY café FROM zed", "2,3" },
	{ "NOT (SEEN FLAGGED)", "1,2" },
	{ "(SEEN) (UNDELETED)", "1" },
	{ "((((SEEN))))", "1,3" },
	{ "BODY world SEEN", "1" },
	{ "CHARSET UTF-8 FROM zed", "3" },
	{ "charset \"us-ascii\" ALL", "1,2,3" },
	{ "UNSEEN NOT FROM anna", "" },
};

static void test_match(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(match_cases); i++) {
		samples_init();
		struct tok_list t = tokenize(match_cases[i].query);
		struct imap_search_key *key;
		const char *error = NULL;
		enum imap_search_parse_result r = imap_search_parse(t.args, t.count, &key, &error);
		if (r != IMAP_SEARCH_PARSE_OK)
			fail_msg("SEARCH %s: got parse result %d (%s), want OK",
				 match_cases[i].query, r, error);
		char got[32];
		run_search(key, got, sizeof(got));
		if (strcmp(got, match_cases[i].want) != 0)
			fail_msg("SEARCH %s: got \"%s\", want \"%s\"", match_cases[i].query, got,
				 match_cases[i].want);
		imap_search_key_free(&key);
		assert_null(key);
		tok_free(t.args, t.count);
	}
}

static const struct {
	const char *query;
	enum imap_search_parse_result want;
} bad_cases[] = {
	{ "", IMAP_SEARCH_PARSE_BAD },
	{ "FOO", IMAP_SEARCH_PARSE_BAD },
	{ "FROM", IMAP_SEARCH_PARSE_BAD },
	{ "FROM (a)", IMAP_SEARCH_PARSE_BAD },
	{ "\"SEEN\"", IMAP_SEARCH_PARSE_BAD },
	{ "\"\"", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 30-Feb-1994", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 29-Feb-1995", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 1-Foo-1994", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 1-Feb-94", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 001-Feb-1994", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 0-Feb-1994", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 1-Feb-19945", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 1/Feb/1994", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE -Feb-1994", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE 1-Feb-199x", IMAP_SEARCH_PARSE_BAD },
	{ "BEFORE", IMAP_SEARCH_PARSE_BAD },
	{ "LARGER x", IMAP_SEARCH_PARSE_BAD },
	{ "LARGER \"10\"", IMAP_SEARCH_PARSE_BAD },
	{ "LARGER 99999999999999999999", IMAP_SEARCH_PARSE_BAD },
	{ "LARGER 9999999999999999999", IMAP_SEARCH_PARSE_BAD },
	{ "LARGER -1", IMAP_SEARCH_PARSE_BAD },
	{ "OR SEEN", IMAP_SEARCH_PARSE_BAD },
	{ "NOT", IMAP_SEARCH_PARSE_BAD },
	{ "()", IMAP_SEARCH_PARSE_BAD },
	{ "(SEEN ())", IMAP_SEARCH_PARSE_BAD },
	{ "0", IMAP_SEARCH_PARSE_BAD },
	{ "1:0", IMAP_SEARCH_PARSE_BAD },
	{ "01", IMAP_SEARCH_PARSE_BAD },
	{ "1,", IMAP_SEARCH_PARSE_BAD },
	{ "1::2", IMAP_SEARCH_PARSE_BAD },
	{ "1:2:3", IMAP_SEARCH_PARSE_BAD },
	{ "4294967296", IMAP_SEARCH_PARSE_BAD },
	{ "4294967295x", IMAP_SEARCH_PARSE_BAD },
	{ "**", IMAP_SEARCH_PARSE_BAD },
	{ "$", IMAP_SEARCH_PARSE_BAD },
	{ "UID", IMAP_SEARCH_PARSE_BAD },
	{ "UID FOO", IMAP_SEARCH_PARSE_BAD },
	{ "UID (1)", IMAP_SEARCH_PARSE_BAD },
	{ "UID \"1\"", IMAP_SEARCH_PARSE_BAD },
	{ "KEYWORD (a)", IMAP_SEARCH_PARSE_BAD },
	{ "KEYWORD a\"b", IMAP_SEARCH_PARSE_BAD },
	{ "KEYWORD \"a b\"", IMAP_SEARCH_PARSE_BAD },
	{ "KEYWORD \\Recent", IMAP_SEARCH_PARSE_BAD },
	{ "HEADER \"\" x", IMAP_SEARCH_PARSE_BAD },
	{ "HEADER a:b x", IMAP_SEARCH_PARSE_BAD },
	{ "HEADER Subject", IMAP_SEARCH_PARSE_BAD },
	{ "CHARSET", IMAP_SEARCH_PARSE_BAD },
	{ "CHARSET UTF-8", IMAP_SEARCH_PARSE_BAD },
	{ "CHARSET (UTF-8) ALL", IMAP_SEARCH_PARSE_BAD },
	{ "SEEN CHARSET UTF-8", IMAP_SEARCH_PARSE_BAD },
	{ "CHARSET ISO-8859-1 ALL", IMAP_SEARCH_PARSE_BADCHARSET },
	{ "CHARSET \"KOI8-R\" ALL", IMAP_SEARCH_PARSE_BADCHARSET },
	{ "CHARSET UTF-7 FOO", IMAP_SEARCH_PARSE_BADCHARSET },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(bad_cases); i++) {
		struct tok_list t = tokenize(bad_cases[i].query);
		struct imap_search_key *key = (void *)1;
		const char *error = NULL;
		enum imap_search_parse_result r = imap_search_parse(t.args, t.count, &key, &error);
		if (r != bad_cases[i].want)
			fail_msg("SEARCH %s: got parse result %d, want %d", bad_cases[i].query, r,
				 bad_cases[i].want);
		if (key != NULL || error == NULL)
			fail_msg("SEARCH %s: got key %p error %s, want NULL and a message",
				 bad_cases[i].query, (void *)key, error ? error : "NULL");
		tok_free(t.args, t.count);
	}
}

/* one query built from a repeated piece: prefix * n + middle + suffix * n */
static enum imap_search_parse_result parse_repeated(const char *prefix, const char *middle,
						    const char *suffix, int n)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_append_str(&b, prefix);
	buf_append_str(&b, middle);
	for (int i = 0; i < n; i++)
		buf_append_str(&b, suffix);
	buf_append(&b, "", 0);
	struct tok_list t = tokenize((const char *)b.data);
	struct imap_search_key *key;
	const char *error;
	enum imap_search_parse_result r = imap_search_parse(t.args, t.count, &key, &error);
	imap_search_key_free(&key);
	tok_free(t.args, t.count);
	buf_free(&b);
	return r;
}

static void test_limits(void **state)
{
	(void)state;
	static const struct {
		const char *prefix, *middle, *suffix;
		int n;
		enum imap_search_parse_result want;
	} cases[] = {
		{ "NOT ", "ALL", "", IMAP_SEARCH_DEPTH_MAX - 1, IMAP_SEARCH_PARSE_OK },
		{ "NOT ", "ALL", "", IMAP_SEARCH_DEPTH_MAX, IMAP_SEARCH_PARSE_BAD },
		{ "(", "ALL", ")", IMAP_SEARCH_DEPTH_MAX - 1, IMAP_SEARCH_PARSE_OK },
		{ "(", "ALL", ")", IMAP_SEARCH_DEPTH_MAX, IMAP_SEARCH_PARSE_BAD },
		{ "OR ALL ", "ALL", "", IMAP_SEARCH_DEPTH_MAX - 1, IMAP_SEARCH_PARSE_OK },
		{ "OR ALL ", "ALL", "", IMAP_SEARCH_DEPTH_MAX, IMAP_SEARCH_PARSE_BAD },
		{ "ALL ", "", "", IMAP_SEARCH_KEYS_MAX, IMAP_SEARCH_PARSE_OK },
		{ "ALL ", "", "", IMAP_SEARCH_KEYS_MAX + 1, IMAP_SEARCH_PARSE_BAD },
		{ "", "(", "ALL ", IMAP_SEARCH_KEYS_MAX, IMAP_SEARCH_PARSE_BAD },
		{ "1,", "1", "", IMAP_SEARCH_RANGES_MAX - 1, IMAP_SEARCH_PARSE_OK },
		{ "1,", "1", "", IMAP_SEARCH_RANGES_MAX, IMAP_SEARCH_PARSE_BAD },
		{ "BODY ", "", "x", IMAP_SEARCH_STRING_MAX, IMAP_SEARCH_PARSE_OK },
		{ "BODY ", "", "x", IMAP_SEARCH_STRING_MAX + 1, IMAP_SEARCH_PARSE_BAD },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		/* BODY x...: the prefix once */
		int n = cases[i].n;
		enum imap_search_parse_result r;
		if (strcmp(cases[i].prefix, "BODY ") == 0) {
			struct buf b;
			buf_init(&b);
			buf_append_str(&b, "BODY ");
			for (int k = 0; k < n; k++)
				buf_append_byte(&b, 'x');
			buf_append(&b, "", 0);
			r = parse_repeated("", (const char *)b.data, "", 0);
			buf_free(&b);
		} else if (cases[i].middle[0] == '(') {
			/* "(ALL ALL ... )": n keys inside one group, plus the group */
			struct buf b;
			buf_init(&b);
			buf_append_str(&b, "(");
			for (int k = 0; k < n; k++)
				buf_append_str(&b, "ALL ");
			buf_append_str(&b, ")");
			buf_append(&b, "", 0);
			r = parse_repeated("", (const char *)b.data, "", 0);
			buf_free(&b);
		} else {
			r = parse_repeated(cases[i].prefix, cases[i].middle, cases[i].suffix, n);
		}
		if (r != cases[i].want)
			fail_msg("limit case %zu (%s%s%s x %d): got %d, want %d", i, cases[i].prefix,
				 cases[i].middle, cases[i].suffix, n, r, cases[i].want);
	}
}

static void give_header(bool give)
{
	if (give) {
		samples[0].mail.header = (const unsigned char *)msg1;
		samples[0].mail.header_size = (size_t)(strstr(msg1, "\r\n\r\n") + 4 - msg1);
	}
}

/* The message is read only when needed, once per match, and a read error
 * is reported. */
static void test_lazy_read(void **state)
{
	(void)state;
	static const struct {
		const char *query;
		bool give_header;
		unsigned reads;
	} cases[] = {
		{ "SEEN LARGER 1 UID 1:* 1:* SINCE 1-Jan-1990 KEYWORD x", false, 0 },
		{ "FROM a TO b SUBJECT c BODY d TEXT e SENTON 1-Jan-2000", false, 1 },
		{ "FROM a TO b SUBJECT c SENTON 1-Jan-2000", true, 0 },
		{ "FROM a BODY b", true, 1 },
		{ "UNSEEN BODY b", false, 0 }, /* mail 1 is seen: the body is not needed */
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		samples_init();
		give_header(cases[i].give_header);
		struct tok_list t = tokenize(cases[i].query);
		struct imap_search_key *key;
		const char *error;
		assert_int_equal(imap_search_parse(t.args, t.count, &key, &error),
				 IMAP_SEARCH_PARSE_OK);
		bool match;
		assert_int_equal(imap_search_match(key, &box, &samples[0].mail, &match, &error), 0);
		if (samples[0].reads != cases[i].reads)
			fail_msg("SEARCH %s: got %u reads, want %u", cases[i].query,
				 samples[0].reads, cases[i].reads);
		samples_init();
		give_header(cases[i].give_header);
		samples[0].fail_read = true;
		int ret = imap_search_match(key, &box, &samples[0].mail, &match, &error);
		int want = cases[i].reads > 0 ? -1 : 0;
		if (ret != want)
			fail_msg("SEARCH %s with a failing read: got %d, want %d", cases[i].query,
				 ret, want);
		if (ret < 0 && strcmp(error, "read failed") != 0)
			fail_msg("SEARCH %s: got error \"%s\", want \"read failed\"",
				 cases[i].query, error);
		imap_search_key_free(&key);
		tok_free(t.args, t.count);
	}
}

static void test_dates(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t day;
	} cases[] = {
		{ "1-Jan-1970", 0 },   { "2-Jan-1970", 1 },      { "31-Dec-1969", -1 },
		{ "1-Mar-2000", 11017 }, { "29-Feb-2000", 11016 }, { "29-Feb-2024", 19782 },
		{ "01-jan-1970", 0 },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		int64_t day = 12345;
		if (imap_search_date_parse(cases[i].text, strlen(cases[i].text), &day) < 0)
			fail_msg("date %s: got error, want %lld", cases[i].text,
				 (long long)cases[i].day);
		if (day != cases[i].day)
			fail_msg("date %s: got %lld, want %lld", cases[i].text, (long long)day,
				 (long long)cases[i].day);
	}
}

/* One message, one query, matched or not: decoding of hostile bodies and
 * headers. */
static const struct {
	const char *msg;
	const char *query;
	bool want;
} decode_cases[] = {
	{ "Subject: x\r\n\r\nplain needle\r\n", "BODY NEEDLE", true },
	{ "Content-Type: garbage\r\n\r\nneedle\r\n", "BODY needle", true },
	{ "Content-Type: image/png\r\n\r\nneedle\r\n", "BODY needle", false },
	{ "Content-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "aADpAGwAbABvACAAdwD2AHIAbABkAA==\r\n", "BODY \"HÉLLO WÖRLD\"", true },
	{ "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xe9\r\n", "BODY café",
	  true },
	{ "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ngr\xc3\xbc\xc3\x9f\r\n",
	  "BODY GRÜSS", true },
	{ "Content-Type: text/plain; charset=us-ascii\r\n\r\ncaf\xe9\r\n", "BODY café", true },
	{ "Content-Transfer-Encoding: x-unknown\r\n\r\nneedle\r\n", "BODY needle", true },
	{ "Content-Transfer-Encoding: quoted-printable\r\n\r\nnee=\r\ndle\r\n", "BODY needle",
	  true },
	{ "Content-Transfer-Encoding: base64\r\n\r\n!!bm Vl\r\nZGxl*\r\n", "BODY needle", true },
	{ "Content-Transfer-Encoding: base64\r\n\r\nbmVlZGxl\r\n", "BODY bmVl", false },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner needle\r\n--b--\r\n",
	  "BODY \"inner needle\"", true },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble needle\r\n--b\r\n\r\nx\r\n"
	  "--b--\r\n", "BODY needle", false },
	{ "Content-Type: multipart/mixed\r\n\r\nno boundary needle\r\n", "BODY needle", true },
	{ "Subject: a\r\n  b\r\n\r\n", "SUBJECT \"a  b\"", true },
	{ "Subject: =?x-bad?B?!!!?= z\r\n\r\n", "SUBJECT z", true },
	{ "Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\n", "SUBJECT CAFÉ", true },
	{ "Subject: caf\xe9\r\n\r\n", "SUBJECT caf", true },
	{ "Subject x\r\n\r\n", "SUBJECT x", false },
	{ "", "BODY x", false },
	{ "", "NOT SUBJECT \"\"", true },
	{ "Date: Mon, 31 Dec 2029 23:59:59 -1200\r\n\r\n", "SENTON 31-Dec-2029", true },
	{ "Date: Mon, 31 Dec 2029 23:59:59 -1200\r\n\r\n", "SENTSINCE 1-Jan-2030", false },
	{ "Date: 1 Jan 2030 00:00 +1400\r\n\r\n", "SENTON 1-Jan-2030", true },
};

static void test_decoding(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(decode_cases); i++) {
		samples_init();
		size_t len = strlen(decode_cases[i].msg);
		char *copy = malloc(len == 0 ? 1 : len); /* exact size, no NUL */
		assert_non_null(copy);
		memcpy(copy, decode_cases[i].msg, len);
		samples[0].data = copy;
		samples[0].size = len;
		struct tok_list t = tokenize(decode_cases[i].query);
		struct imap_search_key *key;
		const char *error;
		assert_int_equal(imap_search_parse(t.args, t.count, &key, &error),
				 IMAP_SEARCH_PARSE_OK);
		bool match;
		assert_int_equal(imap_search_match(key, &box, &samples[0].mail, &match, &error), 0);
		if (match != decode_cases[i].want)
			fail_msg("case %zu SEARCH %s: got %s, want %s", i, decode_cases[i].query,
				 match ? "match" : "no match",
				 decode_cases[i].want ? "match" : "no match");
		imap_search_key_free(&key);
		tok_free(t.args, t.count);
		free(copy);
	}
}

/* A message with more parts than the scanner keeps is searched raw. */
static void test_too_many_parts(void **state)
{
	(void)state;
	struct buf m;
	buf_init(&m);
	buf_append_str(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; i < 6000; i++)
		buf_append_str(&m, "--b\r\n\r\nx\r\n");
	buf_append_str(&m, "--b\r\n\r\nneedle\r\n--b--\r\n");
	samples_init();
	samples[0].data = (const char *)m.data;
	samples[0].size = m.len;
	struct tok_list t = tokenize("BODY needle");
	struct imap_search_key *key;
	const char *error;
	assert_int_equal(imap_search_parse(t.args, t.count, &key, &error), IMAP_SEARCH_PARSE_OK);
	bool match;
	assert_int_equal(imap_search_match(key, &box, &samples[0].mail, &match, &error), 0);
	if (!match)
		fail_msg("BODY needle in 6001 parts: got no match, want match");
	imap_search_key_free(&key);
	tok_free(t.args, t.count);
	buf_free(&m);
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
		cmocka_unit_test(test_match),   cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),  cmocka_unit_test(test_lazy_read),
		cmocka_unit_test(test_dates),   cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_too_many_parts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
