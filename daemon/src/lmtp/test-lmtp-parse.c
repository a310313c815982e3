/* test-lmtp-parse.c - unit tests for lmtp-parse.c: tables of good and
 * hostile command lines with the parse (or the error) each must give.
 * Inputs are copied into exact-size heap buffers without a NUL so ASan
 * catches any read past the given length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmtp-parse.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const char *result_str(enum lmtp_parse_result r)
{
	switch (r) {
	case LMTP_PARSE_OK: return "OK";
	case LMTP_PARSE_UNKNOWN: return "UNKNOWN";
	case LMTP_PARSE_SYNTAX: return "SYNTAX";
	case LMTP_PARSE_UNSUPPORTED: return "UNSUPPORTED";
	}
	return "?";
}

/* An exact-size copy without a terminating NUL. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len == 0 ? 1 : len);
	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

#define CHECK_RESULT(what, input, got, want)                                              \
	do {                                                                             \
		if ((got) != (want))                                                     \
			fail_msg("%s \"%s\": got %s, want %s", what, input, result_str(got), \
				 result_str(want));                                      \
	} while (0)

#define CHECK_STR(what, input, field, got, want)                                         \
	do {                                                                             \
		if (strcmp(got, want) != 0)                                              \
			fail_msg("%s \"%s\": %s got \"%s\", want \"%s\"", what, input, field, \
				 got, want);                                             \
	} while (0)

/* ---- command lines ---- */
static const struct {
	const char *line;
	enum lmtp_parse_result result;
	const char *verb;
	const char *args;
} command_cases[] = {
	{ "LHLO client.test", LMTP_PARSE_OK, "LHLO", "client.test" },
	{ "lhlo client.test", LMTP_PARSE_OK, "LHLO", "client.test" },
	{ "QUIT", LMTP_PARSE_OK, "QUIT", "" },
	{ "quit   ", LMTP_PARSE_OK, "QUIT", "" },
	{ "MAIL FROM:<a@b.c> SIZE=10", LMTP_PARSE_OK, "MAIL", "FROM:<a@b.c> SIZE=10" },
	{ "NOOP   spaced  args  ", LMTP_PARSE_OK, "NOOP", "spaced  args" },
	{ "ABCDEFGHIJKLMNOP", LMTP_PARSE_OK, "ABCDEFGHIJKLMNOP", "" },
	{ "ABCDEFGHIJKLMNOPQ", LMTP_PARSE_UNKNOWN, "", "" },
	{ "", LMTP_PARSE_UNKNOWN, "", "" },
	{ " QUIT", LMTP_PARSE_UNKNOWN, "", "" },
	{ "QUIT\t", LMTP_PARSE_UNKNOWN, "", "" },
	{ "MA1L FROM:<a@b>", LMTP_PARSE_UNKNOWN, "", "" },
	{ "RCPT:TO:<a@b>", LMTP_PARSE_UNKNOWN, "", "" },
	{ "\xff\xfe", LMTP_PARSE_UNKNOWN, "", "" },
	{ "NOOP \x01", LMTP_PARSE_SYNTAX, "NOOP", "" },
	{ "MAIL FROM:<\xc3\xa9@b.c>", LMTP_PARSE_SYNTAX, "MAIL", "" },
	{ "NOOP a\tb", LMTP_PARSE_SYNTAX, "NOOP", "" },
};

static void test_parse_command(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(command_cases); i++) {
		const char *line = command_cases[i].line;
		size_t len = strlen(line);
		char *copy = exact_copy(line, len);
		struct lmtp_command cmd;
		const char *error = NULL;
		enum lmtp_parse_result r = lmtp_parse_command(copy, len, &cmd, &error);
		CHECK_RESULT("command", line, r, command_cases[i].result);
		if (r == LMTP_PARSE_UNKNOWN || r == LMTP_PARSE_SYNTAX)
			assert_non_null(error);
		if (r != LMTP_PARSE_UNKNOWN)
			CHECK_STR("command", line, "verb", cmd.verb, command_cases[i].verb);
		if (r == LMTP_PARSE_OK) {
			char args[256];
			snprintf(args, sizeof(args), "%.*s", (int)cmd.args_len, cmd.args);
			CHECK_STR("command", line, "args", args, command_cases[i].args);
		}
		free(copy);
	}
}

