/* test-sieve-run.c - unit tests for sieve_execute: a table of scripts run on
 * one real multipart message (folded and RFC 2047 encoded header fields, a
 * group address, a quoted-printable Latin-1 text part, an HTML part and a
 * base64 attachment), each with the actions it must produce, written as
 * one line ("keep \Seen | fileinto Spam | redirect x@y" or "ERROR ...");
 * then the vacation rules, one message per "never reply" case, several
 * scripts sharing one result, the work budget, and one script run by
 * several threads at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sieve.h"
#include "sieve-test-message.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const char message[] = SIEVE_TEST_MESSAGE;
static const char *const own[] = SIEVE_TEST_OWN_ADDRESSES;

/* The actions of result as one line. */
static char *summary(struct sieve_result *r, int ret)
{
	struct buf b;
	buf_init(&b);
	if (ret < 0) {
		buf_printf(&b, "ERROR %s", r->error);
		return buf_steal(&b, NULL);
	}
	for (size_t i = 0; i < r->count; i++) {
		const struct sieve_action *a = &r->actions[i];
		if (i > 0)
			buf_append_str(&b, " | ");
		switch (a->kind) {
		case SIEVE_ACTION_KEEP: buf_append_str(&b, "keep"); break;
		case SIEVE_ACTION_FILEINTO:
			buf_printf(&b, "fileinto %s%s", a->mailbox, a->create ? " :create" : "");
			break;
		case SIEVE_ACTION_REDIRECT: buf_printf(&b, "redirect %s", a->address); break;
		case SIEVE_ACTION_REJECT:
			buf_printf(&b, "%s %s", a->ereject ? "ereject" : "reject", a->reason);
			break;
		case SIEVE_ACTION_VACATION:
			buf_printf(&b, "vacation to=%s subject=%s days=%u", a->vacation_to,
				   a->vacation_subject, a->vacation_days);
			break;
		}
		for (size_t f = 0; a->flags != NULL && a->flags[f] != NULL; f++)
			buf_printf(&b, "%s%s", f == 0 ? " " : ",", a->flags[f]);
	}
	return buf_steal(&b, NULL);
}

static char *run_on(const char *script_text, const char *msg_text, const char *env_from,
		    const char *env_to)
{
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	if (sieve_compile(script_text, strlen(script_text), &script, error) < 0)
		fail_msg("script does not compile: %s\n%s", error, script_text);
	struct sieve_message msg = {
		.data = (const unsigned char *)msg_text,
		.size = strlen(msg_text),
		.envelope_from = env_from,
		.envelope_to = env_to,
		.own_addresses = (const char *const *)own,
	};
	struct sieve_result result;
	sieve_result_init(&result);
	int ret = sieve_execute(script, &msg, &result);
	if (ret == 0)
		sieve_result_finish(&result);
	char *s = summary(&result, ret);
	sieve_result_free(&result);
	sieve_script_free(&script);
	assert_null(script);
	return s;
}

#define REQ "require [\"fileinto\", \"envelope\", \"subaddress\", \"relational\", " \
	"\"comparator-i;ascii-numeric\", \"regex\", \"imap4flags\", \"copy\", \"body\", " \
	"\"mailbox\", \"reject\", \"ereject\", \"vacation\", \"encoded-character\"];\n"

