/* cmd-copy.c - COPY and UID COPY (RFC 3501 6.4.7), MOVE and UID MOVE
 * (RFC 6851), with the UIDPLUS response code [COPYUID uidvalidity src dst]
 * (RFC 4315). A destination that does not exist gets NO [TRYCREATE]; a
 * copy that would go over the owner's quota NO [OVERQUOTA] and copies
 * nothing.
 *
 * MOVE answers "* OK [COPYUID ...]", then "* n EXPUNGE" for each moved
 * message (highest first), then the tagged OK. Never moves out of a
 * mailbox opened with EXAMINE. RFC 4314: the destination needs the i
 * right, MOVE also t and e on the source; the copies keep only the flags
 * the rights allow in the destination.
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"
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

/* RFC 4314 4: a copy keeps only the flags the rights let the user set in
 * the destination (\Seen s, \Deleted t, the others and keywords w); the
 * rest are removed again, message by message (this only happens in
 * mailboxes shared without those rights). A failure here leaves the flags:
 * the copy itself is done. */
static void imap_copy_drop_flags(struct imap_session *session, int64_t dst_id, uint32_t rights,
				 const uint32_t *dst_uids, size_t count)
{
	uint32_t drop = 0;
	bool keywords = (rights & STORAGE_ACL_WRITE) == 0;
	if ((rights & STORAGE_ACL_SEEN) == 0)
		drop |= STORAGE_FLAG_SEEN;
	if ((rights & STORAGE_ACL_DELMSG) == 0)
		drop |= STORAGE_FLAG_DELETED;
	if (keywords)
		drop |= STORAGE_FLAG_ANSWERED | STORAGE_FLAG_FLAGGED | STORAGE_FLAG_DRAFT;
	for (size_t i = 0; drop != 0 && i < count; i++) {
		if (dst_uids[i] == 0)
			continue;
		const char *error = NULL;
		char *kw = NULL;
		struct storage_mail mail;
		if (keywords && storage_mail_get(imap_storage(session), dst_id, dst_uids[i], &mail,
						 &error) == STORAGE_OK && mail.keywords[0] != '\0')
			kw = xstrdup(mail.keywords);
		uint32_t *modified = NULL;
		size_t modified_count = 0;
		(void)storage_mail_store_flags(imap_storage(session), dst_id, &dst_uids[i], 1,
					       STORAGE_FLAGS_REMOVE, drop, kw, 0, NULL, NULL,
					       &modified, &modified_count, &error);
		free(modified);
		free(kw);
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
	if (move && !imap_mailbox_access_may(session, STORAGE_ACL_DELMSG | STORAGE_ACL_EXPUNGE)) {
		imap_cmd_no(cmd, "[NOPERM] permission denied (MOVE needs the t and e rights)");
		return;
	}
	struct buf name;
	buf_init(&name);
	size_t *indexes = NULL, count = 0;
	if (imap_session_arg_mailbox(cmd, &cmd->args[1], &name) < 0)
		goto out;
	if (imap_cmd_msgset(cmd, &cmd->args[0], cmd->uid, &indexes, &count) < 0)
		goto out;
	struct imap_mailbox_access access;
	const char *error = NULL;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, STORAGE_ACL_INSERT, &access);
	if (access_status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, access_status, &access, true);
		goto out;
	}
	struct storage_mailbox dst = access.mailbox;
	enum storage_result ret = STORAGE_OK;
	if (count == 0) {
		/* UID COPY/MOVE of uids that are all gone: nothing to do */
		imap_cmd_ok(cmd, "%s completed", cmd->name);
		goto out;
	}
	uint32_t *uids = xcalloc(count, sizeof(uint32_t));
	uint32_t *dst_uids = xcalloc(count, sizeof(uint32_t));
	for (size_t i = 0; i < count; i++)
		uids[i] = imap_view_uid(session, indexes[i]);
	if (move)
		ret = storage_mail_move(imap_storage(session), session->mailbox.id, uids, count,
					dst.id, true, dst_uids, &error);
	else
		ret = storage_mail_copy(imap_storage(session), session->mailbox.id, uids, count,
					dst.id, true, dst_uids, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
	} else {
		imap_copy_drop_flags(session, dst.id, access.rights, dst_uids, count);
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
		/* no UIDs of a mailbox the user may not read (an i-only drop box) */
		if ((access.rights & STORAGE_ACL_READ) == 0)
			buf_reset(&code);
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
