/* test-imap-parser.c - unit tests for imap-parser.c: tables of command texts
 * (good and hostile) with the argument tree or error each must give, the
 * literal framing of lines, and sequence sets. Inputs are copied into
 * exact-size heap buffers without a NUL so ASan catches any read past the
 * given length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap-parser.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static unsigned char *exact_copy(const char *s, size_t len)
{
	unsigned char *p = malloc(len == 0 ? 1 : len);
	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* The tree as text: A(atom) Q(quoted) L(literal) L8:(literal8) NIL (list...) */
static void dump_args(struct buf *out, const struct imap_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buf_append_byte(out, ' ');
		const struct imap_arg *a = &args[i];
		switch (a->type) {
		case IMAP_ARG_ATOM:
			buf_printf(out, "A(%s)", a->str);
			break;
		case IMAP_ARG_QUOTED:
			buf_printf(out, "Q(%s)", a->str);
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(out, "%s%zu(", a->literal8 ? "L8:" : "L", a->len);
			for (size_t k = 0; k < a->len; k++)
				buf_printf(out, a->str[k] >= 0x20 && a->str[k] < 0x7f ? "%c" : "\\%02x",
					   (unsigned char)a->str[k]);
			buf_append_byte(out, ')');
			break;
		case IMAP_ARG_NIL:
			buf_append_str(out, "NIL");
			break;
		case IMAP_ARG_LIST:
			buf_append_byte(out, '(');
			dump_args(out, a->list, a->list_count);
			buf_append_byte(out, ')');
			break;
		}
	}
}

#define S(x) x, sizeof(x) - 1

