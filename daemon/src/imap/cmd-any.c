/* cmd-any.c - the commands valid in every state (RFC 3501 6.1):
 * CAPABILITY, NOOP (which reports changes to the selected mailbox),
 * LOGOUT. Only NOOP reads storage, and only the selected mailbox.
 */
#include "imap-commands.h"

void imap_cmd_capability(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "CAPABILITY takes no arguments");
		return;
	}
	imap_reply(cmd->session, "* CAPABILITY %s", imap_capabilities(cmd->session));
	imap_cmd_ok(cmd, "CAPABILITY completed");
}

void imap_cmd_noop(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "NOOP takes no arguments");
		return;
	}
	struct imap_session *session = cmd->session;
	if (session->state == IMAP_STATE_SELECTED) {
		/* report what other sessions and deliveries changed */
		const char *error = NULL;
		enum storage_result ret = imap_view_sync(session, &error);
		if (ret != STORAGE_OK) {
			imap_cmd_storage_error(cmd, ret, error);
			return;
		}
	}
	imap_cmd_ok(cmd, "NOOP completed");
}

void imap_cmd_logout(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "LOGOUT takes no arguments");
		return;
	}
	struct imap_session *session = cmd->session;
	imap_reply(session, "* BYE logging out");
	imap_cmd_ok(cmd, "LOGOUT completed");
	imap_enter_state(session, IMAP_STATE_LOGOUT);
	imap_session_close(session, "logout");
}
