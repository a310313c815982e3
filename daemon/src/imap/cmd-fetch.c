/* cmd-fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5): UID, FLAGS,
 * INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE and BODY (cached at
 * delivery, sent as they are), BODY[section]<partial> and BODY.PEEK[...]
 * for every section (imap-bodysection.h cuts the bytes), RFC822,
 * RFC822.HEADER, RFC822.TEXT, and the macros ALL, FAST and FULL; BINARY
 * (RFC 3516): BINARY[part]<partial>, BINARY.PEEK[...] and BINARY.SIZE[part]
 * with the part's Content-Transfer-Encoding undone, sent as a literal8
 * ~{n} when the decoded bytes hold a NUL, and NO [UNKNOWN-CTE] for an
 * encoding we cannot undo.
 *
 * Sets \Seen for BODY[...], BINARY[...], RFC822 and RFC822.TEXT (not .PEEK,
 * not RFC822.HEADER or BINARY.SIZE) in one storage transaction before answering, and then
 * reports FLAGS in the same responses. Never reads messages of another
 * mailbox than the selected one; CONDSTORE/QRESYNC (RFC 7162): the MODSEQ
 * item and the (CHANGEDSINCE n [VANISHED]) modifiers. Never reads messages
 * of another mailbox than the selected one; reads each message at most once per
 * response, and only when a body item needs it.
 *
 * Streams: the responses go out a few at a time, and while the client's
 * output is full (NET_CONN_OUTPUT_MAX) the command parks itself
 * (imap_session_suspend) with the messages still to send and goes on when
 * the client has read, so a session never queues much more than one
 * message's response however much it fetches. Never keeps a message's
 * bytes after its response is written.
 */
#include "imap-bodysection.h"
#include "imap-commands.h"
#include "imap-mailbox-access.h"
#include "imap-condstore.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Responses are gathered up to this many bytes before they are written. */
#define IMAP_FETCH_CHUNK (64 * 1024)

/* Most BODY[...] items in one FETCH. */
#define IMAP_FETCH_BODIES_MAX 32

#define FETCH_UID           0x01
#define FETCH_FLAGS         0x02
#define FETCH_INTERNALDATE  0x04
#define FETCH_SIZE          0x08
#define FETCH_ENVELOPE      0x10
#define FETCH_BODYSTRUCTURE 0x20
#define FETCH_SECTION       0x40  /* BODY[...] / BODY.PEEK[...] / RFC822* */
#define FETCH_BODY          0x80  /* BODY: the non-extensible structure */
#define FETCH_MODSEQ        0x100 /* CONDSTORE: MODSEQ (n) */
#define FETCH_BINARY        0x200 /* BINARY[...] / BINARY.PEEK[...] */
#define FETCH_BINARY_SIZE   0x400 /* BINARY.SIZE[...] */

struct imap_fetch_item {
	unsigned what;        /* one FETCH_* */
	const char *name;     /* FETCH_SECTION: "RFC822" etc. as the reply's name; NULL: BODY[..] */
	struct imap_section section; /* FETCH_SECTION, FETCH_BINARY[_SIZE] */
};

/* Does the item own a parsed section? */
static bool imap_fetch_has_section(unsigned what)
{
	return what == FETCH_SECTION || what == FETCH_BINARY || what == FETCH_BINARY_SIZE;
}

struct imap_fetch {
	struct imap_fetch_item items[16 + IMAP_FETCH_BODIES_MAX];
	size_t count;
	unsigned bodies;
	bool sets_seen;
};

/* Does it ask for what the view does not keep (imap_view_attrs_load)? */
static bool imap_fetch_needs_attrs(const struct imap_fetch *f)
{
	for (size_t i = 0; i < f->count; i++)
		if ((f->items[i].what & (FETCH_INTERNALDATE | FETCH_SIZE | FETCH_MODSEQ)) != 0)
			return true;
	return false;
}