static const struct {
	const char *script;
	const char *want;
} run_cases[] = {
	/* implicit keep and the basic actions */
	{ "", "keep" },
	{ "keep;", "keep" },
	{ "discard;", "" },
	{ "fileinto \"Spam\";", "fileinto Spam" },
	{ "fileinto :copy \"Spam\";", "fileinto Spam | keep" },
	{ "fileinto :create \"New/Box\";", "fileinto New/Box :create" },
	{ "fileinto \"Spam\"; fileinto \"Spam\";", "fileinto Spam" },
	{ "fileinto \"inbox\";", "keep" },
	{ "keep; keep;", "keep" },
	{ "redirect \"carol@example.net\";", "redirect carol@example.net" },
	{ "redirect :copy \"carol@example.net\";", "redirect carol@example.net | keep" },
	{ "redirect \"a@x.org\"; redirect \"A@X.org\";", "redirect a@x.org" },
	{ "stop; fileinto \"Never\";", "keep" },
	{ "if true { fileinto \"A\"; stop; } fileinto \"B\";", "fileinto A" },
	/* if / elsif / else */
	{ "if false { fileinto \"A\"; } elsif true { fileinto \"B\"; } else { fileinto \"C\"; }",
	  "fileinto B" },
	{ "if false { fileinto \"A\"; } elsif false { fileinto \"B\"; } else { fileinto \"C\"; }",
	  "fileinto C" },
	{ "if true { fileinto \"A\"; } elsif true { fileinto \"B\"; } else { fileinto \"C\"; }",
	  "fileinto A" },
	{ "if not false { discard; }", "" },
	{ "if allof (true, false) { discard; }", "keep" },
	{ "if anyof (false, true) { discard; }", "" },
	/* header: folding, RFC 2047, case-insensitive names, match types */
	{ "if header :is \"subject\" \"Hello W\xc3\xb6rld continued\" { discard; }", "" },
	{ "if header :contains \"Cc\" \"J\xc3\xbcrgen\" { discard; }", "" },
	{ "if header :matches \"Subject\" \"hello*CONT?nued\" { discard; }", "" },
	{ "if header :matches :comparator \"i;octet\" \"Subject\" \"hello*\" { discard; }", "keep" },
	{ "if header :is \"X-Empty\" \"\" { discard; }", "" },
	{ "if header :contains \"X-Missing\" \"\" { discard; }", "keep" },
	{ "if header :regex \"subject\" \"^hel+o w.*rld\" { discard; }", "" },
	{ "if header :regex :comparator \"i;octet\" \"subject\" \"^hello\" { discard; }", "keep" },
	{ "if header :matches \"subject\" \"\\\\*\" { discard; }", "keep" },
	{ "if header :matches \"x-spam-score\" \"1?\" { discard; }", "" },
	/* relational */
	{ "if header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"10\" "
	  "{ discard; }", "" },
	{ "if header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"12\" "
	  "{ discard; }", "keep" },
	{ "if header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"2\" "
	  "{ discard; }", "" },
	{ "if address :count \"ge\" :comparator \"i;ascii-numeric\" \"to\" \"3\" { discard; }", "" },
	{ "if address :count \"gt\" :comparator \"i;ascii-numeric\" \"to\" \"3\" { discard; }",
	  "keep" },
	{ "if header :value \"lt\" \"subject\" \"i\" { discard; }", "" },
	/* address parts, groups, subaddress */
	{ "if address :is \"from\" \"alice+lists@example.org\" { discard; }", "" },
	{ "if address :localpart \"from\" \"alice+lists\" { discard; }", "" },
	{ "if address :domain \"from\" \"EXAMPLE.org\" { discard; }", "" },
	{ "if address :user \"from\" \"alice\" { discard; }", "" },
	{ "if address :detail \"from\" \"lists\" { discard; }", "" },
	{ "if address :detail \"cc\" \"\" { discard; }", "keep" },
	{ "if address :detail \"sender\" \"\" { discard; }", "" },
	{ "if address :user \"sender\" \"dave\" { discard; }", "" },
	{ "if address :detail :matches \"cc\" \"*\" { discard; }", "keep" },
	{ "if address :is \"to\" \"carol@example.net\" { discard; }", "" },
	{ "if address :detail \"to\" \"x\" { discard; }", "" },
	{ "if address :all :contains \"cc\" \"J\xc3\xbcrgen\" { discard; }", "keep" },
	/* envelope */
	{ "if envelope :is \"from\" \"sender@example.org\" { discard; }", "" },
	{ "if envelope :detail \"to\" \"shop\" { discard; }", "" },
	{ "if envelope :user \"to\" \"bob\" { discard; }", "" },
	{ "if envelope :domain \"to\" \"example.com\" { discard; }", "" },
	/* exists, size */
	{ "if exists [\"From\", \"X-Spam-Score\"] { discard; }", "" },
	{ "if exists [\"From\", \"X-Nope\"] { discard; }", "keep" },
	{ "if size :over 100 { discard; }", "" },
	{ "if size :over 1M { discard; }", "keep" },
	{ "if size :under 100 { discard; }", "keep" },
	/* body */
	{ "if body :contains \"gr\xc3\xbc\xc3\x9f" "e\" { discard; }", "" },
	{ "if body :contains \"banana\" { discard; }", "" },
	{ "if body :text :contains \"cherry\" { discard; }", "keep" },
	{ "if body :content \"application\" :contains \"cherry\" { discard; }", "" },
	{ "if body :content \"text/html\" :contains \"banana\" { discard; }", "" },
	{ "if body :content \"text/html\" :contains \"Berlin\" { discard; }", "keep" },
	{ "if body :content \"\" :contains \"cherry\" { discard; }", "" },
	{ "if body :raw :contains \"Gr=FC=DFe\" { discard; }", "" },
	{ "if body :raw :contains \"cherry\" { discard; }", "keep" },
	{ "if body :regex \"code [0-9]{4}\" { discard; }", "" },
	/* imap4flags */
	{ "addflag \"\\\\Seen\"; keep;", "keep \\Seen" },
	{ "setflag [\"\\\\seen\", \"$Label1 \\\\Flagged\"];", "keep \\Seen,$Label1,\\Flagged" },
	{ "addflag \"\\\\Seen\"; fileinto \"A\"; removeflag \"\\\\Seen\"; addflag \"\\\\Flagged\";"
	  "fileinto \"B\";", "fileinto A \\Seen | fileinto B \\Flagged" },
	{ "addflag \"\\\\Seen\"; fileinto :copy :flags \"\\\\Draft bad(flag \\\\Bogus\" \"A\";",
	  "fileinto A \\Draft | keep \\Seen" },
	{ "addflag \"x\"; if hasflag :is \"X\" { discard; }", "" },
	{ "addflag \"$a\"; if hasflag :count \"eq\" :comparator \"i;ascii-numeric\" \"1\" "
	  "{ discard; }", "" },
	/* encoded-character */
	{ "if header :contains \"subject\" \"${hex:48 65}llo\" { discard; }", "" },
	{ "fileinto \"${unicode:263a}\";", "fileinto \xe2\x98\xba" },
	/* reject and ereject */
	{ "reject \"go away\";", "reject go away" },
	{ "ereject \"go away\";", "ereject go away" },
	{ "discard; reject \"no\";", "reject no" },
	{ "reject \"no\"; fileinto \"A\";",
	  "ERROR line 3: reject cannot be combined with keep, fileinto or redirect" },
	{ "keep;\nreject \"no\";",
	  "ERROR line 4: reject cannot be combined with keep, fileinto or redirect" },
	{ "reject \"a\"; ereject \"b\";", "ERROR line 3: reject or ereject used twice" },
	/* runtime limits */
	{ "redirect \"a@x\"; redirect \"b@x\"; redirect \"c@x\"; redirect \"d@x\"; "
	  "redirect \"e@x\";", "ERROR line 3: more than 4 redirects" },
	{ "vacation \"a\"; reject \"b\";", "ERROR line 3: reject cannot be combined with vacation" },
	{ "reject \"b\"; vacation \"a\";", "ERROR line 3: reject cannot be combined with vacation" },
	/* i;ascii-casemap orders upper-cased: "H" < "[" (but "h" > "[") */
	{ "if header :value \"lt\" \"subject\" \"[\" { discard; }", "" },
	/* vacation: the basic reply */
	{ "vacation \"away\";", "vacation to=sender@example.org subject=Auto: Hello W\xc3\xb6rld "
	  "continued days=7 | keep" },
	{ "vacation :days 0 :subject \"Out\" \"away\";",
	  "vacation to=sender@example.org subject=Out days=1 | keep" },
	{ "vacation :days 1000 \"away\";", "vacation to=sender@example.org subject=Auto: Hello "
	  "W\xc3\xb6rld continued days=365 | keep" },
	{ "vacation \"a\"; vacation \"b\";", "ERROR line 3: vacation used twice" },
};

