/* fuzz-imap-thread.c - libFuzzer target for imap-thread.c (message id
 * parsing, REFERENCES and ORDEREDSUBJECT) and the base subject and date
 * parsing of imap-sort.c. The input is lines, five per message: Subject,
 * Message-ID, References, In-Reply-To, Date. Both algorithms must write
 * balanced parentheses naming every message exactly once. Aborts when a
 * promise breaks. Never keeps state between inputs.
 */
#include "imap-sort.h"
#include "imap-thread.h"
#include "buf.h"
#include "mime.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Messages per input. */
#define FUZZ_MSGS_MAX 64

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-imap-thread: %s\n", what);
		abort();
	}
}

/* Every number 1..count once, parentheses balanced, nothing else but
 * blanks. */
static void check_output(const struct buf *out, size_t count)
{
	unsigned char seen[FUZZ_MSGS_MAX + 1] = { 0 };
	long depth = 0;
	for (size_t i = 0; i < out->len; i++) {
		unsigned char c = out->data[i];
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			check(--depth >= 0, "unbalanced ')'");
		} else if (c >= '1' && c <= '9') {
			unsigned long n = 0;
			while (i < out->len && out->data[i] >= '0' && out->data[i] <= '9')
				n = n * 10 + (out->data[i++] - '0');
			i--;
			check(n >= 1 && n <= count, "number out of range");
			check(!seen[n], "number twice");
			seen[n] = 1;
		} else {
			check(c == ' ', "unexpected byte");
		}
	}
	check(depth == 0, "unbalanced '('");
	for (size_t n = 1; n <= count; n++)
		check(seen[n], "message missing");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mime_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	char *fields[FUZZ_MSGS_MAX * 5];
	size_t nfields = 0;
	char *p = text;
	while (nfields < FUZZ_MSGS_MAX * 5 && *p != '\0') {
		fields[nfields++] = p;
		char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	size_t count = nfields / 5;
	struct imap_thread_msg msgs[FUZZ_MSGS_MAX];
	for (size_t i = 0; i < count; i++) {
		char **f = fields + i * 5;
		msgs[i] = (struct imap_thread_msg){
			.number = (uint32_t)(i + 1),
			.date = imap_sort_date(f[4][0] != '\0' ? f[4] : NULL, (int64_t)i),
			.subject = f[0][0] != '\0' ? f[0] : NULL,
			.message_id = f[1],
			.references = f[2],
			.in_reply_to = f[3],
		};
		bool reply;
		free(imap_sort_base_subject(f[0], &reply));
		free(imap_sort_address(f[3], true));
	}
	for (int alg = 0; alg < 2; alg++) {
		struct buf out;
		buf_init(&out);
		imap_thread_build((enum imap_thread_algorithm)alg, msgs, count, &out);
		check_output(&out, count);
		buf_free(&out);
	}
	free(text);
	return 0;
}
