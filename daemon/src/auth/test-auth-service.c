/* test-auth-service.c - unit tests for auth-service.c on a real database
 * (SQLite in a temporary directory; PostgreSQL too when
 * TANDEM_TEST_PGSQL_URI names a scratch database): right and wrong
 * passwords, unknown and malformed users, an account without a password,
 * the growing delay after failures, answers for everything queued at stop,
 * and one auth log row per attempt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth-service.h"
#include "password.h"
#include "test-slapd.h"
#include "storage.h"
#include "xalloc.h"

struct env {
	bool pgsql;
	struct test_slapd slapd;   /* the LDAP group only */
	char dir[64];
	struct storage *storage;
	struct storage_conn *conn;
	struct auth_service *auth;
};

/* what the done callback saw */
struct answer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	enum auth_result result;
	char address[STORAGE_ADDRESS_MAX + 1];
	char reason[64];
	unsigned delay_ms;
};

static void answer_done(const struct auth_reply *reply, void *context)
{
	struct answer *answer = context;
	pthread_mutex_lock(&answer->lock);
	answer->result = reply->result;
	snprintf(answer->address, sizeof(answer->address), "%s",
		 reply->user != NULL ? reply->user->address : "");
	snprintf(answer->reason, sizeof(answer->reason), "%s", reply->reason);
	answer->delay_ms = reply->delay_ms;
	answer->done = true;
	pthread_cond_signal(&answer->cond);
	pthread_mutex_unlock(&answer->lock);
}

static void answer_init(struct answer *answer)
{
	memset(answer, 0, sizeof(*answer));
	pthread_mutex_init(&answer->lock, NULL);
	pthread_cond_init(&answer->cond, NULL);
}

static void answer_wait(struct answer *answer)
{
	pthread_mutex_lock(&answer->lock);
	while (!answer->done)
		pthread_cond_wait(&answer->cond, &answer->lock);
	pthread_mutex_unlock(&answer->lock);
}

static void answer_deinit(struct answer *answer)
{
	pthread_cond_destroy(&answer->cond);
	pthread_mutex_destroy(&answer->lock);
}

static int env_start(struct env *env, const struct storage_settings *set, const char *ldap_dir)
{
	const char *error = NULL;
	int from, to;
	if (storage_init_nocommitter(set, &env->storage, &error) < 0 ||
	    storage_connect(env->storage, &env->conn, &error) < 0) {
		print_error("storage: %s\n", error);
		return -1;
	}
	if (env->pgsql) {
		/* a clean schema for this binary */
		if (storage_migrate(env->conn, &from, &to, &error) != STORAGE_OK) {
			print_error("migrate: %s\n", error);
			return -1;
		}
	} else if (storage_migrate(env->conn, &from, &to, &error) != STORAGE_OK) {
		print_error("migrate: %s\n", error);
		return -1;
	}
	char *hash = NULL;
	if (password_hash("correct horse", &hash, &error) < 0)
		return -1;
	if (storage_domain_add(env->conn, "example.test", &error) != STORAGE_OK ||
	    storage_user_add(env->conn, "alice@example.test", hash, &error) != STORAGE_OK ||
	    storage_user_add(env->conn, "nopass@example.test", "", &error) != STORAGE_OK) {
		print_error("fixture: %s\n", error);
		free(hash);
		return -1;
	}
	free(hash);
	if (storage_alias_add(env->conn, "info@example.test", "alice@example.test", &error) != STORAGE_OK ||
	    storage_alias_add(env->conn, "info@example.test", "nopass@example.test", &error) != STORAGE_OK ||
	    storage_alias_add(env->conn, "fwd@example.test", "someone@elsewhere.test", &error) != STORAGE_OK) {
		print_error("fixture aliases: %s\n", error);
		return -1;
	}
	struct auth_service_settings aset = { .threads = 2, .log_attempts = true,
					      .default_domain = "example.test",
					      .ldap_domains_dir = ldap_dir };
	auth_throttle_settings_default(&aset.throttle);
	aset.throttle.base_delay_ms = 50; /* keep the test quick */
	char *aerror = NULL;
	if (auth_service_create(env->storage, &aset, &env->auth, &aerror) < 0) {
		print_error("auth_service_create: %s\n", aerror);
		free(aerror);
		return -1;
	}
	return 0;
}

