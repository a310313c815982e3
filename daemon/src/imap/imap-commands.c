/* imap-commands.c - the IMAP command table and dispatch: which commands
 * exist, in which states each is allowed, which may follow UID, and the
 * sequence-set resolution the message commands share.
 *
 * Never acts on a command itself: checks the state and hands it to its
 * handler (cmd-*.c).
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Allowed in the not-authenticated state (RFC 3501 6.2). */
#define IMAP_CMD_NOAUTH 0x01
/* Allowed once logged in, no mailbox selected (6.3). */
#define IMAP_CMD_AUTH 0x02
/* Allowed with a mailbox selected (6.3 commands stay valid, plus 6.4). */
#define IMAP_CMD_SELECTED 0x04
/* May be prefixed with UID (6.4.8): sequence numbers become UIDs. */
#define IMAP_CMD_UID 0x08
/* Only as UID <name> (UID EXPUNGE, RFC 4315). */
#define IMAP_CMD_UID_ONLY 0x10

#define IMAP_ANY_STATE (IMAP_CMD_NOAUTH | IMAP_CMD_AUTH | IMAP_CMD_SELECTED)
#define IMAP_LOGGED_IN (IMAP_CMD_AUTH | IMAP_CMD_SELECTED)

struct imap_command_def {
	const char *name;
	imap_command_fn *handler;
	unsigned flags;
};

static const struct imap_command_def imap_commands[] = {
	{ "CAPABILITY", imap_cmd_capability, IMAP_ANY_STATE },
	{ "NOOP", imap_cmd_noop, IMAP_ANY_STATE },
	{ "LOGOUT", imap_cmd_logout, IMAP_ANY_STATE },
	{ "ID", imap_cmd_id, IMAP_ANY_STATE },
	{ "NAMESPACE", imap_cmd_namespace, IMAP_LOGGED_IN },
	{ "ENABLE", imap_cmd_enable, IMAP_CMD_AUTH },
	{ "LOGIN", imap_cmd_login, IMAP_CMD_NOAUTH },
	{ "AUTHENTICATE", imap_cmd_authenticate, IMAP_CMD_NOAUTH },
	{ "STARTTLS", imap_cmd_starttls, IMAP_CMD_NOAUTH },
	{ "SELECT", imap_cmd_select, IMAP_LOGGED_IN },
	{ "EXAMINE", imap_cmd_examine, IMAP_LOGGED_IN },
	{ "CREATE", imap_cmd_create, IMAP_LOGGED_IN },
	{ "DELETE", imap_cmd_delete, IMAP_LOGGED_IN },
	{ "RENAME", imap_cmd_rename, IMAP_LOGGED_IN },
	{ "SUBSCRIBE", imap_cmd_subscribe, IMAP_LOGGED_IN },
	{ "UNSUBSCRIBE", imap_cmd_unsubscribe, IMAP_LOGGED_IN },
	{ "LIST", imap_cmd_list, IMAP_LOGGED_IN },
	{ "LSUB", imap_cmd_lsub, IMAP_LOGGED_IN },
	{ "STATUS", imap_cmd_status, IMAP_LOGGED_IN },
	{ "APPEND", imap_cmd_append, IMAP_LOGGED_IN },
	{ "CHECK", imap_cmd_check, IMAP_CMD_SELECTED },
	{ "CLOSE", imap_cmd_close, IMAP_CMD_SELECTED },
	{ "UNSELECT", imap_cmd_unselect, IMAP_CMD_SELECTED },
	{ "EXPUNGE", imap_cmd_expunge, IMAP_CMD_SELECTED },
	{ "EXPUNGE", imap_cmd_uid_expunge, IMAP_CMD_SELECTED | IMAP_CMD_UID | IMAP_CMD_UID_ONLY },
	{ "SEARCH", imap_cmd_search, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "SORT", imap_cmd_sort, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "THREAD", imap_cmd_thread, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "FETCH", imap_cmd_fetch, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "STORE", imap_cmd_store, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "COPY", imap_cmd_copy, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "MOVE", imap_cmd_move, IMAP_CMD_SELECTED | IMAP_CMD_UID },
	{ "IDLE", imap_cmd_idle, IMAP_LOGGED_IN },
	{ "COMPRESS", imap_cmd_compress, IMAP_LOGGED_IN },
	{ "GETQUOTAROOT", imap_cmd_getquotaroot, IMAP_LOGGED_IN },
	{ "GETQUOTA", imap_cmd_getquota, IMAP_LOGGED_IN },
	{ "SETQUOTA", imap_cmd_setquota, IMAP_LOGGED_IN },
	{ "SETACL", imap_cmd_setacl, IMAP_LOGGED_IN },
	{ "DELETEACL", imap_cmd_deleteacl, IMAP_LOGGED_IN },
	{ "GETACL", imap_cmd_getacl, IMAP_LOGGED_IN },
	{ "LISTRIGHTS", imap_cmd_listrights, IMAP_LOGGED_IN },
	{ "MYRIGHTS", imap_cmd_myrights, IMAP_LOGGED_IN },
};

