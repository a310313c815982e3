/* sieve-private.h - what the files of the Sieve interpreter share: the
 * tokens (sieve-lex.c), the syntax tree (sieve-parse.c) with the fields the
 * checker fills in (sieve-check.c), and the helpers execution uses
 * (sieve-match.c, sieve-address.c, sieve-message.c, sieve-vacation.c,
 * sieve-result.c). Never included outside daemon/src/sieve/.
 */
#ifndef TANDEM_SIEVE_PRIVATE_H
#define TANDEM_SIEVE_PRIVATE_H

#include "sieve.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard limits of compile time (SIEVE_SCRIPT_MAX bounds the text itself). */
#define SIEVE_STRING_MAX (128 * 1024) /* bytes in one string literal */
#define SIEVE_LIST_MAX 1024           /* strings in one string list */
#define SIEVE_ARGS_MAX 64             /* arguments of one command or test */
#define SIEVE_TESTS_MAX 256           /* tests in one test list */
#define SIEVE_NESTING_MAX 32          /* blocks and tests inside each other */
#define SIEVE_NUMBER_MAX ((uint64_t)1 << 53) /* a number after K/M/G */
/* Hard limits of run time */
#define SIEVE_ACTIONS_MAX 64          /* actions one result may hold */
#define SIEVE_REDIRECTS_MAX 4         /* redirect actions in one result */
#define SIEVE_FLAGS_MAX 128           /* flags in the imap4flags variable */
#define SIEVE_BODY_MAX (1024 * 1024)  /* bytes of decoded body parts, and of raw body */
#define SIEVE_WORK_MAX ((uint64_t)1 << 30) /* value bytes x keys one execute may compare */
#define SIEVE_BODY_PARSE_MAX (8 * 1024 * 1024) /* bytes of message given to GMime */
#define SIEVE_REGEX_INPUT_MAX (64 * 1024) /* bytes of one value :regex looks at */
#define SIEVE_HEADERS_MAX 2048        /* header fields looked at */

/* ---- tokens (sieve-lex.c) ---- */
enum sieve_token_kind {
	SIEVE_TOK_EOF,
	SIEVE_TOK_IDENT,
	SIEVE_TOK_TAG,    /* str without the colon */
	SIEVE_TOK_NUMBER,
	SIEVE_TOK_STRING, /* quoted or multi-line, escapes and dots undone */
	SIEVE_TOK_LBRACKET,
	SIEVE_TOK_RBRACKET,
	SIEVE_TOK_LPAREN,
	SIEVE_TOK_RPAREN,
	SIEVE_TOK_LBRACE,
	SIEVE_TOK_RBRACE,
	SIEVE_TOK_COMMA,
	SIEVE_TOK_SEMICOLON,
};

struct sieve_token {
	enum sieve_token_kind kind;
	unsigned line;
	char *str; /* IDENT, TAG, STRING: malloc'ed, NUL-terminated */
	size_t len;
	uint64_t number;
};

struct sieve_lexer {
	const char *p, *end;
	unsigned line;
};

void sieve_lexer_init(struct sieve_lexer *lx, const char *text, size_t len);
/* The next token; -1 and error "line N: ..." on bad input. */
int sieve_lex_next(struct sieve_lexer *lx, struct sieve_token *tok_r, char error[SIEVE_ERROR_MAX]);
void sieve_token_clear(struct sieve_token *tok);
const char *sieve_token_name(enum sieve_token_kind kind);

/* ---- syntax tree (sieve-parse.c) ---- */
struct sieve_strlist {
	char **s;
	size_t count;
};

enum sieve_arg_kind { SIEVE_ARG_TAG, SIEVE_ARG_NUMBER, SIEVE_ARG_STRING, SIEVE_ARG_LIST };

struct sieve_arg {
	enum sieve_arg_kind kind;
	unsigned line;
	char *tag;                 /* TAG, lower-cased, without ':' */
	uint64_t number;           /* NUMBER */
	struct sieve_strlist list; /* STRING (count 1) and LIST */
};

