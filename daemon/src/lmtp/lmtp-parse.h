/* lmtp-parse.h - pure parsing of LMTP command lines (RFC 2033 on RFC 5321):
 * the verb, `MAIL FROM:<path> [params]`, `RCPT TO:<path> [params]`, and
 * address syntax (dot-strings, quoted local parts, domains, address
 * literals, source routes).
 *
 * Input is (pointer, length) and never needs a NUL; nothing is read beyond
 * it, nothing is allocated, every output is bounded by the limits below.
 * No I/O, no logging, no state: safe to fuzz.
 */
#ifndef TANDEM_LMTP_PARSE_H
#define TANDEM_LMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest command verb ("STARTTLS" is 8). */
#define LMTP_VERB_MAX 16
/* Longest path, RFC 5321 4.5.3.1.3 (256 with the angle brackets). */
#define LMTP_PATH_MAX 256
/* Longest local part, RFC 5321 4.5.3.1.1. */
#define LMTP_LOCALPART_MAX 64
/* Longest domain, RFC 5321 4.5.3.1.2 (255) less the DNS overhead. */
#define LMTP_DOMAIN_MAX 253
/* Longest DNS label. */
#define LMTP_LABEL_MAX 63
/* Most ESMTP parameters after a path. */
#define LMTP_PARAMS_MAX 16
/* Most digits in SIZE=. */
#define LMTP_SIZE_DIGITS_MAX 19

enum lmtp_parse_result {
	LMTP_PARSE_OK = 0,
	LMTP_PARSE_UNKNOWN,     /* 500 5.5.1: not a command verb at all */
	LMTP_PARSE_SYNTAX,      /* 501 5.5.4 */
	LMTP_PARSE_UNSUPPORTED, /* 555 5.5.4: a parameter we do not implement */
};

struct lmtp_command {
	char verb[LMTP_VERB_MAX + 1]; /* upper-cased */
	const char *args;             /* into the line: after the verb and its blank */
	size_t args_len;              /* trailing blanks removed */
};

struct lmtp_path {
	bool null;                           /* "<>" (MAIL only) */
	bool has_domain;                     /* false only for RCPT TO:<Postmaster> */
	char address[LMTP_PATH_MAX + 1];     /* the mailbox as written, source route dropped */
	char canonical[LMTP_PATH_MAX + 1];   /* local part unquoted when quotes were not
						needed: what recipients are looked up by */
};

enum lmtp_body {
	LMTP_BODY_NONE = 0,  /* not given */
	LMTP_BODY_7BIT,
	LMTP_BODY_8BITMIME,
};

struct lmtp_mail_args {
	struct lmtp_path sender;
	bool has_size;
	uint64_t size;
	enum lmtp_body body;
};

struct lmtp_rcpt_args {
	struct lmtp_path rcpt;
};

/* Split a command line (without its line end) into verb and arguments. The
 * verb is 1-16 letters followed by a space or the end (else UNKNOWN); the
 * arguments must be printable ASCII (else SYNTAX, with the verb filled). */
enum lmtp_parse_result lmtp_parse_command(const char *line, size_t len,
					  struct lmtp_command *cmd_r, const char **error_r);
/* The arguments of MAIL: `FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME]`. */
enum lmtp_parse_result lmtp_parse_mail(const char *args, size_t len,
				       struct lmtp_mail_args *mail_r, const char **error_r);
/* The arguments of RCPT: `TO:<path>` (no parameters are supported). */
enum lmtp_parse_result lmtp_parse_rcpt(const char *args, size_t len,
				       struct lmtp_rcpt_args *rcpt_r, const char **error_r);
/* A mailbox alone (`local@domain`, no brackets). */
int lmtp_parse_mailbox(const char *s, size_t len, struct lmtp_path *path_r,
		       const char **error_r);
/* The LHLO argument: a domain or an address literal. */
int lmtp_parse_lhlo(const char *args, size_t len, const char **error_r);

#endif
