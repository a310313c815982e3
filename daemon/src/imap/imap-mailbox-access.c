/* imap-mailbox-access.c - the one place that resolves a client's mailbox
 * name (own, or Shared/<owner>/<name>) to a mailbox and the session user's
 * RFC 4314 rights on it, answers the client when access fails, and keeps
 * the rights of the selected mailbox current.
 *
 * Never lets a mailbox the user has neither l nor r on answer differently
 * from one that does not exist (unless the user holds the right the
 * operation needs, as for an insert-only drop box); never gives the owner
 * less than every right on their own mailboxes.
 */
#include "imap-mailbox-access.h"
#include "imap-commands.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* Rights that reveal a mailbox exists to its user. */
#define IMAP_ACCESS_VISIBLE (STORAGE_ACL_LOOKUP | STORAGE_ACL_READ)

static enum imap_access_status imap_access_failed(struct imap_mailbox_access *access,
						  enum storage_result result, const char *error)
{
	access->result = result;
	access->error = error;
	return IMAP_ACCESS_FAILED;
}

/* Split name into owner and the owner's name, looking up the owner. */
static enum imap_access_status imap_access_parse(struct imap_session *session, const char *name,
						 struct imap_mailbox_access *access)
{
	size_t prefix_len = strlen(IMAP_SHARED_PREFIX);
	memset(access, 0, sizeof(*access));
	if (strncmp(name, IMAP_SHARED_PREFIX, prefix_len) != 0 ||
	    (name[prefix_len] != '\0' && name[prefix_len] != STORAGE_HIERARCHY_SEP)) {
		access->owner_id = session->user_id;
		snprintf(access->owner, sizeof(access->owner), "%s", session->user);
		if (strlen(name) >= sizeof(access->name))
			return imap_access_failed(access, STORAGE_ERR_INVALID,
						  "mailbox name too long");
		memcpy(access->name, name, strlen(name) + 1);
		return IMAP_ACCESS_OK;
	}
	access->shared = true;
	if (name[prefix_len] == '\0')
		return IMAP_ACCESS_NONEXISTENT; /* "Shared" itself */
	const char *owner = name + prefix_len + 1;
	const char *sep = strchr(owner, STORAGE_HIERARCHY_SEP);
	if (sep == NULL || sep[1] == '\0' || (size_t)(sep - owner) > STORAGE_ADDRESS_MAX)
		return IMAP_ACCESS_NONEXISTENT; /* "Shared/<owner>" is no mailbox */
	char raw[STORAGE_ADDRESS_MAX + 1];
	const char *error = NULL;
	memcpy(raw, owner, (size_t)(sep - owner));
	raw[sep - owner] = '\0';
	if (storage_address_normalize(raw, access->owner, sizeof(access->owner), &error) < 0)
		return IMAP_ACCESS_NONEXISTENT;
	if (strlen(sep + 1) >= sizeof(access->name))
		return imap_access_failed(access, STORAGE_ERR_INVALID, "mailbox name too long");
	memcpy(access->name, sep + 1, strlen(sep + 1) + 1);
	struct storage_user user;
	enum storage_result ret = storage_user_get(imap_storage(session), access->owner, &user,
						   &error);
	if (ret == STORAGE_ERR_NOTFOUND)
		return IMAP_ACCESS_NONEXISTENT;
	if (ret != STORAGE_OK)
		return imap_access_failed(access, ret, error);
	/* one name per mailbox: the user's own are not under Shared/ */
	if (user.id == session->user_id)
		return IMAP_ACCESS_NONEXISTENT;
	access->owner_id = user.id;
	return IMAP_ACCESS_OK;
}

enum imap_access_status imap_mailbox_access_get(struct imap_session *session, const char *name,
						uint32_t need, struct imap_mailbox_access *access_r)
{
	enum imap_access_status status = imap_access_parse(session, name, access_r);
	if (status != IMAP_ACCESS_OK)
		return status;
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_get(imap_storage(session), access_r->owner_id,
						      access_r->name, &access_r->mailbox, &error);
	if (ret == STORAGE_ERR_NOTFOUND)
		return IMAP_ACCESS_NONEXISTENT;
	if (ret != STORAGE_OK)
		return imap_access_failed(access_r, ret, error);
	if (!access_r->shared) {
		access_r->rights = STORAGE_ACL_ALL;
		return IMAP_ACCESS_OK;
	}
	ret = storage_acl_rights(imap_storage(session), access_r->mailbox.id, session->user_id,
				 &access_r->rights, &error);
	if (ret == STORAGE_ERR_NOTFOUND)
		return IMAP_ACCESS_NONEXISTENT;
	if (ret != STORAGE_OK)
		return imap_access_failed(access_r, ret, error);
	access_r->missing = need & ~access_r->rights;
	if ((access_r->missing != 0 || need == 0) &&
	    (access_r->rights & IMAP_ACCESS_VISIBLE) == 0)
		return IMAP_ACCESS_NONEXISTENT;
	return access_r->missing != 0 ? IMAP_ACCESS_NOPERM : IMAP_ACCESS_OK;
}

