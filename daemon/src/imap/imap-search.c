/* imap-search.c - decide whether one message matches a parsed SEARCH key
 * tree (imap-search-parse.c builds it), plus the date and text helpers both
 * share.
 *
 * The raw message is fetched through the caller's callback only when a key
 * needs it, once per imap_search_match(); its decoded forms (header values,
 * body text) are computed lazily and dropped when the call returns. The
 * decoding (RFC 2047 words, transfer encodings, charsets, case folding) is
 * storage's (mime-text.c), the same the full-text index is built with; only
 * the IMAP semantics (keys, dates, sets) live here.
 * Never does I/O itself, never keeps state between calls, never trusts the
 * message: any bytes are searched without reading outside them.
 */
#include "imap-search.h"
#include "mime-private.h"
#include "mime-text.h"
#include "storage.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- helpers ---- */

int64_t imap_search_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Shift the year to start in March so the leap day is last. */
	if (m <= 2)
		y--;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                                  /* [0, 399] */
	int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;         /* [0, 11] */
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;            /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* date = date-day "-" date-month "-" date-year (1*2DIGIT, 3 letters, 4DIGIT) */
int imap_search_date_parse(const char *text, size_t len, int64_t *day_r)
{
	size_t i = 0;
	unsigned d = 0, y = 0, m = 0;
	if (len > IMAP_SEARCH_DATE_MAX)
		return -1;
	while (i < len && i < 2 && text[i] >= '0' && text[i] <= '9')
		d = d * 10 + (unsigned)(text[i++] - '0');
	if (i == 0 || i >= len || text[i++] != '-' || len - i != 8 || text[i + 3] != '-')
		return -1;
	for (unsigned k = 0; k < 12; k++)
		if (strncasecmp(text + i, month_names[k], 3) == 0)
			m = k + 1;
	if (m == 0)
		return -1;
	for (i += 4; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		y = y * 10 + (unsigned)(text[i] - '0');
	}
	if (d == 0 || d > days_in_month(y, m))
		return -1;
	*day_r = imap_search_days_from_civil(y, m, d);
	return 0;
}

char *imap_search_fold(const char *text, size_t len, size_t *len_r)
{
	return mime_text_fold(text, len, len_r);
}

static bool contains(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
	return needle_len == 0 || memmem(hay, hay_len, needle, needle_len) != NULL;
}

/* ---- per-match state ---- */

struct match_state {
	const struct imap_search_mailbox *box;
	const struct imap_search_mail *mail;
	const unsigned char *msg;
	size_t msg_size;
	bool msg_loaded;
	const unsigned char *hdr;
	size_t hdr_size;
	bool hdr_ready;
	char *header_text; /* TEXT: every field decoded and folded */
	size_t header_text_len;
	char *body_text;   /* BODY, TEXT: text parts decoded and folded */
	size_t body_text_len;
	bool sent_ready;
	int64_t sent_day;
	const char *error;
};

static int load_message(struct match_state *st)
{
	if (st->msg_loaded)
		return 0;
	const struct imap_search_mail *mail = st->mail;
	if (mail->get_message == NULL) {
		st->error = "Message contents not available";
		return -1;
	}
	if (mail->get_message(mail->context, &st->msg, &st->msg_size, &st->error) < 0)
		return -1;
	if (st->msg == NULL) {
		st->msg = (const unsigned char *)"";
		st->msg_size = 0;
	}
	st->msg_loaded = true;
	return 0;
}

static int load_header(struct match_state *st)
{
	if (st->hdr_ready)
		return 0;
	if (st->mail->header != NULL) {
		st->hdr = st->mail->header;
		st->hdr_size = st->mail->header_size;
	} else {
		if (load_message(st) < 0)
			return -1;
		size_t pos = mime_text_header_size(st->msg, st->msg_size);
		st->hdr = st->msg;
		st->hdr_size = pos;
	}
	st->hdr_ready = true;
	return 0;
}

typedef bool field_cb(struct match_state *st, const struct mime_header_field_pos *f,
		      void *context);

