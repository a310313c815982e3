/* sieve-check.c - what a parsed script means, checked before it is ever
 * run: every command and test known, every extension required (at the
 * top, before anything else) before use, arguments of the right shape per
 * RFC (tags known, none twice, match types and comparators compatible,
 * relations valid, envelope parts known), elsif/else only after if, and
 * :regex patterns compiled (POSIX extended) so a bad one is a compile
 * error. Fills node->id and node->opt for sieve-run.c.
 * Never accepts a script it could not run; every error names its line.
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum arg_shape { SHAPE_NONE, SHAPE_STRING, SHAPE_LIST, SHAPE_NUMBER };

/* tag groups: at most one tag of a group per node */
enum {
	G_MATCH = 1 << 0, G_CMP = 1 << 1, G_ADDR = 1 << 2, G_BODY = 1 << 3, G_SIZE = 1 << 4,
	G_COPY = 1 << 5, G_CREATE = 1 << 6, G_FLAGS = 1 << 7, G_DAYS = 1 << 8,
	G_SUBJECT = 1 << 9, G_FROM = 1 << 10, G_ADDRESSES = 1 << 11, G_MIME = 1 << 12,
	G_HANDLE = 1 << 13,
};
#define G_VACATION (G_DAYS | G_SUBJECT | G_FROM | G_ADDRESSES | G_MIME | G_HANDLE)

static const struct tag_spec {
	const char *name;
	unsigned group;
	unsigned ext; /* extension that must be required, or 0 */
	enum arg_shape arg;
} tags[] = {
	{ "is", G_MATCH, 0, SHAPE_NONE },
	{ "contains", G_MATCH, 0, SHAPE_NONE },
	{ "matches", G_MATCH, 0, SHAPE_NONE },
	{ "regex", G_MATCH, SIEVE_EXT_REGEX, SHAPE_NONE },
	{ "count", G_MATCH, SIEVE_EXT_RELATIONAL, SHAPE_STRING },
	{ "value", G_MATCH, SIEVE_EXT_RELATIONAL, SHAPE_STRING },
	{ "comparator", G_CMP, 0, SHAPE_STRING },
	{ "all", G_ADDR, 0, SHAPE_NONE },
	{ "localpart", G_ADDR, 0, SHAPE_NONE },
	{ "domain", G_ADDR, 0, SHAPE_NONE },
	{ "user", G_ADDR, SIEVE_EXT_SUBADDRESS, SHAPE_NONE },
	{ "detail", G_ADDR, SIEVE_EXT_SUBADDRESS, SHAPE_NONE },
	{ "raw", G_BODY, SIEVE_EXT_BODY, SHAPE_NONE },
	{ "text", G_BODY, SIEVE_EXT_BODY, SHAPE_NONE },
	{ "content", G_BODY, SIEVE_EXT_BODY, SHAPE_LIST },
	{ "over", G_SIZE, 0, SHAPE_NUMBER },
	{ "under", G_SIZE, 0, SHAPE_NUMBER },
	{ "copy", G_COPY, SIEVE_EXT_COPY, SHAPE_NONE },
	{ "create", G_CREATE, SIEVE_EXT_MAILBOX, SHAPE_NONE },
	{ "flags", G_FLAGS, SIEVE_EXT_IMAP4FLAGS, SHAPE_LIST },
	{ "days", G_DAYS, 0, SHAPE_NUMBER },
	{ "subject", G_SUBJECT, 0, SHAPE_STRING },
	{ "from", G_FROM, 0, SHAPE_STRING },
	{ "addresses", G_ADDRESSES, 0, SHAPE_LIST },
	{ "mime", G_MIME, 0, SHAPE_NONE },
	{ "handle", G_HANDLE, 0, SHAPE_STRING },
};

enum test_shape { TESTS_NONE, TESTS_ONE, TESTS_LIST };

