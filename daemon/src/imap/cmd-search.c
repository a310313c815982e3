/* cmd-search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4) with ESEARCH's
 * result options (RFC 4731): evaluate the keys over the view
 * (imap-search-view.c) and answer "* SEARCH n n ..." (sequence numbers, or
 * UIDs under UID SEARCH), or, after "RETURN (MIN MAX COUNT ALL)",
 * "* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set".
 *
 * CONDSTORE (RFC 7162 3.1.5): the MODSEQ key (imap-search-modseq.h) and
 * "(MODSEQ n)" / "MODSEQ n" after the results, n the highest modseq of the
 * messages found.
 *
 * SEARCHRES (RFC 5182): RETURN (SAVE ...) keeps the result as "$" (2.4:
 * only MIN and/or MAX when those are the only other options; SAVE alone
 * sends no ESEARCH); a SAVE that ends in NO empties "$", one that ends in
 * BAD leaves it as it was (2.1). "$" in the keys is the saved result as it
 * was before this command. IMAP4rev2 sessions (RFC 9051) get ESEARCH for a
 * SEARCH without RETURN, as RETURN (ALL).
 *
 * Never changes flags or the view.
 */
#include "imap-commands.h"
#include "imap-search-modseq.h"
#include "imap-search-view.h"

#include <stdlib.h>
#include <strings.h>

/* RFC 4731 result options. */
#define IMAP_ESEARCH_MIN 0x01
#define IMAP_ESEARCH_MAX 0x02
#define IMAP_ESEARCH_ALL 0x04
#define IMAP_ESEARCH_COUNT 0x08
#define IMAP_ESEARCH_SAVE 0x10 /* RFC 5182 */

/* The RETURN list's options into *opts_r ("()" means ALL). -1 after
 * replying BAD. */
static int imap_search_return_parse(struct imap_client_cmd *cmd, const struct imap_arg *list,
				    unsigned *opts_r)
{
	static const struct {
		const char *name;
		unsigned opt;
	} names[] = {
		{ "MIN", IMAP_ESEARCH_MIN },
		{ "MAX", IMAP_ESEARCH_MAX },
		{ "ALL", IMAP_ESEARCH_ALL },
		{ "COUNT", IMAP_ESEARCH_COUNT },
		{ "SAVE", IMAP_ESEARCH_SAVE },
	};
	unsigned opts = 0;
	for (size_t i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];
		size_t n = 0;
		while (a->type == IMAP_ARG_ATOM && n < sizeof(names) / sizeof(names[0]) &&
		       strcasecmp(a->str, names[n].name) != 0)
			n++;
		if (a->type != IMAP_ARG_ATOM || n == sizeof(names) / sizeof(names[0])) {
			imap_cmd_bad(cmd, "unknown SEARCH RETURN option");
			return -1;
		}
		opts |= names[n].opt;
	}
	*opts_r = opts != 0 ? opts : IMAP_ESEARCH_ALL;
	return 0;
}

/* RETURN (SAVE ...): keep what RFC 5182 2.4 says of the matches. */
static void imap_search_save(struct imap_session *session, unsigned opts, const size_t *indexes,
			     size_t count)
{
	unsigned others = opts & ~(unsigned)IMAP_ESEARCH_SAVE;
	if (count == 0 || (others & (IMAP_ESEARCH_ALL | IMAP_ESEARCH_COUNT)) != 0 ||
	    (others & (IMAP_ESEARCH_MIN | IMAP_ESEARCH_MAX)) == 0) {
		imap_searchres_save(session, indexes, count);
		return;
	}
	size_t picked[2], n = 0;
	if ((others & IMAP_ESEARCH_MIN) != 0)
		picked[n++] = indexes[0];
	if ((others & IMAP_ESEARCH_MAX) != 0 && (n == 0 || indexes[count - 1] != picked[0]))
		picked[n++] = indexes[count - 1];
	imap_searchres_save(session, picked, n);
}

/* The number reported for the view's message at index. */
static uint32_t imap_search_number(const struct imap_client_cmd *cmd, size_t index)
{
	return cmd->uid ? imap_view_uid(cmd->session, index) : (uint32_t)(index + 1);
}

