/* lmtp-commands.c - the LMTP command table and one handler per command.
 *
 * A handler first checks (each failed check sends its error reply and
 * returns), then acts, then sends exactly one reply. The dispatcher has
 * already checked the state and the presence of arguments from the table's
 * flags. RCPT lives in lmtp-rcpt.c. Never blocks except on the worker's
 * own database connection; never logs client text unmade-printable.
 */
#include "lmtp-session.h"
#include "connection.h"
#include "log.h"
#include "worker.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define LMTP_PROTO "lmtp"
/* Most memory reserved ahead for a message from its declared SIZE. */
#define LMTP_DATA_PREALLOC_MAX (1024 * 1024)

/* Command flags. */
enum {
	LMTP_CMD_IN_GREETED = 1 << 0, /* allowed before LHLO */
	LMTP_CMD_IN_READY = 1 << 1,   /* allowed after LHLO, outside a transaction */
	LMTP_CMD_IN_MAIL = 1 << 2,    /* allowed after MAIL, before any recipient */
	LMTP_CMD_IN_RCPT = 1 << 3,    /* allowed once a recipient was accepted */
	LMTP_CMD_ARGS = 1 << 4,       /* needs arguments: 501 without */
	LMTP_CMD_NO_ARGS = 1 << 5,    /* takes no arguments: 501 with */
	LMTP_CMD_IS_ERROR = 1 << 6,   /* the command itself is a client error (counts) */
};
/* every state in which commands are read */
#define LMTP_CMD_ANY_STATE (LMTP_CMD_IN_GREETED | LMTP_CMD_IN_READY | LMTP_CMD_IN_MAIL | \
			    LMTP_CMD_IN_RCPT)
/* every state after LHLO */
#define LMTP_CMD_AFTER_LHLO (LMTP_CMD_IN_READY | LMTP_CMD_IN_MAIL | LMTP_CMD_IN_RCPT)

typedef void lmtp_command_fn(struct lmtp_session *session, const char *args, size_t args_len);

struct lmtp_command_def {
	const char *name;
	lmtp_command_fn *handler;
	unsigned flags;
};

static void lmtp_reply_syntax(struct lmtp_session *session, const char *error)
{
	lmtp_reply_error(session, "501 5.5.4 %s", error);
}

/* ---- LHLO ---- */
static void cmd_lhlo(struct lmtp_session *session, const char *args, size_t args_len)
{
	const char *error;
	if (lmtp_parse_lhlo(args, args_len, &error) < 0) {
		lmtp_reply_syntax(session, error);
		return;
	}
	/* LHLO resets any transaction (RFC 5321 4.1.4) */
	lmtp_session_reset_transaction(session);
	lmtp_enter_state(session, LMTP_STATE_READY);
	const struct lmtp_service *service = session->service;
	lmtp_reply(session, "250-%s", service->hostname);
	lmtp_reply(session, "250-PIPELINING");
	if (session->conn != NULL && net_conn_can_starttls(session->conn))
		lmtp_reply(session, "250-STARTTLS");
	lmtp_reply(session, "250-ENHANCEDSTATUSCODES");
	lmtp_reply(session, "250-8BITMIME");
	lmtp_reply(session, "250 SIZE %llu", (unsigned long long)service->set.max_message_size);
}

/* ---- STARTTLS (RFC 3207) ---- */
static void cmd_starttls(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	if (net_conn_is_tls(session->conn)) {
		lmtp_reply_error(session, "503 5.5.1 TLS already active");
		return;
	}
	if (!net_conn_can_starttls(session->conn)) {
		lmtp_reply(session, "454 4.7.0 TLS not available");
		return;
	}
	lmtp_reply(session, "220 2.0.0 Ready to start TLS");
	const char *error;
	if (net_conn_starttls(session->conn, &error) < 0) {
		log_info(session->sid, LMTP_PROTO, "starttls_failed", "error=\"%s\"", error);
		lmtp_session_close(session, "starttls failed");
		return;
	}
	/* RFC 3207 4.2: forget what the client said before; LHLO again.
	 * Anything it pipelined in plaintext was discarded by the net layer. */
	lmtp_session_reset_transaction(session);
	lmtp_enter_state(session, LMTP_STATE_GREETED);
}

