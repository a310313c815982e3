/* test-pop3-parse.c - unit tests for pop3-parse.c: a table of command lines
 * with the keyword and arguments each must give (or the error), the
 * message-number and line-count parsers, and a table of stored messages
 * with the multi-line body RETR and TOP must send (CRLF line ends,
 * byte-stuffing, the terminating dot, TOP's line count).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pop3-parse.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *line;
	int ret;
	const char *name;
	unsigned arg_count;
	const char *arg0, *arg1;
	const char *rest;
} parse_cases[] = {
	{ "CAPA", 0, "CAPA", 0, NULL, NULL, "" },
	{ "capa", 0, "CAPA", 0, NULL, NULL, "" },
	{ "TOP 1 10", 0, "TOP", 2, "1", "10", "1 10" },
	{ "uidl 3", 0, "UIDL", 1, "3", NULL, "3" },
	{ "USER alice@example.test", 0, "USER", 1, "alice@example.test", NULL, "alice@example.test" },
	{ "PASS with some spaces", 0, "PASS", 1, "with some spaces", NULL, "with some spaces" },
	{ "PASS  lead", 0, "PASS", 1, " lead", NULL, " lead" },
	{ "AUTH PLAIN AGFsaWNlAHB3", 0, "AUTH", 2, "PLAIN", "AGFsaWNlAHB3", "PLAIN AGFsaWNlAHB3" },
	{ "AUTH", 0, "AUTH", 0, NULL, NULL, "" },
	{ "", -1, NULL, 0, NULL, NULL, NULL },
	{ "NO", -1, NULL, 0, NULL, NULL, NULL },
	{ "STATS", -1, NULL, 0, NULL, NULL, NULL },
	{ "ST1T", -1, NULL, 0, NULL, NULL, NULL },
	{ " STAT", -1, NULL, 0, NULL, NULL, NULL },
	{ "STAT ", -1, NULL, 0, NULL, NULL, NULL },
	{ "TOP 1  2", -1, NULL, 0, NULL, NULL, NULL },
	{ "TOP 1 2 3", -1, NULL, 0, NULL, NULL, NULL },
	{ "LIST\t1", -1, NULL, 0, NULL, NULL, NULL },
	{ "PASS ", -1, NULL, 0, NULL, NULL, NULL },
	{ "RETR \x7f", -1, NULL, 0, NULL, NULL, NULL },
};

static void test_command_parse(void **state)
{
	(void)state;
	for (size_t n = 0; n < N_ELEMENTS(parse_cases); n++) {
		struct pop3_command cmd;
		const char *error = NULL;
		const char *line = parse_cases[n].line;
		int ret = pop3_command_parse(line, strlen(line), &cmd, &error);
		if (ret != parse_cases[n].ret)
			fail_msg("\"%s\": got %d, want %d", line, ret, parse_cases[n].ret);
		if (ret < 0) {
			if (error == NULL || error[0] == '\0')
				fail_msg("\"%s\": got no error text, want one", line);
			continue;
		}
		if (strcmp(cmd.name, parse_cases[n].name) != 0)
			fail_msg("\"%s\": got name %s, want %s", line, cmd.name, parse_cases[n].name);
		if (cmd.arg_count != parse_cases[n].arg_count)
			fail_msg("\"%s\": got %u args, want %u", line, cmd.arg_count,
				 parse_cases[n].arg_count);
		if (cmd.arg_count > 0 && strcmp(cmd.args[0], parse_cases[n].arg0) != 0)
			fail_msg("\"%s\": got arg0 \"%s\", want \"%s\"", line, cmd.args[0],
				 parse_cases[n].arg0);
		if (cmd.arg_count > 1 && strcmp(cmd.args[1], parse_cases[n].arg1) != 0)
			fail_msg("\"%s\": got arg1 \"%s\", want \"%s\"", line, cmd.args[1],
				 parse_cases[n].arg1);
		if (cmd.rest_len != strlen(parse_cases[n].rest) ||
		    memcmp(cmd.rest, parse_cases[n].rest, cmd.rest_len) != 0)
			fail_msg("\"%s\": got rest \"%.*s\", want \"%s\"", line, (int)cmd.rest_len,
				 cmd.rest, parse_cases[n].rest);
	}
}

static void test_command_limits(void **state)
{
	(void)state;
	struct pop3_command cmd;
	const char *error;
	char line[POP3_LINE_MAX + 16];
	/* an argument of POP3_ARG_MAX is fine, one more is not */
	memcpy(line, "USER ", 5);
	memset(line + 5, 'a', POP3_ARG_MAX + 1);
	int ret = pop3_command_parse(line, 5 + POP3_ARG_MAX, &cmd, &error);
	if (ret != 0)
		fail_msg("USER with %d bytes: got %d, want 0", POP3_ARG_MAX, ret);
	ret = pop3_command_parse(line, 5 + POP3_ARG_MAX + 1, &cmd, &error);
	if (ret != -1)
		fail_msg("USER with %d bytes: got %d, want -1", POP3_ARG_MAX + 1, ret);
	/* AUTH's initial response may be long */
	memcpy(line, "AUTH PLAIN ", 11);
	memset(line + 11, 'A', 1200);
	ret = pop3_command_parse(line, 11 + 1200, &cmd, &error);
	if (ret != 0 || cmd.arg_count != 2 || strlen(cmd.args[1]) != 1200)
		fail_msg("AUTH with a 1200-byte response: got %d, want 0 and 2 args", ret);
	/* NUL inside the line */
	ret = pop3_command_parse("LIST\0" "1", 6, &cmd, &error);
	if (ret != -1)
		fail_msg("NUL in the line: got %d, want -1", ret);
}

