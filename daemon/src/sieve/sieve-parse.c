/* sieve-parse.c - the grammar of RFC 5228 section 8.2 over sieve-lex.c's
 * tokens: commands with arguments (tags, numbers, string lists), a test or
 * a test list, and a block or ';'. Builds the tree of sieve-private.h;
 * what the names mean is sieve-check.c's job.
 * Never recurses deeper than SIEVE_NESTING_MAX, never keeps more than
 * SIEVE_LIST_MAX strings in a list, SIEVE_ARGS_MAX arguments or
 * SIEVE_TESTS_MAX tests in one node; frees everything it built on error.
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct sieve_lexer lx;
	struct sieve_token tok; /* the current token */
	char *error;
};

static int parse_fail(struct parser *ps, unsigned line, const char *what)
{
	snprintf(ps->error, SIEVE_ERROR_MAX, "line %u: %.200s", line, what);
	return -1;
}

static int advance(struct parser *ps)
{
	sieve_token_clear(&ps->tok);
	return sieve_lex_next(&ps->lx, &ps->tok, ps->error);
}

static int expected(struct parser *ps, const char *what)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "expected %s, got %s", what, sieve_token_name(ps->tok.kind));
	return parse_fail(ps, ps->tok.line, msg);
}

void sieve_strv_free(char **v, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
}

void sieve_strlist_free(struct sieve_strlist *l)
{
	sieve_strv_free(l->s, l->count);
	l->s = NULL;
	l->count = 0;
}

static void node_clear(struct sieve_node *n)
{
	free(n->name);
	for (size_t i = 0; i < n->arg_count; i++) {
		free(n->args[i].tag);
		sieve_strlist_free(&n->args[i].list);
	}
	free(n->args);
	sieve_nodes_free(n->tests, n->test_count);
	sieve_nodes_free(n->block, n->block_count);
	for (size_t i = 0; i < n->opt.regex_count; i++)
		regfree(&n->opt.regex[i]);
	free(n->opt.regex);
}

void sieve_nodes_free(struct sieve_node *nodes, size_t count)
{
	for (size_t i = 0; i < count; i++)
		node_clear(&nodes[i]);
	free(nodes);
}

/* The current STRING token taken into list. */
static void take_string(struct parser *ps, struct sieve_strlist *list, size_t *cap)
{
	*XARRAY_PUSH(list->s, list->count, *cap) = ps->tok.str;
	ps->tok.str = NULL;
}

static int parse_string_list(struct parser *ps, struct sieve_arg *arg)
{
	size_t cap = 0;
	arg->kind = SIEVE_ARG_LIST;
	if (advance(ps) < 0) /* past '[' */
		return -1;
	for (;;) {
		if (ps->tok.kind != SIEVE_TOK_STRING)
			return expected(ps, "a string in the list");
		if (arg->list.count >= SIEVE_LIST_MAX)
			return parse_fail(ps, ps->tok.line, "string list too long");
		take_string(ps, &arg->list, &cap);
		if (advance(ps) < 0)
			return -1;
		if (ps->tok.kind == SIEVE_TOK_RBRACKET)
			return advance(ps);
		if (ps->tok.kind != SIEVE_TOK_COMMA)
			return expected(ps, "',' or ']'");
		if (advance(ps) < 0)
			return -1;
	}
}

static int parse_test(struct parser *ps, struct sieve_node *node, unsigned depth);

