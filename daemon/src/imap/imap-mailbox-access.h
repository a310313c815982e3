/* imap-mailbox-access.h - internal to src/imap: the one place that turns a
 * mailbox name as the client gives it into a mailbox and the session
 * user's rights on it (RFC 4314 ACL), and decides what the client is told
 * when it may not use it.
 *
 * Names: the user's own mailboxes keep their names; another user's mailbox
 * M is "Shared/<owner address>/M" (the other users' namespace, NAMESPACE's
 * second entry). "Shared" and "Shared/<owner>" are no mailboxes.
 */
#ifndef TANDEM_IMAP_MAILBOX_ACCESS_H
#define TANDEM_IMAP_MAILBOX_ACCESS_H

#include "imap-session.h"

/* The first level of the other users' namespace (and its prefix + '/'). */
#define IMAP_SHARED_PREFIX "Shared"

enum imap_access_status {
	IMAP_ACCESS_OK = 0,
	/* no such mailbox, or one the user has neither l nor r on and no
	 * needed right either: the same answer, so existence does not leak */
	IMAP_ACCESS_NONEXISTENT,
	/* the user may know the mailbox but lacks a needed right */
	IMAP_ACCESS_NOPERM,
	/* storage failure or a bad name: result and error say which */
	IMAP_ACCESS_FAILED,
};

struct imap_mailbox_access {
	/* the owner and the mailbox's name in the owner's tree; set whenever
	 * the name parsed (owner_id 0 when the owner is unknown) */
	bool shared;               /* another user's: named Shared/<owner>/... */
	int64_t owner_id;
	char owner[STORAGE_ADDRESS_MAX + 1];
	char name[STORAGE_MAILBOX_NAME_MAX + 1];
	/* IMAP_ACCESS_OK and NOPERM: the mailbox and the user's rights */
	struct storage_mailbox mailbox;
	uint32_t rights;           /* STORAGE_ACL_* */
	uint32_t missing;          /* NOPERM: the needed rights not held */
	/* IMAP_ACCESS_FAILED */
	enum storage_result result;
	const char *error;
};

/* The mailbox name (storage form, from imap_arg_mailbox) for an operation
 * needing every right in need (0: only knowing it exists, l or r). */
enum imap_access_status imap_mailbox_access_get(struct imap_session *session, const char *name,
						uint32_t need, struct imap_mailbox_access *access_r);
/* For CREATE and RENAME's target: where name would go. OK when the user
 * may create it: their own tree, or below an existing mailbox of another
 * user they have need (k) on; NOPERM otherwise (never NONEXISTENT: the
 * name does not exist yet). access_r->mailbox is the parent (shared). */
enum imap_access_status imap_mailbox_access_parent(struct imap_session *session,
						   const char *name, uint32_t need,
						   struct imap_mailbox_access *access_r);
/* The tagged NO for a failed lookup: NONEXISTENT as "[TRYCREATE]" when
 * trycreate (APPEND, COPY, MOVE), else "[NONEXISTENT]"; NOPERM as
 * "[NOPERM]" naming the missing rights; FAILED as imap_cmd_storage_error. */
void imap_mailbox_access_reply(struct imap_client_cmd *cmd, enum imap_access_status status,
			       const struct imap_mailbox_access *access, bool trycreate);
/* The name a client sees for owner's mailbox name: name itself for the
 * session user's own, else Shared/<owner>/name. */
void imap_mailbox_access_client_name(struct imap_session *session, int64_t owner_id,
				     const char *owner, const char *name, struct buf *out);
/* Does the session hold every right in need on its selected mailbox? */
bool imap_mailbox_access_may(const struct imap_session *session, uint32_t need);
/* Before each command with a mailbox selected: re-read the rights on
 * another user's mailbox (so a change applies from the next command on).
 * -1 after ending the session with BYE when the right to read is gone. */
int imap_mailbox_access_refresh(struct imap_session *session);

#endif
