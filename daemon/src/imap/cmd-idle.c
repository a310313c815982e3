/* cmd-idle.c - IDLE (RFC 2177): "+ idling", then the changes others make
 * to the selected mailbox are pushed as they are told (imap-view.c, from
 * mailbox-events.h) until the client sends DONE; anything else ends the
 * IDLE with BAD. The session's idle timeout keeps running meanwhile.
 * Never reads a command while idling: the next line is DONE or an error.
 */
#include "imap-commands.h"
#include "log.h"

#include <stdio.h>
#include <strings.h>

void imap_cmd_idle(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "IDLE takes no arguments");
		return;
	}
	snprintf(session->idle_tag, sizeof(session->idle_tag), "%s", cmd->tag);
	session->idling = true;
	imap_reply(session, "+ idling");
	if (session->state == IMAP_STATE_SELECTED && session->changed) {
		const char *error = NULL;
		enum storage_result ret = imap_view_sync(session, &error);
		if (ret != STORAGE_OK)
			log_warning(session->sid, "imap", "idle_sync_failed",
				    "result=%s error=\"%s\"", storage_result_str(ret),
				    error != NULL ? error : "");
	}
}

void imap_idle_line(struct imap_session *session, const char *line, size_t len)
{
	struct imap_client_cmd cmd = {
		.session = session,
		.tag = session->idle_tag,
		.name = "IDLE",
	};
	session->idling = false;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0) {
		imap_cmd_ok(&cmd, "IDLE terminated");
		return;
	}
	imap_cmd_bad(&cmd, "expected DONE to end IDLE");
}
