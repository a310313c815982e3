/* fuzz-sieve.c - libFuzzer target for the Sieve interpreter: the input is a
 * script. It is compiled; a refusal must say "line N: ..." with N within
 * the script. A script that compiles is executed on a fixed multipart
 * message (folded, encoded and group-address header fields, text, HTML
 * and base64 parts) and then on the input bytes themselves taken as a
 * message, with envelope and own addresses set; the result must keep its
 * promises: at most SIEVE_ACTIONS_MAX actions plus the implicit keep, at
 * most SIEVE_REDIRECTS_MAX redirects, every action with its fields, a
 * runtime error only as "line N: ...". The fixed message is the unit tests'
 * one (sieve-test-message.h).
 * Seeds: tests/fuzz-corpus/sieve/ (RFC examples and edge cases).
 */
#include "sieve.h"
#include "sieve-test-message.h"
#include <gmime/gmime.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz-sieve: check failed: %s\n", #cond); \
			abort();                                                 \
		}                                                                \
	} while (0)

static const char fixed_message[] = SIEVE_TEST_MESSAGE;
static const char *const own[] = SIEVE_TEST_OWN_ADDRESSES;

static void check_line_error(const char *error)
{
	unsigned line = 0;
	FUZZ_CHECK(sscanf(error, "line %u: ", &line) == 1);
	FUZZ_CHECK(line >= 1);
	FUZZ_CHECK(strlen(error) < SIEVE_ERROR_MAX);
}

static void run(const struct sieve_script *script, const unsigned char *msg, size_t size)
{
	struct sieve_message m = {
		.data = msg,
		.size = size,
		.envelope_from = "sender@example.org",
		.envelope_to = "bob+shop@example.com",
		.own_addresses = own,
	};
	struct sieve_result result;
	sieve_result_init(&result);
	if (sieve_execute(script, &m, &result) < 0) {
		check_line_error(result.error);
		sieve_result_free(&result);
		return;
	}
	sieve_result_finish(&result);
	FUZZ_CHECK(result.count <= 64 + 1);
	size_t redirects = 0, keeps = 0;
	for (size_t i = 0; i < result.count; i++) {
		const struct sieve_action *a = &result.actions[i];
		switch (a->kind) {
		case SIEVE_ACTION_KEEP:
			keeps++;
			FUZZ_CHECK(a->flags != NULL);
			break;
		case SIEVE_ACTION_FILEINTO:
			FUZZ_CHECK(a->mailbox != NULL && a->flags != NULL);
			break;
		case SIEVE_ACTION_REDIRECT:
			FUZZ_CHECK(a->address != NULL && strchr(a->address, '@') != NULL);
			redirects++;
			break;
		case SIEVE_ACTION_REJECT:
			FUZZ_CHECK(a->reason != NULL);
			break;
		case SIEVE_ACTION_VACATION:
			FUZZ_CHECK(a->vacation_to != NULL && a->vacation_subject != NULL &&
				   a->vacation_body != NULL && a->vacation_handle != NULL);
			FUZZ_CHECK(a->vacation_days >= 1 && a->vacation_days <= 365);
			break;
		}
	}
	FUZZ_CHECK(redirects <= 4);
	FUZZ_CHECK(keeps <= 1);
	sieve_result_free(&result);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_mime_init(); /* what mime_init() does in tandemd */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	if (sieve_compile((const char *)data, size, &script, error) < 0) {
		FUZZ_CHECK(script == NULL);
		check_line_error(error);
		unsigned line = 0;
		(void)sscanf(error, "line %u", &line);
		size_t lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		FUZZ_CHECK(line <= lines);
		return 0;
	}
	FUZZ_CHECK(script != NULL);
	run(script, (const unsigned char *)fixed_message, sizeof(fixed_message) - 1);
	run(script, data, size);
	sieve_script_free(&script);
	FUZZ_CHECK(script == NULL);
	return 0;
}
