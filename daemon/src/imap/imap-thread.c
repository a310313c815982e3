/* imap-thread.c - RFC 5256 section 3: ORDEREDSUBJECT and REFERENCES
 * threading, and the thread list writer.
 *
 * Containers live in one growing array and point at each other by index
 * (parent, first child, next sibling). Nothing here recurses along a
 * thread: loops are refused when linking, pruning walks child lists in
 * place, and the writer keeps its own stack. Never does I/O.
 */
#include "imap-thread.h"
#include "imap-sort.h"
#include "imap-search.h"
#include "xalloc.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE SIZE_MAX

int imap_thread_algorithm_parse(const char *name, enum imap_thread_algorithm *alg_r)
{
	if (strcasecmp(name, "ORDEREDSUBJECT") == 0)
		*alg_r = IMAP_THREAD_ORDEREDSUBJECT;
	else if (strcasecmp(name, "REFERENCES") == 0)
		*alg_r = IMAP_THREAD_REFERENCES;
	else
		return -1;
	return 0;
}

/* ---- message ids ---- */

void imap_thread_msgids_free(char **ids, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
}

size_t imap_thread_msgids(const char *value, size_t max, char ***ids_r)
{
	*ids_r = NULL;
	if (value == NULL || max == 0)
		return 0;
	size_t vlen = strnlen(value, IMAP_THREAD_VALUE_MAX);
	/* ids[0] is the first; ids[1..max-1] a ring of the latest */
	char **ids = xcalloc(max, sizeof(*ids));
	size_t found = 0;
	char id[IMAP_THREAD_MSGID_MAX + 1];
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] != '<')
			continue;
		size_t n = 0, j = i + 1;
		bool at = false, bad = false;
		for (; j < vlen && value[j] != '>' && value[j] != '<'; j++) {
			unsigned char c = (unsigned char)value[j];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c < 0x20 || c == 0x7f || n == IMAP_THREAD_MSGID_MAX) {
				bad = true;
				continue;
			}
			at |= c == '@';
			id[n++] = (char)c;
		}
		if (j >= vlen || value[j] == '<') {
			i = j - 1; /* unterminated: look again from the next '<' */
			continue;
		}
		i = j;
		if (bad || !at || n < 3 || id[0] == '@' || id[n - 1] == '@')
			continue;
		char *copy = xstrndup(id, n);
		if (found == 0 || max == 1) {
			if (found == 0)
				ids[0] = copy;
			else
				free(copy);
		} else {
			size_t slot = 1 + (found - 1) % (max - 1);
			free(ids[slot]);
			ids[slot] = copy;
		}
		found++;
	}
	if (found == 0) {
		free(ids);
		return 0;
	}
	size_t count = found < max ? found : max;
	if (found > max && max > 1) {
		/* unroll the ring so the ids are in order */
		char **ordered = xcalloc(max, sizeof(*ordered));
		ordered[0] = ids[0];
		size_t oldest = 1 + (found - 1) % (max - 1); /* next slot to be overwritten */
		for (size_t k = 0; k < max - 1; k++)
			ordered[1 + k] = ids[1 + (oldest - 1 + k) % (max - 1)];
		free(ids);
		ids = ordered;
	}
	*ids_r = ids;
	return count;
}

/* ---- containers ---- */

struct tnode {
	size_t msg;     /* index into the messages, NONE for a dummy */
	size_t parent, child, next;
	int64_t date;   /* sort key: the message's, or a dummy's first child's */
	size_t order;   /* date tie breaker: mailbox order */
};

struct tctx {
	const struct imap_thread_msg *msgs;
	struct tnode *nodes;
	size_t count, cap;
	char **subjects; /* per message: folded base subject, lazily */
	bool *replies;
};

static size_t node_new(struct tctx *t, size_t msg)
{
	struct tnode *n = XARRAY_PUSH(t->nodes, t->count, t->cap);
	*n = (struct tnode){ .msg = msg, .parent = NONE, .child = NONE, .next = NONE };
	if (msg != NONE) {
		n->date = t->msgs[msg].date;
		n->order = msg;
	}
	return t->count - 1;
}

static void node_link(struct tctx *t, size_t parent, size_t child)
{
	t->nodes[child].parent = parent;
	t->nodes[child].next = t->nodes[parent].child;
	t->nodes[parent].child = child;
}

static void node_unlink(struct tctx *t, size_t child)
{
	size_t p = t->nodes[child].parent;
	if (p == NONE)
		return;
	size_t *link = &t->nodes[p].child;
	while (*link != child)
		link = &t->nodes[*link].next;
	*link = t->nodes[child].next;
	t->nodes[child].parent = NONE;
	t->nodes[child].next = NONE;
}

/* Would making child a child of parent close a loop? Only if child is
 * parent or one of its ancestors; a childless child is neither unless it
 * is parent itself (the common case: no walk up the thread). */
