/* test-storage-listen.c - unit tests of the change listener
 * (storage-listen.c, schema/pgsql/005-notify.sql): on SQLite it is a no-op;
 * on PostgreSQL (TANDEM_TEST_PGSQL_URI names a scratch database whose
 * public schema is dropped first) it reports STORAGE_CHANGED_ALL once
 * connected, then the id of each mailbox whose highestmodseq or uidnext a
 * committed transaction raised, and nothing for rolled-back changes or for
 * updates that leave both alone.
 *
 * Each row of the table is followed by a "sentinel" change to another
 * mailbox: notices arrive in commit order, so whether the row's mailbox
 * came before the sentinel says whether the row notified.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "storage-private.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long a notice may take to arrive before the test fails. */
#define LISTEN_TEST_WAIT_MS 10000
#define LISTEN_TEST_IDS_MAX 64

/* What the callback saw, shared with the listener's thread. */
struct recorder {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int64_t ids[LISTEN_TEST_IDS_MAX];
	size_t count;
};

static void recorder_fn(int64_t mailbox_id, void *context)
{
	struct recorder *rec = context;
	pthread_mutex_lock(&rec->lock);
	if (rec->count < LISTEN_TEST_IDS_MAX)
		rec->ids[rec->count++] = mailbox_id;
	pthread_cond_broadcast(&rec->cond);
	pthread_mutex_unlock(&rec->lock);
}

/* Wait for the notice of id; returns the ids seen before it (removing them
 * and it), or -1 on timeout. *before_r: whether other_id came before it. */
static int recorder_wait(struct recorder *rec, int64_t id, int64_t other_id, bool *before_r)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += LISTEN_TEST_WAIT_MS / 1000;
	*before_r = false;
	pthread_mutex_lock(&rec->lock);
	for (;;) {
		for (size_t i = 0; i < rec->count; i++) {
			if (rec->ids[i] != id)
				continue;
			for (size_t k = 0; k < i; k++)
				*before_r = *before_r || rec->ids[k] == other_id;
			memmove(rec->ids, rec->ids + i + 1, (rec->count - i - 1) * sizeof(rec->ids[0]));
			rec->count -= i + 1;
			pthread_mutex_unlock(&rec->lock);
			return 0;
		}
		if (pthread_cond_timedwait(&rec->cond, &rec->lock, &deadline) != 0)
			break;
	}
	pthread_mutex_unlock(&rec->lock);
	return -1;
}

static void test_sqlite_has_nothing_to_listen_to(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-storage-listen.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/tandem.db", dir);
	struct storage_settings set = { .driver = "sqlite", .sqlite_path = path,
					.busy_timeout_ms = 1000, .commit_batch_max = 8 };
	struct storage *storage = NULL;
	const char *error = NULL;
	assert_int_equal(storage_init_nocommitter(&set, &storage, &error), 0);
	struct storage_listener *listener = (struct storage_listener *)&set; /* must be reset */
	struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
	int ret = storage_listener_start(storage, recorder_fn, &rec, &listener, &error);
	if (ret != 0 || listener != NULL)
		fail_msg("sqlite: got ret %d listener %p, want 0 and NULL", ret, (void *)listener);
	storage_listener_stop(&listener); /* NULL is fine */
	storage_deinit(&storage);
	unlink(path);
	rmdir(dir);
}

/* One change, in its own transaction. */
static const struct {
	const char *name;
	const char *sql;   /* $1: the mailbox id */
	bool commit;
	bool want_notice;
} listen_cases[] = {
	{ "highestmodseq raised, committed",
	  "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1", true, true },
	{ "uidnext raised, committed",
	  "UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = $1", true, true },
	{ "highestmodseq raised, rolled back",
	  "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1", false, false },
	{ "only the subscription changed",
	  "UPDATE mailboxes SET subscribed = 1 - subscribed WHERE id = $1", true, false },
	{ "only the name changed",
	  "UPDATE mailboxes SET name = name || 'x' WHERE id = $1", true, false },
	{ "mailbox deleted",
	  "DELETE FROM mailboxes WHERE id = $1", true, true },
};

