/* cmd-append.c - APPEND (RFC 3501 6.3.11) and MULTIAPPEND (RFC 3502):
 * store one or more messages, each from a literal with its optional flags
 * and internal date, into one of the user's existing mailboxes, all in one
 * transaction (storage_deliver_many: every message is stored or none is),
 * quota enforced (NO [OVERQUOTA]). A missing mailbox gets NO [TRYCREATE].
 * The reply carries [APPENDUID uidvalidity uid-set]. When the mailbox is
 * the selected one the new messages join the view with "* n EXISTS".
 * A message may come as a literal8 ~{n} (RFC 3516 BINARY): stored as it
 * is, like any other. Another user's mailbox needs the i right (flags the
 * rights do not cover are dropped, RFC 4314). Never creates a mailbox and
 * never stores a part of a MULTIAPPEND.
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"
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

/* The new message joins the selected mailbox's view (EXISTS is the
 * caller's to send). */
static void imap_append_to_view(struct imap_session *session, uint32_t uid)
{
	struct storage_mail mail;
	const char *error;
	if (storage_mail_get(imap_storage(session), session->mailbox.id, uid, &mail, &error) !=
	    STORAGE_OK)
		return; /* gone again already */
	imap_view_append(session, &mail);
}

/* One message of an APPEND: its flags, keywords, date and literal. */
struct imap_append_msg {
	uint32_t flags;
	struct buf keywords;
	int64_t date;
	const struct imap_arg *literal;
	struct mime_message *message;
	struct storage_delivery_rcpt rcpt;
};

/* An APPEND message: a string or a literal8 (RFC 3516). */
static bool imap_append_is_message(const struct imap_arg *arg)
{
	return imap_arg_is_string(arg) || (arg->type == IMAP_ARG_LITERAL && arg->literal8);
}

/* Split the arguments after the mailbox into messages: each is
 * [flag-list] [date-time] string. -1 after replying BAD. */
static int imap_append_parse(struct imap_client_cmd *cmd, struct imap_append_msg *msgs,
			     size_t *count_r)
{
	size_t count = 0, i = 1;
	while (i < cmd->arg_count) {
		struct imap_append_msg *m = &msgs[count++];
		m->date = (int64_t)time(NULL);
		if (cmd->args[i].type == IMAP_ARG_LIST) {
			if (imap_append_flag_list(cmd, &cmd->args[i], &m->flags, &m->keywords) < 0)
				return -1;
			i++;
		}
		if (i + 1 < cmd->arg_count && cmd->args[i].type == IMAP_ARG_QUOTED &&
		    imap_append_is_message(&cmd->args[i + 1])) {
			if (imap_parse_datetime(cmd->args[i].str, &m->date) < 0) {
				imap_cmd_bad(cmd, "bad APPEND date-time");
				return -1;
			}
			i++;
		}
		if (i >= cmd->arg_count || !imap_append_is_message(&cmd->args[i])) {
			imap_cmd_bad(cmd, "bad APPEND flags or date-time");
			return -1;
		}
		m->literal = &cmd->args[i++];
	}
	*count_r = count;
	return 0;
}

/* Store every message in one transaction. -1 after replying NO. */
/* RFC 4314 4: flags the rights do not allow are silently dropped (\Seen
 * needs s, \Deleted t, the others and keywords w). */
static void imap_append_acl_flags(struct imap_append_msg *msgs, size_t count, uint32_t rights)
{
	uint32_t allowed = STORAGE_FLAG_ANSWERED | STORAGE_FLAG_FLAGGED | STORAGE_FLAG_DRAFT;
	if ((rights & STORAGE_ACL_WRITE) == 0)
		allowed = 0;
	if ((rights & STORAGE_ACL_SEEN) != 0)
		allowed |= STORAGE_FLAG_SEEN;
	if ((rights & STORAGE_ACL_DELMSG) != 0)
		allowed |= STORAGE_FLAG_DELETED;
	for (size_t i = 0; i < count; i++) {
		msgs[i].flags &= allowed;
		if ((rights & STORAGE_ACL_WRITE) == 0)
			buf_reset(&msgs[i].keywords);
	}
}