static void test_run_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(run_cases); i++) {
		char *text = NULL;
		if (asprintf(&text, REQ "\n%s", run_cases[i].script) < 0)
			fail();
		char *got = run_on(text, message, "<sender@example.org>", "bob+shop@example.com");
		if (strcmp(got, run_cases[i].want) != 0)
			fail_msg("script %zu \"%s\": got \"%s\", want \"%s\"", i, run_cases[i].script,
				 got, run_cases[i].want);
		free(got);
		free(text);
	}
}

static void test_envelope_null_sender(void **state)
{
	(void)state;
	char *got = run_on("require \"envelope\"; if envelope :is \"from\" \"\" { discard; }",
			   message, "", "bob@example.com");
	assert_string_equal(got, "");
	free(got);
}

/* The RFC 5230 "never reply" cases: a header block (To: bob unless given)
 * and the envelope sender; reply says whether an answer is due. */
static const struct {
	const char *what;
	const char *headers;
	const char *from;
	bool reply;
} vacation_cases[] = {
	{ "plain mail to me", "To: bob@example.com\r\n", "x@example.org", true },
	{ "to an alias", "To: Robert <ROBERT+foo@example.com>\r\n", "x@example.org", true },
	{ "to me in Cc", "To: other@example.org\r\nCc: bob@example.com\r\n", "x@example.org", true },
	{ "to me in Resent-To", "To: o@example.org\r\nResent-To: bob@example.com\r\n",
	  "x@example.org", true },
	{ "to :addresses", "To: boss@example.com\r\n", "x@example.org", true },
	{ "not to me", "To: other@example.org\r\n", "x@example.org", false },
	{ "null sender", "To: bob@example.com\r\n", "", false },
	{ "null sender <>", "To: bob@example.com\r\n", "<>", false },
	{ "from myself", "To: bob@example.com\r\n", "Bob+x@Example.com", false },
	{ "from :addresses", "To: bob@example.com\r\n", "boss@example.com", false },
	{ "List-Id", "To: bob@example.com\r\nList-Id: <l.example.org>\r\n", "x@example.org", false },
	{ "List-Unsubscribe", "To: bob@example.com\r\nList-Unsubscribe: <mailto:u@x>\r\n",
	  "x@example.org", false },
	{ "List-Post", "To: bob@example.com\r\nList-Post: <mailto:p@x>\r\n", "x@example.org",
	  false },
	{ "Precedence bulk", "To: bob@example.com\r\nPrecedence: bulk\r\n", "x@example.org", false },
	{ "Precedence list", "To: bob@example.com\r\nPrecedence: List\r\n", "x@example.org", false },
	{ "Precedence junk", "To: bob@example.com\r\nPrecedence: junk\r\n", "x@example.org", false },
	{ "Auto-Submitted", "To: bob@example.com\r\nAuto-Submitted: auto-replied\r\n",
	  "x@example.org", false },
	{ "Auto-Submitted no", "To: bob@example.com\r\nAuto-Submitted: no\r\n", "x@example.org",
	  true },
	{ "MAILER-DAEMON", "To: bob@example.com\r\n", "MAILER-DAEMON@example.org", false },
	{ "owner-", "To: bob@example.com\r\n", "owner-list@example.org", false },
	{ "-request", "To: bob@example.com\r\n", "list-request@example.org", false },
	{ "LISTSERV", "To: bob@example.com\r\n", "listserv@example.org", false },
	{ "majordomo", "To: bob@example.com\r\n", "Majordomo@example.org", false },
};

