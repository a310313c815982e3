/* test-storage-fulltext.c - unit tests of the background full-text indexer
 * (storage-fulltext-index.c, run by the group committer in
 * storage-commit.c) and of storage_check's orphaned index rows, on a
 * temporary SQLite file and, when TANDEM_TEST_PGSQL_URI names a scratch
 * database, on PostgreSQL:
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"

#include <pthread.h>
#include <time.h>

/* The uids storage_mail_search_text reports, "1 3", unindexed ones as "u4". */
struct text_hits {
	char text[512];
};

static void text_hit_cb(uint32_t uid, bool unindexed, void *context)
{
	struct text_hits *h = context;
	size_t len = strlen(h->text);
	snprintf(h->text + len, sizeof(h->text) - len, "%s%s%u", len > 0 ? " " : "",
		 unindexed ? "u" : "", uid);
}

static void search_text(struct env *env, int64_t mailbox_id, const char *needle,
			const char *want)
{
	struct text_hits h = { "" };
	assert_result(storage_mail_search_text(env->conn, mailbox_id, needle, true, text_hit_cb,
					       &h, NULL), STORAGE_OK);
	if (strcmp(h.text, want) != 0)
		fail_msg("search BODY \"%s\": got \"%s\", want \"%s\"", needle, h.text, want);
}

static const char *const bodies[] = {
	"the okapi grazes", "a narwhal swims", "zebrafish school", "the okapi again",
	"nothing special", "quoted caf\xc3\xa9",
};
#define BODY_COUNT (sizeof(bodies) / sizeof(bodies[0]))

static char *message(size_t i)
{
	return xasprintf("From: a@example.test\r\nSubject: m%zu\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", i, bodies[i]);
}

/* Deliver every body (synchronously, index off: no rows), returns INBOX. */
static int64_t deliver_bodies(struct env *env, int64_t user)
{
	int64_t box = 0;
	for (size_t i = 0; i < BODY_COUNT; i++) {
		char *raw = message(i);
		box = env_deliver(env, raw, user, NULL);
		free(raw);
	}
	return box;
}

static unsigned run_indexer(struct env *env, int64_t *cursor, unsigned max, unsigned *steps_r)
{
	unsigned total = 0, steps = 0;
	bool done = false;
	while (!done) {
		unsigned indexed;
		if (++steps > 1000)
			fail_msg("indexer steps: got more than 1000, want it done");
		assert_result(storage_fulltext_index_step(env->conn, cursor, max, NULL, NULL,
							  &indexed, &done, NULL), STORAGE_OK);
		total += indexed;
	}
	if (steps_r != NULL)
		*steps_r = steps;
	return total;
}

/* Messages stored without index rows are reported unindexed; the indexer,
 * run to completion in small steps, leaves none, and what SEARCH finds is
 * unchanged; a second run finds nothing to do. */
