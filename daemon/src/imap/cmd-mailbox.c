/* cmd-mailbox.c - managing the user's mailboxes (RFC 3501 6.3.3-6.3.7):
 * CREATE (with RFC 6154 USE), DELETE, RENAME (INBOX may be renamed: its
 * messages move and INBOX stays, empty), SUBSCRIBE, UNSUBSCRIBE. Names arrive in modified UTF-7 and
 * are stored in UTF-8. Another user's mailboxes (Shared/<owner>/...) go
 * through imap-mailbox-access.c and their RFC 4314 rights: CREATE needs k
 * on the parent (the new mailbox copies the parent's ACL), DELETE x,
 * RENAME x on the old name and k on the new parent, within one owner.
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Most ACL entries a new mailbox copies from its parent. */
#define IMAP_CREATE_ACL_MAX 256

struct imap_create_acl {
	struct {
		char identifier[STORAGE_ACL_IDENTIFIER_MAX + 1];
		uint32_t rights;
	} entries[IMAP_CREATE_ACL_MAX];
	size_t count;
};

/* The mailbox argument i as a storage name, trailing separators removed
 * when trim. -1 after replying. */
static int imap_mailbox_arg(struct imap_client_cmd *cmd, size_t i, bool trim, struct buf *name)
{
	buf_init(name);
	if (imap_session_arg_mailbox(cmd, &cmd->args[i], name) < 0) {
		buf_free(name);
		return -1;
	}
	while (trim && name->len > 0 && name->data[name->len - 1] == STORAGE_HIERARCHY_SEP)
		name->data[--name->len] = '\0';
	if (name->len == 0) {
		buf_free(name);
		imap_cmd_bad(cmd, "empty mailbox name");
		return -1;
	}
	return 0;
}

static bool imap_is_inbox(const struct buf *name)
{
	return strcasecmp((const char *)name->data, STORAGE_INBOX) == 0;
}

/* Special-use attributes CREATE may give (RFC 6154 3): the ones for real
 * mailboxes; \All and \Flagged would need virtual mailboxes. */
static const char *const imap_create_uses[] = { "\\Archive", "\\Drafts", "\\Junk", "\\Sent",
						"\\Trash" };

/* CREATE's parameter list "(USE (\Sent))" (RFC 4466 create-param): *use_r
 * gets the canonical attribute or NULL. 0, or -1 after replying. */
static int imap_create_params(struct imap_client_cmd *cmd, const struct imap_arg *params,
			      const char **use_r)
{
	*use_r = NULL;
	if (params->type != IMAP_ARG_LIST) {
		imap_cmd_bad(cmd, "CREATE parameters must be a list");
		return -1;
	}
	for (size_t i = 0; i < params->list_count; i += 2) {
		const struct imap_arg *name = &params->list[i];
		if (!imap_arg_atom_equals(name, "USE")) {
			imap_cmd_bad(cmd, "unknown CREATE parameter");
			return -1;
		}
		if (i + 1 >= params->list_count || params->list[i + 1].type != IMAP_ARG_LIST) {
			imap_cmd_bad(cmd, "CREATE USE needs a list of attributes");
			return -1;
		}
		const struct imap_arg *uses = &params->list[i + 1];
		for (size_t k = 0; k < uses->list_count; k++) {
			if (uses->list[k].type != IMAP_ARG_ATOM || uses->list[k].str[0] != '\\') {
				imap_cmd_bad(cmd, "CREATE USE needs a list of attributes");
				return -1;
			}
		}
		for (size_t k = 0; k < uses->list_count; k++) {
			const char *found = NULL;
			for (size_t u = 0; u < sizeof(imap_create_uses) / sizeof(imap_create_uses[0]);
			     u++) {
				if (strcasecmp(uses->list[k].str, imap_create_uses[u]) == 0)
					found = imap_create_uses[u];
			}
			if (found == NULL) {
				imap_cmd_no(cmd, "[USEATTR] unsupported special-use attribute");
				return -1;
			}
			if (*use_r != NULL && strcmp(*use_r, found) != 0) {
				imap_cmd_no(cmd, "[USEATTR] only one special-use attribute per mailbox");
				return -1;
			}
			*use_r = found;
		}
	}
	return 0;
}

static void imap_create_inherit_one(const char *identifier, uint32_t rights, void *context)
{
	struct imap_create_acl *acl = context;
	if (acl->count < IMAP_CREATE_ACL_MAX) {
		snprintf(acl->entries[acl->count].identifier,
			 sizeof(acl->entries[acl->count].identifier), "%s", identifier);
		acl->entries[acl->count++].rights = rights;
	}
}

/* A new mailbox gets a copy of its parent's ACL (so what is created in a
 * shared folder is shared the same way). Failures are logged only: the
 * mailbox exists, its owner can share it. */
static void imap_create_inherit(struct imap_session *session, int64_t owner_id,
				const char *name)
{
	const char *sep = strrchr(name, STORAGE_HIERARCHY_SEP);
	if (sep == NULL)
		return;
	char parent_name[STORAGE_MAILBOX_NAME_MAX + 1];
	snprintf(parent_name, sizeof(parent_name), "%.*s", (int)(sep - name), name);
	struct storage_mailbox parent, child;
	struct imap_create_acl *acl = xcalloc(1, sizeof(*acl));
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_get(imap_storage(session), owner_id, parent_name,
						      &parent, &error);
	if (ret == STORAGE_OK)
		ret = storage_mailbox_get(imap_storage(session), owner_id, name, &child, &error);
	if (ret == STORAGE_OK)
		ret = storage_acl_list(imap_storage(session), parent.id, imap_create_inherit_one,
				       acl, &error);
	for (size_t i = 0; ret == STORAGE_OK && i < acl->count; i++)
		ret = storage_acl_set(imap_storage(session), child.id, acl->entries[i].identifier,
				      acl->entries[i].rights, &error);
	if (ret != STORAGE_OK)
		log_warning(session->sid, "imap", "acl_inherit_failed", "error=\"%s\"",
			    error != NULL ? error : "");
	free(acl);
}