/* Call cb for each field of the header until it returns true. */
static bool each_field(struct match_state *st, field_cb *cb, void *context)
{
	size_t pos = 0;
	for (;;) {
		struct mime_header_field_pos f;
		size_t next;
		enum mime_header_line kind = mime_header_next(st->hdr, st->hdr_size, pos, &f, &next);
		if (kind == MIME_HEADER_END || kind == MIME_HEADER_EOF || next <= pos)
			return false;
		if (kind == MIME_HEADER_FIELD && cb(st, &f, context))
			return true;
		pos = next;
	}
}

static bool name_is(const struct match_state *st, const struct mime_header_field_pos *f,
		    const char *name)
{
	size_t len = f->name_end - f->name_start;
	return strlen(name) == len &&
	       strncasecmp((const char *)st->hdr + f->name_start, name, len) == 0;
}

static bool header_key_field(struct match_state *st, const struct mime_header_field_pos *f,
			     void *context)
{
	const struct imap_search_key *key = context;
	if (!name_is(st, f, key->header))
		return false;
	if (key->str_len == 0)
		return true;
	size_t len;
	char *value = mime_text_field_value(st->hdr, f, &len);
	bool found = contains(value, len, key->str, key->str_len);
	free(value);
	return found;
}

static int load_header_text(struct match_state *st)
{
	if (st->header_text != NULL)
		return 0;
	if (load_header(st) < 0)
		return -1;
	st->header_text = mime_text_header(st->hdr, st->hdr_size, &st->header_text_len);
	return 0;
}

static int load_body_text(struct match_state *st)
{
	if (st->body_text != NULL)
		return 0;
	if (load_message(st) < 0)
		return -1;
	st->body_text = mime_text_body(st->msg, st->msg_size, &st->body_text_len);
	return 0;
}

/* ---- dates ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t internal_day(const struct match_state *st)
{
	int64_t t = st->mail->internal_date;
	if (st->box->fixed_offset)
		return floor_div(t + st->box->offset_seconds, 86400);
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		return floor_div(t, 86400);
	return imap_search_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
					   (unsigned)tm.tm_mday);
}

static bool date_field(struct match_state *st, const struct mime_header_field_pos *f,
		       void *context)
{
	(void)context;
	if (!name_is(st, f, "Date"))
		return false;
	size_t raw_len = f->value_end - f->value_start;
	char *raw = xmalloc(raw_len + 1);
	size_t n = 0;
	for (size_t i = f->value_start; i < f->value_end; i++)
		if (st->hdr[i] != '\r' && st->hdr[i] != '\n' && st->hdr[i] != '\0')
			raw[n++] = (char)st->hdr[i];
	raw[n] = '\0';
	GDateTime *dt = g_mime_utils_header_decode_date(raw);
	free(raw);
	if (dt != NULL) {
		int y, m, d;
		g_date_time_get_ymd(dt, &y, &m, &d);
		g_date_time_unref(dt);
		st->sent_day = imap_search_days_from_civil(y, (unsigned)m, (unsigned)d);
		st->sent_ready = true;
	}
	return true; /* only the first Date field counts */
}

/* The Date header's day in its own zone; without a valid Date header, the
 * internal date's (our choice: RFC 3501 does not say). */
static int sent_day(struct match_state *st, int64_t *day_r)
{
	if (!st->sent_ready) {
		if (load_header(st) < 0)
			return -1;
		(void)each_field(st, date_field, NULL);
		if (!st->sent_ready) {
			st->sent_day = internal_day(st);
			st->sent_ready = true;
		}
	}
	*day_r = st->sent_day;
	return 0;
}

/* ---- matching ---- */

static bool has_keyword(const char *keywords, const char *kw, size_t kw_len)
{
	const char *p = keywords == NULL ? "" : keywords;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == kw_len && len > 0 && strncasecmp(p, kw, len) == 0)
			return true;
		p += len;
	}
	return false;
}

