/* imap-commands.h - internal to src/imap: the command handlers, one file per
 * command family (cmd-*.c), dispatched from the table in imap-commands.c.
 *
 * A handler is called only in a state its table flags allow. It first
 * checks its arguments (each failed check replies and returns), then acts,
 * then sends one tagged reply. It never closes the connection except
 * through imap_session_bye().
 */
#ifndef TANDEM_IMAP_COMMANDS_H
#define TANDEM_IMAP_COMMANDS_H

#include "imap-session.h"

typedef void imap_command_fn(struct imap_client_cmd *cmd);

/* cmd-any.c */
imap_command_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout;
/* cmd-id.c, cmd-namespace.c, cmd-enable.c */
imap_command_fn imap_cmd_id, imap_cmd_namespace, imap_cmd_enable;
/* cmd-auth.c */
imap_command_fn imap_cmd_login, imap_cmd_authenticate;
/* cmd-select.c */
imap_command_fn imap_cmd_select, imap_cmd_examine;
/* cmd-expunge.c */
imap_command_fn imap_cmd_check, imap_cmd_close, imap_cmd_unselect, imap_cmd_expunge,
	imap_cmd_uid_expunge;
/* cmd-mailbox.c */
imap_command_fn imap_cmd_create, imap_cmd_delete, imap_cmd_rename, imap_cmd_subscribe,
	imap_cmd_unsubscribe;
/* cmd-list.c */
imap_command_fn imap_cmd_list, imap_cmd_lsub;
/* cmd-status.c */
imap_command_fn imap_cmd_status;
/* Is every element of list (count > 0) a STATUS item we answer? */
bool imap_status_items_valid(const struct imap_arg *list, size_t count);
/* Send "* STATUS name (items...)" for the mailbox (also LIST-STATUS). */
enum storage_result imap_status_send(struct imap_session *session, int64_t mailbox_id,
				     const char *name, const struct imap_arg *list, size_t count,
				     const char **error_r);
/* cmd-fetch.c */
imap_command_fn imap_cmd_fetch;
/* cmd-store.c */
imap_command_fn imap_cmd_store;
/* cmd-append.c */
imap_command_fn imap_cmd_append;
/* cmd-search.c */
imap_command_fn imap_cmd_search;
/* cmd-sort.c, cmd-thread.c */
imap_command_fn imap_cmd_sort, imap_cmd_thread;
/* cmd-copy.c */
imap_command_fn imap_cmd_copy, imap_cmd_move;
/* cmd-idle.c */
imap_command_fn imap_cmd_idle;
/* cmd-compress.c */
imap_command_fn imap_cmd_compress;
/* cmd-starttls.c */
imap_command_fn imap_cmd_starttls;
/* cmd-quota.c */
imap_command_fn imap_cmd_getquotaroot, imap_cmd_getquota, imap_cmd_setquota;
/* cmd-acl.c */
imap_command_fn imap_cmd_setacl, imap_cmd_deleteacl, imap_cmd_getacl, imap_cmd_listrights,
	imap_cmd_myrights;

/* Resolve a sequence set argument of the selected mailbox to view indexes
 * (0-based, ascending, no duplicates). by_uid: the set holds UIDs. -1 after
 * replying BAD. *indexes_r allocated (may be NULL with count 0). */
int imap_cmd_seqset(struct imap_client_cmd *cmd, const struct imap_arg *arg, bool by_uid,
		    size_t **indexes_r, size_t *count_r);

#endif