static const struct {
	const char *in;
	size_t len;
	int ret;
	const char *tag;    /* also on failure: "" when not even the tag */
	const char *name;   /* on success */
	const char *tree;   /* on success; the error text on failure */
} parse_cases[] = {
	{ S("a1 NOOP"), 0, "a1", "NOOP", "" },
	{ S("a1 noop"), 0, "a1", "NOOP", "" },
	{ S("x LOGIN alice \"p w\\\"\\\\\""), 0, "x", "LOGIN", "A(alice) Q(p w\"\\)" },
	{ S("t LOGIN {5}\r\nalice {3+}\r\npw3"), 0, "t", "LOGIN", "L5(alice) L3(pw3)" },
	{ S("t APPEND INBOX {3}\r\na\0b"), 0, "t", "APPEND", "A(INBOX) L3(a\\00b)" },
	{ S("t APPEND INBOX {0}\r\n"), 0, "t", "APPEND", "A(INBOX) L0()" },
	{ S("t LIST \"\" *"), 0, "t", "LIST", "Q() A(*)" },
	{ S("t LIST \"\" %/foo"), 0, "t", "LIST", "Q() A(%/foo)" },
	{ S("t STATUS INBOX (MESSAGES UNSEEN)"), 0, "t", "STATUS", "A(INBOX) (A(MESSAGES) A(UNSEEN))" },
	{ S("t STORE 1:* +FLAGS (\\Seen \\Deleted)"), 0, "t", "STORE",
	  "A(1:*) A(+FLAGS) (A(\\Seen) A(\\Deleted))" },
	{ S("t FETCH 1 (BODY.PEEK[HEADER.FIELDS (From To)]<0.100> UID)"), 0, "t", "FETCH",
	  "A(1) (A(BODY.PEEK[HEADER.FIELDS (From To)]<0.100>) A(UID))" },
	{ S("t FETCH 1 BODY[]"), 0, "t", "FETCH", "A(1) A(BODY[])" },
	{ S("t X NIL nil (NIL)"), 0, "t", "X", "NIL NIL (NIL)" },
	{ S("t X ((a) ((b)) ())"), 0, "t", "X", "((A(a)) ((A(b))) ())" },
	{ S("t SELECT foo[bar"), 0, "t", "SELECT", "A(foo[bar)" },
	{ S("t UID FETCH 1:3 FLAGS"), 0, "t", "UID", "A(FETCH) A(1:3) A(FLAGS)" },
	/* literal8 (RFC 3516) */
	{ S("t APPEND INBOX ~{3}\r\na\0b"), 0, "t", "APPEND", "A(INBOX) L8:3(a\\00b)" },
	{ S("t APPEND INBOX (\\Seen) ~{2+}\r\nxy ~{0}\r\n"), 0, "t", "APPEND",
	  "A(INBOX) (A(\\Seen)) L8:2(xy) L8:0()" },
	{ S("t X a~ ~b ~"), 0, "t", "X", "A(a~) A(~b) A(~)" },
	{ S("t FETCH 1 (BINARY.PEEK[1]<0.10> BINARY.SIZE[2] BINARY[])"), 0, "t", "FETCH",
	  "A(1) (A(BINARY.PEEK[1]<0.10>) A(BINARY.SIZE[2]) A(BINARY[]))" },
	/* hostile */
	{ S(""), -1, "", NULL, "bad tag" },
	{ S("a1"), -1, "", NULL, "missing command" },
	{ S("a1 "), -1, "a1", NULL, "bad command name" },
	{ S("+ NOOP"), -1, "", NULL, "bad tag" },
	{ S("* NOOP"), -1, "", NULL, "bad tag" },
	{ S("a\0 NOOP"), -1, "", NULL, "missing command" },
	{ S("a1 NO\0OP"), -1, "a1", NULL, "bad command name" },
	{ S("a1 NOOP "), -1, "a1", NULL, "trailing space" },
	{ S("a1 X (a"), -1, "a1", NULL, "unbalanced '('" },
	{ S("a1 X (a "), -1, "a1", NULL, "unbalanced '('" },
	{ S("a1 X a)"), -1, "a1", NULL, "expected a space between arguments" },
	{ S("a1 X )"), -1, "a1", NULL, "unexpected ')'" },
	{ S("a1 X a  b"), -1, "a1", NULL, "expected an argument" },
	{ S("a1 X \"abc"), -1, "a1", NULL, "unterminated quoted string" },
	{ S("a1 X \"a\\b\""), -1, "a1", NULL, "bad escape in a quoted string" },
	{ S("a1 X \"a\0b\""), -1, "a1", NULL, "NUL, CR or LF in a quoted string" },
	{ S("a1 X a\0b"), -1, "a1", NULL, "expected a space between arguments" },
	{ S("a1 X caf\xc3\xa9"), -1, "a1", NULL, "8-bit characters in an atom" },
	{ S("a1 X {5}\r\nabc"), -1, "a1", NULL, "literal truncated" },
	{ S("a1 X {5}"), -1, "a1", NULL, "literal announcement not at the end of a line" },
	{ S("a1 X {}\r\n"), -1, "a1", NULL, "bad literal size" },
	{ S("a1 X {99999999999999999999}\r\n"), -1, "a1", NULL, "literal size too long" },
	{ S("a1 X {70000}\r\n"), -1, "a1", NULL, "literal too big" },
	{ S("a1 X {3}\r\nabcd"), -1, "a1", NULL, "expected a space between arguments" },
	{ S("a1 X ~{5}\r\nabc"), -1, "a1", NULL, "literal truncated" },
	{ S("a1 X ~{}\r\n"), -1, "a1", NULL, "bad literal size" },
	{ S("a1 X ~{3}"), -1, "a1", NULL, "literal announcement not at the end of a line" },
	{ S("a1 X ~{70000}\r\n"), -1, "a1", NULL, "literal too big" },
	{ S("a1 X a~{1}\r\nx"), -1, "a1", NULL, "expected a space between arguments" },
	{ S("a1 FETCH 1 BODY[HEADER"), -1, "a1", NULL, "unterminated section '['" },
	{ S("a1 FETCH 1 BODY[a)]"), -1, "a1", NULL, "unbalanced ')' in section" },
	{ S("a1 X (((((((((((((((((a)))))))))))))))))"), -1, "a1", NULL, "lists nested too deep" },
};

static void test_parse(void **state)
{
	(void)state;
	struct imap_parser_limits limits;
	imap_parser_limits_default(&limits);
	for (size_t i = 0; i < N_ELEMENTS(parse_cases); i++) {
		unsigned char *in = exact_copy(parse_cases[i].in, parse_cases[i].len);
		struct imap_command *cmd = NULL;
		const char *error = NULL;
		int ret = imap_command_parse(in, parse_cases[i].len, &limits, &cmd, &error);
		if (ret != parse_cases[i].ret)
			fail_msg("case %zu: got %d (%s), want %d", i, ret, error ? error : "",
				 parse_cases[i].ret);
		if (strcmp(cmd->tag, parse_cases[i].tag) != 0)
			fail_msg("case %zu: tag got \"%s\", want \"%s\"", i, cmd->tag,
				 parse_cases[i].tag);
		if (ret == 0) {
			struct buf tree;
			buf_init(&tree);
			dump_args(&tree, cmd->args, cmd->arg_count);
			buf_append_byte(&tree, '\0');
			if (strcmp(cmd->name, parse_cases[i].name) != 0)
				fail_msg("case %zu: name got \"%s\", want \"%s\"", i, cmd->name,
					 parse_cases[i].name);
			if (strcmp((char *)tree.data, parse_cases[i].tree) != 0)
				fail_msg("case %zu: tree got \"%s\", want \"%s\"", i,
					 (char *)tree.data, parse_cases[i].tree);
			buf_free(&tree);
		} else if (strcmp(error, parse_cases[i].tree) != 0) {
			fail_msg("case %zu: error got \"%s\", want \"%s\"", i, error,
				 parse_cases[i].tree);
		}
		imap_command_free(&cmd);
		assert_null(cmd);
		free(in);
	}
}

