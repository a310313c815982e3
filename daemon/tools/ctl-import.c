/* ctl-import.c - `tandemctl import USER PATH [--folder NAME]`: bring mail
 * in from a Maildir++ tree, an mbox file, or a directory of *.mbox files
 * (what `tandemctl export` writes).
 *
 * This file finds the messages, their folders, flags and dates (the
 * internal date from the From_ line or the file's mtime);
 * ctl-import-queue.c stores them (quota not enforced, many per transaction
 * through the group committer). A message that fails is reported and the
 * others go on; the exit code says whether any failed. Never modifies or
 * deletes the source files, never follows symlinks inside a tree.
 */
#include "ctl.h"
#include "ctl-import-queue.h"
#include "ctl-maildir.h"
#include "ctl-mbox.h"
#include "buf.h"
#include "mime.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deepest directory level searched for *.mbox files. */
#define CTL_IMPORT_DEPTH_MAX 16
/* Most files in one directory looked at. */
#define CTL_IMPORT_DIR_ENTRIES_MAX 1000000

struct ctl_import {
	struct ctl_context *ctx;
	struct storage_user user;
	const char *prefix;   /* --folder */
	uint64_t max_size;    /* largest message taken */
	struct ctl_import_queue queue;
};

/* A list of file or directory names. */
struct ctl_import_names {
	char **names;
	size_t count, cap;
};

static void ctl_import_names_add(struct ctl_import_names *list, char *name)
{
	*XARRAY_PUSH(list->names, list->count, list->cap) = name;
}

static void ctl_import_names_free(struct ctl_import_names *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->names[i]);
	free(list->names);
	list->names = NULL;
	list->count = list->cap = 0;
}

static int ctl_import_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Create mailbox unless it is there. Returns 0 or -1 after reporting. */
static int ctl_import_mailbox(struct ctl_import *imp, const char *mailbox)
{
	const char *error = NULL;
	enum storage_result res = storage_mailbox_create(imp->ctx->conn, imp->user.id, mailbox,
							 NULL, &error);
	if (res == STORAGE_OK || res == STORAGE_ERR_EXISTS)
		return 0;
	char *label = xasprintf("folder '%s'", mailbox);
	ctl_import_queue_failed(&imp->queue, label, storage_result_str(res), error);
	free(label);
	return -1;
}

/* Read a whole message file. Returns 0, or -1 after reporting. */
static int ctl_import_read_file(struct ctl_import *imp, const char *path, unsigned char **data_r,
				size_t *size_r, int64_t *mtime_r)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		ctl_import_queue_failed(&imp->queue, path, "cannot read", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > imp->max_size) {
		ctl_import_queue_failed(&imp->queue, path, S_ISREG(st.st_mode) ?
					  "message larger than max_message_size" :
					  "not a regular file", NULL);
		close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size, got = 0;
	unsigned char *data = xmalloc(size + 1);
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctl_import_queue_failed(&imp->queue, path, "cannot read",
						  n < 0 ? strerror(errno) : "file shrank");
			free(data);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*data_r = data;
	*size_r = size;
	*mtime_r = (int64_t)st.st_mtime;
	return 0;
}

static bool ctl_import_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Maildir file names as "cur/NAME" or "new/NAME": order by NAME. */
static int ctl_import_maildir_cmp(const void *a, const void *b)
{
	const char *na = *(const char *const *)a + 4, *nb = *(const char *const *)b + 4;
	return ctl_maildir_name_cmp(&na, &nb);
}

/* The messages of one Maildir folder (its cur/ and new/), oldest first. */
static void ctl_import_maildir_folder(struct ctl_import *imp, const char *dir, const char *mailbox)
{
	static const char *const subdirs[] = { "cur", "new" };
	struct ctl_import_names files = { NULL, 0, 0 };
	for (size_t s = 0; s < 2; s++) {
		char *sub = xasprintf("%s/%s", dir, subdirs[s]);
		DIR *d = opendir(sub);
		if (d == NULL) {
			if (errno != ENOENT)
				ctl_import_queue_failed(&imp->queue, sub, "cannot read", strerror(errno));
			free(sub);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL && files.count < CTL_IMPORT_DIR_ENTRIES_MAX) {
			if (ctl_maildir_is_message_name(de->d_name))
				ctl_import_names_add(&files, xasprintf("%s/%s", subdirs[s], de->d_name));
		}
		closedir(d);
		free(sub);
	}
	/* by file name (delivery time) across cur/ and new/ */
	if (files.count > 0)
		qsort(files.names, files.count, sizeof(*files.names), ctl_import_maildir_cmp);
	for (size_t i = 0; i < files.count; i++) {
		const char *rel = files.names[i];
		bool in_cur = strncmp(rel, "cur/", 4) == 0;
		char *path = xasprintf("%s/%s", dir, rel);
		unsigned char *data;
		size_t size;
		int64_t mtime;
		if (ctl_import_read_file(imp, path, &data, &size, &mtime) < 0) {
			free(path);
			continue;
		}
		uint32_t flags = in_cur ? ctl_maildir_flags(rel + 4) : 0;
		ctl_import_queue_submit(&imp->queue, data, size, mailbox, flags, mtime, path);
	}
	ctl_import_names_free(&files);
}