static int setup_sqlite(void **state)
{
	struct env *env = xcalloc(1, sizeof(*env));
	*state = env;
	snprintf(env->dir, sizeof(env->dir), "/tmp/test-auth.XXXXXX");
	if (mkdtemp(env->dir) == NULL)
		return -1;
	char path[128];
	snprintf(path, sizeof(path), "%s/tandem.db", env->dir);
	struct storage_settings set = { .driver = "sqlite", .sqlite_path = path,
					.busy_timeout_ms = 10000, .commit_batch_max = 64 };
	return env_start(env, &set, NULL);
}

/* Drops and recreates the scratch database's public schema first. */
static int setup_pgsql(void **state)
{
	struct env *env = xcalloc(1, sizeof(*env));
	*state = env;
	env->pgsql = true;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "psql -q -X -v ON_ERROR_STOP=1 '%s' -c 'DROP SCHEMA IF EXISTS public CASCADE; "
		 "CREATE SCHEMA public;' >/dev/null 2>&1",
		 getenv("TANDEM_TEST_PGSQL_URI"));
	if (system(cmd) != 0) {
		print_error("cannot reset the PostgreSQL schema (psql)\n");
		return -1;
	}
	struct storage_settings set = { .driver = "pgsql",
					.pgsql_uri = getenv("TANDEM_TEST_PGSQL_URI"),
					.busy_timeout_ms = 10000, .commit_batch_max = 64 };
	return env_start(env, &set, NULL);
}

/* SQLite plus a slapd with the AD-like directory for example.test. */
static int setup_ldap(void **state)
{
	struct env *env = xcalloc(1, sizeof(*env));
	*state = env;
	snprintf(env->dir, sizeof(env->dir), "/tmp/test-auth.XXXXXX");
	if (mkdtemp(env->dir) == NULL || test_slapd_start(&env->slapd) < 0)
		return -1;
	char uri[64], path[128];
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/", env->slapd.port);
	if (test_slapd_write_conf(&env->slapd, uri, "service-secret") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/tandem.db", env->dir);
	struct storage_settings set = { .driver = "sqlite", .sqlite_path = path,
					.busy_timeout_ms = 10000, .commit_batch_max = 64 };
	return env_start(env, &set, env->slapd.conf_dir);
}

static int teardown(void **state)
{
	struct env *env = *state;
	auth_service_free(&env->auth);
	storage_disconnect(&env->conn);
	storage_deinit(&env->storage);
	test_slapd_stop(&env->slapd);
	if (!env->pgsql && env->dir[0] != '\0') {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
		if (system(cmd) != 0)
			print_error("cannot remove %s\n", env->dir);
	}
	free(env);
	return 0;
}

static void login(struct env *env, const char *peer, const char *user, const char *password,
		  struct answer *answer)
{
	struct auth_request req = { .service = "imap", .sid = "test", .peer_addr = peer,
				    .mech = "plain", .user = user, .password = password };
	answer_init(answer);
	auth_login(env->auth, NULL, &req, answer_done, answer);
	answer_wait(answer);
}

static const struct {
	const char *peer;
	const char *user;
	const char *password;
	enum auth_result want;
	const char *want_address;  /* "" unless OK */
	const char *want_reason;
	unsigned want_delay_ms;
} cases[] = {
	{ "192.0.2.1", "alice@example.test", "correct horse", AUTH_RESULT_OK, "alice@example.test", "password", 0 },
	{ "192.0.2.1", "ALICE@Example.Test", "correct horse", AUTH_RESULT_OK, "alice@example.test", "password", 0 },
	{ "192.0.2.1", "alice", "correct horse", AUTH_RESULT_OK, "alice@example.test", "password", 0 },
	{ "192.0.2.2", "alice@example.test", "wrong", AUTH_RESULT_FAILED, "", "password", 0 },
	{ "192.0.2.2", "alice@example.test", "wrong again", AUTH_RESULT_FAILED, "", "password", 50 },
	{ "192.0.2.2", "nobody@example.test", "x", AUTH_RESULT_FAILED, "", "user", 100 },
	{ "192.0.2.3", "not an address", "x", AUTH_RESULT_FAILED, "", "user", 0 },
	{ "192.0.2.4", "nopass@example.test", "", AUTH_RESULT_FAILED, "", "no password", 0 },
	/* alice's two failures: her next login waits 100 ms, then clears */
	{ "192.0.2.5", "alice@example.test", "correct horse", AUTH_RESULT_OK, "alice@example.test", "password", 100 },
	{ "192.0.2.5", "alice@example.test", "correct horse", AUTH_RESULT_OK, "alice@example.test", "password", 0 },
};

static void test_auth_cases(void **state)
{
	struct env *env = *state;
	for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		struct answer answer;
		login(env, cases[n].peer, cases[n].user, cases[n].password, &answer);
		if (answer.result != cases[n].want)
			fail_msg("case %zu (%s): got %s, want %s", n, cases[n].user,
				 auth_result_str(answer.result), auth_result_str(cases[n].want));
		if (strcmp(answer.address, cases[n].want_address) != 0)
			fail_msg("case %zu: got user \"%s\", want \"%s\"", n, answer.address,
				 cases[n].want_address);
		if (strcmp(answer.reason, cases[n].want_reason) != 0)
			fail_msg("case %zu: got reason \"%s\", want \"%s\"", n, answer.reason,
				 cases[n].want_reason);
		if (answer.delay_ms != cases[n].want_delay_ms)
			fail_msg("case %zu: got delay %u ms, want %u ms", n, answer.delay_ms,
				 cases[n].want_delay_ms);
		answer_deinit(&answer);
	}
}

