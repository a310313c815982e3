/* test-storage.c - unit tests of the storage engine (storage.h) on a
 * temporary SQLite file, and the same cases on PostgreSQL when
 * TANDEM_TEST_PGSQL_URI names a scratch database (its public schema is
 * dropped before each test):
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 *
 * Looks inside the database (storage-private.h) only to check reference
 * counts and to corrupt them on purpose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "schema-files.h"
#include "test-storage-env.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fixtures (test-storage-env.h): with the group committer and the
 * full-text index ---- */

static int setup_sqlite(void **state)
{
	return env_setup(state, false, true, true);
}

static int setup_pgsql(void **state)
{
	return env_setup(state, true, true, true);
}

static int teardown(void **state)
{
	return env_teardown(state);
}

/* ---- helpers ---- */

static int64_t add_user(struct env *env, const char *address)
{
	struct storage_user user;
	assert_result(storage_user_add(env->conn, address, "{PLAIN}x", NULL), STORAGE_OK);
	assert_result(storage_user_get(env->conn, address, &user, NULL), STORAGE_OK);
	return user.id;
}

/* example.test with alice, bob and carol; ids in ids_r (may be NULL). */
static void add_example(struct env *env, int64_t ids_r[3])
{
	static const char *const names[] = { "alice@example.test", "bob@example.test",
					     "carol@example.test" };
	assert_result(storage_domain_add(env->conn, "example.test", NULL), STORAGE_OK);
	for (size_t i = 0; i < 3; i++) {
		int64_t id = add_user(env, names[i]);
		if (ids_r != NULL)
			ids_r[i] = id;
	}
}

/* A multipart message: a text part and an attachment, each given. */
static char *make_message(const char *subject, const char *text, const char *attachment)
{
	return xasprintf("From: Alice <alice@example.test>\r\n"
			 "To: bob@example.test\r\n"
			 "Subject: %s\r\n"
			 "Message-ID: <%s@example.test>\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: multipart/mixed; boundary=\"=-b\"\r\n"
			 "\r\n"
			 "--=-b\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "\r\n"
			 "%s\r\n"
			 "--=-b\r\n"
			 "Content-Type: application/octet-stream\r\n"
			 "Content-Transfer-Encoding: base64\r\n"
			 "\r\n"
			 "%s\r\n"
			 "--=-b--\r\n", subject, subject, text, attachment);
}

static struct mime_message *parse(const char *raw)
{
	struct mime_message *msg;
	const char *error;
	if (mime_message_parse((const unsigned char *)raw, strlen(raw), &msg, &error) < 0)
		fail_msg("mime_message_parse: %s", error);
	return msg;
}

/* Deliver raw synchronously to users (INBOX, quota enforced); results in rcpts. */
static enum storage_result deliver(struct env *env, const char *raw, const int64_t *users,
				   size_t count, struct storage_delivery_rcpt *rcpts)
{
	struct mime_message *msg = parse(raw);
	struct storage_delivery delivery = { .message = msg, .internal_date = 1700000000,
					     .rcpts = rcpts, .rcpt_count = count };
	for (size_t i = 0; i < count; i++) {
		rcpts[i] = (struct storage_delivery_rcpt){ .user_id = users[i],
							   .enforce_quota = true };
	}
	enum storage_result result = storage_deliver(env->conn, &delivery, NULL);
	mime_message_free(&msg);
	return result;
}

static int64_t inbox_id(struct env *env, int64_t user_id)
{
	struct storage_mailbox box;
	assert_result(storage_mailbox_get(env->conn, user_id, "INBOX", &box, NULL), STORAGE_OK);
	return box.id;
}

static void count_problem(const char *problem, void *context)
{
	(void)problem;
	(*(unsigned *)context)++;
}

static unsigned check(struct env *env, bool repair)
{
	unsigned problems = 0, reported = 0;
	assert_result(storage_check(env->conn, repair, count_problem, &reported, &problems, NULL),
		      STORAGE_OK);
	assert_int(reported, problems);
	return problems;
}

/* ---- names and results ---- */

