/* imap-utf7.h - mailbox names on the wire: IMAP's modified UTF-7 (RFC 3501
 * section 5.1.3) to and from the UTF-8 names the storage keeps.
 *
 * Pure code, no I/O. Never accepts what it could not convert back to the
 * same bytes: non-canonical or malformed input is refused, so two wire
 * names never map to one storage name.
 */
#ifndef TANDEM_IMAP_UTF7_H
#define TANDEM_IMAP_UTF7_H

#include "buf.h"

#include <stddef.h>

/* Decode a modified UTF-7 name into UTF-8 appended to out. -1 (with
 * *error_r static text) when it is not valid modified UTF-7. */
int imap_utf7_to_utf8(const char *in, size_t len, struct buf *out, const char **error_r);
/* Encode a UTF-8 name as modified UTF-7 appended to out. -1 when the input
 * is not valid UTF-8. */
int imap_utf8_to_utf7(const char *in, size_t len, struct buf *out, const char **error_r);

#endif
