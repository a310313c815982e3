/* base64.c - standard base64 with padding (see base64.h). Rejects rather
 * than repairs: a SASL response that is not exactly base64 is an error. */
#include "base64.h"

#include <stdint.h>
#include <string.h>

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len_r)
{
	if (len % 4 != 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (size_t k = 0; k < 4; k++) {
			char c = in[i + k];
			if (c == '=' && i + 4 == len && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			int value = base64_value(c);
			if (value < 0 || pad > 0)
				return -1;
			v = (v << 6) | (uint32_t)value;
		}
		out[n++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)v;
	}
	out[n] = '\0';
	*out_len_r = n;
	return 0;
}

void base64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = base64_alphabet[(v >> 18) & 63];
		out[n++] = base64_alphabet[(v >> 12) & 63];
		out[n++] = i + 1 < len ? base64_alphabet[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? base64_alphabet[v & 63] : '=';
	}
	out[n] = '\0';
}
