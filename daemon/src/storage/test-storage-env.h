/* test-storage-env.h - the fixture the newer storage unit tests share
 * (test-storage-fulltext.c, test-storage-headers.c, ...): a storage on a
 * temporary SQLite file, or on the PostgreSQL scratch database named by
 * TANDEM_TEST_PGSQL_URI (its public schema dropped first), with a domain,
 * users and synchronous delivery; env_run_tests() runs a table of tests on
 * both. Include after cmocka.h; test code only.
 */
#ifndef TANDEM_TEST_STORAGE_ENV_H
#define TANDEM_TEST_STORAGE_ENV_H

#include "storage-private.h"
#include "mime.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct env {
	char dir[64];
	char path[128];
	struct storage *storage;
	struct storage_conn *conn;
	struct storage_settings set;
	bool pgsql;
	bool committer; /* storage_init (with the group committer) */
};

#define assert_result(got, want)                                                           \
	do {                                                                               \
		enum storage_result g_ = (got), w_ = (want);                               \
		if (g_ != w_)                                                              \
			fail_msg("%s: got %s, want %s (%s)", #got, storage_result_str(g_),  \
				 storage_result_str(w_), env->conn->error);                \
	} while (0)
#define assert_int(got, want)                                                              \
	do {                                                                               \
		long long g_ = (long long)(got), w_ = (long long)(want);                   \
		if (g_ != w_)                                                              \
			fail_msg("%s: got %lld, want %lld", #got, g_, w_);                 \
	} while (0)
#define assert_str(got, want)                                                              \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		if (strcmp(g_, w_) != 0)                                                   \
			fail_msg("%s: got \"%s\", want \"%s\"", #got, g_, w_);             \
	} while (0)

static inline int env_start(struct env *env)
{
	const char *error;
	int r = env->committer ? storage_init(&env->set, &env->storage, &error)
			       : storage_init_nocommitter(&env->set, &env->storage, &error);
	if (r < 0) {
		print_error("storage_init: %s\n", error);
		return -1;
	}
	if (!env->committer) {
		/* storage_init_nocommitter leaves the schema alone */
		int from, to;
		if (storage_connect(env->storage, &env->conn, &error) < 0 ||
		    storage_migrate(env->conn, &from, &to, &error) != STORAGE_OK) {
			print_error("storage migrate: %s\n", error);
			return -1;
		}
		return 0;
	}
	if (storage_connect(env->storage, &env->conn, &error) < 0) {
		print_error("storage_connect: %s\n", error);
		return -1;
	}
	return 0;
}

static inline void env_stop(struct env *env)
{
	storage_disconnect(&env->conn);
	storage_deinit(&env->storage);
}

/* A fresh env on driver ("sqlite" or "pgsql"); fulltext and committer as
 * given. -1 when it cannot start. */
static inline int env_setup(void **state, bool pgsql, bool fulltext, bool committer)
{
	struct env *env = xcalloc(1, sizeof(*env));
	*state = env;
	env->pgsql = pgsql;
	env->committer = committer;
	if (pgsql) {
		env->set = (struct storage_settings){ .driver = "pgsql",
						      .pgsql_uri = getenv("TANDEM_TEST_PGSQL_URI"),
						      .busy_timeout_ms = 10000,
						      .commit_batch_max = 64,
						      .fulltext_index = fulltext };
		struct db_conn *dbc;
		char error[256];
		if (db_driver_pgsql.connect(&env->set, &dbc, error, sizeof(error)) != DB_OK) {
			print_error("pgsql connect: %s\n", error);
			return -1;
		}
		enum db_status status = db_driver_pgsql.exec_script(dbc,
			"DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;");
		db_driver_pgsql.disconnect(&dbc);
		if (status != DB_OK)
			return -1;
	} else {
		snprintf(env->dir, sizeof(env->dir), "/tmp/test-storage.XXXXXX");
		if (mkdtemp(env->dir) == NULL)
			return -1;
		snprintf(env->path, sizeof(env->path), "%s/tandem.db", env->dir);
		env->set = (struct storage_settings){ .driver = "sqlite",
						      .sqlite_path = env->path,
						      .busy_timeout_ms = 10000,
						      .commit_batch_max = 64,
						      .fulltext_index = fulltext };
	}
	return env_start(env);
}

static inline int env_teardown(void **state)
{
	struct env *env = *state;
	env_stop(env);
	if (!env->pgsql) {
		const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
		for (size_t i = 0; i < 4; i++) {
			char file[160];
			snprintf(file, sizeof(file), "%s%s", env->path, suffixes[i]);
			unlink(file);
		}
		rmdir(env->dir);
	}
	free(env);
	return 0;
}

/* The plain fixtures (no full-text index, no group committer). */
static inline int env_setup_sqlite(void **state)
{
	return env_setup(state, false, false, false);
}

static inline int env_setup_pgsql(void **state)
{
	return env_setup(state, true, false, false);
}

/* Run tests (cmocka_unit_test entries; their fixtures are replaced by the
 * plain ones) as the group "<name> on sqlite", then "<name> on pgsql" when
 * TANDEM_TEST_PGSQL_URI is set, else say that one is skipped; GMime is
 * initialized around them. Returns the exit code for main(). */
static inline int env_run_tests_n(const char *name, const struct CMUnitTest *tests, size_t count)
{
	struct CMUnitTest *copy = xmalloc(count * sizeof(*copy));
	char group[128];
	int failed = 0;
	mime_init();
	for (int pgsql = 0; pgsql <= 1; pgsql++) {
		const char *driver = pgsql ? "pgsql" : "sqlite";
		const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
		if (pgsql && (uri == NULL || uri[0] == '\0')) {
			print_message("%s on pgsql: skipped (TANDEM_TEST_PGSQL_URI is not set)\n",
				      name);
			break;
		}
		for (size_t i = 0; i < count; i++) {
			copy[i] = tests[i];
			copy[i].setup_func = pgsql ? env_setup_pgsql : env_setup_sqlite;
			copy[i].teardown_func = env_teardown;
		}
		snprintf(group, sizeof(group), "%s on %s", name, driver);
		failed += _cmocka_run_group_tests(group, copy, count, NULL, NULL);
	}
	mime_deinit();
	free(copy);
	return failed == 0 ? 0 : 1;
}
#define env_run_tests(name, tests) env_run_tests_n(name, tests, sizeof(tests) / sizeof((tests)[0]))

/* One integer from SQL run directly on the database. */
static inline int64_t sql_int(struct env *env, const char *sql)
{
	int64_t value = 0;
	bool found;
	enum db_status status = sdb_int(env->conn, sql, DB_NOARGS, &value, &found);
	if (status != DB_OK)
		fail_msg("%s: got db status %d, want ok (%s)", sql, status,
			 env->conn->db->error(env->conn->dbc));
	return value;
}

static inline void sql_exec(struct env *env, const char *sql)
{
	enum db_status status = sdb_exec(env->conn, sql, DB_NOARGS);
	if (status != DB_OK)
		fail_msg("%s: got db status %d, want ok (%s)", sql, status,
			 env->conn->db->error(env->conn->dbc));
}

/* example.test with one user, whose id is returned. */
static inline int64_t env_add_user(struct env *env, const char *address)
{
	struct storage_user user;
	storage_domain_add(env->conn, "example.test", NULL); /* may exist */
	assert_result(storage_user_add(env->conn, address, "{PLAIN}x", NULL), STORAGE_OK);
	assert_result(storage_user_get(env->conn, address, &user, NULL), STORAGE_OK);
	return user.id;
}

/* Deliver raw synchronously to user's INBOX; *uid_r (may be NULL) its uid.
 * Returns the mailbox id. */
static inline int64_t env_deliver(struct env *env, const char *raw, int64_t user_id,
				  uint32_t *uid_r)
{
	struct mime_message *msg;
	const char *error;
	if (mime_message_parse((const unsigned char *)raw, strlen(raw), &msg, &error) < 0)
		fail_msg("mime_message_parse: %s", error);
	struct storage_delivery_rcpt rcpt = { .user_id = user_id, .enforce_quota = true };
	struct storage_delivery delivery = { .message = msg, .internal_date = 1700000000,
					     .rcpts = &rcpt, .rcpt_count = 1 };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_OK);
	assert_result(rcpt.result, STORAGE_OK);
	mime_message_free(&msg);
	if (uid_r != NULL)
		*uid_r = rcpt.uid_r;
	return rcpt.mailbox_id_r;
}

/* Run the background indexer's step on this connection until it is done
 * (deliveries leave index rows to it when a group committer runs). */
static inline void env_index_all(struct env *env)
{
	int64_t cursor = 0;
	bool done = false;
	for (unsigned steps = 0; !done; steps++) {
		unsigned indexed;
		if (steps > 1000)
			fail_msg("indexer steps: got more than 1000, want it done");
		assert_result(storage_fulltext_index_step(env->conn, &cursor, 64, NULL, NULL,
							  &indexed, &done, NULL), STORAGE_OK);
	}
}

static inline void env_count_problem(const char *problem, void *context)
{
	(void)problem;
	(*(unsigned *)context)++;
}

/* storage_check's problem count (repairing them with repair). */
static inline unsigned env_check(struct env *env, bool repair)
{
	unsigned problems = 0, reported = 0;
	assert_result(storage_check(env->conn, repair, env_count_problem, &reported, &problems,
				    NULL), STORAGE_OK);
	assert_int(reported, problems);
	return problems;
}

#endif