static bool in_ranges(const struct imap_search_key *key, uint32_t n, uint32_t star)
{
	for (size_t i = 0; i < key->range_count; i++) {
		uint32_t lo = key->ranges[i].lo == 0 ? star : key->ranges[i].lo;
		uint32_t hi = key->ranges[i].hi == 0 ? star : key->ranges[i].hi;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

static bool uid_in(const uint32_t *uids, size_t count, uint32_t uid)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (uids[mid] == uid)
			return true;
		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int match_key(struct match_state *st, const struct imap_search_key *key);

/* BODY or TEXT through the index's answer; a message without an index row
 * is scanned as if the key were not indexed. */
static int match_indexed(struct match_state *st, const struct imap_search_key *key)
{
	uint32_t uid = st->mail->uid;
	if (uid_in(key->index_uids, key->index_uid_count, uid))
		return 1;
	if (!uid_in(key->scan_uids, key->scan_uid_count, uid))
		return 0;
	struct imap_search_key scan = *key;
	scan.indexed = false;
	return match_key(st, &scan);
}

/* 1 match, 0 no match, -1 error */
static int match_key(struct match_state *st, const struct imap_search_key *key)
{
	const struct imap_search_mail *mail = st->mail;
	int64_t day;
	switch (key->type) {
	case IMAP_SEARCH_AND:
		for (size_t i = 0; i < key->child_count; i++) {
			int r = match_key(st, &key->children[i]);
			if (r <= 0)
				return r;
		}
		return 1;
	case IMAP_SEARCH_OR: {
		/* the cheaper side first */
		size_t first = key->children[1].cost < key->children[0].cost ? 1 : 0;
		int r = match_key(st, &key->children[first]);
		if (r != 0)
			return r;
		return match_key(st, &key->children[1 - first]);
	}
	case IMAP_SEARCH_NOT: {
		int r = match_key(st, &key->children[0]);
		return r < 0 ? r : !r;
	}
	case IMAP_SEARCH_ALL:
		return 1;
	case IMAP_SEARCH_FLAGS_SET:
		return (mail->flags & key->flags) == key->flags;
	case IMAP_SEARCH_FLAGS_UNSET:
		return (mail->flags & key->flags) == 0;
	case IMAP_SEARCH_KEYWORD:
		return has_keyword(mail->keywords, key->str, key->str_len);
	case IMAP_SEARCH_UNKEYWORD:
		return !has_keyword(mail->keywords, key->str, key->str_len);
	case IMAP_SEARCH_RECENT:
		return mail->recent;
	case IMAP_SEARCH_NEW:
		return mail->recent && (mail->flags & STORAGE_FLAG_SEEN) == 0;
	case IMAP_SEARCH_OLD:
		return !mail->recent;
	case IMAP_SEARCH_SEQSET:
		return in_ranges(key, mail->seq, st->box->max_seq);
	case IMAP_SEARCH_UIDSET:
		return in_ranges(key, mail->uid, st->box->max_uid);
	case IMAP_SEARCH_LARGER:
		return mail->size > key->number;
	case IMAP_SEARCH_SMALLER:
		return mail->size < key->number;
	case IMAP_SEARCH_BEFORE:
		return internal_day(st) < key->day;
	case IMAP_SEARCH_ON:
		return internal_day(st) == key->day;
	case IMAP_SEARCH_SINCE:
		return internal_day(st) >= key->day;
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		if (sent_day(st, &day) < 0)
			return -1;
		if (key->type == IMAP_SEARCH_SENTBEFORE)
			return day < key->day;
		if (key->type == IMAP_SEARCH_SENTON)
			return day == key->day;
		return day >= key->day;
	case IMAP_SEARCH_HEADER:
		if (load_header(st) < 0)
			return -1;
		return each_field(st, header_key_field, (void *)key);
	case IMAP_SEARCH_TEXT:
		if (key->str_len == 0)
			return 1;
		if (key->indexed)
			return match_indexed(st, key);
		if (load_header_text(st) < 0)
			return -1;
		if (contains(st->header_text, st->header_text_len, key->str, key->str_len))
			return 1;
		/* fall through */
	case IMAP_SEARCH_BODY:
		if (key->str_len == 0)
			return 1;
		if (key->indexed)
			return match_indexed(st, key);
		if (load_body_text(st) < 0)
			return -1;
		return contains(st->body_text, st->body_text_len, key->str, key->str_len);
	}
	return 0;
}

int imap_search_match(const struct imap_search_key *key, const struct imap_search_mailbox *box,
		      const struct imap_search_mail *mail, bool *match_r, const char **error_r)
{
	struct match_state st;
	memset(&st, 0, sizeof(st));
	st.box = box;
	st.mail = mail;
	int r = match_key(&st, key);
	free(st.header_text);
	free(st.body_text);
	*match_r = r > 0;
	if (r < 0) {
		*error_r = st.error != NULL ? st.error : "Message could not be read";
		return -1;
	}
	return 0;
}
