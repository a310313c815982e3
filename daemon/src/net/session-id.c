/* session-id.c - format short unique session ids (see session-id.h).
 * Never allocates, never touches global state. */
#include "session-id.h"

#include <string.h>

/* Crockford-like base 32 alphabet without i, l, o, u: ids read well in logs. */
static const char session_id_digits[] = "0123456789abcdefghjkmnpqrstvwxyz";

void session_id_format(uint64_t start_time, uint64_t counter, char out[SESSION_ID_SIZE])
{
	size_t o = 0;

	/* 6 digits = 30 bits of the start time: wraps every 34 years */
	for (int shift = 25; shift >= 0; shift -= 5)
		out[o++] = session_id_digits[(start_time >> shift) & 31];

	/* the counter, at least 4 digits so ids line up in logs */
	char tmp[14];
	size_t n = 0;
	do {
		tmp[n++] = session_id_digits[counter & 31];
		counter >>= 5;
	} while (counter != 0);
	while (n < 4)
		tmp[n++] = '0';
	while (n > 0)
		out[o++] = tmp[--n];
	out[o] = '\0';
}
