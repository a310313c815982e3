/* fuzz-imap-search.c - libFuzzer target for imap-search-parse.c and
 * imap-search.c. The input is a SEARCH argument line (atoms, "quoted"
 * strings and (lists), tokenized here), a newline, then a message. When the
 * line parses, the key is matched against the message twice (read lazily,
 * and with its header given) and its negation must give the opposite
 * answer. A parse must fail with a message and no tree. Aborts when a
 * promise breaks. Never keeps state between inputs.
 */
#include "imap-search.h"
#include "buf.h"
#include "mime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Nesting of lists the tokenizer accepts (the parser's limit is tested by
 * going beyond it). */
#define FUZZ_TOKEN_DEPTH_MAX 64

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-imap-search: %s\n", what);
		abort();
	}
}

static void tok_free(struct imap_search_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (args[i].type == IMAP_SEARCH_ARG_LIST)
			tok_free((struct imap_search_arg *)args[i].children, args[i].child_count);
		else
			free((char *)args[i].text);
	}
	free(args);
}

/* -1 on unbalanced parentheses or too deep */
static int tok_parse(const char **p, const char *end, unsigned depth,
		     struct imap_search_arg **args_r, size_t *count_r)
{
	struct imap_search_arg *args = NULL;
	size_t count = 0;
	if (depth > FUZZ_TOKEN_DEPTH_MAX)
		return -1;
	for (;;) {
		while (*p < end && **p == ' ')
			(*p)++;
		if (*p == end || **p == ')') {
			if ((*p < end) != (depth > 0)) {
				tok_free(args, count);
				return -1;
			}
			if (*p < end)
				(*p)++;
			*args_r = args;
			*count_r = count;
			return 0;
		}
		args = realloc(args, (count + 1) * sizeof(*args));
		check(args != NULL, "out of memory");
		struct imap_search_arg *a = &args[count++];
		memset(a, 0, sizeof(*a));
		if (**p == '(') {
			(*p)++;
			struct imap_search_arg *children;
			a->type = IMAP_SEARCH_ARG_LIST;
			if (tok_parse(p, end, depth + 1, &children, &a->child_count) < 0) {
				tok_free(args, count - 1);
				return -1;
			}
			a->children = children;
			continue;
		}
		struct buf b;
		buf_init(&b);
		buf_append(&b, "", 0);
		if (**p == '"') {
			a->type = IMAP_SEARCH_ARG_STRING;
			(*p)++;
			while (*p < end && **p != '"') {
				if (**p == '\\' && *p + 1 < end)
					(*p)++;
				buf_append_byte(&b, (unsigned char)*(*p)++);
			}
			if (*p < end)
				(*p)++;
		} else {
			a->type = IMAP_SEARCH_ARG_ATOM;
			while (*p < end && **p != ' ' && **p != '(' && **p != ')')
				buf_append_byte(&b, (unsigned char)*(*p)++);
		}
		a->text = (const char *)buf_steal(&b, &a->len);
	}
}

struct fuzz_msg {
	const unsigned char *data;
	size_t size;
};

static int fuzz_read(void *context, const unsigned char **data_r, size_t *size_r,
		     const char **error_r)
{
	struct fuzz_msg *m = context;
	(void)error_r;
	*data_r = m->data;
	*size_r = m->size;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mime_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line_len = nl == NULL ? size : (size_t)(nl - data);
	struct fuzz_msg m = { nl == NULL ? data + size : nl + 1, 0 };
	m.size = size - (size_t)(m.data - data);

	const char *p = (const char *)data;
	struct imap_search_arg *args;
	size_t count;
	if (tok_parse(&p, p + line_len, 0, &args, &count) < 0)
		return 0;
	struct imap_search_key *key = (void *)1;
	const char *error = NULL;
	enum imap_search_parse_result r = imap_search_parse(args, count, &key, &error);
	tok_free(args, count);
	if (r != IMAP_SEARCH_PARSE_OK) {
		check(key == NULL && error != NULL, "failed parse left a tree or no error");
		return 0;
	}
	check(key != NULL, "parse gave no tree");

	/* mail fields from the first bytes of the message */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < m.size && i < 64; i++)
		h = (h ^ m.data[i]) * 16777619u;
	struct imap_search_mail mail = {
		.seq = h % 7 + 1, .uid = h % 1000 + 1, .flags = h & 0x1f,
		.recent = (h & 0x20) != 0, .keywords = (h & 0x40) != 0 ? "a $b Work" : "",
		.internal_date = (int64_t)(h % 2000000000u), .size = m.size,
		.get_message = fuzz_read, .context = &m,
	};
	struct imap_search_mailbox box = { 7, 1000, true, (int32_t)(h % 100000) - 50000 };
	struct imap_search_key not_key = { .type = IMAP_SEARCH_NOT, .children = key,
					   .child_count = 1, .cost = key->cost };
	bool match, match_not, match_hdr;
	check(imap_search_match(key, &box, &mail, &match, &error) == 0, "match failed");
	check(imap_search_match(&not_key, &box, &mail, &match_not, &error) == 0,
	      "NOT match failed");
	check(match != match_not, "NOT does not negate");
	/* the same with the header handed in */
	size_t hdr = 0;
	const uint8_t *end = m.size >= 4 ? memmem(m.data, m.size, "\r\n\r\n", 4) : NULL;
	if (end != NULL) {
		hdr = (size_t)(end - m.data) + 4;
		mail.header = m.data;
		mail.header_size = hdr;
		check(imap_search_match(key, &box, &mail, &match_hdr, &error) == 0,
		      "match with header failed");
	}
	imap_search_key_free(&key);
	return 0;
}
