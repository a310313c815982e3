/* test-storage-headers.c - unit tests of storage_mail_header_fields (the
 * cached header fields of many messages in one query, for SORT and
 * THREAD), on a temporary SQLite file and, when TANDEM_TEST_PGSQL_URI names
 * a scratch database, on PostgreSQL:
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"
#include "buf.h"

/* What the callback saw, as "uid:field=value" items joined by "; ". */
static void field_cb(uint32_t uid, int field, const char *value, void *context)
{
	struct buf *out = context;
	if (out->len > 0)
		buf_append_str(out, "; ");
	buf_printf(out, "%u:%d=%s", uid, field, value == NULL ? "(none)" : value);
}

static const char *const messages[] = {
	/* uid 1 */
	"Subject: first\r\nFrom: a@example.test\r\nReferences: <r1@x>\r\n"
	"Received: by x\r\nReferences: <r2@x>\r\n\r\nbody\r\n",
	/* uid 2: none of the fields asked below but Received */
	"X-Other: 1\r\n\r\nno fields\r\n",
	/* uid 3 (expunged below) */
	"Subject: third\r\n\r\nbody\r\n",
	/* uid 4: folded value, odd case */
	"sUbJeCt: fourth\r\n  continued\r\nFROM: =?utf-8?q?D=C3=A9j=C3=A0?= <d@example.test>\r\n"
	"\r\nbody\r\n",
};

static void test_header_fields(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	int64_t box = 0;
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		box = env_deliver(env, messages[i], user, NULL);
	assert_result(storage_mail_expunge(env->conn, box, 3, NULL), STORAGE_OK);

	static const char *const sort_names[] = { "subject", "FROM" };
	static const char *const thread_names[] = { "References", "Subject" };
	static const char *const one[] = { "Subject" };
	static const struct {
		const char *const *names;
		size_t count;
		uint32_t lo, hi;
		const char *want;
	} cases[] = {
		{ sort_names, 2, 1, 4,
		  "1:0=first; 1:1=a@example.test; 2:-1=(none); "
		  "4:0=fourth  continued; 4:1==?utf-8?q?D=C3=A9j=C3=A0?= <d@example.test>" },
		{ thread_names, 2, 1, 1, "1:1=first; 1:0=<r1@x>; 1:0=<r2@x>" },
		{ one, 1, 2, 4, "2:-1=(none); 4:0=fourth  continued" },
		{ one, 1, 3, 3, "" },                 /* expunged: not reported */
		{ one, 1, 5, 100, "" },               /* no such uids */
		{ one, 1, 4, 1, "" },                 /* empty range */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;
		buf_init(&out);
		buf_append(&out, "", 0);
		assert_result(storage_mail_header_fields(env->conn, box, cases[i].lo, cases[i].hi,
							 cases[i].names, cases[i].count, field_cb,
							 &out, NULL), STORAGE_OK);
		buf_append_byte(&out, '\0');
		if (strcmp((const char *)out.data, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, (const char *)out.data,
				 cases[i].want);
		buf_free(&out);
	}
}

/* Bad input and a missing mailbox. */
static void test_header_fields_errors(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	int64_t box = env_deliver(env, messages[0], user, NULL);
	char longname[STORAGE_HEADER_NAME_MAX + 2];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	const char *too_many[STORAGE_HEADER_FIELDS_MAX + 1];
	for (size_t i = 0; i <= STORAGE_HEADER_FIELDS_MAX; i++)
		too_many[i] = "Subject";
	const char *bad_colon[] = { "Subject:" };
	const char *bad_space[] = { "Sub ject" };
	const char *bad_long[] = { longname };
	const char *empty[] = { "" };
	const char *ok[] = { "Subject" };
	static const struct {
		int64_t box; /* 0: the user's */
		int which;
		size_t count;
		enum storage_result want;
	} cases[] = {
		{ 0, 0, STORAGE_HEADER_FIELDS_MAX + 1, STORAGE_ERR_INVALID },
		{ 0, 0, 0, STORAGE_ERR_INVALID },
		{ 0, 1, 1, STORAGE_ERR_INVALID },
		{ 0, 2, 1, STORAGE_ERR_INVALID },
		{ 0, 3, 1, STORAGE_ERR_INVALID },
		{ 0, 4, 1, STORAGE_ERR_INVALID },
		{ 999999, 5, 1, STORAGE_ERR_NOTFOUND },
		{ 0, 5, 1, STORAGE_OK },
	};
	const char *const *lists[] = { too_many, bad_colon, bad_space, bad_long, empty, ok };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;
		buf_init(&out);
		enum storage_result got = storage_mail_header_fields(
			env->conn, cases[i].box == 0 ? box : cases[i].box, 1, 10,
			lists[cases[i].which], cases[i].count, field_cb, &out, NULL);
		if (got != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i, storage_result_str(got),
				 storage_result_str(cases[i].want));
		buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_header_fields_errors),
	};
	return env_run_tests("header fields", tests);
}
