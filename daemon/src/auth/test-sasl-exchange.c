/* test-sasl-exchange.c - unit tests for sasl-exchange.c: PLAIN and LOGIN
 * exchanges step by step (inputs and wanted results in a table), the
 * rules ("*" cancel, "=" empty, the length limit), mechanism names, and
 * that ending an exchange leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sasl-exchange.h"

#define STEPS_MAX 3

struct step {
	const char *in;                      /* base64 response */
	enum sasl_exchange_result want;
	const char *want_challenge;          /* on CHALLENGE */
	const char *want_user, *want_password; /* on DONE */
};

struct exchange_case {
	const char *name;
	enum sasl_exchange_mech mech;
	struct sasl_exchange_rules rules;
	struct step steps[STEPS_MAX];
	size_t step_count;
};

static const struct sasl_exchange_rules imapish = {
	.response_max = 16, .equals_is_empty = true, .cancel = true
};
static const struct sasl_exchange_rules plainrules = { 0 };

static const struct exchange_case cases[] = {
	/* "\0user\0pass" */
	{ "plain ok", SASL_EXCHANGE_PLAIN, { 0 },
	  { { "AHVzZXIAcGFzcw==", SASL_EXCHANGE_DONE, NULL, "user", "pass" } }, 1 },
	/* "user\0user\0pass": authzid = authcid is fine */
	{ "plain same authzid", SASL_EXCHANGE_PLAIN, { 0 },
	  { { "dXNlcgB1c2VyAHBhc3M=", SASL_EXCHANGE_DONE, NULL, "user", "pass" } }, 1 },
	/* "other\0user\0pass" */
	{ "plain other authzid", SASL_EXCHANGE_PLAIN, { 0 },
	  { { "b3RoZXIAdXNlcgBwYXNz", SASL_EXCHANGE_AUTHZID, NULL, NULL, NULL } }, 1 },
	/* "userpass" */
	{ "plain no NULs", SASL_EXCHANGE_PLAIN, { 0 },
	  { { "dXNlcnBhc3M=", SASL_EXCHANGE_BAD_PLAIN, NULL, NULL, NULL } }, 1 },
	{ "plain bad base64", SASL_EXCHANGE_PLAIN, { 0 },
	  { { "!!!!", SASL_EXCHANGE_BAD_BASE64, NULL, NULL, NULL } }, 1 },
	{ "login two steps", SASL_EXCHANGE_LOGIN, { 0 },
	  { { "dXNlcg==", SASL_EXCHANGE_CHALLENGE, "UGFzc3dvcmQ6", NULL, NULL },
	    { "cGFzcw==", SASL_EXCHANGE_DONE, NULL, "user", "pass" } }, 2 },
	/* "us\0er" */
	{ "login NUL in user", SASL_EXCHANGE_LOGIN, { 0 },
	  { { "dXMAZXI=", SASL_EXCHANGE_LOGIN_NUL, NULL, NULL, NULL } }, 1 },
	{ "cancel when allowed", SASL_EXCHANGE_LOGIN, { .cancel = true },
	  { { "dXNlcg==", SASL_EXCHANGE_CHALLENGE, "UGFzc3dvcmQ6", NULL, NULL },
	    { "*", SASL_EXCHANGE_CANCELLED, NULL, NULL, NULL } }, 2 },
	{ "star is bad base64 without cancel", SASL_EXCHANGE_PLAIN, { 0 },
	  { { "*", SASL_EXCHANGE_BAD_BASE64, NULL, NULL, NULL } }, 1 },
	{ "equals is an empty password", SASL_EXCHANGE_LOGIN, { .equals_is_empty = true },
	  { { "dXNlcg==", SASL_EXCHANGE_CHALLENGE, "UGFzc3dvcmQ6", NULL, NULL },
	    { "=", SASL_EXCHANGE_DONE, NULL, "user", "" } }, 2 },
	{ "equals is bad base64 by default", SASL_EXCHANGE_LOGIN, { 0 },
	  { { "=", SASL_EXCHANGE_BAD_BASE64, NULL, NULL, NULL } }, 1 },
	{ "over the limit", SASL_EXCHANGE_PLAIN, { .response_max = 16 },
	  { { "AHVzZXIAcGFzc3dvcmQ=", SASL_EXCHANGE_TOO_LONG, NULL, NULL, NULL } }, 1 },
	{ "at the limit", SASL_EXCHANGE_PLAIN, { .response_max = 16 },
	  { { "AHVzZXIAcGFzcw==", SASL_EXCHANGE_DONE, NULL, "user", "pass" } }, 1 },
};