/* The implicit \Seen's callback: the view and the command's modseqs. */
struct imap_fetch_seen {
	struct imap_session *session;
	struct imap_view_attrs *attrs;
};

static void imap_fetch_free(struct imap_fetch *f)
{
	for (size_t i = 0; i < f->count; i++)
		if (imap_fetch_has_section(f->items[i].what))
			imap_section_free(&f->items[i].section);
}

static void imap_fetch_add(struct imap_fetch *f, unsigned what)
{
	for (size_t i = 0; i < f->count; i++)
		if (f->items[i].what == what)
			return;
	memset(&f->items[f->count], 0, sizeof(f->items[0]));
	f->items[f->count++].what = what;
}

/* Add a section item (what: FETCH_SECTION, FETCH_BINARY or
 * FETCH_BINARY_SIZE): text (len bytes) between the brackets, partial
 * ("<o.n>", may be NULL). 0 ok, -1 bad. */
static int imap_fetch_add_section(struct imap_fetch *f, unsigned what, const char *text,
				  size_t len, const char *partial, size_t partial_len, bool peek,
				  const char *name)
{
	if (f->bodies >= IMAP_FETCH_BODIES_MAX)
		return -1;
	struct imap_fetch_item item = { .what = what, .name = name };
	const char *error;
	if (imap_section_parse(text, len, what != FETCH_SECTION, &item.section, &error) < 0)
		return -1;
	if (partial != NULL &&
	    imap_partial_parse(partial, partial_len, &item.section, &error) < 0) {
		imap_section_free(&item.section);
		return -1;
	}
	f->bodies++;
	f->items[f->count++] = item;
	if (!peek)
		f->sets_seen = true;
	return 0;
}

/* BODY[section]<o.n> / BODY.PEEK[...], BINARY[part]<o.n> /
 * BINARY.PEEK[...] / BINARY.SIZE[part]: 1 ok, 0 not that form, -1 bad. */
static int imap_fetch_body(struct imap_fetch *f, const char *att, size_t len)
{
	static const struct {
		const char *prefix;
		unsigned what;
		bool peek;
	} forms[] = {
		{ "BODY.PEEK[", FETCH_SECTION, true },
		{ "BODY[", FETCH_SECTION, false },
		{ "BINARY.PEEK[", FETCH_BINARY, true },
		{ "BINARY.SIZE[", FETCH_BINARY_SIZE, true },
		{ "BINARY[", FETCH_BINARY, false },
	};
	size_t form = 0;
	while (form < sizeof(forms) / sizeof(forms[0]) &&
	       (len < strlen(forms[form].prefix) ||
		strncasecmp(att, forms[form].prefix, strlen(forms[form].prefix)) != 0))
		form++;
	if (form == sizeof(forms) / sizeof(forms[0]))
		return 0;
	bool peek = forms[form].peek;
	size_t skip = strlen(forms[form].prefix);
	const char *p = att + skip, *end = att + len;
	const char *close, *partial = NULL;
	if (end[-1] == '>') {
		partial = memrchr(p, '<', (size_t)(end - p));
		if (partial == NULL || partial == p || partial[-1] != ']')
			return -1;
		close = partial - 1;
	} else if (end[-1] == ']' && end - 1 >= p) {
		close = end - 1;
	} else {
		return -1;
	}
	if (partial != NULL && forms[form].what == FETCH_BINARY_SIZE)
		return -1; /* RFC 3516: no partial for BINARY.SIZE */
	if (imap_fetch_add_section(f, forms[form].what, p, (size_t)(close - p), partial,
				   partial != NULL ? (size_t)(end - partial) : 0, peek, NULL) < 0)
		return -1;
	return 1;
}

