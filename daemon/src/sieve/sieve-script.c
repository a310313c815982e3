/* sieve-script.c - sieve_compile() and sieve_script_free(): the text is
 * checked to be UTF-8 within SIEVE_SCRIPT_MAX, parsed (sieve-parse.c) and
 * given its meaning (sieve-check.c); the result is immutable. Also the
 * extensions: the names require accepts and the list ManageSieve shows.
 * Never keeps a half-built script: on any error everything is freed and
 * the caller gets only "line N: what is wrong".
 */
#include "sieve-private.h"
#include "xalloc.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every name require accepts; 0 for those always on. */
static const struct {
	const char *name;
	unsigned bit;
} extensions[] = {
	{ "fileinto", SIEVE_EXT_FILEINTO },
	{ "reject", SIEVE_EXT_REJECT },
	{ "ereject", SIEVE_EXT_EREJECT },
	{ "envelope", SIEVE_EXT_ENVELOPE },
	{ "encoded-character", SIEVE_EXT_ENCODED },
	{ "vacation", SIEVE_EXT_VACATION },
	{ "subaddress", SIEVE_EXT_SUBADDRESS },
	{ "comparator-i;ascii-numeric", SIEVE_EXT_NUMERIC },
	{ "relational", SIEVE_EXT_RELATIONAL },
	{ "regex", SIEVE_EXT_REGEX },
	{ "imap4flags", SIEVE_EXT_IMAP4FLAGS },
	{ "copy", SIEVE_EXT_COPY },
	{ "body", SIEVE_EXT_BODY },
	{ "mailbox", SIEVE_EXT_MAILBOX },
	{ "comparator-i;octet", 0 },
	{ "comparator-i;ascii-casemap", 0 },
};

const char *sieve_extensions(void)
{
	return "fileinto reject ereject envelope encoded-character vacation subaddress "
	       "comparator-i;ascii-numeric relational regex imap4flags copy body mailbox";
}

int sieve_extension_bit(const char *name, unsigned *bit_r)
{
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		if (strcmp(extensions[i].name, name) == 0) {
			*bit_r = extensions[i].bit;
			return 0;
		}
	}
	return -1;
}

const char *sieve_extension_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (extensions[i].bit == bit)
			return extensions[i].name;
	return "?";
}

int sieve_compile(const char *text, size_t len, struct sieve_script **script_r,
		  char error[SIEVE_ERROR_MAX])
{
	*script_r = NULL;
	if (text == NULL)
		text = ""; /* len is 0 then: an empty script */
	if (len > SIEVE_SCRIPT_MAX) {
		snprintf(error, SIEVE_ERROR_MAX, "line 1: script larger than %d bytes",
			 SIEVE_SCRIPT_MAX);
		return -1;
	}
	const gchar *bad = NULL;
	if (len > 0 && !g_utf8_validate(text, (gssize)len, &bad)) {
		unsigned line = 1;
		for (const char *p = text; p < bad; p++)
			line += *p == '\n';
		snprintf(error, SIEVE_ERROR_MAX, "line %u: %.200s", line,
			 *bad == '\0' ? "NUL byte in script" : "script is not valid UTF-8");
		return -1;
	}
	struct sieve_script *script = xcalloc(1, sizeof(*script));
	if (sieve_parse(text, len, &script->commands, &script->count, error) < 0 ||
	    sieve_check(script, error) < 0) {
		sieve_script_free(&script);
		return -1;
	}
	*script_r = script;
	return 0;
}

void sieve_script_free(struct sieve_script **script)
{
	if (*script == NULL)
		return;
	sieve_nodes_free((*script)->commands, (*script)->count);
	free(*script);
	*script = NULL;
}
