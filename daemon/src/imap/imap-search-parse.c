/* imap-search-parse.c - turn the tokenized arguments of SEARCH into a tree
 * of struct imap_search_key (RFC 3501 6.4.4 search-key grammar).
 *
 * Bounded: at most IMAP_SEARCH_KEYS_MAX keys, IMAP_SEARCH_DEPTH_MAX levels
 * of parentheses / NOT / OR, IMAP_SEARCH_STRING_MAX bytes per string,
 * IMAP_SEARCH_RANGES_MAX ranges per set written by the client (the saved
 * result "$" stands for, SEARCHRES, is the server's own and as long as
 * the mailbox). Never evaluates anything, never
 * does I/O; strings are case-folded here once so matching need not.
 */
#include "imap-search.h"
#include "storage.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a key takes after its name. */
enum key_arg {
	ARG_NONE = 0,
	ARG_STRING,    /* astring, searched */
	ARG_HEADER,    /* field-name astring, then astring */
	ARG_DATE,
	ARG_NUMBER,
	ARG_KEYWORD,   /* flag-keyword atom */
	ARG_SEQSET,    /* UID sequence-set */
	ARG_NOT,
	ARG_OR,
};

static const struct {
	const char *name;
	enum imap_search_key_type type;
	enum key_arg arg;
	uint32_t flags;     /* FLAGS_SET / FLAGS_UNSET */
	const char *header; /* ARG_STRING on a header field */
} search_keys[] = {
	{ "ALL", IMAP_SEARCH_ALL, ARG_NONE, 0, NULL },
	{ "ANSWERED", IMAP_SEARCH_FLAGS_SET, ARG_NONE, STORAGE_FLAG_ANSWERED, NULL },
	{ "BCC", IMAP_SEARCH_HEADER, ARG_STRING, 0, "Bcc" },
	{ "BEFORE", IMAP_SEARCH_BEFORE, ARG_DATE, 0, NULL },
	{ "BODY", IMAP_SEARCH_BODY, ARG_STRING, 0, NULL },
	{ "CC", IMAP_SEARCH_HEADER, ARG_STRING, 0, "Cc" },
	{ "DELETED", IMAP_SEARCH_FLAGS_SET, ARG_NONE, STORAGE_FLAG_DELETED, NULL },
	{ "DRAFT", IMAP_SEARCH_FLAGS_SET, ARG_NONE, STORAGE_FLAG_DRAFT, NULL },
	{ "FLAGGED", IMAP_SEARCH_FLAGS_SET, ARG_NONE, STORAGE_FLAG_FLAGGED, NULL },
	{ "FROM", IMAP_SEARCH_HEADER, ARG_STRING, 0, "From" },
	{ "HEADER", IMAP_SEARCH_HEADER, ARG_HEADER, 0, NULL },
	{ "KEYWORD", IMAP_SEARCH_KEYWORD, ARG_KEYWORD, 0, NULL },
	{ "LARGER", IMAP_SEARCH_LARGER, ARG_NUMBER, 0, NULL },
	{ "NEW", IMAP_SEARCH_NEW, ARG_NONE, 0, NULL },
	{ "NOT", IMAP_SEARCH_NOT, ARG_NOT, 0, NULL },
	{ "OLD", IMAP_SEARCH_OLD, ARG_NONE, 0, NULL },
	{ "ON", IMAP_SEARCH_ON, ARG_DATE, 0, NULL },
	{ "OR", IMAP_SEARCH_OR, ARG_OR, 0, NULL },
	{ "RECENT", IMAP_SEARCH_RECENT, ARG_NONE, 0, NULL },
	{ "SEEN", IMAP_SEARCH_FLAGS_SET, ARG_NONE, STORAGE_FLAG_SEEN, NULL },
	{ "SENTBEFORE", IMAP_SEARCH_SENTBEFORE, ARG_DATE, 0, NULL },
	{ "SENTON", IMAP_SEARCH_SENTON, ARG_DATE, 0, NULL },
	{ "SENTSINCE", IMAP_SEARCH_SENTSINCE, ARG_DATE, 0, NULL },
	{ "SINCE", IMAP_SEARCH_SINCE, ARG_DATE, 0, NULL },
	{ "SMALLER", IMAP_SEARCH_SMALLER, ARG_NUMBER, 0, NULL },
	{ "SUBJECT", IMAP_SEARCH_HEADER, ARG_STRING, 0, "Subject" },
	{ "TEXT", IMAP_SEARCH_TEXT, ARG_STRING, 0, NULL },
	{ "TO", IMAP_SEARCH_HEADER, ARG_STRING, 0, "To" },
	{ "UID", IMAP_SEARCH_UIDSET, ARG_SEQSET, 0, NULL },
	{ "UNANSWERED", IMAP_SEARCH_FLAGS_UNSET, ARG_NONE, STORAGE_FLAG_ANSWERED, NULL },
	{ "UNDELETED", IMAP_SEARCH_FLAGS_UNSET, ARG_NONE, STORAGE_FLAG_DELETED, NULL },
	{ "UNDRAFT", IMAP_SEARCH_FLAGS_UNSET, ARG_NONE, STORAGE_FLAG_DRAFT, NULL },
	{ "UNFLAGGED", IMAP_SEARCH_FLAGS_UNSET, ARG_NONE, STORAGE_FLAG_FLAGGED, NULL },
	{ "UNKEYWORD", IMAP_SEARCH_UNKEYWORD, ARG_KEYWORD, 0, NULL },
	{ "UNSEEN", IMAP_SEARCH_FLAGS_UNSET, ARG_NONE, STORAGE_FLAG_SEEN, NULL },
};

