/* cmd-acl.c - the IMAP ACL commands (RFC 4314 3): SETACL (rights replaced,
 * or added / removed with a leading + / -), DELETEACL, GETACL, LISTRIGHTS
 * and MYRIGHTS, on the user's own mailboxes and on others' shared with
 * them (Shared/<owner>/<name>).
 *
 * Rights letters are "lrswipkxtea"; the obsolete "c" stands for "kx" and
 * "d" for "te" in SETACL (RFC 4314 2.1.1), and responses add "c" / "d"
 * when any of those is held. Identifiers are user addresses, "anyone" and
 * "authenticated"; negative rights ("-identifier") are refused with NO.
 * All but MYRIGHTS need the a right; a mailbox the user may not know of
 * answers like one that does not exist. Never changes the owner's rights
 * (always all of them).
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"

#include <string.h>

/* Obsolete RFC 2086 rights and what they stand for. */
#define IMAP_ACL_C_RIGHTS (STORAGE_ACL_CREATE | STORAGE_ACL_DELMBOX)
#define IMAP_ACL_D_RIGHTS (STORAGE_ACL_DELMSG | STORAGE_ACL_EXPUNGE)
/* Rights any of which lets MYRIGHTS answer (RFC 4314 4). */
#define IMAP_ACL_MYRIGHTS_ANY (STORAGE_ACL_LOOKUP | STORAGE_ACL_READ | STORAGE_ACL_INSERT | \
			       STORAGE_ACL_CREATE | STORAGE_ACL_DELMBOX | STORAGE_ACL_ADMIN)

/* Rights as sent to the client: the letters, then c and d. */
static void imap_acl_append_rights(struct buf *out, uint32_t rights)
{
	char letters[STORAGE_ACL_RIGHTS_MAX + 1];
	storage_acl_rights_format(rights, letters);
	buf_append_str(out, letters);
	if ((rights & IMAP_ACL_C_RIGHTS) != 0)
		buf_append_byte(out, 'c');
	if ((rights & IMAP_ACL_D_RIGHTS) != 0)
		buf_append_byte(out, 'd');
	if (rights == 0)
		buf_append_str(out, "\"\"");
}

/* SETACL's rights argument: *mode_r '+', '-' or 0 (replace). -1 after BAD. */
static int imap_acl_parse_rights(struct imap_client_cmd *cmd, const struct imap_arg *arg,
				 char *mode_r, uint32_t *rights_r)
{
	const char *p = arg->str;
	*mode_r = 0;
	*rights_r = 0;
	if (*p == '+' || *p == '-')
		*mode_r = *p++;
	for (; *p != '\0'; p++) {
		char one[2] = { *p, '\0' }, bad;
		uint32_t right;
		if (*p == 'c')
			right = IMAP_ACL_C_RIGHTS;
		else if (*p == 'd')
			right = IMAP_ACL_D_RIGHTS;
		else if (storage_acl_rights_parse(one, &right, &bad) < 0) {
			imap_cmd_bad(cmd, "unknown right");
			return -1;
		}
		*rights_r |= right;
	}
	return 0;
}

/* The identifier argument, normalized. -1 after replying. */
static int imap_acl_identifier(struct imap_client_cmd *cmd, const struct imap_arg *arg,
			       char out[STORAGE_ACL_IDENTIFIER_MAX + 1])
{
	const char *error;
	if (arg->str[0] == '-') {
		imap_cmd_no(cmd, "[CANNOT] negative rights are not supported");
		return -1;
	}
	if (arg->len > STORAGE_ACL_IDENTIFIER_MAX ||
	    storage_acl_identifier_normalize(arg->str, out, &error) < 0) {
		imap_cmd_no(cmd, "invalid identifier");
		return -1;
	}
	return 0;
}

/* Resolve the mailbox argument for need; on failure the reply is sent and
 * -1 returned. name_r gets the name (storage form) to echo. */
static int imap_acl_mailbox(struct imap_client_cmd *cmd, const struct imap_arg *arg,
			    uint32_t need, struct buf *name_r,
			    struct imap_mailbox_access *access_r)
{
	if (imap_session_arg_mailbox(cmd, arg, name_r) < 0)
		return -1;
	enum imap_access_status status = imap_mailbox_access_get(
		cmd->session, (const char *)name_r->data, need, access_r);
	if (status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, status, access_r, false);
		return -1;
	}
	return 0;
}

