/* test-storage-sieve.c - unit tests of a user's Sieve scripts in storage
 * (storage-sieve.c): put/replace, get, list with byte sizes, one active
 * script at a time, delete refused for the active one, rename carrying the
 * active flag, usage, name checks, and cleanup when the user goes. Runs on
 * a temporary SQLite file, and on PostgreSQL when TANDEM_TEST_PGSQL_URI
 * names a scratch database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"

struct listing {
	char names[8][STORAGE_SIEVE_NAME_MAX + 1];
	size_t sizes[8];
	bool active[8];
	size_t count;
};

static void collect(const struct storage_sieve_script *script, void *context)
{
	struct listing *l = context;
	if (l->count >= 8)
		return;
	storage_strlcpy(l->names[l->count], script->name, sizeof(l->names[0]));
	l->sizes[l->count] = script->size;
	l->active[l->count] = script->active;
	l->count++;
}

static void put(struct env *env, int64_t user, const char *name, const char *text)
{
	assert_result(storage_sieve_put(env->conn, user, name, text, strlen(text), NULL),
		      STORAGE_OK);
}

static void test_put_get_list(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	/* "ä" is two bytes: sizes are bytes, not characters */
	const char *one = "# \xc3\xa4\r\nkeep;\r\n";
	put(env, ann, "one", one);
	put(env, ann, "two", "discard;\r\n");
	put(env, ann, "\xc3\xa9t\xc3\xa9", "stop;\r\n");

	char *text = NULL;
	size_t len = 0;
	bool active = true;
	assert_result(storage_sieve_get(env->conn, ann, "one", &text, &len, &active, NULL),
		      STORAGE_OK);
	assert_string_equal(text, one);
	assert_int(len, strlen(one));
	assert_false(active);
	free(text);

	/* replacing keeps one row */
	put(env, ann, "two", "keep;\r\n");
	struct listing l = { 0 };
	assert_result(storage_sieve_list(env->conn, ann, collect, &l, NULL), STORAGE_OK);
	assert_int(l.count, 3);
	assert_string_equal(l.names[0], "one");
	assert_int(l.sizes[0], strlen(one));
	assert_string_equal(l.names[1], "two");
	assert_int(l.sizes[1], 7);

	size_t count;
	uint64_t bytes;
	assert_result(storage_sieve_usage(env->conn, ann, &count, &bytes, NULL), STORAGE_OK);
	assert_int(count, 3);
	assert_int(bytes, strlen(one) + 7 + 7);

	assert_result(storage_sieve_get(env->conn, ann, "three", &text, &len, NULL, NULL),
		      STORAGE_ERR_NOTFOUND);

	/* another user sees none of them */
	int64_t bob = env_add_user(env, "bob@example.test");
	memset(&l, 0, sizeof(l));
	assert_result(storage_sieve_list(env->conn, bob, collect, &l, NULL), STORAGE_OK);
	assert_int(l.count, 0);
	assert_result(storage_sieve_usage(env->conn, bob, &count, &bytes, NULL), STORAGE_OK);
	assert_int(count, 0);
	assert_int(bytes, 0);
}

static void test_names(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	char longname[STORAGE_SIEVE_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_result(storage_sieve_put(env->conn, ann, "", "keep;", 5, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_sieve_put(env->conn, ann, longname, "keep;", 5, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_sieve_put(env->conn, ann, "a\tb", "keep;", 5, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_sieve_put(env->conn, ann, "bad\xff", "keep;", 5, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_sieve_put(env->conn, ann, "nul", "ke\0ep;", 6, NULL),
		      STORAGE_ERR_INVALID);
	longname[STORAGE_SIEVE_NAME_MAX] = '\0';
	put(env, ann, longname, "keep;");
	assert_int(sql_int(env, "SELECT COUNT(*) FROM sieve_scripts"), 1);
}

static void test_active(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	put(env, ann, "one", "keep;");
	put(env, ann, "two", "discard;");

	char *name = NULL, *text = NULL;
	size_t len;
	assert_result(storage_sieve_active(env->conn, ann, &name, &text, &len, NULL), STORAGE_OK);
	assert_null(text);
	assert_null(name);

	assert_result(storage_sieve_activate(env->conn, ann, "one", NULL), STORAGE_OK);
	assert_result(storage_sieve_activate(env->conn, ann, "two", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM sieve_scripts WHERE active <> 0"), 1);
	assert_result(storage_sieve_active(env->conn, ann, &name, &text, &len, NULL), STORAGE_OK);
	assert_string_equal(name, "two");
	assert_string_equal(text, "discard;");
	assert_int(len, 8);
	free(name);
	free(text);

	/* replacing the active script keeps it active */
	put(env, ann, "two", "stop;");
	assert_result(storage_sieve_active(env->conn, ann, NULL, &text, &len, NULL), STORAGE_OK);
	assert_string_equal(text, "stop;");
	free(text);

	/* an unknown name changes nothing */
	assert_result(storage_sieve_activate(env->conn, ann, "three", NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM sieve_scripts WHERE active <> 0"), 1);

	/* the active one cannot be deleted; the other can */
	assert_result(storage_sieve_delete(env->conn, ann, "two", NULL), STORAGE_ERR_EXISTS);
	assert_result(storage_sieve_delete(env->conn, ann, "one", NULL), STORAGE_OK);
	assert_result(storage_sieve_delete(env->conn, ann, "one", NULL), STORAGE_ERR_NOTFOUND);

	/* rename carries the flag; renaming onto an existing name is refused */
	put(env, ann, "other", "keep;");
	assert_result(storage_sieve_rename(env->conn, ann, "two", "other", NULL),
		      STORAGE_ERR_EXISTS);
	assert_result(storage_sieve_rename(env->conn, ann, "two", "main", NULL), STORAGE_OK);
	assert_result(storage_sieve_rename(env->conn, ann, "nope", "x", NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_sieve_active(env->conn, ann, &name, &text, &len, NULL), STORAGE_OK);
	assert_string_equal(name, "main");
	free(name);
	free(text);

	/* deactivating: none active, and then it can be deleted */
	assert_result(storage_sieve_activate(env->conn, ann, "", NULL), STORAGE_OK);
	assert_result(storage_sieve_active(env->conn, ann, NULL, &text, &len, NULL), STORAGE_OK);
	assert_null(text);
	assert_result(storage_sieve_delete(env->conn, ann, "main", NULL), STORAGE_OK);
}

static void test_user_delete(void **state)
{
	struct env *env = *state;
	int64_t ann = env_add_user(env, "ann@example.test");
	put(env, ann, "one", "keep;");
	assert_result(storage_sieve_activate(env->conn, ann, "one", NULL), STORAGE_OK);
	assert_result(storage_user_del(env->conn, "ann@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM sieve_scripts"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_list),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_user_delete),
	};
	return env_run_tests("storage sieve", tests);
}
