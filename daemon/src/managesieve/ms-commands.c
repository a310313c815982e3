/* ms-commands.c - the ManageSieve command table: each command's handler,
 * the states it is valid in and its argument counts; running one assembled
 * command through it; and the session-level commands CAPABILITY, LOGOUT,
 * NOOP and UNAUTHENTICATE (RFC 5804 2.4, 2.3, 2.13, 2.14).
 *
 * A handler is only called in a state its flags allow and with its
 * argument count checked; it then checks its arguments (each failed check
 * sends NO and returns), acts, and sends one reply. Never logs client text
 * unprintable, never logs AUTHENTICATE's arguments.
 */
#include "ms-session.h"
#include "connection.h"
#include "log.h"
#include "sieve.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* the states a command is valid in */
#define MS_CMD_NONAUTH 0x01 /* before login (RFC 5804 1.6) */
#define MS_CMD_AUTH    0x02 /* after login */
#define MS_CMD_ANY (MS_CMD_NONAUTH | MS_CMD_AUTH)

struct ms_command_def {
	const char *name;
	ms_cmd_fn *handler;
	unsigned flags;        /* MS_CMD_* */
	unsigned min_args;     /* arguments after the name the command needs */
	unsigned max_args;     /* ... and takes at most */
};

static const struct ms_command_def ms_commands[] = {
	{ "CAPABILITY", ms_cmd_capability, MS_CMD_ANY, 0, 0 },
	{ "LOGOUT", ms_cmd_logout, MS_CMD_ANY, 0, 0 },
	{ "NOOP", ms_cmd_noop, MS_CMD_ANY, 0, 1 },
	{ "STARTTLS", ms_cmd_starttls, MS_CMD_NONAUTH, 0, 0 },
	{ "AUTHENTICATE", ms_cmd_authenticate, MS_CMD_NONAUTH, 1, 2 },
	{ "UNAUTHENTICATE", ms_cmd_unauthenticate, MS_CMD_AUTH, 0, 0 },
	{ "HAVESPACE", ms_cmd_havespace, MS_CMD_AUTH, 2, 2 },
	{ "PUTSCRIPT", ms_cmd_putscript, MS_CMD_AUTH, 2, 2 },
	{ "CHECKSCRIPT", ms_cmd_checkscript, MS_CMD_AUTH, 1, 1 },
	{ "LISTSCRIPTS", ms_cmd_listscripts, MS_CMD_AUTH, 0, 0 },
	{ "SETACTIVE", ms_cmd_setactive, MS_CMD_AUTH, 1, 1 },
	{ "GETSCRIPT", ms_cmd_getscript, MS_CMD_AUTH, 1, 1 },
	{ "DELETESCRIPT", ms_cmd_deletescript, MS_CMD_AUTH, 1, 1 },
	{ "RENAMESCRIPT", ms_cmd_renamescript, MS_CMD_AUTH, 2, 2 },
};

static const struct ms_command_def *ms_command_find(const struct ms_arg *name)
{
	for (size_t n = 0; n < sizeof(ms_commands) / sizeof(ms_commands[0]); n++)
		if (strcasecmp(ms_commands[n].name, name->data) == 0)
			return &ms_commands[n];
	return NULL;
}

static void ms_command_error(struct ms_session *session, const char *error, const char *data,
			     size_t len)
{
	char printable[64];
	/* never a SASL response (base64 of a password) */
	if (len >= 12 && strncasecmp(data, "AUTHENTICATE", 12) == 0)
		len = 12;
	log_printable(data, len, printable, sizeof(printable));
	log_debug(session->core.sid, MS_PROTO, "bad_command", "error=\"%s\" line=\"%s\"", error,
		  printable);
	ms_reply(session, "NO", NULL, "%s", error);
	session->errors++;
}