static const struct cmd_spec {
	const char *name;
	enum sieve_id id;
	bool is_test;
	unsigned ext;
	unsigned groups;
	enum arg_shape pos[2];
	enum test_shape tests;
	bool block;
} cmds[] = {
	{ "require", SIEVE_CMD_REQUIRE, false, 0, 0, { SHAPE_LIST }, TESTS_NONE, false },
	{ "if", SIEVE_CMD_IF, false, 0, 0, { 0 }, TESTS_ONE, true },
	{ "elsif", SIEVE_CMD_ELSIF, false, 0, 0, { 0 }, TESTS_ONE, true },
	{ "else", SIEVE_CMD_ELSE, false, 0, 0, { 0 }, TESTS_NONE, true },
	{ "stop", SIEVE_CMD_STOP, false, 0, 0, { 0 }, TESTS_NONE, false },
	{ "keep", SIEVE_CMD_KEEP, false, 0, G_FLAGS, { 0 }, TESTS_NONE, false },
	{ "discard", SIEVE_CMD_DISCARD, false, 0, 0, { 0 }, TESTS_NONE, false },
	{ "fileinto", SIEVE_CMD_FILEINTO, false, SIEVE_EXT_FILEINTO, G_COPY | G_CREATE | G_FLAGS,
	  { SHAPE_STRING }, TESTS_NONE, false },
	{ "redirect", SIEVE_CMD_REDIRECT, false, 0, G_COPY, { SHAPE_STRING }, TESTS_NONE, false },
	{ "reject", SIEVE_CMD_REJECT, false, SIEVE_EXT_REJECT, 0, { SHAPE_STRING }, TESTS_NONE,
	  false },
	{ "ereject", SIEVE_CMD_EREJECT, false, SIEVE_EXT_EREJECT, 0, { SHAPE_STRING }, TESTS_NONE,
	  false },
	{ "vacation", SIEVE_CMD_VACATION, false, SIEVE_EXT_VACATION, G_VACATION, { SHAPE_STRING },
	  TESTS_NONE, false },
	{ "setflag", SIEVE_CMD_SETFLAG, false, SIEVE_EXT_IMAP4FLAGS, 0, { SHAPE_LIST }, TESTS_NONE,
	  false },
	{ "addflag", SIEVE_CMD_ADDFLAG, false, SIEVE_EXT_IMAP4FLAGS, 0, { SHAPE_LIST }, TESTS_NONE,
	  false },
	{ "removeflag", SIEVE_CMD_REMOVEFLAG, false, SIEVE_EXT_IMAP4FLAGS, 0, { SHAPE_LIST },
	  TESTS_NONE, false },
	{ "address", SIEVE_TEST_ADDRESS, true, 0, G_CMP | G_MATCH | G_ADDR,
	  { SHAPE_LIST, SHAPE_LIST }, TESTS_NONE, false },
	{ "envelope", SIEVE_TEST_ENVELOPE, true, SIEVE_EXT_ENVELOPE, G_CMP | G_MATCH | G_ADDR,
	  { SHAPE_LIST, SHAPE_LIST }, TESTS_NONE, false },
	{ "header", SIEVE_TEST_HEADER, true, 0, G_CMP | G_MATCH, { SHAPE_LIST, SHAPE_LIST },
	  TESTS_NONE, false },
	{ "exists", SIEVE_TEST_EXISTS, true, 0, 0, { SHAPE_LIST }, TESTS_NONE, false },
	{ "size", SIEVE_TEST_SIZE, true, 0, G_SIZE, { 0 }, TESTS_NONE, false },
	{ "allof", SIEVE_TEST_ALLOF, true, 0, 0, { 0 }, TESTS_LIST, false },
	{ "anyof", SIEVE_TEST_ANYOF, true, 0, 0, { 0 }, TESTS_LIST, false },
	{ "not", SIEVE_TEST_NOT, true, 0, 0, { 0 }, TESTS_ONE, false },
	{ "true", SIEVE_TEST_TRUE, true, 0, 0, { 0 }, TESTS_NONE, false },
	{ "false", SIEVE_TEST_FALSE, true, 0, 0, { 0 }, TESTS_NONE, false },
	{ "body", SIEVE_TEST_BODY, true, SIEVE_EXT_BODY, G_CMP | G_MATCH | G_BODY, { SHAPE_LIST },
	  TESTS_NONE, false },
	{ "hasflag", SIEVE_TEST_HASFLAG, true, SIEVE_EXT_IMAP4FLAGS, G_CMP | G_MATCH,
	  { SHAPE_LIST }, TESTS_NONE, false },
};

static int check_fail(char error[SIEVE_ERROR_MAX], unsigned line, const char *fmt, const char *a,
		      const char *b)
{
	char what[SIEVE_ERROR_MAX];
	snprintf(what, sizeof(what), fmt, a, b);
	snprintf(error, SIEVE_ERROR_MAX, "line %u: %.200s", line, what);
	return -1;
}

static int do_require(struct sieve_script *script, const struct sieve_node *n,
		      char error[SIEVE_ERROR_MAX])
{
	const struct sieve_strlist *l = &n->args[0].list;
	for (size_t i = 0; i < l->count; i++) {
		unsigned bit;
		if (sieve_extension_bit(l->s[i], &bit) < 0)
			return check_fail(error, n->line, "unsupported extension %.80s", l->s[i], "");
		script->extensions |= bit;
	}
	return 0;
}

