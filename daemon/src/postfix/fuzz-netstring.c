/* fuzz-netstring.c - libFuzzer target for the socketmap netstring parser
 * (netstring.c): every prefix of the input parses as "need more", "bad" or
 * a netstring lying inside it; the whole input parses to the same result
 * as any longer-enough prefix. Seeds: tests/fuzz-corpus/netstring/.
 */
#include "socketmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz-netstring: check failed: %s\n", #cond); \
			abort();                                                      \
		}                                                                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *payload;
	size_t payload_len, consumed;
	enum netstring_result whole = netstring_parse(buf, size, SOCKETMAP_REQUEST_MAX, &payload,
						      &payload_len, &consumed);
	if (whole == NETSTRING_OK) {
		FUZZ_CHECK(consumed <= size);
		FUZZ_CHECK(payload >= buf && payload + payload_len < buf + consumed);
		FUZZ_CHECK(payload_len <= SOCKETMAP_REQUEST_MAX);
		FUZZ_CHECK(buf[consumed - 1] == ',');
		/* a shorter prefix is never OK, the exact one is */
		const char *p2;
		size_t l2, c2;
		FUZZ_CHECK(netstring_parse(buf, consumed, SOCKETMAP_REQUEST_MAX, &p2, &l2, &c2) ==
			   NETSTRING_OK && c2 == consumed && l2 == payload_len);
		if (consumed > 1)
			FUZZ_CHECK(netstring_parse(buf, consumed - 1, SOCKETMAP_REQUEST_MAX, &p2, &l2,
						   &c2) != NETSTRING_OK);
	}
	return 0;
}
