/* cmd-select.c - SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2): open one of the
 * user's mailboxes, load its view (UIDs in order = sequence numbers) and
 * report its state. Another user's mailbox (Shared/<owner>/...) needs the
 * r right and opens read-only without any of s w i t e (RFC 4314 5.2);
 * PERMANENTFLAGS lists only the flags the rights allow changing.
 * CONDSTORE / QRESYNC (RFC 7162): the (CONDSTORE) and
 * (QRESYNC (uidvalidity modseq [known-uids [seq-match]])) parameters,
 * [HIGHESTMODSEQ n], VANISHED (EARLIER) and FETCH of what changed since
 * the client's modseq, [CLOSED] when a selected mailbox is closed by it.
 * seq-match is accepted and not used (the known uids are enough).
 * IMAP4rev2 (RFC 9051 6.3.2): no RECENT, no [UNSEEN n], a LIST response
 * with the name, and [CLOSED] whenever a selected mailbox is closed.
 */
#include "imap-commands.h"
#include "imap-condstore.h"
#include "imap-mailbox-access.h"

#include <string.h>

#define IMAP_SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
/* Rights that make a SELECT read-write (RFC 4314 5.2). */
#define IMAP_SELECT_WRITE_RIGHTS (STORAGE_ACL_SEEN | STORAGE_ACL_WRITE | STORAGE_ACL_INSERT | \
				  STORAGE_ACL_DELMSG | STORAGE_ACL_EXPUNGE)

struct imap_select_params {
	bool condstore;
	bool qresync;
	uint32_t uidvalidity;
	int64_t modseq;
	bool have_known;
	struct imap_uid_set known;
};

/* The optional parameter list. -1 after replying BAD. */
static int imap_select_params(struct imap_client_cmd *cmd, const struct imap_arg *list,
			      struct imap_select_params *p)
{
	for (size_t i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];
		if (imap_arg_atom_equals(a, "CONDSTORE")) {
			p->condstore = true;
			continue;
		}
		if (!imap_arg_atom_equals(a, "QRESYNC") || p->qresync) {
			imap_cmd_bad(cmd, "unknown %s parameter", cmd->name);
			return -1;
		}
		if (!cmd->session->qresync) {
			imap_cmd_bad(cmd, "QRESYNC is not enabled");
			return -1;
		}
		const struct imap_arg *q = i + 1 < list->list_count ? &list->list[++i] : NULL;
		if (q == NULL || q->type != IMAP_ARG_LIST || q->list_count < 2 ||
		    q->list_count > 4 || imap_arg_uint32(&q->list[0], &p->uidvalidity) < 0 ||
		    imap_arg_modseq(&q->list[1], false, &p->modseq) < 0) {
			imap_cmd_bad(cmd, "QRESYNC needs (uidvalidity modseq [known-uids])");
			return -1;
		}
		if (q->list_count >= 3) {
			if (imap_uid_set_parse(&q->list[2], &p->known) < 0) {
				imap_cmd_bad(cmd, "bad QRESYNC known-uids");
				return -1;
			}
			p->have_known = true;
		}
		if (q->list_count == 4 && (q->list[3].type != IMAP_ARG_LIST ||
					   q->list[3].list_count != 2)) {
			imap_cmd_bad(cmd, "bad QRESYNC seq-match-data");
			return -1;
		}
		p->qresync = true;
	}
	return 0;
}

/* "* OK [PERMANENTFLAGS (...)]": only the flags the user's rights let
 * them change (RFC 4314 4: s for \Seen, t for \Deleted, w for the rest). */
static void imap_select_permanentflags(struct imap_session *session, bool readonly)
{
	uint32_t r = readonly ? 0 : session->rights;
	struct buf flags;
	buf_init(&flags);
	if ((r & STORAGE_ACL_WRITE) != 0)
		buf_append_str(&flags, " \\Answered \\Flagged");
	if ((r & STORAGE_ACL_DELMSG) != 0)
		buf_append_str(&flags, " \\Deleted");
	if ((r & STORAGE_ACL_SEEN) != 0)
		buf_append_str(&flags, " \\Seen");
	if ((r & STORAGE_ACL_WRITE) != 0)
		buf_append_str(&flags, " \\Draft \\*");
	imap_reply(session, "* OK [PERMANENTFLAGS (%s)] flags that can be changed",
		   flags.len > 0 ? (const char *)flags.data + 1 : "");
	buf_free(&flags);
}

