/* sasl-protocol.h - the authentication protocol Postfix speaks with
 * `smtpd_sasl_type = dovecot` (Dovecot's auth protocol 1.x, client side as
 * in Postfix's xsasl_dovecot_server.c): tab-separated lines, parsed here
 * without any I/O so the parser can be fuzzed and unit-tested alone.
 *
 * Client lines: "VERSION\t1\t<minor>", "CPID\t<pid>",
 * "AUTH\t<id>\t<mech>\t<key=value or flag>...", "CONT\t<id>\t<base64>".
 * Server lines are written by sasl-session.c (MECH, SPID, CUID, COOKIE,
 * DONE; OK, CONT, FAIL).
 */
#ifndef TANDEM_SASL_PROTOCOL_H
#define TANDEM_SASL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "sasl-plain.h"

/* Longest line accepted from Postfix (a base64 PLAIN response of a long
 * user name and password fits easily). */
#define SASL_LINE_MAX 8192

enum sasl_line_kind {
	SASL_LINE_VERSION,
	SASL_LINE_CPID,
	SASL_LINE_AUTH,
	SASL_LINE_CONT,
};

struct sasl_line {
	enum sasl_line_kind kind;
	unsigned major, minor;      /* VERSION */
	unsigned id;                /* AUTH, CONT: the request id */
	const char *mech;           /* AUTH: "PLAIN", as sent */
	const char *service;        /* AUTH: "smtp" ("" if absent) */
	const char *rip;            /* AUTH: the SMTP client's IP ("" if absent) */
	bool secured;               /* AUTH: TLS between client and Postfix */
	const char *resp;           /* AUTH: initial response (NULL if none); CONT: data */
};

/* Parse one line (without its LF) in place: tabs become NULs and the
 * strings in *line_r point into it. -1 with *error_r (static text) for a
 * line that is not one of the above or is malformed. */
int sasl_line_parse(char *line, size_t len, struct sasl_line *line_r, const char **error_r);

#endif