/* System flags accepted after KEYWORD / UNKEYWORD as a courtesy. */
static const struct {
	const char *name;
	uint32_t flag;
} system_flags[] = {
	{ "\\Seen", STORAGE_FLAG_SEEN },       { "\\Answered", STORAGE_FLAG_ANSWERED },
	{ "\\Flagged", STORAGE_FLAG_FLAGGED }, { "\\Deleted", STORAGE_FLAG_DELETED },
	{ "\\Draft", STORAGE_FLAG_DRAFT },
};

struct parse_ctx {
	const struct imap_search_arg *args;
	size_t count;
	size_t pos;
	size_t keys;
	const char *error;
	const struct imap_search_saved *saved; /* "$": NULL when not allowed */
};

static bool text_eq_ci(const char *text, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(text, word, len) == 0;
}

static void key_free_contents(struct imap_search_key *key)
{
	for (size_t i = 0; i < key->child_count; i++)
		key_free_contents(&key->children[i]);
	free(key->children);
	free(key->header);
	free(key->str);
	free(key->ranges);
}

void imap_search_key_free(struct imap_search_key **key)
{
	if (*key == NULL)
		return;
	key_free_contents(*key);
	free(*key);
	*key = NULL;
}

static const struct imap_search_arg *next_arg(struct parse_ctx *ctx)
{
	return ctx->pos < ctx->count ? &ctx->args[ctx->pos++] : NULL;
}

static int fail(struct parse_ctx *ctx, const char *error)
{
	if (ctx->error == NULL)
		ctx->error = error;
	return -1;
}

/* An astring argument (atom or string). */
static int take_astring(struct parse_ctx *ctx, const char **text_r, size_t *len_r)
{
	const struct imap_search_arg *a = next_arg(ctx);
	if (a == NULL)
		return fail(ctx, "Missing argument to search key");
	if (a->type == IMAP_SEARCH_ARG_LIST)
		return fail(ctx, "Expected a string, got a list");
	if (a->len > IMAP_SEARCH_STRING_MAX)
		return fail(ctx, "Search string too long");
	*text_r = a->len == 0 ? "" : a->text;
	*len_r = a->len;
	return 0;
}

static int take_atom(struct parse_ctx *ctx, const char **text_r, size_t *len_r)
{
	const struct imap_search_arg *a = next_arg(ctx);
	if (a == NULL)
		return fail(ctx, "Missing argument to search key");
	if (a->type != IMAP_SEARCH_ARG_ATOM || a->len == 0)
		return fail(ctx, "Expected an atom");
	if (a->len > IMAP_SEARCH_STRING_MAX)
		return fail(ctx, "Argument too long");
	*text_r = a->text;
	*len_r = a->len;
	return 0;
}

/* seq-number: nz-number or '*' (0) */
static int seq_number(const char **p, const char *end, uint32_t *n_r)
{
	if (*p < end && **p == '*') {
		(*p)++;
		*n_r = 0;
		return 0;
	}
	if (*p >= end || **p < '1' || **p > '9')
		return -1;
	uint64_t n = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		n = n * 10 + (uint64_t)(**p - '0');
		if (n > UINT32_MAX)
			return -1;
		(*p)++;
	}
	*n_r = (uint32_t)n;
	return 0;
}

static int parse_seqset(struct parse_ctx *ctx, const char *text, size_t len,
			struct imap_search_key *key)
{
	const char *p = text, *end = text + len;
	size_t cap = 0;
	for (;;) {
		struct imap_search_range r;
		if (seq_number(&p, end, &r.lo) < 0)
			return fail(ctx, "Invalid sequence set");
		r.hi = r.lo;
		if (p < end && *p == ':') {
			p++;
			if (seq_number(&p, end, &r.hi) < 0)
				return fail(ctx, "Invalid sequence set");
		}
		if (key->range_count == IMAP_SEARCH_RANGES_MAX)
			return fail(ctx, "Too many ranges in sequence set");
		*XARRAY_PUSH(key->ranges, key->range_count, cap) = r;
		if (p == end)
			return 0;
		if (*p++ != ',')
			return fail(ctx, "Invalid sequence set");
	}
}

