/* cmd-list.c - LIST and LSUB (RFC 3501 6.3.8, 6.3.9; RFC 3348 CHILDREN, RFC
 * 6154 SPECIAL-USE, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS): the
 * user's mailboxes matching a reference and one or more patterns with the
 * wildcards '*' (anything) and '%' (anything but the hierarchy separator
 * '/'). A parent that does not exist but has children is listed with
 * \Noselect (\NonExistent in the extended syntax). Selection options
 * SUBSCRIBED, REMOTE (no remote mailboxes: a no-op), SPECIAL-USE and
 * RECURSIVEMATCH; return options CHILDREN, SUBSCRIBED, SPECIAL-USE and
 * STATUS (items). Lists the session user's mailboxes and, as
 * Shared/<owner>/<name>, the other users' mailboxes it has the l right on
 * (RFC 4314), "Shared" and "Shared/<owner>" as \Noselect parents.
 * IMAP4rev2 sessions (RFC 9051) get names in UTF-8 and \NonExistent for a
 * missing parent in every LIST.
 */
#include "imap-commands.h"
#include "imap-mailbox-access.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Patterns in one LIST ("a" "b"). */
#define IMAP_LIST_PATTERNS_MAX 64
#define IMAP_LIST_PATTERNS_MAX_TEXT "64"

struct imap_list_entry {
	char *name;            /* storage name (UTF-8) */
	int64_t id;            /* mailbox id (exists only) */
	char special_use[16];
	bool exists;           /* false: a missing parent of existing names */
	bool subscribed;
	bool children;
	bool selected;         /* meets the selection options */
	bool child_selected;   /* a descendant meets them (RECURSIVEMATCH) */
	bool no_status;        /* shared without the r right: no LIST-STATUS */
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
	e->id = mailbox->id;
	e->exists = true;
	e->subscribed = mailbox->subscribed;
}

/* Another user's mailbox the user has rights on: listed as
 * Shared/<owner>/<name> with the l right only (RFC 4314), always
 * subscribed (the subscription flag is the owner's), no special use. */
static void imap_list_add_shared(const struct storage_mailbox *mailbox, const char *owner,
				 uint32_t rights, void *context)
{
	struct imap_list *list = context;
	if ((rights & STORAGE_ACL_LOOKUP) == 0)
		return;
	struct buf name;
	buf_init(&name);
	buf_printf(&name, "%s%c%s%c%s", IMAP_SHARED_PREFIX, STORAGE_HIERARCHY_SEP, owner,
		   STORAGE_HIERARCHY_SEP, mailbox->name);
	struct imap_list_entry *e = XARRAY_PUSH(list->entries, list->count, list->cap);
	memset(e, 0, sizeof(*e));
	e->name = xstrdup((const char *)name.data);
	e->id = mailbox->id;
	e->exists = true;
	e->subscribed = true;
	e->no_status = (rights & STORAGE_ACL_READ) == 0;
	buf_free(&name);
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

/* What one LIST command asks for. */
struct imap_list_query {
	bool lsub;
	bool extended;         /* LIST-EXTENDED syntax used */
	bool sel_subscribed, sel_special_use, sel_recursive;
	bool ret_subscribed;
	const struct imap_arg *status_items; /* RETURN (STATUS (...)), or NULL */
	size_t status_count;
	char *patterns[IMAP_LIST_PATTERNS_MAX]; /* storage form, reference joined */
	size_t pattern_count;
};

static void imap_list_query_free(struct imap_list_query *q)
{
	for (size_t i = 0; i < q->pattern_count; i++)
		free(q->patterns[i]);
	q->pattern_count = 0;
}

static bool imap_list_entry_meets(const struct imap_list_query *q,
				  const struct imap_list_entry *e)
{
	if (q->lsub || q->sel_subscribed)
		return e->subscribed;
	if (q->sel_special_use)
		return e->exists && e->special_use[0] != '\0';
	return true;
}

/* Mark what meets the selection and, for RECURSIVEMATCH, the ancestors of
 * what does. */
static void imap_list_select(struct imap_list *list, const struct imap_list_query *q)
{
	for (size_t i = 0; i < list->count; i++)
		list->entries[i].selected = imap_list_entry_meets(q, &list->entries[i]);
	if (!q->sel_recursive)
		return;
	for (size_t i = 0; i < list->count; i++) {
		if (!list->entries[i].selected)
			continue;
		char *name = xstrdup(list->entries[i].name);
		for (char *p = strrchr(name, STORAGE_HIERARCHY_SEP); p != NULL;
		     p = strrchr(name, STORAGE_HIERARCHY_SEP)) {
			*p = '\0';
			struct imap_list_entry *parent = imap_list_find(list, name);
			if (parent != NULL)
				parent->child_selected = true;
		}
		free(name);
	}
}

static void imap_list_reply(struct imap_session *session, const char *what,
			    const struct imap_list_entry *e, const struct imap_list_query *q)
{
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "* %s (", what);
	size_t start = line.len;
	if (!e->exists && (q->extended || session->rev2)) /* RFC 9051 7.3.1 */
		buf_append_str(&line, "\\NonExistent");
	else if (!e->exists || (q->lsub && !e->subscribed))
		buf_append_str(&line, "\\Noselect");
	if (!q->lsub) {
		if (line.len > start)
			buf_append_byte(&line, ' ');
		buf_append_str(&line, e->children ? "\\HasChildren" : "\\HasNoChildren");
		if ((q->ret_subscribed || q->sel_subscribed) && e->subscribed)
			buf_append_str(&line, " \\Subscribed");
		if (e->special_use[0] != '\0')
			buf_printf(&line, " %s", e->special_use);
	}
	buf_printf(&line, ") \"%c\" ", STORAGE_HIERARCHY_SEP);
	imap_session_append_mailbox(session, &line, e->name);
	if (q->sel_recursive && e->child_selected)
		buf_printf(&line, " (\"CHILDINFO\" (\"%s\"))",
			   q->sel_subscribed ? "SUBSCRIBED" : "SPECIAL-USE");
	buf_append_str(&line, "\r\n");
	imap_write(session, line.data, line.len);
	buf_free(&line);
}

