/* hex.h - one hexadecimal digit's value, for the few parsers that read hex
 * (password hashes, Sieve's encoded-character). No state, no allocation. */
#ifndef TANDEM_HEX_H
#define TANDEM_HEX_H

/* 0..15, or -1 when c is not a hex digit. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
