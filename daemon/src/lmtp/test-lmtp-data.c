/* test-lmtp-data.c - unit tests for lmtp-data.c, the DATA phase decoder:
 * a table of streams with the message each must give (dot-stuffing undone,
 * everything else byte for byte), where it ends, and the size limit. Every
 * case is also fed in every two-piece split and byte by byte: the result must
 * not depend on how the bytes arrive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lmtp-data.h"
#include "log.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define NO_LIMIT 1000000

static const struct {
	const char *name;
	const char *in;
	const char *want;      /* the message kept */
	long consumed;         /* -1: all of the input */
	int done;
	unsigned long long limit;
	int overflow;
	unsigned long long size;  /* 0: the length of want */
	size_t in_len, want_len;  /* 0: strlen(); set for inputs with NUL bytes */
} cases[] = {
	{ "simple", "Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "empty message", ".\r\n", "", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "bare LF end", "a\nb\n.\n", "a\nb\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "bare LF kept with CRLF end", "a\nb\r\n.\r\n", "a\nb\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "dot-stuffed", "..leading\r\n...\r\n.\r\n", ".leading\r\n..\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "lone stuffed dot line", "..\r\n.\r\n", ".\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "dot not at line start", "a.b\r\n a.\r\n.\r\n", "a.b\r\n a.\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "dot then CR then text", ".\rx\r\n.\r\n", "\rx\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "dot CR CR LF", ".\r\r\n.\r\n", "\r\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "pipelined command after the end", "x\r\n.\r\nQUIT\r\n", "x\r\n", 6, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "not ended", "x\r\n.", "x\r\n", -1, 0, NO_LIMIT, 0, 0, 0, 0 },
	{ "not ended after dot CR", "x\r\n.\r", "x\r\n", -1, 0, NO_LIMIT, 0, 0, 0, 0 },
	{ "no final line end", "abc", "abc", -1, 0, NO_LIMIT, 0, 0, 0, 0 },
	{ "end marker mid-line is data", "x .\r\n.\r\n", "x .\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "CR alone is not a line end", "x\r.\r\n.\r\n", "x\r.\r\n", -1, 1, NO_LIMIT, 0, 0, 0, 0 },
	{ "NUL and 8-bit kept", "\x00\xff\xc3\xa9\r\n.\r\n", "\x00\xff\xc3\xa9\r\n", -1, 1, NO_LIMIT, 0, 0,
	  9, 6 },
	{ "at the limit", "12345\r\n.\r\n", "12345\r\n", -1, 1, 7, 0, 0, 0, 0 },
	{ "over the limit", "123456\r\n.\r\n", "123456\r", -1, 1, 7, 1, 8, 0, 0 },
	{ "far over the limit", "1234567890\r\n..x\r\n.\r\n", "12", -1, 1, 2, 1, 16, 0, 0 },
	{ "limit zero", "a\r\n.\r\n", "", -1, 1, 0, 1, 3, 0, 0 },
};

static size_t in_len(size_t i)
{
	return cases[i].in_len != 0 ? cases[i].in_len : strlen(cases[i].in);
}

static size_t want_len(size_t i)
{
	return cases[i].want_len != 0 ? cases[i].want_len : strlen(cases[i].want);
}

struct run_result {
	struct buf out;
	size_t consumed;
	int done;
	int overflow;
	unsigned long long size;
};

/* Feed in pieces cut at split points (sorted, within len). */
static void run(const char *in, size_t len, unsigned long long limit, const size_t *cuts,
		size_t cut_count, struct run_result *r)
{
	struct lmtp_data_reader reader;
	buf_init(&r->out);
	lmtp_data_reader_init(&reader, &r->out, limit);
	size_t pos = 0;
	r->consumed = 0;
	for (size_t i = 0; i <= cut_count && !lmtp_data_done(&reader); i++) {
		size_t end = i < cut_count ? cuts[i] : len;
		if (end < pos)
			continue;
		/* an exact-size copy: ASan sees reads past the piece */
		size_t n = end - pos;
		unsigned char *piece = malloc(n == 0 ? 1 : n);
		assert_non_null(piece);
		memcpy(piece, in + pos, n);
		size_t used = lmtp_data_feed(&reader, piece, n);
		free(piece);
		r->consumed += used;
		if (used < n && !lmtp_data_done(&reader))
			fail_msg("feed consumed %zu of %zu without reaching the end", used, n);
		pos = end;
	}
	r->done = lmtp_data_done(&reader);
	r->overflow = reader.overflow;
	r->size = (unsigned long long)reader.size;
}

static void check(size_t i, const char *how, struct run_result *r)
{
	char got[256], want[256];
	const char *name = cases[i].name;
	size_t wlen = want_len(i);
	size_t want_consumed = cases[i].consumed < 0 ? in_len(i) : (size_t)cases[i].consumed;
	unsigned long long want_size = cases[i].size != 0 ? cases[i].size : wlen;

	if (r->out.len != wlen || (wlen > 0 && memcmp(r->out.data, cases[i].want, wlen) != 0))
		fail_msg("%s (%s): got \"%s\", want \"%s\"", name, how,
			 log_printable((const char *)r->out.data, r->out.len, got, sizeof(got)),
			 log_printable(cases[i].want, wlen, want, sizeof(want)));
	if (r->consumed != want_consumed)
		fail_msg("%s (%s): got %zu bytes consumed, want %zu", name, how, r->consumed,
			 want_consumed);
	if (r->done != cases[i].done)
		fail_msg("%s (%s): got done=%d, want %d", name, how, r->done, cases[i].done);
	if (r->overflow != cases[i].overflow)
		fail_msg("%s (%s): got overflow=%d, want %d", name, how, r->overflow,
			 cases[i].overflow);
	if (r->size != want_size)
		fail_msg("%s (%s): got size %llu, want %llu", name, how, r->size, want_size);
	buf_free(&r->out);
}

static void test_data_whole(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct run_result r;
		run(cases[i].in, in_len(i), cases[i].limit, NULL, 0, &r);
		check(i, "one piece", &r);
	}
}

static void test_data_splits(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		size_t len = in_len(i);
		for (size_t cut = 0; cut <= len; cut++) {
			struct run_result r;
			char how[32];
			snprintf(how, sizeof(how), "split at %zu", cut);
			run(cases[i].in, len, cases[i].limit, &cut, 1, &r);
			check(i, how, &r);
		}
		size_t *cuts = malloc((len + 1) * sizeof(*cuts));
		assert_non_null(cuts);
		for (size_t c = 0; c <= len; c++)
			cuts[c] = c;
		struct run_result r;
		run(cases[i].in, len, cases[i].limit, cuts, len + 1, &r);
		check(i, "byte by byte", &r);
		free(cuts);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_whole),
		cmocka_unit_test(test_data_splits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
