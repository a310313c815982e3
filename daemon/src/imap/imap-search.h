/* imap-search.h - RFC 3501 SEARCH: parse the search keys of a command (already
 * tokenized by the session's parser) into a tree, and decide whether one
 * message matches it.
 *
 * Pure functions: no I/O, no session, no storage calls. The message's data
 * comes in through struct imap_search_mail; the raw message is asked for
 * (through a callback) only when a key needs it, at most once per match.
 * Header values are RFC 2047 decoded and body text parts decoded to UTF-8
 * by storage's mime-text.h (the full-text index's decoding) before matching; strings match as case-insensitive substrings of
 * the UTF-8 text.
 */
#ifndef TANDEM_IMAP_SEARCH_H
#define TANDEM_IMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting of parentheses, NOT and OR below the top level. */
#define IMAP_SEARCH_DEPTH_MAX 32
/* Search keys in one command (every key, group and operator counts). */
#define IMAP_SEARCH_KEYS_MAX 1000
/* Longest string argument (FROM "...", HEADER name / value, BODY ...). */
#define IMAP_SEARCH_STRING_MAX 8192
/* Most ranges in one sequence set. */
#define IMAP_SEARCH_RANGES_MAX 4096
/* Longest date argument text ("01-Feb-1994" is 11). */
#define IMAP_SEARCH_DATE_MAX 32

/* ---- input: the tokenized arguments ----
 * Map the session parser's output to this: an atom stays an atom (1:*,
 * \Seen, 1-Feb-1994, UTF-8 ...), a quoted string or a literal becomes a
 * STRING (unescaped bytes, may contain NUL), NIL becomes an ATOM "NIL",
 * a parenthesised list a LIST with its elements as children. text need not
 * be NUL-terminated; len is what counts. */
enum imap_search_arg_type {
	IMAP_SEARCH_ARG_ATOM = 0,
	IMAP_SEARCH_ARG_STRING,
	IMAP_SEARCH_ARG_LIST,
};

struct imap_search_arg {
	enum imap_search_arg_type type;
	const char *text; /* ATOM, STRING */
	size_t len;
	const struct imap_search_arg *children; /* LIST */
	size_t child_count;
};

/* ---- the parsed tree ---- */
enum imap_search_key_type {
	IMAP_SEARCH_AND = 0,  /* children: a parenthesised group or the top level */
	IMAP_SEARCH_OR,       /* two children */
	IMAP_SEARCH_NOT,      /* one child */
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_FLAGS_SET,   /* flags: every bit set (ANSWERED, SEEN, ...) */
	IMAP_SEARCH_FLAGS_UNSET, /* flags: every bit clear (UNSEEN, ...) */
	IMAP_SEARCH_KEYWORD,     /* str: the keyword */
	IMAP_SEARCH_UNKEYWORD,
	IMAP_SEARCH_RECENT,
	IMAP_SEARCH_NEW,         /* RECENT UNSEEN */
	IMAP_SEARCH_OLD,         /* NOT RECENT */
	IMAP_SEARCH_SEQSET,      /* ranges: message sequence numbers */
	IMAP_SEARCH_UIDSET,      /* ranges: UIDs */
	IMAP_SEARCH_LARGER,      /* number */
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_BEFORE,      /* day: internal date, the server's time zone */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SENTBEFORE,  /* day: Date header, in its own time zone */
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_HEADER,      /* header (field name), str (folded needle) */
	IMAP_SEARCH_BODY,        /* str: in the decoded body text */
	IMAP_SEARCH_TEXT,        /* str: in the header or the body text */
};

/* A range of a set; 0 stands for '*' (the largest number in use). */
struct imap_search_range {
	uint32_t lo, hi;
};

struct imap_search_key {
	enum imap_search_key_type type;
	struct imap_search_key *children; /* AND, OR, NOT */
	size_t child_count;
	uint32_t flags;      /* STORAGE_FLAG_* */
	char *header;        /* HEADER, FROM, TO, CC, BCC, SUBJECT: the field name */
	char *str;           /* the string, UTF-8 case-folded (keywords as given) */
	size_t str_len;
	uint64_t number;     /* LARGER, SMALLER */
	int64_t day;         /* dates: days since 1970-01-01 */
	struct imap_search_range *ranges;
	size_t range_count;
	/* What evaluating this key may need: 0 only the fields of struct
	 * imap_search_mail, 1 the header too, 2 the body too. AND children are
	 * sorted cheapest first and OR tries its cheaper side first; the top
	 * key's cost tells the session whether a search needs message data. */
	unsigned cost;
	/* BODY, TEXT answered by the full-text index (imap-search-view.c):
	 * index_uids are the uids whose indexed text holds str, scan_uids those
	 * with no index row (searched by decoding the message); any other uid
	 * does not match. Both sorted ascending, owned by the key. */
	bool indexed;
	uint32_t *index_uids;
	size_t index_uid_count;
	uint32_t *scan_uids;
	size_t scan_uid_count;
};

