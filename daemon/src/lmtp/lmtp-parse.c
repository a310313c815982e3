/* lmtp-parse.c - LMTP command-line parsing (see lmtp-parse.h).
 * Grammar from RFC 5321 4.1.2 and 4.1.3. Never reads past the given length,
 * never allocates, never trusts a length it has not checked against a limit.
 */
#include "lmtp-parse.h"

#include <string.h>

/* A cursor over the input. */
struct lmtp_cursor {
	const char *s;
	size_t len;
	size_t pos;
};

static bool cur_end(const struct lmtp_cursor *c)
{
	return c->pos >= c->len;
}

static int cur_peek(const struct lmtp_cursor *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static bool is_alpha(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int to_upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

/* atext, RFC 5322 3.2.3 */
static bool is_atext(int ch)
{
	return is_alpha(ch) || is_digit(ch) || (ch > 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* qtextSMTP, RFC 5321 4.1.2 */
static bool is_qtext(int ch)
{
	return ch == 32 || ch == 33 || (ch >= 35 && ch <= 91) || (ch >= 93 && ch <= 126);
}

/* dcontent of an address literal */
static bool is_dcontent(int ch)
{
	return (ch >= 33 && ch <= 90) || (ch >= 94 && ch <= 126);
}

static bool ci_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (to_upper((unsigned char)s[i]) != prefix[i])
			return false;
	return true;
}

static bool ci_equal(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && ci_prefix(s, len, word);
}

/* Dot-string = Atom *("." Atom): true if s[0..len) is one. */
static bool is_dot_string(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return false;
		} else if (!is_atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* Domain = sub-domain *("." sub-domain), or an address literal. Advances c. */
static int parse_domain(struct lmtp_cursor *c, const char **error_r)
{
	size_t start = c->pos;
	if (cur_peek(c) == '[') {
		c->pos++;
		while (!cur_end(c) && is_dcontent(cur_peek(c)))
			c->pos++;
		if (cur_peek(c) != ']' || c->pos == start + 1) {
			*error_r = "bad address literal";
			return -1;
		}
		c->pos++;
	} else {
		for (;;) {
			size_t label = c->pos;
			if (!is_alpha(cur_peek(c)) && !is_digit(cur_peek(c))) {
				*error_r = "bad domain";
				return -1;
			}
			while (!cur_end(c) && (is_alpha(cur_peek(c)) || is_digit(cur_peek(c)) ||
					       cur_peek(c) == '-'))
				c->pos++;
			if (c->s[c->pos - 1] == '-' || c->pos - label > LMTP_LABEL_MAX) {
				*error_r = "bad domain";
				return -1;
			}
			if (cur_peek(c) != '.')
				break;
			c->pos++;
		}
	}
	if (c->pos - start > LMTP_DOMAIN_MAX) {
		*error_r = "domain too long";
		return -1;
	}
	return 0;
}

/* Local-part "@" Domain, writing the forms into path (sizes checked). */
static int parse_mailbox(struct lmtp_cursor *c, bool allow_postmaster, struct lmtp_path *path,
			 const char **error_r)
{
	size_t start = c->pos;
	char unquoted[LMTP_LOCALPART_MAX + 1];
	size_t unquoted_len = 0;
	bool quoted = false;

	if (cur_peek(c) == '"') {
		quoted = true;
		c->pos++;
		for (;;) {
			int ch = cur_peek(c);
			if (ch == '"')
				break;
			if (ch == '\\') {
				c->pos++;
				ch = cur_peek(c);
				if (ch < 32 || ch > 126) {
					*error_r = "bad quoted local part";
					return -1;
				}
			} else if (!is_qtext(ch)) {
				*error_r = "bad quoted local part";
				return -1;
			}
			if (unquoted_len == LMTP_LOCALPART_MAX) {
				*error_r = "local part too long";
				return -1;
			}
			unquoted[unquoted_len++] = (char)ch;
			c->pos++;
		}
		c->pos++; /* the closing quote */
	} else {
		while (!cur_end(c) && (is_atext(cur_peek(c)) || cur_peek(c) == '.'))
			c->pos++;
		if (!is_dot_string(c->s + start, c->pos - start)) {
			*error_r = "bad local part";
			return -1;
		}
	}
	size_t local_len = c->pos - start;
	if (local_len > LMTP_LOCALPART_MAX) {
		*error_r = "local part too long";
		return -1;
	}

	if (cur_peek(c) != '@') {
		/* RFC 5321 4.1.1.3: RCPT TO:<Postmaster> needs no domain */
		if (allow_postmaster && !quoted && ci_equal(c->s + start, local_len, "POSTMASTER")) {
			memcpy(path->address, c->s + start, local_len);
			path->address[local_len] = '\0';
			memcpy(path->canonical, path->address, local_len + 1);
			path->has_domain = false;
			return 0;
		}
		*error_r = "address needs a domain";
		return -1;
	}
	c->pos++;
	size_t domain_start = c->pos;
	if (parse_domain(c, error_r) < 0)
		return -1;
	size_t total = c->pos - start;
	if (total > LMTP_PATH_MAX - 2) {
		*error_r = "address too long";
		return -1;
	}
	memcpy(path->address, c->s + start, total);
	path->address[total] = '\0';
	path->has_domain = true;

	if (quoted && is_dot_string(unquoted, unquoted_len)) {
		/* "john.smith"@example.org is john.smith@example.org */
		size_t domain_len = c->pos - domain_start;
		memcpy(path->canonical, unquoted, unquoted_len);
		path->canonical[unquoted_len] = '@';
		memcpy(path->canonical + unquoted_len + 1, c->s + domain_start, domain_len);
		path->canonical[unquoted_len + 1 + domain_len] = '\0';
	} else {
		memcpy(path->canonical, path->address, total + 1);
	}
	return 0;
}

/* Path = "<" [ A-d-l ":" ] Mailbox ">", or "<>" when allow_null. */
static int parse_path(struct lmtp_cursor *c, bool allow_null, bool allow_postmaster,
		      struct lmtp_path *path, const char **error_r)
{
	memset(path, 0, sizeof(*path));
	size_t start = c->pos;
	if (cur_peek(c) != '<') {
		*error_r = "address must be in <>";
		return -1;
	}
	c->pos++;
	if (cur_peek(c) == '>') {
		if (!allow_null) {
			*error_r = "empty address";
			return -1;
		}
		c->pos++;
		path->null = true;
		return 0;
	}
	/* source route: accepted and ignored, RFC 5321 4.1.1.3 / C */
	if (cur_peek(c) == '@') {
		for (;;) {
			c->pos++; /* '@' */
			if (parse_domain(c, error_r) < 0)
				return -1;
			if (cur_peek(c) != ',')
				break;
			c->pos++;
			if (cur_peek(c) != '@') {
				*error_r = "bad source route";
				return -1;
			}
		}
		if (cur_peek(c) != ':') {
			*error_r = "bad source route";
			return -1;
		}
		c->pos++;
	}
	if (parse_mailbox(c, allow_postmaster, path, error_r) < 0)
		return -1;
	if (cur_peek(c) != '>') {
		*error_r = "address must end with >";
		return -1;
	}
	c->pos++;
	if (c->pos - start > LMTP_PATH_MAX) {
		*error_r = "address too long";
		return -1;
	}
	return 0;
}

/* One esmtp-param: keyword ["=" value]. */
struct lmtp_param {
	const char *key;
	size_t key_len;
	const char *value; /* NULL without "=" */
	size_t value_len;
};

static int parse_param(struct lmtp_cursor *c, struct lmtp_param *p, const char **error_r)
{
	p->key = c->s + c->pos;
	if (!is_alpha(cur_peek(c)) && !is_digit(cur_peek(c))) {
		*error_r = "bad parameter";
		return -1;
	}
	while (!cur_end(c) && (is_alpha(cur_peek(c)) || is_digit(cur_peek(c)) || cur_peek(c) == '-'))
		c->pos++;
	p->key_len = (size_t)(c->s + c->pos - p->key);
	p->value = NULL;
	p->value_len = 0;
	if (cur_peek(c) == '=') {
		c->pos++;
		p->value = c->s + c->pos;
		while (!cur_end(c) && cur_peek(c) >= 33 && cur_peek(c) <= 126 && cur_peek(c) != '=')
			c->pos++;
		p->value_len = (size_t)(c->s + c->pos - p->value);
		if (p->value_len == 0) {
			*error_r = "bad parameter value";
			return -1;
		}
	}
	if (!cur_end(c) && cur_peek(c) != ' ') {
		*error_r = "bad parameter";
		return -1;
	}
	return 0;
}

/* Split the blank-separated parameters after a path into params. */
static int parse_params(struct lmtp_cursor *c, struct lmtp_param *params, size_t *count_r,
			const char **error_r)
{
	size_t count = 0;
	while (!cur_end(c)) {
		if (cur_peek(c) != ' ') {
			*error_r = "expected a blank after the address";
			return -1;
		}
		while (cur_peek(c) == ' ')
			c->pos++;
		if (cur_end(c))
			break;
		if (count == LMTP_PARAMS_MAX) {
			*error_r = "too many parameters";
			return -1;
		}
		if (parse_param(c, &params[count], error_r) < 0)
			return -1;
		count++;
	}
	*count_r = count;
	return 0;
}

/* "FROM:" / "TO:" then the path (a blank after the colon is tolerated: many
 * clients send one). */
static int parse_keyword_path(struct lmtp_cursor *c, const char *keyword, bool allow_null,
			      bool allow_postmaster, struct lmtp_path *path, const char **error_r)
{
	if (!ci_prefix(c->s, c->len, keyword)) {
		*error_r = allow_null ? "syntax: MAIL FROM:<address>" : "syntax: RCPT TO:<address>";
		return -1;
	}
	c->pos = strlen(keyword);
	while (cur_peek(c) == ' ')
		c->pos++;
	return parse_path(c, allow_null, allow_postmaster, path, error_r);
}

enum lmtp_parse_result lmtp_parse_mail(const char *args, size_t len,
				       struct lmtp_mail_args *mail_r, const char **error_r)
{
	struct lmtp_cursor c = { args, len, 0 };
	struct lmtp_param params[LMTP_PARAMS_MAX];
	size_t count;

	memset(mail_r, 0, sizeof(*mail_r));
	if (parse_keyword_path(&c, "FROM:", true, false, &mail_r->sender, error_r) < 0 ||
	    parse_params(&c, params, &count, error_r) < 0)
		return LMTP_PARSE_SYNTAX;

	for (size_t i = 0; i < count; i++) {
		const struct lmtp_param *p = &params[i];
		if (ci_equal(p->key, p->key_len, "SIZE")) {
			if (mail_r->has_size || p->value == NULL ||
			    p->value_len > LMTP_SIZE_DIGITS_MAX) {
				*error_r = "bad SIZE";
				return LMTP_PARSE_SYNTAX;
			}
			uint64_t size = 0;
			for (size_t j = 0; j < p->value_len; j++) {
				if (!is_digit((unsigned char)p->value[j])) {
					*error_r = "bad SIZE";
					return LMTP_PARSE_SYNTAX;
				}
				/* 19 digits fit in 64 bits */
				size = size * 10 + (uint64_t)(p->value[j] - '0');
			}
			mail_r->has_size = true;
			mail_r->size = size;
		} else if (ci_equal(p->key, p->key_len, "BODY")) {
			if (mail_r->body != LMTP_BODY_NONE || p->value == NULL) {
				*error_r = "bad BODY";
				return LMTP_PARSE_SYNTAX;
			}
			if (ci_equal(p->value, p->value_len, "7BIT")) {
				mail_r->body = LMTP_BODY_7BIT;
			} else if (ci_equal(p->value, p->value_len, "8BITMIME")) {
				mail_r->body = LMTP_BODY_8BITMIME;
			} else {
				*error_r = "unsupported BODY type";
				return LMTP_PARSE_UNSUPPORTED;
			}
		} else {
			*error_r = "unsupported parameter";
			return LMTP_PARSE_UNSUPPORTED;
		}
	}
	return LMTP_PARSE_OK;
}

enum lmtp_parse_result lmtp_parse_rcpt(const char *args, size_t len,
				       struct lmtp_rcpt_args *rcpt_r, const char **error_r)
{
	struct lmtp_cursor c = { args, len, 0 };
	struct lmtp_param params[LMTP_PARAMS_MAX];
	size_t count;

	memset(rcpt_r, 0, sizeof(*rcpt_r));
	if (parse_keyword_path(&c, "TO:", false, true, &rcpt_r->rcpt, error_r) < 0 ||
	    parse_params(&c, params, &count, error_r) < 0)
		return LMTP_PARSE_SYNTAX;
	if (count > 0) {
		*error_r = "unsupported parameter";
		return LMTP_PARSE_UNSUPPORTED;
	}
	return LMTP_PARSE_OK;
}

int lmtp_parse_mailbox(const char *s, size_t len, struct lmtp_path *path_r, const char **error_r)
{
	struct lmtp_cursor c = { s, len, 0 };
	memset(path_r, 0, sizeof(*path_r));
	if (parse_mailbox(&c, false, path_r, error_r) < 0)
		return -1;
	if (!cur_end(&c)) {
		*error_r = "junk after the address";
		return -1;
	}
	return 0;
}

int lmtp_parse_lhlo(const char *args, size_t len, const char **error_r)
{
	/* a host name or an address literal; '_' tolerated (real MTAs send it) */
	if (len == 0 || len > LMTP_DOMAIN_MAX + 2) {
		*error_r = "syntax: LHLO <hostname>";
		return -1;
	}
	bool literal = args[0] == '[';
	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)args[i];
		bool ok = literal ? (ch >= 33 && ch <= 126) :
			  (is_alpha(ch) || is_digit(ch) || ch == '.' || ch == '-' || ch == '_');
		if (!ok) {
			*error_r = "syntax: LHLO <hostname>";
			return -1;
		}
	}
	if (literal && args[len - 1] != ']') {
		*error_r = "syntax: LHLO <hostname>";
		return -1;
	}
	return 0;
}

enum lmtp_parse_result lmtp_parse_command(const char *line, size_t len,
					  struct lmtp_command *cmd_r, const char **error_r)
{
	size_t i = 0;
	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->args = line;
	while (i < len && is_alpha((unsigned char)line[i])) {
		if (i == LMTP_VERB_MAX) {
			*error_r = "unknown command";
			return LMTP_PARSE_UNKNOWN;
		}
		cmd_r->verb[i] = (char)to_upper((unsigned char)line[i]);
		i++;
	}
	if (i == 0 || (i < len && line[i] != ' ')) {
		cmd_r->verb[0] = '\0';
		*error_r = "unknown command";
		return LMTP_PARSE_UNKNOWN;
	}
	while (i < len && line[i] == ' ')
		i++;
	size_t end = len;
	while (end > i && line[end - 1] == ' ')
		end--;
	cmd_r->args = line + i;
	cmd_r->args_len = end - i;
	for (size_t j = i; j < end; j++) {
		unsigned char ch = (unsigned char)line[j];
		if (ch < 0x20 || ch > 0x7e) {
			*error_r = "invalid characters in the command";
			return LMTP_PARSE_SYNTAX;
		}
	}
	return LMTP_PARSE_OK;
}