static bool node_loops(const struct tctx *t, size_t parent, size_t child)
{
	if (t->nodes[child].child == NONE)
		return parent == child;
	for (size_t a = parent; a != NONE; a = t->nodes[a].parent)
		if (a == child)
			return true;
	return false;
}

static const char *msg_subject(struct tctx *t, size_t msg, bool *reply_r)
{
	if (t->subjects[msg] == NULL) {
		char *base = imap_sort_base_subject(t->msgs[msg].subject, &t->replies[msg]);
		size_t len;
		t->subjects[msg] = imap_search_fold(base, strlen(base), &len);
		free(base);
	}
	if (reply_r != NULL)
		*reply_r = t->replies[msg];
	return t->subjects[msg];
}

static int node_cmp(const void *pa, const void *pb, void *context)
{
	const struct tnode *nodes = context;
	const struct tnode *a = &nodes[*(const size_t *)pa], *b = &nodes[*(const size_t *)pb];
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Sort the children of parent by date, then mailbox order. */
static void node_sort_children(struct tctx *t, size_t parent, size_t **scratch, size_t *cap)
{
	size_t n = 0;
	for (size_t c = t->nodes[parent].child; c != NONE; c = t->nodes[c].next) {
		if (n == *cap) {
			*cap = *cap == 0 ? 16 : *cap * 2;
			*scratch = xrealloc(*scratch, *cap * sizeof(**scratch));
		}
		(*scratch)[n++] = c;
	}
	if (n < 2)
		return;
	g_qsort_with_data(*scratch, (gint)n, sizeof(size_t), node_cmp, t->nodes);
	t->nodes[parent].child = (*scratch)[0];
	for (size_t i = 0; i + 1 < n; i++)
		t->nodes[(*scratch)[i]].next = (*scratch)[i + 1];
	t->nodes[(*scratch)[n - 1]].next = NONE;
}

/* ---- REFERENCES ---- */

static size_t id_lookup(GHashTable *ids, const char *id)
{
	gpointer v = g_hash_table_lookup(ids, id);
	return v == NULL ? NONE : GPOINTER_TO_SIZE(v) - 1;
}

static void id_insert(GHashTable *ids, const char *id, size_t node)
{
	g_hash_table_insert(ids, xstrdup(id), GSIZE_TO_POINTER(node + 1));
}

/* Step 1: a container per message and per referenced id, linked. */
static void refs_link(struct tctx *t, size_t count)
{
	GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	for (size_t i = 0; i < count; i++) {
		const struct imap_thread_msg *m = &t->msgs[i];
		char **own = NULL;
		size_t c = NONE;
		if (imap_thread_msgids(m->message_id, 1, &own) > 0) {
			c = id_lookup(ids, own[0]);
			if (c != NONE && t->nodes[c].msg != NONE) {
				c = node_new(t, i); /* duplicate id: a unique one */
			} else if (c == NONE) {
				c = node_new(t, i);
				id_insert(ids, own[0], c);
			}
			imap_thread_msgids_free(own, 1);
		} else {
			c = node_new(t, i);
		}
		t->nodes[c].msg = i;
		t->nodes[c].date = m->date;
		t->nodes[c].order = i;

		char **refs = NULL;
		size_t ref_count = imap_thread_msgids(m->references, IMAP_THREAD_REFS_MAX, &refs);
		if (ref_count == 0)
			ref_count = imap_thread_msgids(m->in_reply_to, 1, &refs);
		size_t prev = NONE;
		for (size_t r = 0; r < ref_count; r++) {
			size_t rc = id_lookup(ids, refs[r]);
			if (rc == NONE) {
				rc = node_new(t, NONE);
				id_insert(ids, refs[r], rc);
			}
			if (prev != NONE && rc != prev && t->nodes[rc].parent == NONE &&
			    !node_loops(t, prev, rc))
				node_link(t, prev, rc);
			prev = rc;
		}
		imap_thread_msgids_free(refs, ref_count);
		node_unlink(t, c);
		if (prev != NONE && !node_loops(t, prev, c))
			node_link(t, prev, c);
	}
	g_hash_table_destroy(ids);
}

/* Step 4: replace non-root dummies by their children; at the root, drop
 * empty dummies and promote a lone child. */
static void refs_prune(struct tctx *t, size_t root)
{
	for (size_t n = 0; n < t->count; n++) {
		if (n == root)
			continue;
		size_t *link = &t->nodes[n].child;
		while (*link != NONE) {
			size_t c = *link;
			if (t->nodes[c].msg != NONE) {
				link = &t->nodes[c].next;
				continue;
			}
			/* splice c's children in its place and look at them next */
			size_t after = t->nodes[c].next, first = t->nodes[c].child, last = NONE;
			for (size_t k = first; k != NONE; k = t->nodes[k].next) {
				t->nodes[k].parent = n;
				last = k;
			}
			if (last != NONE)
				t->nodes[last].next = after;
			*link = first != NONE ? first : after;
			t->nodes[c].child = t->nodes[c].next = t->nodes[c].parent = NONE;
		}
	}
	size_t *link = &t->nodes[root].child;
	while (*link != NONE) {
		size_t c = *link;
		if (t->nodes[c].msg != NONE) {
			link = &t->nodes[c].next;
			continue;
		}
		size_t first = t->nodes[c].child;
		if (first == NONE) {
			*link = t->nodes[c].next;
		} else if (t->nodes[first].next == NONE) {
			t->nodes[first].parent = root;
			t->nodes[first].next = t->nodes[c].next;
			*link = first;
			link = &t->nodes[first].next;
		} else {
			link = &t->nodes[c].next;
			continue;
		}
		t->nodes[c].child = t->nodes[c].next = t->nodes[c].parent = NONE;
	}
}

/* The message a root container's subject comes from: its own, or for a
 * dummy its earliest child's. */
static size_t root_subject_msg(const struct tctx *t, size_t c)
{
	if (t->nodes[c].msg != NONE)
		return t->nodes[c].msg;
	size_t best = NONE;
	for (size_t k = t->nodes[c].child; k != NONE; k = t->nodes[k].next)
		if (best == NONE || node_cmp(&k, &best, t->nodes) < 0)
			best = k;
	return best != NONE ? t->nodes[best].msg : NONE;
}

/* Step 5: merge root threads with the same base subject. */
static void refs_group_subjects(struct tctx *t, size_t root)
{
	size_t n = 0;
	for (size_t c = t->nodes[root].child; c != NONE; c = t->nodes[c].next)
		n++;
	size_t cap = n + 1, *roots = xcalloc(cap, sizeof(*roots));
	n = 0;
	for (size_t c = t->nodes[root].child; c != NONE; c = t->nodes[c].next)
		roots[n++] = c;
	GHashTable *table = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; i < n; i++) {
		size_t c = roots[i], m = root_subject_msg(t, c);
		if (m == NONE)
			continue;
		bool reply;
		const char *subj = msg_subject(t, m, &reply);
		if (subj[0] == '\0')
			continue;
		gpointer v = g_hash_table_lookup(table, subj);
		if (v == NULL) {
			g_hash_table_insert(table, (gpointer)subj, GSIZE_TO_POINTER(c + 1));
			continue;
		}
		size_t old = GPOINTER_TO_SIZE(v) - 1;
		bool old_reply = false;
		if (t->nodes[old].msg != NONE)
			msg_subject(t, t->nodes[old].msg, &old_reply);
		if (t->nodes[old].msg != NONE &&
		    (t->nodes[c].msg == NONE || (old_reply && !reply)))
			g_hash_table_insert(table, (gpointer)subj, GSIZE_TO_POINTER(c + 1));
	}
	size_t first_n = n; /* new dummies are appended to roots below */
	for (size_t i = 0; i < first_n; i++) {
		size_t c = roots[i], m = root_subject_msg(t, c);
		if (m == NONE)
			continue;
		bool reply;
		const char *subj = msg_subject(t, m, &reply);
		if (subj[0] == '\0')
			continue;
		size_t old = GPOINTER_TO_SIZE(g_hash_table_lookup(table, subj)) - 1;
		if (old == c)
			continue;
		bool old_dummy = t->nodes[old].msg == NONE, cur_dummy = t->nodes[c].msg == NONE;
		bool old_reply = false;
		if (!old_dummy)
			msg_subject(t, t->nodes[old].msg, &old_reply);
		/* c leaves the root (the root list is rebuilt below: unlinking
		 * from it here would cost its length each time) */
		t->nodes[c].parent = NONE;
		if (old_dummy && cur_dummy) {
			size_t k;
			while ((k = t->nodes[c].child) != NONE) {
				node_unlink(t, k);
				node_link(t, old, k);
			}
		} else if (old_dummy || (reply && !old_reply)) {
			node_link(t, old, c);
		} else {
			size_t d = node_new(t, NONE);
			t->nodes[old].parent = NONE;
			t->nodes[d].parent = root;
			node_link(t, d, old);
			node_link(t, d, c);
			*XARRAY_PUSH(roots, n, cap) = d;
			g_hash_table_insert(table, (gpointer)subj, GSIZE_TO_POINTER(d + 1));
		}
	}
	/* the root's children: those still at the root, new dummies included */
	size_t *link = &t->nodes[root].child;
	for (size_t i = 0; i < n; i++) {
		if (t->nodes[roots[i]].parent != root)
			continue;
		*link = roots[i];
		link = &t->nodes[roots[i]].next;
	}
	*link = NONE;
	g_hash_table_destroy(table);
	free(roots);
}

