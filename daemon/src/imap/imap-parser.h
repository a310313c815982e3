/* imap-parser.h - IMAP command syntax (RFC 3501 section 9): framing of the
 * input into command text (where does a line end in a literal, and is it
 * synchronizing), the parse of one complete command into a tag, a name and
 * a small tree of arguments, and sequence sets.
 *
 * Pure code: no I/O, no logging, no global state. Every input is bounded by
 * the named limits below or by struct imap_parser_limits; allocation is at
 * most proportional to the input. Never trusts a length it was given by the
 * client beyond those limits.
 */
#ifndef TANDEM_IMAP_PARSER_H
#define TANDEM_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest tag, in bytes. */
#define IMAP_TAG_MAX 64
/* Longest command name (UID sub-commands included separately). */
#define IMAP_COMMAND_NAME_MAX 32
/* Defaults for struct imap_parser_limits. */
#define IMAP_PARSER_DEPTH_MAX 16    /* nesting of parenthesised lists */
#define IMAP_PARSER_ARGS_MAX 2048   /* arguments in the whole tree */
/* Most ranges a sequence set may hold. */
#define IMAP_SEQSET_RANGES_MAX 4096

enum imap_arg_type {
	IMAP_ARG_ATOM = 0,  /* incl. "\Seen", "1:*", "BODY.PEEK[HEADER.FIELDS (A B)]<0.10>" */
	IMAP_ARG_QUOTED,    /* "..." with \\ and \" decoded */
	IMAP_ARG_LITERAL,   /* {n} or {n+} and its n bytes (may contain NUL); also
			     * literal8 ~{n} / ~{n+} (RFC 3516), see literal8 */
	IMAP_ARG_NIL,       /* the atom NIL (str is "NIL") */
	IMAP_ARG_LIST,      /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	char *str;          /* NUL-terminated copy; for LIST NULL */
	size_t len;         /* bytes in str */
	bool literal8;      /* LITERAL written as ~{n}: only APPEND takes it, the
			     * string helpers below say no to it */
	struct imap_arg *list; /* LIST: the elements */
	size_t list_count;
};

struct imap_command {
	char tag[IMAP_TAG_MAX + 1];         /* "" when even the tag is bad */
	char name[IMAP_COMMAND_NAME_MAX + 1]; /* upper-cased; "" when bad */
	struct imap_arg *args;              /* the arguments after the name */
	size_t arg_count;
};

struct imap_parser_limits {
	unsigned max_depth;   /* list nesting */
	unsigned max_args;    /* arguments in the tree */
	uint64_t max_literal; /* bytes of one literal */
};

/* Default limits (max_literal: 64 KiB). */
void imap_parser_limits_default(struct imap_parser_limits *limits_r);

/* Framing. line (len bytes, without its line end) is one line of client
 * input. Returns true when it ends with a literal announcement outside a
 * quoted string ({n}, {n+}, or literal8 ~{n}, ~{n+}): *size_r gets n and
 * *nonsync_r whether it was {n+}. A
 * malformed announcement (no digits, too many digits) returns false with
 * *bad_r set; otherwise *bad_r is false. */
bool imap_parser_line_literal(const unsigned char *line, size_t len, uint64_t *size_r,
			      bool *nonsync_r, bool *bad_r);

/* Parse one complete command: lines joined by CRLF, each literal's bytes
 * right after the CRLF of its announcement, no final line end. On success
 * *cmd_r is filled (free with imap_command_free). On failure returns -1 with
 * *error_r static text for a BAD reply; *cmd_r is still allocated and holds
 * the tag when it could be read (else ""). */
int imap_command_parse(const unsigned char *data, size_t len,
		       const struct imap_parser_limits *limits, struct imap_command **cmd_r,
		       const char **error_r);
void imap_command_free(struct imap_command **cmd);

/* Argument helpers. astring: atom, quoted, literal or NIL ("NIL"); never
 * a literal8. */
bool imap_arg_is_astring(const struct imap_arg *arg);
/* string: quoted or literal (not literal8). */
bool imap_arg_is_string(const struct imap_arg *arg);
/* Case-insensitive: is arg the atom word? */
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *word);

/* Sequence sets ("1:*,3,5:7"). '*' means star (the largest number in use;
 * 0 when the mailbox is empty). Ranges come out with lo <= hi, in the
 * order written. */
struct imap_seq_range {
	uint32_t lo, hi;
};
int imap_seqset_parse(const char *text, uint32_t star, struct imap_seq_range **ranges_r,
		      size_t *count_r, const char **error_r);
bool imap_seqset_contains(const struct imap_seq_range *ranges, size_t count, uint32_t n);

#endif