/* Are all arguments astrings, count of them as wanted? */
static bool imap_acl_args(struct imap_client_cmd *cmd, size_t count)
{
	if (cmd->arg_count != count)
		return false;
	for (size_t i = 0; i < count; i++)
		if (!imap_arg_is_astring(&cmd->args[i]))
			return false;
	return true;
}

struct imap_acl_find {
	const char *identifier;
	uint32_t rights;
};

static void imap_acl_find_cb(const char *identifier, uint32_t rights, void *context)
{
	struct imap_acl_find *find = context;
	if (strcmp(identifier, find->identifier) == 0)
		find->rights = rights;
}

/* The reply to a failed storage_acl_set / delete. */
static void imap_acl_storage_error(struct imap_client_cmd *cmd, enum storage_result ret,
				   const char *error)
{
	if (ret == STORAGE_ERR_NOTFOUND)
		imap_cmd_no(cmd, "no such user");
	else if (ret == STORAGE_ERR_INVALID)
		imap_cmd_no(cmd, "[CANNOT] the owner always has every right");
	else
		imap_cmd_storage_error(cmd, ret, error);
}

/* SETACL/DELETEACL's mailbox (needing the a right) and identifier:
 * -1 after the reply. */
static int imap_acl_target(struct imap_client_cmd *cmd,
			   char identifier[STORAGE_ACL_IDENTIFIER_MAX + 1],
			   struct imap_mailbox_access *access_r)
{
	struct buf name;
	buf_init(&name);
	int ret = imap_acl_mailbox(cmd, &cmd->args[0], STORAGE_ACL_ADMIN, &name, access_r) < 0 ||
		  imap_acl_identifier(cmd, &cmd->args[1], identifier) < 0 ? -1 : 0;
	buf_free(&name);
	return ret;
}

void imap_cmd_setacl(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (!imap_acl_args(cmd, 3)) {
		imap_cmd_bad(cmd, "SETACL needs a mailbox, an identifier and rights");
		return;
	}
	char mode, identifier[STORAGE_ACL_IDENTIFIER_MAX + 1];
	uint32_t rights;
	if (imap_acl_parse_rights(cmd, &cmd->args[2], &mode, &rights) < 0)
		return;
	struct imap_mailbox_access access;
	if (imap_acl_target(cmd, identifier, &access) < 0)
		return;
	const char *error = NULL;
	enum storage_result ret = STORAGE_OK;
	if (mode != 0) {
		struct imap_acl_find find = { identifier, 0 };
		ret = storage_acl_list(imap_storage(session), access.mailbox.id, imap_acl_find_cb,
				       &find, &error);
		rights = mode == '+' ? find.rights | rights : find.rights & ~rights;
	}
	if (ret == STORAGE_OK)
		ret = storage_acl_set(imap_storage(session), access.mailbox.id, identifier, rights,
				      &error);
	if (ret != STORAGE_OK) {
		imap_acl_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "SETACL completed");
}

void imap_cmd_deleteacl(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (!imap_acl_args(cmd, 2)) {
		imap_cmd_bad(cmd, "DELETEACL needs a mailbox and an identifier");
		return;
	}
	char identifier[STORAGE_ACL_IDENTIFIER_MAX + 1];
	struct imap_mailbox_access access;
	if (imap_acl_target(cmd, identifier, &access) < 0)
		return;
	const char *error = NULL;
	enum storage_result ret = storage_acl_delete(imap_storage(session), access.mailbox.id,
						     identifier, &error);
	if (ret != STORAGE_OK) {
		imap_acl_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "DELETEACL completed");
}

static void imap_acl_line_cb(const char *identifier, uint32_t rights, void *context)
{
	struct buf *line = context;
	buf_append_byte(line, ' ');
	imap_append_string(line, identifier, strlen(identifier));
	buf_append_byte(line, ' ');
	imap_acl_append_rights(line, rights);
}

