/* pop3-cmd-misc.c - CAPA (RFC 2449 5) and QUIT (RFC 1939 4, 6) in every
 * state.
 *
 * CAPA lists only what is done and tested: USER and SASL only where a
 * plaintext password would be accepted, STLS only while it can be done.
 * QUIT in TRANSACTION enters UPDATE and commits the deletions; QUIT
 * anywhere else deletes nothing.
 */
#include "pop3-session.h"
#include "buf.h"
#include "connection.h"

void pop3_cmd_capa(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	struct buf out;
	buf_init(&out);
	buf_append_str(&out, "+OK Capability list follows\r\n"
			     "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
	if (session->state == POP3_STATE_AUTHORIZATION) {
		if (session->plaintext_ok)
			buf_append_str(&out, "USER\r\nSASL PLAIN LOGIN\r\n");
		if (session->core.conn != NULL && net_conn_can_starttls(session->core.conn))
			buf_append_str(&out, "STLS\r\n");
	}
	buf_append_str(&out, "IMPLEMENTATION Tandem\r\n.\r\n");
	pop3_write(session, out.data, out.len);
	buf_free(&out);
}

void pop3_cmd_quit(struct pop3_session *session, const struct pop3_command *cmd)
{
	(void)cmd;
	if (session->state != POP3_STATE_TRANSACTION) {
		pop3_ok(session, "tandem POP3 signing off");
		pop3_session_close(session, "quit");
		return;
	}
	pop3_enter_state(session, POP3_STATE_UPDATE);
	if (pop3_maildrop_commit(session) < 0)
		pop3_err(session, "[SYS/TEMP] some deleted messages not removed");
	else
		pop3_ok(session, "tandem POP3 signing off");
	pop3_session_close(session, "quit");
}