static int need_ext(const struct sieve_script *script, unsigned ext, unsigned line,
		    const char *what, char error[SIEVE_ERROR_MAX])
{
	if (ext == 0 || (script->extensions & ext) != 0)
		return 0;
	return check_fail(error, line, "%s needs require \"%s\"", what, sieve_extension_name(ext));
}

static int parse_relation(const char *s, enum sieve_relation *rel_r)
{
	static const char *const names[] = { "gt", "ge", "lt", "le", "eq", "ne" };
	for (size_t i = 0; i < 6; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*rel_r = (enum sieve_relation)i;
			return 0;
		}
	}
	return -1;
}

static int apply_tag(const struct sieve_script *script, struct sieve_node *n,
		     const struct tag_spec *t, const struct sieve_arg *value,
		     char error[SIEVE_ERROR_MAX])
{
	struct sieve_opts *o = &n->opt;
	const char *name = t->name;
	const char *s = value != NULL && value->list.count > 0 ? value->list.s[0] : NULL;
	if (strcmp(name, "is") == 0) o->match = SIEVE_MATCH_IS;
	else if (strcmp(name, "contains") == 0) o->match = SIEVE_MATCH_CONTAINS;
	else if (strcmp(name, "matches") == 0) o->match = SIEVE_MATCH_MATCHES;
	else if (strcmp(name, "regex") == 0) o->match = SIEVE_MATCH_REGEX;
	else if (strcmp(name, "count") == 0 || strcmp(name, "value") == 0) {
		o->match = name[0] == 'c' ? SIEVE_MATCH_COUNT : SIEVE_MATCH_VALUE;
		if (parse_relation(s, &o->rel) < 0)
			return check_fail(error, value->line,
					  "unknown relational operator \"%.40s\" (gt ge lt le eq ne)",
					  s, "");
	} else if (strcmp(name, "comparator") == 0) {
		if (strcasecmp(s, "i;octet") == 0)
			o->cmp = SIEVE_CMP_OCTET;
		else if (strcasecmp(s, "i;ascii-casemap") == 0)
			o->cmp = SIEVE_CMP_CASEMAP;
		else if (strcasecmp(s, "i;ascii-numeric") == 0) {
			o->cmp = SIEVE_CMP_NUMERIC;
			if (need_ext(script, SIEVE_EXT_NUMERIC, value->line, "i;ascii-numeric",
				     error) < 0)
				return -1;
		} else
			return check_fail(error, value->line, "unknown comparator \"%.60s\"", s, "");
	} else if (strcmp(name, "all") == 0) o->part = SIEVE_PART_ALL;
	else if (strcmp(name, "localpart") == 0) o->part = SIEVE_PART_LOCALPART;
	else if (strcmp(name, "domain") == 0) o->part = SIEVE_PART_DOMAIN;
	else if (strcmp(name, "user") == 0) o->part = SIEVE_PART_USER;
	else if (strcmp(name, "detail") == 0) o->part = SIEVE_PART_DETAIL;
	else if (strcmp(name, "raw") == 0) o->transform = SIEVE_BODY_RAW;
	else if (strcmp(name, "text") == 0) o->transform = SIEVE_BODY_TEXT;
	else if (strcmp(name, "content") == 0) {
		o->transform = SIEVE_BODY_CONTENT;
		o->content_types = &value->list;
	} else if (strcmp(name, "over") == 0 || strcmp(name, "under") == 0) {
		o->over = name[0] == 'o';
		o->size = value->number;
	} else if (strcmp(name, "copy") == 0) o->copy = true;
	else if (strcmp(name, "create") == 0) o->create = true;
	else if (strcmp(name, "flags") == 0) {
		o->flags = &value->list;
		o->has_flags = true;
	} else if (strcmp(name, "days") == 0) {
		o->days = value->number;
		o->has_days = true;
	}
	else if (strcmp(name, "subject") == 0) o->subject = s;
	else if (strcmp(name, "from") == 0) o->from = s;
	else if (strcmp(name, "addresses") == 0) o->addresses = &value->list;
	else if (strcmp(name, "mime") == 0) o->mime = true;
	else if (strcmp(name, "handle") == 0) o->handle = s;
	return 0;
}

static const enum arg_shape shape_of[] = {
	[SIEVE_ARG_TAG] = SHAPE_NONE, [SIEVE_ARG_NUMBER] = SHAPE_NUMBER,
	[SIEVE_ARG_STRING] = SHAPE_STRING, [SIEVE_ARG_LIST] = SHAPE_LIST,
};

