/* sieve-run.c - sieve_execute(): walks a checked script over one message.
 * Control (if/elsif/else, stop), the tests (address, envelope, header,
 * exists, size, allof, anyof, not, true, false, body, hasflag) and the
 * actions (keep, discard, fileinto, redirect, reject, ereject, vacation,
 * setflag/addflag/removeflag) with the implicit keep of RFC 5228 4.2:
 * cancelled by fileinto, redirect, discard, reject and keep itself (which
 * carries the flags of its moment), not by :copy. reject/ereject together
 * with keep, fileinto or redirect, a second vacation, and the caps on
 * actions and redirects are runtime errors.
 * Never does I/O and never changes the script: all state lives in the
 * result and in this file's per-call struct run.
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct run {
	const struct sieve_message *msg;
	struct sieve_result *result;
	struct sieve_msg_cache cache;
	bool vacation_done;
	bool stop;
	uint64_t work; /* value bytes x keys compared so far (SIEVE_WORK_MAX) */
};

static int run_fail(struct run *r, const struct sieve_node *n, const char *what)
{
	snprintf(r->result->error, SIEVE_ERROR_MAX, "line %u: %.200s", n->line, what);
	return -1;
}

/* ---- flags (imap4flags) ---- */

/* A flag as IMAP wants it, or NULL when it is not a valid flag. */
static char *flag_normalise(const char *s, size_t len)
{
	static const char *const system[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					      "\\Draft" };
	if (len == 0)
		return NULL;
	if (s[0] == '\\') {
		for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
			if (strlen(system[i]) == len && strncasecmp(system[i], s, len) == 0)
				return xstrdup(system[i]);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return NULL;
	}
	return xstrndup(s, len);
}

static bool flags_have(char **flags, size_t n, const char *flag)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(flags[i], flag) == 0)
			return true;
	return false;
}

/* The flags of a string list (each string space-separated flags), added
 * to the counted array. */
static void flags_add_list(char ***flags, size_t *n, const struct sieve_strlist *list)
{
	size_t cap = *n;
	for (size_t i = 0; i < list->count; i++) {
		const char *p = list->s[i];
		while (*p != '\0') {
			size_t len = strcspn(p, " ");
			char *flag = flag_normalise(p, len);
			if (flag != NULL && !flags_have(*flags, *n, flag) && *n < SIEVE_FLAGS_MAX)
				*XARRAY_PUSH(*flags, *n, cap) = flag;
			else
				free(flag);
			p += len;
			while (*p == ' ')
				p++;
		}
	}
}

static void flags_remove_list(char **flags, size_t *n, const struct sieve_strlist *list)
{
	char **gone = NULL;
	size_t gone_n = 0;
	flags_add_list(&gone, &gone_n, list);
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++) {
		if (flags_have(gone, gone_n, flags[i]))
			free(flags[i]);
		else
			flags[kept++] = flags[i];
	}
	*n = kept;
	sieve_strv_free(gone, gone_n);
}

/* NULL-ended copy of the flags a keep or fileinto stores with. */
static char **action_flags(struct run *r, const struct sieve_node *n)
{
	if (!n->opt.has_flags)
		return sieve_flags_copy(r->result->flags_var, r->result->flags_var_count);
	char **flags = NULL;
	size_t count = 0;
	flags_add_list(&flags, &count, n->opt.flags);
	char **out = sieve_flags_copy(flags, count);
	sieve_strv_free(flags, count);
	return out;
}

/* ---- tests ---- */

static char *envelope_address(const char *s)
{
	if (s == NULL)
		return xstrdup("");
	while (*s == ' ' || *s == '<')
		s++;
	size_t len = strlen(s);
	while (len > 0 && (s[len - 1] == '>' || s[len - 1] == ' '))
		len--;
	return xstrndup(s, len);
}

/* Charge the comparison of values with keys to the work budget, then
 * match: 1, 0, or -1 when the budget is spent. */
static int match_charged(struct run *r, const struct sieve_node *n, const char *const *values,
			 size_t count, const struct sieve_strlist *keys)
{
	r->work += sieve_match_cost(values, count, keys);
	if (r->work > SIEVE_WORK_MAX)
		return run_fail(r, n, "too much matching work for this message");
	return sieve_match_values(&n->opt, values, count, keys) ? 1 : 0;
}

