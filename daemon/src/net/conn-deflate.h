/* conn-deflate.h - raw DEFLATE (RFC 1951, zlib windowBits -15) for one
 * connection's two byte streams, as COMPRESS=DEFLATE (RFC 4978) needs it;
 * protocol-neutral so POP3 and ManageSieve can use it too.
 *
 * Works on evbuffers the caller owns: compressed input is inflated into a
 * plain buffer only up to a bound the caller gives (so a decompression bomb
 * meets the protocol's line and literal limits, never unbounded memory);
 * output is deflated with Z_SYNC_FLUSH after every write so nothing is held
 * back. Never does I/O itself and never blocks.
 */
#ifndef TANDEM_NET_CONN_DEFLATE_H
#define TANDEM_NET_CONN_DEFLATE_H

#include <stddef.h>

struct evbuffer;
struct conn_deflate;

/* Bytes inflated per step (also the output chunk size). */
#define CONN_DEFLATE_CHUNK 16384

struct conn_deflate *conn_deflate_create(void);
void conn_deflate_free(struct conn_deflate **deflate);

/* Inflate from raw (draining what was consumed) into plain until plain
 * holds at least max bytes or raw is used up. *produced_r: bytes added to
 * plain. -1 with error_r on corrupt input or a stream the peer ended. */
int conn_deflate_inflate(struct conn_deflate *deflate, struct evbuffer *raw,
			 struct evbuffer *plain, size_t max, size_t *produced_r,
			 const char **error_r);

/* Compress data and flush (Z_SYNC_FLUSH): the bytes go to write_fn in
 * chunks of at most CONN_DEFLATE_CHUNK. */
void conn_deflate_write(struct conn_deflate *deflate, const void *data, size_t len,
			void (*write_fn)(void *context, const void *data, size_t len),
			void *context);

/* Totals for the log: bytes before/after compression, each direction. */
void conn_deflate_stats(const struct conn_deflate *deflate, unsigned long long *in_raw_r,
			unsigned long long *in_plain_r, unsigned long long *out_plain_r,
			unsigned long long *out_raw_r);

#endif
