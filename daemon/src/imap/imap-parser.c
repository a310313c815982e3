/* imap-parser.c - IMAP command syntax: literal framing, the argument tree of
 * one command, sequence sets (see imap-parser.h).
 *
 * Pure code: never does I/O, never logs, never allocates more than a
 * multiple of its input bounded by the limits, never reads past len.
 */
#include "imap-parser.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A literal announcement has at most this many digits (2^64 > 10^19). */
#define IMAP_LITERAL_DIGITS_MAX 19

void imap_parser_limits_default(struct imap_parser_limits *limits_r)
{
	limits_r->max_depth = IMAP_PARSER_DEPTH_MAX;
	limits_r->max_args = IMAP_PARSER_ARGS_MAX;
	limits_r->max_literal = 64 * 1024;
}

bool imap_parser_line_literal(const unsigned char *line, size_t len, uint64_t *size_r,
			      bool *nonsync_r, bool *bad_r)
{
	*bad_r = false;
	*size_r = 0;
	*nonsync_r = false;
	/* quoted strings never span lines: find whether the end is quoted */
	bool quoted = false;
	for (size_t i = 0; i < len; i++) {
		if (quoted) {
			if (line[i] == '\\' && i + 1 < len)
				i++;
			else if (line[i] == '"')
				quoted = false;
		} else if (line[i] == '"') {
			quoted = true;
		}
	}
	if (quoted || len == 0 || line[len - 1] != '}')
		return false;
	size_t end = len - 1;
	if (end > 0 && line[end - 1] == '+') {
		*nonsync_r = true;
		end--;
	}
	size_t start = end;
	while (start > 0 && isdigit(line[start - 1]))
		start--;
	if (start == 0 || line[start - 1] != '{')
		return false; /* a '}' that announces nothing: the parser judges */
	size_t digits = end - start;
	if (digits == 0 || digits > IMAP_LITERAL_DIGITS_MAX) {
		*bad_r = true;
		return false;
	}
	uint64_t n = 0;
	for (size_t i = start; i < end; i++)
		n = n * 10 + (uint64_t)(line[i] - '0');
	*size_r = n;
	return true;
}

struct imap_parser {
	const unsigned char *data;
	size_t len, pos;
	const struct imap_parser_limits *limits;
	unsigned args;
	const char *error;
};