/* Limits: argument count, depth, huge inputs. */
static void test_parse_limits(void **state)
{
	(void)state;
	struct imap_parser_limits limits;
	imap_parser_limits_default(&limits);
	struct buf in;
	buf_init(&in);
	buf_append_str(&in, "a ");
	buf_append_str(&in, "X");
	for (unsigned i = 0; i < IMAP_PARSER_ARGS_MAX + 1; i++)
		buf_append_str(&in, " a");
	struct imap_command *cmd;
	const char *error = NULL;
	if (imap_command_parse(in.data, in.len, &limits, &cmd, &error) != -1 ||
	    strcmp(error, "too many arguments") != 0)
		fail_msg("too many args: got \"%s\", want \"too many arguments\"", error);
	imap_command_free(&cmd);

	/* a huge nesting: refused at the limit, no deep recursion */
	buf_reset(&in);
	buf_append_str(&in, "a X ");
	for (unsigned i = 0; i < 100000; i++)
		buf_append_byte(&in, '(');
	error = NULL;
	if (imap_command_parse(in.data, in.len, &limits, &cmd, &error) != -1 ||
	    strcmp(error, "lists nested too deep") != 0)
		fail_msg("deep nesting: got \"%s\", want \"lists nested too deep\"", error);
	imap_command_free(&cmd);

	/* exactly at the depth limit is fine */
	buf_reset(&in);
	buf_append_str(&in, "a X ");
	for (unsigned i = 0; i < IMAP_PARSER_DEPTH_MAX; i++)
		buf_append_byte(&in, '(');
	for (unsigned i = 0; i < IMAP_PARSER_DEPTH_MAX; i++)
		buf_append_byte(&in, ')');
	if (imap_command_parse(in.data, in.len, &limits, &cmd, &error) != 0)
		fail_msg("depth at the limit: got error \"%s\", want success", error);
	imap_command_free(&cmd);
	buf_free(&in);
}

static const struct {
	const char *line;
	bool literal;
	uint64_t size;
	bool nonsync;
	bool bad;
} frame_cases[] = {
	{ "a LOGIN {5}", true, 5, false, false },
	{ "a LOGIN {5+}", true, 5, true, false },
	{ "a APPEND INBOX {52428800}", true, 52428800, false, false },
	{ "a LOGIN \"{5}\"", false, 0, false, false },
	{ "a LOGIN \"x {5}", false, 0, false, false },      /* inside an unterminated quote */
	{ "a LOGIN \"a\\\"\" {2}", true, 2, false, false },
	{ "a X {}", false, 0, false, true },
	{ "a X {+}", false, 0, false, true },
	{ "a X {12345678901234567890}", false, 0, false, true },
	{ "a X 5}", false, 0, false, false },
	{ "}", false, 0, false, false },
	{ "", false, 0, false, false },
	{ "{0}", true, 0, false, false },
	{ "a APPEND INBOX ~{7}", true, 7, false, false },
	{ "a APPEND INBOX ~{7+}", true, 7, true, false },
	{ "a APPEND INBOX ~{}", false, 0, false, true },
};

static void test_line_literal(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(frame_cases); i++) {
		size_t len = strlen(frame_cases[i].line);
		unsigned char *in = exact_copy(frame_cases[i].line, len);
		uint64_t size;
		bool nonsync, bad;
		bool lit = imap_parser_line_literal(in, len, &size, &nonsync, &bad);
		if (lit != frame_cases[i].literal || bad != frame_cases[i].bad ||
		    (lit && (size != frame_cases[i].size || nonsync != frame_cases[i].nonsync)))
			fail_msg("line \"%s\": got literal=%d size=%llu nonsync=%d bad=%d, want "
				 "%d %llu %d %d", frame_cases[i].line, lit, (unsigned long long)size,
				 nonsync, bad, frame_cases[i].literal,
				 (unsigned long long)frame_cases[i].size, frame_cases[i].nonsync,
				 frame_cases[i].bad);
		free(in);
	}
}

