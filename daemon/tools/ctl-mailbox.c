/* ctl-mailbox.c - tandemctl's `mailbox` verbs: list, create, delete, rename
 * a user's folders, and `mailbox acl list|set|delete` to share one with
 * other users (RFC 4314 rights letters; "" or "set ... ''" removes).
 *
 * Names are given as IMAP shows them with '/' as the hierarchy separator.
 * Each verb is one storage call; delete removes the folder's mail too.
 */
#include "ctl.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void ctl_mailbox_collect(const struct storage_mailbox *mailbox, void *context)
{
	struct ctl_mailbox_rows *list = context;
	*XARRAY_PUSH(list->rows, list->count, list->cap) = *mailbox;
}

/* INBOX first, then by name. */
static int ctl_mailbox_cmp(const void *a, const void *b)
{
	const struct storage_mailbox *ma = a, *mb = b;
	bool ia = strcasecmp(ma->name, STORAGE_INBOX) == 0;
	bool ib = strcasecmp(mb->name, STORAGE_INBOX) == 0;
	if (ia != ib)
		return ia ? -1 : 1;
	return strcmp(ma->name, mb->name);
}

int ctl_mailboxes_sorted(struct ctl_context *ctx, int64_t user_id, struct ctl_mailbox_rows *list_r)
{
	memset(list_r, 0, sizeof(*list_r));
	const char *error = NULL;
	enum storage_result res = storage_mailbox_list(ctx->conn, user_id, ctl_mailbox_collect,
						       list_r, &error);
	if (res != STORAGE_OK) {
		free(list_r->rows);
		list_r->rows = NULL;
		return ctl_fail_storage(ctx, "cannot list mailboxes", res, error);
	}
	if (list_r->count > 0)
		qsort(list_r->rows, list_r->count, sizeof(*list_r->rows), ctl_mailbox_cmp);
	return CTL_EXIT_OK;
}

int ctl_mailbox_list(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 1, 1, pos, &user)) != CTL_EXIT_OK)
		return ret;

	struct ctl_mailbox_rows list;
	if ((ret = ctl_mailboxes_sorted(ctx, user.id, &list)) != CTL_EXIT_OK)
		return ret;
	/* NAME MESSAGES BYTES SPECIAL-USE ('-' if none) */
	for (size_t i = 0; i < list.count; i++) {
		const struct storage_mailbox *m = &list.rows[i];
		fprintf(ctx->out, "%s\t%" PRId64 "\t%" PRId64 "\t%s\n", m->name, m->message_count,
			m->byte_count, m->special_use[0] != '\0' ? m->special_use : "-");
	}
	free(list.rows);
	return CTL_EXIT_OK;
}

/* Storage results every mailbox verb maps the same way. */
static int ctl_mailbox_result(struct ctl_context *ctx, enum storage_result res, const char *name,
			      const char *what, const char *error)
{
	char safe[STORAGE_MAILBOX_NAME_MAX + 4];
	switch (res) {
	case STORAGE_OK:
		return CTL_EXIT_OK;
	case STORAGE_ERR_NOTFOUND:
		return ctl_fail(ctx, "no mailbox '%s'", ctl_printable(name, safe, sizeof(safe)));
	case STORAGE_ERR_EXISTS:
		return ctl_fail(ctx, "mailbox '%s' already exists",
				ctl_printable(name, safe, sizeof(safe)));
	case STORAGE_ERR_INVALID:
		return ctl_fail(ctx, "%s '%s': %s", what, ctl_printable(name, safe, sizeof(safe)),
				error != NULL ? error : "invalid name");
	default:
		return ctl_fail_storage(ctx, what, res, error);
	}
}

int ctl_mailbox_create(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 2, 2, pos, &user)) != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = storage_mailbox_create(ctx->conn, user.id, pos[1], NULL, &error);
	return ctl_mailbox_result(ctx, res, pos[1], "cannot create mailbox", error);
}