struct log_count {
	unsigned rows, failures;
	char first_user[STORAGE_AUTH_USER_MAX + 1];
};

static void count_entry(const struct storage_auth_entry *entry, void *context)
{
	struct log_count *count = context;
	if (count->rows++ == 0)
		snprintf(count->first_user, sizeof(count->first_user), "%s", entry->username);
	if (strcmp(entry->result, "ok") != 0)
		count->failures++;
}

static void test_auth_log_rows(void **state)
{
	struct env *env = *state;
	struct answer answer;
	login(env, "198.51.100.1", "alice@example.test", "correct horse", &answer);
	answer_deinit(&answer);
	login(env, "198.51.100.1", "mallory\x01@example.test", "guess", &answer);
	answer_deinit(&answer);
	struct log_count count = { 0 };
	const char *error = NULL;
	if (storage_auth_log_list(env->conn, 0, NULL, false, 100, count_entry, &count, &error) !=
	    STORAGE_OK)
		fail_msg("list: %s", error);
	if (count.rows != 2 || count.failures != 1)
		fail_msg("got %u rows with %u failures, want 2 with 1", count.rows, count.failures);
	/* newest first, control bytes made printable, never a password */
	if (strcmp(count.first_user, "mallory?@example.test") != 0)
		fail_msg("got newest user \"%s\", want \"mallory?@example.test\"", count.first_user);
	memset(&count, 0, sizeof(count));
	(void)storage_auth_log_list(env->conn, 0, "alice@example.test", true, 100, count_entry,
				    &count, &error);
	if (count.rows != 0)
		fail_msg("alice's failures: got %u rows, want 0", count.rows);
	int64_t deleted = 0;
	if (storage_auth_log_prune(env->conn, (int64_t)time(NULL) + 10, &deleted, &error) !=
	    STORAGE_OK || deleted != 2)
		fail_msg("prune: got %lld deleted, want 2", (long long)deleted);
}

/* Requests still waiting for their delay when the service stops are
 * answered TEMPFAIL, not lost. */
static void test_auth_stop_answers(void **state)
{
	struct env *env = *state;
	struct answer answers[6];
	struct auth_request req = { .service = "imap", .sid = "test", .peer_addr = "203.0.113.9",
				    .mech = "login", .user = "alice@example.test",
				    .password = "wrong" };
	for (size_t n = 0; n < 6; n++) {
		answer_init(&answers[n]);
		auth_login(env->auth, NULL, &req, answer_done, &answers[n]);
	}
	auth_service_free(&env->auth);
	unsigned tempfail = 0;
	for (size_t n = 0; n < 6; n++) {
		if (!answers[n].done)
			fail_msg("request %zu: got no answer, want one", n);
		tempfail += answers[n].result == AUTH_RESULT_TEMPFAIL;
		answer_deinit(&answers[n]);
	}
	/* the later ones wait 50 ms << n: at least the last ones were queued */
	if (tempfail == 0)
		fail_msg("got no TEMPFAIL answer at stop, want the queued ones");
}

/* ---- lookups ---- */

struct lookup_answer {
	struct answer base;
	char value[256];
};

