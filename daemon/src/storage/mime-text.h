/* mime-text.h - the searchable text of a raw message: header fields RFC 2047
 * decoded, text parts transfer-decoded and converted from their charset to
 * UTF-8 (GMime), everything case-folded and NFC-normalised (GLib) the same
 * way a search needle is folded. IMAP SEARCH's scan (imap-search.c) and the
 * full-text index (storage-fulltext.c) both read a message through here, so
 * an index hit is exactly what a scan would find.
 *
 * Pure computation: no database, no I/O, no state between calls; never
 * reads outside the bytes given, whatever they hold.
 */
#ifndef TANDEM_MIME_TEXT_H
#define TANDEM_MIME_TEXT_H

#include <stddef.h>

struct mime_header_field_pos;

/* text made valid UTF-8 (bad bytes become U+FFFD, NUL a blank), case-folded
 * and NFC-normalised; the result is malloc'ed and NUL-terminated. */
char *mime_text_fold(const char *text, size_t len, size_t *len_r);

/* Size of the top-level header of msg (the blank line included, or all of
 * msg when it has no body). */
size_t mime_text_header_size(const unsigned char *msg, size_t size);

/* The value of the field f of hdr (as mime_header_next() found it):
 * unfolded, RFC 2047 decoded, folded. malloc'ed, NUL-terminated. */
char *mime_text_field_value(const unsigned char *hdr, const struct mime_header_field_pos *f,
			    size_t *len_r);

/* Every field of the header block hdr as "name: value\n" lines, decoded
 * and folded. malloc'ed, NUL-terminated. */
char *mime_text_header(const unsigned char *hdr, size_t hdr_size, size_t *len_r);

/* The text of every text leaf of msg (embedded messages' too), in order,
 * one "\n" after each: transfer-decoded, converted to UTF-8 (no or unknown
 * charset: UTF-8 if valid, else ISO-8859-1), folded. A multipart the
 * scanner leaves opaque (too many parts) is taken raw. malloc'ed,
 * NUL-terminated. */
char *mime_text_body(const unsigned char *msg, size_t size, size_t *len_r);

/* Both of the above for a whole raw message (msg may be NULL: empty). */
void mime_text_extract(const unsigned char *msg, size_t size, char **headers_r,
		       size_t *headers_len_r, char **body_r, size_t *body_len_r);

#endif
