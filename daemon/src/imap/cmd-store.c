/* cmd-store.c - STORE and UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS
 * and their .SILENT forms, with system flags and keywords, in one storage
 * transaction; the view is updated from what was committed and, unless
 * silent, each message's new FLAGS is reported. Refused in a mailbox opened
 * with EXAMINE. Never stores \Recent or an unknown system flag.
 * CONDSTORE (RFC 7162 3.1.3): the (UNCHANGEDSINCE n) modifier fails the
 * messages changed since n and lists them in [MODIFIED set]; once
 * CONDSTORE is on, each FETCH response carries UID and MODSEQ, and .SILENT
 * still reports MODSEQ of the messages that changed. RFC 4314: \Seen needs
 * the s right, \Deleted t, other flags and keywords w; what the rights do
 * not allow is silently left as it is.
 */
#include "imap-commands.h"
#include "imap-condstore.h"
#include "imap-mailbox-access.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest keyword accepted. */
#define IMAP_KEYWORD_MAX 128
/* Every system flag STORE can set. */
#define IMAP_STORE_SYSTEM_FLAGS (STORAGE_FLAG_SEEN | STORAGE_FLAG_ANSWERED | \
				  STORAGE_FLAG_FLAGGED | STORAGE_FLAG_DELETED | STORAGE_FLAG_DRAFT)

struct imap_store_ctx {
	struct imap_client_cmd *cmd;
	bool silent;
	bool quiet; /* update the view only (first half of a partial FLAGS) */
};

/* RFC 4314 4: the system flags the session's rights let it change (\Seen
 * s, \Deleted t, the others w); keywords need w too. */
static uint32_t imap_store_allowed(const struct imap_session *session)
{
	uint32_t allowed = 0;
	if (imap_mailbox_access_may(session, STORAGE_ACL_SEEN))
		allowed |= STORAGE_FLAG_SEEN;
	if (imap_mailbox_access_may(session, STORAGE_ACL_DELMSG))
		allowed |= STORAGE_FLAG_DELETED;
	if (imap_mailbox_access_may(session, STORAGE_ACL_WRITE))
		allowed |= STORAGE_FLAG_ANSWERED | STORAGE_FLAG_FLAGGED | STORAGE_FLAG_DRAFT;
	return allowed;
}

/* Parse one flag into flags or keywords. -1 after replying BAD. */
static int imap_store_flag(struct imap_client_cmd *cmd, const struct imap_arg *arg,
			   uint32_t *flags, struct buf *keywords)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} system[] = {
		{ "\\Seen", STORAGE_FLAG_SEEN },
		{ "\\Answered", STORAGE_FLAG_ANSWERED },
		{ "\\Flagged", STORAGE_FLAG_FLAGGED },
		{ "\\Deleted", STORAGE_FLAG_DELETED },
		{ "\\Draft", STORAGE_FLAG_DRAFT },
	};
	if (arg->type != IMAP_ARG_ATOM) {
		imap_cmd_bad(cmd, "expected a flag");
		return -1;
	}
	if (arg->str[0] == '\\') {
		for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++) {
			if (strcasecmp(arg->str, system[i].name) == 0) {
				*flags |= system[i].flag;
				return 0;
			}
		}
		imap_cmd_bad(cmd, "unknown or read-only system flag");
		return -1;
	}
	if (arg->len > IMAP_KEYWORD_MAX || strpbrk(arg->str, "%*]\\[") != NULL) {
		imap_cmd_bad(cmd, "bad keyword");
		return -1;
	}
	if (keywords->len > 0)
		buf_append_byte(keywords, ' ');
	buf_append(keywords, arg->str, arg->len);
	return 0;
}

