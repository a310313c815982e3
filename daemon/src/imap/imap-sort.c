/* imap-sort.c - RFC 5256 SORT keys and ordering: criteria parsing, base
 * subject extraction (section 2.1), address and date keys, and the sort.
 *
 * Pure: never does I/O nor reads a message; works only on the header values
 * it is given, each bounded by IMAP_SORT_VALUE_MAX.
 */
#include "imap-sort.h"
#include "imap-search.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum imap_sort_key key;
} imap_sort_names[] = {
	{ "ARRIVAL", IMAP_SORT_ARRIVAL }, { "CC", IMAP_SORT_CC },
	{ "DATE", IMAP_SORT_DATE },       { "FROM", IMAP_SORT_FROM },
	{ "SIZE", IMAP_SORT_SIZE },       { "SUBJECT", IMAP_SORT_SUBJECT },
	{ "TO", IMAP_SORT_TO },           { "DISPLAYFROM", IMAP_SORT_DISPLAYFROM },
	{ "DISPLAYTO", IMAP_SORT_DISPLAYTO },
};

int imap_sort_criteria_parse(const char *const *atoms, size_t atom_count,
			     struct imap_sort_criterion *criteria_r, size_t *count_r,
			     const char **error_r)
{
	size_t count = 0;
	bool reverse = false;
	for (size_t i = 0; i < atom_count; i++) {
		if (strcasecmp(atoms[i], "REVERSE") == 0) {
			if (reverse) {
				*error_r = "REVERSE twice in a row";
				return -1;
			}
			reverse = true;
			continue;
		}
		size_t n = 0;
		while (n < sizeof(imap_sort_names) / sizeof(imap_sort_names[0]) &&
		       strcasecmp(atoms[i], imap_sort_names[n].name) != 0)
			n++;
		if (n == sizeof(imap_sort_names) / sizeof(imap_sort_names[0])) {
			*error_r = "unknown sort criterion";
			return -1;
		}
		if (count == IMAP_SORT_CRITERIA_MAX) {
			*error_r = "too many sort criteria";
			return -1;
		}
		criteria_r[count].key = imap_sort_names[n].key;
		criteria_r[count].reverse = reverse;
		count++;
		reverse = false;
	}
	if (reverse) {
		*error_r = "REVERSE must precede a sort criterion";
		return -1;
	}
	if (count == 0) {
		*error_r = "empty sort criteria";
		return -1;
	}
	*count_r = count;
	return 0;
}

const char *imap_sort_key_header(enum imap_sort_key key)
{
	switch (key) {
	case IMAP_SORT_CC:
		return "Cc";
	case IMAP_SORT_DATE:
		return "Date";
	case IMAP_SORT_FROM:
	case IMAP_SORT_DISPLAYFROM:
		return "From";
	case IMAP_SORT_SUBJECT:
		return "Subject";
	case IMAP_SORT_TO:
	case IMAP_SORT_DISPLAYTO:
		return "To";
	case IMAP_SORT_ARRIVAL:
	case IMAP_SORT_SIZE:
		break;
	}
	return NULL;
}

/* ---- base subject (RFC 5256 2.1) ---- */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the subj-blob ("[" *BLOBCHAR "]" *WSP) at s, 0 if none. */
static size_t blob_len(const char *s, size_t len)
{
	if (len == 0 || s[0] != '[')
		return 0;
	size_t i = 1;
	while (i < len && s[i] != ']' && s[i] != '[')
		i++;
	if (i >= len || s[i] != ']')
		return 0;
	i++;
	while (i < len && is_wsp(s[i]))
		i++;
	return i;
}

