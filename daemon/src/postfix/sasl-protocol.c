/* sasl-protocol.c - parsing the client side of Postfix's dovecot-type SASL
 * protocol and SASL PLAIN responses (see sasl-protocol.h). No I/O, no
 * allocation; bounded by the line it is given. */
#include "sasl-protocol.h"

#include <stdlib.h>
#include <string.h>

/* Most fields on one line. */
#define SASL_FIELDS_MAX 32

static int sasl_number(const char *text, unsigned max, unsigned *out)
{
	if (*text == '\0' || strlen(text) > 10)
		return -1;
	unsigned long v = 0;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int sasl_line_parse(char *line, size_t len, struct sasl_line *out, const char **error_r)
{
	char *fields[SASL_FIELDS_MAX];
	size_t count = 0;
	memset(out, 0, sizeof(*out));
	if (memchr(line, '\0', len) != NULL) {
		*error_r = "NUL in line";
		return -1;
	}
	line[len] = '\0';
	char *p = line;
	for (;;) {
		if (count == SASL_FIELDS_MAX) {
			*error_r = "too many fields";
			return -1;
		}
		fields[count++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	const char *cmd = fields[0];
	if (strcmp(cmd, "VERSION") == 0) {
		if (count < 3 || sasl_number(fields[1], 1000, &out->major) < 0 ||
		    sasl_number(fields[2], 1000, &out->minor) < 0) {
			*error_r = "bad VERSION";
			return -1;
		}
		out->kind = SASL_LINE_VERSION;
		return 0;
	}
	if (strcmp(cmd, "CPID") == 0) {
		unsigned pid;
		if (count != 2 || sasl_number(fields[1], 0xffffffffu, &pid) < 0) {
			*error_r = "bad CPID";
			return -1;
		}
		out->kind = SASL_LINE_CPID;
		return 0;
	}
	if (strcmp(cmd, "CONT") == 0) {
		if (count != 3 || sasl_number(fields[1], 0xffffffffu, &out->id) < 0) {
			*error_r = "bad CONT";
			return -1;
		}
		out->kind = SASL_LINE_CONT;
		out->resp = fields[2];
		return 0;
	}
	if (strcmp(cmd, "AUTH") == 0) {
		if (count < 3 || sasl_number(fields[1], 0xffffffffu, &out->id) < 0 ||
		    fields[2][0] == '\0') {
			*error_r = "bad AUTH";
			return -1;
		}
		out->kind = SASL_LINE_AUTH;
		out->mech = fields[2];
		out->service = "";
		out->rip = "";
		for (size_t i = 3; i < count; i++) {
			const char *f = fields[i];
			if (strncmp(f, "service=", 8) == 0)
				out->service = f + 8;
			else if (strncmp(f, "rip=", 4) == 0)
				out->rip = f + 4;
			else if (strncmp(f, "resp=", 5) == 0)
				out->resp = f + 5;
			else if (strcmp(f, "secured") == 0)
				out->secured = true;
			/* lip, nologin, valid-client-cert, session=...: not needed */
		}
		return 0;
	}
	*error_r = "unknown command";
	return -1;
}
