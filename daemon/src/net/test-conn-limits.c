/* test-conn-limits.c - unit tests for conn-limits.c and session-id.c: a
 * script of acquire/release steps with the result each must give, and the
 * shape and uniqueness of session ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "conn-limits.h"
#include "session-id.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

enum step_op { ACQ, REL };

static const struct {
	enum step_op op;
	const char *addr; /* NULL: a UNIX socket client */
	enum conn_limits_result want;
	unsigned want_total;
} steps[] = {
	/* max_total 4, max_per_address 2 */
	{ ACQ, "192.0.2.1", CONN_LIMITS_OK, 1 },
	{ ACQ, "192.0.2.1", CONN_LIMITS_OK, 2 },
	{ ACQ, "192.0.2.1", CONN_LIMITS_ADDRESS, 2 },
	{ ACQ, "2001:db8::1", CONN_LIMITS_OK, 3 },
	{ ACQ, NULL, CONN_LIMITS_OK, 4 },
	{ ACQ, NULL, CONN_LIMITS_TOTAL, 4 },
	{ ACQ, "192.0.2.9", CONN_LIMITS_TOTAL, 4 },
	{ REL, NULL, CONN_LIMITS_OK, 3 },
	{ ACQ, "192.0.2.1", CONN_LIMITS_ADDRESS, 3 },
	{ REL, "192.0.2.1", CONN_LIMITS_OK, 2 },
	{ ACQ, "192.0.2.1", CONN_LIMITS_OK, 3 },
	{ REL, "192.0.2.1", CONN_LIMITS_OK, 2 },
	{ REL, "192.0.2.1", CONN_LIMITS_OK, 1 },
	{ REL, "2001:db8::1", CONN_LIMITS_OK, 0 },
	{ ACQ, NULL, CONN_LIMITS_OK, 1 },
	{ ACQ, NULL, CONN_LIMITS_OK, 2 },
	{ ACQ, NULL, CONN_LIMITS_OK, 3 },
	{ ACQ, NULL, CONN_LIMITS_OK, 4 },
	{ ACQ, NULL, CONN_LIMITS_TOTAL, 4 },
};

static void test_limits_script(void **state)
{
	(void)state;
	struct conn_limits *limits = conn_limits_create(4, 2);
	for (size_t i = 0; i < N_ELEMENTS(steps); i++) {
		if (steps[i].op == ACQ) {
			enum conn_limits_result got = conn_limits_acquire(limits, steps[i].addr);
			if (got != steps[i].want)
				fail_msg("step %zu acquire %s: got %s, want %s", i,
					 steps[i].addr ? steps[i].addr : "unix",
					 conn_limits_result_str(got),
					 conn_limits_result_str(steps[i].want));
		} else {
			conn_limits_release(limits, steps[i].addr);
		}
		unsigned total = conn_limits_total(limits);
		if (total != steps[i].want_total)
			fail_msg("step %zu: got total %u, want %u", i, total, steps[i].want_total);
	}
	conn_limits_free(&limits);
	assert_null(limits);
}

static void test_limits_unlimited(void **state)
{
	(void)state;
	struct conn_limits *limits = conn_limits_create(0, 0);
	for (int i = 0; i < 5000; i++)
		if (conn_limits_acquire(limits, "192.0.2.1") != CONN_LIMITS_OK)
			fail_msg("acquire %d with no limits: got refused, want ok", i);
	if (conn_limits_address_count(limits, "192.0.2.1") != 5000)
		fail_msg("got %u for the address, want 5000",
			 conn_limits_address_count(limits, "192.0.2.1"));
	for (int i = 0; i < 5000; i++)
		conn_limits_release(limits, "192.0.2.1");
	if (conn_limits_address_count(limits, "192.0.2.1") != 0)
		fail_msg("got %u after releasing all, want 0",
			 conn_limits_address_count(limits, "192.0.2.1"));
	conn_limits_free(&limits);
}

static const struct {
	unsigned long long start, counter;
	const char *want;
} id_cases[] = {
	{ 0, 0, "0000000000" },
	{ 0, 1, "0000000001" },
	{ 0, 31, "000000000z" },
	{ 0, 32, "0000000010" },
	{ 1, 1048576, "00000110000" },
	{ 0x3fffffff, 0, "zzzzzz0000" },
	{ 0x40000000, 0, "0000000000" }, /* the start time wraps at 30 bits */
	{ 0, 0xffffffffffffffffULL, "000000fzzzzzzzzzzzz" },
};

static void test_session_ids(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(id_cases); i++) {
		char id[SESSION_ID_SIZE];
		session_id_format(id_cases[i].start, id_cases[i].counter, id);
		if (strcmp(id, id_cases[i].want) != 0)
			fail_msg("start %llu counter %llu: got \"%s\", want \"%s\"", id_cases[i].start,
				 id_cases[i].counter, id, id_cases[i].want);
	}
	/* consecutive counters never collide */
	char prev[SESSION_ID_SIZE] = "";
	for (unsigned long long c = 0; c < 2000; c++) {
		char id[SESSION_ID_SIZE];
		session_id_format(1700000000, c, id);
		if (strcmp(id, prev) == 0)
			fail_msg("counter %llu: got \"%s\" twice", c, id);
		memcpy(prev, id, sizeof(id));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_script),
		cmocka_unit_test(test_limits_unlimited),
		cmocka_unit_test(test_session_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
