/* line-reader.h - taking one LF-terminated line at a time out of a
 * connection's input buffer with a hard length limit, for the line-based
 * services (Postfix's SASL and socketmap clients; LMTP and IMAP have their
 * own readers because of DATA and literals). An overlong line is reported
 * once and its rest discarded without being buffered. */
#ifndef TANDEM_NET_LINE_READER_H
#define TANDEM_NET_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;

enum net_line_result {
	NET_LINE_NONE,     /* no complete line buffered yet */
	NET_LINE_OK,       /* a line is in buf (NUL-terminated, CR LF removed) */
	NET_LINE_TOO_LONG, /* a line longer than max: report it; its bytes are gone */
};

struct net_line_reader {
	bool skipping;     /* discarding the rest of an overlong line */
};

/* buf holds max + 2 bytes. */
enum net_line_result net_line_read(struct net_line_reader *reader, struct evbuffer *in,
				   char *buf, size_t max, size_t *len_r);

#endif
