/* ms-parse.c - the ManageSieve grammar (see ms-parse.h): literal markers,
 * tokens of an assembled command, numbers. No I/O, no allocation. */
#include "ms-parse.h"

#include <string.h>

/* RFC 5804 4: quoted = DQUOTE *1024QUOTED-CHAR DQUOTE */
#define MS_QUOTED_MAX 1024

int ms_parse_literal_marker(const char *line, size_t len, uint64_t *size_r)
{
	if (len < 3 || line[len - 1] != '}')
		return 0;
	size_t end = len - 1;
	if (line[end - 1] == '+')
		end--;
	size_t start = end;
	while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
		start--;
	if (start == 0 || line[start - 1] != '{')
		return 0;
	if (start == end || end - start > 10)
		return -1;
	uint64_t n = 0;
	for (size_t i = start; i < end; i++)
		n = n * 10 + (uint64_t)(line[i] - '0');
	if (n > MS_NUMBER_MAX)
		return -1;
	*size_r = n;
	return 1;
}

/* RFC 5804 4: ATOM-CHAR = any CHAR except atom-specials
 * ( "(" / ")" / "{" / SP / CTL / DQUOTE / "%" / "*" / "\" ) */
static bool ms_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){\"%*\\", c) == NULL;
}

/* A quoted string at data[*pos] (the opening quote): unescaped in place,
 * NUL-terminated where its closing quote was. */
static int ms_parse_quoted(char *data, size_t len, size_t *pos, struct ms_arg *arg,
			   const char **error_r)
{
	size_t in = *pos + 1, out = *pos + 1;
	char *start = data + out;
	for (;;) {
		if (in >= len) {
			*error_r = "unterminated quoted string";
			return -1;
		}
		char c = data[in++];
		if (c == '"')
			break;
		if (c == '\\') {
			if (in >= len || (data[in] != '\\' && data[in] != '"')) {
				*error_r = "bad escape in quoted string";
				return -1;
			}
			c = data[in++];
		} else if (c == '\r' || c == '\n' || c == '\0') {
			*error_r = "control character in quoted string";
			return -1;
		}
		if (out - (*pos + 1) >= MS_QUOTED_MAX) {
			*error_r = "quoted string too long (use a literal)";
			return -1;
		}
		data[out++] = c;
	}
	arg->type = MS_ARG_STRING;
	arg->data = start;
	arg->len = (size_t)(data + out - start);
	data[out] = '\0'; /* out < in: the closing quote or before */
	*pos = in;
	return 0;
}

/* A literal "{n}" or "{n+}" CRLF n octets at data[*pos] ("{"). */
static int ms_parse_literal(char *data, size_t len, size_t *pos, struct ms_arg *arg,
			    const char **error_r)
{
	size_t i = *pos + 1;
	uint64_t n = 0;
	size_t digits = 0;
	while (i < len && data[i] >= '0' && data[i] <= '9' && digits <= 10) {
		n = n * 10 + (uint64_t)(data[i] - '0');
		i++;
		digits++;
	}
	if (digits == 0 || digits > 10 || n > MS_NUMBER_MAX) {
		*error_r = "bad literal size";
		return -1;
	}
	if (i < len && data[i] == '+')
		i++;
	if (len - i < 3 || data[i] != '}' || data[i + 1] != '\r' || data[i + 2] != '\n') {
		*error_r = "bad literal";
		return -1;
	}
	i += 3;
	if (len - i < n) {
		*error_r = "literal truncated";
		return -1;
	}
	arg->type = MS_ARG_STRING;
	arg->data = data + i;
	arg->len = (size_t)n;
	*pos = i + (size_t)n;
	return 0;
}

int ms_parse_tokens(char *data, size_t len, struct ms_args *args_r, const char **error_r)
{
	args_r->count = 0;
	size_t pos = 0;
	if (len == 0) {
		*error_r = "empty command";
		return -1;
	}
	/* where each token ends: NUL-terminated only when all are parsed, as
	 * a literal's terminator would overwrite the separator being looked at */
	size_t ends[MANAGESIEVE_ARGS_MAX + 1];
	for (;;) {
		if (args_r->count >= MANAGESIEVE_ARGS_MAX + 1) {
			*error_r = "too many arguments";
			return -1;
		}
		struct ms_arg *arg = &args_r->args[args_r->count];
		unsigned char c = (unsigned char)data[pos];
		if (c == '"') {
			if (ms_parse_quoted(data, len, &pos, arg, error_r) < 0)
				return -1;
			ends[args_r->count] = (size_t)(arg->data - data) + arg->len;
		} else if (c == '{') {
			if (ms_parse_literal(data, len, &pos, arg, error_r) < 0)
				return -1;
			ends[args_r->count] = pos;
		} else if (ms_atom_char(c)) {
			size_t start = pos;
			while (pos < len && ms_atom_char((unsigned char)data[pos]))
				pos++;
			arg->type = MS_ARG_ATOM;
			arg->data = data + start;
			arg->len = pos - start;
			ends[args_r->count] = pos;
		} else {
			*error_r = "unexpected character";
			return -1;
		}
		args_r->count++;
		if (pos == len)
			break;
		if (data[pos] != ' ' || pos + 1 == len) {
			*error_r = "expected a space between arguments";
			return -1;
		}
		pos++;
	}
	for (unsigned n = 0; n < args_r->count; n++)
		data[ends[n]] = '\0';
	return 0;
}

int ms_parse_number(const struct ms_arg *arg, uint64_t *number_r)
{
	if (arg->type != MS_ARG_ATOM || arg->len == 0 || arg->len > 10)
		return -1;
	uint64_t n = 0;
	for (size_t i = 0; i < arg->len; i++) {
		if (arg->data[i] < '0' || arg->data[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(arg->data[i] - '0');
	}
	if (n > MS_NUMBER_MAX)
		return -1;
	*number_r = n;
	return 0;
}

bool ms_quotable(const char *text, size_t len)
{
	if (len > MS_QUOTED_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\r' || text[i] == '\n' || text[i] == '\0')
			return false;
	return true;
}
