/* cmd-quota.c - QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA and SETQUOTA.
 * Each user has one quota root, "", covering all of their mailboxes, with
 * the resources STORAGE (in units of 1024 octets) and MESSAGE taken from
 * the user row (quota_bytes, quota_messages; 0 means unlimited and the
 * resource is then not listed). Limits are the administrator's to set
 * (tandemctl user quota): SETQUOTA is refused with NO [NOPERM].
 *
 * A mailbox shared by another user (Shared/...) has no quota root here.
 * Never shows or changes another user's quota; never writes.
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"

#include <string.h>

/* The name of the only quota root of a user. */
#define IMAP_QUOTA_ROOT ""

/* "* QUOTA "" (STORAGE used limit MESSAGE used limit)" for the session user. */
static enum storage_result imap_quota_send(struct imap_session *session, const char **error_r)
{
	struct storage_user user;
	enum storage_result ret = storage_user_get_by_id(imap_storage(session), session->user_id,
							 &user, error_r);
	if (ret != STORAGE_OK)
		return ret;
	struct buf line;
	buf_init(&line);
	buf_append_str(&line, "* QUOTA ");
	imap_append_string(&line, IMAP_QUOTA_ROOT, strlen(IMAP_QUOTA_ROOT));
	buf_append_str(&line, " (");
	if (user.quota_bytes > 0) {
		/* usage rounded up, the limit down: never claims room that is not there */
		buf_printf(&line, "STORAGE %lld %lld", (long long)((user.used_bytes + 1023) / 1024),
			   (long long)(user.quota_bytes / 1024));
	}
	if (user.quota_messages > 0) {
		buf_printf(&line, "%sMESSAGE %lld %lld", user.quota_bytes > 0 ? " " : "",
			   (long long)user.used_messages, (long long)user.quota_messages);
	}
	buf_append_str(&line, ")\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
	return STORAGE_OK;
}

void imap_cmd_getquotaroot(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 1 || !imap_arg_is_astring(&cmd->args[0])) {
		imap_cmd_bad(cmd, "GETQUOTAROOT needs a mailbox name");
		return;
	}
	struct buf name;
	buf_init(&name);
	if (imap_session_arg_mailbox(cmd, &cmd->args[0], &name) < 0) {
		buf_free(&name);
		return;
	}
	struct imap_mailbox_access access;
	const char *error = NULL;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, 0, &access);
	if (access_status != IMAP_ACCESS_OK) {
		buf_free(&name);
		imap_mailbox_access_reply(cmd, access_status, &access, false);
		return;
	}
	enum storage_result ret = STORAGE_OK;
	struct buf line;
	buf_init(&line);
	buf_append_str(&line, "* QUOTAROOT ");
	if (access.shared) {
		/* the owner's quota is theirs: another user's mailbox shows no root */
		imap_session_append_mailbox(cmd->session, &line, (const char *)name.data);
	} else {
		imap_session_append_mailbox(cmd->session, &line, access.mailbox.name);
		buf_append_byte(&line, ' ');
		imap_append_string(&line, IMAP_QUOTA_ROOT, strlen(IMAP_QUOTA_ROOT));
	}
	buf_append_str(&line, "\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
	if (!access.shared)
		ret = imap_quota_send(session, &error);
	buf_free(&name);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "GETQUOTAROOT completed");
}

void imap_cmd_getquota(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 1 || !imap_arg_is_astring(&cmd->args[0])) {
		imap_cmd_bad(cmd, "GETQUOTA needs a quota root");
		return;
	}
	if (strcmp(cmd->args[0].str, IMAP_QUOTA_ROOT) != 0) {
		imap_cmd_no(cmd, "no such quota root");
		return;
	}
	const char *error = NULL;
	enum storage_result ret = imap_quota_send(cmd->session, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "GETQUOTA completed");
}

void imap_cmd_setquota(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count != 2 || !imap_arg_is_astring(&cmd->args[0]) ||
	    cmd->args[1].type != IMAP_ARG_LIST) {
		imap_cmd_bad(cmd, "SETQUOTA needs a quota root and a list of limits");
		return;
	}
	imap_cmd_no(cmd, "[NOPERM] quotas are set by the administrator");
}
