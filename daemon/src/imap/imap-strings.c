/* imap-strings.c - IMAP string syntax in replies and mailbox names on the
 * wire: quoted strings or literals, modified UTF-7 names, flag lists.
 * Never writes to the connection itself: it fills buffers.
 */
#include "imap-session.h"
#include "imap-utf7.h"

#include <string.h>
#include <strings.h>

int imap_arg_mailbox(struct imap_client_cmd *cmd, const struct imap_arg *arg, struct buf *name_r)
{
	const char *error;
	if (!imap_arg_is_astring(arg)) {
		imap_cmd_bad(cmd, "expected a mailbox name");
		return -1;
	}
	if (arg->len > STORAGE_MAILBOX_NAME_MAX || memchr(arg->str, '\0', arg->len) != NULL) {
		imap_cmd_bad(cmd, "bad mailbox name");
		return -1;
	}
	if (strcasecmp(arg->str, "INBOX") == 0) {
		buf_append_str(name_r, STORAGE_INBOX);
		return 0;
	}
	if (imap_utf7_to_utf8(arg->str, arg->len, name_r, &error) < 0) {
		imap_cmd_bad(cmd, "%s", error);
		return -1;
	}
	return 0;
}

void imap_append_string(struct buf *out, const char *s, size_t len)
{
	bool literal = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			literal = true;
	}
	if (literal) {
		buf_printf(out, "{%zu}\r\n", len);
		buf_append(out, s, len);
		return;
	}
	buf_append_byte(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_append_byte(out, '\\');
		buf_append_byte(out, (unsigned char)s[i]);
	}
	buf_append_byte(out, '"');
}

void imap_append_mailbox(struct buf *out, const char *name)
{
	struct buf wire;
	const char *error;
	buf_init(&wire);
	if (imap_utf8_to_utf7(name, strlen(name), &wire, &error) < 0) {
		/* not UTF-8 in the storage: send it as it is */
		buf_reset(&wire);
		buf_append_str(&wire, name);
	}
	imap_append_string(out, (const char *)wire.data, wire.len);
	buf_free(&wire);
}

void imap_append_flags(struct buf *out, uint32_t flags, const char *keywords)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} names[] = {
		{ STORAGE_FLAG_SEEN, "\\Seen" },
		{ STORAGE_FLAG_ANSWERED, "\\Answered" },
		{ STORAGE_FLAG_FLAGGED, "\\Flagged" },
		{ STORAGE_FLAG_DELETED, "\\Deleted" },
		{ STORAGE_FLAG_DRAFT, "\\Draft" },
	};
	size_t start = out->len;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((flags & names[i].flag) == 0)
			continue;
		if (out->len > start)
			buf_append_byte(out, ' ');
		buf_append_str(out, names[i].name);
	}
	if (keywords != NULL && keywords[0] != '\0') {
		if (out->len > start)
			buf_append_byte(out, ' ');
		buf_append_str(out, keywords);
	}
}
