/* cmd-copy.c - COPY and UID COPY (RFC 3501 6.4.7), MOVE and UID MOVE
 * (RFC 6851), with the UIDPLUS response code [COPYUID uidvalidity src dst]
 * (RFC 4315). A destination that does not exist gets NO [TRYCREATE]; a
 * copy that would go over the owner's quota NO [OVERQUOTA] and copies
 * nothing.
 *
 * MOVE answers "* OK [COPYUID ...]", then "* n EXPUNGE" for each moved
 * message (highest first), then the tagged OK. Never moves out of a
 * mailbox opened with EXAMINE; never touches another user's mailbox (the
 * destination is looked up with the session's user id).
 */
#include "imap-commands.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Append uids (in the order given) as an IMAP uid-set, runs of consecutive
 * numbers written as a:b. */
static void imap_append_uidset(struct buf *out, const uint32_t *uids, size_t count)
{
	for (size_t i = 0; i < count;) {
		size_t j = i;
		while (j + 1 < count && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			buf_append_byte(out, ',');
		if (j > i)
			buf_printf(out, "%u:%u", uids[i], uids[j]);
		else
			buf_printf(out, "%u", uids[i]);
		i = j + 1;
	}
}

/* "COPYUID v src dst" for the pairs with a destination uid, or "" if none;
 * the copied source uids (ascending) into *moved_r when it is not NULL. */
static void imap_copyuid(uint32_t uidvalidity, const uint32_t *src, const uint32_t *dst,
			 size_t count, struct buf *out, uint32_t **moved_r, size_t *moved_count_r)
{
	uint32_t *s = xcalloc(count + 1, sizeof(uint32_t));
	uint32_t *d = xcalloc(count + 1, sizeof(uint32_t));
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		if (dst[i] == 0)
			continue;
		s[n] = src[i];
		d[n++] = dst[i];
	}
	if (n > 0) {
		buf_printf(out, "COPYUID %u ", uidvalidity);
		imap_append_uidset(out, s, n);
		buf_append_byte(out, ' ');
		imap_append_uidset(out, d, n);
	}
	free(d);
	if (moved_r != NULL) {
		*moved_r = s;
		*moved_count_r = n;
	} else {
		free(s);
	}
}

static void imap_copy_or_move(struct imap_client_cmd *cmd, bool move)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 2) {
		imap_cmd_bad(cmd, "%s needs a sequence set and a mailbox", cmd->name);
		return;
	}
	if (move && session->readonly) {
		imap_cmd_no(cmd, "[READ-ONLY] mailbox was opened with EXAMINE");
		return;
	}
	struct buf name;
	buf_init(&name);
	size_t *indexes = NULL, count = 0;
	if (imap_arg_mailbox(cmd, &cmd->args[1], &name) < 0)
		goto out;
	if (imap_cmd_seqset(cmd, &cmd->args[0], cmd->uid, &indexes, &count) < 0)
		goto out;
	struct storage_mailbox dst;
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_get(imap_storage(session), session->user_id,
						      (const char *)name.data, &dst, &error);
	if (ret == STORAGE_ERR_NOTFOUND) {
		imap_cmd_no(cmd, "[TRYCREATE] no such mailbox");
		goto out;
	}
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		goto out;
	}
	if (count == 0) {
		/* UID COPY/MOVE of uids that are all gone: nothing to do */
		imap_cmd_ok(cmd, "%s completed", cmd->name);
		goto out;
	}
	uint32_t *uids = xcalloc(count, sizeof(uint32_t));
	uint32_t *dst_uids = xcalloc(count, sizeof(uint32_t));
	for (size_t i = 0; i < count; i++)
		uids[i] = session->mails[indexes[i]].uid;
	if (move)
		ret = storage_mail_move(imap_storage(session), session->mailbox.id, uids, count,
					dst.id, true, dst_uids, &error);
	else
		ret = storage_mail_copy(imap_storage(session), session->mailbox.id, uids, count,
					dst.id, true, dst_uids, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
	} else {
		/* tell the other sessions; this one reports below */
		if (move)
			imap_view_changed(session, session->mailbox.id);
		if (!move || dst.id != session->mailbox.id)
			imap_view_changed(session, dst.id);
		struct buf code;
		buf_init(&code);
		uint32_t *moved = NULL;
		size_t moved_count = 0;
		imap_copyuid(dst.uidvalidity, uids, dst_uids, count, &code,
			     move ? &moved : NULL, &moved_count);
		if (move) {
			if (code.len > 0)
				imap_reply(session, "* OK [%.*s] moved", (int)code.len,
					   (const char *)code.data);
			imap_view_expunged(session, moved, moved_count, false);
			buf_reset(&code);
		}
		free(moved);
		if (dst.id == session->mailbox.id) {
			/* copied into the selected mailbox: EXISTS now */
			const char *sync_error = NULL;
			(void)imap_view_sync(session, &sync_error);
		}
		if (code.len > 0)
			imap_cmd_ok(cmd, "[%.*s] %s completed", (int)code.len,
				    (const char *)code.data, cmd->name);
		else
			imap_cmd_ok(cmd, "%s completed", cmd->name);
		buf_free(&code);
	}
	free(uids);
	free(dst_uids);
out:
	free(indexes);
	buf_free(&name);
}

void imap_cmd_copy(struct imap_client_cmd *cmd)
{
	imap_copy_or_move(cmd, false);
}

void imap_cmd_move(struct imap_client_cmd *cmd)
{
	imap_copy_or_move(cmd, true);
}