/* One fetch attribute. 0 ok, -1 bad syntax or unknown. */
static int imap_fetch_att(struct imap_fetch *f, const struct imap_arg *arg)
{
	if (arg->type != IMAP_ARG_ATOM)
		return -1;
	static const struct {
		const char *name;
		unsigned what;
	} simple[] = {
		{ "UID", FETCH_UID },
		{ "FLAGS", FETCH_FLAGS },
		{ "INTERNALDATE", FETCH_INTERNALDATE },
		{ "RFC822.SIZE", FETCH_SIZE },
		{ "ENVELOPE", FETCH_ENVELOPE },
		{ "BODYSTRUCTURE", FETCH_BODYSTRUCTURE },
		{ "BODY", FETCH_BODY },
		{ "MODSEQ", FETCH_MODSEQ },
	};
	/* the RFC822 forms: their BODY[] equivalents, named as asked */
	static const struct {
		const char *name;
		const char *section;
		bool peek;
	} rfc822[] = {
		{ "RFC822", "", false },
		{ "RFC822.HEADER", "HEADER", true },
		{ "RFC822.TEXT", "TEXT", false },
	};
	if (f->count >= sizeof(f->items) / sizeof(f->items[0]) - 1)
		return -1;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcasecmp(arg->str, simple[i].name) == 0) {
			imap_fetch_add(f, simple[i].what);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(rfc822) / sizeof(rfc822[0]); i++) {
		if (strcasecmp(arg->str, rfc822[i].name) == 0)
			return imap_fetch_add_section(f, FETCH_SECTION, rfc822[i].section,
						      strlen(rfc822[i].section), NULL, 0,
						      rfc822[i].peek, rfc822[i].name);
	}
	int ret = imap_fetch_body(f, arg->str, arg->len);
	if (ret == 1)
		return 0;
	return -1; /* unknown items too */
}