static int imap_append_store(struct imap_client_cmd *cmd, const struct storage_mailbox *mailbox,
			     struct imap_append_msg *msgs, size_t count)
{
	struct imap_session *session = cmd->session;
	const char *error = NULL;
	for (size_t i = 0; i < count; i++) {
		if (msgs[i].literal->len == 0) {
			imap_cmd_no(cmd, "empty message");
			return -1;
		}
		if (mime_message_parse((const unsigned char *)msgs[i].literal->str,
				       msgs[i].literal->len, &msgs[i].message, &error) != 0) {
			imap_cmd_no(cmd, "message cannot be parsed");
			return -1;
		}
	}
	struct storage_delivery *deliveries = xcalloc(count, sizeof(*deliveries));
	for (size_t i = 0; i < count; i++) {
		msgs[i].rcpt = (struct storage_delivery_rcpt){
			.user_id = mailbox->user_id, /* the owner's (shared mailboxes) */
			.mailbox = mailbox->name,
			.flags = msgs[i].flags,
			.enforce_quota = true,
		};
		deliveries[i] = (struct storage_delivery){
			.message = msgs[i].message,
			.internal_date = msgs[i].date,
			.rcpts = &msgs[i].rcpt,
			.rcpt_count = 1,
		};
	}
	enum storage_result ret = storage_deliver_many(imap_storage(session), deliveries, count,
						       &error);
	free(deliveries);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return -1;
	}
	return 0;
}

void imap_cmd_append(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count < 2) {
		imap_cmd_bad(cmd, "APPEND needs a mailbox, optional flags and date, and a literal");
		return;
	}
	/* at most one message per argument after the mailbox */
	struct imap_append_msg *msgs = xcalloc(cmd->arg_count, sizeof(*msgs));
	size_t count = 0;
	struct buf name, uids;
	buf_init(&name);
	buf_init(&uids);
	for (size_t i = 0; i < cmd->arg_count; i++)
		buf_init(&msgs[i].keywords);
	if (imap_append_parse(cmd, msgs, &count) < 0 ||
	    imap_session_arg_mailbox(cmd, &cmd->args[0], &name) < 0)
		goto out;
	struct imap_mailbox_access access;
	const char *error = NULL;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, STORAGE_ACL_INSERT, &access);
	if (access_status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, access_status, &access, true);
		goto out;
	}
	struct storage_mailbox mailbox = access.mailbox;
	imap_append_acl_flags(msgs, count, access.rights);
	if (imap_append_store(cmd, &mailbox, msgs, count) < 0)
		goto out;
	uint32_t *new_uids = xcalloc(count, sizeof(*new_uids));
	bool to_view = session->state == IMAP_STATE_SELECTED && session->mailbox.id == mailbox.id;
	for (size_t i = 0; i < count; i++) {
		new_uids[i] = msgs[i].rcpt.uid_r;
		if (msgs[i].keywords.len > 0) {
			uint32_t *modified = NULL;
			size_t modified_count = 0;
			/* the message is stored; a keyword failure is logged, not fatal */
			if (storage_mail_store_flags(imap_storage(session), mailbox.id,
						     &msgs[i].rcpt.uid_r, 1, STORAGE_FLAGS_ADD, 0,
						     (const char *)msgs[i].keywords.data, 0, NULL,
						     NULL, &modified, &modified_count,
						     &error) != STORAGE_OK)
				imap_reply(session, "* NO keywords could not be set");
			free(modified);
		}
		if (to_view)
			imap_append_to_view(session, msgs[i].rcpt.uid_r);
	}
	if (to_view)
		imap_reply(session, "* %zu EXISTS", session->mail_count);
	imap_view_changed(session, mailbox.id); /* other sessions: EXISTS */
	imap_append_uid_set(&uids, new_uids, count); /* uids are ascending */
	free(new_uids);
	/* no UIDs of a mailbox the user may not read (an i-only drop box) */
	if ((access.rights & STORAGE_ACL_READ) == 0)
		imap_cmd_ok(cmd, "APPEND completed");
	else
		imap_cmd_ok(cmd, "[APPENDUID %u %s] APPEND completed", mailbox.uidvalidity,
			    (const char *)uids.data);
out:
	for (size_t i = 0; i < cmd->arg_count; i++) {
		buf_free(&msgs[i].keywords);
		if (msgs[i].message != NULL)
			mime_message_free(&msgs[i].message);
	}
	free(msgs);
	buf_free(&name);
	buf_free(&uids);
}
