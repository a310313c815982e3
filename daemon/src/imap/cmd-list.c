/* cmd-list.c - LIST and LSUB (RFC 3501 6.3.8, 6.3.9; RFC 3348 CHILDREN, RFC
 * 6154 SPECIAL-USE attributes): the user's mailboxes matching a reference
 * and a pattern with the wildcards '*' (anything) and '%' (anything but the
 * hierarchy separator '/'). A parent that does not exist but has children
 * is listed with \Noselect. Lists only the session user's mailboxes.
 */
#include "imap-commands.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct imap_list_entry {
	char *name;            /* storage name (UTF-8) */
	char special_use[16];
	bool exists;           /* false: a missing parent of existing names */
	bool subscribed;
	bool children;
};

struct imap_list {
	struct imap_list_entry *entries;
	size_t count, cap;
};

static void imap_list_add(const struct storage_mailbox *mailbox, void *context)
{
	struct imap_list *list = context;
	struct imap_list_entry *e = XARRAY_PUSH(list->entries, list->count, list->cap);
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(mailbox->name);
	snprintf(e->special_use, sizeof(e->special_use), "%s", mailbox->special_use);
	e->exists = true;
	e->subscribed = mailbox->subscribed;
}

static int imap_list_cmp(const void *a, const void *b)
{
	const struct imap_list_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static struct imap_list_entry *imap_list_find(struct imap_list *list, const char *name)
{
	struct imap_list_entry key = { .name = (char *)name };
	return bsearch(&key, list->entries, list->count, sizeof(key), imap_list_cmp);
}

/* Add the missing parents and mark which names have children. */
static void imap_list_complete(struct imap_list *list)
{
	size_t real = list->count;
	char **names = xcalloc(real + 1, sizeof(char *));
	for (size_t i = 0; i < real; i++)
		names[i] = list->entries[i].name;
	qsort(list->entries, list->count, sizeof(list->entries[0]), imap_list_cmp);
	for (size_t i = 0; i < real; i++) {
		char *name = xstrdup(names[i]);
		for (char *p = strrchr(name, STORAGE_HIERARCHY_SEP); p != NULL;
		     p = strrchr(name, STORAGE_HIERARCHY_SEP)) {
			*p = '\0';
			if (name[0] == '\0')
				break;
			struct imap_list_entry *parent = imap_list_find(list, name);
			if (parent != NULL) {
				parent->children = true;
				continue;
			}
			struct imap_list_entry *e = XARRAY_PUSH(list->entries, list->count, list->cap);
			memset(e, 0, sizeof(*e));
			e->name = xstrdup(name);
			e->children = true;
			qsort(list->entries, list->count, sizeof(list->entries[0]), imap_list_cmp);
		}
		free(name);
	}
	free(names);
}

static void imap_list_free(struct imap_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->entries[i].name);
	free(list->entries);
}

/* Does name match pattern? Dynamic programming over the pattern: linear
 * memory, no backtracking blow-up whatever the wildcards. */
static bool imap_list_match(const char *pattern, const char *name)
{
	size_t n = strlen(name);
	bool *cur = xcalloc(n + 1, sizeof(bool)), *next = xcalloc(n + 1, sizeof(bool));
	cur[0] = true;
	for (const char *p = pattern; *p != '\0'; p++) {
		memset(next, 0, (n + 1) * sizeof(bool));
		for (size_t j = 0; j <= n; j++) {
			if (*p == '*' || *p == '%') {
				/* next[j] = exists i <= j with cur[i] and name[i..j) allowed */
				bool run = false;
				for (size_t k = 0; k <= n; k++) {
					if (k > 0 && *p == '%' && name[k - 1] == STORAGE_HIERARCHY_SEP)
						run = false;
					run = run || cur[k];
					next[k] = run;
				}
				break;
			}
			if (cur[j] && j < n && name[j] == *p)
				next[j + 1] = true;
		}
		bool *t = cur;
		cur = next;
		next = t;
	}
	bool ret = cur[n];
	free(cur);
	free(next);
	return ret;
}

static void imap_list_reply(struct imap_session *session, const char *what,
			    const struct imap_list_entry *e, bool lsub)
{
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %s (", what);
	size_t start = line.len;
	if (!e->exists || (lsub && !e->subscribed))
		buf_append_str(&line, "\\Noselect");
	if (!lsub) {
		if (line.len > start)
			buf_append_byte(&line, ' ');
		buf_append_str(&line, e->children ? "\\HasChildren" : "\\HasNoChildren");
		if (e->special_use[0] != '\0')
			buf_printf(&line, " %s", e->special_use);
	}
	buf_printf(&line, ") \"%c\" ", STORAGE_HIERARCHY_SEP);
	imap_append_mailbox(&line, e->name);
	buf_append_str(&line, "\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
}

static void imap_list(struct imap_client_cmd *cmd, bool lsub)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count != 2 || !imap_arg_is_astring(&cmd->args[0]) ||
	    !imap_arg_is_astring(&cmd->args[1])) {
		imap_cmd_bad(cmd, "%s needs a reference and a mailbox pattern", cmd->name);
		return;
	}
	const struct imap_arg *ref = &cmd->args[0], *pat = &cmd->args[1];
	if (pat->len == 0) {
		if (!lsub)
			imap_reply(session, "* LIST (\\Noselect) \"%c\" \"\"", STORAGE_HIERARCHY_SEP);
		imap_cmd_ok(cmd, "%s completed", cmd->name);
		return;
	}
	struct buf wire, pattern;
	buf_init(&wire);
	buf_init(&pattern);
	buf_append(&wire, ref->str, ref->len);
	buf_append(&wire, pat->str, pat->len);
	struct imap_arg joined = { .type = IMAP_ARG_QUOTED, .str = (char *)wire.data,
				   .len = wire.len };
	if (imap_arg_mailbox(cmd, &joined, &pattern) < 0) {
		buf_free(&wire);
		buf_free(&pattern);
		return;
	}
	buf_free(&wire);
	/* INBOX is case-insensitive, in patterns too */
	if (pattern.len >= 5 && strncasecmp((const char *)pattern.data, "INBOX", 5) == 0 &&
	    (pattern.len == 5 || pattern.data[5] == STORAGE_HIERARCHY_SEP))
		memcpy(pattern.data, "INBOX", 5);

	struct imap_list list = { NULL, 0, 0 };
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_list(imap_storage(session), session->user_id,
						       imap_list_add, &list, &error);
	if (ret != STORAGE_OK) {
		imap_list_free(&list);
		buf_free(&pattern);
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_list_complete(&list);
	for (size_t i = 0; i < list.count; i++) {
		const struct imap_list_entry *e = &list.entries[i];
		if (lsub && !e->subscribed)
			continue;
		if (imap_list_match((const char *)pattern.data, e->name))
			imap_list_reply(session, cmd->name, e, lsub);
	}
	imap_list_free(&list);
	buf_free(&pattern);
	imap_cmd_ok(cmd, "%s completed", cmd->name);
}

void imap_cmd_list(struct imap_client_cmd *cmd)
{
	imap_list(cmd, false);
}

void imap_cmd_lsub(struct imap_client_cmd *cmd)
{
	imap_list(cmd, true);
}
