/* imap-bodysection.h - what FETCH BODY[section]<partial>, BODY.PEEK[...]
 * and BINARY[section]<partial> send: parse the section text a client wrote
 * between the brackets, and cut the matching bytes out of a raw message
 * (decoded, for BINARY).
 *
 * Pure functions: no I/O, no session, no storage; the message is the bytes
 * storage_mail_read() returns (trace headers included: they are part of
 * the top-level header). Never fails on malformed MIME; BINARY fails only
 * on an unknown Content-Transfer-Encoding.
 */
#ifndef TANDEM_IMAP_BODYSECTION_H
#define TANDEM_IMAP_BODYSECTION_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest section text accepted (what is between '[' and ']'). */
#define IMAP_SECTION_TEXT_MAX 8192
/* Most numbers in a part path ("1.2.3" is 3); deeper is a syntax error.
 * Matches MIME_NESTING_MAX: deeper parts are never split by the scanner. */
#define IMAP_SECTION_PATH_MAX 32
/* Most header field names in HEADER.FIELDS (...). */
#define IMAP_SECTION_FIELDS_MAX 128
/* Longest header field name in HEADER.FIELDS (...). */
#define IMAP_SECTION_FIELD_NAME_MAX 256

enum imap_section_kind {
	IMAP_SECTION_BODY = 0,        /* "" (whole message) or "1.2" (a part's body) */
	IMAP_SECTION_HEADER,          /* HEADER, 1.HEADER: a message's header */
	IMAP_SECTION_HEADER_FIELDS,   /* HEADER.FIELDS (a b) */
	IMAP_SECTION_HEADER_FIELDS_NOT, /* HEADER.FIELDS.NOT (a b) */
	IMAP_SECTION_TEXT,            /* TEXT, 1.TEXT: a message's body */
	IMAP_SECTION_MIME,            /* 1.MIME: a part's MIME header (needs a path) */
};

struct imap_section {
	unsigned path[IMAP_SECTION_PATH_MAX]; /* part numbers, each >= 1 */
	size_t path_len;                      /* 0: the message itself */
	enum imap_section_kind kind;
	char **fields;       /* HEADER.FIELDS[.NOT]: names as written, NUL-terminated */
	size_t field_count;
	/* <origin.count>: set by imap_partial_parse() or by the caller */
	bool partial;
	uint32_t origin;
	uint32_t count;      /* >= 1 */
};

/* Parse the text between the brackets of BODY[...] (len 0 for BODY[]),
 * RFC 3501 section-spec: keywords case-insensitive, exactly one SP before
 * the list and between names, names as atoms or quoted strings (literals
 * are not accepted here). With binary (BINARY[...], RFC 3516) only a part
 * path is allowed. On error section_r is left empty (nothing to free) and
 * *error_r says why, for a BAD reply. */
int imap_section_parse(const char *text, size_t len, bool binary,
		       struct imap_section *section_r, const char **error_r);
void imap_section_free(struct imap_section *section);

/* Parse "<origin.count>" (brackets included) into section->partial,
 * ->origin, ->count. count must be >= 1; both fit 32 bits. */
int imap_partial_parse(const char *text, size_t len, struct imap_section *section,
		       const char **error_r);

/* Append the canonical section text (no brackets) for the FETCH response,
 * e.g. "1.HEADER.FIELDS (FROM \"X(Y)\")": keywords upper case, field names
 * upper case, written as atoms when they can be, else quoted. */
void imap_section_write(const struct imap_section *section, struct buf *out);

struct imap_bodysection_result {
	const unsigned char *data; /* the bytes to send: into the message or into built */
	size_t size;
	/* The part path names no part (or HEADER/TEXT of a part that is not a
	 * message/rfc822): data is "" and size 0. The reply is then the empty
	 * string "", as the RFC 3501 author advised on imap-protocol (2011-04,
	 * "meaningless text fetches return the empty string"); the flag lets the
	 * caller log it or choose otherwise. */
	bool missing;
	struct buf built;          /* backing store for HEADER.FIELDS[.NOT] */
};

/* The bytes of section (its partial applied: an origin at or beyond the end
 * gives ""; the count is clipped) in msg. Semantics (RFC 3501 6.4.5):
 * - part numbers index the body parts of a multipart; the body of a
 *   non-multipart message (top level or embedded) is its part 1;
 *   a number after a message/rfc822 part indexes the embedded message;
 * - "1" is the part's body, "1.MIME" its header (blank line included);
 * - HEADER, TEXT, HEADER.FIELDS[.NOT] are of the top-level message without
 *   a path, and of the embedded message of a message/rfc822 part with one;
 * - HEADER.FIELDS[.NOT] match names ASCII case-insensitively, keep the
 *   fields in message order with their continuation lines byte for byte
 *   (a field cut off by the end of the data gets a CRLF), skip lines that
 *   are not fields, and end with the blank line CRLF (even when nothing
 *   matched, as RFC 3501 shows).
 * result_r must be freed with imap_bodysection_result_free(). */
void imap_bodysection_get(const unsigned char *msg, size_t msg_size,
			  const struct imap_section *section,
			  struct imap_bodysection_result *result_r);
void imap_bodysection_result_free(struct imap_bodysection_result *result);

/* BINARY[section]<partial> (RFC 3516): section is a part path only (parsed
 * with binary = true). The part's body with its Content-Transfer-Encoding
 * undone: 7bit, 8bit, binary and none as they are; base64,
 * quoted-printable and x-uuencode decoded (GMime, bad input skipped);
 * BINARY[] is the whole message as it is. Any other encoding: -1 and the
 * session answers NO [UNKNOWN-CTE]. A missing part is as for BODY[]. The
 * partial applies to the decoded bytes; without one, result_r->size is
 * BINARY.SIZE. result_r must be freed with imap_bodysection_result_free()
 * in both cases. */
int imap_bodysection_binary(const unsigned char *msg, size_t msg_size,
			    const struct imap_section *section,
			    struct imap_bodysection_result *result_r, const char **error_r);

#endif