/* Length of the subj-leader "*subj-blob subj-refwd" at s, 0 if none. */
static size_t refwd_leader_len(const char *s, size_t len)
{
	size_t i = 0, b;
	while ((b = blob_len(s + i, len - i)) > 0)
		i += b;
	if (len - i >= 3 && strncasecmp(s + i, "fwd", 3) == 0)
		i += 3;
	else if (len - i >= 2 &&
		 (strncasecmp(s + i, "fw", 2) == 0 || strncasecmp(s + i, "re", 2) == 0))
		i += 2;
	else
		return 0;
	while (i < len && is_wsp(s[i]))
		i++;
	i += blob_len(s + i, len - i);
	if (i >= len || s[i] != ':')
		return 0;
	return i + 1;
}

char *imap_sort_base_subject(const char *subject, bool *is_reply_r)
{
	bool reply = false;
	if (subject == NULL)
		subject = "";
	size_t in_len = strnlen(subject, IMAP_SORT_VALUE_MAX);
	char *bounded = xstrndup(subject, in_len);
	/* step 1: decode, whitespace to single blanks */
	char *decoded = g_mime_utils_header_decode_text(NULL, bounded);
	free(bounded);
	const char *src = decoded != NULL ? decoded : "";
	size_t cap = strlen(src);
	char *s = xmalloc(cap + 1);
	size_t len = 0;
	for (size_t i = 0; src[i] != '\0'; i++) {
		char c = src[i] == '\t' || src[i] == '\r' || src[i] == '\n' ? ' ' : src[i];
		if (c == ' ' && len > 0 && s[len - 1] == ' ')
			continue;
		s[len++] = c;
	}
	g_free(decoded);
	size_t start = 0;
	for (;;) {
		/* step 2: trailing "(fwd)" and blanks */
		for (;;) {
			while (len > start && is_wsp(s[len - 1]))
				len--;
			if (len - start >= 5 && strncasecmp(s + len - 5, "(fwd)", 5) == 0) {
				len -= 5;
				reply = true;
				continue;
			}
			break;
		}
		/* steps 3-5: leaders and blobs at the front */
		bool changed = true;
		while (changed) {
			changed = false;
			while (start < len && is_wsp(s[start])) {
				start++;
				changed = true;
			}
			size_t n = refwd_leader_len(s + start, len - start);
			if (n > 0) {
				start += n;
				reply = true;
				changed = true;
				continue;
			}
			n = blob_len(s + start, len - start);
			if (n > 0 && start + n < len) {
				start += n;
				changed = true;
			}
		}
		/* step 6: "[fwd: ... ]" */
		if (len - start >= 6 && strncasecmp(s + start, "[fwd:", 5) == 0 && s[len - 1] == ']') {
			start += 5;
			len--;
			reply = true;
			continue;
		}
		break;
	}
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	if (is_reply_r != NULL)
		*is_reply_r = reply;
	return s;
}

/* ---- addresses and dates ---- */

char *imap_sort_address(const char *value, bool display)
{
	if (value == NULL)
		return xstrdup("");
	char *bounded = xstrndup(value, strnlen(value, IMAP_SORT_VALUE_MAX));
	InternetAddressList *list = internet_address_list_parse(NULL, bounded);
	free(bounded);
	InternetAddress *first = list != NULL && internet_address_list_length(list) > 0 ?
		internet_address_list_get_address(list, 0) : NULL;
	char *out;
	if (first == NULL) {
		out = xstrdup("");
	} else if (!INTERNET_ADDRESS_IS_MAILBOX(first)) {
		/* a group: in the ENVELOPE its first address is the group's
		 * start, whose addr-mailbox is the group name */
		const char *name = internet_address_get_name(first);
		out = xstrdup(name != NULL ? name : "");
	} else {
		InternetAddressMailbox *mb = INTERNET_ADDRESS_MAILBOX(first);
		const char *name = internet_address_get_name(first);
		const char *addr = internet_address_mailbox_get_addr(mb);
		if (addr == NULL)
			addr = "";
		if (display && name != NULL && name[0] != '\0') {
			out = xstrdup(name);
		} else if (display) {
			out = xstrdup(addr);
		} else {
			const char *at = strrchr(addr, '@');
			out = xstrndup(addr, at != NULL ? (size_t)(at - addr) : strlen(addr));
		}
	}
	if (list != NULL)
		g_object_unref(list);
	return out;
}