static void test_vacation_rules(void **state)
{
	(void)state;
	const char *script = "require \"vacation\";\n"
			     "vacation :addresses \"boss@example.com\" \"away\";";
	for (size_t i = 0; i < N_ELEMENTS(vacation_cases); i++) {
		char *msg = NULL;
		if (asprintf(&msg, "%sFrom: x@example.org\r\nSubject: hi\r\n\r\nbody\r\n",
			     vacation_cases[i].headers) < 0)
			fail();
		char *got = run_on(script, msg, vacation_cases[i].from, "bob@example.com");
		bool replied = strncmp(got, "vacation ", 9) == 0;
		if (replied != vacation_cases[i].reply)
			fail_msg("%s: got \"%s\", want %s", vacation_cases[i].what, got,
				 vacation_cases[i].reply ? "a reply" : "no reply");
		free(got);
		free(msg);
	}
}

static void test_vacation_fields(void **state)
{
	(void)state;
	const char *text = "require \"vacation\";\n"
			   "vacation :from \"me@example.com\" :mime :handle \"h1\" \"Content-Type: "
			   "text/plain\r\n\r\naway\";\nvacation2;";
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	assert_int_equal(sieve_compile(text, strlen(text), &script, error), -1);
	assert_string_equal(error, "line 5: unknown command vacation2");

	text = "require \"vacation\";\nvacation :from \"me@example.com\" :mime \"the reason\";";
	assert_int_equal(sieve_compile(text, strlen(text), &script, error), 0);
	struct sieve_message msg = { (const unsigned char *)message, strlen(message),
				     "sender@example.org", "bob@example.com", own };
	struct sieve_result result;
	sieve_result_init(&result);
	assert_int_equal(sieve_execute(script, &msg, &result), 0);
	assert_int_equal(result.count, 1);
	const struct sieve_action *a = &result.actions[0];
	assert_int_equal(a->kind, SIEVE_ACTION_VACATION);
	assert_string_equal(a->vacation_from, "me@example.com");
	assert_true(a->vacation_mime);
	assert_string_equal(a->vacation_body, "the reason");
	assert_string_equal(a->in_reply_to, "<abc@example.org>");
	assert_int_equal(strlen(a->vacation_handle), 64); /* SHA-256 hex */
	char *handle = strdup(a->vacation_handle);
	sieve_result_free(&result);
	sieve_script_free(&script);

	/* the same script gives the same handle; another reason another one */
	text = "require \"vacation\";\nvacation :from \"me@example.com\" :mime \"other\";";
	assert_int_equal(sieve_compile(text, strlen(text), &script, error), 0);
	sieve_result_init(&result);
	assert_int_equal(sieve_execute(script, &msg, &result), 0);
	assert_int_equal(result.count, 1);
	assert_string_not_equal(result.actions[0].vacation_handle, handle);
	free(handle);
	sieve_result_free(&result);
	sieve_script_free(&script);
}