static void imap_fetch_internaldate(struct buf *out, int64_t date)
{
	time_t t = (time_t)date;
	struct tm tm;
	char text[64];
	gmtime_r(&t, &tm);
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	snprintf(text, sizeof(text), "\"%02d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf_append_str(out, text);
}

/* One section item of one message into out. */
static void imap_fetch_section(const struct imap_fetch_item *it, const unsigned char *data,
			       size_t size, struct buf *out)
{
	struct imap_bodysection_result res;
	imap_bodysection_get(data, size, &it->section, &res);
	if (it->name != NULL) {
		buf_append_str(out, it->name);
	} else {
		buf_append_str(out, "BODY[");
		imap_section_write(&it->section, out);
		buf_append_byte(out, ']');
		if (it->section.partial)
			buf_printf(out, "<%u>", it->section.origin);
	}
	if (res.missing) {
		buf_append_str(out, " \"\"");
	} else {
		buf_printf(out, " {%zu}\r\n", res.size);
		buf_append(out, res.data, res.size);
	}
	imap_bodysection_result_free(&res);
}

/* One BINARY or BINARY.SIZE item of one message into out; -1 (out
 * untouched) when the part's encoding is unknown. */
static int imap_fetch_binary(const struct imap_fetch_item *it, const unsigned char *data,
			     size_t size, struct buf *out)
{
	struct imap_bodysection_result res;
	const char *error;
	if (imap_bodysection_binary(data, size, &it->section, &res, &error) < 0) {
		imap_bodysection_result_free(&res);
		return -1;
	}
	buf_append_str(out, it->what == FETCH_BINARY_SIZE ? "BINARY.SIZE[" : "BINARY[");
	imap_section_write(&it->section, out);
	buf_append_byte(out, ']');
	if (it->what == FETCH_BINARY_SIZE) {
		buf_printf(out, " %zu", res.size);
	} else {
		if (it->section.partial)
			buf_printf(out, "<%u>", it->section.origin);
		if (res.missing) {
			buf_append_str(out, " \"\"");
		} else {
			/* literal8 when the bytes hold a NUL (RFC 3516 4.2) */
			bool nul = res.size > 0 && memchr(res.data, '\0', res.size) != NULL;
			buf_printf(out, " %s{%zu}\r\n", nul ? "~" : "", res.size);
			buf_append(out, res.data, res.size);
		}
	}
	imap_bodysection_result_free(&res);
	return 0;
}

/* The response for one message into out. *unknown_cte_r: a BINARY item
 * met an encoding we cannot undo (the response is then incomplete). */
static enum storage_result imap_fetch_one(struct imap_client_cmd *cmd, const struct imap_fetch *f,
					  const struct imap_view_attrs *attrs, size_t index,
					  struct buf *out, bool *unknown_cte_r, const char **error_r)
{
	struct imap_session *session = cmd->session;
	uint32_t uid = imap_view_uid(session, index);
	const struct storage_mail_attrs *a = imap_fetch_needs_attrs(f) ?
					     imap_view_attrs_find(attrs, uid) : NULL;
	if (imap_fetch_needs_attrs(f) && a == NULL)
		return STORAGE_ERR_NOTFOUND; /* expunged by another session meanwhile */
	char *envelope = NULL, *bodystructure = NULL, *body = NULL;
	unsigned char *data = NULL;
	size_t size = 0;
	enum storage_result ret = STORAGE_OK;

	buf_printf(out, "* %zu FETCH (", index + 1);
	for (size_t i = 0; i < f->count && ret == STORAGE_OK; i++) {
		const struct imap_fetch_item *it = &f->items[i];
		if (i > 0)
			buf_append_byte(out, ' ');
		switch (it->what) {
		case FETCH_UID:
			buf_printf(out, "UID %u", uid);
			break;
		case FETCH_FLAGS:
			buf_append_str(out, "FLAGS (");
			imap_append_view_flags(session, out, index);
			buf_append_byte(out, ')');
			break;
		case FETCH_INTERNALDATE:
			buf_append_str(out, "INTERNALDATE ");
			imap_fetch_internaldate(out, a->internal_date);
			break;
		case FETCH_MODSEQ:
			buf_printf(out, "MODSEQ (%lld)", (long long)a->modseq);
			break;
		case FETCH_SIZE:
			buf_printf(out, "RFC822.SIZE %lld", (long long)(a->size < 0 ? 0 : a->size));
			break;
		case FETCH_ENVELOPE:
		case FETCH_BODYSTRUCTURE:
			if (envelope == NULL)
				ret = storage_mail_cached(imap_storage(session), session->mailbox.id,
							  uid, &envelope, &bodystructure, error_r);
			if (ret != STORAGE_OK)
				break;
			if (it->what == FETCH_ENVELOPE)
				buf_printf(out, "ENVELOPE %s", envelope);
			else
				buf_printf(out, "BODYSTRUCTURE %s", bodystructure);
			break;
		case FETCH_BODY:
			if (body == NULL)
				ret = storage_mail_cached_body(imap_storage(session),
							       session->mailbox.id, uid, &body,
							       error_r);
			if (ret == STORAGE_OK)
				buf_printf(out, "BODY %s", body);
			break;
		case FETCH_SECTION:
			if (data == NULL)
				ret = storage_mail_read(imap_storage(session), session->mailbox.id,
							uid, &data, &size, error_r);
			if (ret == STORAGE_OK)
				imap_fetch_section(it, data, size, out);
			break;
		case FETCH_BINARY:
		case FETCH_BINARY_SIZE:
			if (data == NULL)
				ret = storage_mail_read(imap_storage(session), session->mailbox.id,
							uid, &data, &size, error_r);
			if (ret == STORAGE_OK && imap_fetch_binary(it, data, size, out) < 0)
				*unknown_cte_r = true;
			break;
		}
	}
	buf_append_str(out, ")\r\n");
	free(envelope);
	free(bodystructure);
	free(body);
	free(data);
	return ret;
}

/* Before \Seen is set: can every BINARY item of the messages it would be
 * set on be decoded? *unknown_cte_r false when so. Reads those messages. */
static enum storage_result imap_fetch_binary_check(struct imap_session *session,
						   const struct imap_fetch *f, const size_t *indexes,
						   size_t count, bool *unknown_cte_r,
						   const char **error_r)
{
	bool any = false;
	for (size_t k = 0; k < f->count; k++)
		any = any || f->items[k].what == FETCH_BINARY;
	for (size_t i = 0; i < count && any && !*unknown_cte_r; i++) {
		if ((imap_view_flags(session, indexes[i]) & STORAGE_FLAG_SEEN) != 0)
			continue;
		unsigned char *data = NULL;
		size_t size = 0;
		enum storage_result ret = storage_mail_read(imap_storage(session),
							    session->mailbox.id,
							    imap_view_uid(session, indexes[i]), &data,
							    &size, error_r);
		if (ret == STORAGE_ERR_NOTFOUND)
			continue; /* FETCH reports it */
		if (ret != STORAGE_OK)
			return ret;
		for (size_t k = 0; k < f->count && !*unknown_cte_r; k++) {
			if (f->items[k].what != FETCH_BINARY)
				continue;
			struct imap_bodysection_result res;
			const char *error;
			if (imap_bodysection_binary(data, size, &f->items[k].section, &res,
						    &error) < 0)
				*unknown_cte_r = true;
			imap_bodysection_result_free(&res);
		}
		free(data);
	}
	return STORAGE_OK;
}

static void imap_fetch_seen_cb(const struct storage_mail *mail, bool changed, void *context)
{
	(void)changed;
	struct imap_fetch_seen *seen = context;
	struct imap_session *session = seen->session;
	imap_view_attrs_set_modseq(seen->attrs, mail->uid, mail->modseq);
	size_t i = imap_view_index(session, mail->uid);
	if (i == session->mail_count)
		return;
	imap_view_set_flags(session, i, mail->flags, mail->keywords);
	imap_view_own_change(session, mail->uid, mail->modseq);
}

/* A FETCH producing its responses: the messages from next on are still
 * to be sent. Lives across input events when the client reads slowly. */
struct imap_fetch_run {
	struct imap_fetch f;
	struct imap_view_attrs attrs; /* internal dates, sizes, modseqs */
	size_t *indexes, count, next;
	char tag[IMAP_TAG_MAX + 1];
	bool uid;
	bool gone, unknown_cte;
	enum storage_result sret;
	const char *error;
};

static void imap_fetch_run_free(void *state)
{
	struct imap_fetch_run *run = state;
	free(run->indexes);
	imap_view_attrs_free(&run->attrs);
	imap_fetch_free(&run->f);
	free(run);
}

/* Send responses until all are out or the client's output is full (about
 * one message plus IMAP_FETCH_CHUNK beyond NET_CONN_OUTPUT_MAX queued at
 * most), then the tagged reply. True when the command is over. */
static bool imap_fetch_run(struct imap_session *session, void *state)
{
	struct imap_fetch_run *run = state;
	struct imap_client_cmd cmd = {
		.session = session, .tag = run->tag, .name = "FETCH", .uid = run->uid,
	};
	struct buf out;
	buf_init(&out);
	while (run->next < run->count && run->sret == STORAGE_OK && !run->unknown_cte) {
		if (session->conn == NULL) {
			buf_free(&out);
			return true; /* nobody to answer */
		}
		if (out.len == 0 && imap_output_full(session)) {
			buf_free(&out);
			return false; /* the input loop calls again once the client has read */
		}
		size_t start = out.len;
		enum storage_result r = imap_fetch_one(&cmd, &run->f, &run->attrs,
						       run->indexes[run->next++], &out,
						       &run->unknown_cte, &run->error);
		if (run->unknown_cte) {
			out.len = start; /* no half response: the NO says why */
		} else if (r == STORAGE_ERR_NOTFOUND) {
			out.len = start; /* expunged by another session meanwhile */
			run->gone = true;
		} else {
			run->sret = r;
		}
		if (out.len > IMAP_FETCH_CHUNK || run->sret != STORAGE_OK) {
			if (run->sret == STORAGE_OK)
				imap_write(session, out.data, out.len);
			buf_reset(&out);
			if (out.cap > 4 * IMAP_FETCH_CHUNK)
				buf_free(&out); /* a big message's bytes: do not keep them */
		}
	}
	if (run->sret == STORAGE_OK)
		imap_write(session, out.data, out.len);
	buf_free(&out);
	if (run->sret != STORAGE_OK)
		imap_cmd_storage_error(&cmd, run->sret, run->error);
	else if (run->unknown_cte)
		imap_cmd_no(&cmd, "[UNKNOWN-CTE] cannot decode the Content-Transfer-Encoding");
	else if (run->gone)
		imap_cmd_no(&cmd, "[EXPUNGEISSUED] some messages were expunged meanwhile");
	else
		imap_cmd_ok(&cmd, "FETCH completed");
	return true;
}

/* (CHANGEDSINCE n [VANISHED]) (RFC 7162 3.1.4.1, 3.2.6). -1 after BAD. */
static int imap_fetch_modifiers(struct imap_client_cmd *cmd, const struct imap_arg *list,
				int64_t *changedsince_r, bool *vanished_r)
{
	for (size_t i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];
		if (imap_arg_atom_equals(a, "CHANGEDSINCE") && *changedsince_r < 0 &&
		    i + 1 < list->list_count &&
		    imap_arg_modseq(&list->list[i + 1], true, changedsince_r) == 0) {
			i++;
		} else if (imap_arg_atom_equals(a, "VANISHED") && !*vanished_r) {
			*vanished_r = true;
		} else {
			imap_cmd_bad(cmd, "bad FETCH modifier");
			return -1;
		}
	}
	if (*vanished_r && (!cmd->uid || !cmd->session->qresync || *changedsince_r < 0)) {
		imap_cmd_bad(cmd, "VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE");
		return -1;
	}
	return 0;
}