int64_t imap_sort_date(const char *value, int64_t fallback)
{
	if (value == NULL)
		return fallback;
	char *bounded = xstrndup(value, strnlen(value, IMAP_SORT_VALUE_MAX));
	GDateTime *dt = g_mime_utils_header_decode_date(bounded);
	free(bounded);
	if (dt == NULL)
		return fallback;
	int64_t t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

/* ---- keys and ordering ---- */

static char *folded(char *text)
{
	size_t len;
	char *f = imap_search_fold(text, strlen(text), &len);
	free(text);
	return f;
}

static void set_str(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

void imap_sort_msg_set(struct imap_sort_msg *m, enum imap_sort_key key, const char *value)
{
	switch (key) {
	case IMAP_SORT_ARRIVAL:
	case IMAP_SORT_SIZE:
		break;
	case IMAP_SORT_DATE:
		m->date = imap_sort_date(value, m->arrival);
		break;
	case IMAP_SORT_SUBJECT:
		set_str(&m->subject, folded(imap_sort_base_subject(value, NULL)));
		break;
	case IMAP_SORT_FROM:
		set_str(&m->from, folded(imap_sort_address(value, false)));
		break;
	case IMAP_SORT_TO:
		set_str(&m->to, folded(imap_sort_address(value, false)));
		break;
	case IMAP_SORT_CC:
		set_str(&m->cc, folded(imap_sort_address(value, false)));
		break;
	case IMAP_SORT_DISPLAYFROM:
		set_str(&m->display_from, folded(imap_sort_address(value, true)));
		break;
	case IMAP_SORT_DISPLAYTO:
		set_str(&m->display_to, folded(imap_sort_address(value, true)));
		break;
	}
}

void imap_sort_msg_clear(struct imap_sort_msg *m)
{
	free(m->subject);
	free(m->from);
	free(m->to);
	free(m->cc);
	free(m->display_from);
	free(m->display_to);
	m->subject = m->from = m->to = m->cc = m->display_from = m->display_to = NULL;
}

struct imap_sort_context {
	const struct imap_sort_criterion *criteria;
	size_t count;
};

static int cmp_num(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int imap_sort_cmp(gconstpointer pa, gconstpointer pb, gpointer context)
{
	const struct imap_sort_msg *a = pa, *b = pb;
	const struct imap_sort_context *ctx = context;
	for (size_t i = 0; i < ctx->count; i++) {
		int r = 0;
		switch (ctx->criteria[i].key) {
		case IMAP_SORT_ARRIVAL:
			r = cmp_num(a->arrival, b->arrival);
			break;
		case IMAP_SORT_DATE:
			r = cmp_num(a->date, b->date);
			break;
		case IMAP_SORT_SIZE:
			r = a->size < b->size ? -1 : a->size > b->size;
			break;
		case IMAP_SORT_SUBJECT:
			r = cmp_str(a->subject, b->subject);
			break;
		case IMAP_SORT_FROM:
			r = cmp_str(a->from, b->from);
			break;
		case IMAP_SORT_TO:
			r = cmp_str(a->to, b->to);
			break;
		case IMAP_SORT_CC:
			r = cmp_str(a->cc, b->cc);
			break;
		case IMAP_SORT_DISPLAYFROM:
			r = cmp_str(a->display_from, b->display_from);
			break;
		case IMAP_SORT_DISPLAYTO:
			r = cmp_str(a->display_to, b->display_to);
			break;
		}
		if (r != 0)
			return ctx->criteria[i].reverse ? -r : r;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void imap_sort_msgs(struct imap_sort_msg *msgs, size_t count,
		    const struct imap_sort_criterion *criteria, size_t criterion_count)
{
	if (count < 2)
		return;
	struct imap_sort_context ctx = { criteria, criterion_count };
	g_qsort_with_data(msgs, (gint)count, sizeof(msgs[0]), imap_sort_cmp, &ctx);
}
