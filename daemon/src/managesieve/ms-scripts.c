/* ms-scripts.c - the AUTH state's script commands (RFC 5804 2.5-2.12):
 * HAVESPACE, PUTSCRIPT, CHECKSCRIPT, LISTSCRIPTS, SETACTIVE, GETSCRIPT,
 * DELETESCRIPT, RENAMESCRIPT, on the worker's storage connection.
 *
 * A script is compiled (sieve_compile) before it is stored: a script that
 * does not compile is refused with the compiler's "line N: ..." and never
 * stored. The size and count limits are checked before storing. Storage
 * trouble is NO (TRYLATER) for the client and the detail for the log.
 * Never stores or returns another user's script.
 */
#include "ms-session.h"
#include "log.h"
#include "sieve.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reply NO for a failed storage call (code for NOTFOUND / EXISTS as the
 * command means them). */
static void ms_storage_failed(struct ms_session *session, const char *op,
			      enum storage_result result, const char *error,
			      const char *exists_code, const char *exists_text)
{
	switch (result) {
	case STORAGE_ERR_NOTFOUND:
		ms_reply(session, "NO", "NONEXISTENT", "There is no script by that name");
		return;
	case STORAGE_ERR_EXISTS:
		ms_reply(session, "NO", exists_code, "%s", exists_text);
		return;
	case STORAGE_ERR_INVALID:
		ms_reply(session, "NO", NULL, "%s", error);
		return;
	default:
		log_warning(session->core.sid, MS_PROTO, "storage_error", "op=%s user=%s error=\"%s\"",
			    op, session->user, error);
		ms_reply(session, "NO", "TRYLATER", "Temporary storage failure, try again later");
		return;
	}
}

/* How many scripts the user has and whether name is one of them. */
struct ms_usage {
	const char *name;
	size_t count;
	bool exists;
};

static void ms_usage_cb(const struct storage_sieve_script *script, void *context)
{
	struct ms_usage *usage = context;
	usage->count++;
	if (usage->name != NULL && strcmp(script->name, usage->name) == 0)
		usage->exists = true;
}

/* Whether a script name of size bytes may be stored: replies NO (QUOTA/...)
 * or NO (TRYLATER) and returns false when not. */
static bool ms_space_check(struct ms_session *session, const char *name, uint64_t size)
{
	const struct managesieve_settings *set = &session->service->set;
	if (size > set->max_script_size) {
		ms_reply(session, "NO", "QUOTA/MAXSIZE", "Script is bigger than %zu bytes",
			 set->max_script_size);
		return false;
	}
	struct ms_usage usage = { .name = name };
	const char *error;
	enum storage_result result = storage_sieve_list(net_session_core_storage(&session->core), session->user_id,
						       ms_usage_cb, &usage, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "list", result, error, NULL, "");
		return false;
	}
	if (!usage.exists && usage.count >= set->max_scripts) {
		ms_reply(session, "NO", "QUOTA/MAXSCRIPTS", "No more than %u scripts",
			 set->max_scripts);
		return false;
	}
	return true;
}

/* Compile text: true, or NO with the compiler's error and false. */
static bool ms_script_compiles(struct ms_session *session, const char *text, size_t len)
{
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	if (sieve_compile(text, len, &script, error) < 0) {
		char printable[SIEVE_ERROR_MAX];
		log_printable(error, strnlen(error, sizeof(error)), printable, sizeof(printable));
		log_info(session->core.sid, MS_PROTO, "script_invalid", "user=%s error=\"%s\"",
			 session->user, printable);
		ms_reply(session, "NO", NULL, "%s", error);
		return false;
	}
	sieve_script_free(&script);
	return true;
}

void ms_cmd_havespace(struct ms_session *session, const struct ms_args *args)
{
	uint64_t size;
	if (!ms_arg_string(session, &args->args[1], "the script name"))
		return;
	if (ms_parse_number(&args->args[2], &size) < 0) {
		ms_reply(session, "NO", NULL, "The size must be a number");
		session->errors++;
		return;
	}
	if (ms_space_check(session, args->args[1].data, size))
		ms_reply(session, "OK", NULL, "Putscript would succeed");
}