static void test_result_str(void **state)
{
	static const struct {
		enum storage_result result;
		const char *want;
	} cases[] = {
		{ STORAGE_OK, "ok" },
		{ STORAGE_ERR_TEMP, "temporary failure" },
		{ STORAGE_ERR_NOTFOUND, "not found" },
		{ STORAGE_ERR_EXISTS, "already exists" },
		{ STORAGE_ERR_NOQUOTA, "quota exceeded" },
		{ STORAGE_ERR_INVALID, "invalid" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_str(storage_result_str(cases[i].result), cases[i].want);
}

static void test_address_normalize(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: refused */
	} cases[] = {
		{ "Alice@Example.TEST", "alice@example.test" },
		{ "a.b+c-d_e@sub.example.test", "a.b+c-d_e@sub.example.test" },
		{ "noat", NULL },
		{ "two@at@example.test", NULL },
		{ "@example.test", NULL },
		{ "alice@", NULL },
		{ "alice@example..test", NULL },
		{ "alice@example.test.", NULL },
		{ "al ice@example.test", NULL },
		{ "al\"ice@example.test", NULL },
		{ "alice@exa mple.test", NULL },
		{ "alice@ex\xc3\xa4mple.test", NULL },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@a.test", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[STORAGE_ADDRESS_MAX + 1];
		const char *error = NULL;
		int ret = storage_address_normalize(cases[i].in, out, sizeof(out), &error);
		if (cases[i].want == NULL) {
			if (ret != -1)
				fail_msg("%s: got accepted as %s, want refused", cases[i].in, out);
			assert_non_null(error);
		} else {
			if (ret != 0)
				fail_msg("%s: got refused (%s), want %s", cases[i].in, error,
					 cases[i].want);
			assert_str(out, cases[i].want);
		}
	}
}

/* ---- schema ---- */

static void test_schema(void **state)
{
	struct env *env = *state;
	int version, from, to;
	assert_result(storage_schema_version(env->conn, &version, NULL), STORAGE_OK);
	assert_int(version, storage_schema_latest());
	assert_true(storage_schema_latest() >= 1);
	assert_result(storage_migrate(env->conn, &from, &to, NULL), STORAGE_OK);
	assert_int(from, storage_schema_latest());
	assert_int(to, storage_schema_latest());
	/* a second start on the same database neither migrates nor fails */
	env_stop(env);
	assert_int(env_start(env), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM schema_version"), 1);
}

/* ---- domains, users, aliases ---- */

static void test_domain(void **state)
{
	struct env *env = *state;
	struct storage_domain domain;
	assert_result(storage_domain_add(env->conn, "Example.TEST", NULL), STORAGE_OK);
	assert_result(storage_domain_add(env->conn, "example.test", NULL), STORAGE_ERR_EXISTS);
	assert_result(storage_domain_add(env->conn, "bad..test", NULL), STORAGE_ERR_INVALID);
	assert_result(storage_domain_add(env->conn, NULL, NULL), STORAGE_ERR_INVALID);
	assert_result(storage_domain_get(env->conn, "nowhere.test", &domain, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_domain_set_quota(env->conn, "example.test", 1000, 10, NULL),
		      STORAGE_OK);
	assert_result(storage_domain_set_quota(env->conn, "nowhere.test", 1, 1, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_domain_set_quota(env->conn, "example.test", -1, 1, NULL),
		      STORAGE_ERR_INVALID);
	add_user(env, "alice@example.test");
	assert_result(storage_alias_add(env->conn, "info@example.test", "alice@example.test",
					NULL), STORAGE_OK);
	assert_result(storage_domain_get(env->conn, "EXAMPLE.test", &domain, NULL), STORAGE_OK);
	assert_str(domain.name, "example.test");
	assert_int(domain.default_quota_bytes, 1000);
	assert_int(domain.default_quota_messages, 10);
	assert_int(domain.user_count, 1);
	assert_int(domain.alias_count, 1);
	assert_result(storage_domain_del(env->conn, "example.test", false, NULL),
		      STORAGE_ERR_EXISTS);
	assert_result(storage_domain_del(env->conn, "nowhere.test", true, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_domain_del(env->conn, "example.test", true, NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM users"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailboxes"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM aliases"), 0);
	assert_result(storage_domain_get(env->conn, "example.test", &domain, NULL),
		      STORAGE_ERR_NOTFOUND);
}

static void collect_name(const struct storage_mailbox *box, void *context)
{
	char *names = context;
	strcat(names, box->name);
	strcat(names, box->special_use[0] != '\0' ? box->special_use : "");
	strcat(names, " ");
}

static void count_user(const struct storage_user *user, void *context)
{
	(void)user;
	(*(int *)context)++;
}

static void test_user(void **state)
{
	struct env *env = *state;
	struct storage_user user;
	char names[512] = "";
	int count = 0;
	assert_result(storage_user_add(env->conn, "alice@example.test", "", NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_domain_add(env->conn, "example.test", NULL), STORAGE_OK);
	assert_result(storage_domain_add(env->conn, "other.test", NULL), STORAGE_OK);
	assert_result(storage_domain_set_quota(env->conn, "example.test", 5000, 7, NULL),
		      STORAGE_OK);
	assert_result(storage_user_add(env->conn, "Alice@Example.test", "{CRYPT}h", NULL),
		      STORAGE_OK);
	assert_result(storage_user_add(env->conn, "alice@example.test", "", NULL),
		      STORAGE_ERR_EXISTS);
	assert_result(storage_user_add(env->conn, "not-an-address", "", NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_user_add(env->conn, "bob@other.test", NULL, NULL), STORAGE_OK);
	assert_result(storage_user_get(env->conn, "ALICE@example.test", &user, NULL),
		      STORAGE_OK);
	assert_str(user.address, "alice@example.test");
	assert_str(user.password_hash, "{CRYPT}h");
	assert_str(user.source, "sql");
	assert_int(user.quota_bytes, 5000);
	assert_int(user.quota_messages, 7);
	assert_int(user.used_bytes, 0);
	assert_true(user.created > 0);
	int64_t id = user.id;
	assert_result(storage_user_get_by_id(env->conn, id, &user, NULL), STORAGE_OK);
	assert_str(user.address, "alice@example.test");
	assert_result(storage_user_get_by_id(env->conn, id + 1000, &user, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_mailbox_list(env->conn, id, collect_name, names, NULL),
		      STORAGE_OK);
	assert_str(names, "INBOX Archive\\Archive Drafts\\Drafts Junk\\Junk Sent\\Sent "
			  "Trash\\Trash ");

	assert_result(storage_user_set_password(env->conn, "alice@example.test", "{X}y", NULL),
		      STORAGE_OK);
	assert_result(storage_user_set_quota(env->conn, "alice@example.test", 1, 2, NULL),
		      STORAGE_OK);
	assert_result(storage_user_set_quota(env->conn, "nobody@example.test", 1, 2, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_user_set_password(env->conn, "alice@example.test", "a\nb", NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_user_get(env->conn, "alice@example.test", &user, NULL),
		      STORAGE_OK);
	assert_str(user.password_hash, "{X}y");
	assert_int(user.quota_bytes, 1);
	assert_int(user.quota_messages, 2);

	assert_result(storage_user_list(env->conn, NULL, count_user, &count, NULL), STORAGE_OK);
	assert_int(count, 2);
	count = 0;
	assert_result(storage_user_list(env->conn, "other.test", count_user, &count, NULL),
		      STORAGE_OK);
	assert_int(count, 1);
	assert_result(storage_user_list(env->conn, "nowhere.test", count_user, &count, NULL),
		      STORAGE_ERR_NOTFOUND);

	assert_result(storage_user_del(env->conn, "alice@example.test", NULL), STORAGE_OK);
	assert_result(storage_user_del(env->conn, "alice@example.test", NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_user_get(env->conn, "alice@example.test", &user, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailboxes"), 6);
}

static void collect_alias(const struct storage_alias *alias, void *context)
{
	char *out = context;
	strcat(out, alias->address);
	strcat(out, ">");
	strcat(out, alias->target);
	strcat(out, " ");
}

static void test_alias(void **state)
{
	struct env *env = *state;
	char list[512] = "";
	add_example(env, NULL);
	assert_result(storage_alias_add(env->conn, "team@elsewhere.test", "alice@example.test",
					NULL), STORAGE_ERR_NOTFOUND);
	assert_result(storage_alias_add(env->conn, "Team@example.test", "Alice@example.test",
					NULL), STORAGE_OK);
	assert_result(storage_alias_add(env->conn, "team@example.test", "alice@example.test",
					NULL), STORAGE_ERR_EXISTS);
	assert_result(storage_alias_add(env->conn, "team@example.test", "bob@example.test",
					NULL), STORAGE_OK);
	assert_result(storage_alias_add(env->conn, "fwd@example.test", "someone@far.test",
					NULL), STORAGE_OK);
	assert_result(storage_alias_add(env->conn, "team@example.test", "bad", NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_alias_add(env->conn, "self@example.test", "self@example.test",
					NULL), STORAGE_ERR_INVALID);
	assert_result(storage_alias_list(env->conn, "example.test", collect_alias, list, NULL),
		      STORAGE_OK);
	assert_str(list, "fwd@example.test>someone@far.test team@example.test>alice@example.test "
			 "team@example.test>bob@example.test ");
	assert_result(storage_alias_del(env->conn, "team@example.test", "bob@example.test",
					NULL), STORAGE_OK);
	assert_result(storage_alias_del(env->conn, "team@example.test", "bob@example.test",
					NULL), STORAGE_ERR_NOTFOUND);
	assert_result(storage_alias_del(env->conn, "fwd@example.test", NULL, NULL), STORAGE_OK);
	list[0] = '\0';
	assert_result(storage_alias_list(env->conn, NULL, collect_alias, list, NULL), STORAGE_OK);
	assert_str(list, "team@example.test>alice@example.test ");
}

/* ---- recipient resolution ---- */

static void test_recipient(void **state)
{
	static const char *const aliases[][2] = {
		{ "team@example.test", "alice@example.test" },
		{ "team@example.test", "bob@example.test" },
		{ "all@example.test", "team@example.test" },
		{ "all@example.test", "alice@example.test" },
		{ "all@example.test", "carol@example.test" },
		{ "loop1@example.test", "loop2@example.test" },
		{ "loop2@example.test", "loop1@example.test" },
		{ "loop2@example.test", "carol@example.test" },
		{ "ext@example.test", "someone@far.test" },
		{ "mixed@example.test", "someone@far.test" },
		{ "mixed@example.test", "bob@example.test" },
		{ "lists@example.test", "bob+lists@example.test" },
		{ "dangling@example.test", "ghost@example.test" },
		{ "c0@example.test", "c1@example.test" }, { "c1@example.test", "c2@example.test" },
		{ "c2@example.test", "c3@example.test" }, { "c3@example.test", "c4@example.test" },
		{ "c4@example.test", "c5@example.test" }, { "c5@example.test", "c6@example.test" },
		{ "c6@example.test", "c7@example.test" }, { "c7@example.test", "alice@example.test" },
		{ "d0@example.test", "c0@example.test" },
	};
	static const struct {
		const char *address;
		enum storage_result want;
		const char *users;   /* which of alice/bob/carol, as "abc" letters */
		size_t external;
		const char *detail;
	} cases[] = {
		{ "alice@example.test", STORAGE_OK, "a", 0, "" },
		{ "ALICE@Example.Test", STORAGE_OK, "a", 0, "" },
		{ "alice+work@example.test", STORAGE_OK, "a", 0, "work" },
		{ "nobody@example.test", STORAGE_ERR_NOTFOUND, "", 0, "" },
		{ "alice@far.test", STORAGE_ERR_NOTFOUND, "", 0, "" },
		{ "not an address", STORAGE_ERR_INVALID, "", 0, "" },
		{ "team@example.test", STORAGE_OK, "ab", 0, "" },
		{ "team+x@example.test", STORAGE_OK, "ab", 0, "x" },
		{ "all@example.test", STORAGE_OK, "abc", 0, "" },
		{ "loop1@example.test", STORAGE_OK, "c", 0, "" },
		{ "ext@example.test", STORAGE_ERR_NOTFOUND, "", 1, "" },
		{ "mixed@example.test", STORAGE_OK, "b", 1, "" },
		{ "lists@example.test", STORAGE_OK, "b", 0, "" },
		{ "dangling@example.test", STORAGE_ERR_NOTFOUND, "", 0, "" },
		{ "c0@example.test", STORAGE_OK, "a", 0, "" },       /* 8 hops: followed */
		{ "d0@example.test", STORAGE_ERR_NOTFOUND, "", 0, "" }, /* 9 hops: cut */
	};
	struct env *env = *state;
	int64_t ids[3];
	add_example(env, ids);
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		assert_result(storage_alias_add(env->conn, aliases[i][0], aliases[i][1], NULL),
			      STORAGE_OK);
	struct storage_recipient *rcpt = xmalloc(sizeof(*rcpt));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum storage_result got = storage_recipient_resolve(env->conn, cases[i].address,
								    rcpt, NULL);
		if (got != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].address, storage_result_str(got),
				 storage_result_str(cases[i].want));
		char users[4] = "";
		for (size_t u = 0; got == STORAGE_OK && u < rcpt->user_count; u++) {
			for (size_t k = 0; k < 3; k++) {
				if (rcpt->user_ids[u] == ids[k] && strlen(users) < 3)
					users[strlen(users)] = (char)('a' + k);
			}
		}
		/* order of expansion is not promised: compare as sets */
		for (const char *w = cases[i].users; *w != '\0'; w++) {
			if (strchr(users, *w) == NULL)
				fail_msg("%s: got users \"%s\", want \"%s\"", cases[i].address,
					 users, cases[i].users);
		}
		if (strlen(users) != strlen(cases[i].users) ||
		    (got == STORAGE_OK && rcpt->user_count != strlen(cases[i].users)))
			fail_msg("%s: got users \"%s\" (%zu), want \"%s\"", cases[i].address,
				 users, rcpt->user_count, cases[i].users);
		if (rcpt->external_count != cases[i].external)
			fail_msg("%s: got %zu external, want %zu", cases[i].address,
				 rcpt->external_count, cases[i].external);
		if (got == STORAGE_OK && strcmp(rcpt->detail, cases[i].detail) != 0)
			fail_msg("%s: got detail \"%s\", want \"%s\"", cases[i].address,
				 rcpt->detail, cases[i].detail);
	}
	free(rcpt);
}

/* ---- mailboxes ---- */

static void test_mailbox(void **state)
{
	static const char *const bad_names[] = {
		"", "/a", "a/", "a//b", "a*", "a%b", "a\x01", "\xff\xfe",
	};
	struct env *env = *state;
	struct storage_mailbox box;
	char names[512] = "";
	add_example(env, NULL);
	int64_t uid = add_user(env, "dave@example.test");
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		enum storage_result got = storage_mailbox_create(env->conn, uid, bad_names[i], NULL,
								 NULL);
		if (got != STORAGE_ERR_INVALID)
			fail_msg("create \"%s\": got %s, want invalid", bad_names[i],
				 storage_result_str(got));
	}
	assert_result(storage_mailbox_create(env->conn, uid, "X", "\\Bogus", NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_mailbox_create(env->conn, uid, "Work/Projects/A", NULL, NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_create(env->conn, uid, "Work/Projects/A", NULL, NULL),
		      STORAGE_ERR_EXISTS);
	assert_result(storage_mailbox_create(env->conn, uid, "inbox", NULL, NULL),
		      STORAGE_ERR_EXISTS);
	assert_result(storage_mailbox_create(env->conn, uid, "Flagged", "\\Flagged", NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, uid, "Work/Projects", &box, NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, uid, "inBox", &box, NULL), STORAGE_OK);
	assert_str(box.name, "INBOX");
	assert_int(box.uidnext, 1);
	assert_int(box.message_count, 0);
	assert_true(box.uidvalidity > 0);
	assert_true(box.subscribed);
	assert_result(storage_mailbox_get(env->conn, uid, "Nope", &box, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_mailbox_delete(env->conn, uid, "INBOX", NULL), STORAGE_ERR_INVALID);
	assert_result(storage_mailbox_delete(env->conn, uid, "Inbox", NULL), STORAGE_ERR_INVALID);
	assert_result(storage_mailbox_delete(env->conn, uid, "Nope", NULL), STORAGE_ERR_NOTFOUND);

	assert_result(storage_mailbox_rename(env->conn, uid, "Work", "Work/Sub", NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_mailbox_rename(env->conn, uid, "Work", "Sent", NULL),
		      STORAGE_ERR_EXISTS);
	assert_result(storage_mailbox_rename(env->conn, uid, "Nope", "Other", NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_mailbox_rename(env->conn, uid, "Work", "Old/Job", NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_list(env->conn, uid, collect_name, names, NULL),
		      STORAGE_OK);
	assert_str(names, "INBOX Archive\\Archive Drafts\\Drafts Flagged\\Flagged Junk\\Junk "
			  "Old Old/Job Old/Job/Projects Old/Job/Projects/A Sent\\Sent "
			  "Trash\\Trash ");
	assert_result(storage_mailbox_delete(env->conn, uid, "Old/Job/Projects/A", NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, uid, "Old/Job/Projects/A", &box, NULL),
		      STORAGE_ERR_NOTFOUND);
	/* another user's mailboxes are not touched */
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailboxes WHERE name = 'INBOX'"), 4);

	/* a mailbox deleted and created again at once never gets its old
	 * UIDVALIDITY back (IMAP clients would trust stale caches) */
	struct storage_mailbox again;
	for (int round = 0; round < 3; round++) {
		assert_result(storage_mailbox_create(env->conn, uid, "Again", NULL, NULL), STORAGE_OK);
		assert_result(storage_mailbox_get(env->conn, uid, "Again", &box, NULL), STORAGE_OK);
		assert_result(storage_mailbox_delete(env->conn, uid, "Again", NULL), STORAGE_OK);
		assert_result(storage_mailbox_create(env->conn, uid, "Again", NULL, NULL), STORAGE_OK);
		assert_result(storage_mailbox_get(env->conn, uid, "Again", &again, NULL), STORAGE_OK);
		if (again.uidvalidity == box.uidvalidity)
			fail_msg("round %d: got UIDVALIDITY %u again, want a new one", round,
				 again.uidvalidity);
		assert_result(storage_mailbox_delete(env->conn, uid, "Again", NULL), STORAGE_OK);
	}
}

static void test_rename_inbox(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[1];
	struct storage_mailbox box;
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("one", "text one", "QUJD");
	assert_result(deliver(env, raw, ids, 1, rcpts), STORAGE_OK);
	assert_result(deliver(env, raw, ids, 1, rcpts), STORAGE_OK);
	assert_result(storage_mailbox_create(env->conn, ids[0], "INBOX/Child", NULL, NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_rename(env->conn, ids[0], "INBOX", "Before", NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, ids[0], "INBOX", &box, NULL), STORAGE_OK);
	assert_int(box.message_count, 0);
	assert_int(box.uidnext, 3);
	assert_result(storage_mailbox_get(env->conn, ids[0], "INBOX/Child", &box, NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, ids[0], "Before", &box, NULL), STORAGE_OK);
	assert_int(box.message_count, 2);
	assert_int(box.uidnext, 3);
	unsigned char *data;
	size_t size;
	assert_result(storage_mail_read(env->conn, box.id, 2, &data, &size, NULL), STORAGE_OK);
	assert_int(size, strlen(raw));
	free(data);
	assert_int(check(env, false), 0);
	free(raw);
}

/* ---- delivery and reading back ---- */

static void test_deliver_read(void **state)
{
	struct env *env = *state;
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("hello", "Hello \xc3\xa4 world", "AAECAwQFBgcICQ==");
	const char *trace = "Return-Path: <alice@example.test>\r\n"
			    "Delivered-To: bob@example.test\r\n";
	struct mime_message *msg = parse(raw);
	struct storage_delivery_rcpt rcpt = { .user_id = ids[1], .trace = trace,
					      .flags = STORAGE_FLAG_SEEN, .enforce_quota = true };
	struct storage_delivery delivery = { .message = msg, .internal_date = 1700000000,
					     .rcpts = &rcpt, .rcpt_count = 1 };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_OK);
	assert_result(delivery.result, STORAGE_OK);
	assert_result(rcpt.result, STORAGE_OK);
	assert_int(rcpt.uid_r, 1);
	assert_int(rcpt.mailbox_id_r, inbox_id(env, ids[1]));

	unsigned char *data;
	size_t size;
	assert_result(storage_mail_read(env->conn, rcpt.mailbox_id_r, 1, &data, &size, NULL),
		      STORAGE_OK);
	size_t want = strlen(trace) + strlen(raw);
	assert_int(size, want);
	if (memcmp(data, trace, strlen(trace)) != 0 ||
	    memcmp(data + strlen(trace), raw, strlen(raw)) != 0)
		fail_msg("read back: got \"%s\", want trace + message", (char *)data);
	free(data);
	assert_result(storage_mail_read(env->conn, rcpt.mailbox_id_r, 2, &data, &size, NULL),
		      STORAGE_ERR_NOTFOUND);

	char *envelope, *bodystructure;
	assert_result(storage_mail_cached(env->conn, rcpt.mailbox_id_r, 1, &envelope,
					  &bodystructure, NULL), STORAGE_OK);
	assert_str(envelope, msg->envelope);
	assert_str(bodystructure, msg->bodystructure);
	free(envelope);
	free(bodystructure);
	assert_result(storage_mail_cached(env->conn, rcpt.mailbox_id_r, 9, &envelope,
					  &bodystructure, NULL), STORAGE_ERR_NOTFOUND);

	struct storage_mailbox box;
	struct storage_user user;
	assert_result(storage_mailbox_get(env->conn, ids[1], "INBOX", &box, NULL), STORAGE_OK);
	assert_int(box.uidnext, 2);
	assert_int(box.message_count, 1);
	assert_int(box.byte_count, want);
	assert_result(storage_user_get_by_id(env->conn, ids[1], &user, NULL), STORAGE_OK);
	assert_int(user.used_bytes, want);
	assert_int(user.used_messages, 1);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM header_fields WHERE name = 'subject' "
			   "AND value = 'hello'"), 1);
	mime_message_free(&msg);
	free(raw);
	assert_int(check(env, false), 0);
}

static void test_deliver_mailbox(void **state)
{
	struct env *env = *state;
	struct storage_mailbox box;
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("m", "t", "QQ==");
	struct mime_message *msg = parse(raw);
	struct storage_delivery_rcpt rcpts[3] = {
		{ .user_id = ids[0], .mailbox = "Lists/tandem" },
		{ .user_id = ids[0], .mailbox = "inbox" },
		{ .user_id = ids[0], .mailbox = "bad//name" },
	};
	struct storage_delivery delivery = { .message = msg, .internal_date = 1,
					     .rcpts = rcpts, .rcpt_count = 3 };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_OK);
	assert_result(rcpts[0].result, STORAGE_OK);
	assert_result(rcpts[1].result, STORAGE_OK);
	assert_result(rcpts[2].result, STORAGE_ERR_INVALID);
	assert_result(storage_mailbox_get(env->conn, ids[0], "Lists/tandem", &box, NULL),
		      STORAGE_OK);
	assert_int(box.id, rcpts[0].mailbox_id_r);
	assert_result(storage_mailbox_get(env->conn, ids[0], "Lists", &box, NULL), STORAGE_OK);
	assert_int(rcpts[1].mailbox_id_r, inbox_id(env, ids[0]));
	assert_int(sql_int(env, "SELECT refcount FROM messages"), 2);
	mime_message_free(&msg);
	free(raw);
	assert_int(check(env, false), 0);
}

static void test_single_instance(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[3];
	int64_t ids[3];
	add_example(env, ids);
	char *a = make_message("first", "one text", "U0hBUkVEIEFUVEFDSE1FTlQ=");
	char *b = make_message("second", "another text", "U0hBUkVEIEFUVEFDSE1FTlQ=");
	assert_result(deliver(env, a, &ids[0], 1, rcpts), STORAGE_OK);
	assert_result(deliver(env, b, &ids[1], 1, rcpts), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts WHERE refcount = 2"), 1);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 3);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 2);

	char *c = make_message("third", "to everyone", "Y2NjYw==");
	assert_result(deliver(env, c, ids, 3, rcpts), STORAGE_OK);
	for (size_t i = 0; i < 3; i++)
		assert_result(rcpts[i].result, STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 3);
	assert_int(sql_int(env, "SELECT MAX(refcount) FROM messages"), 3);
	assert_int(check(env, false), 0);
	free(a);
	free(b);
	free(c);
}

static void test_quota(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[3];
	struct storage_user user;
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("big", "some text", "QUJDREVGR0g=");
	size_t size = strlen(raw);
	/* alice: room for exactly one; bob: unlimited; carol: one message */
	assert_result(storage_user_set_quota(env->conn, "alice@example.test",
					     (int64_t)size + 10, 0, NULL), STORAGE_OK);
	assert_result(storage_user_set_quota(env->conn, "carol@example.test", 0, 1, NULL),
		      STORAGE_OK);
	assert_result(deliver(env, raw, ids, 3, rcpts), STORAGE_OK);
	assert_result(rcpts[0].result, STORAGE_OK);
	assert_result(rcpts[1].result, STORAGE_OK);
	assert_result(rcpts[2].result, STORAGE_OK);
	assert_result(deliver(env, raw, ids, 3, rcpts), STORAGE_OK);
	assert_result(rcpts[0].result, STORAGE_ERR_NOQUOTA);
	assert_result(rcpts[1].result, STORAGE_OK);
	assert_result(rcpts[2].result, STORAGE_ERR_NOQUOTA);
	assert_int(rcpts[0].uid_r, 0);
	assert_int(rcpts[1].uid_r, 2);
	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_bytes, size);
	assert_int(user.used_messages, 1);
	assert_int(sql_int(env, "SELECT refcount FROM messages ORDER BY id DESC LIMIT 1"), 1);

	/* an administrator's import ignores the quota */
	struct mime_message *msg = parse(raw);
	struct storage_delivery_rcpt rcpt = { .user_id = ids[0], .enforce_quota = false };
	struct storage_delivery delivery = { .message = msg, .rcpts = &rcpt, .rcpt_count = 1 };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_OK);
	assert_result(rcpt.result, STORAGE_OK);
	/* nobody gets it: no message row is left behind */
	int64_t before = sql_int(env, "SELECT COUNT(*) FROM messages");
	rcpt = (struct storage_delivery_rcpt){ .user_id = ids[2], .enforce_quota = true };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_OK);
	assert_result(rcpt.result, STORAGE_ERR_NOQUOTA);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), before);
	rcpt = (struct storage_delivery_rcpt){ .user_id = ids[2] + 1000 };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_OK);
	assert_result(rcpt.result, STORAGE_ERR_NOTFOUND);
	mime_message_free(&msg);
	free(raw);
	assert_int(check(env, false), 0);
}

/* MULTIAPPEND: several messages in one transaction, all or nothing. */
static void test_deliver_many(void **state)
{
	static const struct {
		const char *name;
		int64_t quota_messages; /* alice's, set before the batch */
		size_t count;           /* messages in the batch */
		int bad_index;          /* this one has no message (INVALID); -1: none */
		enum storage_result want;
		int64_t want_total;     /* alice's messages after the batch */
		uint32_t want_first_uid;
	} cases[] = {
		{ "three fit", 0, 3, -1, STORAGE_OK, 3, 1 },
		{ "one over the message quota", 5, 3, -1, STORAGE_ERR_NOQUOTA, 3, 0 },
		{ "exactly to the quota", 5, 2, -1, STORAGE_OK, 5, 4 },
		{ "a bad message in the middle", 0, 3, 1, STORAGE_ERR_INVALID, 5, 0 },
		{ "one message", 0, 1, -1, STORAGE_OK, 6, 6 },
	};
	struct env *env = *state;
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("many", "text", "QUJD");
	struct mime_message *msg = parse(raw);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct storage_delivery_rcpt rcpts[3];
		struct storage_delivery deliveries[3];
		assert_result(storage_user_set_quota(env->conn, "alice@example.test", 0,
						     cases[c].quota_messages, NULL), STORAGE_OK);
		for (size_t i = 0; i < cases[c].count; i++) {
			rcpts[i] = (struct storage_delivery_rcpt){ .user_id = ids[0],
								   .enforce_quota = true };
			deliveries[i] = (struct storage_delivery){
				.message = (int)i == cases[c].bad_index ? NULL : msg,
				.internal_date = 1700000000 + (int64_t)i,
				.rcpts = &rcpts[i], .rcpt_count = 1 };
		}
		enum storage_result got = storage_deliver_many(env->conn, deliveries,
							       cases[c].count, NULL);
		if (got != cases[c].want)
			fail_msg("%s: got %s, want %s", cases[c].name, storage_result_str(got),
				 storage_result_str(cases[c].want));
		for (size_t i = 0; i < cases[c].count; i++) {
			uint32_t want_uid = cases[c].want == STORAGE_OK ?
					    cases[c].want_first_uid + (uint32_t)i : 0;
			if (rcpts[i].uid_r != want_uid || rcpts[i].result != cases[c].want)
				fail_msg("%s: message %zu: got uid %u (%s), want uid %u (%s)",
					 cases[c].name, i, rcpts[i].uid_r,
					 storage_result_str(rcpts[i].result), want_uid,
					 storage_result_str(cases[c].want));
		}
		struct storage_user user;
		assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
		if (user.used_messages != cases[c].want_total)
			fail_msg("%s: got %lld messages in use, want %lld", cases[c].name,
				 (long long)user.used_messages, (long long)cases[c].want_total);
		assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages"),
			   cases[c].want_total);
	}
	assert_result(storage_deliver_many(env->conn, NULL, 0, NULL), STORAGE_ERR_INVALID);
	mime_message_free(&msg);
	free(raw);
	assert_int(check(env, false), 0);
}

static void test_deliver_invalid(void **state)
{
	struct env *env = *state;
	int64_t ids[3];
	add_example(env, ids);
	struct storage_delivery_rcpt rcpt = { .user_id = ids[0] };
	struct storage_delivery delivery = { .message = NULL, .rcpts = &rcpt, .rcpt_count = 1 };
	assert_result(storage_deliver(env->conn, &delivery, NULL), STORAGE_ERR_INVALID);
	assert_result(delivery.result, STORAGE_ERR_INVALID);
	assert_true(delivery.error[0] != '\0');
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages"), 0);
}

/* ---- flags, expunge, releasing references ---- */

struct mail_seen {
	uint32_t flags;
	char keywords[64];
	int64_t modseq;
	int count;
};

static void collect_mail(const struct storage_mail *mail, void *context)
{
	struct mail_seen *seen = context;
	seen->flags = mail->flags;
	storage_strlcpy(seen->keywords, mail->keywords, sizeof(seen->keywords));
	seen->modseq = mail->modseq;
	seen->count++;
}

static void test_flags(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[1];
	struct mail_seen seen = { 0 };
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("f", "t", "QQ==");
	assert_result(deliver(env, raw, ids, 1, rcpts), STORAGE_OK);
	int64_t box = rcpts[0].mailbox_id_r;
	assert_result(storage_mail_list(env->conn, box, collect_mail, &seen, NULL), STORAGE_OK);
	int64_t modseq = seen.modseq;
	assert_result(storage_mail_set_flags(env->conn, box, 1,
					     STORAGE_FLAG_SEEN | STORAGE_FLAG_FLAGGED,
					     "$Important work", NULL), STORAGE_OK);
	memset(&seen, 0, sizeof(seen));
	assert_result(storage_mail_list(env->conn, box, collect_mail, &seen, NULL), STORAGE_OK);
	assert_int(seen.count, 1);
	assert_int(seen.flags, STORAGE_FLAG_SEEN | STORAGE_FLAG_FLAGGED);
	assert_str(seen.keywords, "$Important work");
	assert_true(seen.modseq > modseq);
	assert_result(storage_mail_set_flags(env->conn, box, 1, 0x100, NULL, NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_mail_set_flags(env->conn, box, 1, 0, "bad(kw", NULL),
		      STORAGE_ERR_INVALID);
	assert_result(storage_mail_set_flags(env->conn, box, 7, 0, NULL, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_mail_set_flags(env->conn, box + 1000, 1, 0, NULL, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_result(storage_mail_list(env->conn, box + 1000, collect_mail, &seen, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_int(check(env, false), 0);
	free(raw);
}

static void test_expunge(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[2];
	struct storage_mailbox box;
	struct storage_user user;
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("x", "shared by two", "WFhYWA==");
	assert_result(deliver(env, raw, ids, 2, rcpts), STORAGE_OK);
	int64_t alice_box = rcpts[0].mailbox_id_r, bob_box = rcpts[1].mailbox_id_r;
	assert_result(storage_mailbox_get(env->conn, ids[0], "INBOX", &box, NULL), STORAGE_OK);
	int64_t modseq = box.highestmodseq;

	assert_result(storage_mail_expunge(env->conn, alice_box, 1, NULL), STORAGE_OK);
	assert_result(storage_mail_expunge(env->conn, alice_box, 1, NULL), STORAGE_ERR_NOTFOUND);
	assert_int(sql_int(env, "SELECT refcount FROM messages"), 1);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 2);
	assert_result(storage_mailbox_get(env->conn, ids[0], "INBOX", &box, NULL), STORAGE_OK);
	assert_true(box.highestmodseq > modseq);
	assert_int(box.message_count, 0);
	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_bytes, 0);
	assert_int(user.used_messages, 0);

	assert_result(storage_mail_expunge(env->conn, bob_box, 1, NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_segments"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM header_fields"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 0);
	assert_int(check(env, false), 0);
	free(raw);
}

static void test_delete_releases(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[2];
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("y", "kept text", "WVlZWQ==");
	char *other = make_message("z", "other text", "WVlZWQ==");
	assert_result(deliver(env, raw, ids, 2, rcpts), STORAGE_OK);
	assert_result(deliver(env, other, ids, 1, rcpts), STORAGE_OK);
	assert_result(storage_mailbox_rename(env->conn, ids[0], "INBOX", "Work", NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_delete(env->conn, ids[0], "Work", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 1);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 2);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts WHERE refcount = 1"), 2);
	assert_int(check(env, false), 0);
	assert_result(storage_user_del(env->conn, "bob@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 0);
	assert_int(check(env, false), 0);
	free(raw);
	free(other);
}

/* ---- integrity check ---- */

static void test_check_repair(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[3];
	int64_t ids[3];
	add_example(env, ids);
	char *a = make_message("a", "text a", "QUFBQQ==");
	char *b = make_message("b", "text b", "QUFBQQ==");
	assert_result(deliver(env, a, ids, 3, rcpts), STORAGE_OK);
	assert_result(deliver(env, b, ids, 1, rcpts), STORAGE_OK);
	assert_int(check(env, true), 0);

	sql_exec(env, "UPDATE mime_parts SET refcount = refcount + 5");  /* 3 parts */
	sql_exec(env, "UPDATE messages SET refcount = 7 WHERE refcount = 3");
	sql_exec(env, "UPDATE users SET used_bytes = used_bytes + 1");    /* 3 users */
	sql_exec(env, "UPDATE mailboxes SET uidnext = 1 WHERE name = 'INBOX'"); /* 3 */
	sql_exec(env, "UPDATE mailboxes SET highestmodseq = 0 WHERE name = 'INBOX' "
		      "AND user_id = (SELECT MIN(id) FROM users)");
	enum db_status status = sdb_exec(env->conn,
		"INSERT INTO mime_parts (hash, size, refcount, data) VALUES ($1, 3, 1, $2)",
		DB_ARGS(DB_BLOB("0123456789abcdef0123456789abcdef", 32), DB_BLOB("abc", 3)));
	assert_int(status, DB_OK);
	status = sdb_exec(env->conn,
		"INSERT INTO messages (size, header_size, line_count, refcount, envelope, "
		"bodystructure, body, has_8bit, bare_lf, created) "
		"VALUES (0, 0, 0, 0, '', '', '', 0, 0, 0)", DB_NOARGS);
	assert_int(status, DB_OK);

	unsigned want = 3 + 1 + 3 + 3 + 1 + 1 + 1;
	assert_int(check(env, false), want);
	assert_int(check(env, false), want); /* a check alone changes nothing */
	assert_int(check(env, true), want);
	assert_int(check(env, false), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 3);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 2);

	/* the mail is still whole and delivery continues at the right uid */
	unsigned char *data;
	size_t size;
	assert_result(storage_mail_read(env->conn, rcpts[0].mailbox_id_r, 2, &data, &size, NULL),
		      STORAGE_OK);
	assert_int(size, strlen(b));
	free(data);
	assert_result(deliver(env, b, ids, 1, rcpts), STORAGE_OK);
	assert_int(rcpts[0].uid_r, 3);
	assert_int(check(env, false), 0);
	free(a);
	free(b);
}

static void test_stats(void **state)
{
	struct env *env = *state;
	struct storage_delivery_rcpt rcpts[3];
	struct storage_stats stats;
	int64_t ids[3];
	add_example(env, ids);
	assert_result(storage_alias_add(env->conn, "x@example.test", "alice@example.test", NULL),
		      STORAGE_OK);
	char *a = make_message("a", "text a", "QUFBQQ==");
	assert_result(deliver(env, a, ids, 3, rcpts), STORAGE_OK);
	assert_result(storage_get_stats(env->conn, &stats, NULL), STORAGE_OK);
	assert_int(stats.domains, 1);
	assert_int(stats.users, 3);
	assert_int(stats.aliases, 1);
	assert_int(stats.mailboxes, 18);
	assert_int(stats.mails, 3);
	assert_int(stats.messages, 1);
	assert_int(stats.parts, 2);
	assert_int(stats.logical_bytes, 3 * strlen(a));
	assert_int(stats.part_bytes, strlen("text a") + strlen("QUFBQQ=="));
	free(a);
}

/* ---- the group committer ---- */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned done, ok;
};

static void delivery_done(struct storage_delivery *delivery, void *context)
{
	struct waiter *w = context;
	pthread_mutex_lock(&w->lock);
	w->done++;
	if (delivery->result == STORAGE_OK && delivery->rcpts[0].result == STORAGE_OK)
		w->ok++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void waiter_wait(struct waiter *w, unsigned count)
{
	pthread_mutex_lock(&w->lock);
	while (w->done < count)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

#define GC_THREADS 8
#define GC_PER_THREAD 25

struct gc_thread {
	struct storage *storage;
	const struct mime_message *msg;
	int64_t user_id;
	struct waiter *waiter;
	struct storage_delivery deliveries[GC_PER_THREAD];
	struct storage_delivery_rcpt rcpts[GC_PER_THREAD];
};

static void *gc_thread_run(void *arg)
{
	struct gc_thread *t = arg;
	for (size_t i = 0; i < GC_PER_THREAD; i++) {
		t->rcpts[i] = (struct storage_delivery_rcpt){ .user_id = t->user_id,
							      .enforce_quota = true };
		t->deliveries[i] = (struct storage_delivery){ .message = t->msg,
							      .internal_date = 1,
							      .rcpts = &t->rcpts[i],
							      .rcpt_count = 1 };
		storage_deliver_async(t->storage, &t->deliveries[i], delivery_done, t->waiter);
	}
	return NULL;
}

static void test_group_commit(void **state)
{
	struct env *env = *state;
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	struct gc_thread *threads = xcalloc(GC_THREADS, sizeof(*threads));
	pthread_t tids[GC_THREADS];
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("gc", "group commit", "R0NHQw==");
	struct mime_message *msg = parse(raw);
	for (size_t i = 0; i < GC_THREADS; i++) {
		threads[i] = (struct gc_thread){ .storage = env->storage, .msg = msg,
						 .user_id = ids[i % 3], .waiter = &w };
		assert_int(pthread_create(&tids[i], NULL, gc_thread_run, &threads[i]), 0);
	}
	for (size_t i = 0; i < GC_THREADS; i++)
		pthread_join(tids[i], NULL);
	waiter_wait(&w, GC_THREADS * GC_PER_THREAD);
	assert_int(w.ok, GC_THREADS * GC_PER_THREAD);
	assert_int(storage_deliveries_pending(env->storage), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages"),
		   GC_THREADS * GC_PER_THREAD);
	assert_int(sql_int(env, "SELECT COUNT(DISTINCT uid) FROM mailbox_messages "
			   "WHERE mailbox_id = (SELECT MIN(mailbox_id) FROM mailbox_messages)"),
		   sql_int(env, "SELECT COUNT(*) FROM mailbox_messages "
			   "WHERE mailbox_id = (SELECT MIN(mailbox_id) FROM mailbox_messages)"));
	assert_int(sql_int(env, "SELECT refcount FROM mime_parts ORDER BY refcount LIMIT 1"),
		   GC_THREADS * GC_PER_THREAD);
	assert_int(check(env, false), 0);
	mime_message_free(&msg);
	free(raw);
	free(threads);
}

/* A delivery that fails inside a batch is rolled back alone. */
static void test_group_commit_isolation(void **state)
{
	struct env *env = *state;
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	struct storage_delivery deliveries[3];
	struct storage_delivery_rcpt rcpts[3];
	char sql[512];
	int64_t ids[3];
	add_example(env, ids);
	int64_t bob_inbox = inbox_id(env, ids[1]);
	if (env->pgsql) {
		sql_exec(env, "CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS "
			      "'BEGIN RAISE EXCEPTION ''test failure''; END'");
		snprintf(sql, sizeof(sql), "CREATE TRIGGER test_fail BEFORE INSERT ON "
			 "mailbox_messages FOR EACH ROW WHEN (NEW.mailbox_id = %lld) "
			 "EXECUTE FUNCTION test_fail()", (long long)bob_inbox);
	} else {
		snprintf(sql, sizeof(sql), "CREATE TRIGGER test_fail BEFORE INSERT ON "
			 "mailbox_messages WHEN NEW.mailbox_id = %lld "
			 "BEGIN SELECT RAISE(ABORT, 'test failure'); END", (long long)bob_inbox);
	}
	sql_exec(env, sql);
	char *raw = make_message("iso", "isolation", "SVNP");
	struct mime_message *msg = parse(raw);

	/* hold the write lock so the three are queued together */
	const char *error;
	assert_result(storage_begin(env->conn, true, &error), STORAGE_OK);
	for (size_t i = 0; i < 3; i++) {
		rcpts[i] = (struct storage_delivery_rcpt){ .user_id = ids[i == 1 ? 1 : 0] };
		deliveries[i] = (struct storage_delivery){ .message = msg, .rcpts = &rcpts[i],
							   .rcpt_count = 1 };
		storage_deliver_async(env->storage, &deliveries[i], delivery_done, &w);
	}
	usleep(100 * 1000);
	storage_rollback(env->conn);
	waiter_wait(&w, 3);
	assert_result(deliveries[0].result, STORAGE_OK);
	assert_result(deliveries[1].result, STORAGE_ERR_TEMP);
	assert_result(rcpts[1].result, STORAGE_ERR_TEMP);
	assert_true(strstr(deliveries[1].error, "test failure") != NULL);
	assert_result(deliveries[2].result, STORAGE_OK);
	assert_int(rcpts[2].uid_r, 2);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 2);
	assert_int(sql_int(env, "SELECT used_messages FROM users WHERE address = "
			   "'bob@example.test'"), 0);

	/* the synchronous path rolls back the same way */
	assert_result(storage_deliver(env->conn, &deliveries[1], NULL), STORAGE_ERR_TEMP);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 2);
	assert_int(check(env, false), 0);
	mime_message_free(&msg);
	free(raw);
}

/* storage_deinit finishes what is queued: every callback is called. */
static void test_deinit_drains(void **state)
{
	struct env *env = *state;
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	enum { COUNT = 50 };
	struct storage_delivery *deliveries = xcalloc(COUNT, sizeof(*deliveries));
	struct storage_delivery_rcpt *rcpts = xcalloc(COUNT, sizeof(*rcpts));
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("drain", "drain", "RFJBSU4=");
	struct mime_message *msg = parse(raw);
	for (size_t i = 0; i < COUNT; i++) {
		rcpts[i] = (struct storage_delivery_rcpt){ .user_id = ids[0] };
		deliveries[i] = (struct storage_delivery){ .message = msg, .rcpts = &rcpts[i],
							   .rcpt_count = 1 };
		storage_deliver_async(env->storage, &deliveries[i], delivery_done, &w);
	}
	env_stop(env);
	assert_int(w.done, COUNT);
	assert_int(w.ok, COUNT);
	assert_int(env_start(env), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages"), COUNT);
	mime_message_free(&msg);
	free(raw);
	free(deliveries);
	free(rcpts);
}

/* ---- the SQLite driver ---- */

static void test_sqlite_driver(void **state)
{
	struct env *env = *state;
	struct db_result *res = NULL;
	if (env->pgsql)
		skip();
	const struct db_driver *db = db_driver_find("sqlite");
	assert_ptr_equal(db, &db_driver_sqlite);
	assert_null(db_driver_find("oracle"));
	assert_ptr_equal(db_driver_find("pgsql"), &db_driver_pgsql);
	struct db_conn *c = env->conn->dbc;
	/* $2 before $1, bound by name */
	assert_int(db->query(c, "SELECT $2 - $1", DB_ARGS(DB_INT(1), DB_INT(10)), &res), DB_OK);
	assert_true(db->next(res));
	assert_int(db->get_int(res, 0), 9);
	/* the same statement again while the first is still open */
	struct db_result *res2 = NULL;
	assert_int(db->query(c, "SELECT $2 - $1", DB_ARGS(DB_INT(5), DB_INT(6)), &res2), DB_OK);
	assert_true(db->next(res2));
	assert_int(db->get_int(res2, 0), 1);
	assert_false(db->next(res2));
	db->result_free(&res2);
	assert_false(db->next(res));
	assert_int(db->result_status(res), DB_OK);
	db->result_free(&res);
	assert_null(res);
	assert_int(db->query(c, "SELECT $3", DB_ARGS(DB_INT(1)), NULL), DB_ERR);
	assert_int(db->query(c, "SELECT ?", DB_ARGS(DB_INT(1)), NULL), DB_ERR);
	assert_int(db->query(c, "SELEKT 1", DB_NOARGS, NULL), DB_ERR);
	assert_int(db->query(c, "INSERT INTO domains (name, created) VALUES ('a.test', 0)",
			     DB_NOARGS, NULL), DB_OK);
	assert_int(db->changes(c), 1);
	assert_int(db->query(c, "INSERT INTO domains (name, created) VALUES ('a.test', 0)",
			     DB_NOARGS, NULL), DB_ERR_CONSTRAINT);
	assert_int(db->query(c, "INSERT INTO users (domain_id, address, created) "
			     "VALUES (999, 'x@a.test', 0)", DB_NOARGS, NULL), DB_ERR_CONSTRAINT);
	/* an empty blob stays a blob, not NULL */
	assert_int(db->query(c, "SELECT $1 IS NULL, length($1)", DB_ARGS(DB_BLOB(NULL, 0)), &res),
		   DB_OK);
	assert_true(db->next(res));
	assert_int(db->get_int(res, 0), 0);
	assert_int(db->get_int(res, 1), 0);
	db->result_free(&res);
	/* another connection waits for the write lock, then gets TEMP */
	struct storage_settings set = env->set;
	set.busy_timeout_ms = 50;
	struct db_conn *other;
	char error[256];
	assert_int(db->connect(&set, &other, error, sizeof(error)), DB_OK);
	assert_int(db->begin(c, true), DB_OK);
	assert_int(db->begin(other, true), DB_ERR_TEMP);
	assert_int(db->rollback(c), DB_OK);
	assert_int(db->begin(other, true), DB_OK);
	assert_int(db->commit(other), DB_OK);
	db->disconnect(&other);
	assert_null(other);
	assert_int(db->query(c, "PRAGMA journal_mode", DB_NOARGS, &res), DB_OK);
	assert_true(db->next(res));
	assert_str(db->get_text(res, 0), "wal");
	db->result_free(&res);
	assert_int(sql_int(env, "PRAGMA synchronous"), 2);
	assert_int(sql_int(env, "PRAGMA foreign_keys"), 1);
}

static void test_init_errors(void **state)
{
	static const struct storage_settings bad[] = {
		{ .driver = NULL },
		{ .driver = "oracle" },
		{ .driver = "sqlite", .sqlite_path = "" },
		{ .driver = "pgsql", .pgsql_uri = "" },
		{ .driver = "sqlite", .sqlite_path = "/nonexistent/dir/x.db" },
		{ .driver = "sqlite", .sqlite_path = "/tmp/x.db", .commit_batch_max = 1000000 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct storage *storage = NULL;
		const char *error = NULL;
		if (storage_init(&bad[i], &storage, &error) != -1)
			fail_msg("settings %zu: got init ok, want -1", i);
		assert_null(storage);
		assert_non_null(error);
	}
}

/* ---- IMAP operations ---- */

/* Deliver n distinct messages to user's INBOX; returns the mailbox. */
static int64_t deliver_n(struct env *env, int64_t user_id, unsigned n)
{
	struct storage_delivery_rcpt rcpt;
	for (unsigned i = 0; i < n; i++) {
		char subject[32], text[32];
		snprintf(subject, sizeof(subject), "msg%u", i + 1);
		snprintf(text, sizeof(text), "text of message %u", i + 1);
		char *raw = make_message(subject, text, "QUJD");
		assert_result(deliver(env, raw, &user_id, 1, &rcpt), STORAGE_OK);
		assert_result(rcpt.result, STORAGE_OK);
		free(raw);
	}
	return inbox_id(env, user_id);
}

static int64_t highestmodseq(struct env *env, int64_t mailbox_id)
{
	struct storage_mailbox_status st;
	assert_result(storage_mailbox_status(env->conn, mailbox_id, &st, NULL), STORAGE_OK);
	return st.highestmodseq;
}

struct uid_list {
	uint32_t uids[64];
	size_t count;
};

static void collect_uid(uint32_t uid, void *context)
{
	struct uid_list *list = context;
	if (list->count < 64)
		list->uids[list->count++] = uid;
}

static void collect_mail_uid(const struct storage_mail *mail, void *context)
{
	collect_uid(mail->uid, context);
}

/* "1 3 4" */
static const char *uids_str(const struct uid_list *list, char *buf, size_t size)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < list->count && pos < size; i++)
		pos += (size_t)snprintf(buf + pos, size - pos, "%s%u", i == 0 ? "" : " ",
					list->uids[i]);
	return buf;
}

static void vanished(struct env *env, int64_t mailbox_id, int64_t modseq, const char *want)
{
	struct uid_list list = { .count = 0 };
	char buf[256];
	assert_result(storage_mailbox_vanished_since(env->conn, mailbox_id, modseq, collect_uid,
						     &list, NULL), STORAGE_OK);
	assert_str(uids_str(&list, buf, sizeof(buf)), want);
}

static void test_subscribe(void **state)
{
	struct env *env = *state;
	struct storage_mailbox box;
	int64_t ids[3];
	add_example(env, ids);
	static const struct {
		const char *name;
		bool subscribed;
		enum storage_result want;
	} cases[] = {
		{ "Sent", false, STORAGE_OK },
		{ "sent", false, STORAGE_ERR_NOTFOUND }, /* names are case-sensitive but INBOX */
		{ "inbox", false, STORAGE_OK },
		{ "INBOX", true, STORAGE_OK },
		{ "Nope", true, STORAGE_ERR_NOTFOUND },  /* documented: only existing mailboxes */
		{ "a//b", true, STORAGE_ERR_INVALID },
		{ "Sent", true, STORAGE_OK },
		{ "Trash", false, STORAGE_OK },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum storage_result got = storage_mailbox_set_subscribed(env->conn, ids[0],
			cases[i].name, cases[i].subscribed, NULL);
		if (got != cases[i].want)
			fail_msg("case %zu (%s): got %s, want %s", i, cases[i].name,
				 storage_result_str(got), storage_result_str(cases[i].want));
		if (got != STORAGE_OK)
			continue;
		assert_result(storage_mailbox_get(env->conn, ids[0], cases[i].name, &box, NULL),
			      STORAGE_OK);
		if (box.subscribed != cases[i].subscribed)
			fail_msg("case %zu (%s): got subscribed %d, want %d", i, cases[i].name,
				 box.subscribed, cases[i].subscribed);
	}
	/* another user's mailbox of the same name is not touched */
	assert_result(storage_mailbox_get(env->conn, ids[1], "Trash", &box, NULL), STORAGE_OK);
	assert_true(box.subscribed);
}

static void test_status(void **state)
{
	struct env *env = *state;
	struct storage_mailbox_status st;
	struct storage_mailbox box;
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 4);
	uint32_t seen[] = { 1, 3 }, deleted[] = { 3, 4 };
	uint32_t *modified;
	size_t modified_count;
	assert_result(storage_mail_store_flags(env->conn, inbox, seen, 2, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_SEEN, NULL, 0, NULL, NULL, &modified,
					       &modified_count, NULL), STORAGE_OK);
	assert_result(storage_mail_store_flags(env->conn, inbox, deleted, 2, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_DELETED, NULL, 0, NULL, NULL, &modified,
					       &modified_count, NULL), STORAGE_OK);
	assert_result(storage_mailbox_status(env->conn, inbox, &st, NULL), STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, ids[0], "INBOX", &box, NULL), STORAGE_OK);
	assert_int(st.messages, 4);
	assert_int(st.unseen, 2);
	assert_int(st.deleted, 2);
	assert_int(st.first_unseen_uid, 2);
	assert_int(st.uidnext, 5);
	assert_int(st.uidvalidity, box.uidvalidity);
	assert_int(st.highestmodseq, box.highestmodseq);
	assert_int(st.size, box.byte_count);
	assert_int(st.size, sql_int(env, "SELECT SUM(size) FROM mailbox_messages"));

	struct storage_mailbox trash;
	assert_result(storage_mailbox_get(env->conn, ids[0], "Trash", &trash, NULL), STORAGE_OK);
	assert_result(storage_mailbox_status(env->conn, trash.id, &st, NULL), STORAGE_OK);
	assert_int(st.messages, 0);
	assert_int(st.unseen, 0);
	assert_int(st.size, 0);
	assert_int(st.first_unseen_uid, 0);
	assert_int(st.uidnext, 1);
	assert_result(storage_mailbox_status(env->conn, inbox + 1000, &st, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_int(st.messages, 0);

	/* the polling probe sees every kind of change */
	uint32_t uidnext;
	int64_t modseq, last;
	assert_result(storage_mailbox_probe(env->conn, inbox, &uidnext, &modseq, NULL),
		      STORAGE_OK);
	assert_int(uidnext, 5);
	assert_int(modseq, box.highestmodseq);
	deliver_n(env, ids[0], 1);
	last = modseq;
	assert_result(storage_mailbox_probe(env->conn, inbox, &uidnext, &modseq, NULL),
		      STORAGE_OK);
	assert_int(uidnext, 6);
	assert_true(modseq > last);
	last = modseq;
	assert_result(storage_mail_expunge_deleted(env->conn, inbox, NULL, 0, NULL, NULL, NULL),
		      STORAGE_OK);
	assert_result(storage_mailbox_probe(env->conn, inbox, &uidnext, &modseq, NULL),
		      STORAGE_OK);
	assert_int(uidnext, 6);
	assert_int(modseq, last + 1);
	assert_result(storage_mailbox_probe(env->conn, inbox + 1000, &uidnext, &modseq, NULL),
		      STORAGE_ERR_NOTFOUND);
}

static void test_mail_get(void **state)
{
	struct env *env = *state;
	struct storage_mail mail;
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 2);
	assert_result(storage_mail_set_flags(env->conn, inbox, 2, STORAGE_FLAG_ANSWERED, "$Work",
					     NULL), STORAGE_OK);
	assert_result(storage_mail_get(env->conn, inbox, 2, &mail, NULL), STORAGE_OK);
	assert_int(mail.uid, 2);
	assert_int(mail.mailbox_id, inbox);
	assert_int(mail.flags, STORAGE_FLAG_ANSWERED);
	assert_str(mail.keywords, "$Work");
	assert_int(mail.modseq, highestmodseq(env, inbox));
	assert_int(mail.internal_date, 1700000000);
	assert_int(mail.size, sql_int(env, "SELECT size FROM mailbox_messages WHERE uid = 2"));
	assert_int(mail.message_id, sql_int(env, "SELECT message_id FROM mailbox_messages "
						 "WHERE uid = 2"));
	assert_result(storage_mail_get(env->conn, inbox, 9, &mail, NULL), STORAGE_ERR_NOTFOUND);
	assert_str(mail.keywords, "");
	assert_result(storage_mail_get(env->conn, inbox + 1000, 1, &mail, NULL),
		      STORAGE_ERR_NOTFOUND);
}

struct header_seen {
	char values[256];
	int count;
};

static void collect_header(const char *value, void *context)
{
	struct header_seen *seen = context;
	size_t len = strlen(seen->values);
	snprintf(seen->values + len, sizeof(seen->values) - len, "%s[%s]",
		 seen->count == 0 ? "" : " ", value);
	seen->count++;
}

static void test_header_values(void **state)
{
	static const struct {
		uint32_t uid;
		const char *name;
		enum storage_result want;
		const char *values;
	} cases[] = {
		{ 1, "Subject", STORAGE_OK, "[msg1]" },
		{ 2, "SUBJECT", STORAGE_OK, "[msg2]" },
		{ 1, "to", STORAGE_OK, "[bob@example.test]" },
		{ 1, "From", STORAGE_OK, "[Alice <alice@example.test>]" },
		{ 1, "X-Nothing", STORAGE_OK, "" },
		{ 9, "Subject", STORAGE_ERR_NOTFOUND, "" },
		{ 1, "", STORAGE_ERR_INVALID, "" },
		{ 1, "Sub ject", STORAGE_ERR_INVALID, "" },
		{ 1, "Subject:", STORAGE_ERR_INVALID, "" },
	};
	struct env *env = *state;
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct header_seen seen = { .count = 0 };
		enum storage_result got = storage_mail_header_values(env->conn, inbox, cases[i].uid,
			cases[i].name, collect_header, &seen, NULL);
		if (got != cases[i].want)
			fail_msg("case %zu (%s): got %s, want %s", i, cases[i].name,
				 storage_result_str(got), storage_result_str(cases[i].want));
		if (strcmp(seen.values, cases[i].values) != 0)
			fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i, cases[i].name,
				 seen.values, cases[i].values);
	}
	char *long_name = xmalloc(STORAGE_HEADER_NAME_MAX + 2);
	memset(long_name, 'a', STORAGE_HEADER_NAME_MAX + 1);
	long_name[STORAGE_HEADER_NAME_MAX + 1] = '\0';
	assert_result(storage_mail_header_values(env->conn, inbox, 1, long_name, collect_header,
						 NULL, NULL), STORAGE_ERR_INVALID);
	free(long_name);
}

struct store_seen {
	struct uid_list uids;
	unsigned changed;
	uint32_t flags;
	char keywords[128];
	int64_t modseq;
};

static void collect_store(const struct storage_mail *mail, bool changed, void *context)
{
	struct store_seen *seen = context;
	collect_uid(mail->uid, &seen->uids);
	if (changed)
		seen->changed++;
	seen->flags = mail->flags;
	storage_strlcpy(seen->keywords, mail->keywords, sizeof(seen->keywords));
	seen->modseq = mail->modseq;
}

static void test_store_flags(void **state)
{
	/* Applied in order to uids 1 and 2 (and 99, which does not exist). */
	static const struct {
		enum storage_flags_mode mode;
		uint32_t flags;
		const char *keywords;
		uint32_t want_flags;
		const char *want_keywords;
		unsigned want_changed;
	} steps[] = {
		{ STORAGE_FLAGS_ADD, STORAGE_FLAG_SEEN, "$A", STORAGE_FLAG_SEEN, "$A", 2 },
		{ STORAGE_FLAGS_ADD, STORAGE_FLAG_SEEN, "$a", STORAGE_FLAG_SEEN, "$A", 0 },
		{ STORAGE_FLAGS_ADD, STORAGE_FLAG_FLAGGED, "$B $A $b",
		  STORAGE_FLAG_SEEN | STORAGE_FLAG_FLAGGED, "$A $B", 2 },
		{ STORAGE_FLAGS_REMOVE, STORAGE_FLAG_SEEN, "$a $C", STORAGE_FLAG_FLAGGED, "$B", 2 },
		{ STORAGE_FLAGS_REMOVE, STORAGE_FLAG_DRAFT, NULL, STORAGE_FLAG_FLAGGED, "$B", 0 },
		{ STORAGE_FLAGS_SET, STORAGE_FLAG_DRAFT | STORAGE_FLAG_ANSWERED, "x y x",
		  STORAGE_FLAG_DRAFT | STORAGE_FLAG_ANSWERED, "x y", 2 },
		{ STORAGE_FLAGS_SET, STORAGE_FLAG_DRAFT | STORAGE_FLAG_ANSWERED, "X Y",
		  STORAGE_FLAG_DRAFT | STORAGE_FLAG_ANSWERED, "X Y", 2 },
		{ STORAGE_FLAGS_SET, 0, "", 0, "", 2 },
	};
	struct env *env = *state;
	struct storage_mail mail;
	uint32_t *modified;
	size_t modified_count;
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 3);
	const uint32_t uids[] = { 2, 99, 1, 2 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct store_seen seen;
		memset(&seen, 0, sizeof(seen));
		int64_t before = highestmodseq(env, inbox);
		assert_result(storage_mail_store_flags(env->conn, inbox, uids, 4, steps[i].mode,
						       steps[i].flags, steps[i].keywords, 0,
						       collect_store, &seen, &modified,
						       &modified_count, NULL), STORAGE_OK);
		int64_t after = highestmodseq(env, inbox);
		char buf[64];
		if (strcmp(uids_str(&seen.uids, buf, sizeof(buf)), "1 2") != 0)
			fail_msg("step %zu: got uids \"%s\", want \"1 2\"", i, buf);
		if (seen.changed != steps[i].want_changed)
			fail_msg("step %zu: got %u changed, want %u", i, seen.changed,
				 steps[i].want_changed);
		if (seen.flags != steps[i].want_flags || strcmp(seen.keywords,
								steps[i].want_keywords) != 0)
			fail_msg("step %zu: got flags 0x%x \"%s\", want 0x%x \"%s\"", i, seen.flags,
				 seen.keywords, steps[i].want_flags, steps[i].want_keywords);
		assert_null(modified);
		assert_int(modified_count, 0);
		/* a change takes exactly one new modseq; no change takes none */
		if (after != before + (steps[i].want_changed > 0 ? 1 : 0))
			fail_msg("step %zu: got highestmodseq %lld after %lld, want %s", i,
				 (long long)after, (long long)before,
				 steps[i].want_changed > 0 ? "one more" : "the same");
		assert_result(storage_mail_get(env->conn, inbox, 1, &mail, NULL), STORAGE_OK);
		assert_int(mail.flags, steps[i].want_flags);
		assert_str(mail.keywords, steps[i].want_keywords);
		assert_int(mail.modseq, seen.modseq);
		assert_true(mail.modseq <= after);
	}
	/* message 3 was never touched */
	assert_result(storage_mail_get(env->conn, inbox, 3, &mail, NULL), STORAGE_OK);
	assert_int(mail.flags, 0);
	int64_t modseq3 = mail.modseq;

	/* CONDSTORE UNCHANGEDSINCE: uid 1 changed after base, so it fails */
	int64_t base = highestmodseq(env, inbox);
	const uint32_t one[] = { 1 }, all[] = { 3, 2, 1 };
	assert_result(storage_mail_store_flags(env->conn, inbox, one, 1, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_FLAGGED, NULL, 0, NULL, NULL,
					       &modified, &modified_count, NULL), STORAGE_OK);
	struct store_seen seen;
	memset(&seen, 0, sizeof(seen));
	assert_result(storage_mail_store_flags(env->conn, inbox, all, 3, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_SEEN, NULL, base, collect_store, &seen,
					       &modified, &modified_count, NULL), STORAGE_OK);
	assert_int(modified_count, 1);
	assert_int(modified[0], 1);
	free(modified);
	char buf[64];
	assert_str(uids_str(&seen.uids, buf, sizeof(buf)), "2 3");
	assert_int(seen.changed, 2);
	assert_result(storage_mail_get(env->conn, inbox, 1, &mail, NULL), STORAGE_OK);
	assert_int(mail.flags, STORAGE_FLAG_FLAGGED);
	assert_result(storage_mail_get(env->conn, inbox, 3, &mail, NULL), STORAGE_OK);
	assert_int(mail.flags, STORAGE_FLAG_SEEN);
	assert_true(mail.modseq > modseq3);
	assert_int(mail.modseq, highestmodseq(env, inbox));

	/* errors store nothing */
	int64_t before = highestmodseq(env, inbox);
	static const struct {
		int64_t mailbox_delta;
		int mode;
		uint32_t flags;
		const char *keywords;
		enum storage_result want;
	} bad[] = {
		{ 0, STORAGE_FLAGS_SET, 0x100, NULL, STORAGE_ERR_INVALID },
		{ 0, STORAGE_FLAGS_ADD, 0, "bad(kw", STORAGE_ERR_INVALID },
		{ 0, STORAGE_FLAGS_ADD, 0, " lead", STORAGE_ERR_INVALID },
		{ 0, 7, 0, NULL, STORAGE_ERR_INVALID },
		{ 1000, STORAGE_FLAGS_ADD, STORAGE_FLAG_SEEN, NULL, STORAGE_ERR_NOTFOUND },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum storage_result got = storage_mail_store_flags(env->conn,
			inbox + bad[i].mailbox_delta, all, 3, (enum storage_flags_mode)bad[i].mode,
			bad[i].flags, bad[i].keywords, 0, collect_store, &seen, &modified,
			&modified_count, NULL);
		if (got != bad[i].want)
			fail_msg("bad %zu: got %s, want %s", i, storage_result_str(got),
				 storage_result_str(bad[i].want));
		assert_null(modified);
	}
	/* a keyword list that would grow past the limit: nothing stored */
	char *kw = xmalloc(STORAGE_KEYWORDS_MAX + 1);
	memset(kw, 'k', STORAGE_KEYWORDS_MAX - 10);
	kw[STORAGE_KEYWORDS_MAX - 10] = '\0';
	assert_result(storage_mail_store_flags(env->conn, inbox, one, 1, STORAGE_FLAGS_SET, 0, kw,
					       0, NULL, NULL, &modified, &modified_count, NULL),
		      STORAGE_OK);
	before = highestmodseq(env, inbox);
	assert_result(storage_mail_store_flags(env->conn, inbox, all, 3, STORAGE_FLAGS_ADD, 0,
					       "another-long-keyword", 0, NULL, NULL, &modified,
					       &modified_count, NULL), STORAGE_ERR_INVALID);
	assert_int(highestmodseq(env, inbox), before);
	assert_result(storage_mail_get(env->conn, inbox, 3, &mail, NULL), STORAGE_OK);
	assert_str(mail.keywords, "");
	free(kw);
	/* no uids: nothing to do, but the mailbox must exist */
	assert_result(storage_mail_store_flags(env->conn, inbox, NULL, 0, STORAGE_FLAGS_ADD, 1,
					       NULL, 0, NULL, NULL, &modified, &modified_count,
					       NULL), STORAGE_OK);
	assert_result(storage_mail_store_flags(env->conn, inbox + 1000, NULL, 0,
					       STORAGE_FLAGS_ADD, 1, NULL, 0, NULL, NULL,
					       &modified, &modified_count, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_int(check(env, false), 0);
}

static void test_list_since(void **state)
{
	struct env *env = *state;
	struct uid_list list = { .count = 0 };
	uint32_t *modified;
	size_t modified_count;
	char buf[64];
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 4);
	int64_t base = highestmodseq(env, inbox);
	assert_result(storage_mail_list_since(env->conn, inbox, base, collect_mail_uid, &list,
					      NULL), STORAGE_OK);
	assert_int(list.count, 0);
	const uint32_t some[] = { 4, 2 };
	assert_result(storage_mail_store_flags(env->conn, inbox, some, 2, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_SEEN, NULL, 0, NULL, NULL, &modified,
					       &modified_count, NULL), STORAGE_OK);
	assert_result(storage_mail_list_since(env->conn, inbox, base, collect_mail_uid, &list,
					      NULL), STORAGE_OK);
	assert_str(uids_str(&list, buf, sizeof(buf)), "2 4");
	list.count = 0;
	assert_result(storage_mail_list_since(env->conn, inbox, 0, collect_mail_uid, &list,
					      NULL), STORAGE_OK);
	assert_str(uids_str(&list, buf, sizeof(buf)), "1 2 3 4");
	assert_result(storage_mail_list_since(env->conn, inbox + 1000, 0, collect_mail_uid,
					      &list, NULL), STORAGE_ERR_NOTFOUND);
	assert_result(storage_mailbox_vanished_since(env->conn, inbox + 1000, 0, collect_uid,
						     &list, NULL), STORAGE_ERR_NOTFOUND);
}

static void test_expunge_deleted(void **state)
{
	struct env *env = *state;
	struct storage_user user;
	struct uid_list list = { .count = 0 };
	uint32_t *modified;
	size_t modified_count;
	char buf[64];
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 5);
	const uint32_t del[] = { 1, 3, 5 };
	assert_result(storage_mail_store_flags(env->conn, inbox, del, 3, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_DELETED, NULL, 0, NULL, NULL, &modified,
					       &modified_count, NULL), STORAGE_OK);
	int64_t base = highestmodseq(env, inbox);
	vanished(env, inbox, 0, "");

	/* UID EXPUNGE 3:4 takes 3 (4 is not \Deleted, 77 does not exist) */
	const uint32_t some[] = { 4, 77, 3 };
	assert_result(storage_mail_expunge_deleted(env->conn, inbox, some, 3, collect_uid, &list,
						   NULL), STORAGE_OK);
	assert_str(uids_str(&list, buf, sizeof(buf)), "3");
	int64_t after_first = highestmodseq(env, inbox);
	assert_int(after_first, base + 1);
	vanished(env, inbox, base, "3");
	/* nothing to expunge: no new modseq */
	list.count = 0;
	assert_result(storage_mail_expunge_deleted(env->conn, inbox, some, 3, collect_uid, &list,
						   NULL), STORAGE_OK);
	assert_int(list.count, 0);
	assert_int(highestmodseq(env, inbox), after_first);

	/* EXPUNGE: every \Deleted message */
	assert_result(storage_mail_expunge_deleted(env->conn, inbox, NULL, 0, collect_uid, &list,
						   NULL), STORAGE_OK);
	assert_str(uids_str(&list, buf, sizeof(buf)), "1 5");
	vanished(env, inbox, base, "1 3 5");
	vanished(env, inbox, after_first, "1 5");
	/* the single-message expunge is recorded too */
	int64_t before_single = highestmodseq(env, inbox);
	assert_result(storage_mail_expunge(env->conn, inbox, 2, NULL), STORAGE_OK);
	vanished(env, inbox, before_single, "2");
	vanished(env, inbox, 0, "1 2 3 5");

	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 1);
	assert_int(user.used_bytes, sql_int(env, "SELECT SUM(size) FROM mailbox_messages"));
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 1);
	assert_result(storage_mail_expunge_deleted(env->conn, inbox + 1000, NULL, 0, NULL, NULL,
						   NULL), STORAGE_ERR_NOTFOUND);
	assert_int(check(env, false), 0);

	/* renaming INBOX: its messages vanish from INBOX */
	int64_t before_rename = highestmodseq(env, inbox);
	assert_result(storage_mailbox_rename(env->conn, ids[0], "INBOX", "Old", NULL),
		      STORAGE_OK);
	vanished(env, inbox, before_rename, "4");
	assert_int(highestmodseq(env, inbox), before_rename + 1);
	/* storage_check: uidnext must stay above expunged uids, highestmodseq
	 * at or above the expunges' modseqs */
	char sql[160];
	snprintf(sql, sizeof(sql), "UPDATE mailboxes SET uidnext = 3, highestmodseq = 1 "
		 "WHERE id = %lld", (long long)inbox);
	sql_exec(env, sql);
	assert_int(check(env, false), 2);
	assert_int(check(env, true), 2);
	assert_int(check(env, false), 0);
	struct storage_mailbox_status st;
	assert_result(storage_mailbox_status(env->conn, inbox, &st, NULL), STORAGE_OK);
	assert_int(st.uidnext, 6);
	assert_int(st.highestmodseq, before_rename + 1);
	/* deleting a mailbox or user drops its records */
	assert_result(storage_user_del(env->conn, "alice@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM expunged_uids"), 0);
	assert_int(check(env, false), 0);
}

/* refcount of the physical message of uid in mailbox */
static int64_t refcount_of(struct env *env, int64_t mailbox_id, uint32_t uid)
{
	int64_t value;
	bool found;
	enum db_status status = sdb_int(env->conn,
		"SELECT m.refcount FROM messages m JOIN mailbox_messages mm ON mm.message_id = m.id "
		"WHERE mm.mailbox_id = $1 AND mm.uid = $2",
		DB_ARGS(DB_INT(mailbox_id), DB_INT(uid)), &value, &found);
	assert_int(status, DB_OK);
	return found ? value : -1;
}

static void assert_same_bytes(struct env *env, int64_t box_a, uint32_t uid_a, int64_t box_b,
			      uint32_t uid_b)
{
	unsigned char *a, *b;
	size_t size_a, size_b;
	assert_result(storage_mail_read(env->conn, box_a, uid_a, &a, &size_a, NULL), STORAGE_OK);
	assert_result(storage_mail_read(env->conn, box_b, uid_b, &b, &size_b, NULL), STORAGE_OK);
	assert_int(size_a, size_b);
	assert_memory_equal(a, b, size_a);
	free(a);
	free(b);
}

static void test_copy(void **state)
{
	struct env *env = *state;
	struct storage_mailbox archive, bob_inbox;
	struct storage_user user;
	struct storage_mail mail;
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 3);
	assert_result(storage_mail_set_flags(env->conn, inbox, 2, STORAGE_FLAG_FLAGGED, "$Keep",
					     NULL), STORAGE_OK);
	assert_result(storage_mailbox_get(env->conn, ids[0], "Archive", &archive, NULL),
		      STORAGE_OK);
	int64_t modseq = highestmodseq(env, archive.id);

	/* COPY 2,1,77: new uids in ascending order of the source uids */
	const uint32_t uids[] = { 2, 1, 77 };
	uint32_t dst[3] = { 9, 9, 9 };
	assert_result(storage_mail_copy(env->conn, inbox, uids, 3, archive.id, true, dst, NULL),
		      STORAGE_OK);
	assert_int(dst[0], 2);
	assert_int(dst[1], 1);
	assert_int(dst[2], 0);
	assert_int(refcount_of(env, inbox, 1), 2);
	assert_int(refcount_of(env, inbox, 2), 2);
	assert_int(refcount_of(env, inbox, 3), 1);
	assert_same_bytes(env, inbox, 2, archive.id, 2);
	assert_result(storage_mail_get(env->conn, archive.id, 2, &mail, NULL), STORAGE_OK);
	assert_int(mail.flags, STORAGE_FLAG_FLAGGED);
	assert_str(mail.keywords, "$Keep");
	assert_int(mail.internal_date, 1700000000);
	assert_int(mail.modseq, modseq + 1);
	assert_int(highestmodseq(env, archive.id), modseq + 1);
	assert_result(storage_mailbox_get(env->conn, ids[0], "Archive", &archive, NULL),
		      STORAGE_OK);
	assert_int(archive.uidnext, 3);
	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 5);
	assert_int(user.used_bytes, sql_int(env, "SELECT SUM(size) FROM mailbox_messages"));
	assert_int(check(env, false), 0);

	/* into the same mailbox, and into another user's (their usage grows) */
	const uint32_t three[] = { 3 };
	assert_result(storage_mail_copy(env->conn, inbox, three, 1, inbox, true, dst, NULL),
		      STORAGE_OK);
	assert_int(dst[0], 4);
	assert_same_bytes(env, inbox, 3, inbox, 4);
	assert_result(storage_mailbox_get(env->conn, ids[1], "INBOX", &bob_inbox, NULL),
		      STORAGE_OK);
	assert_result(storage_mail_copy(env->conn, inbox, three, 1, bob_inbox.id, true, dst,
					NULL), STORAGE_OK);
	assert_int(dst[0], 1);
	assert_int(refcount_of(env, inbox, 3), 3);
	assert_result(storage_user_get_by_id(env->conn, ids[1], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 1);
	assert_int(check(env, false), 0);

	/* only unknown uids: nothing happens, not even a modseq */
	const uint32_t unknown[] = { 50, 60 };
	modseq = highestmodseq(env, archive.id);
	assert_result(storage_mail_copy(env->conn, inbox, unknown, 2, archive.id, true, dst,
					NULL), STORAGE_OK);
	assert_int(dst[0], 0);
	assert_int(dst[1], 0);
	assert_int(highestmodseq(env, archive.id), modseq);

	/* NOQUOTA: nothing of the set is copied */
	assert_result(storage_user_set_quota(env->conn, "alice@example.test", 0, 7, NULL),
		      STORAGE_OK);
	int64_t rows = sql_int(env, "SELECT COUNT(*) FROM mailbox_messages");
	const uint32_t two[] = { 1, 3 };
	assert_result(storage_mail_copy(env->conn, inbox, two, 2, archive.id, true, dst, NULL),
		      STORAGE_ERR_NOQUOTA);
	assert_int(dst[0], 0);
	assert_int(dst[1], 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mailbox_messages"), rows);
	assert_int(highestmodseq(env, archive.id), modseq);
	assert_int(refcount_of(env, inbox, 1), 2);
	/* exactly up to the quota is fine; without enforcement, past it too */
	assert_result(storage_mail_copy(env->conn, inbox, three, 1, archive.id, true, dst, NULL),
		      STORAGE_OK);
	assert_result(storage_mail_copy(env->conn, inbox, three, 1, archive.id, true, dst, NULL),
		      STORAGE_ERR_NOQUOTA);
	assert_result(storage_mail_copy(env->conn, inbox, three, 1, archive.id, false, dst, NULL),
		      STORAGE_OK);
	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 8);

	/* errors */
	assert_result(storage_mail_copy(env->conn, inbox + 1000, three, 1, archive.id, false, dst,
					NULL), STORAGE_ERR_NOTFOUND);
	assert_result(storage_mail_copy(env->conn, inbox, three, 1, archive.id + 1000, false,
					dst, NULL), STORAGE_ERR_NOTFOUND);
	assert_int(check(env, false), 0);

	/* expunging every copy releases the message */
	assert_result(storage_user_del(env->conn, "alice@example.test", NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 1);
	assert_int(refcount_of(env, bob_inbox.id, 1), 1);
	assert_result(storage_mail_expunge(env->conn, bob_inbox.id, 1, NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM messages"), 0);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM mime_parts"), 0);
	assert_int(check(env, false), 0);
}

static void test_move(void **state)
{
	struct env *env = *state;
	struct storage_mailbox trash, bob_inbox;
	struct storage_user user;
	struct storage_mail mail;
	int64_t ids[3];
	add_example(env, ids);
	int64_t inbox = deliver_n(env, ids[0], 3);
	assert_result(storage_mailbox_get(env->conn, ids[0], "Trash", &trash, NULL), STORAGE_OK);
	assert_result(storage_mail_set_flags(env->conn, inbox, 3, STORAGE_FLAG_SEEN, NULL, NULL),
		      STORAGE_OK);
	int64_t src_modseq = highestmodseq(env, inbox);
	int64_t dst_modseq = highestmodseq(env, trash.id);
	/* at quota, a move between one owner's mailboxes still works */
	assert_result(storage_user_set_quota(env->conn, "alice@example.test", 0, 3, NULL),
		      STORAGE_OK);
	const uint32_t uids[] = { 3, 1, 8 };
	uint32_t dst[3];
	unsigned char *data;
	size_t size;
	assert_result(storage_mail_read(env->conn, inbox, 3, &data, &size, NULL), STORAGE_OK);
	assert_result(storage_mail_move(env->conn, inbox, uids, 3, trash.id, true, dst, NULL),
		      STORAGE_OK);
	assert_int(dst[0], 2);
	assert_int(dst[1], 1);
	assert_int(dst[2], 0);
	assert_result(storage_mail_get(env->conn, inbox, 1, &mail, NULL), STORAGE_ERR_NOTFOUND);
	assert_result(storage_mail_get(env->conn, inbox, 3, &mail, NULL), STORAGE_ERR_NOTFOUND);
	assert_result(storage_mail_get(env->conn, trash.id, 2, &mail, NULL), STORAGE_OK);
	assert_int(mail.flags, STORAGE_FLAG_SEEN);
	unsigned char *moved;
	size_t moved_size;
	assert_result(storage_mail_read(env->conn, trash.id, 2, &moved, &moved_size, NULL),
		      STORAGE_OK);
	assert_int(moved_size, size);
	assert_memory_equal(moved, data, size);
	free(moved);
	free(data);
	assert_int(refcount_of(env, trash.id, 1), 1);
	assert_int(refcount_of(env, trash.id, 2), 1);
	assert_int(highestmodseq(env, inbox), src_modseq + 1);
	assert_int(highestmodseq(env, trash.id), dst_modseq + 1);
	vanished(env, inbox, src_modseq, "1 3");
	vanished(env, trash.id, 0, "");
	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 3);
	assert_int(user.used_bytes, sql_int(env, "SELECT SUM(size) FROM mailbox_messages"));
	assert_int(check(env, false), 0);

	/* to another owner: their quota counts, and NOQUOTA moves nothing */
	assert_result(storage_mailbox_get(env->conn, ids[1], "INBOX", &bob_inbox, NULL),
		      STORAGE_OK);
	assert_result(storage_user_set_quota(env->conn, "bob@example.test", 1, 0, NULL),
		      STORAGE_OK);
	const uint32_t two[] = { 2 };
	assert_result(storage_mail_move(env->conn, inbox, two, 1, bob_inbox.id, true, dst, NULL),
		      STORAGE_ERR_NOQUOTA);
	assert_int(dst[0], 0);
	assert_result(storage_mail_get(env->conn, inbox, 2, &mail, NULL), STORAGE_OK);
	assert_result(storage_mail_move(env->conn, inbox, two, 1, bob_inbox.id, false, dst, NULL),
		      STORAGE_OK);
	assert_int(dst[0], 1);
	assert_result(storage_user_get_by_id(env->conn, ids[0], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 2);
	assert_result(storage_user_get_by_id(env->conn, ids[1], &user, NULL), STORAGE_OK);
	assert_int(user.used_messages, 1);
	/* within one mailbox: new uids */
	assert_result(storage_mail_move(env->conn, trash.id, two, 1, trash.id, true, dst, NULL),
		      STORAGE_OK);
	assert_int(dst[0], 3);
	vanished(env, trash.id, 0, "2");
	assert_int(check(env, false), 0);
	/* a mailbox with expunge records can be deleted */
	assert_result(storage_mailbox_delete(env->conn, ids[0], "Trash", NULL), STORAGE_OK);
	assert_int(check(env, false), 0);
}

/* ---- the full-text index (storage-fulltext.c) ---- */

/* The uids storage_mail_search_text reports, "1 3", unindexed ones as "u4". */
struct text_hits {
	char text[256];
};

static void text_hit_cb(uint32_t uid, bool unindexed, void *context)
{
	struct text_hits *h = context;
	size_t len = strlen(h->text);
	snprintf(h->text + len, sizeof(h->text) - len, "%s%s%u", len > 0 ? " " : "",
		 unindexed ? "u" : "", uid);
}

static void search_text(struct env *env, int64_t mailbox_id, const char *needle,
			bool body_only, enum storage_result want_result, const char *want)
{
	struct text_hits h = { "" };
	enum storage_result result = storage_mail_search_text(env->conn, mailbox_id, needle,
							      body_only, text_hit_cb, &h, NULL);
	if (result != want_result)
		fail_msg("search %s \"%s\": got %s, want %s (%s)", body_only ? "BODY" : "TEXT",
			 needle, storage_result_str(result), storage_result_str(want_result),
			 env->conn->error);
	if (strcmp(h.text, want) != 0)
		fail_msg("search %s \"%s\": got \"%s\", want \"%s\"", body_only ? "BODY" : "TEXT",
			 needle, h.text, want);
}

/* Uid 1 plain text with a binary attachment, 2 a base64 text part, 3 a
 * quoted-printable ISO-8859-1 part. */
static void deliver_text_examples(struct env *env, const int64_t *users, size_t count,
				  struct storage_delivery_rcpt *rcpts)
{
	char *plain = make_message("hello subj", "Plain Zebrafish text", "AAECAwQF");
	const char *b64 = "From: x@example.test\r\n"
			  "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"
			  "MIME-Version: 1.0\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\n"
			  "Content-Transfer-Encoding: base64\r\n"
			  "\r\n"
			  "SGlkZGVuIG9rYXBpIMOEcmdlcg0K\r\n";
	const char *qp = "From: y@example.test\r\n"
			 "Subject: qp\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=iso-8859-1\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n"
			 "\r\n"
			 "Quoted caf=E9 narwh=\r\n"
			 "al 50% \"off\"_\r\n";
	assert_result(deliver(env, plain, users, count, rcpts), STORAGE_OK);
	assert_result(deliver(env, b64, users, count, rcpts), STORAGE_OK);
	assert_result(deliver(env, qp, users, count, rcpts), STORAGE_OK);
	free(plain);
	env_index_all(env);
}

static void test_fulltext(void **state)
{
	struct env *env = *state;
	static const struct {
		const char *needle; /* folded, as imap_search_fold gives it */
		bool body_only;
		enum storage_result result;
		const char *want;
	} cases[] = {
		{ "zebrafish", true, STORAGE_OK, "1" },
		{ "okapi", true, STORAGE_OK, "2" },
		{ "\xc3\xa4rger", true, STORAGE_OK, "2" },       /* in base64, UTF-8 */
		{ "caf\xc3\xa9 narwhal", true, STORAGE_OK, "3" }, /* QP soft break, Latin-1 */
		{ "50% \"off\"_", true, STORAGE_OK, "3" },        /* match syntax quoted */
		{ "50%% \"off", true, STORAGE_OK, "" },
		{ "hello subj", true, STORAGE_OK, "" },          /* a header: not BODY */
		{ "hello subj", false, STORAGE_OK, "1" },
		{ "subject: gr\xc3\xbcsse", false, STORAGE_OK, "2" }, /* RFC 2047, ß folded */
		{ "aaecawqf", false, STORAGE_OK, "" },           /* attachment: not text */
		{ "plain zebrafish text", false, STORAGE_OK, "1" },
		{ "nothing like it", false, STORAGE_OK, "" },
		{ "zz", true, STORAGE_ERR_INVALID, "" },         /* under 3 characters */
		{ "\xc3\xa4rg", true, STORAGE_OK, "2" },         /* 3 characters, 4 bytes */
		{ "\xc3\xa4r", true, STORAGE_ERR_INVALID, "" },  /* 2 characters, 3 bytes */
	};
	int64_t ids[3];
	struct storage_delivery_rcpt rcpts[2];
	add_example(env, ids);
	deliver_text_examples(env, ids + 1, 2, rcpts);
	int64_t bob = rcpts[0].mailbox_id_r, carol = rcpts[1].mailbox_id_r;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		search_text(env, bob, cases[i].needle, cases[i].body_only, cases[i].result,
			    cases[i].want);
	search_text(env, inbox_id(env, ids[0]), "zebrafish", true, STORAGE_OK, "");
	search_text(env, 999999, "zebrafish", true, STORAGE_ERR_NOTFOUND, "");
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), 3);

	/* the row goes with the last reference only */
	assert_result(storage_mail_expunge(env->conn, bob, 2, NULL), STORAGE_OK);
	search_text(env, bob, "okapi", true, STORAGE_OK, "");
	search_text(env, carol, "okapi", true, STORAGE_OK, "2");
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), 3);
	assert_result(storage_mail_expunge(env->conn, carol, 2, NULL), STORAGE_OK);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), 2);

	/* a message without a row (stored before the index) is left to the caller */
	sql_exec(env, env->pgsql ? "DELETE FROM message_text WHERE message_id = "
				   "(SELECT MAX(message_id) FROM mailbox_messages)"
				 : "DELETE FROM message_text WHERE rowid = "
				   "(SELECT MAX(message_id) FROM mailbox_messages)");
	search_text(env, bob, "zebrafish", true, STORAGE_OK, "1 u3");
	assert_int(check(env, false), 0);
}

/* A database at version 2 (001 and 002 applied) gains the index table; a
 * second migration does nothing; delivery and search work after it. */
static void test_migrate_fulltext_from_2(void **state)
{
	struct env *env = *state;
	const char *error;
	int from, to, version;
	env_stop(env);
	if (env->pgsql) {
		struct db_conn *dbc;
		char err[256];
		assert_int(db_driver_pgsql.connect(&env->set, &dbc, err, sizeof(err)), DB_OK);
		assert_int(db_driver_pgsql.exec_script(dbc, "DROP SCHEMA IF EXISTS public CASCADE; "
							    "CREATE SCHEMA public;"), DB_OK);
		db_driver_pgsql.disconnect(&dbc);
	} else {
		const char *suffixes[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < 3; i++) {
			char file[160];
			snprintf(file, sizeof(file), "%s%s", env->path, suffixes[i]);
			unlink(file);
		}
	}
	assert_int(storage_init_nocommitter(&env->set, &env->storage, &error), 0);
	assert_int(storage_connect(env->storage, &env->conn, &error), 0);
	for (const struct schema_file *f = schema_files; f->driver != NULL; f++) {
		if (strcmp(f->driver, env->conn->db->name) == 0 && f->version <= 2)
			assert_int(env->conn->db->exec_script(env->conn->dbc, f->sql), DB_OK);
	}
	sql_exec(env, "INSERT INTO schema_version (version) VALUES (2)");
	assert_result(storage_schema_version(env->conn, &version, NULL), STORAGE_OK);
	assert_int(version, 2);
	assert_result(storage_migrate(env->conn, &from, &to, NULL), STORAGE_OK);
	assert_int(from, 2);
	assert_int(to, storage_schema_latest());
	assert_true(to >= 3);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM message_text"), 0);
	/* the 003 file run again is harmless (IF NOT EXISTS) */
	for (const struct schema_file *f = schema_files; f->driver != NULL; f++) {
		if (strcmp(f->driver, env->conn->db->name) == 0 && f->version == 3)
			assert_int(env->conn->db->exec_script(env->conn->dbc, f->sql), DB_OK);
	}
	assert_result(storage_migrate(env->conn, &from, &to, NULL), STORAGE_OK);
	assert_int(from, storage_schema_latest());

	int64_t ids[3];
	struct storage_delivery_rcpt rcpts[1];
	add_example(env, ids);
	deliver_text_examples(env, ids, 1, rcpts);
	search_text(env, rcpts[0].mailbox_id_r, "narwhal", true, STORAGE_OK, "3");
	assert_int(check(env, false), 0);
	env_stop(env);
	assert_int(env_start(env), 0);
	search_text(env, inbox_id(env, ids[0]), "okapi", true, STORAGE_OK, "2");
}

/* ---- migrations ---- */

/* A database created by the 001 migration alone, with a delivered message,
 * goes to the latest version, keeps its data and works; migrating again
 * does nothing. */
static void test_migrate_from_1(void **state)
{
	struct env *env = *state;
	const struct schema_file *first = NULL;
	const char *error;
	int from, to, version;
	env_stop(env);
	if (env->pgsql) {
		struct db_conn *dbc;
		char err[256];
		assert_int(db_driver_pgsql.connect(&env->set, &dbc, err, sizeof(err)), DB_OK);
		assert_int(db_driver_pgsql.exec_script(dbc, "DROP SCHEMA IF EXISTS public CASCADE; "
							    "CREATE SCHEMA public;"), DB_OK);
		db_driver_pgsql.disconnect(&dbc);
	} else {
		const char *suffixes[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < 3; i++) {
			char file[160];
			snprintf(file, sizeof(file), "%s%s", env->path, suffixes[i]);
			unlink(file);
		}
	}
	assert_int(storage_init_nocommitter(&env->set, &env->storage, &error), 0);
	assert_int(storage_connect(env->storage, &env->conn, &error), 0);
	for (const struct schema_file *f = schema_files; f->driver != NULL; f++) {
		if (strcmp(f->driver, env->conn->db->name) == 0 && f->version == 1)
			first = f;
	}
	assert_non_null(first);
	assert_int(env->conn->db->exec_script(env->conn->dbc, first->sql), DB_OK);
	sql_exec(env, "INSERT INTO schema_version (version) VALUES (1)");
	assert_result(storage_schema_version(env->conn, &version, NULL), STORAGE_OK);
	assert_int(version, 1);
	/* data written at version 1; today's delivery code also writes the
	 * full-text table, so it is made first (003 is IF NOT EXISTS) and its
	 * rows dropped: the message is then one stored before the index */
	for (const struct schema_file *f = schema_files; f->driver != NULL; f++) {
		if (strcmp(f->driver, env->conn->db->name) == 0 && f->version == 3)
			assert_int(env->conn->db->exec_script(env->conn->dbc, f->sql), DB_OK);
	}
	int64_t ids[3];
	add_example(env, ids);
	char *raw = make_message("old", "from version one", "T0xE");
	struct storage_delivery_rcpt rcpts[2];
	assert_result(deliver(env, raw, ids, 2, rcpts), STORAGE_OK);
	sql_exec(env, "DELETE FROM message_text");

	assert_result(storage_migrate(env->conn, &from, &to, NULL), STORAGE_OK);
	assert_int(from, 1);
	assert_int(to, storage_schema_latest());
	assert_true(to >= 2);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM schema_version"), 1);
	assert_int(sql_int(env, "SELECT COUNT(*) FROM expunged_uids"), 0);
	assert_result(storage_migrate(env->conn, &from, &to, NULL), STORAGE_OK);
	assert_int(from, storage_schema_latest());
	assert_int(to, storage_schema_latest());

	/* the old data is whole and the new table is used */
	unsigned char *data;
	size_t size;
	assert_result(storage_mail_read(env->conn, rcpts[0].mailbox_id_r, 1, &data, &size, NULL),
		      STORAGE_OK);
	assert_int(size, strlen(raw));
	free(data);
	search_text(env, rcpts[0].mailbox_id_r, "version one", true, STORAGE_OK, "u1");
	assert_result(storage_mail_expunge(env->conn, rcpts[0].mailbox_id_r, 1, NULL), STORAGE_OK);
	vanished(env, rcpts[0].mailbox_id_r, 0, "1");
	assert_int(check(env, false), 0);
	free(raw);
	/* and a full start (which insists on the latest version) accepts it */
	env_stop(env);
	assert_int(env_start(env), 0);
	assert_int(refcount_of(env, rcpts[1].mailbox_id_r, 1), 1);
}

#define STORAGE_TESTS(setup)                                                     \
	cmocka_unit_test_setup_teardown(test_schema, setup, teardown),           \
	cmocka_unit_test_setup_teardown(test_domain, setup, teardown),           \
	cmocka_unit_test_setup_teardown(test_user, setup, teardown),             \
	cmocka_unit_test_setup_teardown(test_alias, setup, teardown),            \
	cmocka_unit_test_setup_teardown(test_recipient, setup, teardown),        \
	cmocka_unit_test_setup_teardown(test_mailbox, setup, teardown),          \
	cmocka_unit_test_setup_teardown(test_rename_inbox, setup, teardown),     \
	cmocka_unit_test_setup_teardown(test_deliver_read, setup, teardown),     \
	cmocka_unit_test_setup_teardown(test_deliver_mailbox, setup, teardown),  \
	cmocka_unit_test_setup_teardown(test_single_instance, setup, teardown),  \
	cmocka_unit_test_setup_teardown(test_quota, setup, teardown),            \
	cmocka_unit_test_setup_teardown(test_deliver_many, setup, teardown),    \
	cmocka_unit_test_setup_teardown(test_deliver_invalid, setup, teardown),  \
	cmocka_unit_test_setup_teardown(test_flags, setup, teardown),            \
	cmocka_unit_test_setup_teardown(test_expunge, setup, teardown),          \
	cmocka_unit_test_setup_teardown(test_delete_releases, setup, teardown),  \
	cmocka_unit_test_setup_teardown(test_check_repair, setup, teardown),     \
	cmocka_unit_test_setup_teardown(test_stats, setup, teardown),            \
	cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),     \
	cmocka_unit_test_setup_teardown(test_group_commit_isolation, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_deinit_drains, setup, teardown),    \
	cmocka_unit_test_setup_teardown(test_sqlite_driver, setup, teardown),    \
	cmocka_unit_test_setup_teardown(test_subscribe, setup, teardown),        \
	cmocka_unit_test_setup_teardown(test_status, setup, teardown),           \
	cmocka_unit_test_setup_teardown(test_mail_get, setup, teardown),         \
	cmocka_unit_test_setup_teardown(test_header_values, setup, teardown),    \
	cmocka_unit_test_setup_teardown(test_store_flags, setup, teardown),      \
	cmocka_unit_test_setup_teardown(test_list_since, setup, teardown),       \
	cmocka_unit_test_setup_teardown(test_expunge_deleted, setup, teardown),  \
	cmocka_unit_test_setup_teardown(test_copy, setup, teardown),             \
	cmocka_unit_test_setup_teardown(test_move, setup, teardown),             \
	cmocka_unit_test_setup_teardown(test_migrate_from_1, setup, teardown),   \
	cmocka_unit_test_setup_teardown(test_fulltext, setup, teardown),         \
	cmocka_unit_test_setup_teardown(test_migrate_fulltext_from_2, setup, teardown)

int main(void)
{
	const struct CMUnitTest plain_tests[] = {
		cmocka_unit_test(test_result_str),
		cmocka_unit_test(test_address_normalize),
		cmocka_unit_test(test_init_errors),
	};
	const struct CMUnitTest sqlite_tests[] = { STORAGE_TESTS(setup_sqlite) };
	const struct CMUnitTest pgsql_tests[] = { STORAGE_TESTS(setup_pgsql) };
	int failed;

	mime_init();
	failed = cmocka_run_group_tests_name("storage", plain_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("storage on sqlite", sqlite_tests, NULL, NULL);
	const char *uri = getenv("TANDEM_TEST_PGSQL_URI");
	if (uri != NULL && uri[0] != '\0')
		failed += cmocka_run_group_tests_name("storage on pgsql", pgsql_tests, NULL, NULL);
	else
		print_message("storage on pgsql: skipped (TANDEM_TEST_PGSQL_URI is not set)\n");
	mime_deinit();
	return failed == 0 ? 0 : 1;
}