static void test_index_catches_up(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	int64_t box = deliver_bodies(env, user);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), 0);
	search_text(env, box, "okapi", "u1 u2 u3 u4 u5 u6");

	int64_t cursor = 0;
	unsigned steps;
	assert_int(run_indexer(env, &cursor, 4, &steps), BODY_COUNT);
	if (steps < 3)
		fail_msg("indexer steps of 4: got %u, want at least 3", steps);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), BODY_COUNT);
	static const struct {
		const char *needle, *want;
	} cases[] = {
		{ "okapi", "1 4" }, { "narwhal", "2" }, { "caf\xc3\xa9", "6" }, { "subject", "" },
		{ "absent text", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		search_text(env, box, cases[i].needle, cases[i].want);
	/* nothing left: a new run from the start indexes nothing */
	cursor = 0;
	assert_int(run_indexer(env, &cursor, 4, NULL), 0);
	assert_int(env_check(env, false), 0);
}

static bool always_yield(void *context)
{
	(*(unsigned *)context)++;
	return true;
}

/* A yielding step decodes one message, then stops; messages deleted before
 * the indexer reaches them get no row; a gap of ids wider than the scan
 * window is crossed. */
static void test_index_yield_and_gaps(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	int64_t box = deliver_bodies(env, user);
	unsigned asked = 0, indexed;
	bool done;
	int64_t cursor = 0;
	assert_result(storage_fulltext_index_step(env->conn, &cursor, 8, always_yield, &asked,
						  &indexed, &done, NULL), STORAGE_OK);
	assert_int(indexed, 1);
	assert_int(asked, 1);
	assert_int(done, false);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), 1);

	assert_result(storage_mail_expunge(env->conn, box, 2, NULL), STORAGE_OK);
	/* move the last message far above the others (a wide gap of ids) */
	int64_t last = sql_int(env, "SELECT MAX(id) FROM messages");
	char sql[512];
	int64_t far = last + 3 * STORAGE_FULLTEXT_WINDOW;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO messages (id, size, header_size, line_count, refcount, envelope, "
		 "bodystructure, body, has_8bit, bare_lf, created) SELECT %lld, size, "
		 "header_size, line_count, refcount, envelope, bodystructure, body, has_8bit, "
		 "bare_lf, created FROM messages WHERE id = %lld", (long long)far, (long long)last);
	sql_exec(env, sql);
	static const char *const moves[] = {
		"UPDATE message_segments SET message_id = %lld WHERE message_id = %lld",
		"UPDATE header_fields SET message_id = %lld WHERE message_id = %lld",
		"UPDATE mailbox_messages SET message_id = %lld WHERE message_id = %lld",
	};
	for (size_t i = 0; i < 3; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(sql, sizeof(sql), moves[i], (long long)far, (long long)last);
#pragma GCC diagnostic pop
		sql_exec(env, sql);
	}
	snprintf(sql, sizeof(sql), "DELETE FROM messages WHERE id = %lld", (long long)last);
	sql_exec(env, sql);
	assert_int(env_check(env, false), 0);

	assert_int(run_indexer(env, &cursor, 8, NULL), BODY_COUNT - 2);
	assert_int(cursor, far);
	search_text(env, box, "okapi", "1 4");
	search_text(env, box, "caf\xc3\xa9", "6");
	search_text(env, box, "narwhal", "");
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), BODY_COUNT - 1);
}

/* ---- through the group committer ---- */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned done;
};

static void delivery_done(struct storage_delivery *delivery, void *context)
{
	(void)delivery;
	struct waiter *w = context;
	pthread_mutex_lock(&w->lock);
	w->done++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Deliveries through the committer: found by SEARCH at once (indexed or
 * not), and the committer's indexer catches up on its own, also with what
 * was stored before it started. */
static void test_committer_indexes(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	/* stored before the daemon started with the index on */
	char *raw = message(4);
	int64_t box = env_deliver(env, raw, user, NULL);
	free(raw);
	sql_exec(env, "DELETE FROM message_text");

	env_stop(env);
	assert_int(env_start(env), 0);
	struct mime_message *msgs[BODY_COUNT];
	char *raws[BODY_COUNT];
	struct storage_delivery deliveries[BODY_COUNT];
	struct storage_delivery_rcpt rcpts[BODY_COUNT];
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	for (size_t i = 0; i < BODY_COUNT; i++) {
		const char *error;
		raws[i] = message(i);
		if (mime_message_parse((const unsigned char *)raws[i], strlen(raws[i]), &msgs[i],
				       &error) < 0)
			fail_msg("parse: %s", error);
		rcpts[i] = (struct storage_delivery_rcpt){ .user_id = user, .enforce_quota = true };
		deliveries[i] = (struct storage_delivery){ .message = msgs[i],
							   .internal_date = 1700000000,
							   .rcpts = &rcpts[i], .rcpt_count = 1 };
		storage_deliver_async(env->storage, &deliveries[i], delivery_done, &w);
	}
	pthread_mutex_lock(&w.lock);
	while (w.done < BODY_COUNT)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	for (size_t i = 0; i < BODY_COUNT; i++) {
		assert_result(rcpts[i].result, STORAGE_OK);
		mime_message_free(&msgs[i]);
		free(raws[i]);
	}
	/* at once: every okapi message is a hit or left to the scan */
	struct text_hits h = { "" };
	assert_result(storage_mail_search_text(env->conn, box, "okapi", true, text_hit_cb, &h,
					       NULL), STORAGE_OK);
	if (strstr(h.text, "2") == NULL || strstr(h.text, "5") == NULL)
		fail_msg("search BODY okapi right after delivery: got \"%s\", want uids 2 and 5 "
			 "(indexed or unindexed)", h.text);

	/* the indexer catches up: no unindexed uid within 10 s */
	for (unsigned tries = 0;; tries++) {
		struct text_hits all = { "" };
		assert_result(storage_mail_search_text(env->conn, box, "okapi", true, text_hit_cb,
						       &all, NULL), STORAGE_OK);
		if (strchr(all.text, 'u') == NULL) {
			assert_str(all.text, "2 5");
			break;
		}
		if (tries == 1000)
			fail_msg("indexer after 10 s: got \"%s\", want \"2 5\"", all.text);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), BODY_COUNT + 1);
	search_text(env, box, "nothing special", "1 6");
	assert_int(env_check(env, false), 0);
}