static int test_addresses(struct run *r, const struct sieve_node *n)
{
	char **values = NULL;
	size_t count = 0, cap = 0;
	const struct sieve_strlist *names = n->opt.pos[0];
	for (size_t i = 0; i < names->count; i++) {
		char **addrs = NULL;
		size_t na = 0, ca = 0;
		if (n->id == SIEVE_TEST_ENVELOPE) {
			bool from = strcasecmp(names->s[i], "from") == 0;
			char *a = envelope_address(from ? r->msg->envelope_from : r->msg->envelope_to);
			if (a[0] == '\0' && from) { /* the null sender is "" whatever the part */
				*XARRAY_PUSH(values, count, cap) = a;
				continue;
			}
			*XARRAY_PUSH(addrs, na, ca) = a;
		} else {
			char **raw = NULL;
			size_t nr = 0, cr = 0;
			sieve_msg_header_values(&r->cache, names->s[i], false, &raw, &nr, &cr);
			for (size_t k = 0; k < nr; k++)
				sieve_address_parse_list(raw[k], &addrs, &na, &ca);
			sieve_strv_free(raw, nr);
		}
		for (size_t k = 0; k < na; k++) {
			char *part = sieve_address_part(addrs[k], n->opt.part);
			if (part != NULL)
				*XARRAY_PUSH(values, count, cap) = part;
		}
		sieve_strv_free(addrs, na);
	}
	int m = match_charged(r, n, (const char *const *)values, count, n->opt.pos[1]);
	sieve_strv_free(values, count);
	return m;
}

static int test_strings(struct run *r, const struct sieve_node *n)
{
	char **values = NULL;
	size_t count = 0, cap = 0;
	const struct sieve_strlist *keys = n->opt.pos[0];
	if (n->id == SIEVE_TEST_BODY) { /* borrowed from the cache */
		const char **parts = NULL;
		sieve_msg_body_values(&r->cache, &n->opt, &parts, &count, &cap);
		int m = match_charged(r, n, parts, count, keys);
		free(parts);
		return m;
	}
	if (n->id == SIEVE_TEST_HEADER) {
		for (size_t i = 0; i < n->opt.pos[0]->count; i++)
			sieve_msg_header_values(&r->cache, n->opt.pos[0]->s[i], true, &values, &count,
						&cap);
		keys = n->opt.pos[1];
	} else { /* hasflag */
		for (size_t i = 0; i < r->result->flags_var_count; i++)
			*XARRAY_PUSH(values, count, cap) = xstrdup(r->result->flags_var[i]);
	}
	int m = match_charged(r, n, (const char *const *)values, count, keys);
	sieve_strv_free(values, count);
	return m;
}

/* 1 true, 0 false, -1 runtime error */
static int test_eval(struct run *r, const struct sieve_node *n)
{
	switch (n->id) {
	case SIEVE_TEST_ADDRESS:
	case SIEVE_TEST_ENVELOPE:
		return test_addresses(r, n);
	case SIEVE_TEST_HEADER:
	case SIEVE_TEST_BODY:
	case SIEVE_TEST_HASFLAG:
		return test_strings(r, n);
	case SIEVE_TEST_EXISTS:
		for (size_t i = 0; i < n->opt.pos[0]->count; i++)
			if (!sieve_msg_header_exists(&r->cache, n->opt.pos[0]->s[i]))
				return 0;
		return 1;
	case SIEVE_TEST_SIZE:
		return n->opt.over ? r->msg->size > n->opt.size : r->msg->size < n->opt.size;
	case SIEVE_TEST_ALLOF:
	case SIEVE_TEST_ANYOF: {
		int want = n->id == SIEVE_TEST_ANYOF; /* the value that decides */
		for (size_t i = 0; i < n->test_count; i++) {
			int t = test_eval(r, &n->tests[i]);
			if (t < 0 || t == want)
				return t;
		}
		return !want;
	}
	case SIEVE_TEST_NOT: {
		int t = test_eval(r, &n->tests[0]);
		return t < 0 ? t : !t;
	}
	case SIEVE_TEST_TRUE:
		return 1;
	default:
		return 0;
	}
}

/* ---- actions ---- */

static int deliver_action(struct run *r, const struct sieve_node *n)
{
	if (r->result->rejected)
		return run_fail(r, n, "reject cannot be combined with keep, fileinto or redirect");
	struct sieve_action a;
	memset(&a, 0, sizeof(a));
	if (n->id == SIEVE_CMD_KEEP) {
		a.kind = SIEVE_ACTION_KEEP;
		a.flags = action_flags(r, n);
	} else if (n->id == SIEVE_CMD_FILEINTO) {
		a.kind = SIEVE_ACTION_FILEINTO;
		a.mailbox = xstrdup(n->opt.pos[0]->s[0]);
		a.create = n->opt.create;
		a.flags = action_flags(r, n);
	} else {
		a.kind = SIEVE_ACTION_REDIRECT;
		a.address = xstrdup(n->opt.pos[0]->s[0]); /* checked at compile time */
	}
	r->result->delivered = true;
	if (!n->opt.copy)
		r->result->implicit_keep = false;
	if (sieve_result_add(r->result, &a) < 0) {
		char what[SIEVE_ERROR_MAX];
		snprintf(what, sizeof(what), "%s", r->result->error);
		return run_fail(r, n, what);
	}
	return 0;
}

