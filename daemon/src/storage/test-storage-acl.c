/* test-storage-acl.c - unit tests of the ACL part of the storage engine
 * (storage-acl.c, schema 004): rights letters, identifiers, set / delete /
 * list, a user's rights, the shared-mailbox list, and the cleanup when a
 * mailbox or a user is deleted. Runs on a temporary SQLite file, and on
 * PostgreSQL when TANDEM_TEST_PGSQL_URI names a scratch database (its
 * public schema is dropped before each test):
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 *
 * Looks inside the database (storage-private.h) only to count rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"

/* ---- fixtures (test-storage-env.h): with the group committer ---- */

static int setup_sqlite(void **state)
{
	return env_setup(state, false, false, true);
}

static int setup_pgsql(void **state)
{
	return env_setup(state, true, false, true);
}

static int teardown(void **state)
{
	return env_teardown(state);
}

/* ---- helpers ---- */

/* Users ann, bob, cat in example.test; ids in ids[0..2]. */
static void add_users(struct env *env, int64_t ids[3])
{
	static const char *const users[] = { "ann@example.test", "bob@example.test",
					     "cat@example.test" };
	struct storage_user user;
	assert_result(storage_domain_add(env->conn, "example.test", NULL), STORAGE_OK);
	for (size_t n = 0; n < 3; n++) {
		assert_result(storage_user_add(env->conn, users[n], "", NULL), STORAGE_OK);
		assert_result(storage_user_get(env->conn, users[n], &user, NULL), STORAGE_OK);
		ids[n] = user.id;
	}
}

static int64_t mailbox_id(struct env *env, int64_t user_id, const char *name)
{
	struct storage_mailbox box;
	assert_result(storage_mailbox_get(env->conn, user_id, name, &box, NULL), STORAGE_OK);
	return box.id;
}

static uint32_t rights(const char *letters)
{
	uint32_t mask = 0;
	char bad;
	if (storage_acl_rights_parse(letters, &mask, &bad) < 0)
		fail_msg("rights \"%s\": got bad letter '%c', want none", letters, bad);
	return mask;
}

static uint32_t rights_of(struct env *env, int64_t mailbox, int64_t user)
{
	uint32_t mask = 0xffffffff;
	assert_result(storage_acl_rights(env->conn, mailbox, user, &mask, NULL), STORAGE_OK);
	return mask;
}

/* ---- pure helpers ---- */

static void test_rights_letters(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int ret;
		const char *want; /* canonical form, or the bad letter */
	} cases[] = {
		{ "", 0, "" },
		{ "l", 0, "l" },
		{ "rl", 0, "lr" },
		{ "aetxkpiwsrl", 0, "lrswipkxtea" },
		{ "llrr", 0, "lr" },
		{ "lrc", -1, "c" },
		{ "lrd", -1, "d" },
		{ "L", -1, "L" },
		{ "lr ", -1, " " },
	};
	for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		uint32_t mask = 0;
		char bad = 0, out[STORAGE_ACL_RIGHTS_MAX + 1];
		int ret = storage_acl_rights_parse(cases[n].in, &mask, &bad);
		if (ret != cases[n].ret)
			fail_msg("parse \"%s\": got %d, want %d", cases[n].in, ret, cases[n].ret);
		if (ret == 0) {
			storage_acl_rights_format(mask, out);
			if (strcmp(out, cases[n].want) != 0)
				fail_msg("format(parse \"%s\"): got \"%s\", want \"%s\"",
					 cases[n].in, out, cases[n].want);
		} else if (bad != cases[n].want[0]) {
			fail_msg("parse \"%s\": got bad '%c', want '%c'", cases[n].in, bad,
				 cases[n].want[0]);
		}
	}
	char all[STORAGE_ACL_RIGHTS_MAX + 1];
	storage_acl_rights_format(STORAGE_ACL_ALL, all);
	assert_str(all, STORAGE_ACL_LETTERS);
	assert_int(rights("r"), STORAGE_ACL_READ);
	assert_int(rights("a"), STORAGE_ACL_ADMIN);
	assert_int(rights("x"), STORAGE_ACL_DELMBOX);
	assert_int(rights("t"), STORAGE_ACL_DELMSG);
	assert_int(rights("e"), STORAGE_ACL_EXPUNGE);
}

