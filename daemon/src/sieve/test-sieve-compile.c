/* test-sieve-compile.c - unit tests for sieve_compile: a table of broken
 * scripts, one per class of error (lexical, grammar, require, unknown
 * names, argument shapes, tags, match types and comparators, regexes,
 * limits), each with the exact "line N: ..." it must give; then the
 * examples of RFC 5228, 5229-5233, 5173, 5230 and 5429 that must compile,
 * and the extension list ManageSieve announces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sieve.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *script;
	const char *error;
} error_cases[] = {
	/* lexical */
	{ "keep;\n\"abc", "line 2: unterminated string" },
	{ "keep;\n/* abc\n", "line 2: unterminated comment" },
	{ "require \"vacation\";\nvacation text:\nabc\n", "line 3: unterminated multi-line string "
	  "(no line with \".\")" },
	{ "require \"vacation\";\nvacation text: junk\nabc\n.\n;",
	  "line 2: text: must be followed by the end of the line" },
	{ "if size :over 99999999999999999999 { }", "line 1: number too large" },
	{ "if size :over 9999999999999G { }", "line 1: number too large" },
	{ "if size :over 12X { }", "line 1: bad number" },
	{ "keep;\n: foo;", "line 2: ':' must be followed by a tag name" },
	{ "keep;\n\n@", "line 3: unexpected character '@'" },
	{ "keep;\n#\xff\n", "line 2: script is not valid UTF-8" },
	/* grammar */
	{ "keep", "line 1: expected ';' or '{', got end of script" },
	{ "keep;\n}", "line 2: expected a command, got '}'" },
	{ "if true {\nkeep;\n", "line 3: missing '}' at end of script" },
	{ "if header [\"a\" \"b\"] \"x\" { }", "line 1: expected ',' or ']', got string" },
	{ "if anyof (true false) { }", "line 1: true takes no test" },
	{ "if anyof (true; false) { }", "line 1: expected ',' or ')', got ';'" },
	{ "if anyof (true, ) { }", "line 1: expected a test, got ')'" },
	{ "42;", "line 1: expected a command, got number" },
	/* require */
	{ "fileinto \"x\";", "line 1: fileinto needs require \"fileinto\"" },
	{ "require \"foo\";", "line 1: unsupported extension foo" },
	{ "require [\"fileinto\",\n\"comparator-i;foo\"];", "line 1: unsupported extension "
	  "comparator-i;foo" },
	{ "require \"fileinto\";\nkeep;\nrequire \"reject\";",
	  "line 3: require must come before any other command" },
	{ "if true {\n require \"fileinto\"; }",
	  "line 2: require must come before any other command" },
	{ "redirect :copy \"a@b\";", "line 1: :copy needs require \"copy\"" },
	{ "require \"fileinto\"; fileinto :create \"x\";", "line 1: :create needs require "
	  "\"mailbox\"" },
	{ "keep :flags \"x\";", "line 1: :flags needs require \"imap4flags\"" },
	{ "if address :detail \"to\" \"x\" { }", "line 1: :detail needs require \"subaddress\"" },
	{ "if header :value \"gt\" \"a\" \"b\" { }", "line 1: :value needs require \"relational\"" },
	{ "if header :regex \"a\" \"b\" { }", "line 1: :regex needs require \"regex\"" },
	{ "if body \"x\" { }", "line 1: body needs require \"body\"" },
	{ "if header :comparator \"i;ascii-numeric\" \"a\" \"1\" { }",
	  "line 1: i;ascii-numeric needs require \"comparator-i;ascii-numeric\"" },
	{ "reject \"x\";", "line 1: reject needs require \"reject\"" },
	{ "ereject \"x\";", "line 1: ereject needs require \"ereject\"" },
	{ "setflag \"x\";", "line 1: setflag needs require \"imap4flags\"" },
	{ "if envelope \"to\" \"x\" { }", "line 1: envelope needs require \"envelope\"" },
	/* control structure */
	{ "elsif true { }", "line 1: elsif without if before it" },
	{ "keep;\nelse { }", "line 2: else without if before it" },
	{ "if true { keep; }\nkeep;\nelse { }", "line 3: else without if before it" },
	{ "if true { } else { } else { }", "line 1: else without if before it" },
	{ "if true;", "line 1: if needs a block { }" },
	{ "if { }", "line 1: if needs one test" },
	{ "keep { }", "line 1: keep takes no block" },
	{ "stop true;", "line 1: stop takes no test" },
	/* unknown names */
	{ "frobnicate;", "line 1: unknown command frobnicate" },
	{ "if frob { }", "line 1: unknown test frob" },
	{ "if true { keep; }\nif keep { }", "line 2: unknown test keep" },
	{ "header \"a\" \"b\";", "line 1: unknown command header" },
	/* argument shapes */
	{ "if header \"a\" { }", "line 1: header needs a string list" },
	{ "keep \"x\";", "line 1: too many arguments for keep" },
	{ "require \"fileinto\";\nfileinto [\"a\", \"b\"];", "line 2: fileinto expects a string here" },
	{ "require \"fileinto\";\nfileinto;", "line 2: fileinto needs a string" },
	{ "redirect 42;", "line 1: redirect expects a string here" },
	{ "redirect \"nobody\";",
	  "line 1: redirect needs an address like user@domain, not \"nobody\"" },
	{ "redirect \"<a@b.c>\";",
	  "line 1: redirect needs an address like user@domain, not \"<a@b.c>\"" },
	{ "require \"fileinto\";\nfileinto \"\";", "line 2: fileinto needs a mailbox name" },
	{ "if size 100 { }", "line 1: too many arguments for size" },
	{ "if size { }", "line 1: size needs :over or :under" },
	{ "if size :over \"1\" { }", "line 1: :over needs a number" },
	{ "if not (true, false) { }", "line 1: not needs one test" },
	{ "if allof true { }", "line 1: allof needs a list of tests in ( )" },
	{ "if true false { }", "line 1: true takes no test" },
	{ "require \"imap4flags\";\nsetflag \"var\" \"x\";",
	  "line 2: setflag with a variable name needs \"variables\", which is not supported" },
	{ "require \"vacation\";\nvacation :days \"x\" \"r\";", "line 2: :days needs a number" },
	{ "require \"vacation\";\nvacation :days 3;", "line 2: vacation needs a string" },
	/* tags */
	{ "discard :copy;", "line 1: unknown tag :copy for discard" },
	{ "if header :over \"a\" \"b\" { }", "line 1: unknown tag :over for header" },
	{ "if header :is :contains \"a\" \"b\" { }", "line 1: more than one match type (:contains)" },
	{ "if address :all :domain \"to\" \"x\" { }", "line 1: more than one address part (:domain)" },
	{ "if header :comparator \"i;octet\" :comparator \"i;octet\" \"a\" \"b\" { }",
	  "line 1: duplicate or conflicting tag :comparator" },
	{ "if size :over 1 :under 2 { }", "line 1: duplicate or conflicting tag :under" },
	{ "if header :is \"a\" \"b\" :is { }", "line 1: tag :is after positional arguments" },
	{ "if header :comparator \"i;foo\" \"a\" \"b\" { }", "line 1: unknown comparator \"i;foo\"" },
	{ "if header :comparator [\"i;octet\"] \"a\" \"b\" { }",
	  "line 1: :comparator needs a string" },
	{ "require \"relational\";\nif header :value \"xx\" \"a\" \"b\" { }",
	  "line 2: unknown relational operator \"xx\" (gt ge lt le eq ne)" },
	{ "require \"comparator-i;ascii-numeric\";\n"
	  "if header :contains :comparator \"i;ascii-numeric\" \"a\" \"1\" { }",
	  "line 2: comparator i;ascii-numeric cannot do :contains" },
	{ "require [\"comparator-i;ascii-numeric\", \"regex\"];\n"
	  "if header :regex :comparator \"i;ascii-numeric\" \"a\" \"1\" { }",
	  "line 2: comparator i;ascii-numeric cannot do :regex" },
	{ "require \"regex\";\nif header :regex \"a\" [\"ok\", \"(\"] { }",
	  "line 2: bad regex \"(\": Unmatched ( or \\(" },
	{ "require \"envelope\";\nif envelope :is \"received\" \"x\" { }",
	  "line 2: unsupported envelope part \"received\"" },
	{ "require \"body\";\nif body :content \"text\" :raw \"x\" { }",
	  "line 2: duplicate or conflicting tag :raw" },
	{ "require \"body\";\nif body :content \"x\" { }", "line 2: body needs a string list" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(error_cases); i++) {
		const char *text = error_cases[i].script;
		struct sieve_script *script = NULL;
		char error[SIEVE_ERROR_MAX] = "";
		int ret = sieve_compile(text, strlen(text), &script, error);
		if (ret != -1)
			fail_msg("\"%s\": compiled, want error \"%s\"", text, error_cases[i].error);
		assert_null(script);
		if (strcmp(error, error_cases[i].error) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", text, error, error_cases[i].error);
	}
}

