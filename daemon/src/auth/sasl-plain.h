/* sasl-plain.h - the SASL PLAIN mechanism's response (RFC 4616),
 * "authzid NUL authcid NUL passwd", split for every protocol that offers
 * PLAIN (IMAP, Postfix's SASL service, later POP3 and ManageSieve). */
#ifndef TANDEM_SASL_PLAIN_H
#define TANDEM_SASL_PLAIN_H

#include <stddef.h>

/* Split data (len bytes, NUL-terminated after len) into pointers into it.
 * -1 when malformed (not exactly three fields, empty authcid); -2 when an
 * authzid is given that is not the authcid (no logging in as someone
 * else). */
int sasl_plain_split(const char *data, size_t len, const char **authcid_r,
		     const char **passwd_r);

#endif