/* arguments = *argument [ test / test-list ] */
static int parse_arguments(struct parser *ps, struct sieve_node *node, unsigned depth)
{
	size_t arg_cap = 0;
	for (;;) {
		enum sieve_token_kind k = ps->tok.kind;
		if (k != SIEVE_TOK_TAG && k != SIEVE_TOK_NUMBER && k != SIEVE_TOK_STRING &&
		    k != SIEVE_TOK_LBRACKET)
			break;
		if (node->arg_count >= SIEVE_ARGS_MAX)
			return parse_fail(ps, ps->tok.line, "too many arguments");
		struct sieve_arg *arg = XARRAY_PUSH(node->args, node->arg_count, arg_cap);
		memset(arg, 0, sizeof(*arg));
		arg->line = ps->tok.line;
		if (k == SIEVE_TOK_LBRACKET) {
			if (parse_string_list(ps, arg) < 0)
				return -1;
			continue;
		}
		if (k == SIEVE_TOK_TAG) {
			arg->kind = SIEVE_ARG_TAG;
			arg->tag = ps->tok.str;
			ps->tok.str = NULL;
		} else if (k == SIEVE_TOK_NUMBER) {
			arg->kind = SIEVE_ARG_NUMBER;
			arg->number = ps->tok.number;
		} else {
			size_t cap = 0;
			arg->kind = SIEVE_ARG_STRING;
			take_string(ps, &arg->list, &cap);
		}
		if (advance(ps) < 0)
			return -1;
	}
	size_t test_cap = 0;
	if (ps->tok.kind == SIEVE_TOK_IDENT) {
		node->tests = xcalloc(1, sizeof(*node->tests));
		node->test_count = 1;
		return parse_test(ps, &node->tests[0], depth + 1);
	}
	if (ps->tok.kind != SIEVE_TOK_LPAREN)
		return 0;
	node->test_list = true;
	if (advance(ps) < 0)
		return -1;
	for (;;) {
		if (ps->tok.kind != SIEVE_TOK_IDENT)
			return expected(ps, "a test");
		if (node->test_count >= SIEVE_TESTS_MAX)
			return parse_fail(ps, ps->tok.line, "too many tests in the list");
		struct sieve_node *t = XARRAY_PUSH(node->tests, node->test_count, test_cap);
		memset(t, 0, sizeof(*t));
		if (parse_test(ps, t, depth + 1) < 0)
			return -1;
		if (ps->tok.kind == SIEVE_TOK_RPAREN)
			return advance(ps);
		if (ps->tok.kind != SIEVE_TOK_COMMA)
			return expected(ps, "',' or ')'");
		if (advance(ps) < 0)
			return -1;
	}
}

/* The current token is the test's identifier. */
static int parse_test(struct parser *ps, struct sieve_node *node, unsigned depth)
{
	if (depth > SIEVE_NESTING_MAX)
		return parse_fail(ps, ps->tok.line, "nested too deeply");
	node->name = ps->tok.str;
	ps->tok.str = NULL;
	node->line = ps->tok.line;
	if (advance(ps) < 0)
		return -1;
	return parse_arguments(ps, node, depth);
}

static int parse_commands(struct parser *ps, struct sieve_node **nodes, size_t *count,
			  unsigned depth, bool in_block);

/* The current token is the command's identifier. */
static int parse_command(struct parser *ps, struct sieve_node *node, unsigned depth)
{
	node->name = ps->tok.str;
	ps->tok.str = NULL;
	node->line = ps->tok.line;
	if (advance(ps) < 0)
		return -1;
	if (parse_arguments(ps, node, depth) < 0)
		return -1;
	if (ps->tok.kind == SIEVE_TOK_SEMICOLON)
		return advance(ps);
	if (ps->tok.kind != SIEVE_TOK_LBRACE)
		return expected(ps, "';' or '{'");
	if (depth + 1 > SIEVE_NESTING_MAX)
		return parse_fail(ps, ps->tok.line, "nested too deeply");
	node->has_block = true;
	if (advance(ps) < 0)
		return -1;
	if (parse_commands(ps, &node->block, &node->block_count, depth + 1, true) < 0)
		return -1;
	return advance(ps); /* past '}' */
}

static int parse_commands(struct parser *ps, struct sieve_node **nodes, size_t *count,
			  unsigned depth, bool in_block)
{
	size_t cap = 0;
	for (;;) {
		if (ps->tok.kind == SIEVE_TOK_RBRACE && in_block)
			return 0;
		if (ps->tok.kind == SIEVE_TOK_EOF) {
			if (in_block)
				return parse_fail(ps, ps->tok.line, "missing '}' at end of script");
			return 0;
		}
		if (ps->tok.kind != SIEVE_TOK_IDENT)
			return expected(ps, "a command");
		struct sieve_node *n = XARRAY_PUSH(*nodes, *count, cap);
		memset(n, 0, sizeof(*n));
		if (parse_command(ps, n, depth) < 0)
			return -1;
	}
}

int sieve_parse(const char *text, size_t len, struct sieve_node **commands_r, size_t *count_r,
		char error[SIEVE_ERROR_MAX])
{
	struct parser ps;
	memset(&ps, 0, sizeof(ps));
	ps.error = error;
	sieve_lexer_init(&ps.lx, text, len);
	struct sieve_node *nodes = NULL;
	size_t count = 0;
	int ret = sieve_lex_next(&ps.lx, &ps.tok, error);
	if (ret == 0)
		ret = parse_commands(&ps, &nodes, &count, 0, false);
	sieve_token_clear(&ps.tok);
	if (ret < 0) {
		sieve_nodes_free(nodes, count);
		return -1;
	}
	*commands_r = nodes;
	*count_r = count;
	return 0;
}
