/* test-storage-greylist.c - unit tests for storage-greylist.c on SQLite and,
 * when TANDEM_TEST_PGSQL_URI is set, on PostgreSQL: a table of attempts
 * with the wanted verdict each (first sighting, early retry, retry after
 * the delay, expiry, auto-whitelist), a second connection seeing the
 * first one's rows, key limits, and pruning.
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1700000000
#define DAY 86400

static const char *const verdict_names[] = { "new", "early", "passed", "whitelisted" };

static struct storage_greylist_params params_at(int64_t now)
{
	return (struct storage_greylist_params){ .now = now, .delay = 300, .retry_window = 2 * DAY,
						 .autowhitelist_count = 3,
						 .autowhitelist_days = 30 };
}

static void test_greylist_sequence(void **state)
{
	struct env *env = *state;
	static const struct {
		int64_t at;
		const char *net, *sender, *rcpt;
		enum storage_greylist_verdict want;
		int64_t want_wait;  /* NEW/EARLY */
	} steps[] = {
		{ T0, "192.0.2.0/24", "a@x.test", "u@example.test", STORAGE_GREYLIST_NEW, 300 },
		{ T0 + 100, "192.0.2.0/24", "a@x.test", "u@example.test", STORAGE_GREYLIST_EARLY, 200 },
		{ T0 + 299, "192.0.2.0/24", "a@x.test", "u@example.test", STORAGE_GREYLIST_EARLY, 1 },
		{ T0 + 300, "192.0.2.0/24", "a@x.test", "u@example.test", STORAGE_GREYLIST_PASSED, 0 },
		/* passed stays passed */
		{ T0 + 400, "192.0.2.0/24", "a@x.test", "u@example.test", STORAGE_GREYLIST_PASSED, 0 },
		/* another triplet from the same network: greylisted on its own */
		{ T0 + 400, "192.0.2.0/24", "b@x.test", "u@example.test", STORAGE_GREYLIST_NEW, 300 },
		/* the third accepted mail whitelists 192.0.2.0/24 ... */
		{ T0 + 500, "192.0.2.0/24", "a@x.test", "u@example.test", STORAGE_GREYLIST_PASSED, 0 },
		/* ... so a new sender passes at once */
		{ T0 + 501, "192.0.2.0/24", "new@y.test", "v@example.test", STORAGE_GREYLIST_WHITELISTED, 0 },
		/* other networks are not whitelisted */
		{ T0 + 502, "198.51.100.0/24", "new@y.test", "v@example.test", STORAGE_GREYLIST_NEW, 300 },
		/* retry after the retry window: greylisting starts over */
		{ T0 + 502 + 2 * DAY + 1, "198.51.100.0/24", "new@y.test", "v@example.test",
		  STORAGE_GREYLIST_NEW, 300 },
		/* the whitelist expires 30 days after the last mail */
		{ T0 + 501 + 30 * DAY - 1, "192.0.2.0/24", "z@y.test", "v@example.test",
		  STORAGE_GREYLIST_WHITELISTED, 0 },
		{ T0 + 501 + 60 * DAY, "192.0.2.0/24", "z2@y.test", "v@example.test",
		  STORAGE_GREYLIST_NEW, 300 },
		/* a passed triplet unused for 30 days expires too */
		{ T0 + 501 + 90 * DAY, "192.0.2.0/24", "a@x.test", "u@example.test",
		  STORAGE_GREYLIST_NEW, 300 },
		/* the null sender is a sender like any other */
		{ T0, "203.0.113.0/24", "", "u@example.test", STORAGE_GREYLIST_NEW, 300 },
		{ T0 + 301, "203.0.113.0/24", "", "u@example.test", STORAGE_GREYLIST_PASSED, 0 },
	};
	for (size_t i = 0; i < N_ELEMENTS(steps); i++) {
		struct storage_greylist_params p = params_at(steps[i].at);
		struct storage_greylist_outcome out;
		assert_result(storage_greylist_check(env->conn, steps[i].net, steps[i].sender,
						     steps[i].rcpt, &p, &out, NULL), STORAGE_OK);
		if (out.verdict != steps[i].want)
			fail_msg("step %zu: got %s, want %s", i, verdict_names[out.verdict],
				 verdict_names[steps[i].want]);
		if ((out.verdict == STORAGE_GREYLIST_NEW || out.verdict == STORAGE_GREYLIST_EARLY) &&
		    out.wait_secs != steps[i].want_wait)
			fail_msg("step %zu: got wait %lld, want %lld", i, (long long)out.wait_secs,
				 (long long)steps[i].want_wait);
		if (i == 6 && (!out.whitelisted_now || out.passes != 3))
			fail_msg("step 6: got whitelisted_now=%d passes=%lld, want 1 and 3",
				 out.whitelisted_now, (long long)out.passes);
	}
}

