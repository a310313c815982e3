/* pop3-parse.h - POP3 command lines (RFC 1939 3, RFC 2449 4) and message
 * output (byte-stuffing, CRLF line ends, TOP's line count): pure functions,
 * no I/O, no session, so the unit tests and the fuzzer drive them alone.
 */
#ifndef TANDEM_POP3_PARSE_H
#define TANDEM_POP3_PARSE_H

#include "buf.h"
#include "pop3.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keywords are 3 or 4 characters (RFC 1939 3). */
#define POP3_KEYWORD_MAX 4
/* Arguments split out of one line (AUTH mechanism + initial response). */
#define POP3_ARGS_MAX 2
/* Longest argument other than AUTH's initial response (RFC 2449 4: 40;
 * user names and passwords may be longer in practice). */
#define POP3_ARG_MAX 255

struct pop3_command {
	char name[POP3_KEYWORD_MAX + 1]; /* upper case */
	/* the text after the keyword and one space, as sent ("" if none):
	 * PASS takes it whole (passwords may hold spaces) */
	const char *rest;
	size_t rest_len;
	/* rest split at single spaces, each NUL-terminated (in argbuf) */
	unsigned arg_count;
	const char *args[POP3_ARGS_MAX];
	char argbuf[POP3_LINE_MAX + 1];
};

/* Parse line (len bytes without the line end; rest points into it). -1 with *error_r (static
 * text for "-ERR ...") when the line is empty, holds NUL or control bytes,
 * the keyword is not 3-4 letters, there are more than POP3_ARGS_MAX
 * arguments (PASS has one: the rest of the line, spaces and all), or an argument is empty or too long (AUTH's second
 * argument may be up to the line). */
int pop3_command_parse(const char *line, size_t len, struct pop3_command *cmd_r,
		       const char **error_r);

/* A message number (RFC 1939: decimal, 1 or more, no sign, no leading
 * zeros needed but allowed) no bigger than max. -1 when not one. */
int pop3_parse_msgno(const char *arg, uint32_t max, uint32_t *msgno_r);
/* TOP's line count: decimal, 0 allowed, capped at UINT32_MAX. */
int pop3_parse_lines(const char *arg, uint32_t *lines_r);

/* Append a message (len bytes, stored as delivered) as a POP3 multi-line
 * body: every line ends in CRLF (bare LF becomes CRLF, a last line
 * without one gets one), a line starting with '.' gets another '.', and
 * ".\r\n" ends it. body_lines < 0: the whole message; else the header,
 * the blank line and at most body_lines lines of the body (TOP). */
void pop3_message_append(struct buf *out, const unsigned char *data, size_t len,
			 long long body_lines);

#endif