static bool shape_fits(enum arg_shape want, const struct sieve_arg *arg)
{
	enum arg_shape got = shape_of[arg->kind];
	return got == want || (want == SHAPE_LIST && got == SHAPE_STRING);
}

static const char *shape_name(enum arg_shape s)
{
	return s == SHAPE_STRING ? "a string" : s == SHAPE_LIST ? "a string list" : "a number";
}

static int compile_regexes(struct sieve_node *n, const struct sieve_strlist *keys,
			   char error[SIEVE_ERROR_MAX])
{
	int flags = REG_EXTENDED | REG_NOSUB | (n->opt.cmp == SIEVE_CMP_CASEMAP ? REG_ICASE : 0);
	n->opt.regex = xcalloc(keys->count > 0 ? keys->count : 1, sizeof(regex_t));
	for (size_t i = 0; i < keys->count; i++) {
		int rc = regcomp(&n->opt.regex[i], keys->s[i], flags);
		if (rc != 0) {
			char msg[128];
			regerror(rc, &n->opt.regex[i], msg, sizeof(msg));
			return check_fail(error, n->line, "bad regex \"%.60s\": %s", keys->s[i], msg);
		}
		n->opt.regex_count++;
	}
	return 0;
}

/* Meaning of one node's arguments and the combinations that are wrong. */
static int check_args(const struct sieve_script *script, struct sieve_node *n,
		      const struct cmd_spec *spec, char error[SIEVE_ERROR_MAX])
{
	unsigned seen = 0;
	size_t npos = 0;
	for (size_t i = 0; i < n->arg_count; i++) {
		struct sieve_arg *a = &n->args[i];
		if (a->kind != SIEVE_ARG_TAG) {
			if (npos == 1 && spec->ext == SIEVE_EXT_IMAP4FLAGS)
				return check_fail(error, a->line,
						  "%s with a variable name needs \"variables\", "
						  "which is not supported", n->name, "");
			if (npos >= 2 || spec->pos[npos] == SHAPE_NONE)
				return check_fail(error, a->line, "too many arguments for %s", n->name,
						  "");
			if (!shape_fits(spec->pos[npos], a))
				return check_fail(error, a->line, "%s expects %s here", n->name,
						  shape_name(spec->pos[npos]));
			n->opt.pos[npos++] = &a->list;
			continue;
		}
		if (npos > 0)
			return check_fail(error, a->line, "tag :%.40s after positional arguments",
					  a->tag, "");
		const struct tag_spec *t = NULL;
		for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]) && t == NULL; k++)
			if (strcmp(tags[k].name, a->tag) == 0 && (tags[k].group & spec->groups))
				t = &tags[k];
		if (t == NULL)
			return check_fail(error, a->line, "unknown tag :%.40s for %s", a->tag, n->name);
		char what[64];
		snprintf(what, sizeof(what), ":%s", t->name);
		if (need_ext(script, t->ext, a->line, what, error) < 0)
			return -1;
		if (seen & t->group)
			return check_fail(error, a->line,
					  t->group == G_MATCH ? "more than one match type (:%s)"
					  : t->group == G_ADDR ? "more than one address part (:%s)"
							       : "duplicate or conflicting tag :%s",
					  t->name, "");
		seen |= t->group;
		const struct sieve_arg *value = NULL;
		if (t->arg != SHAPE_NONE) {
			if (i + 1 >= n->arg_count || !shape_fits(t->arg, &n->args[i + 1]))
				return check_fail(error, a->line, ":%s needs %s", t->name,
						  shape_name(t->arg));
			value = &n->args[++i];
		}
		if (apply_tag(script, n, t, value, error) < 0)
			return -1;
	}
	if (npos < 2 && spec->pos[npos] != SHAPE_NONE)
		return check_fail(error, n->line, "%s needs %s", n->name, shape_name(spec->pos[npos]));
	if (spec->id == SIEVE_TEST_SIZE && !(seen & G_SIZE))
		return check_fail(error, n->line, "size needs :over or :under", "", "");
	struct sieve_opts *o = &n->opt;
	if (o->cmp == SIEVE_CMP_NUMERIC &&
	    (o->match == SIEVE_MATCH_CONTAINS || o->match == SIEVE_MATCH_MATCHES ||
	     o->match == SIEVE_MATCH_REGEX))
		return check_fail(error, n->line, "comparator i;ascii-numeric cannot do %s",
				  o->match == SIEVE_MATCH_CONTAINS ? ":contains"
				  : o->match == SIEVE_MATCH_MATCHES ? ":matches" : ":regex", "");
	if (spec->id == SIEVE_TEST_ENVELOPE) {
		const struct sieve_strlist *parts = o->pos[0];
		for (size_t i = 0; i < parts->count; i++)
			if (strcasecmp(parts->s[i], "from") != 0 && strcasecmp(parts->s[i], "to") != 0)
				return check_fail(error, n->line, "unsupported envelope part \"%.40s\"",
						  parts->s[i], "");
	}
	if (spec->id == SIEVE_CMD_FILEINTO && o->pos[0]->s[0][0] == '\0')
		return check_fail(error, n->line, "fileinto needs a mailbox name", "", "");
	if (spec->id == SIEVE_CMD_REDIRECT && !sieve_address_valid(o->pos[0]->s[0]))
		return check_fail(error, n->line, "redirect needs an address like user@domain, "
				  "not \"%.60s\"", o->pos[0]->s[0], "");
	if (o->match == SIEVE_MATCH_REGEX)
		return compile_regexes(n, spec->id == SIEVE_TEST_BODY || spec->id == SIEVE_TEST_HASFLAG
						  ? o->pos[0] : o->pos[1], error);
	return 0;
}

