/* test-sasl-protocol.c - unit tests for sasl-protocol.c and netstring.c:
 * the lines Postfix sends (as its xsasl_dovecot_server.c writes them),
 * malformed ones, SASL PLAIN splitting, and netstrings whole, partial and
 * hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sasl-protocol.h"
#include "socketmap.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *line;
	int want_ret;
	enum sasl_line_kind kind;
	unsigned id;
	const char *mech, *rip, *resp; /* resp NULL: none */
	bool secured;
} line_cases[] = {
	{ "VERSION\t1\t2", 0, SASL_LINE_VERSION, 0, NULL, NULL, NULL, false },
	{ "CPID\t31337", 0, SASL_LINE_CPID, 0, NULL, NULL, NULL, false },
	{ "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.7\tsecured\tresp=AGEAYg==",
	  0, SASL_LINE_AUTH, 1, "PLAIN", "192.0.2.7", "AGEAYg==", true },
	{ "AUTH\t7\tLOGIN\tservice=smtp\trip=2001:db8::5", 0, SASL_LINE_AUTH, 7, "LOGIN",
	  "2001:db8::5", NULL, false },
	{ "CONT\t7\tYWxpY2U=", 0, SASL_LINE_CONT, 7, NULL, NULL, "YWxpY2U=", false },
	{ "CONT\t7\t", 0, SASL_LINE_CONT, 7, NULL, NULL, "", false },
	{ "VERSION\t1", -1, 0, 0, NULL, NULL, NULL, false },
	{ "VERSION\tx\t2", -1, 0, 0, NULL, NULL, NULL, false },
	{ "CPID", -1, 0, 0, NULL, NULL, NULL, false },
	{ "AUTH\t1", -1, 0, 0, NULL, NULL, NULL, false },
	{ "AUTH\t-1\tPLAIN", -1, 0, 0, NULL, NULL, NULL, false },
	{ "AUTH\t99999999999\tPLAIN", -1, 0, 0, NULL, NULL, NULL, false },
	{ "AUTH\t1\t", -1, 0, 0, NULL, NULL, NULL, false },
	{ "CONT\t1", -1, 0, 0, NULL, NULL, NULL, false },
	{ "HELLO", -1, 0, 0, NULL, NULL, NULL, false },
	{ "", -1, 0, 0, NULL, NULL, NULL, false },
	{ "AUTH\t1\tPLAIN\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t", -1, 0, 0,
	  NULL, NULL, NULL, false },
};

static void test_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(line_cases); i++) {
		char buf[SASL_LINE_MAX + 1];
		size_t len = strlen(line_cases[i].line);
		memcpy(buf, line_cases[i].line, len + 1);
		struct sasl_line got;
		const char *error = NULL;
		int ret = sasl_line_parse(buf, len, &got, &error);
		if (ret != line_cases[i].want_ret)
			fail_msg("case %zu: got %d (%s), want %d", i, ret, error != NULL ? error : "",
				 line_cases[i].want_ret);
		if (ret != 0)
			continue;
		if (got.kind != line_cases[i].kind || got.id != line_cases[i].id)
			fail_msg("case %zu: got kind %d id %u, want %d %u", i, got.kind, got.id,
				 line_cases[i].kind, line_cases[i].id);
		if (line_cases[i].mech != NULL && strcmp(got.mech, line_cases[i].mech) != 0)
			fail_msg("case %zu: got mech %s, want %s", i, got.mech, line_cases[i].mech);
		if (line_cases[i].rip != NULL && strcmp(got.rip, line_cases[i].rip) != 0)
			fail_msg("case %zu: got rip %s, want %s", i, got.rip, line_cases[i].rip);
		if ((line_cases[i].resp == NULL) != (got.resp == NULL) ||
		    (got.resp != NULL && strcmp(got.resp, line_cases[i].resp) != 0))
			fail_msg("case %zu: got resp %s, want %s", i, got.resp ? got.resp : "(none)",
				 line_cases[i].resp ? line_cases[i].resp : "(none)");
		if (got.secured != line_cases[i].secured)
			fail_msg("case %zu: got secured %d, want %d", i, got.secured, line_cases[i].secured);
	}
	/* a NUL inside the line is refused */
	char nul[] = "CPID\t1\0002";
	struct sasl_line got;
	const char *error;
	assert_int_equal(sasl_line_parse(nul, sizeof(nul) - 1, &got, &error), -1);
}