static void expect_error(const char *text, size_t len, const char *want)
{
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX] = "";
	assert_int_equal(sieve_compile(text, len, &script, error), -1);
	assert_null(script);
	if (strcmp(error, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", error, want);
}

/* The hard limits: nesting, string length, list length, script size, NUL. */
static void test_limits(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 40; i++)
		buf_append_str(&b, "if true {\n");
	expect_error((const char *)b.data, b.len, "line 33: nested too deeply");
	buf_reset(&b);
	buf_append_str(&b, "if ");
	for (int i = 0; i < 40; i++)
		buf_append_str(&b, "not ");
	buf_append_str(&b, "true { }");
	expect_error((const char *)b.data, b.len, "line 1: nested too deeply");
	buf_reset(&b);
	buf_append_str(&b, "require \"reject\";\nreject \"");
	for (int i = 0; i < 128 * 1024 + 1; i++)
		buf_append_byte(&b, 'a');
	buf_append_str(&b, "\";");
	expect_error((const char *)b.data, b.len, "line 2: string too long");
	buf_reset(&b);
	buf_append_str(&b, "if header \"a\" [");
	for (int i = 0; i < 1025; i++)
		buf_append_str(&b, i == 0 ? "\"x\"" : ",\"x\"");
	buf_append_str(&b, "] { }");
	expect_error((const char *)b.data, b.len, "line 1: string list too long");
	buf_reset(&b);
	buf_append_str(&b, "keep;");
	while (b.len <= SIEVE_SCRIPT_MAX)
		buf_append_str(&b, "#comment\n");
	char want[64];
	snprintf(want, sizeof(want), "line 1: script larger than %d bytes", SIEVE_SCRIPT_MAX);
	expect_error((const char *)b.data, b.len, want);
	buf_free(&b);
	expect_error("keep;\n\0keep;", 12, "line 2: NUL byte in script");
}

