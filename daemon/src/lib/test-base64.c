/* test-base64.c - unit tests for base64.c: RFC 4648's test vectors both
 * ways, SASL PLAIN responses with NULs, and malformed input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base64.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *plain;
	size_t len;
	const char *encoded;
} vectors[] = {
	{ "", 0, "" },
	{ "f", 1, "Zg==" },
	{ "fo", 2, "Zm8=" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg==" },
	{ "fooba", 5, "Zm9vYmE=" },
	{ "foobar", 6, "Zm9vYmFy" },
	{ "\0alice@example.test\0secret", 26, "AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=" },
	{ "Username:", 9, "VXNlcm5hbWU6" },
	{ "\xff\xfe\x00\x80", 4, "//4AgA==" },
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(vectors); i++) {
		char encoded[64];
		base64_encode((const unsigned char *)vectors[i].plain, vectors[i].len, encoded);
		if (strcmp(encoded, vectors[i].encoded) != 0)
			fail_msg("encode %zu: got \"%s\", want \"%s\"", i, encoded, vectors[i].encoded);
		unsigned char decoded[64];
		size_t len = 0;
		if (base64_decode(vectors[i].encoded, strlen(vectors[i].encoded), decoded, &len) < 0 ||
		    len != vectors[i].len || memcmp(decoded, vectors[i].plain, len) != 0)
			fail_msg("decode %zu: got %zu bytes, want %zu", i, len, vectors[i].len);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "Zm9v\n", "Zm 9", "Zg==Zg==", "=Zg=", "Zm9v*A==", "Zm=v",
	};
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		unsigned char out[16];
		size_t len;
		if (base64_decode(bad[i], strlen(bad[i]), out, &len) == 0)
			fail_msg("\"%s\": got success, want -1", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
