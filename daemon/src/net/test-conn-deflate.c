/* test-conn-deflate.c - unit tests for conn-deflate.c: a table of inputs
 * that must come back byte for byte through deflate and inflate (fed in
 * small pieces, as packets arrive), the inflate bound against a bomb, and
 * corrupt or ended streams that must fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "conn-deflate.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static void to_evbuffer(void *context, const void *data, size_t len)
{
	evbuffer_add(context, data, len);
}

static const struct {
	const char *text;
	size_t repeat;  /* text repeated this many times */
	size_t feed;    /* compressed bytes handed over per step */
} roundtrips[] = {
	{ "a1 NOOP\r\n", 1, 1 },
	{ "", 1, 1 },
	{ "* 1 FETCH (FLAGS (\\Seen))\r\n", 1000, 7 },
	{ "\x00\xff binary \r\n", 5000, 4096 },
};

static void test_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(roundtrips); i++) {
		struct conn_deflate *out = conn_deflate_create(), *in = conn_deflate_create();
		struct evbuffer *wire = evbuffer_new(), *feed = evbuffer_new(),
				*plain = evbuffer_new();
		size_t len = strlen(roundtrips[i].text) + (i == 3 ? 2 : 0);
		size_t total = len * roundtrips[i].repeat;
		for (size_t r = 0; r < roundtrips[i].repeat; r++)
			conn_deflate_write(out, roundtrips[i].text, len, to_evbuffer, wire);
		while (evbuffer_get_length(wire) > 0 || evbuffer_get_length(feed) > 0) {
			evbuffer_remove_buffer(wire, feed, roundtrips[i].feed);
			size_t made;
			const char *error = NULL;
			if (conn_deflate_inflate(in, feed, plain, total + 1, &made, &error) < 0)
				fail_msg("case %zu: got error %s, want none", i, error);
			if (evbuffer_get_length(wire) == 0 && made == 0)
				break;
		}
		if (evbuffer_get_length(plain) != total)
			fail_msg("case %zu: got %zu bytes, want %zu", i, evbuffer_get_length(plain),
				 total);
		unsigned char *got = evbuffer_pullup(plain, -1);
		for (size_t r = 0; total > 0 && r < roundtrips[i].repeat; r++)
			if (memcmp(got + r * len, roundtrips[i].text, len) != 0)
				fail_msg("case %zu: got different bytes at %zu, want the same", i,
					 r * len);
		conn_deflate_free(&out);
		conn_deflate_free(&in);
		assert_null(out);
		evbuffer_free(wire);
		evbuffer_free(feed);
		evbuffer_free(plain);
	}
}

/* every write is flushed: each one alone inflates completely */
static void test_sync_flush(void **state)
{
	(void)state;
	struct conn_deflate *out = conn_deflate_create(), *in = conn_deflate_create();
	struct evbuffer *wire = evbuffer_new(), *plain = evbuffer_new();
	const char *lines[] = { "+ idling\r\n", "* 2 EXISTS\r\n", "* 1 RECENT\r\n" };
	for (size_t i = 0; i < N_ELEMENTS(lines); i++) {
		conn_deflate_write(out, lines[i], strlen(lines[i]), to_evbuffer, wire);
		size_t made;
		const char *error;
		assert_int_equal(conn_deflate_inflate(in, wire, plain, 1 << 20, &made, &error), 0);
		if (made != strlen(lines[i]))
			fail_msg("line %zu: got %zu bytes, want %zu", i, made, strlen(lines[i]));
		evbuffer_drain(plain, made);
	}
	conn_deflate_free(&out);
	conn_deflate_free(&in);
	evbuffer_free(wire);
	evbuffer_free(plain);
}

/* 64 MB of zeros compress to ~64 KB; inflate stops at the bound */
static void test_bomb_bounded(void **state)
{
	(void)state;
	struct conn_deflate *out = conn_deflate_create(), *in = conn_deflate_create();
	struct evbuffer *wire = evbuffer_new(), *plain = evbuffer_new();
	unsigned char *zeros = calloc(1, 1 << 20);
	for (int i = 0; i < 64; i++)
		conn_deflate_write(out, zeros, 1 << 20, to_evbuffer, wire);
	size_t made;
	const char *error;
	assert_int_equal(conn_deflate_inflate(in, wire, plain, 100000, &made, &error), 0);
	if (evbuffer_get_length(plain) < 100000 || evbuffer_get_length(plain) > 100000 + 16384)
		fail_msg("got %zu bytes, want about 100000", evbuffer_get_length(plain));
	if (evbuffer_get_length(wire) == 0)
		fail_msg("got all input consumed, want some left for later");
	free(zeros);
	conn_deflate_free(&out);
	conn_deflate_free(&in);
	evbuffer_free(wire);
	evbuffer_free(plain);
}

static const struct {
	const char *name;
	const unsigned char *bytes;
	size_t len;
} corrupt[] = {
	{ "plain text", (const unsigned char *)"a2 NOOP\r\nnot deflate\r\n", 22 },
	{ "reserved block type", (const unsigned char *)"\x07\x00\x00", 3 },
	{ "final empty block (stream ended)", (const unsigned char *)"\x03\x00", 2 },
};

static void test_corrupt(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(corrupt); i++) {
		struct conn_deflate *in = conn_deflate_create();
		struct evbuffer *wire = evbuffer_new(), *plain = evbuffer_new();
		evbuffer_add(wire, corrupt[i].bytes, corrupt[i].len);
		size_t made;
		const char *error = NULL;
		int ret = conn_deflate_inflate(in, wire, plain, 1 << 20, &made, &error);
		if (ret != -1 || error == NULL)
			fail_msg("%s: got %d, want -1 with an error", corrupt[i].name, ret);
		conn_deflate_free(&in);
		evbuffer_free(wire);
		evbuffer_free(plain);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_sync_flush),
		cmocka_unit_test(test_bomb_bounded),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