static const char *const result_names[] = {
	"CHALLENGE", "DONE", "CANCELLED", "TOO_LONG", "BAD_BASE64", "BAD_PLAIN",
	"AUTHZID", "LOGIN_NUL",
};

static void test_exchanges(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct exchange_case *c = &cases[i];
		struct sasl_exchange ex = { 0 };
		sasl_exchange_begin(&ex, c->mech, &c->rules);
		for (size_t j = 0; j < c->step_count; j++) {
			const struct step *st = &c->steps[j];
			const char *challenge = NULL, *user = NULL, *password = NULL;
			enum sasl_exchange_result got = sasl_exchange_step(
				&ex, st->in, strlen(st->in), &challenge, &user, &password);
			if (got != st->want)
				fail_msg("%s step %zu: got %s, want %s", c->name, j,
					 result_names[got], result_names[st->want]);
			if (got == SASL_EXCHANGE_CHALLENGE &&
			    strcmp(challenge, st->want_challenge) != 0)
				fail_msg("%s step %zu: got challenge '%s', want '%s'", c->name,
					 j, challenge, st->want_challenge);
			if (got == SASL_EXCHANGE_DONE &&
			    (strcmp(user, st->want_user) != 0 ||
			     strcmp(password, st->want_password) != 0))
				fail_msg("%s step %zu: got '%s'/'%s', want '%s'/'%s'", c->name, j,
					 user, password, st->want_user, st->want_password);
		}
		sasl_exchange_end(&ex);
		if (ex.response != NULL || ex.login_user != NULL)
			fail_msg("%s: got buffers left after end, want none", c->name);
	}
}

static void test_mechanisms(void **state)
{
	(void)state;
	enum sasl_exchange_mech mech;
	assert_int_equal(sasl_exchange_mech_parse("plain", &mech), 0);
	assert_int_equal(mech, SASL_EXCHANGE_PLAIN);
	assert_int_equal(sasl_exchange_mech_parse("LOGIN", &mech), 0);
	assert_int_equal(mech, SASL_EXCHANGE_LOGIN);
	assert_int_equal(sasl_exchange_mech_parse("CRAM-MD5", &mech), -1);
	assert_string_equal(sasl_exchange_mech_name(SASL_EXCHANGE_PLAIN), "plain");
	assert_string_equal(sasl_exchange_mech_name(SASL_EXCHANGE_LOGIN), "login");

	struct sasl_exchange ex = { 0 };
	sasl_exchange_begin(&ex, SASL_EXCHANGE_PLAIN, &plainrules);
	assert_string_equal(sasl_exchange_first_challenge(&ex), "");
	sasl_exchange_begin(&ex, SASL_EXCHANGE_LOGIN, &imapish);
	assert_string_equal(sasl_exchange_first_challenge(&ex), "VXNlcm5hbWU6");
	sasl_exchange_end(&ex);
}

/* A new exchange forgets a LOGIN user name given to an earlier one. */
static void test_begin_restarts(void **state)
{
	(void)state;
	struct sasl_exchange ex = { 0 };
	const char *challenge = NULL, *user = NULL, *password = NULL;
	sasl_exchange_begin(&ex, SASL_EXCHANGE_LOGIN, &plainrules);
	assert_int_equal(sasl_exchange_step(&ex, "dXNlcg==", 8, &challenge, &user, &password),
			 SASL_EXCHANGE_CHALLENGE);
	sasl_exchange_begin(&ex, SASL_EXCHANGE_LOGIN, &plainrules);
	assert_null(ex.login_user);
	assert_int_equal(sasl_exchange_step(&ex, "b3RoZXI=", 8, &challenge, &user, &password),
			 SASL_EXCHANGE_CHALLENGE);
	assert_int_equal(sasl_exchange_step(&ex, "cGFzcw==", 8, &challenge, &user, &password),
			 SASL_EXCHANGE_DONE);
	assert_string_equal(user, "other");
	sasl_exchange_end(&ex);
	sasl_exchange_end(&ex); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchanges),
		cmocka_unit_test(test_mechanisms),
		cmocka_unit_test(test_begin_restarts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