void imap_cmd_getacl(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (!imap_acl_args(cmd, 1)) {
		imap_cmd_bad(cmd, "GETACL needs a mailbox");
		return;
	}
	struct buf name, line;
	struct imap_mailbox_access access;
	buf_init(&name);
	if (imap_acl_mailbox(cmd, &cmd->args[0], STORAGE_ACL_ADMIN, &name, &access) < 0) {
		buf_free(&name);
		return;
	}
	buf_init(&line);
	buf_append_str(&line, "* ACL ");
	imap_session_append_mailbox(cmd->session, &line, (const char *)name.data);
	buf_free(&name);
	/* the owner first: every right, always */
	imap_acl_line_cb(access.owner, STORAGE_ACL_ALL, &line);
	const char *error = NULL;
	enum storage_result ret = storage_acl_list(imap_storage(session), access.mailbox.id,
						   imap_acl_line_cb, &line, &error);
	if (ret != STORAGE_OK) {
		buf_free(&line);
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	buf_append_str(&line, "\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
	imap_cmd_ok(cmd, "GETACL completed");
}

void imap_cmd_listrights(struct imap_client_cmd *cmd)
{
	if (!imap_acl_args(cmd, 2)) {
		imap_cmd_bad(cmd, "LISTRIGHTS needs a mailbox and an identifier");
		return;
	}
	char identifier[STORAGE_ACL_IDENTIFIER_MAX + 1];
	struct buf name, line;
	struct imap_mailbox_access access;
	buf_init(&name);
	if (imap_acl_mailbox(cmd, &cmd->args[0], STORAGE_ACL_ADMIN, &name, &access) < 0 ||
	    imap_acl_identifier(cmd, &cmd->args[1], identifier) < 0) {
		buf_free(&name);
		return;
	}
	buf_init(&line);
	buf_append_str(&line, "* LISTRIGHTS ");
	imap_session_append_mailbox(cmd->session, &line, (const char *)name.data);
	buf_free(&name);
	buf_append_byte(&line, ' ');
	imap_append_string(&line, identifier, strlen(identifier));
	if (strcmp(identifier, access.owner) == 0) {
		/* the owner's rights are fixed: all required, nothing optional */
		buf_append_byte(&line, ' ');
		imap_acl_append_rights(&line, STORAGE_ACL_ALL);
	} else {
		/* nothing granted always; each right on its own (c and d are
		 * their groups' obsolete names) */
		buf_append_str(&line, " \"\"");
		for (const char *p = STORAGE_ACL_LETTERS; *p != '\0'; p++)
			buf_printf(&line, " %c", *p);
		buf_append_str(&line, " c d");
	}
	buf_append_str(&line, "\r\n");
	imap_write(cmd->session, line.data, line.len);
	buf_free(&line);
	imap_cmd_ok(cmd, "LISTRIGHTS completed");
}

void imap_cmd_myrights(struct imap_client_cmd *cmd)
{
	if (!imap_acl_args(cmd, 1)) {
		imap_cmd_bad(cmd, "MYRIGHTS needs a mailbox");
		return;
	}
	struct buf name, line;
	struct imap_mailbox_access access;
	buf_init(&name);
	if (imap_session_arg_mailbox(cmd, &cmd->args[0], &name) < 0) {
		buf_free(&name);
		return;
	}
	enum imap_access_status status = imap_mailbox_access_get(
		cmd->session, (const char *)name.data, 0, &access);
	/* hidden from LIST, but i, k, x or a is enough for MYRIGHTS */
	if (status == IMAP_ACCESS_NONEXISTENT && (access.rights & IMAP_ACL_MYRIGHTS_ANY) != 0)
		status = IMAP_ACCESS_OK;
	if (status != IMAP_ACCESS_OK) {
		buf_free(&name);
		imap_mailbox_access_reply(cmd, status, &access, false);
		return;
	}
	buf_init(&line);
	buf_append_str(&line, "* MYRIGHTS ");
	imap_session_append_mailbox(cmd->session, &line, (const char *)name.data);
	buf_free(&name);
	buf_append_byte(&line, ' ');
	imap_acl_append_rights(&line, access.rights);
	buf_append_str(&line, "\r\n");
	imap_write(cmd->session, line.data, line.len);
	buf_free(&line);
	imap_cmd_ok(cmd, "MYRIGHTS completed");
}