enum imap_search_parse_result {
	IMAP_SEARCH_PARSE_OK = 0,
	IMAP_SEARCH_PARSE_BAD,        /* syntax or limit: BAD <error> */
	IMAP_SEARCH_PARSE_BADCHARSET, /* NO [BADCHARSET (UTF-8 US-ASCII)] <error> */
};

/* Parse args (the SEARCH arguments after the command name, an optional
 * CHARSET first; nothing of ESEARCH's RETURN) into *key_r, an AND of the
 * top-level keys. Keys are case-insensitive; dates are RFC 3501
 * date (1-Feb-1994, as an atom or a string); CHARSET UTF-8 and US-ASCII
 * are accepted (US-ASCII strings are read as UTF-8). Sequence sets are
 * atoms starting with a digit or '*'; "$" (SEARCHRES) is a syntax error
 * here (see imap_search_parse_saved()).
 * KEYWORD \Seen (etc.) is taken as the system flag. An empty string
 * matches every message that has the field (FROM, TO, CC, BCC, SUBJECT,
 * HEADER) or every message (BODY, TEXT). On failure *key_r is NULL and
 * *error_r static text for the reply. */
enum imap_search_parse_result imap_search_parse(const struct imap_search_arg *args,
						size_t arg_count,
						struct imap_search_key **key_r,
						const char **error_r);
/* SEARCHRES (RFC 5182): the saved result "$" stands for, as a key and
 * as UID's set: these UIDs (ascending; none is valid and matches nothing). */
struct imap_search_saved {
	const uint32_t *uids;
	size_t count;
};
/* imap_search_parse() with "$" allowed: it becomes an IMAP_SEARCH_UIDSET
 * of saved's UIDs (saved NULL: "$" is a syntax error). */
enum imap_search_parse_result imap_search_parse_saved(const struct imap_search_arg *args,
						      size_t arg_count,
						      const struct imap_search_saved *saved,
						      struct imap_search_key **key_r,
						      const char **error_r);
void imap_search_key_free(struct imap_search_key **key);

/* ---- evaluation ---- */

/* Give the raw message (trace headers included) that mail describes; the
 * bytes must stay valid until imap_search_match() returns. */
typedef int imap_search_message_cb(void *context, const unsigned char **data_r,
				   size_t *size_r, const char **error_r);

struct imap_search_mail {
	uint32_t seq;
	uint32_t uid;
	uint32_t flags;          /* STORAGE_FLAG_* */
	bool recent;
	const char *keywords;    /* space-separated, "" or NULL if none */
	int64_t internal_date;   /* unix time */
	uint64_t size;           /* RFC822.SIZE */
	/* The raw top-level header (blank line included) if the caller has it
	 * without the body, else NULL: header keys then read the message. */
	const unsigned char *header;
	size_t header_size;
	imap_search_message_cb *get_message;
	void *context;
};

/* What is the same for every message of one search. */
struct imap_search_mailbox {
	uint32_t max_seq;  /* '*' in a sequence set: the message count */
	uint32_t max_uid;  /* '*' in a UID set: the highest UID in use */
	/* The server's time zone for internal dates: local time (localtime_r)
	 * unless fixed_offset, then UTC + offset_seconds (tests). */
	bool fixed_offset;
	int32_t offset_seconds;
};

/* Does mail match key? -1 (with *error_r from the callback) when the
 * message could not be read; the session then answers NO [UNAVAILABLE].
 * Header keys search every occurrence of the field in the top-level header
 * (trace fields included), unfolded and RFC 2047 decoded; BODY searches the
 * text parts (embedded messages' too) after transfer decoding and
 * conversion to UTF-8 (no or unknown charset: UTF-8 if valid, else
 * ISO-8859-1); TEXT searches the decoded header fields, then the body.
 * SENT* use the first Date field's own date; without a parsable one, the
 * internal date's (our choice: RFC 3501 does not say). */
int imap_search_match(const struct imap_search_key *key, const struct imap_search_mailbox *box,
		      const struct imap_search_mail *mail, bool *match_r, const char **error_r);

/* Helpers shared with the parser and tests. */
/* "1-Feb-1994" -> days since 1970-01-01; -1 on error. */
int imap_search_date_parse(const char *text, size_t len, int64_t *day_r);
/* Days since 1970-01-01 of a civil date. */
int64_t imap_search_days_from_civil(int64_t y, unsigned m, unsigned d);
/* text made valid UTF-8 (bad bytes become U+FFFD, NUL a blank), case-folded
 * and NFC-normalised (mime_text_fold); malloc'ed and NUL-terminated. */
char *imap_search_fold(const char *text, size_t len, size_t *len_r);

#endif
