/* ctl-maildir.h - the pure rules of reading a Maildir++ tree for `tandemctl
 * import`: flags from a file name, folder names from directory names, the
 * order messages are imported in. No I/O here (ctl-import.c does that). */
#ifndef TANDEM_CTL_MAILDIR_H
#define TANDEM_CTL_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* STORAGE_FLAG_* from the info part of a message file name
 * ("1700000000.M1P2.host,S=123:2,FRS"): D Draft, F Flagged, R Answered,
 * S Seen, T Deleted. P (passed) and keyword letters (a-z) are ignored, as is
 * a name with no ":2," info. */
uint32_t ctl_maildir_flags(const char *file_name);

/* True for a name that can be a message file (not ".", "..", dot files). */
bool ctl_maildir_is_message_name(const char *file_name);

/* A Maildir++ folder directory name (".Sub.Folder") to the mailbox name
 * ("Sub/Folder"), put under prefix when prefix is not NULL ("Old" ->
 * "Old/Sub/Folder"). Returns 0, or -1 with *error_r static text when the
 * name is not a folder (no leading dot, empty levels, too long). */
int ctl_maildir_folder_name(const char *dir_name, const char *prefix, char *out, size_t outsize,
			    const char **error_r);

/* Order of import: by the leading number of the file names (their delivery
 * time), then byte-wise. A qsort comparator over `const char *` elements. */
int ctl_maildir_name_cmp(const void *a, const void *b);

#endif
