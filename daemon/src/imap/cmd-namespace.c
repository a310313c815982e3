/* cmd-namespace.c - NAMESPACE (RFC 2342): where the user's mailboxes live.
 * Tandem has one personal namespace with no prefix and '/' as separator,
 * and the other users' namespace "Shared/" where the mailboxes others
 * share with the user (RFC 4314 ACL) appear as Shared/<owner>/<name>; no
 * shared namespace. Never reads storage.
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"

void imap_cmd_namespace(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "NAMESPACE takes no arguments");
		return;
	}
	imap_reply(cmd->session, "* NAMESPACE ((\"\" \"%c\")) ((\"%s%c\" \"%c\")) NIL",
		   STORAGE_HIERARCHY_SEP, IMAP_SHARED_PREFIX, STORAGE_HIERARCHY_SEP,
		   STORAGE_HIERARCHY_SEP);
	imap_cmd_ok(cmd, "NAMESPACE completed");
}
