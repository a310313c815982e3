/* netstring.c - parsing one netstring ("12:hello world!,") from a buffer
 * for the socketmap service (see socketmap.h). Never reads past len; a
 * length with more digits than max needs is malformed, not "more". */
#include "socketmap.h"

enum netstring_result netstring_parse(const char *buf, size_t len, size_t max,
				      const char **data_r, size_t *data_len_r,
				      size_t *consumed_r)
{
	size_t digits = 0, value = 0;
	while (digits < len && buf[digits] >= '0' && buf[digits] <= '9') {
		value = value * 10 + (size_t)(buf[digits] - '0');
		digits++;
		if (value > max)
			return NETSTRING_BAD;
	}
	if (digits == len)
		return digits > 12 ? NETSTRING_BAD : NETSTRING_NEED_MORE;
	if (digits == 0 || buf[digits] != ':')
		return NETSTRING_BAD;
	size_t total = digits + 1 + value + 1;
	if (len < total)
		return NETSTRING_NEED_MORE;
	if (buf[total - 1] != ',')
		return NETSTRING_BAD;
	*data_r = buf + digits + 1;
	*data_len_r = value;
	*consumed_r = total;
	return NETSTRING_OK;
}
