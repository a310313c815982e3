/* mime-private.h - internals shared by the mime*.c files: the part tree the
 * scanner builds from byte offsets, the structured-header lexer, and the
 * IMAP string writer.
 *
 * Never included outside daemon/src/storage/mime*.c and their tests, except
 * by daemon/src/imap/imap-bodysection.c and imap-search.c, which reuse the
 * scanner's tree, the header lexer and the parameter parser read-only;
 * nothing here owns the message bytes, and nothing here does I/O.
 */
#ifndef TANDEM_MIME_PRIVATE_H
#define TANDEM_MIME_PRIVATE_H

#include "buf.h"
#include "mime.h"

#include <stdbool.h>
#include <stddef.h>

/* More nodes than this in one message: the structure is dropped and the
 * message is kept as its header plus one opaque body. */
#define MIME_PARTS_MAX 5000
/* A longer (or empty) boundary parameter makes the multipart opaque. */
#define MIME_BOUNDARY_MAX 200
/* Addresses written per ENVELOPE address field; the rest are left out. */
#define MIME_ADDRESSES_MAX 1000
/* Parameters kept per Content-Type / Content-Disposition. */
#define MIME_PARAMS_MAX 64
/* Strings longer than this are written as IMAP literals, not quoted. */
#define MIME_QUOTED_MAX 1024

/* A range of the raw message: [start, end). */
struct mime_slice {
	size_t start;
	size_t end;
	bool present;
};

/* Header fields the scanner remembers for every entity (first occurrence). */
enum mime_field {
	MIME_F_CONTENT_TYPE = 0,
	MIME_F_CONTENT_TRANSFER_ENCODING,
	MIME_F_CONTENT_DISPOSITION,
	MIME_F_CONTENT_LANGUAGE,
	MIME_F_CONTENT_LOCATION,
	MIME_F_CONTENT_ID,
	MIME_F_CONTENT_DESCRIPTION,
	MIME_F_CONTENT_MD5,
	MIME_F_DATE,
	MIME_F_SUBJECT,
	MIME_F_FROM,
	MIME_F_SENDER,
	MIME_F_REPLY_TO,
	MIME_F_TO,
	MIME_F_CC,
	MIME_F_BCC,
	MIME_F_IN_REPLY_TO,
	MIME_F_MESSAGE_ID,
	MIME_F_COUNT
};

enum mime_node_kind {
	MIME_NODE_LEAF = 0,  /* anything that is not one of the two below */
	MIME_NODE_MULTIPART, /* Content-Type multipart/... */
	MIME_NODE_MESSAGE,   /* Content-Type message/rfc822 */
};

/* One MIME entity: a header and a body. A multipart's children are its
 * body parts; a message/rfc822's one child is the embedded message. A node
 * without children is a leaf: its body is what becomes a part segment. */
struct mime_node {
	size_t hdr_start;
	size_t body_start; /* == end of the header (blank line included) */
	size_t body_end;   /* the CRLF before a boundary belongs to the boundary */
	struct mime_slice fields[MIME_F_COUNT];
	enum mime_node_kind kind;
	bool in_digest;   /* child of multipart/digest: default type message/rfc822 */
	bool opaque;      /* multipart/message whose content was not parsed */
	unsigned depth;   /* 0 = the message itself */
	int first_child;  /* index in mime_tree.nodes, -1 if none */
	int next_sibling;
};

struct mime_tree {
	const unsigned char *data;
	size_t size;
	struct mime_node *nodes; /* nodes[0] is the message */
	size_t count;
	size_t cap;
};

/* ---- mime-scan.c ---- */

/* Build the part tree of data. With opaque_root the message is only split
 * into header and body. Returns -1 (tree freed) when the message has more
 * than MIME_PARTS_MAX entities; never fails otherwise. */
int mime_tree_scan(const unsigned char *data, size_t size, bool opaque_root,
		   struct mime_tree *tree_r);
void mime_tree_free(struct mime_tree *tree);

