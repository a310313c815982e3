/* pop3-parse.c - POP3 command-line parsing and multi-line message output
 * (see pop3-parse.h). Pure: no allocation but the output buffer, no
 * logging. Never reads past len; never accepts a control byte in a
 * command.
 */
#include "pop3-parse.h"

#include <ctype.h>
#include <string.h>

int pop3_command_parse(const char *line, size_t len, struct pop3_command *cmd_r,
		       const char **error_r)
{
	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->rest = "";
	if (len == 0) {
		*error_r = "empty command";
		return -1;
	}
	for (size_t n = 0; n < len; n++) {
		unsigned char c = (unsigned char)line[n];
		if (c < 0x20 || c == 0x7f) {
			*error_r = "control characters in the command";
			return -1;
		}
	}
	size_t k = 0;
	while (k < len && line[k] != ' ') {
		if (k >= POP3_KEYWORD_MAX || !isalpha((unsigned char)line[k])) {
			*error_r = "unknown command";
			return -1;
		}
		cmd_r->name[k] = (char)toupper((unsigned char)line[k]);
		k++;
	}
	if (k < 3) {
		*error_r = "unknown command";
		return -1;
	}
	cmd_r->name[k] = '\0';
	if (k == len)
		return 0;
	/* line[k] == ' ' */
	cmd_r->rest = line + k + 1;
	cmd_r->rest_len = len - k - 1;
	if (cmd_r->rest_len > POP3_LINE_MAX) {
		*error_r = "line too long";
		return -1;
	}
	memcpy(cmd_r->argbuf, cmd_r->rest, cmd_r->rest_len);
	cmd_r->argbuf[cmd_r->rest_len] = '\0';
	char *p = cmd_r->argbuf;
	char *end = p + cmd_r->rest_len;
	bool auth = strcmp(cmd_r->name, "AUTH") == 0;
	if (strcmp(cmd_r->name, "PASS") == 0) {
		/* one argument, spaces and all (RFC 1939 7: passwords may hold them) */
		if (cmd_r->rest_len == 0 || cmd_r->rest_len > POP3_ARG_MAX) {
			*error_r = cmd_r->rest_len == 0 ? "empty argument" : "argument too long";
			return -1;
		}
		cmd_r->args[cmd_r->arg_count++] = p;
		return 0;
	}
	for (;;) {
		if (cmd_r->arg_count == POP3_ARGS_MAX) {
			*error_r = "too many arguments";
			return -1;
		}
		char *sp = memchr(p, ' ', (size_t)(end - p));
		char *arg_end = sp != NULL ? sp : end;
		size_t arg_len = (size_t)(arg_end - p);
		size_t arg_max = auth && cmd_r->arg_count == 1 ? POP3_LINE_MAX : POP3_ARG_MAX;
		if (arg_len == 0) {
			*error_r = "empty argument";
			return -1;
		}
		if (arg_len > arg_max) {
			*error_r = "argument too long";
			return -1;
		}
		*arg_end = '\0';
		cmd_r->args[cmd_r->arg_count++] = p;
		if (sp == NULL)
			return 0;
		p = sp + 1;
	}
}

static int pop3_parse_uint(const char *arg, uint64_t cap, uint64_t *value_r)
{
	if (arg == NULL || arg[0] == '\0')
		return -1;
	uint64_t v = 0;
	for (const char *p = arg; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > cap)
			v = cap + 1; /* stays "too big" without overflowing */
	}
	*value_r = v;
	return 0;
}

int pop3_parse_msgno(const char *arg, uint32_t max, uint32_t *msgno_r)
{
	uint64_t v;
	if (pop3_parse_uint(arg, UINT32_MAX, &v) < 0 || v == 0 || v > max)
		return -1;
	*msgno_r = (uint32_t)v;
	return 0;
}

int pop3_parse_lines(const char *arg, uint32_t *lines_r)
{
	uint64_t v;
	if (pop3_parse_uint(arg, UINT32_MAX, &v) < 0)
		return -1;
	*lines_r = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return 0;
}

void pop3_message_append(struct buf *out, const unsigned char *data, size_t len,
			 long long body_lines)
{
	bool in_body = false;
	long long body_done = 0;
	size_t pos = 0;
	buf_reserve(out, len + len / 32 + 8);
	while (pos < len) {
		if (in_body && body_lines >= 0 && body_done >= body_lines)
			break;
		const unsigned char *lf = memchr(data + pos, '\n', len - pos);
		size_t line_end = lf != NULL ? (size_t)(lf - data) : len;
		size_t next = lf != NULL ? line_end + 1 : len;
		size_t text_len = line_end - pos;
		if (lf != NULL && text_len > 0 && data[line_end - 1] == '\r')
			text_len--;
		if (text_len > 0 && data[pos] == '.')
			buf_append_byte(out, '.');
		buf_append(out, data + pos, text_len);
		buf_append(out, "\r\n", 2);
		if (in_body)
			body_done++;
		else if (text_len == 0)
			in_body = true;
		pos = next;
	}
	buf_append(out, ".\r\n", 3);
}