/* ---- MAIL ---- */
#define NO_SIZE (-1LL)
static const struct {
	const char *args;
	enum lmtp_parse_result result;
	const char *address;   /* NULL: null sender */
	long long size;        /* NO_SIZE: no SIZE parameter */
	enum lmtp_body body;
} mail_cases[] = {
	{ "FROM:<a@example.org>", LMTP_PARSE_OK, "a@example.org", NO_SIZE, LMTP_BODY_NONE },
	{ "from:<a@example.org>", LMTP_PARSE_OK, "a@example.org", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<>", LMTP_PARSE_OK, NULL, NO_SIZE, LMTP_BODY_NONE },
	{ "FROM: <a@example.org>", LMTP_PARSE_OK, "a@example.org", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE=12345", LMTP_PARSE_OK, "a@example.org", 12345, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> size=0 body=8bitmime", LMTP_PARSE_OK, "a@example.org", 0,
	  LMTP_BODY_8BITMIME },
	{ "FROM:<a@example.org>  BODY=7BIT   SIZE=999999999999999999", LMTP_PARSE_OK,
	  "a@example.org", 999999999999999999LL, LMTP_BODY_7BIT },
	{ "FROM:<a@example.org> SIZE=0000000000000000001", LMTP_PARSE_OK, "a@example.org", 1,
	  LMTP_BODY_NONE },
	{ "FROM:<@relay.example,@other.example:a@example.org>", LMTP_PARSE_OK, "a@example.org", NO_SIZE,
	  LMTP_BODY_NONE },
	{ "FROM:<\"john smith\"@example.org>", LMTP_PARSE_OK, "\"john smith\"@example.org", NO_SIZE,
	  LMTP_BODY_NONE },
	{ "FROM:<a.b-c+d@[192.0.2.1]>", LMTP_PARSE_OK, "a.b-c+d@[192.0.2.1]", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@[IPv6:2001:db8::1]>", LMTP_PARSE_OK, "a@[IPv6:2001:db8::1]", NO_SIZE, LMTP_BODY_NONE },
	/* unsupported parameters and values: 555 */
	{ "FROM:<a@example.org> AUTH=<>", LMTP_PARSE_UNSUPPORTED, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SMTPUTF8", LMTP_PARSE_UNSUPPORTED, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> BODY=BINARYMIME", LMTP_PARSE_UNSUPPORTED, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> RET=FULL", LMTP_PARSE_UNSUPPORTED, "", NO_SIZE, LMTP_BODY_NONE },
	/* syntax errors: 501 */
	{ "", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:a@example.org", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM<a@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "TO:<a@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org>SIZE=1", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE=", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE=12x", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE=-1", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE=10000000000000000000", LMTP_PARSE_SYNTAX, "", NO_SIZE,
	  LMTP_BODY_NONE },
	{ "FROM:<a@example.org> SIZE=1 SIZE=2", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> BODY=7BIT BODY=7BIT", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> =x", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> -X=1", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> X=a=b", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> A B C D E F G H I J K L M N O P Q", LMTP_PARSE_SYNTAX, "", NO_SIZE,
	  LMTP_BODY_NONE },
	{ "FROM:<a>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<postmaster>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<.a@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a.@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a..b@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a b@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@b@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example..org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org.>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@-example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example-.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@exa_mple.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@[]>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@[1.2.3.4>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@[1[2]>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<\"unterminated@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<\"bad\\\">", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<\"a\"b@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<@relay.example:>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<@relay.example,a@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<@relay.example a@example.org>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<<a@example.org>>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
	{ "FROM:<a@example.org> trailing>", LMTP_PARSE_SYNTAX, "", NO_SIZE, LMTP_BODY_NONE },
};

static void test_parse_mail(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(mail_cases); i++) {
		const char *in = mail_cases[i].args;
		size_t len = strlen(in);
		char *copy = exact_copy(in, len);
		struct lmtp_mail_args mail;
		const char *error = NULL;
		enum lmtp_parse_result r = lmtp_parse_mail(copy, len, &mail, &error);
		CHECK_RESULT("MAIL", in, r, mail_cases[i].result);
		if (r != LMTP_PARSE_OK) {
			assert_non_null(error);
			free(copy);
			continue;
		}
		if (mail_cases[i].address == NULL) {
			if (!mail.sender.null)
				fail_msg("MAIL \"%s\": got a sender, want the null sender", in);
		} else {
			if (mail.sender.null)
				fail_msg("MAIL \"%s\": got the null sender, want one", in);
			CHECK_STR("MAIL", in, "address", mail.sender.address, mail_cases[i].address);
		}
		long long want_size = mail_cases[i].size;
		if (want_size == NO_SIZE) {
			if (mail.has_size)
				fail_msg("MAIL \"%s\": got SIZE %llu, want none", in,
					 (unsigned long long)mail.size);
		} else if (!mail.has_size || mail.size != (unsigned long long)want_size) {
			fail_msg("MAIL \"%s\": got SIZE %llu (given %d), want %lld", in,
				 (unsigned long long)mail.size, mail.has_size, want_size);
		}
		if (mail.body != mail_cases[i].body)
			fail_msg("MAIL \"%s\": got BODY %d, want %d", in, mail.body, mail_cases[i].body);
		free(copy);
	}
}

/* ---- RCPT ---- */
static const struct {
	const char *args;
	enum lmtp_parse_result result;
	const char *address;
	const char *canonical;
	bool has_domain;
	size_t len;            /* 0: strlen(args); else the input has NUL bytes */
} rcpt_cases[] = {
	{ "TO:<alice@example.test>", LMTP_PARSE_OK, "alice@example.test", "alice@example.test", true, 0 },
	{ "to:<Alice+Lists@Example.Test>", LMTP_PARSE_OK, "Alice+Lists@Example.Test",
	  "Alice+Lists@Example.Test", true, 0 },
	{ "TO: <alice@example.test>", LMTP_PARSE_OK, "alice@example.test", "alice@example.test", true, 0 },
	{ "TO:<alice@example.test>   ", LMTP_PARSE_OK, "alice@example.test", "alice@example.test", true, 0 },
	{ "TO:<\"alice\"@example.test>", LMTP_PARSE_OK, "\"alice\"@example.test", "alice@example.test",
	  true, 0 },
	{ "TO:<\"al.ice\"@example.test>", LMTP_PARSE_OK, "\"al.ice\"@example.test",
	  "al.ice@example.test", true, 0 },
	{ "TO:<\"a\\\"b\"@example.test>", LMTP_PARSE_OK, "\"a\\\"b\"@example.test",
	  "\"a\\\"b\"@example.test", true, 0 },
	{ "TO:<\"a b\"@example.test>", LMTP_PARSE_OK, "\"a b\"@example.test", "\"a b\"@example.test",
	  true, 0 },
	{ "TO:<\"\"@example.test>", LMTP_PARSE_OK, "\"\"@example.test", "\"\"@example.test", true, 0 },
	{ "TO:<Postmaster>", LMTP_PARSE_OK, "Postmaster", "Postmaster", false, 0 },
	{ "TO:<postmaster@example.test>", LMTP_PARSE_OK, "postmaster@example.test",
	  "postmaster@example.test", true, 0 },
	{ "TO:<@a.example:bob@example.test>", LMTP_PARSE_OK, "bob@example.test", "bob@example.test",
	  true, 0 },
	{ "TO:<{weird}!#$%&'*/=?^_`|~@example.test>", LMTP_PARSE_OK,
	  "{weird}!#$%&'*/=?^_`|~@example.test", "{weird}!#$%&'*/=?^_`|~@example.test", true, 0 },
	/* no RCPT parameters are implemented */
	{ "TO:<alice@example.test> NOTIFY=NEVER", LMTP_PARSE_UNSUPPORTED, "", "", true, 0 },
	{ "TO:<alice@example.test> ORCPT=rfc822;alice@example.test", LMTP_PARSE_UNSUPPORTED, "", "",
	  true, 0 },
	/* hostile or broken */
	{ "TO:<>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<alice>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<\"Postmaster\">", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:alice@example.test", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "FROM:<alice@example.test>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<alice@example.test", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<alice@example.test>>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<alice@example.test> =", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<alice@exa mple.test>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<\"a\nb\"@example.test>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<\"a\\\x01\"@example.test>", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<a\x00b@example.test>", LMTP_PARSE_SYNTAX, "", "", true,
	  sizeof("TO:<a\x00b@example.test>") - 1 },
	{ "TO", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "T", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<\"", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<\"\\", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<a@[", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<@", LMTP_PARSE_SYNTAX, "", "", true, 0 },
	{ "TO:<@a,", LMTP_PARSE_SYNTAX, "", "", true, 0 },
};

static void test_parse_rcpt(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(rcpt_cases); i++) {
		const char *in = rcpt_cases[i].args;
		size_t len = rcpt_cases[i].len != 0 ? rcpt_cases[i].len : strlen(in);
		char *copy = exact_copy(in, len);
		struct lmtp_rcpt_args rcpt;
		const char *error = NULL;
		enum lmtp_parse_result r = lmtp_parse_rcpt(copy, len, &rcpt, &error);
		CHECK_RESULT("RCPT", in, r, rcpt_cases[i].result);
		if (r == LMTP_PARSE_OK) {
			CHECK_STR("RCPT", in, "address", rcpt.rcpt.address, rcpt_cases[i].address);
			CHECK_STR("RCPT", in, "canonical", rcpt.rcpt.canonical,
				  rcpt_cases[i].canonical);
			if (rcpt.rcpt.has_domain != rcpt_cases[i].has_domain)
				fail_msg("RCPT \"%s\": got has_domain %d, want %d", in,
					 rcpt.rcpt.has_domain, rcpt_cases[i].has_domain);
		} else {
			assert_non_null(error);
		}
		free(copy);
	}
}

/* ---- limits: lengths right at and just past each bound ---- */
static void test_parse_limits(void **state)
{
	(void)state;
	char local[LMTP_LOCALPART_MAX + 2];
	char label[LMTP_LABEL_MAX + 2];
	char domain[LMTP_DOMAIN_MAX + 8];
	char args[1024];
	struct lmtp_rcpt_args rcpt;
	const char *error;

	static const struct {
		size_t local_len, label_len, domain_labels;
		enum lmtp_parse_result result;
	} cases[] = {
		{ LMTP_LOCALPART_MAX, 10, 1, LMTP_PARSE_OK },
		{ LMTP_LOCALPART_MAX + 1, 10, 1, LMTP_PARSE_SYNTAX },
		{ 5, LMTP_LABEL_MAX, 1, LMTP_PARSE_OK },
		{ 5, LMTP_LABEL_MAX + 1, 1, LMTP_PARSE_SYNTAX },
		/* 4 labels of 63 + 3 dots = 255 > 253 */
		{ 5, LMTP_LABEL_MAX, 4, LMTP_PARSE_SYNTAX },
		/* 3 labels of 63 + 2 dots = 191 */
		{ 5, LMTP_LABEL_MAX, 3, LMTP_PARSE_OK },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		memset(local, 'l', cases[i].local_len);
		local[cases[i].local_len] = '\0';
		memset(label, 'd', cases[i].label_len);
		label[cases[i].label_len] = '\0';
		domain[0] = '\0';
		for (size_t l = 0; l < cases[i].domain_labels; l++) {
			if (l > 0)
				strcat(domain, ".");
			if (strlen(domain) + strlen(label) < sizeof(domain))
				strcat(domain, label);
		}
		snprintf(args, sizeof(args), "TO:<%s@%s>", local, domain);
		size_t len = strlen(args);
		char *copy = exact_copy(args, len);
		enum lmtp_parse_result r = lmtp_parse_rcpt(copy, len, &rcpt, &error);
		if (r != cases[i].result)
			fail_msg("limits case %zu (local %zu, label %zu x%zu): got %s, want %s", i,
				 cases[i].local_len, cases[i].label_len, cases[i].domain_labels,
				 result_str(r), result_str(cases[i].result));
		free(copy);
	}
	/* a quoted local part longer than the limit */
	memset(local, 'q', LMTP_LOCALPART_MAX);
	local[LMTP_LOCALPART_MAX] = '\0';
	snprintf(args, sizeof(args), "TO:<\"%s\"@example.test>", local);
	enum lmtp_parse_result r = lmtp_parse_rcpt(args, strlen(args), &rcpt, &error);
	if (r != LMTP_PARSE_SYNTAX)
		fail_msg("quoted 64+2 local part: got %s, want SYNTAX", result_str(r));
}

/* ---- LHLO ---- */
static const struct {
	const char *args;
	int ret;
} lhlo_cases[] = {
	{ "client.test", 0 },
	{ "mail_host.example", 0 },
	{ "[192.0.2.1]", 0 },
	{ "[IPv6:2001:db8::1]", 0 },
	{ "localhost", 0 },
	{ "", -1 },
	{ "two words", -1 },
	{ "bad!host", -1 },
	{ "[192.0.2.1", -1 },
	{ "host\x7f", -1 },
};

static void test_parse_lhlo(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(lhlo_cases); i++) {
		const char *in = lhlo_cases[i].args;
		size_t len = strlen(in);
		char *copy = exact_copy(in, len);
		const char *error = NULL;
		int ret = lmtp_parse_lhlo(copy, len, &error);
		if (ret != lhlo_cases[i].ret)
			fail_msg("LHLO \"%s\": got %d, want %d", in, ret, lhlo_cases[i].ret);
		free(copy);
	}
}

/* ---- a mailbox alone ---- */
static const struct {
	const char *in;
	int ret;
	const char *canonical;
} mailbox_cases[] = {
	{ "a@b.c", 0, "a@b.c" },
	{ "\"x.y\"@b.c", 0, "x.y@b.c" },
	{ "a@b.c ", -1, "" },
	{ "a@b.c>", -1, "" },
	{ "a", -1, "" },
	{ "", -1, "" },
};

static void test_parse_mailbox(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(mailbox_cases); i++) {
		const char *in = mailbox_cases[i].in;
		size_t len = strlen(in);
		char *copy = exact_copy(in, len);
		struct lmtp_path path;
		const char *error = NULL;
		int ret = lmtp_parse_mailbox(copy, len, &path, &error);
		if (ret != mailbox_cases[i].ret)
			fail_msg("mailbox \"%s\": got %d, want %d", in, ret, mailbox_cases[i].ret);
		if (ret == 0)
			CHECK_STR("mailbox", in, "canonical", path.canonical, mailbox_cases[i].canonical);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_command),
		cmocka_unit_test(test_parse_mail),
		cmocka_unit_test(test_parse_rcpt),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_lhlo),
		cmocka_unit_test(test_parse_mailbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
