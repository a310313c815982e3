/* fuzz-managesieve.c - libFuzzer target for the ManageSieve grammar of
 * ms-parse.c.
 *
 * The input is an assembled command (lines, literal markers with CRLF and
 * the literal's octets) as the session hands it to ms_parse_tokens; every
 * line of it also goes through ms_parse_literal_marker. Besides "no crash,
 * no read or write outside the buffer", it checks what the session relies
 * on: at most MANAGESIEVE_ARGS_MAX + 1 tokens, each inside the buffer and
 * NUL-terminated, atoms non-empty and free of spaces, quotes and control
 * bytes, a marker's size within MS_NUMBER_MAX, numbers within bounds.
 * Seeds: tests/fuzz-corpus/managesieve/.
 */
#include "ms-parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                               \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz-managesieve: check failed: %s\n", #cond); \
			abort();                                                       \
		}                                                                      \
	} while (0)

static void fuzz_markers(const char *text, size_t size)
{
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && text[i] != '\n')
			continue;
		size_t len = i - start;
		if (len > 0 && text[start + len - 1] == '\r')
			len--;
		uint64_t n = 0;
		int ret = ms_parse_literal_marker(text + start, len, &n);
		FUZZ_CHECK(ret >= -1 && ret <= 1);
		if (ret == 1)
			FUZZ_CHECK(n <= MS_NUMBER_MAX);
		start = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one writable byte after the command, as the session's buffer has */
	char *buf = malloc(size + 1);
	FUZZ_CHECK(buf != NULL);
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = 'Z';
	fuzz_markers(buf, size);

	struct ms_args args;
	const char *error = NULL;
	if (ms_parse_tokens(buf, size, &args, &error) < 0) {
		FUZZ_CHECK(error != NULL && error[0] != '\0');
		free(buf);
		return 0;
	}
	FUZZ_CHECK(args.count >= 1 && args.count <= MANAGESIEVE_ARGS_MAX + 1);
	for (unsigned n = 0; n < args.count; n++) {
		const struct ms_arg *arg = &args.args[n];
		FUZZ_CHECK(arg->data >= buf && arg->data + arg->len <= buf + size);
		FUZZ_CHECK(arg->data[arg->len] == '\0');
		if (arg->type == MS_ARG_ATOM) {
			FUZZ_CHECK(arg->len > 0);
			for (size_t i = 0; i < arg->len; i++) {
				unsigned char c = (unsigned char)arg->data[i];
				FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '"' && c != '{');
			}
			uint64_t number;
			if (ms_parse_number(arg, &number) == 0)
				FUZZ_CHECK(number <= MS_NUMBER_MAX);
		} else {
			FUZZ_CHECK(arg->type == MS_ARG_STRING);
		}
	}
	free(buf);
	return 0;
}