static void test_pgsql_notices_follow_commits(void **state)
{
	(void)state;
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	struct storage_settings set = { .driver = "pgsql", .pgsql_uri = uri,
					.busy_timeout_ms = 10000, .commit_batch_max = 8 };
	struct db_conn *dbc;
	char dberr[256];
	if (db_driver_pgsql.connect(&set, &dbc, dberr, sizeof(dberr)) != DB_OK)
		fail_msg("pgsql connect: %s", dberr);
	assert_int_equal(db_driver_pgsql.exec_script(dbc, "DROP SCHEMA IF EXISTS public CASCADE; "
							  "CREATE SCHEMA public;"), DB_OK);
	db_driver_pgsql.disconnect(&dbc);

	struct storage *storage = NULL;
	struct storage_conn *conn = NULL;
	const char *error = NULL;
	if (storage_init(&set, &storage, &error) != 0 || storage_connect(storage, &conn, &error) != 0)
		fail_msg("storage: %s", error);
	assert_int_equal(storage_domain_add(conn, "listen.test", &error), STORAGE_OK);
	assert_int_equal(storage_user_add(conn, "u@listen.test", "{PLAIN}x", &error), STORAGE_OK);
	struct storage_user user;
	struct storage_mailbox inbox, sent;
	assert_int_equal(storage_user_get(conn, "u@listen.test", &user, &error), STORAGE_OK);
	assert_int_equal(storage_mailbox_get(conn, user.id, "INBOX", &inbox, &error), STORAGE_OK);
	assert_int_equal(storage_mailbox_get(conn, user.id, "Sent", &sent, &error), STORAGE_OK);

	struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
	struct storage_listener *listener = NULL;
	assert_int_equal(storage_listener_start(storage, recorder_fn, &rec, &listener, &error), 0);
	assert_non_null(listener);
	bool before;
	if (recorder_wait(&rec, STORAGE_CHANGED_ALL, -1, &before) < 0)
		fail_msg("no STORAGE_CHANGED_ALL within %d ms of start", LISTEN_TEST_WAIT_MS);

	for (size_t i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]); i++) {
		assert_int_equal(storage_begin(conn, true, &error), STORAGE_OK);
		if (sdb_exec(conn, listen_cases[i].sql, DB_ARGS(DB_INT(inbox.id))) != DB_OK)
			fail_msg("%s: %s", listen_cases[i].name, conn->db->error(conn->dbc));
		if (listen_cases[i].commit)
			assert_int_equal(storage_commit(conn, &error), STORAGE_OK);
		else
			storage_rollback(conn);
		/* the sentinel */
		assert_int_equal(sdb_exec(conn, "UPDATE mailboxes SET highestmodseq = "
					  "highestmodseq + 1 WHERE id = $1",
					  DB_ARGS(DB_INT(sent.id))), DB_OK);
		if (recorder_wait(&rec, sent.id, inbox.id, &before) < 0)
			fail_msg("%s: the sentinel's notice never came", listen_cases[i].name);
		if (before != listen_cases[i].want_notice)
			fail_msg("%s: got notice %s, want %s", listen_cases[i].name,
				 before ? "yes" : "no", listen_cases[i].want_notice ? "yes" : "no");
	}
	storage_listener_stop(&listener);
	assert_null(listener);
	storage_disconnect(&conn);
	storage_deinit(&storage);
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test(test_sqlite_has_nothing_to_listen_to),
	};
	const struct CMUnitTest pgsql_tests[] = {
		cmocka_unit_test(test_pgsql_notices_follow_commits),
	};
	int failed = cmocka_run_group_tests_name("storage listener on sqlite", sqlite_tests, NULL,
						 NULL);
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	if (uri != NULL && uri[0] != '\0')
		failed += cmocka_run_group_tests_name("storage listener on pgsql", pgsql_tests,
						      NULL, NULL);
	else
		print_message("storage listener on pgsql: skipped (TANDEM_TEST_PGSQL_URI is not set)\n");
	return failed == 0 ? 0 : 1;
}