static bool imap_is_atom_char(unsigned char c)
{
	/* ATOM-CHAR plus the list wildcards, '\' (flags) and ']' (astring) */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

static int imap_parser_fail(struct imap_parser *p, const char *error)
{
	if (p->error == NULL)
		p->error = error;
	return -1;
}

static char *imap_copy(const unsigned char *data, size_t len)
{
	char *s = xmalloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

static void imap_args_free(struct imap_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(args[i].str);
		imap_args_free(args[i].list, args[i].list_count);
	}
	free(args);
}

/* The fetch attributes whose '[' opens a section that may hold spaces. */
static bool imap_atom_takes_section(const unsigned char *atom, size_t len)
{
	static const char *const names[] = {
		"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp((const char *)atom, names[i], len) == 0)
			return true;
	return false;
}

static int imap_parse_atom(struct imap_parser *p, struct imap_arg *arg)
{
	size_t start = p->pos;
	while (p->pos < p->len && imap_is_atom_char(p->data[p->pos])) {
		if (p->data[p->pos] == '[' &&
		    imap_atom_takes_section(p->data + start, p->pos - start)) {
			/* section: anything printable up to ']', parens balanced */
			unsigned depth = 0;
			p->pos++;
			for (;;) {
				if (p->pos >= p->len)
					return imap_parser_fail(p, "unterminated section '['");
				unsigned char c = p->data[p->pos];
				if (c < 0x20 || c >= 0x7f)
					return imap_parser_fail(p, "bad character in section");
				if (c == '(' && ++depth > p->limits->max_depth)
					return imap_parser_fail(p, "section nested too deep");
				if (c == ')' && depth-- == 0)
					return imap_parser_fail(p, "unbalanced ')' in section");
				p->pos++;
				if (c == ']' && depth == 0)
					break;
			}
			continue;
		}
		p->pos++;
	}
	if (p->pos == start)
		return imap_parser_fail(p, "expected an argument");
	if (p->pos < p->len && p->data[p->pos] >= 0x80)
		return imap_parser_fail(p, "8-bit characters in an atom");
	arg->type = IMAP_ARG_ATOM;
	arg->len = p->pos - start;
	arg->str = imap_copy(p->data + start, arg->len);
	if (arg->len == 3 && strcasecmp(arg->str, "NIL") == 0)
		arg->type = IMAP_ARG_NIL;
	return 0;
}

static int imap_parse_quoted(struct imap_parser *p, struct imap_arg *arg)
{
	p->pos++; /* '"' */
	char *out = xmalloc(p->len - p->pos + 1);
	size_t n = 0;
	for (;;) {
		if (p->pos >= p->len) {
			free(out);
			return imap_parser_fail(p, "unterminated quoted string");
		}
		unsigned char c = p->data[p->pos++];
		if (c == '"')
			break;
		if (c == '\0' || c == '\r' || c == '\n') {
			free(out);
			return imap_parser_fail(p, "NUL, CR or LF in a quoted string");
		}
		if (c == '\\') {
			if (p->pos >= p->len ||
			    (p->data[p->pos] != '\\' && p->data[p->pos] != '"')) {
				free(out);
				return imap_parser_fail(p, "bad escape in a quoted string");
			}
			c = p->data[p->pos++];
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	arg->type = IMAP_ARG_QUOTED;
	arg->str = out;
	arg->len = n;
	return 0;
}

static int imap_parse_literal(struct imap_parser *p, struct imap_arg *arg)
{
	if (p->data[p->pos] == '~') {
		/* literal8 (RFC 3516): the same framing, any octet allowed */
		arg->literal8 = true;
		p->pos++;
	}
	p->pos++; /* '{' */
	uint64_t n = 0;
	size_t digits = 0;
	while (p->pos < p->len && isdigit(p->data[p->pos])) {
		if (++digits > IMAP_LITERAL_DIGITS_MAX)
			return imap_parser_fail(p, "literal size too long");
		n = n * 10 + (uint64_t)(p->data[p->pos++] - '0');
	}
	if (digits == 0)
		return imap_parser_fail(p, "bad literal size");
	if (p->pos < p->len && p->data[p->pos] == '+')
		p->pos++;
	if (p->pos + 3 > p->len || memcmp(p->data + p->pos, "}\r\n", 3) != 0)
		return imap_parser_fail(p, "literal announcement not at the end of a line");
	p->pos += 3;
	if (n > p->limits->max_literal)
		return imap_parser_fail(p, "literal too big");
	if (n > p->len - p->pos)
		return imap_parser_fail(p, "literal truncated");
	arg->type = IMAP_ARG_LITERAL;
	arg->len = (size_t)n;
	arg->str = imap_copy(p->data + p->pos, arg->len);
	p->pos += arg->len;
	return 0;
}

static int imap_parse_args(struct imap_parser *p, unsigned depth, bool in_list,
			   struct imap_arg **args_r, size_t *count_r);

static int imap_parse_arg(struct imap_parser *p, unsigned depth, struct imap_arg *arg)
{
	if (++p->args > p->limits->max_args)
		return imap_parser_fail(p, "too many arguments");
	switch (p->data[p->pos]) {
	case '"':
		return imap_parse_quoted(p, arg);
	case '{':
		return imap_parse_literal(p, arg);
	case '~':
		if (p->pos + 1 < p->len && p->data[p->pos + 1] == '{')
			return imap_parse_literal(p, arg);
		return imap_parse_atom(p, arg);
	case '(':
		if (depth + 1 > p->limits->max_depth)
			return imap_parser_fail(p, "lists nested too deep");
		p->pos++;
		arg->type = IMAP_ARG_LIST;
		return imap_parse_args(p, depth + 1, true, &arg->list, &arg->list_count);
	case ')':
		return imap_parser_fail(p, "unexpected ')'");
	default:
		return imap_parse_atom(p, arg);
	}
}

/* Arguments separated by single spaces up to the end (or the ')' of the
 * list when in_list). */
static int imap_parse_args(struct imap_parser *p, unsigned depth, bool in_list,
			   struct imap_arg **args_r, size_t *count_r)
{
	struct imap_arg *args = NULL;
	size_t count = 0, cap = 0;
	*args_r = NULL;
	*count_r = 0;
	for (;;) {
		if (p->pos >= p->len) {
			if (in_list)
				goto fail_unbalanced;
			break;
		}
		if (in_list && p->data[p->pos] == ')') {
			p->pos++;
			break;
		}
		if (count > 0) {
			if (p->data[p->pos] != ' ') {
				imap_parser_fail(p, "expected a space between arguments");
				goto fail;
			}
			p->pos++;
			if (p->pos >= p->len) {
				if (in_list)
					goto fail_unbalanced;
				imap_parser_fail(p, "trailing space");
				goto fail;
			}
		}
		struct imap_arg *arg = XARRAY_PUSH(args, count, cap);
		memset(arg, 0, sizeof(*arg));
		if (imap_parse_arg(p, depth, arg) < 0)
			goto fail;
	}
	*args_r = args;
	*count_r = count;
	return 0;
fail_unbalanced:
	imap_parser_fail(p, "unbalanced '('");
fail:
	imap_args_free(args, count);
	return -1;
}

int imap_command_parse(const unsigned char *data, size_t len,
		       const struct imap_parser_limits *limits, struct imap_command **cmd_r,
		       const char **error_r)
{
	struct imap_command *cmd = xcalloc(1, sizeof(*cmd));
	struct imap_parser p = { .data = data, .len = len, .limits = limits };
	*cmd_r = cmd;

	/* tag: ASTRING-CHARs except '+' */
	size_t start = 0;
	while (p.pos < len && imap_is_atom_char(data[p.pos]) && data[p.pos] != '+' &&
	       data[p.pos] != '*' && data[p.pos] != '%')
		p.pos++;
	size_t tag_len = p.pos - start;
	if (tag_len == 0 || tag_len > IMAP_TAG_MAX || p.pos >= len || data[p.pos] != ' ') {
		*error_r = tag_len == 0 || tag_len > IMAP_TAG_MAX ? "bad tag" : "missing command";
		return -1;
	}
	memcpy(cmd->tag, data, tag_len);
	cmd->tag[tag_len] = '\0';
	p.pos++;

	start = p.pos;
	while (p.pos < len && isalnum(data[p.pos]))
		p.pos++;
	size_t name_len = p.pos - start;
	if (name_len == 0 || name_len > IMAP_COMMAND_NAME_MAX ||
	    (p.pos < len && data[p.pos] != ' ')) {
		*error_r = "bad command name";
		return -1;
	}
	for (size_t i = 0; i < name_len; i++)
		cmd->name[i] = (char)toupper(data[start + i]);
	cmd->name[name_len] = '\0';
	if (p.pos < len) {
		p.pos++;
		if (p.pos >= len) {
			*error_r = "trailing space";
			return -1;
		}
	}
	if (imap_parse_args(&p, 0, false, &cmd->args, &cmd->arg_count) < 0) {
		*error_r = p.error != NULL ? p.error : "syntax error";
		return -1;
	}
	return 0;
}

void imap_command_free(struct imap_command **cmdp)
{
	struct imap_command *cmd = *cmdp;
	if (cmd == NULL)
		return;
	*cmdp = NULL;
	imap_args_free(cmd->args, cmd->arg_count);
	free(cmd);
}

bool imap_arg_is_astring(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_QUOTED ||
	       (arg->type == IMAP_ARG_LITERAL && !arg->literal8) || arg->type == IMAP_ARG_NIL;
}

bool imap_arg_is_string(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_QUOTED || (arg->type == IMAP_ARG_LITERAL && !arg->literal8);
}

bool imap_arg_atom_equals(const struct imap_arg *arg, const char *word)
{
	return (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) &&
	       strcasecmp(arg->str, word) == 0;
}

/* One number of a sequence set, or '*'. */
static int imap_seq_number(const char **sp, uint32_t star, uint32_t *n_r)
{
	const char *s = *sp;
	if (*s == '*') {
		*n_r = star;
		*sp = s + 1;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	uint64_t n = 0;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -1;
		s++;
	}
	*n_r = (uint32_t)n;
	*sp = s;
	return 0;
}

int imap_seqset_parse(const char *text, uint32_t star, struct imap_seq_range **ranges_r,
		      size_t *count_r, const char **error_r)
{
	struct imap_seq_range *ranges = NULL;
	size_t count = 0, cap = 0;
	const char *s = text;
	for (;;) {
		uint32_t lo, hi;
		if (imap_seq_number(&s, star, &lo) < 0)
			goto bad;
		hi = lo;
		if (*s == ':') {
			s++;
			if (imap_seq_number(&s, star, &hi) < 0)
				goto bad;
		}
		if (count >= IMAP_SEQSET_RANGES_MAX) {
			free(ranges);
			*error_r = "too many ranges in the sequence set";
			return -1;
		}
		struct imap_seq_range *r = XARRAY_PUSH(ranges, count, cap);
		r->lo = lo < hi ? lo : hi;
		r->hi = lo < hi ? hi : lo;
		if (*s == '\0')
			break;
		if (*s++ != ',')
			goto bad;
	}
	*ranges_r = ranges;
	*count_r = count;
	return 0;
bad:
	free(ranges);
	*error_r = "bad sequence set";
	return -1;
}

bool imap_seqset_contains(const struct imap_seq_range *ranges, size_t count, uint32_t n)
{
	for (size_t i = 0; i < count; i++)
		if (n >= ranges[i].lo && n <= ranges[i].hi)
			return true;
	return false;
}