static void lookup_done(const struct auth_lookup_reply *reply, void *context)
{
	struct lookup_answer *answer = context;
	snprintf(answer->value, sizeof(answer->value), "%s", reply->value != NULL ? reply->value : "");
	pthread_mutex_lock(&answer->base.lock);
	answer->base.result = reply->result;
	snprintf(answer->base.reason, sizeof(answer->base.reason), "%s", reply->reason);
	answer->base.done = true;
	pthread_cond_signal(&answer->base.cond);
	pthread_mutex_unlock(&answer->base.lock);
}

static enum auth_result lookup(struct env *env, enum auth_lookup_kind kind, const char *key,
			       char *value, size_t size)
{
	struct lookup_answer answer;
	answer_init(&answer.base);
	auth_lookup(env->auth, NULL, kind, key, "test", lookup_done, &answer);
	answer_wait(&answer.base);
	answer_deinit(&answer.base);
	snprintf(value, size, "%s", answer.value);
	return answer.base.result;
}

static const struct {
	enum auth_lookup_kind kind;
	const char *key;
	enum auth_result want;
	const char *want_value;
} lookup_cases[] = {
	{ AUTH_LOOKUP_DOMAIN, "example.test", AUTH_RESULT_OK, "example.test" },
	{ AUTH_LOOKUP_DOMAIN, "EXAMPLE.TEST", AUTH_RESULT_OK, "example.test" },
	{ AUTH_LOOKUP_DOMAIN, "elsewhere.test", AUTH_RESULT_FAILED, "" },
	{ AUTH_LOOKUP_MAILBOX, "Alice@example.test", AUTH_RESULT_OK, "alice@example.test" },
	{ AUTH_LOOKUP_MAILBOX, "info@example.test", AUTH_RESULT_FAILED, "" },
	{ AUTH_LOOKUP_MAILBOX, "@example.test", AUTH_RESULT_FAILED, "" },
	{ AUTH_LOOKUP_ALIAS, "info@example.test", AUTH_RESULT_OK, "alice@example.test,nopass@example.test" },
	{ AUTH_LOOKUP_ALIAS, "fwd@example.test", AUTH_RESULT_OK, "someone@elsewhere.test" },
	{ AUTH_LOOKUP_ALIAS, "alice@example.test", AUTH_RESULT_FAILED, "" },
	{ AUTH_LOOKUP_SENDER, "alice@example.test", AUTH_RESULT_OK, "alice@example.test" },
	{ AUTH_LOOKUP_SENDER, "info@example.test", AUTH_RESULT_OK, "alice@example.test,nopass@example.test" },
	{ AUTH_LOOKUP_SENDER, "stranger@example.test", AUTH_RESULT_FAILED, "" },
};

static void test_lookups(void **state)
{
	struct env *env = *state;
	for (size_t n = 0; n < sizeof(lookup_cases) / sizeof(lookup_cases[0]); n++) {
		char value[256];
		enum auth_result got = lookup(env, lookup_cases[n].kind, lookup_cases[n].key, value,
					      sizeof(value));
		if (got != lookup_cases[n].want || strcmp(value, lookup_cases[n].want_value) != 0)
			fail_msg("case %zu (%s): got %s \"%s\", want %s \"%s\"", n, lookup_cases[n].key,
				 auth_result_str(got), value, auth_result_str(lookup_cases[n].want),
				 lookup_cases[n].want_value);
	}
}

/* ---- a directory domain ---- */

