/* lmtp-data.h - decode the DATA phase incrementally: find the end marker
 * (a line that is a lone "." ending in CRLF or a bare LF), undo dot-stuffing
 * (RFC 5321 4.5.2), and keep every other byte exactly as received, line ends
 * included (bare LF stays bare LF).
 *
 * Bytes beyond the size limit are counted and dropped, never stored: the
 * reader keeps scanning for the end so the session can answer 552 5.3.4.
 * Pure computation: no I/O; feed it any split of the stream, the result is
 * the same.
 */
#ifndef TANDEM_LMTP_DATA_H
#define TANDEM_LMTP_DATA_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lmtp_data_state {
	LMTP_DATA_LINE_START = 0, /* at the first byte of a line */
	LMTP_DATA_DOT,            /* the line started with '.' */
	LMTP_DATA_DOT_CR,         /* ... and then CR */
	LMTP_DATA_MIDLINE,        /* inside a line */
	LMTP_DATA_DONE,           /* the end marker was read */
};

struct lmtp_data_reader {
	enum lmtp_data_state state;
	uint64_t limit;        /* most message bytes kept */
	uint64_t size;         /* message bytes seen (kept or not) */
	bool overflow;         /* size went past limit: the message is incomplete */
	struct buf *out;       /* where kept bytes go; not owned */
};

void lmtp_data_reader_init(struct lmtp_data_reader *reader, struct buf *out, uint64_t limit);
/* Feed len bytes; returns how many were consumed. Fewer than len only when
 * the end marker was found (state DONE): the rest belongs to the next
 * command. */
size_t lmtp_data_feed(struct lmtp_data_reader *reader, const unsigned char *data, size_t len);
static inline bool lmtp_data_done(const struct lmtp_data_reader *reader)
{
	return reader->state == LMTP_DATA_DONE;
}

#endif