/* Two scripts, one result: the first's stop ends everything; duplicates
 * merge across scripts; the flags variable starts empty in each. */
static void test_two_scripts(void **state)
{
	(void)state;
	const char *admin = "require [\"fileinto\", \"imap4flags\"]; addflag \"\\\\Seen\";"
			    "fileinto :flags \"$x\" \"Archive\";";
	const char *user = "require \"fileinto\"; fileinto \"Archive\"; keep;";
	struct sieve_script *s1 = NULL, *s2 = NULL;
	char error[SIEVE_ERROR_MAX];
	assert_int_equal(sieve_compile(admin, strlen(admin), &s1, error), 0);
	assert_int_equal(sieve_compile(user, strlen(user), &s2, error), 0);
	struct sieve_message msg = { (const unsigned char *)message, strlen(message), "a@b.c",
				     "bob@example.com", own };
	struct sieve_result result;
	sieve_result_init(&result);
	assert_int_equal(sieve_execute(s1, &msg, &result), 0);
	assert_int_equal(sieve_execute(s2, &msg, &result), 0);
	sieve_result_finish(&result);
	char *got = summary(&result, 0);
	assert_string_equal(got, "fileinto Archive $x | keep");
	free(got);
	assert_false(result.implicit_keep);
	sieve_result_free(&result);

	const char *stopper = "stop;";
	struct sieve_script *s3 = NULL;
	assert_int_equal(sieve_compile(stopper, strlen(stopper), &s3, error), 0);
	sieve_result_init(&result);
	assert_int_equal(sieve_execute(s3, &msg, &result), 0);
	assert_true(result.stopped);
	assert_int_equal(sieve_execute(s2, &msg, &result), 0);
	sieve_result_finish(&result);
	got = summary(&result, 0);
	assert_string_equal(got, "keep");
	free(got);
	sieve_result_free(&result);
	sieve_script_free(&s1);
	sieve_script_free(&s2);
	sieve_script_free(&s3);
}

/* More than SIEVE_ACTIONS_MAX distinct fileintos is a runtime error. */
static void test_action_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "require \"fileinto\";\n");
	for (int i = 0; i < 70; i++)
		buf_printf(&b, "fileinto \"box%d\";\n", i);
	char *got = run_on((const char *)b.data, message, "a@b.c", "bob@example.com");
	assert_string_equal(got, "ERROR line 66: more than 64 actions");
	free(got);
	buf_free(&b);
}

