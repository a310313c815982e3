/* test-policy-parse.c - unit tests for policy-parse.c: requests as Postfix
 * writes them (smtpd_check.c's policy client), then malformed and
 * oversized ones, which must be marked bad yet still end at their empty
 * line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-parse.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Feed text line by line; returns how many requests ended. */
static unsigned feed(struct policy_request *req, const char *text)
{
	unsigned ends = 0;
	const char *p = text;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (policy_request_add_line(req, p, len) == POLICY_PARSE_END)
			ends++;
		p += len + (nl != NULL ? 1 : 0);
	}
	return ends;
}

static const struct {
	const char *text;
	bool want_bad;
	const char *name, *want_value; /* want_value NULL: absent */
} cases[] = {
	{ "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.7\n"
	  "sender=a@example.org\nrecipient=b@example.test\nsasl_username=\n\n",
	  false, "client_address", "192.0.2.7" },
	{ "request=smtpd_access_policy\nsasl_username=\n\n", false, "sasl_username", "" },
	{ "request=smtpd_access_policy\r\nsender=x@y\r\n\r\n", false, "sender", "x@y" },
	{ "ccert_subject=CN=a=b\n\n", false, "ccert_subject", "CN=a=b" },
	{ "request=smtpd_access_policy\n\n", false, "sender", NULL },
	{ "no equals sign\n\n", true, "no equals sign", NULL },
	{ "=value\n\n", true, "", NULL },
	{ "Request=x\n\n", true, "Request", NULL },
	{ "sender=a\nsender=b\n\n", true, "sender", "a" },
	{ "a b=c\n\n", true, "a b", NULL },
};

static void test_requests(void **state)
{
	(void)state;
	struct policy_request *req = malloc(sizeof(*req));
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		policy_request_reset(req);
		unsigned ends = feed(req, cases[i].text);
		if (ends != 1)
			fail_msg("case %zu: got %u request ends, want 1", i, ends);
		if (req->bad != cases[i].want_bad)
			fail_msg("case %zu: got bad=%d (%s), want %d", i, req->bad,
				 req->bad_reason != NULL ? req->bad_reason : "", cases[i].want_bad);
		const char *got = policy_request_get(req, cases[i].name);
		if ((got == NULL) != (cases[i].want_value == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want_value) != 0))
			fail_msg("case %zu: %s: got \"%s\", want \"%s\"", i, cases[i].name,
				 got != NULL ? got : "(none)",
				 cases[i].want_value != NULL ? cases[i].want_value : "(none)");
	}
	free(req);
}

/* Two requests back to back: the second starts clean after reset. */
static void test_two_requests(void **state)
{
	(void)state;
	struct policy_request *req = malloc(sizeof(*req));
	policy_request_reset(req);
	assert_int_equal(feed(req, "bad line\n\n"), 1);
	assert_true(req->bad);
	policy_request_reset(req);
	assert_int_equal(feed(req, "sender=s@x\n\n"), 1);
	assert_false(req->bad);
	assert_string_equal(policy_request_get(req, "sender"), "s@x");
	free(req);
}

/* The limits: attributes, line length, request size. */
static void test_limits(void **state)
{
	(void)state;
	struct policy_request *req = malloc(sizeof(*req));
	char line[POLICY_LINE_MAX + 16];

	policy_request_reset(req);
	for (unsigned i = 0; i < POLICY_ATTRS_MAX; i++) {
		int n = snprintf(line, sizeof(line), "a%u=v", i);
		assert_int_equal(policy_request_add_line(req, line, (size_t)n), POLICY_PARSE_MORE);
	}
	assert_false(req->bad);
	assert_int_equal(policy_request_add_line(req, "one=more", 8), POLICY_PARSE_MORE);
	if (!req->bad)
		fail_msg("attribute %d: got accepted, want the request marked bad",
			 POLICY_ATTRS_MAX + 1);
	assert_int_equal(policy_request_add_line(req, "", 0), POLICY_PARSE_END);

	policy_request_reset(req);
	memset(line, 'x', sizeof(line));
	memcpy(line, "sender=", 7);
	assert_int_equal(policy_request_add_line(req, line, POLICY_LINE_MAX), POLICY_PARSE_MORE);
	assert_false(req->bad);
	policy_request_reset(req);
	assert_int_equal(policy_request_add_line(req, line, POLICY_LINE_MAX + 1), POLICY_PARSE_MORE);
	assert_true(req->bad);

	/* many long values fill the request before the attribute limit */
	policy_request_reset(req);
	unsigned taken = 0;
	for (unsigned i = 0; i < POLICY_ATTRS_MAX && !req->bad; i++) {
		int n = snprintf(line, sizeof(line), "v%u=", i);
		memset(line + n, 'y', 1500);
		policy_request_add_line(req, line, (size_t)n + 1500);
		taken = (unsigned)req->count;
	}
	if (!req->bad || req->used > POLICY_REQUEST_MAX)
		fail_msg("big request: got bad=%d used=%zu, want bad and at most %d", req->bad,
			 req->used, POLICY_REQUEST_MAX);
	assert_true(taken < POLICY_ATTRS_MAX);

	/* an outside reason is kept, the first one wins */
	policy_request_reset(req);
	policy_request_mark_bad(req, "line too long");
	policy_request_mark_bad(req, "other");
	assert_string_equal(req->bad_reason, "line too long");
	free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_two_requests),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests_name("policy protocol", tests, NULL, NULL);
}
