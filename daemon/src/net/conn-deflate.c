/* conn-deflate.c - raw DEFLATE streams of a connection (see conn-deflate.h).
 * Never inflates past the caller's bound and never keeps more than one
 * chunk of its own; allocation failure in zlib is fatal like xmalloc's.
 */
#include "conn-deflate.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct conn_deflate {
	z_stream in;   /* inflate: client to server */
	z_stream out;  /* deflate: server to client */
	unsigned long long in_raw, in_plain, out_plain, out_raw;
};

struct conn_deflate *conn_deflate_create(void)
{
	struct conn_deflate *cd = xcalloc(1, sizeof(*cd));
	if (inflateInit2(&cd->in, -15) != Z_OK)
		fatal("inflateInit2 failed");
	if (deflateInit2(&cd->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		fatal("deflateInit2 failed");
	return cd;
}

void conn_deflate_free(struct conn_deflate **deflatep)
{
	struct conn_deflate *cd = *deflatep;
	if (cd == NULL)
		return;
	*deflatep = NULL;
	inflateEnd(&cd->in);
	deflateEnd(&cd->out);
	free(cd);
}

int conn_deflate_inflate(struct conn_deflate *cd, struct evbuffer *raw,
			 struct evbuffer *plain, size_t max, size_t *produced_r,
			 const char **error_r)
{
	unsigned char chunk[CONN_DEFLATE_CHUNK];
	*produced_r = 0;
	while (evbuffer_get_length(plain) < max && evbuffer_get_length(raw) > 0) {
		struct evbuffer_iovec vec;
		if (evbuffer_peek(raw, -1, NULL, &vec, 1) < 1 || vec.iov_len == 0)
			break;
		size_t room = max - evbuffer_get_length(plain);
		if (room > sizeof(chunk))
			room = sizeof(chunk);
		size_t in_len = vec.iov_len > 0x10000000 ? 0x10000000 : vec.iov_len;
		cd->in.next_in = vec.iov_base;
		cd->in.avail_in = (uInt)in_len;
		cd->in.next_out = chunk;
		cd->in.avail_out = (uInt)room;
		int ret = inflate(&cd->in, Z_SYNC_FLUSH);
		size_t used = in_len - cd->in.avail_in;
		size_t made = room - cd->in.avail_out;
		evbuffer_drain(raw, used);
		if (made > 0)
			evbuffer_add(plain, chunk, made);
		cd->in_raw += used;
		cd->in_plain += made;
		*produced_r += made;
		if (ret == Z_STREAM_END) {
			*error_r = "compressed stream ended";
			return -1;
		}
		if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
			*error_r = cd->in.msg != NULL ? cd->in.msg : "corrupt compressed data";
			return -1;
		}
		if (ret == Z_MEM_ERROR)
			fatal("inflate: out of memory");
		if (used == 0 && made == 0)
			break; /* Z_BUF_ERROR: needs more input */
	}
	return 0;
}

void conn_deflate_write(struct conn_deflate *cd, const void *data, size_t len,
			void (*write_fn)(void *context, const void *data, size_t len),
			void *context)
{
	unsigned char chunk[CONN_DEFLATE_CHUNK];
	const unsigned char *p = data;
	cd->out_plain += len;
	do {
		size_t step = len > 0x10000000 ? 0x10000000 : len;
		cd->out.next_in = (unsigned char *)(uintptr_t)p;
		cd->out.avail_in = (uInt)step;
		p += step;
		len -= step;
		int flush = len == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
		do {
			cd->out.next_out = chunk;
			cd->out.avail_out = sizeof(chunk);
			int ret = deflate(&cd->out, flush);
			if (ret == Z_STREAM_ERROR)
				fatal("deflate: stream error");
			size_t made = sizeof(chunk) - cd->out.avail_out;
			if (made > 0) {
				cd->out_raw += made;
				write_fn(context, chunk, made);
			}
		} while (cd->out.avail_out == 0);
	} while (len > 0);
}

void conn_deflate_stats(const struct conn_deflate *cd, unsigned long long *in_raw_r,
			unsigned long long *in_plain_r, unsigned long long *out_plain_r,
			unsigned long long *out_raw_r)
{
	*in_raw_r = cd->in_raw;
	*in_plain_r = cd->in_plain;
	*out_plain_r = cd->out_plain;
	*out_raw_r = cd->out_raw;
}
