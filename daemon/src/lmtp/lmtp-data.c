/* lmtp-data.c - the DATA phase decoder (see lmtp-data.h).
 * Never stores more than the limit; never changes a byte other than the
 * stuffed dot at the start of a line. */
#include "lmtp-data.h"

#include <string.h>

void lmtp_data_reader_init(struct lmtp_data_reader *reader, struct buf *out, uint64_t limit)
{
	memset(reader, 0, sizeof(*reader));
	reader->state = LMTP_DATA_LINE_START;
	reader->limit = limit;
	reader->out = out;
}

static void lmtp_data_keep(struct lmtp_data_reader *reader, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	uint64_t room = reader->size < reader->limit ? reader->limit - reader->size : 0;
	if (n > room) {
		reader->overflow = true;
		if (room > 0)
			buf_append(reader->out, p, (size_t)room);
	} else if (!reader->overflow) {
		buf_append(reader->out, p, n);
	}
	reader->size += n;
}

size_t lmtp_data_feed(struct lmtp_data_reader *reader, const unsigned char *data, size_t len)
{
	static const unsigned char cr = '\r';
	size_t i = 0;
	while (i < len && reader->state != LMTP_DATA_DONE) {
		unsigned char ch = data[i];
		switch (reader->state) {
		case LMTP_DATA_LINE_START:
			if (ch == '.') {
				reader->state = LMTP_DATA_DOT;
				i++;
			} else {
				reader->state = LMTP_DATA_MIDLINE;
			}
			break;
		case LMTP_DATA_DOT:
			if (ch == '\n') {
				/* ".\n": the end, bare-LF style */
				reader->state = LMTP_DATA_DONE;
				i++;
			} else if (ch == '\r') {
				reader->state = LMTP_DATA_DOT_CR;
				i++;
			} else {
				/* a stuffed dot: dropped, the line goes on */
				reader->state = LMTP_DATA_MIDLINE;
			}
			break;
		case LMTP_DATA_DOT_CR:
			if (ch == '\n') {
				reader->state = LMTP_DATA_DONE;
				i++;
			} else {
				/* ".\rX": the dot was stuffing, the CR is data */
				lmtp_data_keep(reader, &cr, 1);
				reader->state = LMTP_DATA_MIDLINE;
			}
			break;
		case LMTP_DATA_MIDLINE: {
			const unsigned char *nl = memchr(data + i, '\n', len - i);
			size_t n = nl != NULL ? (size_t)(nl - (data + i)) + 1 : len - i;
			lmtp_data_keep(reader, data + i, n);
			i += n;
			if (nl != NULL)
				reader->state = LMTP_DATA_LINE_START;
			break;
		}
		case LMTP_DATA_DONE:
			break;
		}
	}
	return i;
}
