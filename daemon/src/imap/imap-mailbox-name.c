/* imap-mailbox-name.c - mailbox names on the wire as this session speaks
 * them: modified UTF-7 for IMAP4rev1 (imap-strings.c does that), UTF-8 for
 * a session that enabled IMAP4rev2 (RFC 9051 5.1: names are UTF-8 there,
 * "&" is just "&", and quoted strings may carry UTF-8).
 *
 * Never accepts a name that is not valid UTF-8 (overlong forms and
 * surrogates included), so a rev2 name always maps to one storage name and
 * back. Never writes to the connection: it fills buffers or replies BAD.
 */
#include "imap-session.h"

#include <string.h>
#include <strings.h>

/* Length of the UTF-8 sequence at s (at most len bytes), 0 if invalid. */
static size_t imap_utf8_char(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool imap_utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		size_t n = imap_utf8_char(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

int imap_session_arg_mailbox(struct imap_client_cmd *cmd, const struct imap_arg *arg,
			     struct buf *name_r)
{
	if (!cmd->session->rev2)
		return imap_arg_mailbox(cmd, arg, name_r);
	if (!imap_arg_is_astring(arg)) {
		imap_cmd_bad(cmd, "expected a mailbox name");
		return -1;
	}
	if (arg->len > STORAGE_MAILBOX_NAME_MAX || memchr(arg->str, '\0', arg->len) != NULL ||
	    !imap_utf8_valid(arg->str, arg->len)) {
		imap_cmd_bad(cmd, "bad mailbox name");
		return -1;
	}
	if (strcasecmp(arg->str, "INBOX") == 0)
		buf_append_str(name_r, STORAGE_INBOX);
	else
		buf_append(name_r, arg->str, arg->len);
	return 0;
}

void imap_session_append_mailbox(struct imap_session *session, struct buf *out,
				 const char *name)
{
	size_t len = strlen(name);
	if (!session->rev2 || !imap_utf8_valid(name, len)) {
		imap_append_mailbox(out, name);
		return;
	}
	if (memchr(name, '\r', len) != NULL || memchr(name, '\n', len) != NULL) {
		imap_append_string(out, name, len); /* a literal */
		return;
	}
	buf_append_byte(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '"' || name[i] == '\\')
			buf_append_byte(out, '\\');
		buf_append_byte(out, (unsigned char)name[i]);
	}
	buf_append_byte(out, '"');
}