static const struct {
	const char *in;
	uint32_t star;
	int ret;
	const char *ranges; /* "lo-hi,..." */
} seq_cases[] = {
	{ "1", 10, 0, "1-1" },
	{ "1:*", 10, 0, "1-10" },
	{ "*:3", 10, 0, "3-10" },
	{ "1:*,3,5:7", 10, 0, "1-10,3-3,5-7" },
	{ "7:5", 10, 0, "5-7" },
	{ "*", 0, 0, "0-0" },
	{ "4294967295", 1, 0, "4294967295-4294967295" },
	{ "4294967296", 1, -1, "" },
	{ "0", 10, -1, "" },
	{ "01", 10, -1, "" },
	{ "", 10, -1, "" },
	{ "1,", 10, -1, "" },
	{ ",1", 10, -1, "" },
	{ "1::2", 10, -1, "" },
	{ "1:2:3", 10, -1, "" },
	{ "$", 10, -1, "" },
	{ "1 2", 10, -1, "" },
	{ "-1", 10, -1, "" },
};

static void test_seqset(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(seq_cases); i++) {
		struct imap_seq_range *ranges = NULL;
		size_t count = 0;
		const char *error = NULL;
		int ret = imap_seqset_parse(seq_cases[i].in, seq_cases[i].star, &ranges, &count,
					    &error);
		if (ret != seq_cases[i].ret)
			fail_msg("seqset \"%s\": got %d, want %d", seq_cases[i].in, ret,
				 seq_cases[i].ret);
		struct buf got;
		buf_init(&got);
		for (size_t k = 0; ret == 0 && k < count; k++)
			buf_printf(&got, "%s%u-%u", k > 0 ? "," : "", ranges[k].lo, ranges[k].hi);
		buf_append_byte(&got, '\0');
		if (strcmp((char *)got.data, seq_cases[i].ranges) != 0)
			fail_msg("seqset \"%s\": got \"%s\", want \"%s\"", seq_cases[i].in,
				 (char *)got.data, seq_cases[i].ranges);
		buf_free(&got);
		free(ranges);
	}
	/* the range count limit */
	struct buf many;
	buf_init(&many);
	for (unsigned i = 0; i <= IMAP_SEQSET_RANGES_MAX; i++)
		buf_printf(&many, "%s%u", i > 0 ? "," : "", i + 1);
	struct imap_seq_range *ranges = NULL;
	size_t count;
	const char *error = NULL;
	if (imap_seqset_parse((char *)many.data, 1, &ranges, &count, &error) != -1)
		fail_msg("seqset with %d ranges: got success, want failure",
			 IMAP_SEQSET_RANGES_MAX + 1);
	buf_free(&many);
	struct imap_seq_range r[] = { { 1, 3 }, { 7, 7 } };
	assert_true(imap_seqset_contains(r, 2, 2));
	assert_true(imap_seqset_contains(r, 2, 7));
	assert_false(imap_seqset_contains(r, 2, 5));
}

/* The string helpers never take a literal8: only APPEND's message may be one. */
static void test_literal8_helpers(void **state)
{
	(void)state;
	static const char in[] = "t X ~{1}\r\na {1}\r\nb";
	struct imap_parser_limits limits;
	imap_parser_limits_default(&limits);
	unsigned char *copy = exact_copy(in, sizeof(in) - 1);
	struct imap_command *cmd = NULL;
	const char *error = NULL;
	if (imap_command_parse(copy, sizeof(in) - 1, &limits, &cmd, &error) != 0)
		fail_msg("got error \"%s\", want success", error);
	assert_int_equal(cmd->arg_count, 2);
	if (imap_arg_is_string(&cmd->args[0]) || imap_arg_is_astring(&cmd->args[0]))
		fail_msg("literal8: got string/astring true, want false");
	if (!imap_arg_is_string(&cmd->args[1]) || !imap_arg_is_astring(&cmd->args[1]))
		fail_msg("literal: got string/astring false, want true");
	imap_command_free(&cmd);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_line_literal),
		cmocka_unit_test(test_seqset),
		cmocka_unit_test(test_literal8_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
