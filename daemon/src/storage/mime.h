/* mime.h - decompose a raw message for single-instance storage, and compute
 * what IMAP needs at delivery so it never re-parses (GMime).
 *
 * The message is cut into an ordered list of segments whose concatenation is
 * exactly the input bytes: literal segments (headers, boundaries, preambles)
 * are stored with the message, part segments (the body of each leaf MIME
 * part) are stored once by SHA-256 and shared between messages. Any input,
 * however malformed, decomposes and reassembles byte for byte.
 *
 * Pure computation: no database, no I/O, safe to call from any thread.
 */
#ifndef TANDEM_MIME_H
#define TANDEM_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_HASH_SIZE 32
/* Deepest MIME nesting parsed; deeper structure is kept as opaque bytes. */
#define MIME_NESTING_MAX 32
/* Most header fields cached per message; the rest stay in the raw bytes. */
#define MIME_CACHED_HEADERS_MAX 256

struct mime_segment {
	size_t offset;  /* into mime_message.data */
	size_t size;
	bool is_part;   /* true: a leaf part body, stored once by hash */
	unsigned char hash[MIME_HASH_SIZE]; /* SHA-256 of the bytes, when is_part */
};

struct mime_header_field {
	char *name;  /* as written, e.g. "Subject" */
	char *value; /* raw value, unfolded (CRLF+WSP -> WSP), not decoded */
};

struct mime_message {
	const unsigned char *data; /* the raw message; not owned */
	size_t size;
	size_t header_size;        /* bytes of the top-level header incl. the blank line */
	struct mime_segment *segments;
	size_t segment_count;
	struct mime_header_field *headers; /* top-level header, in order */
	size_t header_count;
	char *envelope;       /* IMAP ENVELOPE, e.g. ("date" "subject" ((...)) ...) */
	char *bodystructure;  /* IMAP BODYSTRUCTURE with extension data */
	char *body;           /* IMAP BODY (no extension data) */
	unsigned line_count;  /* lines in the whole message */
	bool has_8bit;        /* any byte >= 0x80 */
	bool bare_lf;         /* has LF not preceded by CR */
};

/* Never fails for malformed MIME (it degrades to fewer parts); fails only
 * when data is not a message at all (size 0). */
int mime_message_parse(const unsigned char *data, size_t size, struct mime_message **msg_r,
		       const char **error_r);
void mime_message_free(struct mime_message **msg);

/* Initialise GMime once per process before any thread parses. */
void mime_init(void);
void mime_deinit(void);

#endif