/* ---- HELO / EHLO ---- */
static void cmd_helo(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	lmtp_reply(session, "500 5.5.1 this is LMTP: use LHLO");
}

/* ---- MAIL ---- */
static void cmd_mail(struct lmtp_session *session, const char *args, size_t args_len)
{
	struct lmtp_mail_args mail;
	const char *error;
	switch (lmtp_parse_mail(args, args_len, &mail, &error)) {
	case LMTP_PARSE_OK:
		break;
	case LMTP_PARSE_UNSUPPORTED:
		lmtp_reply_error(session, "555 5.5.4 %s", error);
		return;
	default:
		lmtp_reply_syntax(session, error);
		return;
	}
	uint64_t max = session->service->set.max_message_size;
	if (mail.has_size && mail.size > max) {
		lmtp_reply(session, "552 5.3.4 message size exceeds fixed maximum message size (%llu)",
			   (unsigned long long)max);
		return;
	}

	session->null_sender = mail.sender.null;
	memcpy(session->sender, mail.sender.address, sizeof(session->sender));
	session->has_size = mail.has_size;
	session->declared_size = mail.size;
	lmtp_enter_state(session, LMTP_STATE_MAIL);
	if (mail.has_size)
		log_debug(session->sid, LMTP_PROTO, "mail", "from=<%s> size=%llu", session->sender,
			  (unsigned long long)mail.size);
	else
		log_debug(session->sid, LMTP_PROTO, "mail", "from=<%s>", session->sender);
	lmtp_reply(session, "250 2.1.0 <%s> sender ok", session->sender);
}

/* ---- DATA ---- */
static void cmd_data(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	uint64_t max = session->service->set.max_message_size;
	buf_reset(&session->message);
	/* trust the declared SIZE only so far: the buffer grows with what
	 * really arrives */
	if (session->has_size) {
		uint64_t want = session->declared_size < max ? session->declared_size : max;
		buf_reserve(&session->message,
			    (size_t)(want < LMTP_DATA_PREALLOC_MAX ? want : LMTP_DATA_PREALLOC_MAX));
	}
	lmtp_data_reader_init(&session->data, &session->message, max);
	lmtp_enter_state(session, LMTP_STATE_DATA);
	lmtp_reply(session, "354 go ahead, end with <CRLF>.<CRLF>");
}

/* ---- RSET, NOOP, QUIT, VRFY ---- */
static void cmd_rset(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	lmtp_session_reset_transaction(session);
	if (session->state != LMTP_STATE_GREETED)
		lmtp_enter_state(session, LMTP_STATE_READY);
	lmtp_reply(session, "250 2.0.0 OK");
}

static void cmd_noop(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	lmtp_reply(session, "250 2.0.0 OK");
}

static void cmd_quit(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	lmtp_reply(session, "221 2.0.0 %s closing connection", session->service->hostname);
	lmtp_session_close(session, "quit");
}

static void cmd_vrfy(struct lmtp_session *session, const char *args, size_t args_len)
{
	(void)args;
	(void)args_len;
	lmtp_reply(session, "252 2.5.0 cannot VRFY user, but will accept message and attempt delivery");
}

