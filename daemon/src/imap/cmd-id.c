/* cmd-id.c - ID (RFC 2971): the client tells its name and version, the
 * server answers with its own. Valid in every state. The client's list is
 * checked against the RFC's limits (30 pairs, field names up to 30 bytes,
 * values up to 1024) and only its "name" and "version" are logged, made
 * printable. Never stores what the client sent; never reveals more than the
 * product name and version.
 */
#include "imap-commands.h"
#include "log.h"

#include <strings.h>

#ifndef TANDEM_VERSION
#define TANDEM_VERSION "0.1.0"
#endif

/* RFC 2971 3.3: at most 30 field-value pairs. */
#define IMAP_ID_PAIRS_MAX 30
/* Longest field name, bytes. */
#define IMAP_ID_FIELD_MAX 30
/* Longest value, bytes. */
#define IMAP_ID_VALUE_MAX 1024

/* arg as printable text for a quoted log value: no quotes or backslashes. */
static void imap_id_printable(const struct imap_arg *arg, char *out, size_t outsize)
{
	log_printable(arg->str, arg->len, out, outsize);
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			*p = '?';
	}
}

/* Check the ID parameter list; *name_r / *version_r point at the client's
 * values (or stay NULL). NULL on success, else the BAD text. */
static const char *imap_id_check(const struct imap_arg *arg, const struct imap_arg **name_r,
				 const struct imap_arg **version_r)
{
	*name_r = *version_r = NULL;
	if (arg->type == IMAP_ARG_NIL)
		return NULL;
	if (arg->type != IMAP_ARG_LIST)
		return "ID needs NIL or a list of field-value pairs";
	if (arg->list_count % 2 != 0)
		return "ID list must hold field-value pairs";
	if (arg->list_count / 2 > IMAP_ID_PAIRS_MAX)
		return "ID list has too many pairs";
	for (size_t i = 0; i < arg->list_count; i += 2) {
		const struct imap_arg *field = &arg->list[i], *value = &arg->list[i + 1];
		if (!imap_arg_is_string(field))
			return "ID field name must be a string";
		if (field->len > IMAP_ID_FIELD_MAX)
			return "ID field name too long";
		if (value->type != IMAP_ARG_NIL && !imap_arg_is_string(value))
			return "ID value must be a string or NIL";
		if (value->type != IMAP_ARG_NIL && value->len > IMAP_ID_VALUE_MAX)
			return "ID value too long";
		for (size_t k = 0; k < i; k += 2) {
			if (arg->list[k].len == field->len &&
			    strcasecmp(arg->list[k].str, field->str) == 0)
				return "ID field name repeated";
		}
		if (value->type == IMAP_ARG_NIL)
			continue;
		if (strcasecmp(field->str, "name") == 0)
			*name_r = value;
		else if (strcasecmp(field->str, "version") == 0)
			*version_r = value;
	}
	return NULL;
}

void imap_cmd_id(struct imap_client_cmd *cmd)
{
	const struct imap_arg *name, *version;
	const char *bad = cmd->arg_count == 1 ? imap_id_check(&cmd->args[0], &name, &version) :
						"ID needs one argument";
	if (bad != NULL) {
		imap_cmd_bad(cmd, "%s", bad);
		return;
	}
	struct imap_session *session = cmd->session;
	if (name != NULL || version != NULL) {
		char name_p[64] = "", version_p[64] = "";
		if (name != NULL)
			imap_id_printable(name, name_p, sizeof(name_p));
		if (version != NULL)
			imap_id_printable(version, version_p, sizeof(version_p));
		log_info(session->sid, "imap", "client_id", "name=\"%s\" version=\"%s\"", name_p,
			 version_p);
	}
	imap_reply(session, "* ID (\"name\" \"tandem\" \"version\" \"%s\")", TANDEM_VERSION);
	imap_cmd_ok(cmd, "ID completed");
}