/* One line of a header block, as seen by mime_header_next(). */
enum mime_header_line {
	MIME_HEADER_FIELD,   /* a "Name: value" field, continuation lines included */
	MIME_HEADER_JUNK,    /* a line that is no field (no colon): kept, ignored */
	MIME_HEADER_END,     /* the empty line; *pos_r is after it */
	MIME_HEADER_EOF,     /* data ended inside the header */
};

struct mime_header_field_pos {
	size_t name_start, name_end;   /* trailing blanks before ':' excluded */
	size_t value_start, value_end; /* leading blanks and final newline excluded */
};

/* Read the header line (with its continuations) starting at pos, a line
 * start; *pos_r becomes the start of the next line. */
enum mime_header_line mime_header_next(const unsigned char *data, size_t size, size_t pos,
				       struct mime_header_field_pos *field_r, size_t *pos_r);

/* Number of LF bytes in data[start..end). */
size_t mime_count_lf(const unsigned char *data, size_t start, size_t end);

/* ---- mime-params.c: structured field values (RFC 2045/2183/3282) ---- */

struct mime_param {
	const unsigned char *name; /* as written, points into the value */
	size_t name_len;
	size_t value_off; /* into mime_params.values (unquoted, unfolded) */
	size_t value_len;
};

struct mime_params {
	const unsigned char *token;     /* type, or disposition type */
	size_t token_len;
	const unsigned char *subtoken;  /* subtype (Content-Type only) */
	size_t subtoken_len;
	struct mime_param params[MIME_PARAMS_MAX];
	size_t count;
	struct buf values;
};

void mime_params_init(struct mime_params *p);
void mime_params_free(struct mime_params *p);
/* Parse "type/subtype *(; name=value)" (with_subtype) or
 * "token *(; name=value)". Returns -1 if the leading token(s) are missing;
 * parameters that do not parse are skipped. */
int mime_params_parse(struct mime_params *p, const unsigned char *value, size_t len,
		      bool with_subtype);
/* The value of the first parameter called name (ASCII case-insensitive). */
bool mime_params_get(const struct mime_params *p, const char *name,
		     const unsigned char **value_r, size_t *len_r);
/* Content-Language: comma-separated tokens; calls cb for each. */
void mime_language_each(const unsigned char *value, size_t len,
			void (*cb)(const unsigned char *tok, size_t tok_len, void *ctx),
			void *ctx);
/* The leading token of a value (Content-Transfer-Encoding); false if none. */
bool mime_first_token(const unsigned char *value, size_t len, const unsigned char **tok_r,
		      size_t *tok_len_r);
bool mime_bytes_eq_ci(const unsigned char *a, size_t a_len, const char *b);

/* ---- mime-string.c: IMAP strings and text clean-up ---- */

/* Append data to out with invalid UTF-8 sequences and NUL bytes replaced by
 * '?'; with unfold, CR/LF pairs (and lone LF) of folded lines are dropped. */
void mime_append_clean(struct buf *out, const unsigned char *data, size_t len, bool unfold);
/* An IMAP string: quoted when short and plain ASCII without CR/LF, else a
 * literal {n}\r\n... The bytes are cleaned as by mime_append_clean first. */
void mime_imap_string(struct buf *out, const unsigned char *data, size_t len);
/* NIL when !present. */
void mime_imap_nstring(struct buf *out, const unsigned char *data, size_t len, bool present);
/* nstring of a header value: unfolded, blanks trimmed at both ends. */
void mime_imap_field(struct buf *out, const unsigned char *data, const struct mime_slice *s);

/* ---- mime-envelope.c, mime-bodystructure.c ---- */

/* Append the ENVELOPE of the entity at node (a message or embedded message). */
void mime_envelope_append(struct buf *out, const struct mime_tree *tree, int node);
/* Append BODYSTRUCTURE (extended) or BODY (!extended) of the entity at node. */
void mime_bodystructure_append(struct buf *out, const struct mime_tree *tree, int node,
			       bool extended);

/* ---- mime-check.c ---- */

/* Verify what mime_message_parse() promises: segments concatenate to the
 * input, part hashes match, header values and the cached IMAP strings are
 * valid UTF-8 and follow the RFC 3501 grammar. 0 if all hold. */
int mime_message_check(const struct mime_message *msg, const char **error_r);

#endif