/* The entry for name as sent with or without UID; NULL if none. */
static const struct imap_command_def *imap_command_find(const char *name, bool uid)
{
	for (size_t i = 0; i < sizeof(imap_commands) / sizeof(imap_commands[0]); i++) {
		const struct imap_command_def *def = &imap_commands[i];
		if (strcasecmp(def->name, name) != 0)
			continue;
		if (uid ? (def->flags & IMAP_CMD_UID) != 0 : (def->flags & IMAP_CMD_UID_ONLY) == 0)
			return def;
	}
	return NULL;
}

static unsigned imap_state_flag(enum imap_state state)
{
	switch (state) {
	case IMAP_STATE_NOT_AUTHENTICATED:
		return IMAP_CMD_NOAUTH;
	case IMAP_STATE_AUTHENTICATED:
		return IMAP_CMD_AUTH;
	case IMAP_STATE_SELECTED:
		return IMAP_CMD_SELECTED;
	default:
		return 0;
	}
}

void imap_command_run(struct imap_session *session, struct imap_command *parsed)
{
	struct imap_client_cmd cmd = {
		.session = session,
		.tag = parsed->tag,
		.name = parsed->name,
		.args = parsed->args,
		.arg_count = parsed->arg_count,
	};
	if (strcmp(parsed->name, "UID") == 0) {
		if (cmd.arg_count == 0 || cmd.args[0].type != IMAP_ARG_ATOM) {
			imap_cmd_bad(&cmd, "UID needs a command");
			return;
		}
		cmd.uid = true;
		cmd.name = cmd.args[0].str;
		cmd.args++;
		cmd.arg_count--;
	}
	const struct imap_command_def *def = imap_command_find(cmd.name, cmd.uid);
	if (def == NULL) {
		imap_cmd_bad(&cmd, "unknown command");
		return;
	}
	cmd.name = def->name;
	if ((def->flags & imap_state_flag(session->state)) == 0) {
		if (session->state == IMAP_STATE_NOT_AUTHENTICATED)
			imap_cmd_bad(&cmd, "%s needs a login first", def->name);
		else if ((def->flags & IMAP_CMD_SELECTED) != 0)
			imap_cmd_bad(&cmd, "%s needs a selected mailbox", def->name);
		else
			imap_cmd_bad(&cmd, "%s is not valid in this state", def->name);
		return;
	}
	log_debug(session->sid, "imap", "command", "tag=%s name=%s%s", cmd.tag,
		  cmd.uid ? "UID " : "", def->name);
	/* RFC 4314: a rights change applies to the selected mailbox from the
	 * next command on */
	if (imap_mailbox_access_refresh(session) < 0)
		return;
	def->handler(&cmd);
}

static int imap_range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int imap_cmd_seqset(struct imap_client_cmd *cmd, const struct imap_arg *arg, bool by_uid,
		    size_t **indexes_r, size_t *count_r)
{
	struct imap_session *session = cmd->session;
	*indexes_r = NULL;
	*count_r = 0;
	if (arg->type != IMAP_ARG_ATOM) {
		imap_cmd_bad(cmd, "expected a sequence set");
		return -1;
	}
	uint32_t star;
	if (by_uid)
		star = imap_view_last_uid(session);
	else
		star = (uint32_t)session->mail_count;
	struct imap_seq_range *ranges;
	size_t range_count;
	const char *error;
	if (imap_seqset_parse(arg->str, star, &ranges, &range_count, &error) < 0) {
		imap_cmd_bad(cmd, "%s", error);
		return -1;
	}
	if (!by_uid) {
		for (size_t i = 0; i < range_count; i++) {
			if (ranges[i].hi > session->mail_count || ranges[i].lo == 0) {
				free(ranges);
				imap_cmd_bad(cmd, "message sequence number out of range");
				return -1;
			}
		}
	}
	/* ranges sorted by their start; the view is ascending in both numbers,
	 * so one walk over both finds the members: O(view + ranges log ranges) */
	qsort(ranges, range_count, sizeof(ranges[0]), imap_range_cmp);
	size_t *indexes = NULL, count = 0, cap = 0, r = 0;
	uint32_t covered = 0; /* highest number covered by the ranges passed */
	for (size_t i = 0; i < session->mail_count; i++) {
		uint32_t n = by_uid ? imap_view_uid(session, i) : (uint32_t)(i + 1);
		while (r < range_count && ranges[r].lo <= n) {
			if (ranges[r].hi > covered)
				covered = ranges[r].hi;
			r++;
		}
		if (r > 0 && n <= covered)
			*XARRAY_PUSH(indexes, count, cap) = i;
	}
	free(ranges);
	*indexes_r = indexes;
	*count_r = count;
	return 0;
}
