/* policy-parse.h - one request of Postfix's policy delegation protocol
 * (SMTPD_POLICY_README): `name=value` lines, each ended by LF, the request
 * ended by an empty line. Pure parsing, no I/O, so it can be fuzzed.
 *
 * Every input has a hard limit below. A request that breaks one (or has a
 * malformed line) is marked bad but still read to its empty line, so the
 * stream stays in step and the session can answer it with a temporary
 * action instead of guessing.
 */
#ifndef TANDEM_POLICY_PARSE_H
#define TANDEM_POLICY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest `name=value` line, without its LF (Postfix's longest values are
 * client certificate subjects and issuers). */
#define POLICY_LINE_MAX 2048
/* Longest attribute name (Postfix's are below 32). */
#define POLICY_NAME_MAX 64
/* Most attributes in one request (Postfix 3.7 sends about 40). */
#define POLICY_ATTRS_MAX 64
/* Most bytes of names and values in one request. */
#define POLICY_REQUEST_MAX 16384

struct policy_attr {
	const char *name;   /* NUL-terminated, inside the request's data */
	const char *value;
};

struct policy_request {
	size_t count;
	size_t used;                    /* bytes of data taken */
	bool bad;                       /* a limit broken or a line malformed */
	const char *bad_reason;         /* static text, for the log */
	struct policy_attr attrs[POLICY_ATTRS_MAX];
	char data[POLICY_REQUEST_MAX];
};

enum policy_parse_result {
	POLICY_PARSE_MORE,  /* the line was taken (or the request marked bad) */
	POLICY_PARSE_END,   /* an empty line: the request is complete */
};

/* Forget everything: ready for the next request. */
void policy_request_reset(struct policy_request *req);
/* Take one line (without LF; a trailing CR is removed). */
enum policy_parse_result policy_request_add_line(struct policy_request *req, const char *line,
						 size_t len);
/* Mark the request bad for a reason found outside the parser (a line
 * longer than POLICY_LINE_MAX). The first reason is kept. */
void policy_request_mark_bad(struct policy_request *req, const char *reason);
/* The value of name, NULL when absent. */
const char *policy_request_get(const struct policy_request *req, const char *name);

#endif
