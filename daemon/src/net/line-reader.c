/* line-reader.c - one bounded line at a time from an evbuffer (see
 * line-reader.h). Never buffers more than max + 1 bytes of a line. */
#include "line-reader.h"

#include <event2/buffer.h>

enum net_line_result net_line_read(struct net_line_reader *reader, struct evbuffer *in,
				   char *buf, size_t max, size_t *len_r)
{
	for (;;) {
		size_t eol_len = 0;
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			size_t have = evbuffer_get_length(in);
			if (have > max + 1) {
				/* too long before its end even arrived */
				evbuffer_drain(in, have);
				if (!reader->skipping) {
					reader->skipping = true;
					return NET_LINE_TOO_LONG;
				}
			}
			return NET_LINE_NONE;
		}
		size_t line_len = (size_t)eol.pos;
		if (reader->skipping) {
			/* the tail of a line already reported */
			evbuffer_drain(in, line_len + eol_len);
			reader->skipping = false;
			continue;
		}
		if (line_len > max + 1) {
			evbuffer_drain(in, line_len + eol_len);
			return NET_LINE_TOO_LONG;
		}
		evbuffer_remove(in, buf, line_len);
		evbuffer_drain(in, eol_len);
		if (line_len > 0 && buf[line_len - 1] == '\r')
			line_len--;
		if (line_len > max)
			return NET_LINE_TOO_LONG;
		buf[line_len] = '\0';
		*len_r = line_len;
		return NET_LINE_OK;
	}
}