static void test_identifier(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int ret;
		const char *want;
	} cases[] = {
		{ "anyone", 0, "anyone" },
		{ "ANYONE", 0, "anyone" },
		{ "Authenticated", 0, "authenticated" },
		{ "Bob@Example.TEST", 0, "bob@example.test" },
		{ "", -1, "" },
		{ "bob", -1, "" },
		{ "-bob@example.test", 0, "-bob@example.test" },
	};
	for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		char out[STORAGE_ACL_IDENTIFIER_MAX + 1];
		const char *error = NULL;
		int ret = storage_acl_identifier_normalize(cases[n].in, out, &error);
		if (ret != cases[n].ret)
			fail_msg("normalize \"%s\": got %d, want %d (%s)", cases[n].in, ret,
				 cases[n].ret, error != NULL ? error : "");
		if (ret == 0 && strcmp(out, cases[n].want) != 0)
			fail_msg("normalize \"%s\": got \"%s\", want \"%s\"", cases[n].in, out,
				 cases[n].want);
	}
}

/* ---- on a database ---- */

struct acl_seen {
	char text[512];
};

static void acl_collect(const char *identifier, uint32_t mask, void *context)
{
	struct acl_seen *seen = context;
	char letters[STORAGE_ACL_RIGHTS_MAX + 1];
	storage_acl_rights_format(mask, letters);
	size_t len = strlen(seen->text);
	snprintf(seen->text + len, sizeof(seen->text) - len, "%s%s=%s", len > 0 ? " " : "",
		 identifier, letters);
}

static void test_schema_version(void **state)
{
	struct env *env = *state;
	int version = 0;
	assert_result(storage_schema_version(env->conn, &version, NULL), STORAGE_OK);
	assert_true(version >= 4);
	/* the index 004 adds is there */
	if (env->pgsql)
		assert_int(sql_int(env, "SELECT COUNT(*) FROM pg_indexes WHERE "
					"indexname = 'acls_identifier'"), 1);
	else
		assert_int(sql_int(env, "SELECT COUNT(*) FROM sqlite_master WHERE "
					"type = 'index' AND name = 'acls_identifier'"), 1);
}

