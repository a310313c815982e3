/* pop3-cmd-mail.c - the TRANSACTION state's maildrop commands (RFC 1939
 * 5, 7): STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP.
 *
 * They work on the snapshot taken at login; a message another session
 * expunged meanwhile answers -ERR when read. UIDL is
 * "<uidvalidity>.<uid>" of INBOX: both live in the database, so it stays
 * the same across restarts and failover. Never changes the storage (DELE
 * only marks; QUIT commits).
 */
#include "pop3-session.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The message numbered by arg, not marked deleted; NULL after -ERR. */
static struct pop3_mail *pop3_mail_arg(struct pop3_session *session, const char *arg)
{
	uint32_t msgno;
	if (pop3_parse_msgno(arg, session->mail_count > UINT32_MAX ? UINT32_MAX :
				  (uint32_t)session->mail_count, &msgno) < 0) {
		pop3_err(session, "no such message");
		return NULL;
	}
	struct pop3_mail *m = &session->mails[msgno - 1];
	if (m->deleted) {
		pop3_err(session, "message %" PRIu32 " already deleted", msgno);
		return NULL;
	}
	return m;
}

void pop3_cmd_stat(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	size_t count = 0;
	int64_t bytes = 0;
	for (size_t n = 0; n < session->mail_count; n++) {
		if (!session->mails[n].deleted) {
			count++;
			bytes += session->mails[n].size;
		}
	}
	pop3_ok(session, "%zu %lld", count, (long long)bytes);
}

/* LIST and UIDL: one message's line, or every message's then ".". */
static void pop3_cmd_listing(struct pop3_session *session, const struct pop3_command *cmd,
			     bool uidl)
{
	char line[96];
	if (cmd->arg_count == 1) {
		struct pop3_mail *m = pop3_mail_arg(session, cmd->args[0]);
		if (m == NULL)
			return;
		size_t msgno = (size_t)(m - session->mails) + 1;
		if (uidl)
			pop3_ok(session, "%zu %" PRIu32 ".%" PRIu32, msgno, session->uidvalidity,
				m->uid);
		else
			pop3_ok(session, "%zu %lld", msgno, (long long)m->size);
		return;
	}
	struct buf out;
	buf_init(&out);
	buf_append_str(&out, uidl ? "+OK unique-id listing follows\r\n" : "+OK scan listing follows\r\n");
	for (size_t n = 0; n < session->mail_count; n++) {
		const struct pop3_mail *m = &session->mails[n];
		if (m->deleted)
			continue;
		int len = uidl ? snprintf(line, sizeof(line), "%zu %" PRIu32 ".%" PRIu32 "\r\n", n + 1,
					  session->uidvalidity, m->uid) :
				 snprintf(line, sizeof(line), "%zu %lld\r\n", n + 1,
					  (long long)m->size);
		buf_append(&out, line, (size_t)len);
	}
	buf_append(&out, ".\r\n", 3);
	pop3_write(session, out.data, out.len);
	buf_free(&out);
}

void pop3_cmd_list(struct pop3_session *session, const struct pop3_command *cmd)
{
	pop3_cmd_listing(session, cmd, false);
}

void pop3_cmd_uidl(struct pop3_session *session, const struct pop3_command *cmd)
{
	pop3_cmd_listing(session, cmd, true);
}

/* RETR (body_lines < 0) and TOP. */
static void pop3_send_message(struct pop3_session *session, struct pop3_mail *m,
			      long long body_lines)
{
	unsigned char *data = NULL;
	size_t size = 0;
	const char *error = NULL;
	enum storage_result ret = storage_mail_read(net_session_core_storage(&session->core), session->mailbox_id,
						    m->uid, &data, &size, &error);
	if (ret == STORAGE_ERR_NOTFOUND) {
		pop3_err(session, "message was removed by another session");
		return;
	}
	if (ret != STORAGE_OK) {
		log_warning(session->core.sid, "pop3", "read_failed", "uid=%" PRIu32 " result=%s error=\"%s\"",
			    m->uid, storage_result_str(ret), error != NULL ? error : "");
		pop3_err(session, "[SYS/TEMP] cannot read the message, try again later");
		return;
	}
	struct buf out;
	buf_init(&out);
	buf_printf(&out, "+OK %lld octets\r\n", (long long)m->size);
	pop3_message_append(&out, data, size, body_lines);
	free(data);
	pop3_write(session, out.data, out.len);
	buf_free(&out);
	if (body_lines < 0)
		m->retrieved = true; /* TOP is a peek */
}

void pop3_cmd_retr(struct pop3_session *session, const struct pop3_command *cmd)
{
	struct pop3_mail *m = pop3_mail_arg(session, cmd->args[0]);
	if (m != NULL)
		pop3_send_message(session, m, -1);
}

void pop3_cmd_top(struct pop3_session *session, const struct pop3_command *cmd)
{
	uint32_t lines;
	struct pop3_mail *m = pop3_mail_arg(session, cmd->args[0]);
	if (m == NULL)
		return;
	if (pop3_parse_lines(cmd->args[1], &lines) < 0) {
		pop3_err(session, "the line count must be a number");
		return;
	}
	pop3_send_message(session, m, (long long)lines);
}

void pop3_cmd_dele(struct pop3_session *session, const struct pop3_command *cmd)
{
	struct pop3_mail *m = pop3_mail_arg(session, cmd->args[0]);
	if (m == NULL)
		return;
	m->deleted = true;
	pop3_ok(session, "message %zu deleted", (size_t)(m - session->mails) + 1);
}

void pop3_cmd_rset(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	int64_t bytes = 0;
	for (size_t n = 0; n < session->mail_count; n++) {
		session->mails[n].deleted = false;
		bytes += session->mails[n].size;
	}
	pop3_ok(session, "maildrop has %zu messages (%lld octets)", session->mail_count,
		(long long)bytes);
}

void pop3_cmd_noop(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	pop3_write(session, "+OK\r\n", 5);
}
