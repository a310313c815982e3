/* buf.h - a growable byte buffer (not NUL-safe strings: always use len).
 * The data is kept NUL-terminated after len for convenience with C string
 * functions, but may itself contain NUL bytes. */
#ifndef TANDEM_BUF_H
#define TANDEM_BUF_H

#include <stddef.h>

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *s);
void buf_append_byte(struct buf *b, unsigned char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Give the contents away as a NUL-terminated string; b becomes empty. */
char *buf_steal(struct buf *b, size_t *len_r);

#endif