void ms_command_run(struct ms_session *session, char *data, size_t len)
{
	if (session->state == MS_STATE_NONAUTH &&
	    ++session->preauth_commands > MANAGESIEVE_PREAUTH_COMMANDS_MAX) {
		log_info(session->core.sid, MS_PROTO, "preauth_limit", "commands=%u",
			 session->preauth_commands);
		ms_reply(session, "BYE", NULL, "Too many commands before login");
		ms_session_close(session, "preauth limit");
		return;
	}
	/* the log's copy before parsing unescapes in place */
	char head[64];
	size_t head_len = len < sizeof(head) ? len : sizeof(head);
	if (head_len > 0)
		memcpy(head, data, head_len);
	struct ms_args args;
	const char *error;
	if (ms_parse_tokens(data, len, &args, &error) < 0) {
		ms_command_error(session, error, head, head_len);
		return;
	}
	if (args.args[0].type != MS_ARG_ATOM) {
		ms_command_error(session, "expected a command name", head, head_len);
		return;
	}
	const struct ms_command_def *def = ms_command_find(&args.args[0]);
	if (def == NULL) {
		ms_command_error(session, "Unknown command", head, head_len);
		return;
	}
	unsigned need = session->state == MS_STATE_NONAUTH ? MS_CMD_NONAUTH :
			session->state == MS_STATE_AUTH ? MS_CMD_AUTH : 0;
	if ((def->flags & need) == 0) {
		ms_command_error(session, session->state == MS_STATE_NONAUTH ?
				 "Authenticate first" : "Command not valid in this state",
				 head, head_len);
		return;
	}
	unsigned count = args.count - 1;
	if (count < def->min_args || count > def->max_args) {
		ms_command_error(session, "Wrong number of arguments", head, head_len);
		return;
	}
	def->handler(session, &args);
	explicit_bzero(head, sizeof(head));
}

bool ms_arg_string(struct ms_session *session, const struct ms_arg *arg, const char *what)
{
	if (arg->type != MS_ARG_STRING) {
		ms_reply(session, "NO", NULL, "%s must be a string", what);
		session->errors++;
		return false;
	}
	if (memchr(arg->data, '\0', arg->len) != NULL) {
		ms_reply(session, "NO", NULL, "%s must not contain NUL", what);
		session->errors++;
		return false;
	}
	return true;
}

static void ms_capability(struct ms_session *session, const char *name, const char *value)
{
	ms_write_string(session, name, strlen(name));
	if (value != NULL) {
		ms_write(session, " ", 1);
		ms_write_string(session, value, strlen(value));
	}
	ms_write(session, "\r\n", 2);
}

void ms_send_capabilities(struct ms_session *session)
{
	char number[16];
	ms_capability(session, "IMPLEMENTATION", "Tandem");
	/* no mechanism where a password could not be sent anyway */
	ms_capability(session, "SASL", session->plaintext_ok ? "PLAIN LOGIN" : "");
	ms_capability(session, "SIEVE", sieve_extensions());
	if (session->core.conn != NULL && net_conn_can_starttls(session->core.conn))
		ms_capability(session, "STARTTLS", NULL);
	snprintf(number, sizeof(number), "%d", MANAGESIEVE_MAXREDIRECTS);
	ms_capability(session, "MAXREDIRECTS", number);
	if (session->state == MS_STATE_AUTH)
		ms_capability(session, "OWNER", session->user);
	ms_capability(session, "UNAUTHENTICATE", NULL);
	ms_capability(session, "VERSION", "1.0");
	ms_reply(session, "OK", NULL, "Tandem ManageSieve ready");
}

void ms_cmd_capability(struct ms_session *session, const struct ms_args *args)
{
	(void)args;
	ms_send_capabilities(session);
}

void ms_cmd_logout(struct ms_session *session, const struct ms_args *args)
{
	(void)args;
	ms_enter_state(session, MS_STATE_LOGOUT);
	ms_reply(session, "OK", NULL, "Logout completed");
	ms_session_close(session, "logout");
}

void ms_cmd_noop(struct ms_session *session, const struct ms_args *args)
{
	if (args->count == 1) {
		ms_reply(session, "OK", NULL, "Done");
		return;
	}
	if (!ms_arg_string(session, &args->args[1], "the tag"))
		return;
	/* RFC 5804 2.13: OK (TAG <string>) "Done" */
	ms_write(session, "OK (TAG ", 8);
	ms_write_string(session, args->args[1].data, args->args[1].len);
	ms_write(session, ") \"Done\"\r\n", 10);
}

void ms_cmd_unauthenticate(struct ms_session *session, const struct ms_args *args)
{
	(void)args;
	log_info(session->core.sid, MS_PROTO, "unauthenticate", "user=%s", session->user);
	session->user_id = 0;
	session->user[0] = '\0';
	session->preauth_commands = 0;
	ms_enter_state(session, MS_STATE_NONAUTH);
	ms_reply(session, "OK", NULL, "Unauthenticate completed");
}