/* Step 6: every list by date; dummies (root level only) take their first
 * child's date, so message containers are sorted first. */
static void sort_all(struct tctx *t, size_t root)
{
	size_t *scratch = NULL, cap = 0;
	for (size_t n = 0; n < t->count; n++)
		if (n != root && t->nodes[n].msg != NONE)
			node_sort_children(t, n, &scratch, &cap);
	for (size_t c = t->nodes[root].child; c != NONE; c = t->nodes[c].next) {
		if (t->nodes[c].msg != NONE)
			continue;
		node_sort_children(t, c, &scratch, &cap);
		size_t first = t->nodes[c].child;
		if (first != NONE) {
			t->nodes[c].date = t->nodes[first].date;
			t->nodes[c].order = t->nodes[first].order;
		}
	}
	node_sort_children(t, root, &scratch, &cap);
	free(scratch);
}

/* ---- ORDEREDSUBJECT ---- */

static int os_cmp(const void *pa, const void *pb, void *context)
{
	struct tctx *t = context;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int r = strcmp(t->subjects[a], t->subjects[b]);
	if (r != 0)
		return r;
	if (t->msgs[a].date != t->msgs[b].date)
		return t->msgs[a].date < t->msgs[b].date ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Messages sorted by base subject, then date; each run of one subject is a
 * thread whose first message is the parent of all the others. */
static size_t ordered_subject(struct tctx *t, size_t count)
{
	size_t *order = xcalloc(count, sizeof(*order));
	for (size_t i = 0; i < count; i++) {
		order[i] = i;
		msg_subject(t, i, NULL);
		node_new(t, i); /* node i is message i */
	}
	size_t root = node_new(t, NONE);
	g_qsort_with_data(order, (gint)count, sizeof(size_t), os_cmp, t);
	size_t head = NONE;
	for (size_t i = 0; i < count; i++) {
		size_t m = order[i];
		if (head != NONE && strcmp(t->subjects[head], t->subjects[m]) == 0) {
			node_link(t, head, m);
		} else {
			head = m;
			node_link(t, root, m);
		}
	}
	free(order);
	return root;
}

/* ---- output ---- */

/* "(" chain of single children, then "(child)(child)" ")" per thread,
 * with an explicit stack of the sibling to write next at each branch. */
static void write_threads(const struct tctx *t, size_t root, struct buf *out)
{
	size_t *stack = NULL, depth = 0, cap = 0;
	for (size_t top = t->nodes[root].child; top != NONE; top = t->nodes[top].next) {
		size_t n = top;
		for (;;) {
			/* open n's list and write its chain */
			buf_append_byte(out, '(');
			bool first = true;
			for (;;) {
				const struct tnode *node = &t->nodes[n];
				if (node->msg != NONE) {
					buf_printf(out, first ? "%u" : " %u", t->msgs[node->msg].number);
					first = false;
				}
				if (node->child == NONE) {
					n = NONE;
					break;
				}
				if (node->msg != NONE && t->nodes[node->child].next == NONE) {
					n = node->child;
					continue;
				}
				if (!first)
					buf_append_byte(out, ' ');
				*XARRAY_PUSH(stack, depth, cap) = t->nodes[node->child].next;
				n = node->child;
				break;
			}
			if (n != NONE)
				continue; /* a branch: open its first child */
			/* a leaf: close lists until a sibling is waiting */
			buf_append_byte(out, ')');
			while (depth > 0 && stack[depth - 1] == NONE) {
				depth--;
				buf_append_byte(out, ')');
			}
			if (depth == 0)
				break;
			n = stack[depth - 1];
			stack[depth - 1] = t->nodes[n].next;
		}
	}
	free(stack);
}

void imap_thread_build(enum imap_thread_algorithm alg, const struct imap_thread_msg *msgs,
		       size_t count, struct buf *out)
{
	if (count == 0)
		return;
	struct tctx t = {
		.msgs = msgs,
		.subjects = xcalloc(count, sizeof(char *)),
		.replies = xcalloc(count, sizeof(bool)),
	};
	size_t root;
	if (alg == IMAP_THREAD_ORDEREDSUBJECT) {
		root = ordered_subject(&t, count);
	} else {
		refs_link(&t, count);
		root = node_new(&t, NONE);
		for (size_t n = 0; n < root; n++)
			if (t.nodes[n].parent == NONE)
				node_link(&t, root, n);
		refs_prune(&t, root);
		refs_group_subjects(&t, root);
	}
	sort_all(&t, root);
	write_threads(&t, root, out);
	for (size_t i = 0; i < count; i++)
		free(t.subjects[i]);
	free(t.subjects);
	free(t.replies);
	free(t.nodes);
}