/* Matching is bounded per execute: two body tests with 600 keys each on a
 * 1 MB body exceed SIEVE_WORK_MAX at the second. */
static void test_work_budget(void **state)
{
	(void)state;
	struct buf msg, script;
	buf_init(&msg);
	buf_init(&script);
	buf_append_str(&msg, "Subject: big\r\n\r\n");
	for (int i = 0; i < 16 * 1024; i++)
		buf_append_str(&msg, "0123456789abcdef0123456789abcdef0123456789abcdef012345678901\r\n");
	buf_append_str(&script, "require \"body\";\n");
	for (int t = 0; t < 2; t++) {
		buf_append_str(&script, "if body :raw :comparator \"i;octet\" :contains [\"zz\"");
		for (int k = 1; k < 600; k++)
			buf_printf(&script, ", \"zz%d\"", k);
		buf_append_str(&script, "] { discard; }\n");
	}
	char *got = run_on((const char *)script.data, (const char *)msg.data, "a@b.c",
			   "bob@example.com");
	assert_string_equal(got, "ERROR line 3: too much matching work for this message");
	free(got);
	buf_free(&msg);
	buf_free(&script);
}

/* An empty or header-only message, and no message data at all. */
static void test_degenerate_messages(void **state)
{
	(void)state;
	const char *script = REQ "if anyof (body :contains \"x\", body :raw :contains \"x\", "
			     "header :contains \"subject\" \"x\", address \"to\" \"x\", exists \"a\")"
			     " { discard; }";
	const char *msgs[] = { "", "Subject: x", "\r\n\r\n", "no colon line\r\n\r\nx" };
	const char *want[] = { "keep", "", "keep", "" };
	for (size_t i = 0; i < N_ELEMENTS(msgs); i++) {
		char *got = run_on(script, msgs[i], "a@b.c", "bob@example.com");
		if (strcmp(got, want[i]) != 0)
			fail_msg("message %zu: got \"%s\", want \"%s\"", i, got, want[i]);
		free(got);
	}
}

/* One compiled script run by several threads at once gives each the same
 * answer (the script is immutable; all state is per execute). */
struct thread_arg {
	const struct sieve_script *script;
	int mismatches;
};

static void *thread_run(void *p)
{
	struct thread_arg *arg = p;
	struct sieve_message msg = { (const unsigned char *)message, strlen(message),
				     "sender@example.org", "bob+shop@example.com", own };
	for (int i = 0; i < 50; i++) {
		struct sieve_result result;
		sieve_result_init(&result);
		int ret = sieve_execute(arg->script, &msg, &result);
		if (ret == 0)
			sieve_result_finish(&result);
		char *got = summary(&result, ret);
		if (strcmp(got, "fileinto Regex \\Seen | vacation to=sender@example.org "
				"subject=Auto: Hello W\xc3\xb6rld continued days=7") != 0)
			arg->mismatches++;
		free(got);
		sieve_result_free(&result);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	const char *text = REQ "addflag \"\\\\Seen\";\n"
			   "if allof (header :regex \"subject\" \"^hel+o\", body :contains \"banana\",\n"
			   "  address :detail \"sender\" \"\", envelope :detail \"to\" \"shop\") {\n"
			   "  fileinto \"Regex\"; vacation \"away\";\n}\n";
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	if (sieve_compile(text, strlen(text), &script, error) < 0)
		fail_msg("got \"%s\", want the script to compile", error);
	pthread_t threads[4];
	struct thread_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ script, 0 };
		assert_int_equal(pthread_create(&threads[i], NULL, thread_run, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		if (args[i].mismatches != 0)
			fail_msg("thread %d: got %d wrong results, want 0", i, args[i].mismatches);
	}
	sieve_script_free(&script);
}

int main(void)
{
	g_mime_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_table),
		cmocka_unit_test(test_envelope_null_sender),
		cmocka_unit_test(test_vacation_rules),
		cmocka_unit_test(test_vacation_fields),
		cmocka_unit_test(test_two_scripts),
		cmocka_unit_test(test_action_cap),
		cmocka_unit_test(test_work_budget),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_degenerate_messages),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return ret;
}
