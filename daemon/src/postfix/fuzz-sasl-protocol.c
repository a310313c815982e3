/* fuzz-sasl-protocol.c - libFuzzer target for what Postfix's SASL client
 * sends (sasl-protocol.c): the bytes as one protocol line, and as a base64
 * response decoded and split as SASL PLAIN. Checks besides "no crash, no
 * read past the input": a parsed AUTH's strings lie inside the line, and a
 * PLAIN split gives a non-empty user and NUL-free parts.
 * Seeds: tests/fuzz-corpus/sasl-protocol/.
 */
#include "base64.h"
#include "sasl-protocol.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "fuzz-sasl-protocol: check failed: %s\n", #cond); \
			abort();                                                         \
		}                                                                        \
	} while (0)

static bool inside(const char *p, const char *start, size_t len)
{
	return p == NULL || (p >= start && p <= start + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SASL_LINE_MAX)
		return 0;
	char *line = malloc(size + 1);
	memcpy(line, data, size);
	struct sasl_line parsed;
	const char *error = NULL;
	if (sasl_line_parse(line, size, &parsed, &error) == 0) {
		if (parsed.kind == SASL_LINE_AUTH) {
			FUZZ_CHECK(parsed.mech != NULL && parsed.mech[0] != '\0');
			FUZZ_CHECK(inside(parsed.mech, line, size));
			FUZZ_CHECK(inside(parsed.rip, line, size) || parsed.rip[0] == '\0');
			FUZZ_CHECK(inside(parsed.resp, line, size));
		}
	} else {
		FUZZ_CHECK(error != NULL);
	}
	free(line);

	/* the same bytes as a response */
	unsigned char *decoded = malloc(BASE64_DECODED_MAX(size) + 1);
	size_t len = 0;
	const char *b64 = (const char *)data;
	if (base64_decode(b64, size, decoded, &len) == 0) {
		FUZZ_CHECK(len <= BASE64_DECODED_MAX(size));
		const char *user, *password;
		if (sasl_plain_split((const char *)decoded, len, &user, &password) == 0) {
			FUZZ_CHECK(user[0] != '\0');
			FUZZ_CHECK(password <= (const char *)decoded + len);
			FUZZ_CHECK(strlen(user) + strlen(password) < len);
		}
	}
	free(decoded);
	return 0;
}
