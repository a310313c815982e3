/* cmd-store.c - STORE and UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS
 * and their .SILENT forms, with system flags and keywords, in one storage
 * transaction; the view is updated from what was committed and, unless
 * silent, each message's new FLAGS is reported. Refused in a mailbox opened
 * with EXAMINE. Never stores \Recent or an unknown system flag.
 */
#include "imap-commands.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest keyword accepted. */
#define IMAP_KEYWORD_MAX 128

struct imap_store_ctx {
	struct imap_client_cmd *cmd;
	bool silent;
};

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
	(void)changed;
	struct imap_store_ctx *ctx = context;
	struct imap_session *session = ctx->cmd->session;
	size_t lo = 0, hi = session->mail_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (session->mails[mid].uid < mail->uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= session->mail_count || session->mails[lo].uid != mail->uid)
		return;
	struct imap_view_mail *m = &session->mails[lo];
	m->flags = mail->flags;
	free(m->keywords);
	m->keywords = xstrdup(mail->keywords != NULL ? mail->keywords : "");
	if (ctx->silent)
		return;
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %zu FETCH (FLAGS (", lo + 1);
	imap_append_flags(&line, m->flags, m->keywords);
	buf_append_byte(&line, ')');
	if (ctx->cmd->uid)
		buf_printf(&line, " UID %u", m->uid);
	buf_append_str(&line, ")\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
}

void imap_cmd_store(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count < 3 || cmd->args[1].type != IMAP_ARG_ATOM) {
		imap_cmd_bad(cmd, "STORE needs a sequence set, an item and flags");
		return;
	}
	const char *item = cmd->args[1].str;
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
	const struct imap_arg *list = &cmd->args[2];
	size_t list_count = cmd->arg_count - 2;
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
	size_t *indexes, count;
	if (imap_cmd_seqset(cmd, &cmd->args[0], cmd->uid, &indexes, &count) < 0) {
		buf_free(&keywords);
		return;
	}
	uint32_t *uids = xcalloc(count + 1, sizeof(uint32_t));
	for (size_t i = 0; i < count; i++)
		uids[i] = session->mails[indexes[i]].uid;
	free(indexes);
	const char *error = NULL;
	uint32_t *modified = NULL;
	size_t modified_count = 0;
	enum storage_result ret = STORAGE_OK;
	if (count > 0)
		ret = storage_mail_store_flags(imap_storage(session), session->mailbox.id, uids,
					       count, mode, flags,
					       keywords.len > 0 ? (const char *)keywords.data : NULL,
					       0, imap_store_cb, &ctx, &modified, &modified_count,
					       &error);
	free(modified);
	free(uids);
	buf_free(&keywords);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	if (count > 0)
		imap_view_changed(session, session->mailbox.id); /* others: FETCH FLAGS */
	imap_cmd_ok(cmd, "STORE completed");
}