/* A Maildir++ tree: the top is INBOX (or --folder), ".Sub.Folder" is
 * "Sub/Folder". */
static void ctl_import_maildir(struct ctl_import *imp, const char *path)
{
	const char *top = imp->prefix != NULL ? imp->prefix : STORAGE_INBOX;
	if (ctl_import_mailbox(imp, top) == 0)
		ctl_import_maildir_folder(imp, path, top);

	DIR *d = opendir(path);
	if (d == NULL) {
		ctl_import_queue_failed(&imp->queue, path, "cannot read", strerror(errno));
		return;
	}
	struct ctl_import_names folders = { NULL, 0, 0 };
	struct dirent *de;
	while ((de = readdir(d)) != NULL && folders.count < CTL_IMPORT_DIR_ENTRIES_MAX) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		char *dir = xasprintf("%s/%s", path, de->d_name);
		char *cur = xasprintf("%s/cur", dir), *new = xasprintf("%s/new", dir);
		if (ctl_import_is_dir(dir) && (ctl_import_is_dir(cur) || ctl_import_is_dir(new)))
			ctl_import_names_add(&folders, xstrdup(de->d_name));
		free(dir);
		free(cur);
		free(new);
	}
	closedir(d);
	/* parents sort before their children */
	if (folders.count > 0)
		qsort(folders.names, folders.count, sizeof(*folders.names), ctl_import_strcmp);
	for (size_t i = 0; i < folders.count; i++) {
		char mailbox[STORAGE_MAILBOX_NAME_MAX + 1];
		const char *error;
		char *dir = xasprintf("%s/%s", path, folders.names[i]);
		if (ctl_maildir_folder_name(folders.names[i], imp->prefix, mailbox, sizeof(mailbox),
					    &error) < 0)
			ctl_import_queue_failed(&imp->queue, dir, error, NULL);
		else if (ctl_import_mailbox(imp, mailbox) == 0)
			ctl_import_maildir_folder(imp, dir, mailbox);
		free(dir);
	}
	ctl_import_names_free(&folders);
}

/* One mbox file into mailbox. */
static void ctl_import_mbox_file(struct ctl_import *imp, const char *path, const char *mailbox)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		ctl_import_queue_failed(&imp->queue, path, "cannot read", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		ctl_import_queue_failed(&imp->queue, path, "not a regular file", NULL);
		close(fd);
		return;
	}
	size_t size = (size_t)st.st_size;
	const unsigned char *data = NULL;
	if (size > 0) {
		void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ctl_import_queue_failed(&imp->queue, path, "cannot read", strerror(errno));
			close(fd);
			return;
		}
		data = map;
	}
	close(fd);
	if (size > 0 && !ctl_mbox_detect(data, size)) {
		ctl_import_queue_failed(&imp->queue, path, "not an mbox file (no \"From \" line at the start)",
					  NULL);
		munmap((void *)data, size);
		return;
	}
	if (ctl_import_mailbox(imp, mailbox) < 0) {
		if (size > 0)
			munmap((void *)data, size);
		return;
	}
	if (size == 0)
		return;

	struct ctl_mbox_reader reader;
	struct ctl_mbox_message msg;
	ctl_mbox_reader_init(&reader, data, size);
	while (ctl_mbox_next(&reader, &msg)) {
		char *label = xasprintf("%s: message %u (byte %zu)", path, msg.number, msg.offset);
		if (msg.quoted_len > imp->max_size) {
			ctl_import_queue_failed(&imp->queue, label, "message larger than max_message_size",
						  NULL);
			free(label);
			continue;
		}
		int64_t date;
		if (ctl_mbox_from_line_time(msg.from_line, msg.from_line_len, &date) < 0)
			date = (int64_t)st.st_mtime;
		struct buf b;
		buf_init(&b);
		ctl_mbox_unquote(msg.quoted, msg.quoted_len, &b);
		size_t len;
		unsigned char *copy = (unsigned char *)buf_steal(&b, &len);
		ctl_import_queue_submit(&imp->queue, copy, len, mailbox, 0, date, label);
	}
	munmap((void *)data, size);
}