void imap_cmd_create(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	struct buf name;
	if (cmd->arg_count != 1 && cmd->arg_count != 2) {
		imap_cmd_bad(cmd, "CREATE needs one mailbox name");
		return;
	}
	const char *use = NULL;
	if (cmd->arg_count == 2 && imap_create_params(cmd, &cmd->args[1], &use) < 0)
		return;
	if (imap_mailbox_arg(cmd, 0, true, &name) < 0)
		return;
	const char *error = NULL;
	struct imap_mailbox_access access;
	enum imap_access_status access_status = imap_mailbox_access_parent(
		session, (const char *)name.data, STORAGE_ACL_CREATE, &access);
	buf_free(&name);
	if (access_status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, access_status, &access, false);
		return;
	}
	enum storage_result ret = !access.shared && strcasecmp(access.name, STORAGE_INBOX) == 0 ?
		STORAGE_ERR_EXISTS :
		storage_mailbox_create(imap_storage(session), access.owner_id, access.name, use,
				       &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_create_inherit(session, access.owner_id, access.name);
	imap_cmd_ok(cmd, "CREATE completed");
}

void imap_cmd_delete(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	struct buf name;
	if (cmd->arg_count != 1) {
		imap_cmd_bad(cmd, "DELETE needs one mailbox name");
		return;
	}
	if (imap_mailbox_arg(cmd, 0, false, &name) < 0)
		return;
	if (imap_is_inbox(&name)) {
		buf_free(&name);
		imap_cmd_no(cmd, "[CANNOT] INBOX cannot be deleted");
		return;
	}
	const char *error = NULL;
	struct imap_mailbox_access access;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, STORAGE_ACL_DELMBOX, &access);
	buf_free(&name);
	if (access_status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, access_status, &access, false);
		return;
	}
	bool selected = session->state == IMAP_STATE_SELECTED &&
			session->mailbox.id == access.mailbox.id;
	enum storage_result ret = storage_mailbox_delete(imap_storage(session), access.owner_id,
							 access.mailbox.name, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	if (selected)
		imap_session_unselect(session); /* its messages are gone */
	imap_cmd_ok(cmd, "DELETE completed");
}

void imap_cmd_rename(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	struct buf from, to;
	if (cmd->arg_count != 2) {
		imap_cmd_bad(cmd, "RENAME needs two mailbox names");
		return;
	}
	if (imap_mailbox_arg(cmd, 0, false, &from) < 0)
		return;
	if (imap_mailbox_arg(cmd, 1, true, &to) < 0) {
		buf_free(&from);
		return;
	}
	const char *error = NULL;
	struct imap_mailbox_access src, dst;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)from.data, STORAGE_ACL_DELMBOX, &src);
	if (access_status != IMAP_ACCESS_OK) {
		buf_free(&from);
		buf_free(&to);
		imap_mailbox_access_reply(cmd, access_status, &src, false);
		return;
	}
	access_status = imap_mailbox_access_parent(session, (const char *)to.data,
						   STORAGE_ACL_CREATE, &dst);
	bool inbox = imap_is_inbox(&to);
	buf_free(&from);
	buf_free(&to);
	if (access_status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, access_status, &dst, false);
		return;
	}
	if (dst.owner_id != src.owner_id) {
		imap_cmd_no(cmd, "[CANNOT] a mailbox cannot move to another user");
		return;
	}
	enum storage_result ret = inbox ? STORAGE_ERR_EXISTS :
		storage_mailbox_rename(imap_storage(session), src.owner_id, src.mailbox.name,
				       dst.name, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "RENAME completed");
}

static void imap_subscribe(struct imap_client_cmd *cmd, bool subscribed)
{
	struct imap_session *session = cmd->session;
	struct buf name;
	if (cmd->arg_count != 1) {
		imap_cmd_bad(cmd, "%s needs one mailbox name", cmd->name);
		return;
	}
	if (imap_mailbox_arg(cmd, 0, false, &name) < 0)
		return;
	const char *error = NULL;
	struct imap_mailbox_access access;
	enum imap_access_status access_status = imap_mailbox_access_get(
		session, (const char *)name.data, 0, &access);
	buf_free(&name);
	if (access_status != IMAP_ACCESS_OK) {
		imap_mailbox_access_reply(cmd, access_status, &access, false);
		return;
	}
	if (access.shared) {
		/* the subscription flag is the owner's: LSUB always lists
		 * what others share with the user */
		if (subscribed)
			imap_cmd_ok(cmd, "%s completed", cmd->name);
		else
			imap_cmd_no(cmd, "[CANNOT] shared mailboxes are always subscribed");
		return;
	}
	enum storage_result ret = storage_mailbox_set_subscribed(imap_storage(session),
								 session->user_id,
								 access.mailbox.name,
								 subscribed, &error);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_cmd_ok(cmd, "%s completed", cmd->name);
}

void imap_cmd_subscribe(struct imap_client_cmd *cmd)
{
	imap_subscribe(cmd, true);
}

void imap_cmd_unsubscribe(struct imap_client_cmd *cmd)
{
	imap_subscribe(cmd, false);
}