static void test_ldap_users(void **state)
{
	struct env *env = *state;
	struct storage_user user;
	const char *error = NULL;
	/* SQL accounts with a password keep working in an LDAP domain */
	struct answer answer;
	login(env, "192.0.2.1", "alice@example.test", "correct horse", &answer);
	if (answer.result != AUTH_RESULT_OK || strcmp(answer.reason, "password") != 0)
		fail_msg("SQL alice: got %s (%s), want ok (password)", auth_result_str(answer.result),
			 answer.reason);
	answer_deinit(&answer);
	/* bob is only in the directory: his first login creates him */
	if (storage_user_get(env->conn, "bob@example.test", &user, &error) != STORAGE_ERR_NOTFOUND)
		fail_msg("bob exists before his first login");
	login(env, "192.0.2.1", "bob", "bob-pw", &answer);
	if (answer.result != AUTH_RESULT_OK || strcmp(answer.address, "bob@example.test") != 0)
		fail_msg("LDAP bob: got %s (%s) user \"%s\", want ok bob@example.test",
			 auth_result_str(answer.result), answer.reason, answer.address);
	answer_deinit(&answer);
	if (storage_user_get(env->conn, "bob@example.test", &user, &error) != STORAGE_OK ||
	    strcmp(user.source, "ldap") != 0)
		fail_msg("bob after login: want a user row with source ldap");
	login(env, "192.0.2.1", "bob", "wrong", &answer);
	if (answer.result != AUTH_RESULT_FAILED)
		fail_msg("LDAP bob, wrong password: got %s, want failed", auth_result_str(answer.result));
	answer_deinit(&answer);
	login(env, "192.0.2.9", "carol", "carol-pw", &answer);
	if (answer.result != AUTH_RESULT_FAILED || strcmp(answer.reason, "group") != 0)
		fail_msg("carol: got %s (%s), want failed (group)", auth_result_str(answer.result),
			 answer.reason);
	answer_deinit(&answer);
	/* mail for a directory alias before its user ever logged in */
	char value[256];
	enum auth_result got = lookup(env, AUTH_LOOKUP_ALIAS, "a.smith@example.test", value, sizeof(value));
	if (got != AUTH_RESULT_OK || strcmp(value, "alice@example.test") != 0)
		fail_msg("a.smith (alice's proxyAddress): got %s \"%s\", want ok alice@example.test",
			 auth_result_str(got), value);
	/* now a stored alias, found without the directory */
	if (lookup(env, AUTH_LOOKUP_SENDER, "a.smith@example.test", value, sizeof(value)) !=
	    AUTH_RESULT_OK || strcmp(value, "alice@example.test") != 0)
		fail_msg("sender a.smith: got \"%s\", want alice@example.test", value);
	got = lookup(env, AUTH_LOOKUP_MAILBOX, "erin@example.test", value, sizeof(value));
	if (got != AUTH_RESULT_OK || strcmp(value, "erin@example.test") != 0)
		fail_msg("mailbox erin: got %s \"%s\", want ok erin@example.test",
			 auth_result_str(got), value);
	if (storage_user_get(env->conn, "erin@example.test", &user, &error) != STORAGE_OK)
		fail_msg("erin: mail for her must create her user");
	/* the directory down: temporary failures, never "wrong password" */
	test_slapd_run(&env->slapd, "slapd-stop.sh");
	login(env, "192.0.2.1", "bob", "bob-pw", &answer);
	if (answer.result != AUTH_RESULT_TEMPFAIL)
		fail_msg("LDAP down: got %s (%s), want tempfail", auth_result_str(answer.result),
			 answer.reason);
	answer_deinit(&answer);
	got = lookup(env, AUTH_LOOKUP_MAILBOX, "ghost@example.test", value, sizeof(value));
	if (got != AUTH_RESULT_TEMPFAIL)
		fail_msg("mailbox lookup with LDAP down: got %s, want tempfail", auth_result_str(got));
}

#define AUTH_TESTS(setup)                                                          \
	cmocka_unit_test_setup_teardown(test_auth_cases, setup, teardown),         \
	cmocka_unit_test_setup_teardown(test_auth_log_rows, setup, teardown),      \
	cmocka_unit_test_setup_teardown(test_auth_stop_answers, setup, teardown),       \
	cmocka_unit_test_setup_teardown(test_lookups, setup, teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = { AUTH_TESTS(setup_sqlite) };
	const struct CMUnitTest pgsql_tests[] = { AUTH_TESTS(setup_pgsql) };
	const struct CMUnitTest ldap_tests[] = {
		cmocka_unit_test_setup_teardown(test_ldap_users, setup_ldap, teardown),
	};
	int failed = cmocka_run_group_tests_name("auth service on sqlite", sqlite_tests, NULL, NULL);
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	if (uri != NULL && uri[0] != '\0')
		failed += cmocka_run_group_tests_name("auth service on pgsql", pgsql_tests, NULL, NULL);
	else
		print_message("auth service on pgsql: skipped (TANDEM_TEST_PGSQL_URI is not set)\n");
	if (test_slapd_available())
		failed += cmocka_run_group_tests_name("auth service with LDAP", ldap_tests, NULL, NULL);
	else
		print_message("auth service with LDAP: skipped (no /usr/sbin/slapd, or not run from "
			      "the repository root)\n");
	return failed == 0 ? 0 : 1;
}
