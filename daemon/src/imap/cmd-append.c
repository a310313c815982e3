/* cmd-append.c - APPEND (RFC 3501 6.3.11): store a message from a literal
 * into one of the user's existing mailboxes with optional flags and
 * internal date, through storage_deliver (durable when it returns), quota
 * enforced. A missing mailbox gets NO [TRYCREATE]. When the mailbox is the
 * selected one the new message joins the view with "* n EXISTS".
 * Never creates a mailbox and never writes into another user's.
 */
#include "imap-commands.h"
#include "mime.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (dd may start with a space) -> unix time. */
static int imap_parse_datetime(const char *s, int64_t *time_r)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char mon[4], sign;
	int day, year, hh, mm, ss, zone, n = 0;
	if (strlen(s) != 26 && strlen(s) != 25)
		return -1;
	if (sscanf(s, "%2d-%3[A-Za-z]-%4d %2d:%2d:%2d %c%4d%n", &day, mon, &year, &hh, &mm, &ss,
		   &sign, &zone, &n) != 8 || s[n] != '\0' || (sign != '+' && sign != '-'))
		return -1;
	int month = -1;
	for (int i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			month = i;
	if (month < 0 || day < 1 || day > 31 || year < 1970 || year > 9999 || hh > 23 ||
	    mm > 59 || ss > 60 || hh < 0 || mm < 0 || ss < 0 || zone % 100 > 59 || zone > 2359)
		return -1;
	struct tm tm = { .tm_mday = day, .tm_mon = month, .tm_year = year - 1900, .tm_hour = hh,
			 .tm_min = mm, .tm_sec = ss };
	int64_t t = (int64_t)timegm(&tm);
	int64_t offset = (zone / 100) * 3600 + (zone % 100) * 60;
	*time_r = sign == '+' ? t - offset : t + offset;
	return 0;
}

/* Flags of an APPEND: system flags and keywords. -1 after replying. */
static int imap_append_flag_list(struct imap_client_cmd *cmd, const struct imap_arg *list,
				 uint32_t *flags, struct buf *keywords)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} system[] = {
		{ "\\Seen", STORAGE_FLAG_SEEN },     { "\\Answered", STORAGE_FLAG_ANSWERED },
		{ "\\Flagged", STORAGE_FLAG_FLAGGED }, { "\\Deleted", STORAGE_FLAG_DELETED },
		{ "\\Draft", STORAGE_FLAG_DRAFT },
	};
	for (size_t i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];
		bool known = false;
		if (a->type != IMAP_ARG_ATOM) {
			imap_cmd_bad(cmd, "bad flag in APPEND");
			return -1;
		}
		for (size_t k = 0; k < sizeof(system) / sizeof(system[0]); k++) {
			if (strcasecmp(a->str, system[k].name) == 0) {
				*flags |= system[k].flag;
				known = true;
			}
		}
		if (known)
			continue;
		if (a->str[0] == '\\' || a->len > 128 || strpbrk(a->str, "%*]\\[") != NULL) {
			imap_cmd_bad(cmd, "bad flag in APPEND");
			return -1;
		}
		if (keywords->len > 0)
			buf_append_byte(keywords, ' ');
		buf_append(keywords, a->str, a->len);
	}
	return 0;
}

/* The new message joins the selected mailbox's view. */
static void imap_append_to_view(struct imap_session *session, uint32_t uid)
{
	struct storage_mail mail;
	const char *error;
	if (storage_mail_get(imap_storage(session), session->mailbox.id, uid, &mail, &error) !=
	    STORAGE_OK)
		return; /* gone again already */
	if (session->mail_count > 0 && session->mails[session->mail_count - 1].uid >= uid)
		return;
	struct imap_view_mail *m = XARRAY_PUSH(session->mails, session->mail_count,
					       session->mail_cap);
	m->uid = mail.uid;
	m->flags = mail.flags;
	m->keywords = xstrdup(mail.keywords != NULL ? mail.keywords : "");
	m->internal_date = mail.internal_date;
	m->size = mail.size;
	imap_reply(session, "* %zu EXISTS", session->mail_count);
}

void imap_cmd_append(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count < 2 || cmd->arg_count > 4 ||
	    !imap_arg_is_string(&cmd->args[cmd->arg_count - 1])) {
		imap_cmd_bad(cmd, "APPEND needs a mailbox, optional flags and date, and a literal");
		return;
	}
	uint32_t flags = 0;
	int64_t date = (int64_t)time(NULL);
	struct buf keywords, name;
	buf_init(&keywords);
	buf_init(&name);
	for (size_t i = 1; i + 1 < cmd->arg_count; i++) {
		const struct imap_arg *a = &cmd->args[i];
		if (a->type == IMAP_ARG_LIST && i == 1) {
			if (imap_append_flag_list(cmd, a, &flags, &keywords) < 0)
				goto out;
		} else if (a->type == IMAP_ARG_QUOTED && imap_parse_datetime(a->str, &date) == 0) {
			continue;
		} else {
			imap_cmd_bad(cmd, "bad APPEND flags or date-time");
			goto out;
		}
	}
	const struct imap_arg *msg = &cmd->args[cmd->arg_count - 1];
	if (msg->len == 0) {
		imap_cmd_no(cmd, "empty message");
		goto out;
	}
	if (imap_arg_mailbox(cmd, &cmd->args[0], &name) < 0)
		goto out;
	struct storage_mailbox mailbox;
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_get(imap_storage(session), session->user_id,
						      (const char *)name.data, &mailbox, &error);
	if (ret == STORAGE_ERR_NOTFOUND) {
		imap_cmd_no(cmd, "[TRYCREATE] no such mailbox");
		goto out;
	}
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		goto out;
	}
	struct mime_message *message;
	if (mime_message_parse((const unsigned char *)msg->str, msg->len, &message, &error) != 0) {
		imap_cmd_no(cmd, "message cannot be parsed");
		goto out;
	}
	struct storage_delivery_rcpt rcpt = {
		.user_id = session->user_id,
		.mailbox = mailbox.name,
		.flags = flags,
		.enforce_quota = true,
	};
	struct storage_delivery delivery = {
		.message = message,
		.internal_date = date,
		.rcpts = &rcpt,
		.rcpt_count = 1,
	};
	ret = storage_deliver(imap_storage(session), &delivery, &error);
	mime_message_free(&message);
	if (ret == STORAGE_OK && delivery.result != STORAGE_OK)
		ret = delivery.result;
	if (ret == STORAGE_OK)
		ret = rcpt.result;
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error != NULL ? error : delivery.error);
		goto out;
	}
	if (keywords.len > 0) {
		uint32_t *modified = NULL;
		size_t modified_count = 0;
		/* the message is stored; a keyword failure is logged, not fatal */
		if (storage_mail_store_flags(imap_storage(session), mailbox.id, &rcpt.uid_r, 1,
					     STORAGE_FLAGS_ADD, 0, (const char *)keywords.data, 0,
					     NULL, NULL, &modified, &modified_count,
					     &error) != STORAGE_OK)
			imap_reply(session, "* NO keywords could not be set");
		free(modified);
	}
	if (session->state == IMAP_STATE_SELECTED && session->mailbox.id == mailbox.id)
		imap_append_to_view(session, rcpt.uid_r);
	imap_view_changed(session, mailbox.id); /* other sessions: EXISTS */
	imap_cmd_ok(cmd, "[APPENDUID %u %u] APPEND completed", mailbox.uidvalidity, rcpt.uid_r);
out:
	buf_free(&keywords);
	buf_free(&name);
}