enum imap_access_status imap_mailbox_access_parent(struct imap_session *session,
						   const char *name, uint32_t need,
						   struct imap_mailbox_access *access_r)
{
	enum imap_access_status status = imap_access_parse(session, name, access_r);
	if (status == IMAP_ACCESS_OK && !access_r->shared) {
		access_r->rights = STORAGE_ACL_ALL;
		return IMAP_ACCESS_OK;
	}
	if (status == IMAP_ACCESS_FAILED)
		return status;
	access_r->missing = need;
	const char *sep = status == IMAP_ACCESS_OK ?
			  strrchr(access_r->name, STORAGE_HIERARCHY_SEP) : NULL;
	if (sep == NULL)
		return IMAP_ACCESS_NOPERM; /* nobody creates at the top of another's tree */
	struct imap_mailbox_access parent;
	struct buf parent_name;
	buf_init(&parent_name);
	buf_printf(&parent_name, "%s%c%s%c%.*s", IMAP_SHARED_PREFIX, STORAGE_HIERARCHY_SEP,
		   access_r->owner, STORAGE_HIERARCHY_SEP, (int)(sep - access_r->name),
		   access_r->name);
	status = imap_mailbox_access_get(session, (const char *)parent_name.data, need, &parent);
	buf_free(&parent_name);
	if (status == IMAP_ACCESS_FAILED)
		return imap_access_failed(access_r, parent.result, parent.error);
	if (status != IMAP_ACCESS_OK)
		return IMAP_ACCESS_NOPERM;
	access_r->mailbox = parent.mailbox;
	access_r->rights = parent.rights;
	access_r->missing = 0;
	return IMAP_ACCESS_OK;
}

void imap_mailbox_access_reply(struct imap_client_cmd *cmd, enum imap_access_status status,
			       const struct imap_mailbox_access *access, bool trycreate)
{
	char letters[STORAGE_ACL_RIGHTS_MAX + 1];
	switch (status) {
	case IMAP_ACCESS_OK:
		break;
	case IMAP_ACCESS_NONEXISTENT:
		if (trycreate)
			imap_cmd_no(cmd, "[TRYCREATE] no such mailbox");
		else
			imap_cmd_no(cmd, "[NONEXISTENT] no such mailbox");
		break;
	case IMAP_ACCESS_NOPERM:
		storage_acl_rights_format(access->missing, letters);
		imap_cmd_no(cmd, "[NOPERM] permission denied (needs the %s right%s)", letters,
			    strlen(letters) > 1 ? "s" : "");
		break;
	case IMAP_ACCESS_FAILED:
	default:
		imap_cmd_storage_error(cmd, access->result, access->error);
		break;
	}
}

void imap_mailbox_access_client_name(struct imap_session *session, int64_t owner_id,
				     const char *owner, const char *name, struct buf *out)
{
	if (owner_id == session->user_id)
		buf_append_str(out, name);
	else
		buf_printf(out, "%s%c%s%c%s", IMAP_SHARED_PREFIX, STORAGE_HIERARCHY_SEP, owner,
			   STORAGE_HIERARCHY_SEP, name);
}

bool imap_mailbox_access_may(const struct imap_session *session, uint32_t need)
{
	return (session->rights & need) == need;
}

int imap_mailbox_access_refresh(struct imap_session *session)
{
	if (session->state != IMAP_STATE_SELECTED ||
	    session->mailbox.user_id == session->user_id)
		return 0;
	uint32_t rights;
	const char *error = NULL;
	enum storage_result ret = storage_acl_rights(imap_storage(session), session->mailbox.id,
						     session->user_id, &rights, &error);
	if (ret != STORAGE_OK)
		return 0; /* gone: the view notices; temporary: keep what we had */
	session->rights = rights;
	if ((rights & STORAGE_ACL_READ) != 0)
		return 0;
	log_info(session->sid, "imap", "acl_revoked", "mailbox_id=%lld",
		 (long long)session->mailbox.id);
	imap_session_bye(session, "[NOPERM] the right to read the selected mailbox was revoked",
			 "acl revoked");
	return -1;
}