/* ---- storage_check ---- */

/* An index row whose message is gone is reported, and deleted by repair. */
static void test_check_orphan_rows(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	int64_t box = deliver_bodies(env, user);
	int64_t cursor = 0;
	assert_int(run_indexer(env, &cursor, 0, NULL), BODY_COUNT);
	assert_int(env_check(env, false), 0);
	if (env->pgsql) {
		/* the foreign key forbids it: only a broken restore could */
		sql_exec(env, "ALTER TABLE message_text DROP CONSTRAINT message_text_message_id_fkey");
		sql_exec(env, "INSERT INTO message_text (message_id, headers, body) "
			      "VALUES (999999, 'h', 'orphan'), (999998, 'h', 'orphan')");
	} else {
		sql_exec(env, "INSERT INTO message_text (rowid, headers, body) "
			      "VALUES (999999, 'h', 'orphan'), (999998, 'h', 'orphan')");
	}
	assert_int(env_check(env, false), 2);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), BODY_COUNT + 2);
	assert_int(env_check(env, true), 2);
	assert_int(env_check(env, false), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), BODY_COUNT);
	search_text(env, box, "okapi", "1 4");
}

/* Index off for the synchronous deliveries (no rows, like mail stored
 * before the index); the indexer steps do not look at the setting. */
static int setup_sqlite_noindex(void **state)
{
	return env_setup(state, false, false, false);
}

static int setup_pgsql_noindex(void **state)
{
	return env_setup(state, true, false, false);
}

/* Index on, with the group committer and its background indexer. */
static int setup_sqlite_committer(void **state)
{
	return env_setup(state, false, true, true);
}

static int setup_pgsql_committer(void **state)
{
	return env_setup(state, true, true, true);
}

#define FULLTEXT_TESTS(noindex, committer)                                                 \
	cmocka_unit_test_setup_teardown(test_index_catches_up, noindex, env_teardown),    \
	cmocka_unit_test_setup_teardown(test_index_yield_and_gaps, noindex, env_teardown), \
	cmocka_unit_test_setup_teardown(test_committer_indexes, committer, env_teardown), \
	cmocka_unit_test_setup_teardown(test_check_orphan_rows, noindex, env_teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		FULLTEXT_TESTS(setup_sqlite_noindex, setup_sqlite_committer)
	};
	const struct CMUnitTest pgsql_tests[] = {
		FULLTEXT_TESTS(setup_pgsql_noindex, setup_pgsql_committer)
	};
	int failed;
	mime_init();
	failed = cmocka_run_group_tests_name("fulltext on sqlite", sqlite_tests, NULL, NULL);
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	if (uri != NULL && uri[0] != '\0')
		failed += cmocka_run_group_tests_name("fulltext on pgsql", pgsql_tests, NULL, NULL);
	else
		print_message("fulltext on pgsql: skipped (TANDEM_TEST_PGSQL_URI is not set)\n");
	mime_deinit();
	return failed == 0 ? 0 : 1;
}