void imap_cmd_fetch(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	struct imap_fetch f;
	memset(&f, 0, sizeof(f));
	if (cmd->arg_count != 2 && (cmd->arg_count != 3 || cmd->args[2].type != IMAP_ARG_LIST)) {
		imap_cmd_bad(cmd, "FETCH needs a sequence set and data items");
		return;
	}
	int64_t changedsince = -1;
	bool vanished = false;
	if (cmd->arg_count == 3 &&
	    imap_fetch_modifiers(cmd, &cmd->args[2], &changedsince, &vanished) < 0)
		return;
	if (cmd->uid)
		imap_fetch_add(&f, FETCH_UID);
	const struct imap_arg *atts = &cmd->args[1];
	int ret = 0;
	if (atts->type == IMAP_ARG_LIST) {
		if (atts->list_count == 0)
			ret = -1;
		for (size_t i = 0; i < atts->list_count && ret == 0; i++)
			ret = imap_fetch_att(&f, &atts->list[i]);
	} else if (imap_arg_atom_equals(atts, "ALL") || imap_arg_atom_equals(atts, "FAST") ||
		   imap_arg_atom_equals(atts, "FULL")) {
		imap_fetch_add(&f, FETCH_FLAGS);
		imap_fetch_add(&f, FETCH_INTERNALDATE);
		imap_fetch_add(&f, FETCH_SIZE);
		if (!imap_arg_atom_equals(atts, "FAST"))
			imap_fetch_add(&f, FETCH_ENVELOPE);
		if (imap_arg_atom_equals(atts, "FULL"))
			imap_fetch_add(&f, FETCH_BODY);
	} else {
		ret = imap_fetch_att(&f, atts);
	}
	if (ret < 0) {
		imap_fetch_free(&f);
		imap_cmd_bad(cmd, "bad FETCH data item");
		return;
	}
	size_t *indexes, count;
	if (imap_cmd_msgset(cmd, &cmd->args[0], cmd->uid, &indexes, &count) < 0) {
		imap_fetch_free(&f);
		return;
	}
	bool wants_modseq = changedsince >= 0;
	for (size_t i = 0; i < f.count; i++)
		wants_modseq = wants_modseq || f.items[i].what == FETCH_MODSEQ;
	if (wants_modseq)
		imap_view_condstore_enable(session, true); /* a CONDSTORE enabling command */
	const char *error = NULL;
	enum storage_result sret = STORAGE_OK;
	/* internal dates, sizes, modseqs: one query; the implicit \Seen may
	 * add MODSEQ below */
	struct imap_view_attrs attrs = { NULL, 0, 0 };
	if (changedsince >= 0)
		imap_fetch_add(&f, FETCH_MODSEQ);
	if (imap_fetch_needs_attrs(&f) || (f.sets_seen && session->condstore))
		sret = imap_view_attrs_load(session, indexes, count, &attrs, &error);
	if (changedsince >= 0 && sret == STORAGE_OK) {
		size_t n = 0;
		for (size_t i = 0; i < count; i++) {
			const struct storage_mail_attrs *a =
				imap_view_attrs_find(&attrs, imap_view_uid(session, indexes[i]));
			/* one expunged meanwhile has no change to tell (QRESYNC:
			 * VANISHED says it) */
			if (a != NULL && a->modseq > changedsince)
				indexes[n++] = indexes[i];
		}
		count = n;
	}
	if (vanished) {
		struct imap_uid_set known;
		if (imap_uid_set_parse(&cmd->args[0], &known) == 0) {
			sret = imap_condstore_vanished(session, changedsince, &known, &error);
			imap_uid_set_free(&known);
		}
	}
	bool unknown_cte = false;
	/* RFC 4314: without the s right a fetch leaves \Seen alone */
	bool may_seen = imap_mailbox_access_may(session, STORAGE_ACL_SEEN);
	if (f.sets_seen && !session->readonly && may_seen && sret == STORAGE_OK)
		sret = imap_fetch_binary_check(session, &f, indexes, count, &unknown_cte, &error);
	if (f.sets_seen && !session->readonly && may_seen && sret == STORAGE_OK && !unknown_cte) {
		uint32_t *uids = xcalloc(count + 1, sizeof(uint32_t)), *modified = NULL;
		size_t n = 0, modified_count = 0;
		for (size_t i = 0; i < count; i++)
			if ((imap_view_flags(session, indexes[i]) & STORAGE_FLAG_SEEN) == 0)
				uids[n++] = imap_view_uid(session, indexes[i]);
		if (n > 0)
			sret = storage_mail_store_flags(imap_storage(session), session->mailbox.id,
							uids, n, STORAGE_FLAGS_ADD,
							STORAGE_FLAG_SEEN, NULL, 0,
							imap_fetch_seen_cb,
							&(struct imap_fetch_seen){ session, &attrs },
							&modified,
							&modified_count, &error);
		free(modified);
		free(uids);
		if (sret == STORAGE_OK && n > 0) {
			imap_fetch_add(&f, FETCH_FLAGS);
			if (session->condstore) /* RFC 7162 3.1: implicit \Seen */
				imap_fetch_add(&f, FETCH_MODSEQ);
		}
	}
	struct imap_fetch_run *run = xcalloc(1, sizeof(*run));
	run->f = f; /* the items' sections move with it */
	run->attrs = attrs;
	run->indexes = indexes;
	run->count = count;
	snprintf(run->tag, sizeof(run->tag), "%s", cmd->tag);
	run->uid = cmd->uid;
	run->sret = sret;
	run->error = error;
	run->unknown_cte = unknown_cte;
	if (imap_fetch_run(session, run))
		imap_fetch_run_free(run);
	else
		imap_session_suspend(session, &(struct imap_cmd_resume){
			imap_fetch_run, imap_fetch_run_free, run });
}