void ms_cmd_putscript(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *name = &args->args[1], *text = &args->args[2];
	if (!ms_arg_string(session, name, "the script name") ||
	    !ms_arg_string(session, text, "the script"))
		return;
	if (!ms_space_check(session, name->data, text->len) ||
	    !ms_script_compiles(session, text->data, text->len))
		return;
	const char *error;
	enum storage_result result = storage_sieve_put(net_session_core_storage(&session->core), session->user_id,
						      name->data, text->data, text->len, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "put", result, error, NULL, "");
		return;
	}
	log_info(session->core.sid, MS_PROTO, "putscript", "user=%s size=%zu", session->user,
		 text->len);
	ms_reply(session, "OK", NULL, "Script stored");
}

void ms_cmd_checkscript(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *text = &args->args[1];
	if (!ms_arg_string(session, text, "the script"))
		return;
	if (text->len > session->service->set.max_script_size) {
		ms_reply(session, "NO", "QUOTA/MAXSIZE", "Script is bigger than %zu bytes",
			 session->service->set.max_script_size);
		return;
	}
	if (ms_script_compiles(session, text->data, text->len))
		ms_reply(session, "OK", NULL, "Script is valid");
}

static void ms_list_cb(const struct storage_sieve_script *script, void *context)
{
	struct ms_session *session = context;
	ms_write_string(session, script->name, strlen(script->name));
	if (script->active)
		ms_write(session, " ACTIVE", 7);
	ms_write(session, "\r\n", 2);
}

void ms_cmd_listscripts(struct ms_session *session, const struct ms_args *args)
{
	(void)args;
	const char *error;
	/* a failure after some lines: the NO still ends the response */
	enum storage_result result = storage_sieve_list(net_session_core_storage(&session->core), session->user_id,
						       ms_list_cb, session, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "list", result, error, NULL, "");
		return;
	}
	ms_reply(session, "OK", NULL, "Listscripts completed");
}

void ms_cmd_setactive(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *name = &args->args[1];
	if (!ms_arg_string(session, name, "the script name"))
		return;
	const char *error;
	/* "" deactivates (RFC 5804 2.8) */
	enum storage_result result = storage_sieve_activate(net_session_core_storage(&session->core), session->user_id,
							   name->data, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "activate", result, error, NULL, "");
		return;
	}
	log_info(session->core.sid, MS_PROTO, "setactive", "user=%s active=%s", session->user,
		 name->len == 0 ? "none" : "yes");
	ms_reply(session, "OK", NULL, name->len == 0 ? "No script is active" :
		 "Script is active");
}

void ms_cmd_getscript(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *name = &args->args[1];
	if (!ms_arg_string(session, name, "the script name"))
		return;
	char *text = NULL;
	size_t len = 0;
	bool active;
	const char *error;
	enum storage_result result = storage_sieve_get(net_session_core_storage(&session->core), session->user_id,
						      name->data, &text, &len, &active, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "get", result, error, NULL, "");
		return;
	}
	/* always a literal: a script has lines (RFC 5804 2.9) */
	char head[32];
	int n = snprintf(head, sizeof(head), "{%zu}\r\n", len);
	ms_write(session, head, (size_t)n);
	ms_write(session, text, len);
	ms_write(session, "\r\n", 2);
	free(text);
	ms_reply(session, "OK", NULL, "Getscript completed");
}

void ms_cmd_deletescript(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *name = &args->args[1];
	if (!ms_arg_string(session, name, "the script name"))
		return;
	const char *error;
	enum storage_result result = storage_sieve_delete(net_session_core_storage(&session->core), session->user_id,
							 name->data, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "delete", result, error, "ACTIVE",
				  "The active script cannot be deleted");
		return;
	}
	log_info(session->core.sid, MS_PROTO, "deletescript", "user=%s", session->user);
	ms_reply(session, "OK", NULL, "Script deleted");
}

void ms_cmd_renamescript(struct ms_session *session, const struct ms_args *args)
{
	const struct ms_arg *old_name = &args->args[1], *new_name = &args->args[2];
	if (!ms_arg_string(session, old_name, "the old script name") ||
	    !ms_arg_string(session, new_name, "the new script name"))
		return;
	const char *error;
	enum storage_result result = storage_sieve_rename(net_session_core_storage(&session->core), session->user_id,
							 old_name->data, new_name->data, &error);
	if (result != STORAGE_OK) {
		ms_storage_failed(session, "rename", result, error, "ALREADYEXISTS",
				  "A script by the new name exists");
		return;
	}
	log_info(session->core.sid, MS_PROTO, "renamescript", "user=%s", session->user);
	ms_reply(session, "OK", NULL, "Script renamed");
}
