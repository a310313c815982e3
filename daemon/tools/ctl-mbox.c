/* ctl-mbox.c - mboxrd splitting, quoting and From_ lines for `tandemctl
 * import` and `export` (rules in ctl-mbox.h). Pure functions over memory:
 * no I/O, no storage; output only into the caller's buffers. */
#include "ctl-mbox.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CTL_MBOX_SEP "\nFrom "
#define CTL_MBOX_SEP_LEN 6

static const char *const ctl_mbox_days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const ctl_mbox_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

bool ctl_mbox_detect(const unsigned char *data, size_t size)
{
	return size >= 5 && memcmp(data, "From ", 5) == 0;
}

void ctl_mbox_reader_init(struct ctl_mbox_reader *reader, const unsigned char *data, size_t size)
{
	reader->data = data;
	reader->size = size;
	reader->pos = 0;
	reader->number = 0;
}

bool ctl_mbox_next(struct ctl_mbox_reader *reader, struct ctl_mbox_message *msg_r)
{
	const unsigned char *d = reader->data;
	size_t size = reader->size, start = reader->pos;
	if (start >= size || !ctl_mbox_detect(d + start, size - start))
		return false;

	const unsigned char *nl = memchr(d + start, '\n', size - start);
	size_t line_end = nl != NULL ? (size_t)(nl - d) : size;
	bool crlf = line_end < size && line_end > start + 5 && d[line_end - 1] == '\r';
	msg_r->from_line = d + start + 5;
	msg_r->from_line_len = (crlf ? line_end - 1 : line_end) - (start + 5);
	msg_r->offset = start;
	msg_r->number = ++reader->number;

	size_t body = line_end < size ? line_end + 1 : size;
	size_t end, next;
	/* from the From_ line's own "\n": a From_ line right after it is an
	 * empty message */
	size_t search = line_end < size ? line_end : size;
	const unsigned char *sep = search < size ?
		memmem(d + search, size - search, CTL_MBOX_SEP, CTL_MBOX_SEP_LEN) : NULL;
	if (sep != NULL) {
		end = (size_t)(sep - d);
		next = end + 1;
	} else {
		end = size;
		next = size;
		/* the writer's trailing "\n" after the last message */
		if (end > body && d[end - 1] == '\n')
			end--;
	}
	if (end < body)
		end = body;
	if (crlf && end > body && d[end - 1] == '\r')
		end--;
	msg_r->quoted = d + body;
	msg_r->quoted_len = end - body;
	reader->pos = next;
	return true;
}

/* Length of the run of '>' at p when it is followed by "From ", else 0
 * (min_gt: how many '>' at least). */
static size_t ctl_mbox_from_quote_len(const unsigned char *p, size_t len, size_t min_gt,
				      bool *is_from_r)
{
	size_t n = 0;
	while (n < len && p[n] == '>')
		n++;
	*is_from_r = n >= min_gt && len - n >= 5 && memcmp(p + n, "From ", 5) == 0;
	return n;
}

void ctl_mbox_unquote(const unsigned char *data, size_t size, struct buf *out)
{
	buf_reserve(out, size);
	size_t copied = 0;
	for (size_t i = 0; i < size;) {
		/* i is at a line start */
		bool is_from;
		ctl_mbox_from_quote_len(data + i, size - i, 1, &is_from);
		if (is_from) {
			buf_append(out, data + copied, i - copied);
			copied = i + 1; /* drop one '>' */
		}
		const unsigned char *nl = memchr(data + i, '\n', size - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - data) + 1;
	}
	buf_append(out, data + copied, size - copied);
}

