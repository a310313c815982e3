/* pop3-commands.c - the POP3 command table: each command's handler and
 * the states it is valid in, and running one command line through it.
 *
 * A handler is only called in a state its flags allow and with its
 * argument count checked; it then checks its arguments (each failed check
 * sends -ERR and returns), acts, and sends one reply. Never logs client
 * text unprintable, never logs PASS's argument.
 */
#include "pop3-session.h"
#include "log.h"

#include <string.h>
#include <strings.h>

/* the states a command is valid in */
#define POP3_CMD_AUTHORIZATION 0x01 /* before login (RFC 1939 4) */
#define POP3_CMD_TRANSACTION   0x02 /* after login (RFC 1939 5) */
#define POP3_CMD_ANY (POP3_CMD_AUTHORIZATION | POP3_CMD_TRANSACTION)

struct pop3_command_def {
	const char *name;
	pop3_cmd_fn *handler;
	unsigned flags;        /* POP3_CMD_* */
	unsigned min_args;     /* arguments the command needs */
	unsigned max_args;     /* ... and takes at most */
};

static const struct pop3_command_def pop3_commands[] = {
	{ "CAPA", pop3_cmd_capa, POP3_CMD_ANY, 0, 0 },
	{ "QUIT", pop3_cmd_quit, POP3_CMD_ANY, 0, 0 },
	{ "USER", pop3_cmd_user, POP3_CMD_AUTHORIZATION, 1, 1 },
	{ "PASS", pop3_cmd_pass, POP3_CMD_AUTHORIZATION, 1, 1 },
	{ "AUTH", pop3_cmd_auth, POP3_CMD_AUTHORIZATION, 0, 2 },
	{ "STLS", pop3_cmd_stls, POP3_CMD_AUTHORIZATION, 0, 0 },
	{ "STAT", pop3_cmd_stat, POP3_CMD_TRANSACTION, 0, 0 },
	{ "LIST", pop3_cmd_list, POP3_CMD_TRANSACTION, 0, 1 },
	{ "UIDL", pop3_cmd_uidl, POP3_CMD_TRANSACTION, 0, 1 },
	{ "RETR", pop3_cmd_retr, POP3_CMD_TRANSACTION, 1, 1 },
	{ "TOP", pop3_cmd_top, POP3_CMD_TRANSACTION, 2, 2 },
	{ "DELE", pop3_cmd_dele, POP3_CMD_TRANSACTION, 1, 1 },
	{ "RSET", pop3_cmd_rset, POP3_CMD_TRANSACTION, 0, 0 },
	{ "NOOP", pop3_cmd_noop, POP3_CMD_TRANSACTION, 0, 0 },
};

static const struct pop3_command_def *pop3_command_find(const char *name)
{
	for (size_t n = 0; n < sizeof(pop3_commands) / sizeof(pop3_commands[0]); n++)
		if (strcmp(pop3_commands[n].name, name) == 0)
			return &pop3_commands[n];
	return NULL;
}

static void pop3_command_error(struct pop3_session *session, const char *error,
			       const char *line, size_t len)
{
	char printable[64];
	/* never a password, nor a SASL response (base64 of one) */
	if (len >= 5 && (strncasecmp(line, "PASS ", 5) == 0 || strncasecmp(line, "AUTH ", 5) == 0))
		len = 4;
	log_printable(line, len, printable, sizeof(printable));
	log_debug(session->core.sid, "pop3", "bad_command", "error=\"%s\" line=\"%s\"", error,
		  printable);
	pop3_err(session, "%s", error);
	session->errors++;
}

void pop3_command_run(struct pop3_session *session, const char *line, size_t len)
{
	if (session->state == POP3_STATE_AUTHORIZATION &&
	    ++session->preauth_commands > POP3_PREAUTH_COMMANDS_MAX) {
		log_info(session->core.sid, "pop3", "preauth_limit", "commands=%u",
			 session->preauth_commands);
		pop3_err(session, "too many commands before login");
		pop3_session_close(session, "preauth limit");
		return;
	}
	struct pop3_command cmd;
	const char *error;
	if (pop3_command_parse(line, len, &cmd, &error) < 0) {
		pop3_command_error(session, error, line, len);
		return;
	}
	const struct pop3_command_def *def = pop3_command_find(cmd.name);
	if (def == NULL) {
		pop3_command_error(session, "unknown command", line, len);
		return;
	}
	unsigned need = session->state == POP3_STATE_AUTHORIZATION ? POP3_CMD_AUTHORIZATION :
			session->state == POP3_STATE_TRANSACTION ? POP3_CMD_TRANSACTION : 0;
	if ((def->flags & need) == 0) {
		pop3_command_error(session, session->state == POP3_STATE_AUTHORIZATION ?
				   "not logged in" : "command not valid in this state",
				   line, len);
		return;
	}
	if (cmd.arg_count < def->min_args || cmd.arg_count > def->max_args) {
		pop3_command_error(session, "wrong number of arguments", line, len);
		return;
	}
	def->handler(session, &cmd);
	explicit_bzero(cmd.argbuf, sizeof(cmd.argbuf));
}
