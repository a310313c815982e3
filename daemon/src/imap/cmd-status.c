/* cmd-status.c - STATUS (RFC 3501 6.3.10, RFC 8438 STATUS=SIZE): counts of
 * one of the user's mailboxes without selecting it: MESSAGES, RECENT
 * (the messages no session has seen as \Recent yet; of the selected
 * mailbox, this session's \Recent ones), UIDNEXT, UIDVALIDITY, UNSEEN, SIZE, and
 * RFC 9208's DELETED and DELETED-STORAGE (1024-octet units), RFC 7162's
 * HIGHESTMODSEQ (asking for it turns CONDSTORE on). The
 * item check and the "* STATUS" line are shared with LIST-STATUS
 * (cmd-list.c). Another user's mailbox needs the r right (RFC 4314).
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"

#include <strings.h>

static const char *const imap_status_items[] = { "MESSAGES", "RECENT", "UIDNEXT",
						 "UIDVALIDITY", "UNSEEN", "SIZE",
						 "DELETED", "DELETED-STORAGE",
						 "HIGHESTMODSEQ" };

/* DELETED-STORAGE (RFC 9208 4.2.5): bytes of the messages with \Deleted. */
static void imap_status_deleted_bytes(const struct storage_mail *mail, void *context)
{
	if ((mail->flags & STORAGE_FLAG_DELETED) != 0)
		*(int64_t *)context += mail->size;
}

bool imap_status_items_valid(const struct imap_arg *list, size_t count)
{
	if (count == 0)
		return false;
	for (size_t i = 0; i < count; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof(imap_status_items) / sizeof(imap_status_items[0]); k++)
			known = known || imap_arg_atom_equals(&list[i], imap_status_items[k]);
		if (!known)
			return false;
	}
	return true;
}

enum storage_result imap_status_send(struct imap_session *session, int64_t mailbox_id,
				     const char *name, const struct imap_arg *list, size_t count,
				     const char **error_r)
{
	struct storage_mailbox_status status;
	enum storage_result ret = storage_mailbox_status(imap_storage(session), mailbox_id,
							 &status, error_r);
	if (ret != STORAGE_OK)
		return ret;
	struct buf line;
	buf_init(&line);
	buf_append_str(&line, "* STATUS ");
	imap_session_append_mailbox(session, &line, name);
	buf_append_str(&line, " (");
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buf_append_byte(&line, ' ');
		if (imap_arg_atom_equals(&list[i], "MESSAGES"))
			buf_printf(&line, "MESSAGES %lld", (long long)status.messages);
		else if (imap_arg_atom_equals(&list[i], "RECENT")) {
			int64_t recent = 0;
			ret = imap_view_status_recent(session, mailbox_id, &recent, error_r);
			if (ret != STORAGE_OK) {
				buf_free(&line);
				return ret;
			}
			buf_printf(&line, "RECENT %lld", (long long)recent);
		}
		else if (imap_arg_atom_equals(&list[i], "UIDNEXT"))
			buf_printf(&line, "UIDNEXT %u", status.uidnext);
		else if (imap_arg_atom_equals(&list[i], "UIDVALIDITY"))
			buf_printf(&line, "UIDVALIDITY %u", status.uidvalidity);
		else if (imap_arg_atom_equals(&list[i], "HIGHESTMODSEQ"))
			buf_printf(&line, "HIGHESTMODSEQ %lld", (long long)status.highestmodseq);
		else if (imap_arg_atom_equals(&list[i], "SIZE"))
			buf_printf(&line, "SIZE %lld", (long long)status.size);
		else if (imap_arg_atom_equals(&list[i], "DELETED"))
			buf_printf(&line, "DELETED %lld", (long long)status.deleted);
		else if (imap_arg_atom_equals(&list[i], "DELETED-STORAGE")) {
			int64_t bytes = 0;
			ret = storage_mail_list(imap_storage(session), mailbox_id,
						imap_status_deleted_bytes, &bytes, error_r);
			if (ret != STORAGE_OK) {
				buf_free(&line);
				return ret;
			}
			/* units of 1024 octets, rounded up */
			buf_printf(&line, "DELETED-STORAGE %lld", (long long)((bytes + 1023) / 1024));
		}
		else
			buf_printf(&line, "UNSEEN %lld", (long long)status.unseen);
	}
	buf_append_str(&line, ")\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
	return STORAGE_OK;
}

void imap_cmd_status(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 2 || cmd->args[1].type != IMAP_ARG_LIST ||
	    cmd->args[1].list_count == 0) {
		imap_cmd_bad(cmd, "STATUS needs a mailbox name and a list of items");
		return;
	}
	if (!imap_status_items_valid(cmd->args[1].list, cmd->args[1].list_count)) {
		imap_cmd_bad(cmd, "unknown STATUS item");
		return;
	}
	struct buf name;
	buf_init(&name);
	if (imap_session_arg_mailbox(cmd, &cmd->args[0], &name) < 0) {
		buf_free(&name);
		return;
	}
	for (size_t i = 0; i < cmd->args[1].list_count; i++)
		if (imap_arg_atom_equals(&cmd->args[1].list[i], "HIGHESTMODSEQ"))
			imap_view_condstore_enable(session, true);
	struct imap_mailbox_access access;
	const char *error = NULL;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, STORAGE_ACL_READ, &access);
	if (access_status != IMAP_ACCESS_OK) {
		buf_free(&name);
		imap_mailbox_access_reply(cmd, access_status, &access, false);
		return;
	}
	enum storage_result ret = imap_status_send(session, access.mailbox.id,
						   (const char *)name.data, cmd->args[1].list,
						   cmd->args[1].list_count, &error);
	buf_free(&name);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "STATUS completed");
}
