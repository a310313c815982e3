/* imap-sort.h - RFC 5256 SORT (and RFC 5957 DISPLAYFROM/DISPLAYTO): parse
 * the sort criteria, turn header values into sort keys (base subject,
 * address keys, sent date) and order messages by them.
 *
 * Pure functions: no I/O, no session, no storage calls; the caller hands in
 * the header values it read. Strings compare as i;unicode-casemap would,
 * approximately: UTF-8 case-folded and NFC-normalised (imap_search_fold),
 * then byte by byte. Ties are broken by sequence number (mailbox order).
 */
#ifndef TANDEM_IMAP_SORT_H
#define TANDEM_IMAP_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sort criteria in one SORT command (REVERSE does not count). */
#define IMAP_SORT_CRITERIA_MAX 16
/* Longest header value used for a sort key; the rest is ignored. */
#define IMAP_SORT_VALUE_MAX 8192

enum imap_sort_key {
	IMAP_SORT_ARRIVAL = 0, /* internal date */
	IMAP_SORT_CC,          /* first Cc address's local part */
	IMAP_SORT_DATE,        /* sent date (Date header, else internal date) */
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,        /* RFC822.SIZE */
	IMAP_SORT_SUBJECT,     /* base subject */
	IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM, /* RFC 5957: first From display name, else address */
	IMAP_SORT_DISPLAYTO,
};

struct imap_sort_criterion {
	enum imap_sort_key key;
	bool reverse;
};

/* Parse the criteria list's atoms ("REVERSE", "SUBJECT", ...) in any case.
 * -1 with *error_r static text (the caller answers BAD) when a name is
 * unknown, REVERSE is last or doubled, the list is empty or too long. */
int imap_sort_criteria_parse(const char *const *atoms, size_t atom_count,
			     struct imap_sort_criterion *criteria_r, size_t *count_r,
			     const char **error_r);

/* The header fields a criterion needs (NULL for none): "Subject", "From",
 * "To", "Cc", "Date". */
const char *imap_sort_key_header(enum imap_sort_key key);

/* One message's keys; fill seq/arrival/size, then set the strings with
 * imap_sort_msg_set(); free with imap_sort_msg_clear(). */
struct imap_sort_msg {
	uint32_t seq;       /* tie breaker, and what the caller reports */
	uint32_t uid;
	int64_t arrival;    /* internal date, unix time */
	int64_t date;       /* sent date, unix time (UTC) */
	uint64_t size;
	char *subject;      /* folded base subject ("" if none) */
	char *from, *to, *cc, *display_from, *display_to; /* folded keys */
};

/* Set the key of m that key uses from the raw header value (NULL: the
 * message has no such field). DATE takes the Date value and falls back to
 * m->arrival; ARRIVAL and SIZE take nothing. */
void imap_sort_msg_set(struct imap_sort_msg *m, enum imap_sort_key key, const char *value);
void imap_sort_msg_clear(struct imap_sort_msg *m);

/* Order msgs by the criteria, then by seq. */
void imap_sort_msgs(struct imap_sort_msg *msgs, size_t count,
		    const struct imap_sort_criterion *criteria, size_t criterion_count);

/* RFC 5256 2.1: the base subject of a raw Subject value (RFC 2047 decoded,
 * whitespace collapsed, Re:/Fw:/Fwd:/[blob]/(fwd)/[fwd: ...] removed), not
 * yet case-folded; malloc'ed. *is_reply_r (may be NULL) tells whether a
 * reply or forward marker was removed. */
char *imap_sort_base_subject(const char *subject, bool *is_reply_r);

/* RFC 5256: the first address's addr-mailbox (its local part) of an
 * address list value, or with display (RFC 5957) its display name if it
 * has one, else its address; a group counts as the group's name (as in the
 * ENVELOPE); "" when there is none. malloc'ed, not folded. */
char *imap_sort_address(const char *value, bool display);

/* The unix time of a Date value; fallback when absent or unparsable. */
int64_t imap_sort_date(const char *value, int64_t fallback);

#endif