/* Scripts from the RFCs (and some syntax corners) that must compile. */
static const char *const good_scripts[] = {
	"",
	"# only a comment",
	"/* bracket\n comment */ keep;",
	"KEEP; Stop;",
	"keep; # comment at the end",
	/* RFC 5228 section 9 */
	"require \"fileinto\";\n"
	"if header :is \"Sender\" \"owner-ietf-mta-filters@imc.org\"\n"
	"        {\n"
	"            fileinto \"filter\";  # move to \"filter\" mailbox\n"
	"        }\n"
	"#\n"
	"# Keep all messages to or from people in my company\n"
	"#\n"
	"elsif address :DOMAIN :is [\"From\", \"To\"] \"example.com\"\n"
	"        {\n"
	"            keep;               # keep in \"In\" mailbox\n"
	"        }\n"
	"elsif anyof (NOT address :all :contains\n"
	"               [\"To\", \"Cc\", \"Bcc\"] \"me@example.com\",\n"
	"             header :matches \"subject\"\n"
	"               [\"*make*money*fast*\", \"*university*dipl*mas*\"])\n"
	"        {\n"
	"            fileinto \"spam\";   # move to \"spam\" mailbox\n"
	"        }\n"
	"else\n"
	"        {\n"
	"            fileinto \"personal\";\n"
	"        }\n",
	"if size :over 100k { # this is a comment\n"
	"    discard;\n"
	"}\n",
	"if size :over 100K { /* this is a comment\n"
	"    this is still a comment */ discard /* this is a comment\n"
	"    */ ;\n"
	"}\n",
	"require \"envelope\";\n"
	"if envelope :all :is \"from\" \"tim@example.com\" {\n"
	"    discard;\n"
	"}\n",
	"if header :contains :comparator \"i;octet\" \"Subject\"\n"
	"        \"MAKE MONEY FAST\" {\n"
	"    discard;\n"
	"}\n",
	"if anyof (exists \"From\", exists \"Date\") { keep; }",
	"require \"encoded-character\";\n"
	"if header :contains \"Subject\" \"$${hex:24 24}\" { discard; }",
	/* RFC 5230 */
	"require \"vacation\";\n"
	"if header :contains \"subject\" \"cyrus\" {\n"
	"    vacation \"I'm out -- send mail to cyrus-bugs\";\n"
	"} else {\n"
	"    vacation \"I'm out -- call me at +1 304 555 0123\";\n"
	"}\n",
	"require \"vacation\";\n"
	"vacation :days 23 :addresses [\"tjs@example.edu\",\n"
	"                              \"ts4z@landru.example.edu\"]\n"
	"   \"I'm away until October 19.\n"
	"   If it's an emergency, call 911, I guess.\" ;\n",
	"require \"vacation\";\n"
	"vacation :mime text:\n"
	"Content-Type: multipart/alternative; boundary=foo\n"
	"\n"
	"--foo\n"
	"\n"
	"I'm at the beach relaxing.  Mmmm, surf...\n"
	"..dots stuffed\n"
	"--foo--\n"
	".\n;",
	"require \"vacation\";\n"
	"vacation :handle \"ran-away\" :from \"me@example.com\" :subject \"Gone\"\n"
	"  \"I'm in the mountains.\";",
	/* RFC 5232 */
	"require [\"imap4flags\", \"fileinto\"];\n"
	"if header :contains \"from\" \"boss@frobnitzm.example.edu\" {\n"
	"    setflag \"\\\\Flagged\";\n"
	"    fileinto :flags \"\\\\Deleted\" \"INBOX.From Boss\";\n"
	"}\n"
	"if hasflag :contains \"Junk\" { removeflag \"Junk\"; }\n"
	"addflag [\"\\\\Seen\", \"\\\\Answered\"];\n"
	"keep :flags \"$MDNSent\";\n",
	/* RFC 5173 */
	"require \"body\";\n"
	"if body :raw :contains \"MAKE MONEY FAST\" { discard; }\n"
	"if body :content \"text\" :contains \"missile\" { discard; }\n"
	"if body :content [\"text/plain\", \"\"] :contains \"x\" { discard; }\n"
	"if body :text :matches \"*x?*\" { discard; }\n",
	/* RFC 5231 */
	"require [\"relational\", \"comparator-i;ascii-numeric\", \"fileinto\"];\n"
	"if header :value \"lt\" :comparator \"i;ascii-numeric\"\n"
	"  [\"x-priority\"] [\"3\"] { fileinto \"Priority\"; }\n"
	"elsif address :count \"gt\" :comparator \"i;ascii-numeric\"\n"
	"  [\"to\", \"cc\"] [\"5\"] { fileinto \"SPAM\"; }\n",
	/* RFC 5233 */
	"require [\"envelope\", \"subaddress\", \"fileinto\"];\n"
	"if envelope :user \"to\" \"ken\" {\n"
	"  if envelope :detail :matches \"to\" \"*\" { fileinto \"inbox.ken\"; }\n"
	"}\n"
	"if address :detail \"to\" \"\" { keep; }\n",
	/* RFC 5429, 3894, 5490, regex */
	"require [\"ereject\"]; if header :contains \"subject\" \"x\" { ereject \"no\"; }",
	"require \"reject\";\nreject text:\nPlease do not send me such mail.\n.\n;",
	"require [\"copy\", \"fileinto\"]; fileinto :copy \"incoming\"; redirect :copy \"a@b.c\";",
	"require [\"mailbox\", \"fileinto\"]; fileinto :create \"INBOX.folder\";",
	"require \"regex\"; if header :regex \"subject\" \"^(re|fwd?):\" { stop; }",
	"require \"regex\"; if address :regex :comparator \"i;octet\" \"from\" \"[a-z]+@x\" { }",
};

