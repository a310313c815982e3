/* ctl-maildir.c - Maildir++ naming rules for `tandemctl import` (see
 * ctl-maildir.h). Pure functions: no I/O, no allocation, no storage. */
#include "ctl-maildir.h"
#include "storage.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

uint32_t ctl_maildir_flags(const char *file_name)
{
	const char *info = strrchr(file_name, ':');
	if (info == NULL || strncmp(info, ":2,", 3) != 0)
		return 0;
	uint32_t flags = 0;
	for (const char *p = info + 3; *p != '\0'; p++) {
		switch (*p) {
		case 'D': flags |= STORAGE_FLAG_DRAFT; break;
		case 'F': flags |= STORAGE_FLAG_FLAGGED; break;
		case 'R': flags |= STORAGE_FLAG_ANSWERED; break;
		case 'S': flags |= STORAGE_FLAG_SEEN; break;
		case 'T': flags |= STORAGE_FLAG_DELETED; break;
		default: break; /* P (passed), keywords a-z */
		}
	}
	return flags;
}

bool ctl_maildir_is_message_name(const char *file_name)
{
	return file_name[0] != '\0' && file_name[0] != '.';
}

int ctl_maildir_folder_name(const char *dir_name, const char *prefix, char *out, size_t outsize,
			    const char **error_r)
{
	if (dir_name[0] != '.' || dir_name[1] == '\0' || strcmp(dir_name, "..") == 0) {
		*error_r = "not a Maildir++ folder (no leading dot)";
		return -1;
	}
	const char *name = dir_name + 1;
	size_t len = strlen(name);
	if (name[0] == '.' || name[len - 1] == '.' || strstr(name, "..") != NULL) {
		*error_r = "empty level in a Maildir++ folder name";
		return -1;
	}
	size_t prefix_len = prefix != NULL ? strlen(prefix) : 0;
	size_t need = (prefix_len > 0 ? prefix_len + 1 : 0) + len + 1;
	if (need > outsize || need > STORAGE_MAILBOX_NAME_MAX + 1) {
		*error_r = "folder name too long";
		return -1;
	}
	size_t n = 0;
	if (prefix_len > 0) {
		memcpy(out, prefix, prefix_len);
		n = prefix_len;
		out[n++] = STORAGE_HIERARCHY_SEP;
	}
	for (size_t i = 0; i < len; i++)
		out[n++] = name[i] == '.' ? STORAGE_HIERARCHY_SEP : name[i];
	out[n] = '\0';
	return 0;
}

int ctl_maildir_name_cmp(const void *a, const void *b)
{
	const char *na = *(const char *const *)a, *nb = *(const char *const *)b;
	/* compare the leading digits as numbers: shorter (no leading zeros) is smaller */
	size_t da = 0, db = 0;
	while (isdigit((unsigned char)na[da]))
		da++;
	while (isdigit((unsigned char)nb[db]))
		db++;
	const char *pa = na, *pb = nb;
	size_t la = da, lb = db;
	while (la > 1 && *pa == '0') {
		pa++;
		la--;
	}
	while (lb > 1 && *pb == '0') {
		pb++;
		lb--;
	}
	if (da > 0 && db > 0) {
		if (la != lb)
			return la < lb ? -1 : 1;
		int c = memcmp(pa, pb, la);
		if (c != 0)
			return c;
	}
	return strcmp(na, nb);
}