/* "$" (SEARCHRES): the saved UIDs as ranges of a UID set. */
static int parse_saved(struct parse_ctx *ctx, struct imap_search_key *key)
{
	if (ctx->saved == NULL)
		return fail(ctx, "Invalid sequence set");
	key->type = IMAP_SEARCH_UIDSET;
	size_t cap = 0;
	const uint32_t *uids = ctx->saved->uids;
	for (size_t i = 0; i < ctx->saved->count;) {
		size_t j = i;
		while (j + 1 < ctx->saved->count && uids[j + 1] == uids[j] + 1)
			j++;
		*XARRAY_PUSH(key->ranges, key->range_count, cap) =
			(struct imap_search_range){ uids[i], uids[j] };
		i = j + 1;
	}
	return 0;
}

static int parse_number(struct parse_ctx *ctx, struct imap_search_key *key)
{
	const char *text;
	size_t len;
	if (take_atom(ctx, &text, &len) < 0)
		return -1;
	if (len > 19)
		return fail(ctx, "Number too large");
	uint64_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return fail(ctx, "Expected a number");
		n = n * 10 + (uint64_t)(text[i] - '0');
	}
	if (n > INT64_MAX)
		return fail(ctx, "Number too large");
	key->number = n;
	return 0;
}

static int parse_keyword(struct parse_ctx *ctx, struct imap_search_key *key)
{
	const char *text;
	size_t len;
	if (take_atom(ctx, &text, &len) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
		if (text_eq_ci(text, len, system_flags[i].name)) {
			key->type = key->type == IMAP_SEARCH_KEYWORD ? IMAP_SEARCH_FLAGS_SET
								      : IMAP_SEARCH_FLAGS_UNSET;
			key->flags = system_flags[i].flag;
			return 0;
		}
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= 32 || c >= 127 || strchr("(){%*\"\\]", c) != NULL)
			return fail(ctx, "Invalid keyword");
	}
	key->str = xstrndup(text, len);
	key->str_len = len;
	return 0;
}

static int parse_key(struct parse_ctx *ctx, unsigned depth, struct imap_search_key *key);

/* The keys of a parenthesised list, as an AND. */
static int parse_group(struct parse_ctx *ctx, const struct imap_search_arg *list,
		       unsigned depth, struct imap_search_key *key)
{
	if (list->child_count == 0)
		return fail(ctx, "Empty search key list");
	struct parse_ctx sub = { list->children, list->child_count, 0, ctx->keys, NULL,
				 ctx->saved };
	key->type = IMAP_SEARCH_AND;
	size_t cap = 0;
	int ret = 0;
	while (sub.pos < sub.count) {
		struct imap_search_key *child = XARRAY_PUSH(key->children, key->child_count, cap);
		memset(child, 0, sizeof(*child));
		if (parse_key(&sub, depth + 1, child) < 0) {
			ret = -1;
			break;
		}
	}
	ctx->keys = sub.keys;
	if (ret < 0)
		return fail(ctx, sub.error);
	return 0;
}

static int parse_key(struct parse_ctx *ctx, unsigned depth, struct imap_search_key *key)
{
	if (depth > IMAP_SEARCH_DEPTH_MAX)
		return fail(ctx, "Search keys nested too deep");
	if (++ctx->keys > IMAP_SEARCH_KEYS_MAX)
		return fail(ctx, "Too many search keys");
	const struct imap_search_arg *a = next_arg(ctx);
	if (a == NULL)
		return fail(ctx, "Missing search key");
	if (a->type == IMAP_SEARCH_ARG_LIST)
		return parse_group(ctx, a, depth, key);
	if (a->type != IMAP_SEARCH_ARG_ATOM || a->len == 0)
		return fail(ctx, "Expected a search key");
	if (a->len == 1 && a->text[0] == '$')
		return parse_saved(ctx, key);
	if ((a->text[0] >= '0' && a->text[0] <= '9') || a->text[0] == '*') {
		key->type = IMAP_SEARCH_SEQSET;
		return parse_seqset(ctx, a->text, a->len, key);
	}
	size_t i = 0, n = sizeof(search_keys) / sizeof(search_keys[0]);
	while (i < n && !text_eq_ci(a->text, a->len, search_keys[i].name))
		i++;
	if (i == n)
		return fail(ctx, "Unknown search key");
	key->type = search_keys[i].type;
	key->flags = search_keys[i].flags;
	if (search_keys[i].header != NULL)
		key->header = xstrdup(search_keys[i].header);
	const char *text;
	size_t len;
	switch (search_keys[i].arg) {
	case ARG_NONE:
		return 0;
	case ARG_HEADER:
		if (take_astring(ctx, &text, &len) < 0)
			return -1;
		if (len == 0 || memchr(text, ':', len) != NULL || memchr(text, '\0', len) != NULL)
			return fail(ctx, "Invalid header field name");
		key->header = xstrndup(text, len);
		/* fall through */
	case ARG_STRING:
		if (take_astring(ctx, &text, &len) < 0)
			return -1;
		key->str = imap_search_fold(text, len, &key->str_len);
		return 0;
	case ARG_DATE:
		if (take_astring(ctx, &text, &len) < 0)
			return -1;
		if (imap_search_date_parse(text, len, &key->day) < 0)
			return fail(ctx, "Invalid date");
		return 0;
	case ARG_NUMBER:
		return parse_number(ctx, key);
	case ARG_KEYWORD:
		return parse_keyword(ctx, key);
	case ARG_SEQSET:
		if (take_atom(ctx, &text, &len) < 0)
			return -1;
		if (len == 1 && text[0] == '$')
			return parse_saved(ctx, key);
		return parse_seqset(ctx, text, len, key);
	case ARG_NOT:
	case ARG_OR:
		key->child_count = search_keys[i].arg == ARG_OR ? 2 : 1;
		key->children = xcalloc(key->child_count, sizeof(key->children[0]));
		for (size_t c = 0; c < key->child_count; c++)
			if (parse_key(ctx, depth + 1, &key->children[c]) < 0)
				return -1;
		return 0;
	}
	return fail(ctx, "Unknown search key");
}

