/* cmd-expunge.c - leaving and cleaning the selected mailbox (RFC 3501
 * 6.4.1-6.4.3, RFC 3691): CHECK, CLOSE (expunges \Deleted silently),
 * UNSELECT, EXPUNGE ("* n EXPUNGE" from the highest number down, so each
 * number is right when the client reads it) and UID EXPUNGE (RFC 4315). Never expunges in a mailbox
 * opened with EXAMINE, nor without the e right (RFC 4314: EXPUNGE is
 * refused, CLOSE just closes).
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct imap_expunged {
	uint32_t *uids;
	size_t count, cap;
};

static void imap_expunged_add(uint32_t uid, void *context)
{
	struct imap_expunged *ex = context;
	*XARRAY_PUSH(ex->uids, ex->count, ex->cap) = uid;
}

/* Expunge the \Deleted messages of the mailbox (uids NULL: all of them;
 * else those among uids) in one transaction, then drop them from the view,
 * highest sequence number first, reporting each with "* n EXPUNGE" unless
 * silent. */
static enum storage_result imap_expunge_deleted(struct imap_session *session,
						const uint32_t *uids, size_t uid_count,
						bool silent, const char **error_r)
{
	struct imap_expunged ex = { NULL, 0, 0 };
	enum storage_result ret = storage_mail_expunge_deleted(imap_storage(session),
							       session->mailbox.id, uids,
							       uid_count, imap_expunged_add, &ex,
							       error_r);
	if (ret == STORAGE_OK)
		imap_view_expunged(session, ex.uids, ex.count, silent);
	if (ret == STORAGE_OK && ex.count > 0)
		imap_view_changed(session, session->mailbox.id); /* others: EXPUNGE */
	free(ex.uids);
	return ret;
}

void imap_cmd_check(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "CHECK takes no arguments");
		return;
	}
	/* every change is durable when made: CHECK only reports changes */
	const char *error = NULL;
	enum storage_result ret = imap_view_sync(cmd->session, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "CHECK completed");
}

void imap_cmd_close(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "CLOSE takes no arguments");
		return;
	}
	const char *error = NULL;
	enum storage_result ret = STORAGE_OK;
	if (!session->readonly && imap_mailbox_access_may(session, STORAGE_ACL_EXPUNGE))
		ret = imap_expunge_deleted(session, NULL, 0, true, &error);
	imap_session_unselect(session);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "CLOSE completed");
}

void imap_cmd_unselect(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "UNSELECT takes no arguments");
		return;
	}
	imap_session_unselect(cmd->session);
	imap_cmd_ok(cmd, "UNSELECT completed");
}

void imap_cmd_expunge(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 0) {
		imap_cmd_bad(cmd, "EXPUNGE takes no arguments");
		return;
	}
	if (session->readonly) {
		imap_cmd_no(cmd, "[READ-ONLY] mailbox was opened with EXAMINE");
		return;
	}
	if (!imap_mailbox_access_may(session, STORAGE_ACL_EXPUNGE)) {
		imap_cmd_no(cmd, "[NOPERM] permission denied (needs the e right)");
		return;
	}
	const char *error = NULL;
	enum storage_result ret = imap_expunge_deleted(session, NULL, 0, false, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "EXPUNGE completed");
}

void imap_cmd_uid_expunge(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 1) {
		imap_cmd_bad(cmd, "UID EXPUNGE needs a UID set");
		return;
	}
	if (session->readonly) {
		imap_cmd_no(cmd, "[READ-ONLY] mailbox was opened with EXAMINE");
		return;
	}
	if (!imap_mailbox_access_may(session, STORAGE_ACL_EXPUNGE)) {
		imap_cmd_no(cmd, "[NOPERM] permission denied (needs the e right)");
		return;
	}
	size_t *indexes, count;
	if (imap_cmd_msgset(cmd, &cmd->args[0], true, &indexes, &count) < 0)
		return;
	const char *error = NULL;
	enum storage_result ret = STORAGE_OK;
	if (count > 0) { /* none: nothing to do (NULL uids would mean all) */
		uint32_t *uids = xcalloc(count, sizeof(uint32_t));
		for (size_t i = 0; i < count; i++)
			uids[i] = imap_view_uid(session, indexes[i]);
		ret = imap_expunge_deleted(session, uids, count, false, &error);
		free(uids);
	}
	free(indexes);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "UID EXPUNGE completed");
}