int ctl_mailbox_delete(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 2, 2, pos, &user)) != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = storage_mailbox_delete(ctx->conn, user.id, pos[1], &error);
	return ctl_mailbox_result(ctx, res, pos[1], "cannot delete mailbox", error);
}

int ctl_mailbox_rename(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[3];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 3, 3, pos, &user)) != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = storage_mailbox_rename(ctx->conn, user.id, pos[1], pos[2], &error);
	/* EXISTS is about the new name, NOTFOUND about the old one */
	return ctl_mailbox_result(ctx, res, res == STORAGE_ERR_EXISTS ? pos[2] : pos[1],
				  "cannot rename mailbox", error);
}

/* ---- mailbox acl: who else may use a folder (RFC 4314 rights) ---- */

static void ctl_mailbox_acl_print(const char *identifier, uint32_t rights, void *context)
{
	FILE *out = context;
	char letters[STORAGE_ACL_RIGHTS_MAX + 1];
	storage_acl_rights_format(rights, letters);
	fprintf(out, "%s\t%s\n", identifier, letters);
}

int ctl_mailbox_acl(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[5];
	int count, ret;
	struct storage_user user;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 3, 5, pos, &count)) != CTL_EXIT_OK)
		return ret;
	const char *action = pos[0];
	int want = strcmp(action, "list") == 0 ? 3 : strcmp(action, "set") == 0 ? 5 :
		   strcmp(action, "delete") == 0 ? 4 : 0;
	if (want == 0)
		return ctl_usage(ctx, "unknown acl action (list, set or delete)");
	if (count != want)
		return ctl_usage(ctx, "acl %s takes %d arguments", action, want);
	if ((ret = ctl_user_lookup(ctx, pos[1], &user)) != CTL_EXIT_OK)
		return ret;
	struct storage_mailbox mailbox;
	const char *error = NULL;
	enum storage_result res = storage_mailbox_get(ctx->conn, user.id, pos[2], &mailbox, &error);
	if (res != STORAGE_OK)
		return ctl_mailbox_result(ctx, res, pos[2], "cannot find mailbox", error);
	if (want == 3) {
		/* IDENTIFIER RIGHTS, the owner first */
		ctl_mailbox_acl_print(user.address, STORAGE_ACL_ALL, ctx->out);
		res = storage_acl_list(ctx->conn, mailbox.id, ctl_mailbox_acl_print, ctx->out,
				       &error);
		return res == STORAGE_OK ? CTL_EXIT_OK :
		       ctl_fail_storage(ctx, "cannot list the ACL", res, error);
	}
	char identifier[STORAGE_ACL_IDENTIFIER_MAX + 1];
	char safe[STORAGE_ACL_IDENTIFIER_MAX + 4];
	if (storage_acl_identifier_normalize(pos[3], identifier, &error) < 0)
		return ctl_fail(ctx, "bad identifier '%s': %s",
				ctl_printable(pos[3], safe, sizeof(safe)), error);
	if (want == 4) {
		res = storage_acl_delete(ctx->conn, mailbox.id, identifier, &error);
		return res == STORAGE_OK ? CTL_EXIT_OK :
		       ctl_fail_storage(ctx, "cannot delete the ACL entry", res, error);
	}
	uint32_t rights;
	char bad;
	if (storage_acl_rights_parse(pos[4], &rights, &bad) < 0)
		return ctl_fail(ctx, "unknown right '%c' (rights are letters of %s)",
				(unsigned char)bad >= 0x20 && (unsigned char)bad < 0x7f ? bad : '?',
				STORAGE_ACL_LETTERS);
	res = storage_acl_set(ctx->conn, mailbox.id, identifier, rights, &error);
	switch (res) {
	case STORAGE_OK:
		return CTL_EXIT_OK;
	case STORAGE_ERR_NOTFOUND:
		return ctl_fail(ctx, "unknown user '%s'", identifier);
	case STORAGE_ERR_INVALID:
		return ctl_fail(ctx, "cannot set rights for '%s': %s", identifier,
				error != NULL ? error : "invalid");
	default:
		return ctl_fail_storage(ctx, "cannot set the ACL entry", res, error);
	}
}
