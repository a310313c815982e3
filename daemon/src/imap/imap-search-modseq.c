/* imap-search-modseq.c - SEARCH MODSEQ (RFC 7162 3.1.5): every MODSEQ key
 * becomes "(UID set)" of the view's messages whose modseq is at least n
 * (read from the storage: the view keeps no modseqs),
 * or "(NOT ALL)" when there are none; the other keys and their arguments
 * are copied as they are (a key's arguments are skipped by the arity table
 * below, so "SUBJECT MODSEQ" stays a subject search). Never changes the
 * caller's arguments or the view.
 */
#include "imap-search-modseq.h"
#include "imap-condstore.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Search keys that take arguments, and how many (RFC 3501 6.4.4). */
static const struct {
	const char *name;
	unsigned args;
} imap_search_arity[] = {
	{ "BCC", 1 },    { "BEFORE", 1 },     { "BODY", 1 },    { "CC", 1 },
	{ "FROM", 1 },   { "HEADER", 2 },     { "KEYWORD", 1 }, { "LARGER", 1 },
	{ "ON", 1 },     { "SENTBEFORE", 1 }, { "SENTON", 1 },  { "SENTSINCE", 1 },
	{ "SINCE", 1 },  { "SMALLER", 1 },    { "SUBJECT", 1 }, { "TEXT", 1 },
	{ "TO", 1 },     { "UID", 1 },        { "UNKEYWORD", 1 }, { "CHARSET", 1 },
};

static unsigned imap_search_key_args(const struct imap_arg *arg)
{
	if (arg->type != IMAP_ARG_ATOM)
		return 0;
	for (size_t i = 0; i < sizeof(imap_search_arity) / sizeof(imap_search_arity[0]); i++)
		if (strcasecmp(arg->str, imap_search_arity[i].name) == 0)
			return imap_search_arity[i].args;
	return 0;
}

static char *imap_search_modseq_own(struct imap_search_modseq *rw, char *s)
{
	*XARRAY_PUSH(rw->owned, rw->owned_count, rw->owned_cap) = s;
	return s;
}

static struct imap_arg imap_search_modseq_atom(struct imap_search_modseq *rw, const char *s)
{
	struct imap_arg a = { .type = IMAP_ARG_ATOM };
	a.str = imap_search_modseq_own(rw, xstrdup(s));
	a.len = strlen(s);
	return a;
}

/* The uids of the view among the rows the storage lists. */
struct imap_search_modseq_uids {
	struct imap_session *session;
	uint32_t *uids;
	size_t count, cap;
};

static void imap_search_modseq_uid_add(const struct storage_mail *mail, void *context)
{
	struct imap_search_modseq_uids *got = context;
	if (imap_view_index(got->session, mail->uid) < got->session->mail_count &&
	    (got->count == 0 || got->uids[got->count - 1] < mail->uid))
		*XARRAY_PUSH(got->uids, got->count, got->cap) = mail->uid;
}

/* The replacement of "MODSEQ n": one list element. */
static struct imap_arg imap_search_modseq_key(struct imap_search_modseq *rw,
					      struct imap_session *session, int64_t modseq)
{
	struct imap_search_modseq_uids got = { session, NULL, 0, 0 };
	const char *error;
	/* the rows changed at modseq or later: one query (the view keeps no
	 * modseqs); unreadable now: none */
	if (storage_mail_list_since(imap_storage(session), session->mailbox.id,
				    modseq > 0 ? modseq - 1 : 0, imap_search_modseq_uid_add, &got,
				    &error) != STORAGE_OK) {
		got.count = 0;
		rw->failed = true;
	}
	uint32_t *uids = got.uids;
	size_t n = got.count;
	struct imap_arg list = { .type = IMAP_ARG_LIST, .list_count = 2 };
	list.list = xcalloc(2, sizeof(struct imap_arg));
	imap_search_modseq_own(rw, (char *)list.list);
	if (n == 0) {
		list.list[0] = imap_search_modseq_atom(rw, "NOT");
		list.list[1] = imap_search_modseq_atom(rw, "ALL");
	} else {
		struct buf set;
		buf_init(&set);
		imap_append_uid_set(&set, uids, n);
		list.list[0] = imap_search_modseq_atom(rw, "UID");
		list.list[1] = imap_search_modseq_atom(rw, (const char *)set.data);
		buf_free(&set);
	}
	free(uids);
	return list;
}

static int imap_search_modseq_walk(struct imap_search_modseq *rw, struct imap_session *session,
				   const struct imap_arg *args, size_t count,
				   struct imap_arg **out_r, size_t *out_count_r,
				   const char **error_r)
{
	struct imap_arg *out = xcalloc(count + 1, sizeof(*out));
	imap_search_modseq_own(rw, (char *)out);
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		const struct imap_arg *a = &args[i];
		if (a->type == IMAP_ARG_LIST) {
			out[n] = *a;
			if (imap_search_modseq_walk(rw, session, a->list, a->list_count,
						    &out[n].list, &out[n].list_count, error_r) < 0)
				return -1;
			n++;
			continue;
		}
		if (imap_arg_atom_equals(a, "MODSEQ")) {
			/* MODSEQ [entry-name entry-type] mod-sequence-valzer */
			size_t v = i + 1;
			if (v < count && (args[v].type == IMAP_ARG_QUOTED ||
					  args[v].type == IMAP_ARG_LITERAL))
				v += 2;
			int64_t modseq;
			if (v >= count || imap_arg_modseq(&args[v], true, &modseq) < 0) {
				*error_r = "MODSEQ needs a mod-sequence value";
				return -1;
			}
			out[n++] = imap_search_modseq_key(rw, session, modseq);
			rw->used = true;
			if (rw->failed) {
				*error_r = "cannot read modification sequences now, try again";
				return -1;
			}
			i = v;
			continue;
		}
		unsigned skip = imap_search_key_args(a);
		out[n++] = *a;
		for (unsigned k = 0; k < skip && i + 1 < count; k++)
			out[n++] = args[++i];
	}
	*out_r = out;
	*out_count_r = n;
	return 0;
}

int imap_search_modseq_rewrite(struct imap_session *session, const struct imap_arg *args,
			       size_t arg_count, struct imap_search_modseq *out_r,
			       const char **error_r)
{
	memset(out_r, 0, sizeof(*out_r));
	return imap_search_modseq_walk(out_r, session, args, arg_count, &out_r->args,
				       &out_r->arg_count, error_r);
}

void imap_search_modseq_free(struct imap_search_modseq *rw)
{
	for (size_t i = 0; i < rw->owned_count; i++)
		free(rw->owned[i]);
	free(rw->owned);
	memset(rw, 0, sizeof(*rw));
}
