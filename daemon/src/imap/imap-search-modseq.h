/* imap-search-modseq.h - internal to src/imap: the CONDSTORE SEARCH key
 * MODSEQ [entry-name entry-type] n (RFC 7162 3.1.5), answered from the
 * storage's rows changed since n (one query per key) by rewriting each MODSEQ key into "(UID set)" (or
 * "(NOT ALL)") before the keys go to imap-search-view.h, so the search
 * module itself needs no modseq. Never changes the caller's arguments.
 */
#ifndef TANDEM_IMAP_SEARCH_MODSEQ_H
#define TANDEM_IMAP_SEARCH_MODSEQ_H

#include "imap-session.h"

struct imap_search_modseq {
	struct imap_arg *args;  /* the rewritten keys (borrow the caller's strings) */
	size_t arg_count;
	bool used;              /* some MODSEQ key was there */
	bool failed;            /* the storage could not be read */
	/* what the rewrite allocated */
	char **owned;
	size_t owned_count, owned_cap;
};

/* Rewrite args (SEARCH keys, an optional CHARSET first). 0 ok (args
 * unchanged copies when there is no MODSEQ key), -1 with *error_r static
 * text for a BAD reply. Free with imap_search_modseq_free() either way. */
int imap_search_modseq_rewrite(struct imap_session *session, const struct imap_arg *args,
			       size_t arg_count, struct imap_search_modseq *out_r,
			       const char **error_r);
void imap_search_modseq_free(struct imap_search_modseq *rw);

#endif
