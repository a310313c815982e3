/* fuzz-mime.c - libFuzzer target for mime_message_parse(): any bytes must
 * parse (or be refused only when empty), and the result must keep every
 * promise of mime.h, checked by mime_message_check(): segments that are the
 * input byte for byte, correct part hashes, UTF-8 IMAP strings that follow
 * the RFC 3501 grammar. A broken promise aborts, which the fuzzer reports.
 * Never keeps state between inputs.
 */
#include "mime-private.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mime_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message *msg = NULL;
	const char *error = NULL;
	int ret = mime_message_parse(data, size, &msg, &error);
	if (size == 0) {
		if (ret == 0) {
			fprintf(stderr, "fuzz-mime: empty input parsed\n");
			abort();
		}
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "fuzz-mime: parse failed: %s\n", error);
		abort();
	}
	if (mime_message_check(msg, &error) < 0) {
		fprintf(stderr, "fuzz-mime: %s\n", error);
		abort();
	}
	mime_message_free(&msg);
	return 0;
}
