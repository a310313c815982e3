/* fuzz-pop3-parse.c - libFuzzer target for the POP3 command-line parser
 * and the message output of pop3-parse.c.
 *
 * The input is one command line: besides "no crash, no read past the
 * input", it checks what the session relies on: an accepted keyword is 3-4
 * upper-case letters, every argument is non-empty, within its limit and
 * free of control bytes, and the numbers parse within their bounds. The
 * same bytes then go through the RETR/TOP formatter: the result must end
 * in ".\r\n", hold no bare LF, and no line may be a lone "." before the end.
 * Seeds: tests/fuzz-corpus/pop3-parse/.
 */
#include "buf.h"
#include "pop3-parse.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                            \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "fuzz-pop3-parse: check failed: %s\n", #cond); \
			abort();                                                    \
		}                                                                   \
	} while (0)

static void fuzz_command(const uint8_t *data, size_t size)
{
	/* a copy without a NUL after it: the parser must respect len */
	char *line = malloc(size > 0 ? size : 1);
	FUZZ_CHECK(line != NULL);
	if (size > 0)
		memcpy(line, data, size);
	struct pop3_command cmd;
	const char *error = NULL;
	if (pop3_command_parse(line, size, &cmd, &error) < 0) {
		FUZZ_CHECK(error != NULL && error[0] != '\0');
		free(line);
		return;
	}
	size_t name_len = strlen(cmd.name);
	FUZZ_CHECK(name_len >= 3 && name_len <= POP3_KEYWORD_MAX);
	for (size_t n = 0; n < name_len; n++)
		FUZZ_CHECK(isupper((unsigned char)cmd.name[n]));
	FUZZ_CHECK(cmd.arg_count <= POP3_ARGS_MAX);
	FUZZ_CHECK(cmd.rest_len <= size);
	for (unsigned a = 0; a < cmd.arg_count; a++) {
		size_t len = strlen(cmd.args[a]);
		FUZZ_CHECK(len > 0 && len <= POP3_LINE_MAX);
		for (size_t n = 0; n < len; n++)
			FUZZ_CHECK((unsigned char)cmd.args[a][n] >= 0x20 &&
				   (unsigned char)cmd.args[a][n] != 0x7f);
		uint32_t v;
		if (pop3_parse_msgno(cmd.args[a], 1000, &v) == 0)
			FUZZ_CHECK(v >= 1 && v <= 1000);
		(void)pop3_parse_lines(cmd.args[a], &v);
	}
	free(line);
}

static void fuzz_message(const uint8_t *data, size_t size)
{
	long long lines = size > 0 ? data[0] % 8 - 1 : -1;
	struct buf out;
	buf_init(&out);
	pop3_message_append(&out, data, size, lines);
	FUZZ_CHECK(out.len >= 3 && memcmp(out.data + out.len - 3, ".\r\n", 3) == 0);
	for (size_t n = 0; n < out.len; n++)
		if (out.data[n] == '\n')
			FUZZ_CHECK(n > 0 && out.data[n - 1] == '\r');
	/* a lone "." line only at the very end */
	for (size_t n = 0; n + 3 < out.len; n++)
		if ((n == 0 || out.data[n - 1] == '\n') && out.data[n] == '.')
			FUZZ_CHECK(out.data[n + 1] == '.');
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * POP3_LINE_MAX)
		return 0;
	fuzz_command(data, size);
	fuzz_message(data, size);
	return 0;
}
