/* test-storage-vacation.c - unit tests of what schema 007 keeps for Sieve
 * delivery and the quota warning: the vacation :days memory
 * (storage-vacation.c), the once-per-crossing quota warning flag
 * (storage-quota-warning.c), and the delivery's quota grace and keywords
 * (storage-deliver.c). Runs on a temporary SQLite file, and on PostgreSQL
 * when TANDEM_TEST_PGSQL_URI names a scratch database:
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"

#define DAY 86400
#define NOW ((int64_t)1800000000)

static bool vacation(struct env *env, int64_t user_id, const char *sender, const char *handle,
		     unsigned days, int64_t now)
{
	bool send = false;
	assert_result(storage_vacation_check_record(env->conn, user_id, sender, handle, days, now,
						    &send, NULL), STORAGE_OK);
	return send;
}

static void test_vacation_days(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	int64_t bob = env_add_user(env, "bob@example.test");
	static const struct {
		int64_t user;   /* 0 ann, 1 bob */
		const char *sender, *handle;
		unsigned days;
		int64_t at;     /* seconds after NOW */
		bool want;
	} steps[] = {
		{ 0, "x@remote.test", "h1", 7, 0, true },          /* first: answer */
		{ 0, "x@remote.test", "h1", 7, 60, false },        /* same day: no */
		{ 0, "X@Remote.TEST", "h1", 7, 120, false },       /* sender in any case */
		{ 0, "x@remote.test", "h2", 7, 180, true },        /* another handle */
		{ 0, "y@remote.test", "h1", 7, 240, true },        /* another sender */
		{ 1, "x@remote.test", "h1", 7, 300, true },        /* another user */
		{ 0, "x@remote.test", "h1", 7, 6 * DAY, false },   /* within :days */
		{ 0, "x@remote.test", "h1", 7, 7 * DAY, true },    /* :days later */
		{ 0, "x@remote.test", "h1", 1, 8 * DAY, true },    /* a shorter :days */
		{ 0, "x@remote.test", "h1", 0, 8 * DAY + 10, false }, /* 0 counts as 1 */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool got = vacation(env, steps[i].user == 0 ? ann : bob, steps[i].sender,
				    steps[i].handle, steps[i].days, NOW + steps[i].at);
		if (got != steps[i].want)
			fail_msg("step %zu (%s %s days=%u): got %d, want %d", i, steps[i].sender,
				 steps[i].handle, steps[i].days, got, steps[i].want);
	}
}

static void test_vacation_handles_and_prune(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	/* handles longer than the limit stay distinct */
	char a[1000], b[1000];
	memset(a, 'h', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'i';
	assert_true(vacation(env, ann, "x@remote.test", a, 7, NOW));
	assert_true(vacation(env, ann, "x@remote.test", b, 7, NOW));
	assert_false(vacation(env, ann, "x@remote.test", a, 7, NOW + 1));
	assert_int(sql_int(env, "SELECT MAX(LENGTH(handle)) FROM vacation_responses"),
		   STORAGE_VACATION_HANDLE_MAX);
	/* rows older than a year go at the next check */
	assert_true(vacation(env, ann, "old@remote.test", "h", 7, NOW - 400 * (int64_t)DAY));
	assert_int(sql_int(env, "SELECT COUNT(*) FROM vacation_responses"), 3);
	assert_true(vacation(env, ann, "new@remote.test", "h", 7, NOW));
	assert_int(sql_int(env, "SELECT COUNT(*) FROM vacation_responses "
			   "WHERE sender = 'old@remote.test'"), 0);
	/* an empty sender is refused, a reset forgets everything */
	bool send;
	assert_result(storage_vacation_check_record(env->conn, ann, "", "h", 7, NOW, &send, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_vacation_reset(env->conn, ann, NULL), STORAGE_OK);
	assert_true(vacation(env, ann, "x@remote.test", a, 7, NOW + 2));
	/* deleting the user deletes their rows */
	assert_result(storage_user_del(env->conn, "ann@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM vacation_responses"), 0);
}

static void set_usage(struct env *env, int64_t user_id, int64_t qbytes, int64_t ubytes,
		      int64_t qmsgs, int64_t umsgs)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE users SET quota_bytes = %lld, used_bytes = %lld, "
		 "quota_messages = %lld, used_messages = %lld WHERE id = %lld", (long long)qbytes,
		 (long long)ubytes, (long long)qmsgs, (long long)umsgs, (long long)user_id);
	sql_exec(env, sql);
}

