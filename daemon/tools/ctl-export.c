/* ctl-export.c - `tandemctl export USER DIR`: write each of the user's
 * folders to DIR/<folder>.mbox in mboxrd ("Sub/Folder" becomes
 * DIR/Sub/Folder.mbox), which `tandemctl import USER DIR` reads back byte for
 * byte (flags and keywords are not carried).
 *
 * Never overwrites: it refuses to start when a target file exists, and each
 * file is written under a temporary name, synced, then linked into place, so
 * a failure never leaves a half-written .mbox behind. Never writes outside
 * DIR (folder names with "." or ".." levels are refused).
 */
#include "ctl.h"
#include "ctl-mbox.h"
#include "buf.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct ctl_export_mail {
	uint32_t uid;
	int64_t internal_date;
};

struct ctl_export_mails {
	struct ctl_export_mail *rows;
	size_t count, cap;
};


static void ctl_export_collect_mail(const struct storage_mail *mail, void *context)
{
	struct ctl_export_mails *list = context;
	struct ctl_export_mail *row = XARRAY_PUSH(list->rows, list->count, list->cap);
	row->uid = mail->uid;
	row->internal_date = mail->internal_date;
}

static int ctl_export_mail_cmp(const void *a, const void *b)
{
	const struct ctl_export_mail *ma = a, *mb = b;
	return ma->uid < mb->uid ? -1 : ma->uid > mb->uid;
}

/* True when every level of name is a usable file name. */
static bool ctl_export_name_safe(const char *name)
{
	const char *p = name;
	for (;;) {
		const char *slash = strchr(p, STORAGE_HIERARCHY_SEP);
		size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

/* mkdir -p for the directories of path (not its last level). */
static int ctl_export_mkdirs(const char *path, const char **error_r)
{
	char *copy = xstrdup(path);
	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			*error_r = strerror(errno);
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

static int ctl_export_write_all(int fd, const unsigned char *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Write one mailbox to final; *count_r messages written. Returns CTL_EXIT_OK
 * or reports and returns CTL_EXIT_FAIL (and nothing is left at final). */
static int ctl_export_mailbox(struct ctl_context *ctx, const struct storage_mailbox *mailbox,
			      const char *final, unsigned *count_r)
{
	const char *error = NULL;
	if (ctl_export_mkdirs(final, &error) < 0)
		return ctl_fail(ctx, "cannot create the directory of '%s': %s", final, error);
	const char *slash = strrchr(final, '/');
	char *tmp = slash != NULL ?
		    xasprintf("%.*s/.%s.XXXXXX", (int)(slash - final), final, slash + 1) :
		    xasprintf(".%s.XXXXXX", final);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int ret = ctl_fail(ctx, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return ret;
	}

	struct ctl_export_mails mails = { NULL, 0, 0 };
	struct buf out;
	buf_init(&out);
	int ret = CTL_EXIT_OK;
	unsigned count = 0;
	enum storage_result res = storage_mail_list(ctx->conn, mailbox->id, ctl_export_collect_mail,
						    &mails, &error);
	if (res != STORAGE_OK) {
		ret = ctl_fail_storage(ctx, "cannot list messages", res, error);
		goto out;
	}
	if (mails.count > 0)
		qsort(mails.rows, mails.count, sizeof(*mails.rows), ctl_export_mail_cmp);
	for (size_t i = 0; i < mails.count; i++) {
		unsigned char *data = NULL;
		size_t size = 0;
		res = storage_mail_read(ctx->conn, mailbox->id, mails.rows[i].uid, &data, &size,
					&error);
		if (res == STORAGE_ERR_NOTFOUND)
			continue; /* expunged meanwhile */
		if (res != STORAGE_OK) {
			ret = ctl_fail_storage(ctx, "cannot read a message", res, error);
			goto out;
		}
		char sender[CTL_MBOX_SENDER_MAX + 1];
		ctl_mbox_sender(data, size, sender, sizeof(sender));
		buf_reset(&out);
		ctl_mbox_write_from_line(&out, sender, mails.rows[i].internal_date);
		ctl_mbox_quote(data, size, &out);
		buf_append_byte(&out, '\n');
		free(data);
		if (ctl_export_write_all(fd, out.data, out.len) < 0) {
			ret = ctl_fail(ctx, "cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
		count++;
	}
	if (fsync(fd) < 0) {
		ret = ctl_fail(ctx, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, final) < 0) {
		if (errno == EEXIST)
			ret = ctl_fail(ctx, "'%s' already exists", final);
		else
			ret = ctl_fail(ctx, "cannot create '%s': %s", final, strerror(errno));
		goto out;
	}
	*count_r = count;
out:
	close(fd);
	unlink(tmp);
	free(tmp);
	free(mails.rows);
	buf_free(&out);
	return ret;
}

int ctl_export(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 2, 2, pos, &user)) != CTL_EXIT_OK)
		return ret;
	explicit_bzero(user.password_hash, sizeof(user.password_hash));
	const char *dir = pos[1];

	struct ctl_mailbox_rows list;
	if ((ret = ctl_mailboxes_sorted(ctx, user.id, &list)) != CTL_EXIT_OK)
		return ret;

	/* check everything before writing anything */
	char **finals = xcalloc(list.count + 1, sizeof(*finals));
	char safe[STORAGE_MAILBOX_NAME_MAX + 4];
	for (size_t i = 0; i < list.count && ret == CTL_EXIT_OK; i++) {
		struct stat st;
		if (!ctl_export_name_safe(list.rows[i].name))
			ret = ctl_fail(ctx, "folder '%s' cannot be a file name",
				       ctl_printable(list.rows[i].name, safe, sizeof(safe)));
		finals[i] = xasprintf("%s/%s.mbox", dir, list.rows[i].name);
		if (ret == CTL_EXIT_OK && lstat(finals[i], &st) == 0)
			ret = ctl_fail(ctx, "'%s' already exists", finals[i]);
	}
	char *probe = xasprintf("%s/.", dir);
	const char *error = NULL;
	if (ret == CTL_EXIT_OK && ctl_export_mkdirs(probe, &error) < 0)
		ret = ctl_fail(ctx, "cannot create '%s': %s", dir, error);
	free(probe);

	/* FOLDER MESSAGES FILE */
	for (size_t i = 0; i < list.count && ret == CTL_EXIT_OK; i++) {
		unsigned written = 0;
		if (ctl_export_mailbox(ctx, &list.rows[i], finals[i], &written) != CTL_EXIT_OK) {
			ret = CTL_EXIT_FAIL;
			break;
		}
		fprintf(ctx->out, "%s\t%u\t%s\n", list.rows[i].name, written, finals[i]);
	}
	for (size_t i = 0; i < list.count; i++)
		free(finals[i]);
	free(finals);
	free(list.rows);
	return ret;
}