enum sieve_id {
	SIEVE_ID_UNKNOWN,
	/* commands */
	SIEVE_CMD_REQUIRE, SIEVE_CMD_IF, SIEVE_CMD_ELSIF, SIEVE_CMD_ELSE, SIEVE_CMD_STOP,
	SIEVE_CMD_KEEP, SIEVE_CMD_DISCARD, SIEVE_CMD_FILEINTO, SIEVE_CMD_REDIRECT,
	SIEVE_CMD_REJECT, SIEVE_CMD_EREJECT, SIEVE_CMD_VACATION, SIEVE_CMD_SETFLAG,
	SIEVE_CMD_ADDFLAG, SIEVE_CMD_REMOVEFLAG,
	/* tests */
	SIEVE_TEST_ADDRESS, SIEVE_TEST_ENVELOPE, SIEVE_TEST_HEADER, SIEVE_TEST_EXISTS,
	SIEVE_TEST_SIZE, SIEVE_TEST_ALLOF, SIEVE_TEST_ANYOF, SIEVE_TEST_NOT, SIEVE_TEST_TRUE,
	SIEVE_TEST_FALSE, SIEVE_TEST_BODY, SIEVE_TEST_HASFLAG,
};

enum sieve_match_type { SIEVE_MATCH_IS, SIEVE_MATCH_CONTAINS, SIEVE_MATCH_MATCHES,
			SIEVE_MATCH_REGEX, SIEVE_MATCH_COUNT, SIEVE_MATCH_VALUE };
enum sieve_relation { SIEVE_REL_GT, SIEVE_REL_GE, SIEVE_REL_LT, SIEVE_REL_LE, SIEVE_REL_EQ,
		      SIEVE_REL_NE };
enum sieve_comparator { SIEVE_CMP_CASEMAP, SIEVE_CMP_OCTET, SIEVE_CMP_NUMERIC };
enum sieve_addr_part { SIEVE_PART_ALL, SIEVE_PART_LOCALPART, SIEVE_PART_DOMAIN,
		       SIEVE_PART_USER, SIEVE_PART_DETAIL };
enum sieve_body_transform { SIEVE_BODY_TEXT, SIEVE_BODY_RAW, SIEVE_BODY_CONTENT };

/* What the checker found in a node's arguments (pointers into the node). */
struct sieve_opts {
	enum sieve_match_type match;
	enum sieve_relation rel;
	enum sieve_comparator cmp;
	enum sieve_addr_part part;
	enum sieve_body_transform transform;
	const struct sieve_strlist *content_types; /* body :content */
	const struct sieve_strlist *flags;         /* keep/fileinto :flags */
	const struct sieve_strlist *addresses;     /* vacation :addresses */
	const char *subject, *from, *handle;       /* vacation */
	bool copy, create, mime, over, has_flags, has_days;
	uint64_t days, size;
	const struct sieve_strlist *pos[2]; /* positional string (list) arguments */
	regex_t *regex;                     /* :regex, one per key, compiled */
	size_t regex_count;
};

struct sieve_node {
	char *name; /* lower-cased */
	unsigned line;
	struct sieve_arg *args;
	size_t arg_count;
	struct sieve_node *tests; /* the test, or the test list */
	size_t test_count;
	bool test_list;
	struct sieve_node *block;
	size_t block_count;
	bool has_block;
	/* filled in by sieve-check.c */
	enum sieve_id id;
	struct sieve_opts opt;
};

/* Extensions as bits (sieve-check.c) */
enum {
	SIEVE_EXT_FILEINTO = 1 << 0, SIEVE_EXT_REJECT = 1 << 1, SIEVE_EXT_EREJECT = 1 << 2,
	SIEVE_EXT_ENVELOPE = 1 << 3, SIEVE_EXT_ENCODED = 1 << 4, SIEVE_EXT_VACATION = 1 << 5,
	SIEVE_EXT_SUBADDRESS = 1 << 6, SIEVE_EXT_NUMERIC = 1 << 7, SIEVE_EXT_RELATIONAL = 1 << 8,
	SIEVE_EXT_REGEX = 1 << 9, SIEVE_EXT_IMAP4FLAGS = 1 << 10, SIEVE_EXT_COPY = 1 << 11,
	SIEVE_EXT_BODY = 1 << 12, SIEVE_EXT_MAILBOX = 1 << 13,
};

/* The bit of an extension name require accepts (-1: unsupported), and the
 * name of a bit (sieve-script.c). */
int sieve_extension_bit(const char *name, unsigned *bit_r);
const char *sieve_extension_name(unsigned bit);

struct sieve_script {
	struct sieve_node *commands;
	size_t count;
	unsigned extensions;
};