static int action_exec(struct run *r, const struct sieve_node *n)
{
	struct sieve_action a;
	memset(&a, 0, sizeof(a));
	switch (n->id) {
	case SIEVE_CMD_KEEP:
	case SIEVE_CMD_FILEINTO:
	case SIEVE_CMD_REDIRECT:
		return deliver_action(r, n);
	case SIEVE_CMD_DISCARD:
		r->result->implicit_keep = false;
		return 0;
	case SIEVE_CMD_STOP:
		r->stop = true;
		r->result->stopped = true;
		return 0;
	case SIEVE_CMD_REJECT:
	case SIEVE_CMD_EREJECT:
		if (r->result->delivered)
			return run_fail(r, n, "reject cannot be combined with keep, fileinto or redirect");
		if (r->result->responded)
			return run_fail(r, n, "reject cannot be combined with vacation");
		if (r->result->rejected)
			return run_fail(r, n, "reject or ereject used twice");
		r->result->rejected = true;
		r->result->implicit_keep = false;
		a.kind = SIEVE_ACTION_REJECT;
		a.reason = xstrdup(n->opt.pos[0]->s[0]);
		a.ereject = n->id == SIEVE_CMD_EREJECT;
		break;
	case SIEVE_CMD_VACATION:
		if (r->vacation_done)
			return run_fail(r, n, "vacation used twice");
		if (r->result->rejected)
			return run_fail(r, n, "reject cannot be combined with vacation");
		r->vacation_done = true;
		r->result->responded = true;
		if (sieve_vacation_build(&n->opt, n->opt.pos[0]->s[0], &r->cache, &a) == 0)
			return 0;
		break;
	case SIEVE_CMD_SETFLAG:
		sieve_strv_free(r->result->flags_var, r->result->flags_var_count);
		r->result->flags_var = NULL;
		r->result->flags_var_count = 0;
		/* fall through */
	case SIEVE_CMD_ADDFLAG:
		flags_add_list(&r->result->flags_var, &r->result->flags_var_count, n->opt.pos[0]);
		return 0;
	case SIEVE_CMD_REMOVEFLAG:
		flags_remove_list(r->result->flags_var, &r->result->flags_var_count, n->opt.pos[0]);
		return 0;
	default:
		return 0;
	}
	if (sieve_result_add(r->result, &a) < 0) {
		char what[SIEVE_ERROR_MAX];
		snprintf(what, sizeof(what), "%s", r->result->error);
		return run_fail(r, n, what);
	}
	return 0;
}

static int block_exec(struct run *r, const struct sieve_node *nodes, size_t count)
{
	bool taken = false; /* a branch of the current if chain ran */
	for (size_t i = 0; i < count && !r->stop; i++) {
		const struct sieve_node *n = &nodes[i];
		bool run_block = false;
		switch (n->id) {
		case SIEVE_CMD_REQUIRE:
			continue;
		case SIEVE_CMD_IF:
		case SIEVE_CMD_ELSIF: {
			if (n->id == SIEVE_CMD_ELSIF && taken)
				break;
			int t = test_eval(r, &n->tests[0]);
			if (t < 0)
				return -1;
			taken = run_block = t == 1;
			break;
		}
		case SIEVE_CMD_ELSE:
			run_block = !taken;
			taken = true;
			break;
		default:
			if (action_exec(r, n) < 0)
				return -1;
			continue;
		}
		if (run_block && block_exec(r, n->block, n->block_count) < 0)
			return -1;
	}
	return 0;
}

int sieve_execute(const struct sieve_script *script, const struct sieve_message *msg,
		  struct sieve_result *result)
{
	if (result->stopped)
		return 0;
	struct run r;
	memset(&r, 0, sizeof(r));
	r.msg = msg;
	r.result = result;
	sieve_msg_cache_init(&r.cache, msg);
	/* the imap4flags internal variable starts empty in every script */
	sieve_strv_free(result->flags_var, result->flags_var_count);
	result->flags_var = NULL;
	result->flags_var_count = 0;
	int ret = block_exec(&r, script->commands, script->count);
	sieve_msg_cache_free(&r.cache);
	return ret;
}
