/* fuzz-lmtp-parse.c - libFuzzer target for the LMTP command-line parser
 * (lmtp-parse.c) and the DATA decoder (lmtp-data.c).
 *
 * The input is one command line: it is split into verb and arguments, and
 * the arguments (and the raw bytes too, so the fuzzer need not find a verb
 * first) go through the MAIL, RCPT, LHLO and mailbox parsers. Besides "no
 * crash, no read past the input", it checks what the session relies on:
 * every address accepted is printable ASCII within its limit, and parsing
 * it again gives the same result. The same bytes are then decoded as a DATA
 * stream whole and in two pieces: both must give the same message.
 * Seeds: tests/fuzz-corpus/lmtp-parse/.
 */
#include "buf.h"
#include "lmtp-data.h"
#include "lmtp-parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                            \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "fuzz-lmtp-parse: check failed: %s\n", #cond); \
			abort();                                                    \
		}                                                                   \
	} while (0)

static void check_path(const struct lmtp_path *path, bool is_rcpt)
{
	if (path->null) {
		FUZZ_CHECK(path->address[0] == '\0');
		return;
	}
	size_t len = strlen(path->address);
	FUZZ_CHECK(len > 0 && len <= LMTP_PATH_MAX - 2);
	FUZZ_CHECK(strlen(path->canonical) <= len);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(path->address[i] >= 0x20 && path->address[i] <= 0x7e);
	if (!path->has_domain)
		FUZZ_CHECK(is_rcpt && strcasecmp(path->address, "postmaster") == 0);

	/* what was accepted parses again to the same thing */
	char again[LMTP_PATH_MAX + 16];
	int n = snprintf(again, sizeof(again), "%s<%s>", is_rcpt ? "TO:" : "FROM:", path->address);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(again));
	if (is_rcpt) {
		struct lmtp_rcpt_args rcpt;
		const char *error;
		FUZZ_CHECK(lmtp_parse_rcpt(again, (size_t)n, &rcpt, &error) == LMTP_PARSE_OK);
		FUZZ_CHECK(strcmp(rcpt.rcpt.address, path->address) == 0);
		FUZZ_CHECK(strcmp(rcpt.rcpt.canonical, path->canonical) == 0);
	} else {
		struct lmtp_mail_args mail;
		const char *error;
		FUZZ_CHECK(lmtp_parse_mail(again, (size_t)n, &mail, &error) == LMTP_PARSE_OK);
		FUZZ_CHECK(strcmp(mail.sender.address, path->address) == 0);
		FUZZ_CHECK(strcmp(mail.sender.canonical, path->canonical) == 0);
	}
}

static void fuzz_args(const char *args, size_t len)
{
	struct lmtp_mail_args mail;
	struct lmtp_rcpt_args rcpt;
	struct lmtp_path path;
	const char *error = NULL;

	enum lmtp_parse_result r = lmtp_parse_mail(args, len, &mail, &error);
	if (r == LMTP_PARSE_OK)
		check_path(&mail.sender, false);
	else
		FUZZ_CHECK(error != NULL);

	error = NULL;
	r = lmtp_parse_rcpt(args, len, &rcpt, &error);
	if (r == LMTP_PARSE_OK) {
		FUZZ_CHECK(!rcpt.rcpt.null);
		check_path(&rcpt.rcpt, true);
	} else {
		FUZZ_CHECK(error != NULL);
	}

	error = NULL;
	if (lmtp_parse_mailbox(args, len, &path, &error) == 0)
		FUZZ_CHECK(strlen(path.address) == len);
	else
		FUZZ_CHECK(error != NULL);

	(void)lmtp_parse_lhlo(args, len, &error);
}

static void fuzz_data(const uint8_t *data, size_t size)
{
	struct buf whole, split;
	struct lmtp_data_reader r1, r2;
	uint64_t limit = size / 2 + 1;

	buf_init(&whole);
	buf_init(&split);
	lmtp_data_reader_init(&r1, &whole, limit);
	size_t used1 = lmtp_data_feed(&r1, data, size);

	lmtp_data_reader_init(&r2, &split, limit);
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	size_t used2 = lmtp_data_feed(&r2, data, cut);
	if (!lmtp_data_done(&r2))
		used2 += lmtp_data_feed(&r2, data + cut, size - cut);

	FUZZ_CHECK(used1 <= size);
	FUZZ_CHECK(used1 == used2);
	FUZZ_CHECK(lmtp_data_done(&r1) == lmtp_data_done(&r2));
	FUZZ_CHECK(r1.overflow == r2.overflow && r1.size == r2.size);
	FUZZ_CHECK(whole.len == split.len && whole.len <= limit);
	FUZZ_CHECK(whole.len == 0 || memcmp(whole.data, split.data, whole.len) == 0);
	FUZZ_CHECK(r1.size <= used1);
	buf_free(&whole);
	buf_free(&split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct lmtp_command cmd;
	const char *error = NULL;

	enum lmtp_parse_result r = lmtp_parse_command(line, size, &cmd, &error);
	if (r == LMTP_PARSE_OK) {
		FUZZ_CHECK(cmd.verb[0] != '\0' && strlen(cmd.verb) <= LMTP_VERB_MAX);
		FUZZ_CHECK(cmd.args >= line && cmd.args + cmd.args_len <= line + size);
		fuzz_args(cmd.args, cmd.args_len);
	} else {
		FUZZ_CHECK(error != NULL);
	}
	fuzz_args(line, size);
	fuzz_data(data, size);
	return 0;
}