/* Parse text into the tree (no meaning checked yet). */
int sieve_parse(const char *text, size_t len, struct sieve_node **commands_r, size_t *count_r,
		char error[SIEVE_ERROR_MAX]);
void sieve_nodes_free(struct sieve_node *nodes, size_t count);
/* Check the tree (sieve-check.c): resolve names, arguments, requires. */
int sieve_check(struct sieve_script *script, char error[SIEVE_ERROR_MAX]);
/* encoded-character (sieve-encoded.c): decode ${hex:..} and ${unicode:..}
 * in place in one string, or in every string of a node and its children. */
void sieve_encoded_decode(char **s);
void sieve_encoded_decode_node(struct sieve_node *n);

/* ---- matching (sieve-match.c) ---- */
/* Does any of values (count n) match any key per the node's match type,
 * comparator and relation? :count counts the values. */
bool sieve_match_values(const struct sieve_opts *opt, const char *const *values, size_t n,
			const struct sieve_strlist *keys);
/* What matching values against keys costs for the work budget. */
uint64_t sieve_match_cost(const char *const *values, size_t n, const struct sieve_strlist *keys);
/* :matches wildcard match (exposed for the tests). */
bool sieve_match_glob(const char *pattern, const char *value, bool casemap);
/* RFC 4790 i;ascii-numeric order of two strings: <0, 0, >0 */
int sieve_numeric_compare(const char *a, const char *b);

/* ---- the message (sieve-message.c) ---- */
struct sieve_header_field {
	char *name;  /* as written */
	char *value; /* unfolded, not decoded */
};

struct sieve_body_part {
	char *type, *subtype; /* lower-cased */
	char *text;           /* decoded (text parts: UTF-8), NUL-terminated */
};

struct sieve_msg_cache {
	const struct sieve_message *msg;
	bool headers_done;
	struct sieve_header_field *fields;
	size_t field_count;
	size_t header_size;
	bool body_done;        /* parts and raw filled on the first body test */
	struct sieve_body_part *parts;
	size_t part_count;
	char *raw;             /* the undecoded body, at most SIEVE_BODY_MAX */
};

void sieve_msg_cache_init(struct sieve_msg_cache *c, const struct sieve_message *msg);
void sieve_msg_cache_free(struct sieve_msg_cache *c);
/* Values (malloc'ed, into a growing array) of the fields called name:
 * decoded (RFC 2047) and trimmed when decode, else raw unfolded. */
void sieve_msg_header_values(struct sieve_msg_cache *c, const char *name, bool decode,
			     char ***values, size_t *count, size_t *cap);
bool sieve_msg_header_exists(struct sieve_msg_cache *c, const char *name);
/* Texts the body test matches against (one per part, or the raw body):
 * pointers into the cache, valid until sieve_msg_cache_free. */
void sieve_msg_body_values(struct sieve_msg_cache *c, const struct sieve_opts *opt,
			   const char ***values, size_t *count, size_t *cap);

/* ---- addresses (sieve-address.c) ---- */
/* The addresses in a header value as "local@domain" strings (groups
 * flattened); appended to a growing array. */
void sieve_address_parse_list(const char *value, char ***addrs, size_t *count, size_t *cap);
/* The part of an address; NULL when it has none (:detail without '+'). */
char *sieve_address_part(const char *address, enum sieve_addr_part part);
/* A plain address for redirect: local@domain, both parts non-empty, no
 * blanks, controls, <> or quotes. */
bool sieve_address_valid(const char *address);
/* Same mailbox, case-insensitive, +detail ignored. */
bool sieve_address_equal(const char *a, const char *b);

/* ---- result (sieve-result.c) ---- */
/* Append or merge an action; -1 with result->error on a limit. The
 * action's strings are taken over. */
int sieve_result_add(struct sieve_result *result, struct sieve_action *action);
char **sieve_flags_copy(char *const *flags, size_t count);
void sieve_action_clear(struct sieve_action *a);

/* ---- vacation (sieve-vacation.c) ---- */
/* Decide whether to answer and build the action: 1 and *action_r filled
 * when a reply is due, 0 when the rules say not to. */
int sieve_vacation_build(const struct sieve_opts *opt, const char *reason,
			 struct sieve_msg_cache *c, struct sieve_action *action_r);

void sieve_strlist_free(struct sieve_strlist *l);
void sieve_strv_free(char **v, size_t count);

#endif