/* cost of evaluating key; AND children sorted cheapest first (stable) */
static unsigned key_prepare(struct imap_search_key *key)
{
	switch (key->type) {
	case IMAP_SEARCH_HEADER:
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		key->cost = 1;
		break;
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		key->cost = 2;
		break;
	default:
		key->cost = 0;
		break;
	}
	for (size_t i = 0; i < key->child_count; i++) {
		unsigned c = key_prepare(&key->children[i]);
		if (c > key->cost)
			key->cost = c;
	}
	if (key->type == IMAP_SEARCH_AND) {
		for (size_t i = 1; i < key->child_count; i++) {
			struct imap_search_key k = key->children[i];
			size_t j = i;
			for (; j > 0 && key->children[j - 1].cost > k.cost; j--)
				key->children[j] = key->children[j - 1];
			key->children[j] = k;
		}
	}
	return key->cost;
}

static enum imap_search_parse_result check_charset(struct parse_ctx *ctx)
{
	if (ctx->count == 0 || ctx->args[0].type != IMAP_SEARCH_ARG_ATOM ||
	    !text_eq_ci(ctx->args[0].text, ctx->args[0].len, "CHARSET"))
		return IMAP_SEARCH_PARSE_OK;
	ctx->pos = 1;
	const char *text;
	size_t len;
	if (take_astring(ctx, &text, &len) < 0)
		return IMAP_SEARCH_PARSE_BAD;
	if (text_eq_ci(text, len, "UTF-8") || text_eq_ci(text, len, "US-ASCII"))
		return IMAP_SEARCH_PARSE_OK;
	ctx->error = "Unsupported charset";
	return IMAP_SEARCH_PARSE_BADCHARSET;
}

enum imap_search_parse_result imap_search_parse(const struct imap_search_arg *args,
						size_t arg_count,
						struct imap_search_key **key_r,
						const char **error_r)
{
	return imap_search_parse_saved(args, arg_count, NULL, key_r, error_r);
}

enum imap_search_parse_result imap_search_parse_saved(const struct imap_search_arg *args,
						      size_t arg_count,
						      const struct imap_search_saved *saved,
						      struct imap_search_key **key_r,
						      const char **error_r)
{
	*key_r = NULL;
	struct parse_ctx ctx = { args, arg_count, 0, 0, NULL, saved };
	enum imap_search_parse_result ret = check_charset(&ctx);
	if (ret != IMAP_SEARCH_PARSE_OK) {
		*error_r = ctx.error;
		return ret;
	}
	if (ctx.pos == ctx.count) {
		*error_r = "Missing search key";
		return IMAP_SEARCH_PARSE_BAD;
	}
	struct imap_search_key *top = xcalloc(1, sizeof(*top));
	top->type = IMAP_SEARCH_AND;
	size_t cap = 0;
	while (ctx.pos < ctx.count) {
		struct imap_search_key *child = XARRAY_PUSH(top->children, top->child_count, cap);
		memset(child, 0, sizeof(*child));
		if (parse_key(&ctx, 1, child) < 0) {
			imap_search_key_free(&top);
			*error_r = ctx.error;
			return IMAP_SEARCH_PARSE_BAD;
		}
	}
	key_prepare(top);
	*key_r = top;
	return IMAP_SEARCH_PARSE_OK;
}