static int check_nodes(struct sieve_script *script, struct sieve_node *nodes, size_t count,
		       bool is_test, bool top, char error[SIEVE_ERROR_MAX]);

static int check_node(struct sieve_script *script, struct sieve_node *n, bool is_test,
		      char error[SIEVE_ERROR_MAX])
{
	const struct cmd_spec *spec = NULL;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && spec == NULL; i++)
		if (strcmp(cmds[i].name, n->name) == 0)
			spec = &cmds[i];
	if (spec == NULL || spec->is_test != is_test)
		return check_fail(error, n->line, "unknown %s %.60s", is_test ? "test" : "command",
				  n->name);
	n->id = spec->id;
	if (need_ext(script, spec->ext, n->line, n->name, error) < 0)
		return -1;
	if (check_args(script, n, spec, error) < 0)
		return -1;
	if (spec->tests == TESTS_NONE && n->test_count > 0)
		return check_fail(error, n->line, "%s takes no test", n->name, "");
	if (spec->tests == TESTS_ONE && (n->test_count != 1 || n->test_list))
		return check_fail(error, n->line, "%s needs one test", n->name, "");
	if (spec->tests == TESTS_LIST && (!n->test_list || n->test_count == 0))
		return check_fail(error, n->line, "%s needs a list of tests in ( )", n->name, "");
	if (spec->block && !n->has_block)
		return check_fail(error, n->line, "%s needs a block { }", n->name, "");
	if (!spec->block && n->has_block)
		return check_fail(error, n->line, "%s takes no block", n->name, "");
	if (check_nodes(script, n->tests, n->test_count, true, false, error) < 0)
		return -1;
	return check_nodes(script, n->block, n->block_count, false, false, error);
}

static int check_nodes(struct sieve_script *script, struct sieve_node *nodes, size_t count,
		       bool is_test, bool top, char error[SIEVE_ERROR_MAX])
{
	bool requires_allowed = top;
	enum sieve_id prev = SIEVE_ID_UNKNOWN;
	for (size_t i = 0; i < count; i++) {
		struct sieve_node *n = &nodes[i];
		if (!is_test && strcmp(n->name, "require") == 0) {
			if (!requires_allowed)
				return check_fail(error, n->line,
						  "require must come before any other command", "", "");
			if (check_node(script, n, false, error) < 0 || do_require(script, n, error) < 0)
				return -1;
			prev = SIEVE_CMD_REQUIRE;
			continue;
		}
		if (requires_allowed && (script->extensions & SIEVE_EXT_ENCODED))
			for (size_t k = i; k < count; k++)
				sieve_encoded_decode_node(&nodes[k]);
		requires_allowed = false;
		if (!is_test && (strcmp(n->name, "elsif") == 0 || strcmp(n->name, "else") == 0) &&
		    prev != SIEVE_CMD_IF && prev != SIEVE_CMD_ELSIF)
			return check_fail(error, n->line, "%s without if before it", n->name, "");
		if (check_node(script, n, is_test, error) < 0)
			return -1;
		prev = n->id;
	}
	return 0;
}

int sieve_check(struct sieve_script *script, char error[SIEVE_ERROR_MAX])
{
	return check_nodes(script, script->commands, script->count, false, true, error);
}
