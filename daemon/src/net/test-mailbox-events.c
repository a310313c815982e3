/* test-mailbox-events.c - unit tests for mailbox-events.c: a script of
 * \Recent claims with the boundary each must return, and change
 * notifications reaching exactly the watches of the changed mailbox on
 * their own worker (workers without threads: their queued calls are run
 * here with net_worker_run_pending), merged while pending, never to the
 * excepted watch, never after unwatch; changed_all reaches every watch
 * once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox-events.h"
#include "worker.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

enum recent_op { CLAIM, PEEK };

static const struct {
	enum recent_op op;
	int64_t mailbox_id;
	uint32_t uidnext;
	uint32_t want;
} recent_steps[] = {
	{ PEEK, 7, 0, 0 },    /* never seen: every message is recent */
	{ CLAIM, 7, 5, 0 },   /* the first SELECT gets uids 1-4 */
	{ CLAIM, 7, 5, 5 },   /* the second gets none */
	{ PEEK, 7, 0, 5 },
	{ CLAIM, 9, 3, 0 },   /* another mailbox is separate */
	{ CLAIM, 7, 8, 5 },   /* 5-7 arrived: claimed once */
	{ CLAIM, 7, 6, 8 },   /* an older uidnext never lowers the boundary */
	{ PEEK, 7, 0, 8 },
	{ CLAIM, 3, 2, 0 },   /* inserted before the others */
	{ PEEK, 9, 0, 3 },
	{ PEEK, 3, 0, 2 },
};

static void test_recent_script(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(recent_steps); i++) {
		uint32_t got = recent_steps[i].op == CLAIM ?
			       mailbox_events_claim_recent(recent_steps[i].mailbox_id,
							   recent_steps[i].uidnext) :
			       mailbox_events_recent_boundary(recent_steps[i].mailbox_id);
		if (got != recent_steps[i].want)
			fail_msg("step %zu (mailbox %lld): got boundary %u, want %u", i,
				 (long long)recent_steps[i].mailbox_id, got, recent_steps[i].want);
	}
}

struct counter {
	unsigned calls;
	struct mailbox_watch **unwatch_self; /* set: the callback unwatches */
};

static void count_cb(void *context)
{
	struct counter *c = context;
	c->calls++;
	if (c->unwatch_self != NULL)
		mailbox_events_unwatch(c->unwatch_self);
}

static void run_all(struct net_worker *a, struct net_worker *b)
{
	net_worker_run_pending(a);
	net_worker_run_pending(b);
}

static void want_calls(const char *step, const struct counter *c, const unsigned *want,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].calls != want[i])
			fail_msg("%s: watch %zu: got %u calls, want %u", step, i, c[i].calls,
				 want[i]);
}

static void test_notify(void **state)
{
	(void)state;
	/* no threads: stopped workers keep their calls for run_pending */
	struct net_worker *a = net_worker_create(0, NULL);
	struct net_worker *b = net_worker_create(1, NULL);
	net_worker_stop(a, NULL, NULL);
	net_worker_stop(b, NULL, NULL);

	struct counter c[4] = { { 0, NULL } };
	struct mailbox_watch *w[4];
	w[0] = mailbox_events_watch(100, a, count_cb, &c[0]);
	w[1] = mailbox_events_watch(100, b, count_cb, &c[1]);
	w[2] = mailbox_events_watch(200, a, count_cb, &c[2]);
	w[3] = mailbox_events_watch(100, a, count_cb, &c[3]);

	mailbox_events_changed(100);
	run_all(a, b);
	want_calls("one change", c, (const unsigned[]){ 1, 1, 0, 1 }, 4);

	mailbox_events_changed(100);
	mailbox_events_changed(100); /* merged with the first while pending */
	run_all(a, b);
	want_calls("two changes in a burst", c, (const unsigned[]){ 2, 2, 0, 2 }, 4);

	mailbox_events_changed_except(100, w[0]);
	run_all(a, b);
	want_calls("except watch 0", c, (const unsigned[]){ 2, 3, 0, 3 }, 4);

	mailbox_events_changed(200);
	mailbox_events_changed(300); /* nobody watches it */
	run_all(a, b);
	want_calls("mailbox 200", c, (const unsigned[]){ 2, 3, 1, 3 }, 4);

	/* notices lost (the PostgreSQL listener reconnected): every watch once */
	mailbox_events_changed(200);
	mailbox_events_changed_all(); /* merged with 200's pending call */
	run_all(a, b);
	want_calls("changed_all", c, (const unsigned[]){ 3, 4, 2, 4 }, 4);

	/* unwatched while a call is queued: it never runs */
	mailbox_events_changed(100);
	mailbox_events_unwatch(&w[3]);
	assert_null(w[3]);
	c[0].unwatch_self = &w[0]; /* and one that unwatches itself in its callback */
	run_all(a, b);
	want_calls("after unwatch", c, (const unsigned[]){ 4, 5, 2, 4 }, 4);
	assert_null(w[0]);
	mailbox_events_changed(100);
	run_all(a, b);
	want_calls("gone", c, (const unsigned[]){ 4, 6, 2, 4 }, 4);

	mailbox_events_unwatch(&w[1]);
	mailbox_events_unwatch(&w[2]);
	mailbox_events_unwatch(&w[2]); /* NULL is fine */
	net_worker_free(&a);
	net_worker_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recent_script),
		cmocka_unit_test(test_notify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