static const struct {
	const char *data;
	size_t len;
	const char *want_user; /* NULL: must fail */
	const char *want_password;
	bool want_authz_error; /* the failure is -2 */
} plain_cases[] = {
	{ "\0alice\0secret", 13, "alice", "secret", false },
	{ "alice\0alice\0secret", 18, "alice", "secret", false },
	{ "ALICE\0alice\0secret", 18, "alice", "secret", false },
	{ "bob\0alice\0secret", 16, NULL, NULL, true },   /* acting as someone else */
	{ "\0alice\0", 7, "alice", "", false },
	{ "\0\0secret", 8, NULL, NULL, false },            /* no user */
	{ "\0alice", 6, NULL, NULL, false },
	{ "alice secret", 12, NULL, NULL, false },
	{ "\0alice\0sec\0ret", 14, NULL, NULL, false },    /* four fields */
};

static void test_plain(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(plain_cases); i++) {
		char buf[64];
		memcpy(buf, plain_cases[i].data, plain_cases[i].len);
		buf[plain_cases[i].len] = '\0';
		const char *user = NULL, *password = NULL;
		int ret = sasl_plain_split(buf, plain_cases[i].len, &user, &password);
		if (plain_cases[i].want_user == NULL) {
			if (ret == 0 || (ret == -2) != plain_cases[i].want_authz_error)
				fail_msg("case %zu: got %d, want %d", i, ret,
					 plain_cases[i].want_authz_error ? -2 : -1);
			if (ret == 0)
				fail_msg("case %zu: got user \"%s\", want a failure", i, user);
			continue;
		}
		if (ret != 0 || strcmp(user, plain_cases[i].want_user) != 0 ||
		    strcmp(password, plain_cases[i].want_password) != 0)
			fail_msg("case %zu: got %d \"%s\"/\"%s\", want \"%s\"/\"%s\"", i, ret,
				 user ? user : "", password ? password : "", plain_cases[i].want_user,
				 plain_cases[i].want_password);
	}
}

static const struct {
	const char *buf;
	enum netstring_result want;
	const char *want_data;
	size_t want_consumed;
} netstring_cases[] = {
	{ "26:mailbox alice@example.test,", NETSTRING_OK, "mailbox alice@example.test", 30 },
	{ "0:,", NETSTRING_OK, "", 3 },
	{ "3:abc,3:def,", NETSTRING_OK, "abc", 6 },
	{ "26:mailbox alice", NETSTRING_NEED_MORE, NULL, 0 },
	{ "26", NETSTRING_NEED_MORE, NULL, 0 },
	{ "", NETSTRING_NEED_MORE, NULL, 0 },
	{ "3:abcd", NETSTRING_BAD, NULL, 0 },
	{ ":abc,", NETSTRING_BAD, NULL, 0 },
	{ "x:abc,", NETSTRING_BAD, NULL, 0 },
	{ "99999:abc,", NETSTRING_BAD, NULL, 0 },     /* longer than max */
	{ "0000000000000000000000", NETSTRING_BAD, NULL, 0 },
};

static void test_netstrings(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(netstring_cases); i++) {
		const char *data = NULL;
		size_t len = 0, consumed = 0;
		enum netstring_result got = netstring_parse(netstring_cases[i].buf,
							    strlen(netstring_cases[i].buf),
							    SOCKETMAP_REQUEST_MAX, &data, &len, &consumed);
		if (got != netstring_cases[i].want)
			fail_msg("case %zu (%s): got %d, want %d", i, netstring_cases[i].buf, got,
				 netstring_cases[i].want);
		if (got == NETSTRING_OK &&
		    (len != strlen(netstring_cases[i].want_data) ||
		     memcmp(data, netstring_cases[i].want_data, len) != 0 ||
		     consumed != netstring_cases[i].want_consumed))
			fail_msg("case %zu: got \"%.*s\" (%zu consumed), want \"%s\" (%zu)", i, (int)len,
				 data, consumed, netstring_cases[i].want_data,
				 netstring_cases[i].want_consumed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_netstrings),
	};
	return cmocka_run_group_tests_name("postfix protocols", tests, NULL, NULL);
}
