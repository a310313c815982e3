/* base64.h - standard base64 (RFC 4648, with padding) for the SASL
 * exchanges of IMAP, POP3, ManageSieve and Postfix's auth protocol. */
#ifndef TANDEM_BASE64_H
#define TANDEM_BASE64_H

#include <stddef.h>

/* Bytes base64_decode may write for len input characters (with the NUL). */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 1)
/* Bytes base64_encode writes for len input bytes (with the NUL). */
#define BASE64_ENCODED_SIZE(len) (((len) + 2) / 3 * 4 + 1)

/* Decode in (len characters, no whitespace) into out, which holds
 * BASE64_DECODED_MAX(len) bytes, NUL-terminated. -1 when malformed
 * (bad character, bad length, padding in the middle). */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len_r);
/* Encode len bytes into out (BASE64_ENCODED_SIZE(len) bytes). */
void base64_encode(const unsigned char *in, size_t len, char *out);

#endif
