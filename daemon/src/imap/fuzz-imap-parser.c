/* fuzz-imap-parser.c - libFuzzer target for the IMAP command parser
 * (imap-parser.c) and the modified UTF-7 converter (imap-utf7.c).
 *
 * The input is parsed as one command (lines and literals); besides "no
 * crash, no read past the input", it checks what the session relies on:
 * the tag and the name are short and printable, every string's length is
 * within the input, depth and argument count stay within the limits. The
 * literal framing runs on every line of the input. The bytes are also a
 * sequence set and a wire mailbox name: a name that decodes must encode
 * back to the same bytes (the mapping is one to one).
 * Seeds: tests/fuzz-corpus/imap-parser/.
 */
#include "buf.h"
#include "imap-parser.h"
#include "imap-utf7.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz-imap-parser: check failed: %s\n", #cond); \
			abort();                                                      \
		}                                                                     \
	} while (0)

static unsigned check_args(const struct imap_arg *args, size_t count, unsigned depth,
			   size_t input_size, const struct imap_parser_limits *limits)
{
	unsigned n = 0;
	FUZZ_CHECK(depth <= limits->max_depth);
	for (size_t i = 0; i < count; i++) {
		n++;
		if (args[i].type == IMAP_ARG_LIST) {
			FUZZ_CHECK(args[i].str == NULL);
			n += check_args(args[i].list, args[i].list_count, depth + 1, input_size,
					limits);
		} else {
			FUZZ_CHECK(args[i].str != NULL && args[i].len <= input_size);
			FUZZ_CHECK(args[i].str[args[i].len] == '\0');
			if (args[i].type == IMAP_ARG_LITERAL)
				FUZZ_CHECK(args[i].len <= limits->max_literal);
			if (args[i].type == IMAP_ARG_ATOM || args[i].type == IMAP_ARG_NIL)
				FUZZ_CHECK(args[i].len > 0 && strlen(args[i].str) == args[i].len);
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits limits = { .max_depth = 8, .max_args = 256,
					     .max_literal = 4096 };
	struct imap_command *cmd = NULL;
	const char *error = NULL;
	int ret = imap_command_parse(data, size, &limits, &cmd, &error);
	FUZZ_CHECK(cmd != NULL);
	FUZZ_CHECK(strlen(cmd->tag) <= IMAP_TAG_MAX);
	for (const char *p = cmd->tag; *p != '\0'; p++)
		FUZZ_CHECK(*p > ' ' && *p < 0x7f && *p != '+');
	if (ret == 0) {
		FUZZ_CHECK(cmd->tag[0] != '\0' && cmd->name[0] != '\0');
		unsigned n = check_args(cmd->args, cmd->arg_count, 0, size, &limits);
		FUZZ_CHECK(n <= limits.max_args);
	} else {
		FUZZ_CHECK(error != NULL && error[0] != '\0');
	}
	imap_command_free(&cmd);

	/* framing on each line */
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		uint64_t lsize;
		bool nonsync, bad;
		if (imap_parser_line_literal(data + start, i - start, &lsize, &nonsync, &bad))
			FUZZ_CHECK(!bad && i - start >= 3);
		start = i + 1;
	}

	/* the same bytes as a sequence set and as a mailbox name */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct imap_seq_range *ranges = NULL;
	size_t count = 0;
	if (imap_seqset_parse(text, 100, &ranges, &count, &error) == 0) {
		FUZZ_CHECK(count > 0 && count <= IMAP_SEQSET_RANGES_MAX);
		for (size_t i = 0; i < count; i++)
			FUZZ_CHECK(ranges[i].lo <= ranges[i].hi);
	}
	free(ranges);

	struct buf utf8, back;
	buf_init(&utf8);
	buf_init(&back);
	if (imap_utf7_to_utf8(text, size, &utf8, &error) == 0) {
		FUZZ_CHECK(imap_utf8_to_utf7((const char *)utf8.data, utf8.len, &back, &error) == 0);
		FUZZ_CHECK(back.len == size && memcmp(back.data, text, size) == 0);
	}
	buf_reset(&back);
	/* any UTF-8 that encodes must decode to itself */
	buf_reset(&utf8);
	if (imap_utf8_to_utf7(text, size, &utf8, &error) == 0) {
		FUZZ_CHECK(imap_utf7_to_utf8((const char *)utf8.data, utf8.len, &back, &error) == 0);
		FUZZ_CHECK(back.len == size && memcmp(back.data, text, size) == 0);
	}
	buf_free(&utf8);
	buf_free(&back);
	free(text);
	return 0;
}