/* A second connection (another tandemd on the same database) sees the
 * first one's greylisting. */
static void test_greylist_shared(void **state)
{
	struct env *env = *state;
	struct storage_conn *other;
	const char *error;
	if (storage_connect(env->storage, &other, &error) < 0)
		fail_msg("storage_connect: %s", error);
	struct storage_greylist_params p = params_at(T0);
	struct storage_greylist_outcome out;
	assert_result(storage_greylist_check(env->conn, "192.0.2.0/24", "s@x.test", "r@example.test",
					     &p, &out, NULL), STORAGE_OK);
	assert_int(out.verdict, STORAGE_GREYLIST_NEW);
	p.now = T0 + 10;
	assert_result(storage_greylist_check(other, "192.0.2.0/24", "s@x.test", "r@example.test",
					     &p, &out, NULL), STORAGE_OK);
	assert_int(out.verdict, STORAGE_GREYLIST_EARLY);
	assert_int(out.wait_secs, 290);
	p.now = T0 + 300;
	assert_result(storage_greylist_check(other, "192.0.2.0/24", "s@x.test", "r@example.test",
					     &p, &out, NULL), STORAGE_OK);
	assert_int(out.verdict, STORAGE_GREYLIST_PASSED);
	assert_int(out.delayed_secs, 300);
	storage_disconnect(&other);
}

static void test_greylist_limits_and_prune(void **state)
{
	struct env *env = *state;
	struct storage_greylist_params p = params_at(T0);
	struct storage_greylist_outcome out;
	char long_key[STORAGE_GREYLIST_KEY_MAX + 2];
	memset(long_key, 'a', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_result(storage_greylist_check(env->conn, "192.0.2.0/24", long_key, "r@example.test",
					     &p, &out, NULL), STORAGE_ERR_INVALID);
	assert_result(storage_greylist_check(env->conn, "", "s@x", "r@example.test", &p, &out, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_greylist_check(env->conn, "192.0.2.0/24", "s@x", "", &p, &out, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_greylist_check(env->conn, "192.0.2.0/24", "s\x01@x", "r@example.test",
					     &p, &out, NULL), STORAGE_ERR_INVALID);

	/* one greylisted, one passed (and its network counted) */
	assert_result(storage_greylist_check(env->conn, "192.0.2.0/24", "s@x", "r@example.test", &p,
					     &out, NULL), STORAGE_OK);
	assert_result(storage_greylist_check(env->conn, "198.51.100.0/24", "s@x", "r@example.test",
					     &p, &out, NULL), STORAGE_OK);
	p.now = T0 + 400;
	assert_result(storage_greylist_check(env->conn, "198.51.100.0/24", "s@x", "r@example.test",
					     &p, &out, NULL), STORAGE_OK);
	assert_int(out.verdict, STORAGE_GREYLIST_PASSED);
	int64_t deleted;
	p.now = T0 + DAY;
	assert_result(storage_greylist_prune(env->conn, &p, &deleted, NULL), STORAGE_OK);
	assert_int(deleted, 0);
	p.now = T0 + 3 * DAY; /* past the retry window: the greylisted one goes */
	assert_result(storage_greylist_prune(env->conn, &p, &deleted, NULL), STORAGE_OK);
	assert_int(deleted, 1);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM greylist"), 1);
	p.now = T0 + 400 + 31 * DAY; /* the passed one and its network expire */
	assert_result(storage_greylist_prune(env->conn, &p, &deleted, NULL), STORAGE_OK);
	assert_int(deleted, 2);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM greylist") +
		   sql_int(env, "SELECT COUNT(*) FROM greylist_client"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greylist_sequence),
		cmocka_unit_test(test_greylist_shared),
		cmocka_unit_test(test_greylist_limits_and_prune),
	};
	return env_run_tests("greylist", tests);
}