void ctl_mbox_quote(const unsigned char *data, size_t size, struct buf *out)
{
	buf_reserve(out, size);
	size_t copied = 0;
	for (size_t i = 0; i < size;) {
		bool is_from;
		ctl_mbox_from_quote_len(data + i, size - i, 0, &is_from);
		if (is_from) {
			buf_append(out, data + copied, i - copied);
			buf_append_byte(out, '>');
			copied = i;
		}
		const unsigned char *nl = memchr(data + i, '\n', size - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - data) + 1;
	}
	buf_append(out, data + copied, size - copied);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t ctl_mbox_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int ctl_mbox_name_index(const char *token, const char *const *names, int count)
{
	if (strlen(token) != 3)
		return -1;
	for (int i = 0; i < count; i++) {
		if (strcasecmp(token, names[i]) == 0)
			return i;
	}
	return -1;
}

static bool ctl_mbox_all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* "+hhmm" / "-hhmm" to seconds east of UTC. */
static bool ctl_mbox_zone(const char *s, int64_t *offset_r)
{
	if ((s[0] != '+' && s[0] != '-') || !ctl_mbox_all_digits(s + 1, 4, 4))
		return false;
	int hh = (s[1] - '0') * 10 + (s[2] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
	if (hh > 23 || mm > 59)
		return false;
	*offset_r = (s[0] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

#define CTL_MBOX_TOKENS_MAX 8

int ctl_mbox_from_line_time(const unsigned char *line, size_t len, int64_t *time_r)
{
	if (len > CTL_MBOX_FROM_LINE_MAX)
		return -1;
	char copy[CTL_MBOX_FROM_LINE_MAX + 1];
	memcpy(copy, line, len);
	copy[len] = '\0';

	/* skip the sender: one word, which may start with a quoted string */
	char *p = copy;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		char *q = strchr(p + 1, '"');
		if (q == NULL)
			return -1;
		p = q + 1;
	}
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	char *tokens[CTL_MBOX_TOKENS_MAX];
	size_t count = 0;
	char *save = NULL;
	for (char *t = strtok_r(p, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (count == CTL_MBOX_TOKENS_MAX)
			return -1;
		tokens[count++] = t;
	}
	size_t i = 0;
	if (i < count && ctl_mbox_name_index(tokens[i], ctl_mbox_days, 7) >= 0)
		i++;
	int month = i < count ? ctl_mbox_name_index(tokens[i++], ctl_mbox_months, 12) : -1;
	if (month < 0 || i >= count || !ctl_mbox_all_digits(tokens[i], 1, 2))
		return -1;
	unsigned day = (unsigned)atoi(tokens[i++]);
	if (day < 1 || day > 31 || i >= count)
		return -1;
	unsigned hh, mm, ss = 0;
	int consumed = 0;
	const char *clock = tokens[i++];
	if (sscanf(clock, "%2u:%2u:%2u%n", &hh, &mm, &ss, &consumed) != 3 || clock[consumed] != '\0') {
		consumed = 0;
		ss = 0;
		if (sscanf(clock, "%2u:%2u%n", &hh, &mm, &consumed) != 2 || clock[consumed] != '\0')
			return -1;
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	int64_t year = -1, offset = 0;
	for (; i < count; i++) {
		if (year < 0 && ctl_mbox_all_digits(tokens[i], 4, 4))
			year = atoi(tokens[i]);
		else if (!ctl_mbox_zone(tokens[i], &offset) &&
			 !(isalpha((unsigned char)tokens[i][0]) && strlen(tokens[i]) <= 5))
			return -1; /* named zones (UTC, EST) are taken as UTC */
	}
	if (year < 1970)
		return -1;
	int64_t days = ctl_mbox_days_from_civil(year, (unsigned)month + 1, day);
	*time_r = days * 86400 + hh * 3600 + mm * 60 + ss - offset;
	return 0;
}

void ctl_mbox_write_from_line(struct buf *out, const char *sender, int64_t unix_time)
{
	time_t t = (time_t)unix_time;
	struct tm tm;
	if (unix_time < 0 || gmtime_r(&t, &tm) == NULL) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	buf_printf(out, "From %s %s %s %2d %02d:%02d:%02d %d\n", sender,
		   ctl_mbox_days[tm.tm_wday % 7], ctl_mbox_months[tm.tm_mon % 12], tm.tm_mday,
		   tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* The value of the first header field called name (unfolded, trimmed) into
 * out; false when there is none. */
static bool ctl_mbox_header_value(const unsigned char *data, size_t size, const char *name,
				  char *out, size_t outsize)
{
	size_t name_len = strlen(name);
	size_t i = 0;
	while (i < size) {
		const unsigned char *nl = memchr(data + i, '\n', size - i);
		size_t line_end = nl != NULL ? (size_t)(nl - data) : size;
		size_t content_end = line_end > i && data[line_end - 1] == '\r' ? line_end - 1 : line_end;
		if (content_end == i)
			return false; /* end of the header */
		if (content_end - i > name_len && data[i + name_len] == ':' &&
		    strncasecmp((const char *)data + i, name, name_len) == 0) {
			/* copy the value and its continuation lines */
			size_t n = 0;
			size_t j = i + name_len + 1;
			for (;;) {
				for (; j < content_end && n + 1 < outsize; j++)
					out[n++] = (char)data[j];
				if (line_end >= size || n + 1 >= outsize)
					break;
				size_t k = line_end + 1;
				if (k >= size || (data[k] != ' ' && data[k] != '\t'))
					break;
				nl = memchr(data + k, '\n', size - k);
				line_end = nl != NULL ? (size_t)(nl - data) : size;
				content_end = line_end > k && data[line_end - 1] == '\r' ?
					      line_end - 1 : line_end;
				j = k;
				if (n + 1 < outsize)
					out[n++] = ' ';
			}
			out[n] = '\0';
			return true;
		}
		i = line_end + 1;
	}
	return false;
}

/* Pick the address out of a header value into out; false when it is empty. */
static bool ctl_mbox_pick_address(const char *value, char *out, size_t outsize)
{
	const char *start, *end;
	const char *lt = strchr(value, '<');
	if (lt != NULL) {
		start = lt + 1;
		end = strchr(start, '>');
		if (end == NULL)
			end = start + strlen(start);
	} else {
		start = value;
		while (*start == ' ' || *start == '\t')
			start++;
		end = start;
		while (*end != '\0' && *end != ' ' && *end != '\t')
			end++;
	}
	size_t n = 0;
	for (const char *p = start; p < end && n + 1 < outsize; p++) {
		unsigned char c = (unsigned char)*p;
		out[n++] = c <= ' ' || c >= 0x7f ? '_' : (char)c;
	}
	out[n] = '\0';
	return n > 0;
}

void ctl_mbox_sender(const unsigned char *data, size_t size, char *out, size_t outsize)
{
	char value[CTL_MBOX_SENDER_MAX * 2];
	if (outsize > CTL_MBOX_SENDER_MAX + 1)
		outsize = CTL_MBOX_SENDER_MAX + 1;
	if (ctl_mbox_header_value(data, size, "Return-Path", value, sizeof(value))) {
		if (!ctl_mbox_pick_address(value, out, outsize))
			snprintf(out, outsize, "MAILER-DAEMON");
		return;
	}
	if (ctl_mbox_header_value(data, size, "From", value, sizeof(value)) &&
	    ctl_mbox_pick_address(value, out, outsize))
		return;
	snprintf(out, outsize, "MAILER-DAEMON");
}
