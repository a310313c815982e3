/* cmd-compress.c - COMPRESS (RFC 4978): "COMPRESS DEFLATE" once logged in
 * switches the connection to raw DEFLATE in both directions right after the
 * tagged OK (which goes out uncompressed); input already read after the
 * command line is compressed data and is inflated by the session
 * (imap-session.c, net/conn-deflate.c).
 * Never compresses twice: a second COMPRESS gets NO [COMPRESSIONACTIVE].
 */
#include "imap-commands.h"

#include <strings.h>

void imap_cmd_compress(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 1 || cmd->args[0].type != IMAP_ARG_ATOM) {
		imap_cmd_bad(cmd, "COMPRESS needs one mechanism");
		return;
	}
	if (strcasecmp(cmd->args[0].str, "DEFLATE") != 0) {
		imap_cmd_bad(cmd, "unknown compression mechanism");
		return;
	}
	if (session->deflate != NULL) {
		imap_cmd_no(cmd, "[COMPRESSIONACTIVE] DEFLATE is already active");
		return;
	}
	imap_cmd_ok(cmd, "DEFLATE active");
	imap_session_compress_start(session);
}
