/* cmd-select.c - SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2): open one of the
 * user's mailboxes, load its view (UIDs in order = sequence numbers) and
 * report its state. Never opens another user's mailbox: the lookup is by
 * the session's user id.
 */
#include "imap-commands.h"

#define IMAP_SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

static void imap_select(struct imap_client_cmd *cmd, bool readonly)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 1) {
		imap_cmd_bad(cmd, "%s needs one mailbox name", cmd->name);
		return;
	}
	struct buf name;
	buf_init(&name);
	if (imap_arg_mailbox(cmd, &cmd->args[0], &name) < 0) {
		buf_free(&name);
		return;
	}
	/* a SELECT, even a failing one, first closes the current mailbox */
	imap_session_unselect(session);
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_get(imap_storage(session), session->user_id,
						      (const char *)name.data, &session->mailbox,
						      &error);
	buf_free(&name);
	session->readonly = readonly; /* EXAMINE does not claim \Recent */
	if (ret == STORAGE_OK)
		ret = imap_view_load(session, &error);
	if (ret != STORAGE_OK) {
		imap_session_unselect(session);
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_enter_state(session, IMAP_STATE_SELECTED);
	imap_view_watch(session);

	size_t first_unseen = 0;
	for (size_t i = 0; i < session->mail_count && first_unseen == 0; i++)
		if ((session->mails[i].flags & STORAGE_FLAG_SEEN) == 0)
			first_unseen = i + 1;
	imap_reply(session, "* FLAGS (" IMAP_SYSTEM_FLAGS ")");
	imap_reply(session, "* OK [PERMANENTFLAGS (%s)] flags that can be changed",
		   readonly ? "" : IMAP_SYSTEM_FLAGS " \\*");
	imap_reply(session, "* %zu EXISTS", session->mail_count);
	imap_reply(session, "* %zu RECENT", imap_view_recent_count(session));
	if (first_unseen != 0)
		imap_reply(session, "* OK [UNSEEN %zu] first unseen message", first_unseen);
	imap_reply(session, "* OK [UIDVALIDITY %u] UIDs valid", session->mailbox.uidvalidity);
	imap_reply(session, "* OK [UIDNEXT %u] predicted next UID", session->mailbox.uidnext);
	imap_cmd_ok(cmd, "[%s] %s completed", readonly ? "READ-ONLY" : "READ-WRITE", cmd->name);
}

void imap_cmd_select(struct imap_client_cmd *cmd)
{
	imap_select(cmd, false);
}

void imap_cmd_examine(struct imap_client_cmd *cmd)
{
	imap_select(cmd, true);
}