static void test_set_list_delete(void **state)
{
	struct env *env = *state;
	int64_t ids[3];
	add_users(env, ids);
	int64_t inbox = mailbox_id(env, ids[0], "INBOX");
	static const struct {
		const char *identifier;
		const char *rights;
		enum storage_result want;
		const char *list_after; /* the whole ACL after the call */
	} steps[] = {
		{ "bob@example.test", "lr", STORAGE_OK, "bob@example.test=lr" },
		{ "BOB@example.test", "lrsw", STORAGE_OK, "bob@example.test=lrsw" },
		{ "anyone", "l", STORAGE_OK, "anyone=l bob@example.test=lrsw" },
		{ "nobody@example.test", "lr", STORAGE_ERR_NOTFOUND,
		  "anyone=l bob@example.test=lrsw" },
		{ "ann@example.test", "lr", STORAGE_ERR_INVALID,
		  "anyone=l bob@example.test=lrsw" },
		{ "not an address", "lr", STORAGE_ERR_INVALID, "anyone=l bob@example.test=lrsw" },
		{ "anyone", "", STORAGE_OK, "bob@example.test=lrsw" },
		{ "cat@example.test", "lrswipkxtea", STORAGE_OK,
		  "bob@example.test=lrsw cat@example.test=lrswipkxtea" },
	};
	for (size_t n = 0; n < sizeof(steps) / sizeof(steps[0]); n++) {
		struct acl_seen seen = { "" };
		enum storage_result got = storage_acl_set(env->conn, inbox, steps[n].identifier,
							  rights(steps[n].rights), NULL);
		if (got != steps[n].want)
			fail_msg("step %zu set %s %s: got %s, want %s", n, steps[n].identifier,
				 steps[n].rights, storage_result_str(got),
				 storage_result_str(steps[n].want));
		assert_result(storage_acl_list(env->conn, inbox, acl_collect, &seen, NULL),
			      STORAGE_OK);
		if (strcmp(seen.text, steps[n].list_after) != 0)
			fail_msg("step %zu: got ACL \"%s\", want \"%s\"", n, seen.text,
				 steps[n].list_after);
	}
	assert_result(storage_acl_delete(env->conn, inbox, "Cat@Example.test", NULL), STORAGE_OK);
	assert_result(storage_acl_delete(env->conn, inbox, "cat@example.test", NULL), STORAGE_OK);
	struct acl_seen seen = { "" };
	assert_result(storage_acl_list(env->conn, inbox, acl_collect, &seen, NULL), STORAGE_OK);
	assert_str(seen.text, "bob@example.test=lrsw");
	/* no such mailbox */
	assert_result(storage_acl_set(env->conn, inbox + 1000, "anyone", rights("l"), NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_acl_delete(env->conn, inbox + 1000, "anyone", NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_acl_list(env->conn, inbox + 1000, acl_collect, &seen, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_acl_set(env->conn, inbox, "anyone", 0x800, NULL),
		      STORAGE_ERR_INVALID);
}

static void test_rights(void **state)
{
	struct env *env = *state;
	int64_t ids[3];
	add_users(env, ids);
	int64_t inbox = mailbox_id(env, ids[0], "INBOX");
	int64_t sent = mailbox_id(env, ids[0], "Sent");
	assert_result(storage_acl_set(env->conn, inbox, "bob@example.test", rights("lr"), NULL),
		      STORAGE_OK);
	assert_result(storage_acl_set(env->conn, inbox, "anyone", rights("ls"), NULL),
		      STORAGE_OK);
	assert_result(storage_acl_set(env->conn, inbox, "authenticated", rights("i"), NULL),
		      STORAGE_OK);
	static const struct {
		int user; /* index into ids */
		int box;  /* 0 inbox, 1 sent */
		const char *want;
	} cases[] = {
		{ 0, 0, "lrswipkxtea" }, /* the owner */
		{ 0, 1, "lrswipkxtea" },
		{ 1, 0, "lrsi" },        /* bob + anyone + authenticated */
		{ 2, 0, "lsi" },         /* anyone + authenticated */
		{ 1, 1, "" },            /* nothing on Sent */
	};
	for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		char letters[STORAGE_ACL_RIGHTS_MAX + 1];
		storage_acl_rights_format(rights_of(env, cases[n].box == 0 ? inbox : sent,
						    ids[cases[n].user]), letters);
		if (strcmp(letters, cases[n].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", n, letters, cases[n].want);
	}
	uint32_t mask;
	assert_result(storage_acl_rights(env->conn, inbox + 1000, ids[1], &mask, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_acl_rights(env->conn, inbox, ids[2] + 1000, &mask, NULL),
		      STORAGE_ERR_NOTFOUND);
}

struct shared_seen {
	char text[1024];
};

static void shared_collect(const struct storage_mailbox *mailbox, const char *owner,
			   uint32_t mask, void *context)
{
	struct shared_seen *seen = context;
	char letters[STORAGE_ACL_RIGHTS_MAX + 1];
	storage_acl_rights_format(mask, letters);
	size_t len = strlen(seen->text);
	snprintf(seen->text + len, sizeof(seen->text) - len, "%s%s/%s=%s", len > 0 ? " " : "",
		 owner, mailbox->name, letters);
}

static void test_shared_list(void **state)
{
	struct env *env = *state;
	int64_t ids[3];
	add_users(env, ids);
	assert_result(storage_mailbox_create(env->conn, ids[0], "Team/Plans", NULL, NULL),
		      STORAGE_OK);
	int64_t ann_inbox = mailbox_id(env, ids[0], "INBOX");
	int64_t plans = mailbox_id(env, ids[0], "Team/Plans");
	int64_t cat_sent = mailbox_id(env, ids[2], "Sent");
	assert_result(storage_acl_set(env->conn, plans, "bob@example.test", rights("lr"), NULL),
		      STORAGE_OK);
	assert_result(storage_acl_set(env->conn, plans, "anyone", rights("li"), NULL),
		      STORAGE_OK);
	assert_result(storage_acl_set(env->conn, ann_inbox, "bob@example.test", rights("l"),
				      NULL), STORAGE_OK);
	assert_result(storage_acl_set(env->conn, cat_sent, "anyone", rights("lrs"), NULL),
		      STORAGE_OK);
	static const struct {
		int user;
		const char *want;
	} cases[] = {
		{ 0, "cat@example.test/Sent=lrs" },
		{ 1, "ann@example.test/INBOX=l ann@example.test/Team/Plans=lri "
		     "cat@example.test/Sent=lrs" },
		{ 2, "ann@example.test/Team/Plans=li" }, /* not their own Sent */
	};
	for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		struct shared_seen seen = { "" };
		assert_result(storage_acl_shared_list(env->conn, ids[cases[n].user],
						      shared_collect, &seen, NULL), STORAGE_OK);
		if (strcmp(seen.text, cases[n].want) != 0)
			fail_msg("user %d: got \"%s\", want \"%s\"", cases[n].user, seen.text,
				 cases[n].want);
	}
}

static void test_cleanup(void **state)
{
	struct env *env = *state;
	int64_t ids[3];
	add_users(env, ids);
	assert_result(storage_mailbox_create(env->conn, ids[0], "Shared1", NULL, NULL),
		      STORAGE_OK);
	int64_t shared1 = mailbox_id(env, ids[0], "Shared1");
	int64_t bob_inbox = mailbox_id(env, ids[1], "INBOX");
	assert_result(storage_acl_set(env->conn, shared1, "bob@example.test", rights("lr"),
				      NULL), STORAGE_OK);
	assert_result(storage_acl_set(env->conn, shared1, "cat@example.test", rights("lr"),
				      NULL), STORAGE_OK);
	assert_result(storage_acl_set(env->conn, bob_inbox, "cat@example.test", rights("l"),
				      NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM acls"), 3);
	/* deleting cat drops the entries naming cat */
	assert_result(storage_user_del(env->conn, "cat@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM acls"), 1);
	/* a new cat does not inherit them */
	assert_result(storage_user_add(env->conn, "cat@example.test", "", NULL), STORAGE_OK);
	struct storage_user cat;
	assert_result(storage_user_get(env->conn, "cat@example.test", &cat, NULL), STORAGE_OK);
	assert_int(rights_of(env, shared1, cat.id), 0);
	/* deleting the mailbox drops its entries */
	assert_result(storage_mailbox_delete(env->conn, ids[0], "Shared1", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM acls"), 0);
	/* deleting the owner drops the entries of their mailboxes */
	assert_result(storage_acl_set(env->conn, bob_inbox, "ann@example.test", rights("lr"),
				      NULL), STORAGE_OK);
	assert_result(storage_user_del(env->conn, "bob@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM acls"), 0);
	/* and a domain deleted with force */
	assert_result(storage_acl_set(env->conn, mailbox_id(env, ids[0], "INBOX"),
				      "cat@example.test", rights("lr"), NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM acls"), 1);
	assert_result(storage_domain_del(env->conn, "example.test", true, NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM acls"), 0);
}

#define ACL_TESTS(setup)                                                        \
	cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),  \
	cmocka_unit_test_setup_teardown(test_set_list_delete, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_rights, setup, teardown),          \
	cmocka_unit_test_setup_teardown(test_shared_list, setup, teardown),     \
	cmocka_unit_test_setup_teardown(test_cleanup, setup, teardown)

int main(void)
{
	const struct CMUnitTest plain_tests[] = {
		cmocka_unit_test(test_rights_letters),
		cmocka_unit_test(test_identifier),
	};
	const struct CMUnitTest sqlite_tests[] = { ACL_TESTS(setup_sqlite) };
	const struct CMUnitTest pgsql_tests[] = { ACL_TESTS(setup_pgsql) };
	int failed = cmocka_run_group_tests_name("storage acl", plain_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("storage acl on sqlite", sqlite_tests, NULL, NULL);
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	if (uri != NULL && uri[0] != '\0')
		failed += cmocka_run_group_tests_name("storage acl on pgsql", pgsql_tests, NULL,
						      NULL);
	else
		print_message("storage acl on pgsql: skipped (TANDEM_TEST_PGSQL_URI is not set)\n");
	return failed == 0 ? 0 : 1;
}