static void imap_select(struct imap_client_cmd *cmd, bool readonly)
{
	struct imap_session *session = cmd->session;
	struct imap_select_params params;
	memset(&params, 0, sizeof(params));
	if (cmd->arg_count != 1 &&
	    (cmd->arg_count != 2 || cmd->args[1].type != IMAP_ARG_LIST)) {
		imap_cmd_bad(cmd, "%s needs one mailbox name", cmd->name);
		return;
	}
	if (cmd->arg_count == 2 && imap_select_params(cmd, &cmd->args[1], &params) < 0) {
		imap_uid_set_free(&params.known);
		return;
	}
	struct buf name;
	buf_init(&name);
	if (imap_session_arg_mailbox(cmd, &cmd->args[0], &name) < 0) {
		buf_free(&name);
		imap_uid_set_free(&params.known);
		return;
	}
	if (params.condstore)
		imap_view_condstore_enable(session, false);
	/* a SELECT, even a failing one, first closes the current mailbox */
	if (session->state == IMAP_STATE_SELECTED && (session->qresync || session->rev2))
		imap_reply(session, "* OK [CLOSED] previous mailbox closed");
	imap_session_unselect(session);
	const char *error = NULL;
	struct imap_mailbox_access access;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, STORAGE_ACL_READ, &access);
	struct buf list_line; /* IMAP4rev2: "* LIST (attrs) "/" name" */
	buf_init(&list_line);
	if (session->rev2 && access_status == IMAP_ACCESS_OK) {
		buf_printf(&list_line, "* LIST (%s) \"%c\" ",
			   access.shared ? "" : access.mailbox.special_use, STORAGE_HIERARCHY_SEP);
		imap_session_append_mailbox(session, &list_line, (const char *)name.data);
		buf_append_str(&list_line, "\r\n");
	}
	buf_free(&name);
	if (access_status != IMAP_ACCESS_OK) {
		buf_free(&list_line);
		imap_uid_set_free(&params.known);
		imap_mailbox_access_reply(cmd, access_status, &access, false);
		return;
	}
	session->mailbox = access.mailbox;
	session->rights = access.rights;
	/* RFC 4314 5.2: read-only without any right to change the mailbox */
	if ((access.rights & IMAP_SELECT_WRITE_RIGHTS) == 0)
		readonly = true;
	session->readonly = readonly; /* EXAMINE does not claim \Recent */
	enum storage_result ret = imap_view_load(session, &error);
	if (ret != STORAGE_OK) {
		buf_free(&list_line);
		imap_session_unselect(session);
		imap_uid_set_free(&params.known);
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_enter_state(session, IMAP_STATE_SELECTED);
	imap_view_watch(session);

	size_t first_unseen = 0;
	for (size_t i = 0; i < session->mail_count && first_unseen == 0; i++)
		if ((imap_view_flags(session, i) & STORAGE_FLAG_SEEN) == 0)
			first_unseen = i + 1;
	imap_reply(session, "* FLAGS (" IMAP_SYSTEM_FLAGS ")");
	imap_select_permanentflags(session, readonly);
	imap_reply(session, "* %zu EXISTS", session->mail_count);
	if (!session->rev2) {
		imap_reply(session, "* %zu RECENT", imap_view_recent_count(session));
		if (first_unseen != 0)
			imap_reply(session, "* OK [UNSEEN %zu] first unseen message",
				   first_unseen);
	}
	imap_write(session, list_line.data, list_line.len);
	buf_free(&list_line);
	imap_reply(session, "* OK [UIDVALIDITY %u] UIDs valid", session->mailbox.uidvalidity);
	imap_reply(session, "* OK [UIDNEXT %u] predicted next UID", session->mailbox.uidnext);
	if (session->condstore)
		imap_reply(session, "* OK [HIGHESTMODSEQ %lld] highest modseq",
			   (long long)session->mailbox.highestmodseq);
	if (params.qresync && params.uidvalidity == session->mailbox.uidvalidity) {
		ret = imap_condstore_resync(session, params.modseq,
					    params.have_known ? &params.known : NULL, &error);
		if (ret != STORAGE_OK) {
			imap_uid_set_free(&params.known);
			imap_cmd_storage_error(cmd, ret, error);
			return;
		}
	}
	imap_uid_set_free(&params.known);
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