/* Selection options "(SUBSCRIBED ...)". NULL on success, else BAD text. */
static const char *imap_list_parse_select(const struct imap_arg *arg, struct imap_list_query *q)
{
	for (size_t i = 0; i < arg->list_count; i++) {
		const struct imap_arg *o = &arg->list[i];
		if (imap_arg_atom_equals(o, "SUBSCRIBED"))
			q->sel_subscribed = true;
		else if (imap_arg_atom_equals(o, "SPECIAL-USE"))
			q->sel_special_use = true;
		else if (imap_arg_atom_equals(o, "RECURSIVEMATCH"))
			q->sel_recursive = true;
		else if (!imap_arg_atom_equals(o, "REMOTE"))
			return "unknown selection option";
	}
	if (q->sel_recursive && !q->sel_subscribed && !q->sel_special_use)
		return "RECURSIVEMATCH needs another selection option";
	if (q->sel_subscribed && q->sel_special_use)
		return "SUBSCRIBED and SPECIAL-USE selection cannot be combined";
	return NULL;
}

/* Return options "(CHILDREN STATUS (MESSAGES) ...)". */
static const char *imap_list_parse_return(const struct imap_arg *arg, struct imap_list_query *q)
{
	for (size_t i = 0; i < arg->list_count; i++) {
		const struct imap_arg *o = &arg->list[i];
		if (imap_arg_atom_equals(o, "SUBSCRIBED")) {
			q->ret_subscribed = true;
		} else if (imap_arg_atom_equals(o, "SPECIAL-USE") ||
			   imap_arg_atom_equals(o, "CHILDREN")) {
			/* special-use attributes and \HasChildren / \HasNoChildren
			 * are always returned */
		} else if (imap_arg_atom_equals(o, "STATUS")) {
			if (i + 1 >= arg->list_count || arg->list[i + 1].type != IMAP_ARG_LIST ||
			    q->status_items != NULL ||
			    !imap_status_items_valid(arg->list[i + 1].list,
						     arg->list[i + 1].list_count))
				return "RETURN STATUS needs a list of STATUS items";
			q->status_items = arg->list[i + 1].list;
			q->status_count = arg->list[i + 1].list_count;
			i++;
		} else {
			return "unknown return option";
		}
	}
	return NULL;
}

/* Reference + pattern as a storage pattern, added to q. -1 after replying. */
static int imap_list_add_pattern(struct imap_client_cmd *cmd, const struct imap_arg *ref,
				 const struct imap_arg *pat, struct imap_list_query *q)
{
	struct buf wire, pattern;
	buf_init(&wire);
	buf_init(&pattern);
	buf_append(&wire, ref->str, ref->len);
	buf_append(&wire, pat->str, pat->len);
	struct imap_arg joined = { .type = IMAP_ARG_QUOTED, .str = (char *)wire.data,
				   .len = wire.len };
	int ret = imap_session_arg_mailbox(cmd, &joined, &pattern);
	buf_free(&wire);
	if (ret < 0) {
		buf_free(&pattern);
		return -1;
	}
	/* INBOX is case-insensitive, in patterns too */
	if (pattern.len >= 5 && strncasecmp((const char *)pattern.data, "INBOX", 5) == 0 &&
	    (pattern.len == 5 || pattern.data[5] == STORAGE_HIERARCHY_SEP))
		memcpy(pattern.data, "INBOX", 5);
	q->patterns[q->pattern_count++] = xstrdup((const char *)pattern.data);
	buf_free(&pattern);
	return 0;
}