static void imap_store_cb(const struct storage_mail *mail, bool changed, void *context)
{
	struct imap_store_ctx *ctx = context;
	struct imap_session *session = ctx->cmd->session;
	size_t lo = imap_view_index(session, mail->uid);
	if (lo >= session->mail_count)
		return;
	imap_view_set_flags(session, lo, mail->flags, mail->keywords);
	imap_view_own_change(session, mail->uid, mail->modseq);
	if (ctx->quiet || (ctx->silent && (!session->condstore || !changed)))
		return;
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %zu FETCH (", lo + 1);
	if (!ctx->silent) {
		buf_append_str(&line, "FLAGS (");
		imap_append_view_flags(session, &line, lo);
		buf_append_str(&line, ") ");
	}
	if (ctx->cmd->uid || session->condstore)
		buf_printf(&line, "UID %u ", mail->uid);
	if (session->condstore)
		buf_printf(&line, "MODSEQ (%lld) ", (long long)mail->modseq);
	line.len--; /* the last space */
	buf_append_str(&line, ")\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
}

/* FLAGS (replace) when the rights cover only some flags: remove the allowed
 * flags not asked for, then add those asked for, so the flags the user may
 * not change stay as they are (keywords are then only added). The
 * UNCHANGEDSINCE condition applies to the first step; the messages it
 * fails are left out of the second. */
static enum storage_result imap_store_partial_set(struct imap_store_ctx *ctx, uint32_t *uids,
						  size_t count, uint32_t flags,
						  const char *keywords, uint32_t allowed,
						  int64_t unchangedsince, uint32_t **modified_r,
						  size_t *modified_count_r, const char **error_r)
{
	struct imap_session *session = ctx->cmd->session;
	struct imap_store_ctx quiet = *ctx;
	quiet.quiet = true;
	enum storage_result ret = storage_mail_store_flags(
		imap_storage(session), session->mailbox.id, uids, count, STORAGE_FLAGS_REMOVE,
		allowed & ~flags, NULL, unchangedsince, imap_store_cb, &quiet, modified_r,
		modified_count_r, error_r);
	if (ret != STORAGE_OK)
		return ret;
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		bool failed = false;
		for (size_t k = 0; k < *modified_count_r && !failed; k++)
			failed = (*modified_r)[k] == uids[i];
		if (!failed)
			uids[n++] = uids[i];
	}
	if (n == 0)
		return STORAGE_OK;
	uint32_t *none = NULL;
	size_t none_count = 0;
	ret = storage_mail_store_flags(imap_storage(session), session->mailbox.id, uids, n,
				       STORAGE_FLAGS_ADD, flags, keywords, 0, imap_store_cb, ctx,
				       &none, &none_count, error_r);
	free(none);
	return ret;
}

void imap_cmd_store(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	/* STORE set [(UNCHANGEDSINCE n)] item flags: view the modifier list as
	 * consumed by shifting the arguments after the set */
	int64_t unchangedsince = -1;
	const struct imap_arg *args = cmd->args;
	size_t arg_count = cmd->arg_count;
	if (arg_count >= 2 && args[1].type == IMAP_ARG_LIST) {
		const struct imap_arg *mods = &args[1];
		if (mods->list_count != 2 || !imap_arg_atom_equals(&mods->list[0], "UNCHANGEDSINCE") ||
		    imap_arg_modseq(&mods->list[1], true, &unchangedsince) < 0) {
			imap_cmd_bad(cmd, "bad STORE modifier");
			return;
		}
		args++;
		arg_count--;
	}
	if (arg_count < 3 || args[1].type != IMAP_ARG_ATOM) {
		imap_cmd_bad(cmd, "STORE needs a sequence set, an item and flags");
		return;
	}
	const char *item = args[1].str;
	enum storage_flags_mode mode = STORAGE_FLAGS_SET;
	if (item[0] == '+' || item[0] == '-') {
		mode = item[0] == '+' ? STORAGE_FLAGS_ADD : STORAGE_FLAGS_REMOVE;
		item++;
	}
	struct imap_store_ctx ctx = { .cmd = cmd };
	if (strcasecmp(item, "FLAGS.SILENT") == 0) {
		ctx.silent = true;
	} else if (strcasecmp(item, "FLAGS") != 0) {
		imap_cmd_bad(cmd, "unknown STORE item");
		return;
	}
	uint32_t flags = 0;
	struct buf keywords;
	buf_init(&keywords);
	const struct imap_arg *list = &args[2];
	size_t list_count = arg_count - 2;
	if (list_count == 1 && list->type == IMAP_ARG_LIST) {
		list_count = list->list_count;
		list = list->list;
	}
	for (size_t i = 0; i < list_count; i++) {
		if (imap_store_flag(cmd, &list[i], &flags, &keywords) < 0) {
			buf_free(&keywords);
			return;
		}
	}
	if (session->readonly) {
		buf_free(&keywords);
		imap_cmd_no(cmd, "[READ-ONLY] mailbox was opened with EXAMINE");
		return;
	}
	/* RFC 4314 4: what the rights do not allow is silently left alone */
	uint32_t allowed = imap_store_allowed(session);
	flags &= allowed;
	if (!imap_mailbox_access_may(session, STORAGE_ACL_WRITE))
		buf_reset(&keywords);
	bool partial = mode == STORAGE_FLAGS_SET &&
		       (allowed != IMAP_STORE_SYSTEM_FLAGS ||
			!imap_mailbox_access_may(session, STORAGE_ACL_WRITE));
	size_t *indexes, count;
	if (imap_cmd_msgset(cmd, &cmd->args[0], cmd->uid, &indexes, &count) < 0) {
		buf_free(&keywords);
		return;
	}
	if (unchangedsince >= 0)
		imap_view_condstore_enable(session, true); /* a CONDSTORE enabling command */
	uint32_t *uids = xcalloc(count + 1, sizeof(uint32_t));
	for (size_t i = 0; i < count; i++)
		uids[i] = imap_view_uid(session, indexes[i]);
	free(indexes);
	const char *error = NULL;
	uint32_t *modified = NULL;
	size_t modified_count = 0;
	enum storage_result ret = STORAGE_OK;
	if (unchangedsince == 0) {
		/* fails for every message (RFC 7162 3.1.3); storage reads 0 as
		 * "no condition", so nothing is stored here */
		modified = uids;
		modified_count = count;
		uids = NULL;
	} else if (count > 0 && partial) {
		ret = imap_store_partial_set(&ctx, uids, count, flags,
					     keywords.len > 0 ? (const char *)keywords.data : NULL,
					     allowed, unchangedsince > 0 ? unchangedsince : 0,
					     &modified, &modified_count, &error);
	} else if (count > 0) {
		ret = storage_mail_store_flags(imap_storage(session), session->mailbox.id, uids,
					       count, mode, flags,
					       keywords.len > 0 ? (const char *)keywords.data : NULL,
					       unchangedsince > 0 ? unchangedsince : 0,
					       imap_store_cb, &ctx, &modified, &modified_count,
					       &error);
	}
	free(uids);
	buf_free(&keywords);
	if (ret != STORAGE_OK) {
		free(modified);
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	if (count > modified_count)
		imap_view_changed(session, session->mailbox.id); /* others: FETCH FLAGS */
	if (modified_count == 0) {
		free(modified);
		imap_cmd_ok(cmd, "STORE completed");
		return;
	}
	/* [MODIFIED set]: uids for UID STORE, sequence numbers for STORE */
	if (!cmd->uid) {
		size_t n = 0;
		for (size_t i = 0; i < modified_count; i++) {
			size_t k = imap_view_index(session, modified[i]);
			if (k < session->mail_count)
				modified[n++] = (uint32_t)(k + 1);
		}
		modified_count = n;
	}
	if (modified_count == 0) {
		free(modified);
		imap_cmd_ok(cmd, "STORE completed");
		return;
	}
	struct buf set;
	buf_init(&set);
	imap_append_uid_set(&set, modified, modified_count);
	free(modified);
	imap_cmd_ok(cmd, "[MODIFIED %s] conditional STORE failed", (const char *)set.data);
	buf_free(&set);
}