static void test_quota_warning(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	static const struct {
		int64_t qbytes, ubytes, qmsgs, umsgs;
		bool want;
	} steps[] = {
		{ 0, 5000, 0, 10, false },        /* unlimited: never */
		{ 1000, 899, 0, 10, false },      /* below 90 % */
		{ 1000, 900, 0, 10, true },       /* reached: warn */
		{ 1000, 950, 0, 10, false },      /* once */
		{ 1000, 1200, 0, 10, false },     /* still once, over the limit too */
		{ 1000, 100, 0, 10, false },      /* below again: reset */
		{ 1000, 990, 0, 10, true },       /* crossing again: warn again */
		{ 1000, 100, 10, 9, false },      /* bytes low; messages 90 %: already warned */
		{ 1000, 100, 10, 1, false },      /* reset */
		{ 1000, 100, 10, 9, true },       /* the message count warns too */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		set_usage(env, ann, steps[i].qbytes, steps[i].ubytes, steps[i].qmsgs, steps[i].umsgs);
		bool warn = !steps[i].want;
		struct storage_user user;
		assert_result(storage_quota_warning_check(env->conn, ann, 90, &warn, &user, NULL),
			      STORAGE_OK);
		if (warn != steps[i].want)
			fail_msg("step %zu (%lld/%lld bytes, %lld/%lld messages): got %d, want %d", i,
				 (long long)steps[i].ubytes, (long long)steps[i].qbytes,
				 (long long)steps[i].umsgs, (long long)steps[i].qmsgs, warn,
				 steps[i].want);
		if (warn)
			assert_int(user.used_bytes, steps[i].ubytes);
	}
	bool warn;
	assert_result(storage_quota_warning_check(env->conn, ann, 0, &warn, NULL, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_quota_warning_check(env->conn, ann + 1000, 90, &warn, NULL, NULL),
		      STORAGE_ERR_NOTFOUND);
}

/* Deliver size bytes to ann with grace; the recipient's result. */
static enum storage_result deliver_grace(struct env *env, int64_t user_id, size_t size,
					 unsigned grace, bool enforce, const char *keywords)
{
	char *raw = xmalloc(size + 1);
	memset(raw, 'x', size);
	memcpy(raw, "Subject: q\r\n\r\n", 14);
	raw[size] = '\0';
	struct mime_message *msg;
	const char *error;
	if (mime_message_parse((const unsigned char *)raw, size, &msg, &error) < 0)
		fail_msg("mime_message_parse: %s", error);
	struct storage_delivery_rcpt rcpt = { .user_id = user_id, .enforce_quota = enforce,
					      .keywords = keywords };
	struct storage_delivery delivery = { .message = msg, .internal_date = 1700000000,
					     .rcpts = &rcpt, .rcpt_count = 1,
					     .quota_grace_percent = grace };
	enum storage_result res = storage_deliver(env->conn, &delivery, NULL);
	mime_message_free(&msg);
	free(raw);
	return res == STORAGE_OK ? rcpt.result : res;
}

static void test_quota_grace(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	assert_result(storage_user_set_quota(env->conn, "ann@example.test", 10000, 0, NULL),
		      STORAGE_OK);
	static const struct {
		size_t size;
		unsigned grace;
		bool enforce;
		enum storage_result want;
		int64_t used_after;
	} steps[] = {
		{ 9000, 10, true, STORAGE_OK, 9000 },
		{ 2500, 10, true, STORAGE_ERR_NOQUOTA, 9000 },  /* 11500 > 11000 */
		{ 1500, 0, true, STORAGE_ERR_NOQUOTA, 9000 },   /* no grace (APPEND) */
		{ 1500, 10, true, STORAGE_OK, 10500 },          /* under, ends within 10 % */
		{ 100, 10, true, STORAGE_ERR_NOQUOTA, 10500 },  /* over: nothing more */
		{ 100, 10, false, STORAGE_OK, 10600 },          /* not enforced */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum storage_result got = deliver_grace(env, ann, steps[i].size, steps[i].grace,
							steps[i].enforce, NULL);
		if (got != steps[i].want)
			fail_msg("step %zu (%zu bytes, grace %u): got %s, want %s", i, steps[i].size,
				 steps[i].grace, storage_result_str(got),
				 storage_result_str(steps[i].want));
		struct storage_user user;
		assert_result(storage_user_get_by_id(env->conn, ann, &user, NULL), STORAGE_OK);
		assert_int(user.used_bytes, steps[i].used_after);
	}
}

static void test_delivery_keywords(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	assert_result(deliver_grace(env, ann, 200, 0, true, "$Work Later"), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages "
			   "WHERE keywords = '$Work Later'"), 1);
	assert_result(deliver_grace(env, ann, 200, 0, true, "bad(keyword"), STORAGE_ERR_INVALID);
	assert_result(deliver_grace(env, ann, 200, 0, true, NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages WHERE keywords = ''"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vacation_days),
		cmocka_unit_test(test_vacation_handles_and_prune),
		cmocka_unit_test(test_quota_warning),
		cmocka_unit_test(test_quota_grace),
		cmocka_unit_test(test_delivery_keywords),
	};
	return env_run_tests("storage vacation", tests);
}