/* Parse the arguments into q. -1 after replying. */
static int imap_list_parse(struct imap_client_cmd *cmd, struct imap_list_query *q,
			   bool *empty_r)
{
	const struct imap_arg *args = cmd->args;
	size_t n = cmd->arg_count, i = 0;
	const char *bad = NULL;
	*empty_r = false;
	if (!q->lsub && n > 0 && args[0].type == IMAP_ARG_LIST) {
		q->extended = true;
		bad = imap_list_parse_select(&args[0], q);
		i++;
	}
	if (bad == NULL && i + 2 > n)
		bad = "needs a reference and a mailbox pattern";
	const struct imap_arg *ref = bad == NULL ? &args[i] : NULL, *pat = NULL;
	if (bad == NULL && !imap_arg_is_astring(ref))
		bad = "needs a reference and a mailbox pattern";
	if (bad == NULL) {
		pat = &args[i + 1];
		if (pat->type == IMAP_ARG_LIST && !q->lsub) {
			q->extended = true;
			if (pat->list_count == 0 || pat->list_count > IMAP_LIST_PATTERNS_MAX)
				bad = "needs 1 to " IMAP_LIST_PATTERNS_MAX_TEXT " patterns";
			for (size_t k = 0; bad == NULL && k < pat->list_count; k++) {
				if (!imap_arg_is_astring(&pat->list[k]))
					bad = "patterns must be strings";
			}
		} else if (!imap_arg_is_astring(pat)) {
			bad = "needs a reference and a mailbox pattern";
		}
		i += 2;
	}
	if (bad == NULL && i < n) {
		if (q->lsub || i + 2 != n || !imap_arg_atom_equals(&args[i], "RETURN") ||
		    args[i + 1].type != IMAP_ARG_LIST)
			bad = "unexpected arguments after the pattern";
		else {
			q->extended = true;
			bad = imap_list_parse_return(&args[i + 1], q);
		}
	}
	if (bad != NULL) {
		imap_cmd_bad(cmd, "%s %s", cmd->name, bad);
		return -1;
	}
	if (pat->type != IMAP_ARG_LIST && pat->len == 0) {
		*empty_r = true;
		return 0;
	}
	size_t count = pat->type == IMAP_ARG_LIST ? pat->list_count : 1;
	for (size_t k = 0; k < count; k++) {
		const struct imap_arg *one = pat->type == IMAP_ARG_LIST ? &pat->list[k] : pat;
		if (one->len == 0)
			continue;
		if (imap_list_add_pattern(cmd, ref, one, q) < 0)
			return -1;
	}
	return 0;
}

static bool imap_list_matches(const struct imap_list_query *q, const char *name)
{
	for (size_t i = 0; i < q->pattern_count; i++) {
		if (imap_list_match(q->patterns[i], name))
			return true;
	}
	return false;
}

static void imap_list(struct imap_client_cmd *cmd, bool lsub)
{
	struct imap_session *session = cmd->session;
	struct imap_list_query q;
	memset(&q, 0, sizeof(q));
	q.lsub = lsub;
	bool empty;
	if (imap_list_parse(cmd, &q, &empty) < 0) {
		imap_list_query_free(&q);
		return;
	}
	if (empty) {
		if (!lsub)
			imap_reply(session, "* LIST (\\Noselect) \"%c\" \"\"", STORAGE_HIERARCHY_SEP);
		imap_cmd_ok(cmd, "%s completed", cmd->name);
		return;
	}
	struct imap_list list = { NULL, 0, 0 };
	const char *error = NULL;
	enum storage_result ret = storage_mailbox_list(imap_storage(session), session->user_id,
						       imap_list_add, &list, &error);
	if (ret == STORAGE_OK)
		ret = storage_acl_shared_list(imap_storage(session), session->user_id,
					      imap_list_add_shared, &list, &error);
	if (ret != STORAGE_OK) {
		imap_list_free(&list);
		imap_list_query_free(&q);
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
	imap_list_complete(&list);
	imap_list_select(&list, &q);
	for (size_t i = 0; i < list.count && ret == STORAGE_OK; i++) {
		const struct imap_list_entry *e = &list.entries[i];
		if (!e->selected && !(q.sel_recursive && e->child_selected))
			continue;
		if (!imap_list_matches(&q, e->name))
			continue;
		imap_list_reply(session, cmd->name, e, &q);
		if (q.status_items != NULL && e->exists && !e->no_status)
			ret = imap_status_send(session, e->id, e->name, q.status_items,
					       q.status_count, &error);
		/* a mailbox deleted meanwhile just has no STATUS */
		if (ret == STORAGE_ERR_NOTFOUND)
			ret = STORAGE_OK;
	}
	imap_list_free(&list);
	imap_list_query_free(&q);
	if (ret != STORAGE_OK) {
		imap_cmd_storage_error(cmd, ret, error);
		return;
	}
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
