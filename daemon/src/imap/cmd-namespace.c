/* cmd-namespace.c - NAMESPACE (RFC 2342): where the user's mailboxes live.
 * Tandem has one personal namespace with no prefix and '/' as separator;
 * no other users' or shared namespaces (those come with ACL). Never reads
 * storage.
 */
#include "imap-commands.h"

void imap_cmd_namespace(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "NAMESPACE takes no arguments");
		return;
	}
	imap_reply(cmd->session, "* NAMESPACE ((\"\" \"%c\")) NIL NIL", STORAGE_HIERARCHY_SEP);
	imap_cmd_ok(cmd, "NAMESPACE completed");
}