/* "* ESEARCH ..." for ascending matches. */
static void imap_esearch_reply(struct imap_client_cmd *cmd, unsigned opts, const size_t *indexes,
			       size_t count, struct buf *out)
{
	buf_printf(out, "* ESEARCH (TAG \"%s\")%s", cmd->tag, cmd->uid ? " UID" : "");
	if (count > 0 && (opts & IMAP_ESEARCH_MIN) != 0)
		buf_printf(out, " MIN %u", imap_search_number(cmd, indexes[0]));
	if (count > 0 && (opts & IMAP_ESEARCH_MAX) != 0)
		buf_printf(out, " MAX %u", imap_search_number(cmd, indexes[count - 1]));
	if ((opts & IMAP_ESEARCH_COUNT) != 0)
		buf_printf(out, " COUNT %zu", count);
	if (count > 0 && (opts & IMAP_ESEARCH_ALL) != 0) {
		buf_append_str(out, " ALL ");
		/* ranges of consecutive numbers: 2,4:7 */
		for (size_t i = 0; i < count;) {
			uint32_t lo = imap_search_number(cmd, indexes[i]), hi = lo;
			size_t j = i + 1;
			while (j < count && imap_search_number(cmd, indexes[j]) == hi + 1)
				hi = imap_search_number(cmd, indexes[j++]);
			buf_printf(out, i > 0 ? ",%u" : "%u", lo);
			if (hi != lo)
				buf_printf(out, ":%u", hi);
			i = j;
		}
	}
}

void imap_cmd_search(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	const struct imap_arg *args = cmd->args;
	size_t arg_count = cmd->arg_count;
	unsigned esearch = 0; /* 0: plain SEARCH, else the RETURN options */
	if (arg_count >= 1 && args[0].type == IMAP_ARG_ATOM &&
	    strcasecmp(args[0].str, "RETURN") == 0) {
		if (arg_count < 2 || args[1].type != IMAP_ARG_LIST) {
			imap_cmd_bad(cmd, "RETURN needs a list of options");
			return;
		}
		if (imap_search_return_parse(cmd, &args[1], &esearch) < 0)
			return;
		args += 2;
		arg_count -= 2;
	}
	if (arg_count == 0) {
		imap_cmd_bad(cmd, "SEARCH needs search keys");
		return;
	}
	if (esearch == 0 && session->rev2)
		esearch = IMAP_ESEARCH_ALL; /* RFC 9051 6.4.4: always ESEARCH */
	bool save = (esearch & IMAP_ESEARCH_SAVE) != 0;
	unsigned errors_before = session->errors; /* BAD replies count there */
	struct imap_search_modseq rw;
	const char *rw_error = NULL;
	if (imap_search_modseq_rewrite(session, args, arg_count, &rw, &rw_error) < 0) {
		imap_search_modseq_free(&rw);
		imap_cmd_bad(cmd, "%s", rw_error);
		return;
	}
	if (rw.used)
		imap_view_condstore_enable(session, true); /* a CONDSTORE enabling command */
	size_t *indexes, count;
	bool gone;
	int sret = imap_search_view(cmd, NULL, rw.args, rw.arg_count, &indexes, &count, &gone);
	bool modseq_used = rw.used;
	imap_search_modseq_free(&rw);
	if (sret < 0) {
		if (save && session->errors == errors_before)
			imap_searchres_clear(session); /* it ended in NO */
		return;
	}
	if (save && !gone)
		imap_search_save(session, esearch, indexes, count);
	else if (save)
		imap_searchres_clear(session); /* NO [EXPUNGEISSUED] below */
	int64_t highest = 0;
	if (modseq_used && count > 0) {
		/* the results' highest modseq: one query (the view keeps none) */
		struct imap_view_attrs attrs;
		const char *error = NULL;
		if (imap_view_attrs_load(session, indexes, count, &attrs, &error) == STORAGE_OK) {
			for (size_t i = 0; i < count; i++) {
				const struct storage_mail_attrs *a = imap_view_attrs_find(
					&attrs, imap_view_uid(session, indexes[i]));
				if (a != NULL && a->modseq > highest)
					highest = a->modseq;
			}
		}
		imap_view_attrs_free(&attrs);
		if (highest == 0) /* unreadable now: the mailbox's is an upper bound */
			highest = session->mailbox.highestmodseq;
	}
	struct buf out;
	buf_init(&out);
	if (esearch == IMAP_ESEARCH_SAVE) {
		/* SAVE alone: no ESEARCH response (RFC 5182 2.4) */
	} else if (esearch != 0) {
		imap_esearch_reply(cmd, esearch, indexes, count, &out);
		if (highest > 0)
			buf_printf(&out, " MODSEQ %lld", (long long)highest);
		buf_append_str(&out, "\r\n");
	} else {
		buf_append_str(&out, "* SEARCH");
		for (size_t i = 0; i < count; i++)
			buf_printf(&out, " %u", imap_search_number(cmd, indexes[i]));
		if (highest > 0)
			buf_printf(&out, " (MODSEQ %lld)", (long long)highest);
		buf_append_str(&out, "\r\n");
	}
	imap_write(session, out.data, out.len);
	buf_free(&out);
	free(indexes);
	if (gone)
		imap_cmd_no(cmd, "[EXPUNGEISSUED] some messages were expunged meanwhile");
	else
		imap_cmd_ok(cmd, "SEARCH completed");
}