/* Relative paths of the *.mbox files under root/rel (symlinks not followed). */
static void ctl_import_find_mbox(struct ctl_import *imp, const char *root, const char *rel,
				 unsigned depth, struct ctl_import_names *found)
{
	char *dir = rel != NULL ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	if (d == NULL) {
		ctl_import_queue_failed(&imp->queue, dir, "cannot read", strerror(errno));
		free(dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL && found->count < CTL_IMPORT_DIR_ENTRIES_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *child = rel != NULL ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		char *full = xasprintf("%s/%s", root, child);
		struct stat st;
		size_t len = strlen(de->d_name);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode) && depth < CTL_IMPORT_DEPTH_MAX) {
			ctl_import_find_mbox(imp, root, child, depth + 1, found);
			free(child);
		} else if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && len > 5 &&
			   strcmp(de->d_name + len - 5, ".mbox") == 0) {
			ctl_import_names_add(found, child);
		} else {
			free(child);
		}
		free(full);
	}
	closedir(d);
	free(dir);
}

/* A directory of NAME.mbox files (as export writes): each is folder NAME. */
static void ctl_import_mbox_tree(struct ctl_import *imp, const char *path,
				 struct ctl_import_names *files)
{
	if (files->count > 0)
		qsort(files->names, files->count, sizeof(*files->names), ctl_import_strcmp);
	for (size_t i = 0; i < files->count; i++) {
		const char *rel = files->names[i];
		size_t len = strlen(rel) - 5;
		char *mailbox = imp->prefix != NULL ?
				xasprintf("%s%c%.*s", imp->prefix, STORAGE_HIERARCHY_SEP, (int)len, rel) :
				xasprintf("%.*s", (int)len, rel);
		char *file = xasprintf("%s/%s", path, rel);
		ctl_import_mbox_file(imp, file, mailbox);
		free(file);
		free(mailbox);
	}
}

static bool ctl_import_has_maildir(const char *path)
{
	char *cur = xasprintf("%s/cur", path), *new = xasprintf("%s/new", path);
	bool is = ctl_import_is_dir(cur) || ctl_import_is_dir(new);
	free(cur);
	free(new);
	return is;
}

int ctl_import(struct ctl_context *ctx, int argc, char **argv)
{
	const char *folder = NULL;
	const struct ctl_option options[] = { { "--folder", true, NULL, &folder } };
	const char *pos[2];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, options, 1, 2, 2, pos, &count)) != CTL_EXIT_OK)
		return ret;
	if (folder != NULL && (folder[0] == '\0' || strlen(folder) > STORAGE_MAILBOX_NAME_MAX / 2))
		return ctl_usage(ctx, "bad folder name '%s'", folder);
	const char *path = pos[1];
	struct stat st;
	if (stat(path, &st) < 0)
		return ctl_fail(ctx, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return ctl_fail(ctx, "'%s' is not a Maildir, an mbox file or a directory", path);
	if (access(path, R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0)) < 0)
		return ctl_fail(ctx, "cannot read '%s': %s", path, strerror(errno));

	struct ctl_import imp;
	memset(&imp, 0, sizeof(imp));
	if ((ret = ctl_user_lookup(ctx, pos[0], &imp.user)) != CTL_EXIT_OK)
		return ret;
	explicit_bzero(imp.user.password_hash, sizeof(imp.user.password_hash));
	imp.ctx = ctx;
	imp.prefix = folder;
	imp.max_size = ctx->config->max_message_size;
	ctl_import_queue_init(&imp.queue, ctx, imp.user.id);

	struct ctl_import_names mbox_files = { NULL, 0, 0 };
	mime_init();
	if (S_ISREG(st.st_mode)) {
		ctl_import_mbox_file(&imp, path, folder != NULL ? folder : STORAGE_INBOX);
	} else if (ctl_import_has_maildir(path)) {
		ctl_import_maildir(&imp, path);
	} else {
		ctl_import_find_mbox(&imp, path, NULL, 0, &mbox_files);
		if (mbox_files.count == 0 && imp.queue.failed == 0)
			ret = ctl_fail(ctx, "'%s' is neither a Maildir (no cur/ or new/) nor a "
				       "directory of *.mbox files", path);
		ctl_import_mbox_tree(&imp, path, &mbox_files);
	}
	ctl_import_queue_deinit(&imp.queue);
	mime_deinit();
	ctl_import_names_free(&mbox_files);
	if (ret != CTL_EXIT_OK)
		return ret;

	fprintf(ctx->out, "imported %u message%s into %s, %u failed\n", imp.queue.imported,
		imp.queue.imported == 1 ? "" : "s", imp.user.address, imp.queue.failed);
	return imp.queue.failed > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
