/* cmd-starttls.c - STARTTLS (RFC 3501 6.2.1, RFC 2595): in the
 * not-authenticated state, when a certificate is configured and the
 * connection is plaintext, reply OK and start the TLS handshake
 * (net/connection.c). Anything the client pipelined after the command is
 * discarded by the net layer, never run (CVE-2011-0411). After TLS the
 * client must ask for CAPABILITY again: LOGINDISABLED becomes AUTH=PLAIN
 * AUTH=LOGIN.
 * Never starts TLS twice, and never under COMPRESS (TLS must sit below it).
 */
#include "imap-commands.h"
#include "connection.h"
#include "log.h"

void imap_cmd_starttls(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "STARTTLS takes no arguments");
		return;
	}
	if (session->deflate != NULL) {
		imap_cmd_bad(cmd, "STARTTLS is not possible after COMPRESS");
		return;
	}
	if (net_conn_is_tls(session->conn)) {
		imap_cmd_bad(cmd, "TLS is already active");
		return;
	}
	if (!net_conn_can_starttls(session->conn)) {
		imap_cmd_bad(cmd, "TLS is not available");
		return;
	}
	imap_cmd_ok(cmd, "Begin TLS negotiation now");
	const char *error;
	if (net_conn_starttls(session->conn, &error) < 0) {
		log_info(session->sid, "imap", "starttls_failed", "error=\"%s\"", error);
		imap_session_bye(session, "TLS negotiation failed", "starttls failed");
		return;
	}
	/* from here on everything the client says comes over TLS */
	session->plaintext_ok = true;
}