static const struct {
	const char *arg;
	uint32_t max;
	int ret;
	uint32_t want;
} msgno_cases[] = {
	{ "1", 3, 0, 1 },
	{ "3", 3, 0, 3 },
	{ "003", 3, 0, 3 },
	{ "4", 3, -1, 0 },
	{ "0", 3, -1, 0 },
	{ "", 3, -1, 0 },
	{ "-1", 3, -1, 0 },
	{ "+1", 3, -1, 0 },
	{ "1x", 3, -1, 0 },
	{ "99999999999999999999999", UINT32_MAX, -1, 0 },
	{ "4294967295", UINT32_MAX, 0, 4294967295u },
	{ "4294967296", UINT32_MAX, -1, 0 },
	{ "1", 0, -1, 0 },
};

static void test_msgno(void **state)
{
	(void)state;
	for (size_t n = 0; n < N_ELEMENTS(msgno_cases); n++) {
		uint32_t got = 0;
		int ret = pop3_parse_msgno(msgno_cases[n].arg, msgno_cases[n].max, &got);
		if (ret != msgno_cases[n].ret || (ret == 0 && got != msgno_cases[n].want))
			fail_msg("msgno \"%s\" (max %u): got %d/%u, want %d/%u", msgno_cases[n].arg,
				 msgno_cases[n].max, ret, got, msgno_cases[n].ret,
				 msgno_cases[n].want);
	}
	uint32_t lines = 7;
	if (pop3_parse_lines("0", &lines) != 0 || lines != 0)
		fail_msg("lines \"0\": got %u, want 0", lines);
	if (pop3_parse_lines("99999999999", &lines) != 0 || lines != UINT32_MAX)
		fail_msg("lines huge: got %u, want %u", lines, UINT32_MAX);
	if (pop3_parse_lines("x", &lines) != -1)
		fail_msg("lines \"x\": got 0, want -1");
}

static const struct {
	const char *name;
	const char *in;
	long long lines;
	const char *want;
} message_cases[] = {
	{ "plain CRLF", "A: b\r\n\r\nbody\r\n", -1, "A: b\r\n\r\nbody\r\n.\r\n" },
	{ "bare LF", "A: b\n\nbody\n", -1, "A: b\r\n\r\nbody\r\n.\r\n" },
	{ "no final line end", "A: b\r\n\r\nbody", -1, "A: b\r\n\r\nbody\r\n.\r\n" },
	{ "byte-stuffing", "A: b\r\n\r\n.\r\n..x\r\n.y\r\n", -1,
	  "A: b\r\n\r\n..\r\n...x\r\n..y\r\n.\r\n" },
	{ "empty message", "", -1, ".\r\n" },
	{ "TOP 0", "A: b\r\nC: d\r\n\r\nl1\r\nl2\r\n", 0, "A: b\r\nC: d\r\n\r\n.\r\n" },
	{ "TOP 1", "A: b\r\n\r\nl1\r\nl2\r\n", 1, "A: b\r\n\r\nl1\r\n.\r\n" },
	{ "TOP more than there is", "A: b\r\n\r\nl1\r\n", 10, "A: b\r\n\r\nl1\r\n.\r\n" },
	{ "TOP stuffs too", "A: b\n\n.dot\nl2\n", 1, "A: b\r\n\r\n..dot\r\n.\r\n" },
	{ "TOP without a body", "A: b\r\n", 5, "A: b\r\n.\r\n" },
	{ "CR alone kept", "A: b\r\n\r\nx\ry\r\n", -1, "A: b\r\n\r\nx\ry\r\n.\r\n" },
};

static void test_message_append(void **state)
{
	(void)state;
	for (size_t n = 0; n < N_ELEMENTS(message_cases); n++) {
		struct buf out;
		buf_init(&out);
		pop3_message_append(&out, (const unsigned char *)message_cases[n].in,
				    strlen(message_cases[n].in), message_cases[n].lines);
		if (out.len != strlen(message_cases[n].want) ||
		    memcmp(out.data, message_cases[n].want, out.len) != 0)
			fail_msg("%s: got \"%.*s\", want \"%s\"", message_cases[n].name, (int)out.len,
				 (const char *)out.data, message_cases[n].want);
		buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_parse),
		cmocka_unit_test(test_command_limits),
		cmocka_unit_test(test_msgno),
		cmocka_unit_test(test_message_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