static const struct lmtp_command_def lmtp_commands[] = {
	{ "LHLO", cmd_lhlo, LMTP_CMD_ANY_STATE | LMTP_CMD_ARGS },
	{ "MAIL", cmd_mail, LMTP_CMD_IN_READY | LMTP_CMD_ARGS },
	{ "RCPT", lmtp_cmd_rcpt, LMTP_CMD_IN_MAIL | LMTP_CMD_IN_RCPT | LMTP_CMD_ARGS },
	{ "DATA", cmd_data, LMTP_CMD_IN_RCPT | LMTP_CMD_NO_ARGS },
	{ "RSET", cmd_rset, LMTP_CMD_ANY_STATE | LMTP_CMD_NO_ARGS },
	{ "NOOP", cmd_noop, LMTP_CMD_ANY_STATE }, /* an argument is allowed and ignored */
	{ "QUIT", cmd_quit, LMTP_CMD_ANY_STATE | LMTP_CMD_NO_ARGS },
	{ "VRFY", cmd_vrfy, LMTP_CMD_ANY_STATE | LMTP_CMD_ARGS },
	/* outside a transaction only, like RFC 3207 asks of SMTP */
	{ "STARTTLS", cmd_starttls, LMTP_CMD_IN_GREETED | LMTP_CMD_IN_READY | LMTP_CMD_NO_ARGS },
	{ "HELO", cmd_helo, LMTP_CMD_ANY_STATE | LMTP_CMD_IS_ERROR },
	{ "EHLO", cmd_helo, LMTP_CMD_ANY_STATE | LMTP_CMD_IS_ERROR },
};

static const struct lmtp_command_def *lmtp_command_find(const char *verb)
{
	for (size_t i = 0; i < sizeof(lmtp_commands) / sizeof(lmtp_commands[0]); i++)
		if (strcmp(lmtp_commands[i].name, verb) == 0)
			return &lmtp_commands[i];
	return NULL;
}

static unsigned lmtp_state_flag(enum lmtp_state state)
{
	switch (state) {
	case LMTP_STATE_GREETED: return LMTP_CMD_IN_GREETED;
	case LMTP_STATE_READY: return LMTP_CMD_IN_READY;
	case LMTP_STATE_MAIL: return LMTP_CMD_IN_MAIL;
	case LMTP_STATE_RCPT: return LMTP_CMD_IN_RCPT;
	default: return 0;
	}
}

/* Why a command is out of sequence, for the 503 text. */
static const char *lmtp_sequence_hint(const struct lmtp_command_def *cmd, enum lmtp_state state)
{
	if (state == LMTP_STATE_GREETED)
		return "send LHLO first";
	if (cmd->handler == cmd_mail)
		return "MAIL already given";
	if (state == LMTP_STATE_READY)
		return "send MAIL first";
	if (cmd->handler == cmd_data)
		return "no valid recipients";
	return "bad sequence of commands";
}

void lmtp_command_run(struct lmtp_session *session, const char *line, size_t len)
{
	struct lmtp_command cmd;
	const char *error;
	enum lmtp_parse_result res = lmtp_parse_command(line, len, &cmd, &error);
	const struct lmtp_command_def *def = res == LMTP_PARSE_UNKNOWN ? NULL :
					     lmtp_command_find(cmd.verb);
	if (def == NULL) {
		char safe[64];
		log_debug(session->sid, LMTP_PROTO, "unknown_command", "line=\"%s\"",
			  log_printable(line, len, safe, sizeof(safe)));
		lmtp_reply_error(session, "500 5.5.1 unknown command");
		return;
	}
	if (res != LMTP_PARSE_OK) {
		lmtp_reply_syntax(session, error);
		return;
	}
	if ((def->flags & lmtp_state_flag(session->state)) == 0) {
		lmtp_reply_error(session, "503 5.5.1 %s", lmtp_sequence_hint(def, session->state));
		return;
	}
	if ((def->flags & LMTP_CMD_ARGS) != 0 && cmd.args_len == 0) {
		lmtp_reply_syntax(session, "argument required");
		return;
	}
	if ((def->flags & LMTP_CMD_NO_ARGS) != 0 && cmd.args_len != 0) {
		lmtp_reply_syntax(session, "no arguments allowed");
		return;
	}
	if ((def->flags & LMTP_CMD_IS_ERROR) != 0)
		session->errors++;
	def->handler(session, cmd.args, cmd.args_len);
}
