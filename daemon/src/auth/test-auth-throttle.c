/* test-auth-throttle.c - unit tests for auth-throttle.c: a script of
 * attempts and successes with the delay each must give, decay over time,
 * parallel attempts growing, and the table staying bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth-throttle.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

enum step_op { FAIL, OK };

/* delays follow the rounded score; base 500 ms, address cap 30 s, account cap 15 s, half-life 300 s */
static const struct {
	uint64_t at_ms;
	enum step_op op;       /* FAIL: an attempt that fails; OK: one that succeeds */
	const char *address;
	const char *account;
	unsigned want_delay_ms;
} steps[] = {
	{ 0, FAIL, "192.0.2.1", "alice@example.test", 0 },
	{ 10, FAIL, "192.0.2.1", "alice@example.test", 500 },
	{ 20, FAIL, "192.0.2.1", "alice@example.test", 1000 },
	{ 30, FAIL, "192.0.2.1", "bob@example.test", 2000 },    /* the address has 3 */
	{ 40, FAIL, "198.51.100.7", "alice@example.test", 2000 }, /* alice has 3 */
	{ 50, OK, "198.51.100.7", "alice@example.test", 4000 },   /* alice has 4: capped later */
	{ 60, FAIL, "198.51.100.7", "alice@example.test", 500 },  /* alice cleared; the address failed once */
	{ 70, FAIL, "192.0.2.1", "carol@example.test", 4000 },   /* the address has 4 */
	{ 80, FAIL, "192.0.2.1", "carol@example.test", 8000 },
	{ 90, FAIL, "192.0.2.1", "carol@example.test", 16000 },
	{ 100, FAIL, "192.0.2.1", "carol@example.test", 30000 },  /* address cap */
	{ 110, FAIL, "192.0.2.1", "carol@example.test", 30000 },
	{ 120, FAIL, "", "dave@example.test", 0 },                /* UNIX socket, new account */
	{ 130, FAIL, "", "dave@example.test", 500 },
	/* three half-lives of 300 s later: an eighth of 2 rounds to 0 */
	{ 900130, FAIL, "", "dave@example.test", 0 },
};

/* One login: its delay, then its outcome. */
static unsigned attempt(struct auth_throttle *throttle, const char *address, const char *account,
			uint64_t now_ms, bool ok)
{
	unsigned delay = auth_throttle_delay_ms(throttle, address, account, now_ms);
	if (ok)
		auth_throttle_succeeded(throttle, address, account, now_ms);
	else
		auth_throttle_failed(throttle, address, account, now_ms);
	return delay;
}

static void test_throttle_script(void **state)
{
	(void)state;
	struct auth_throttle_settings set;
	auth_throttle_settings_default(&set);
	struct auth_throttle *throttle = auth_throttle_create(&set);
	for (size_t i = 0; i < N_ELEMENTS(steps); i++) {
		unsigned got = attempt(throttle, steps[i].address, steps[i].account, steps[i].at_ms,
				       steps[i].op == OK);
		if (got != steps[i].want_delay_ms)
			fail_msg("step %zu (%s, %s): got delay %u ms, want %u ms", i,
				 steps[i].address, steps[i].account, got, steps[i].want_delay_ms);
	}
	auth_throttle_free(&throttle);
	assert_null(throttle);
}

/* The account's delay is capped below the address's, and never a lockout;
 * parallel successful logins from one address never slow each other. */
static void test_throttle_account_cap(void **state)
{
	(void)state;
	struct auth_throttle_settings set;
	auth_throttle_settings_default(&set);
	struct auth_throttle *throttle = auth_throttle_create(&set);
	unsigned got = 0;
	char address[32];
	for (unsigned n = 0; n < 50; n++) {
		snprintf(address, sizeof(address), "192.0.2.%u", n + 1);
		got = attempt(throttle, address, "victim@example.test", 1000 + n, false);
	}
	if (got != set.max_account_delay_ms)
		fail_msg("after 50 failures: got %u ms, want the cap %u ms", got, set.max_account_delay_ms);
	/* the real user, an hour later, waits less than a second */
	got = attempt(throttle, "203.0.113.5", "victim@example.test", 3600 * 1000 + 1000, true);
	if (got >= 1000)
		fail_msg("an hour later: got %u ms, want < 1000 ms", got);
	for (unsigned n = 0; n < 100; n++) {
		snprintf(address, sizeof(address), "webmail%u@example.test", n);
		got = auth_throttle_delay_ms(throttle, "198.51.100.80", address, 7200 * 1000);
		if (got != 0)
			fail_msg("parallel login %u from one address: got %u ms, want 0", n, got);
	}
	auth_throttle_free(&throttle);
}

/* A success clears the account but keeps the address's failures. */
static void test_throttle_success_address(void **state)
{
	(void)state;
	struct auth_throttle_settings set;
	auth_throttle_settings_default(&set);
	struct auth_throttle *throttle = auth_throttle_create(&set);
	(void)attempt(throttle, "192.0.2.1", "x@example.test", 0, false);
	(void)attempt(throttle, "192.0.2.1", "y@example.test", 0, false);
	(void)attempt(throttle, "192.0.2.1", "z@example.test", 0, false);
	(void)attempt(throttle, "192.0.2.1", "z@example.test", 0, true);
	double score = auth_throttle_score(throttle, AUTH_THROTTLE_ADDRESS, "192.0.2.1", 0);
	if (score < 2.99 || score > 3.01)
		fail_msg("address score: got %.2f, want 3", score);
	score = auth_throttle_score(throttle, AUTH_THROTTLE_ACCOUNT, "z@example.test", 0);
	if (score != 0)
		fail_msg("account score after success: got %.2f, want 0", score);
	auth_throttle_free(&throttle);
}

/* The table never holds more than max_entries; the most suspicious stay. */
static void test_throttle_bounded(void **state)
{
	(void)state;
	struct auth_throttle_settings set;
	auth_throttle_settings_default(&set);
	set.max_entries = 64;
	struct auth_throttle *throttle = auth_throttle_create(&set);
	for (unsigned n = 0; n < 20; n++)
		(void)attempt(throttle, "192.0.2.250", "", 0, false);
	char account[64];
	for (unsigned n = 0; n < 1000; n++) {
		snprintf(account, sizeof(account), "user%u@example.test", n);
		(void)attempt(throttle, "", account, n, false);
		if (auth_throttle_count(throttle) > set.max_entries)
			fail_msg("after %u accounts: got %zu entries, want <= %zu", n + 1,
				 auth_throttle_count(throttle), set.max_entries);
	}
	double score = auth_throttle_score(throttle, AUTH_THROTTLE_ADDRESS, "192.0.2.250", 1000);
	if (score < 19.0)
		fail_msg("the busiest address: got score %.2f, want about 20 (kept)", score);
	auth_throttle_free(&throttle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttle_script),
		cmocka_unit_test(test_throttle_account_cap),
		cmocka_unit_test(test_throttle_success_address),
		cmocka_unit_test(test_throttle_bounded),
	};
	return cmocka_run_group_tests_name("auth-throttle", tests, NULL, NULL);
}