static void test_good_scripts(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(good_scripts); i++) {
		const char *text = good_scripts[i];
		struct sieve_script *script = NULL;
		char error[SIEVE_ERROR_MAX] = "";
		if (sieve_compile(text, strlen(text), &script, error) != 0)
			fail_msg("script %zu: got \"%s\", want it to compile:\n%s", i, error, text);
		assert_non_null(script);
		sieve_script_free(&script);
		assert_null(script);
	}
}

/* No text at all is the empty script. */
static void test_null_text(void **state)
{
	(void)state;
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	assert_int_equal(sieve_compile(NULL, 0, &script, error), 0);
	assert_non_null(script);
	sieve_script_free(&script);
	sieve_script_free(&script); /* freeing NULL is harmless */
}

static void test_extensions(void **state)
{
	(void)state;
	const char *ext = sieve_extensions();
	assert_string_equal(ext, "fileinto reject ereject envelope encoded-character vacation "
				 "subaddress comparator-i;ascii-numeric relational regex "
				 "imap4flags copy body mailbox");
	/* every one announced can be required */
	char *copy = strdup(ext);
	char *save = NULL;
	for (char *name = strtok_r(copy, " ", &save); name != NULL;
	     name = strtok_r(NULL, " ", &save)) {
		char text[128];
		snprintf(text, sizeof(text), "require \"%s\";", name);
		struct sieve_script *script = NULL;
		char error[SIEVE_ERROR_MAX];
		if (sieve_compile(text, strlen(text), &script, error) != 0)
			fail_msg("require \"%s\": got \"%s\", want success", name, error);
		sieve_script_free(&script);
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_good_scripts),
		cmocka_unit_test(test_null_text),
		cmocka_unit_test(test_extensions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
