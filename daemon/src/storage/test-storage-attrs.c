/* test-storage-attrs.c - unit tests of storage_mail_attrs (internal date,
 * size and modseq of a uid range in one query, for IMAP commands whose
 * session view keeps only uids and flags), on a temporary SQLite file and,
 * when TANDEM_TEST_PGSQL_URI names a scratch database, on PostgreSQL:
 *   export TANDEM_TEST_PGSQL_URI=$(tests/helpers/pgsql-start.sh /tmp/pg)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-storage-env.h"
#include "buf.h"

/* What a callback saw, as "uid:date/size/modseq" items joined by "; ". */
static void attrs_cb(const struct storage_mail_attrs *a, void *context)
{
	struct buf *out = context;
	if (out->len > 0)
		buf_append_str(out, "; ");
	buf_printf(out, "%u:%lld/%lld/%lld", a->uid, (long long)a->internal_date,
		   (long long)a->size, (long long)a->modseq);
}

/* The same items as storage_mail_list sees them (the reference). */
struct list_want {
	struct buf out;
	uint32_t lo, hi;
};

static void list_cb(const struct storage_mail *mail, void *context)
{
	struct list_want *w = context;
	if (mail->uid < w->lo || mail->uid > w->hi)
		return;
	struct storage_mail_attrs a = { mail->uid, mail->internal_date, mail->size, mail->modseq };
	attrs_cb(&a, &w->out);
}

static const char *const messages[] = {
	"Subject: one\r\n\r\nbody\r\n",
	"Subject: two\r\n\r\na longer body than the first one\r\n",
	"Subject: three\r\n\r\nexpunged below\r\n",
	"Subject: four\r\n\r\nx\r\n",
};

static void test_attrs(void **state)
{
	struct env *env = *state;
	int64_t user = env_add_user(env, "bob@example.test");
	int64_t box = 0;
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		box = env_deliver(env, messages[i], user, NULL);
	assert_result(storage_mail_expunge(env->conn, box, 3, NULL), STORAGE_OK);
	const uint32_t two[] = { 2 };
	uint32_t *modified = NULL;
	size_t modified_count = 0;
	assert_result(storage_mail_store_flags(env->conn, box, two, 1, STORAGE_FLAGS_ADD,
					       STORAGE_FLAG_SEEN, NULL, 0, NULL, NULL, &modified,
					       &modified_count, NULL), STORAGE_OK);
	free(modified);

	static const struct {
		uint32_t lo, hi;
		const char *uids; /* the uids reported */
	} cases[] = {
		{ 1, 4, "1 2 4" },
		{ 1, UINT32_MAX, "1 2 4" },
		{ 2, 2, "2" },
		{ 3, 3, "" },   /* expunged */
		{ 5, 100, "" }, /* no such uids */
		{ 4, 1, "" },   /* empty range */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf got;
		struct list_want want = { .lo = cases[i].lo, .hi = cases[i].hi };
		buf_init(&got);
		buf_init(&want.out);
		buf_append(&got, "", 0);
		buf_append(&want.out, "", 0);
		assert_result(storage_mail_attrs(env->conn, box, cases[i].lo, cases[i].hi,
						 attrs_cb, &got, NULL), STORAGE_OK);
		assert_result(storage_mail_list(env->conn, box, list_cb, &want, NULL), STORAGE_OK);
		buf_append_byte(&got, '\0');
		buf_append_byte(&want.out, '\0');
		if (strcmp((const char *)got.data, (const char *)want.out.data) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, (const char *)got.data,
				 (const char *)want.out.data);
		/* the uids alone, so the reference cannot be wrong the same way */
		char uids[64] = "";
		size_t len = 0;
		for (const char *p = (const char *)got.data; *p != '\0';) {
			size_t n = strcspn(p, ":");
			len += (size_t)snprintf(uids + len, sizeof(uids) - len, "%s%.*s",
						len > 0 ? " " : "", (int)n, p);
			p = strstr(p, "; ");
			if (p == NULL)
				break;
			p += 2;
		}
		if (strcmp(uids, cases[i].uids) != 0)
			fail_msg("case %zu uids: got \"%s\", want \"%s\"", i, uids, cases[i].uids);
		buf_free(&got);
		buf_free(&want.out);
	}

	/* the STORE gave uid 2 a newer modseq than uid 1's; sizes differ */
	struct buf got;
	buf_init(&got);
	assert_result(storage_mail_attrs(env->conn, box, 1, 2, attrs_cb, &got, NULL), STORAGE_OK);
	buf_append_byte(&got, '\0');
	long long d1, s1, m1, d2, s2, m2;
	if (sscanf((const char *)got.data, "1:%lld/%lld/%lld; 2:%lld/%lld/%lld", &d1, &s1, &m1,
		   &d2, &s2, &m2) != 6)
		fail_msg("got \"%s\", want two items", (const char *)got.data);
	if (!(m2 > m1) || !(s2 > s1) || d1 <= 0)
		fail_msg("got \"%s\", want modseq and size of 2 above 1's, a date", (const char *)got.data);
	buf_free(&got);
}

static void test_attrs_missing_mailbox(void **state)
{
	struct env *env = *state;
	struct buf got;
	buf_init(&got);
	assert_result(storage_mail_attrs(env->conn, 999999, 1, 10, attrs_cb, &got, NULL),
		      STORAGE_ERR_NOTFOUND);
	assert_int(got.len, 0);
	buf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attrs),
		cmocka_unit_test(test_attrs_missing_mailbox),
	};
	return env_run_tests("mail attrs", tests);
}
