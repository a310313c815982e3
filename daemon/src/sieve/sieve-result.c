/* sieve-result.c - the list of actions one or more scripts produce: append
 * with duplicates merged (keep with keep, fileinto of the same mailbox,
 * redirect to the same address; their flags united), the caps on actions
 * and redirects, the implicit keep added by sieve_result_finish, and
 * freeing it all.
 * Never decides what an action means for delivery (the caller does) and
 * never drops the implicit keep because of a cap.
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sieve_result_init(struct sieve_result *result)
{
	memset(result, 0, sizeof(*result));
	result->implicit_keep = true;
}

static size_t flags_count(char *const *flags)
{
	size_t n = 0;
	while (flags != NULL && flags[n] != NULL)
		n++;
	return n;
}

char **sieve_flags_copy(char *const *flags, size_t count)
{
	char **out = xcalloc(count + 1, sizeof(*out));
	for (size_t i = 0; i < count; i++)
		out[i] = xstrdup(flags[i]);
	return out;
}

static void flags_free(char ***flags)
{
	for (size_t i = 0; *flags != NULL && (*flags)[i] != NULL; i++)
		free((*flags)[i]);
	free(*flags);
	*flags = NULL;
}

/* into gets every flag of from it lacks (from is freed). */
static void flags_merge(char ***into, char ***from)
{
	size_t n = flags_count(*into), m = flags_count(*from);
	if (m > 0) {
		*into = xrealloc(*into, (n + m + 1) * sizeof(**into));
		for (size_t i = 0; i < m; i++) {
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strcasecmp((*into)[k], (*from)[i]) == 0;
			if (dup) {
				free((*from)[i]);
			} else {
				(*into)[n++] = (*from)[i];
			}
		}
		(*into)[n] = NULL;
		free(*from);
		*from = NULL;
	}
	flags_free(from);
}

void sieve_action_clear(struct sieve_action *a)
{
	flags_free(&a->flags);
	free(a->mailbox);
	free(a->address);
	free(a->reason);
	free(a->vacation_to);
	free(a->vacation_from);
	free(a->vacation_subject);
	free(a->vacation_body);
	free(a->vacation_handle);
	free(a->in_reply_to);
	memset(a, 0, sizeof(*a));
}

static struct sieve_action *find_same(struct sieve_result *result, const struct sieve_action *a)
{
	for (size_t i = 0; i < result->count; i++) {
		struct sieve_action *o = &result->actions[i];
		if (o->kind != a->kind)
			continue;
		if (a->kind == SIEVE_ACTION_KEEP ||
		    (a->kind == SIEVE_ACTION_FILEINTO && strcmp(o->mailbox, a->mailbox) == 0) ||
		    (a->kind == SIEVE_ACTION_REDIRECT && strcasecmp(o->address, a->address) == 0))
			return o;
	}
	return NULL;
}

static int add(struct sieve_result *result, struct sieve_action *a, bool forced)
{
	if (a->kind == SIEVE_ACTION_FILEINTO && strcasecmp(a->mailbox, "INBOX") == 0) {
		free(a->mailbox); /* fileinto "INBOX" is keep: one copy, not two */
		a->mailbox = NULL;
		a->create = false;
		a->kind = SIEVE_ACTION_KEEP;
	}
	struct sieve_action *same = find_same(result, a);
	if (same != NULL) {
		flags_merge(&same->flags, &a->flags);
		same->create = same->create || a->create;
		sieve_action_clear(a);
		return 0;
	}
	if (!forced && result->count >= SIEVE_ACTIONS_MAX) {
		snprintf(result->error, SIEVE_ERROR_MAX, "more than %d actions", SIEVE_ACTIONS_MAX);
		sieve_action_clear(a);
		return -1;
	}
	if (a->kind == SIEVE_ACTION_REDIRECT && result->redirects >= SIEVE_REDIRECTS_MAX) {
		snprintf(result->error, SIEVE_ERROR_MAX, "more than %d redirects",
			 SIEVE_REDIRECTS_MAX);
		sieve_action_clear(a);
		return -1;
	}
	if (a->kind == SIEVE_ACTION_REDIRECT)
		result->redirects++;
	*XARRAY_PUSH(result->actions, result->count, result->cap) = *a;
	memset(a, 0, sizeof(*a));
	return 0;
}

int sieve_result_add(struct sieve_result *result, struct sieve_action *action)
{
	return add(result, action, false);
}

void sieve_result_finish(struct sieve_result *result)
{
	if (!result->implicit_keep)
		return;
	struct sieve_action keep;
	memset(&keep, 0, sizeof(keep));
	keep.kind = SIEVE_ACTION_KEEP;
	keep.flags = sieve_flags_copy(result->flags_var, result->flags_var_count);
	(void)add(result, &keep, true);
}

void sieve_result_free(struct sieve_result *result)
{
	for (size_t i = 0; i < result->count; i++)
		sieve_action_clear(&result->actions[i]);
	free(result->actions);
	sieve_strv_free(result->flags_var, result->flags_var_count);
	memset(result, 0, sizeof(*result));
}
