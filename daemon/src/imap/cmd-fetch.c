/* cmd-fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5) of what is ready
 * without section parsing: UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE
 * and BODYSTRUCTURE (cached at delivery, sent as they are), and the whole
 * message as BODY[], BODY.PEEK[] or RFC822 (optionally <offset.length>);
 * the macros ALL and FAST. BODY[section], BODY, RFC822.HEADER/TEXT and FULL
 * answer NO [CANNOT] until the section extractor is wired in.
 *
 * Sets \Seen for BODY[]/RFC822 (not .PEEK) in one storage transaction
 * before answering. Never reads messages of another mailbox than the
 * selected one.
 */
#include "imap-commands.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Most BODY[] items in one FETCH. */
#define IMAP_FETCH_BODIES_MAX 8

#define FETCH_UID           0x01
#define FETCH_FLAGS         0x02
#define FETCH_INTERNALDATE  0x04
#define FETCH_SIZE          0x08
#define FETCH_ENVELOPE      0x10
#define FETCH_BODYSTRUCTURE 0x20
#define FETCH_BODY          0x40  /* BODY[] / BODY.PEEK[] / RFC822 */

struct imap_fetch_item {
	unsigned what;        /* one FETCH_* */
	bool peek;            /* BODY.PEEK[] */
	bool rfc822;          /* the RFC822 form of the name */
	bool partial;
	uint64_t offset, length;
};

struct imap_fetch {
	struct imap_fetch_item items[16 + IMAP_FETCH_BODIES_MAX];
	size_t count;
	unsigned bodies;
	bool sets_seen;
};

static void imap_fetch_add(struct imap_fetch *f, unsigned what)
{
	for (size_t i = 0; i < f->count; i++)
		if (f->items[i].what == what && what != FETCH_BODY)
			return;
	memset(&f->items[f->count], 0, sizeof(f->items[0]));
	f->items[f->count++].what = what;
}

/* BODY[]<o.n> / BODY.PEEK[]<o.n>: 1 ok, 0 not that form, -1 bad. */
static int imap_fetch_body(struct imap_fetch *f, const char *att)
{
	bool peek = false;
	const char *p;
	if (strncasecmp(att, "BODY.PEEK[", 10) == 0) {
		peek = true;
		p = att + 10;
	} else if (strncasecmp(att, "BODY[", 5) == 0) {
		p = att + 5;
	} else {
		return 0;
	}
	if (*p != ']')
		return -2; /* a section: not yet */
	p++;
	struct imap_fetch_item item = { .what = FETCH_BODY, .peek = peek };
	if (*p == '<') {
		char *end;
		item.partial = true;
		item.offset = strtoull(p + 1, &end, 10);
		if (end == p + 1 || *end != '.')
			return -1;
		p = end + 1;
		item.length = strtoull(p, &end, 10);
		if (end == p || *end != '>' || end[1] != '\0' || item.length == 0)
			return -1;
	} else if (*p != '\0') {
		return -1;
	}
	if (f->bodies >= IMAP_FETCH_BODIES_MAX)
		return -1;
	f->bodies++;
	f->items[f->count++] = item;
	if (!peek)
		f->sets_seen = true;
	return 1;
}

/* One fetch attribute. 0 ok, -1 bad syntax, -2 not supported yet. */
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
	};
	if (f->count >= sizeof(f->items) / sizeof(f->items[0]) - 1)
		return -1;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcasecmp(arg->str, simple[i].name) == 0) {
			imap_fetch_add(f, simple[i].what);
			return 0;
		}
	}
	if (strcasecmp(arg->str, "RFC822") == 0) {
		if (imap_fetch_body(f, "BODY[]") < 0)
			return -1;
		f->items[f->count - 1].rfc822 = true;
		return 0;
	}
	int ret = imap_fetch_body(f, arg->str);
	if (ret == 1)
		return 0;
	if (ret == -2 || ret == 0)
		return -2; /* BODY[section], BODY, BINARY, RFC822.HEADER ... */
	return -1;
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

/* The response for one message into out. */
static enum storage_result imap_fetch_one(struct imap_client_cmd *cmd, const struct imap_fetch *f,
					  size_t index, struct buf *out, const char **error_r)
{
	struct imap_session *session = cmd->session;
	const struct imap_view_mail *m = &session->mails[index];
	char *envelope = NULL, *bodystructure = NULL;
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
			buf_printf(out, "UID %u", m->uid);
			break;
		case FETCH_FLAGS:
			buf_append_str(out, "FLAGS (");
			imap_append_flags(out, m->flags, m->keywords);
			buf_append_byte(out, ')');
			break;
		case FETCH_INTERNALDATE:
			buf_append_str(out, "INTERNALDATE ");
			imap_fetch_internaldate(out, m->internal_date);
			break;
		case FETCH_SIZE:
			buf_printf(out, "RFC822.SIZE %lld", (long long)m->size);
			break;
		case FETCH_ENVELOPE:
		case FETCH_BODYSTRUCTURE:
			if (envelope == NULL)
				ret = storage_mail_cached(imap_storage(session), session->mailbox.id,
							  m->uid, &envelope, &bodystructure, error_r);
			if (ret != STORAGE_OK)
				break;
			if (it->what == FETCH_ENVELOPE)
				buf_printf(out, "ENVELOPE %s", envelope);
			else
				buf_printf(out, "BODYSTRUCTURE %s", bodystructure);
			break;
		case FETCH_BODY:
			if (data == NULL)
				ret = storage_mail_read(imap_storage(session), session->mailbox.id,
							m->uid, &data, &size, error_r);
			if (ret != STORAGE_OK)
				break;
			size_t from = 0, len = size;
			if (it->partial) {
				from = it->offset < size ? (size_t)it->offset : size;
				len = size - from;
				if (it->length < len)
					len = (size_t)it->length;
			}
			if (it->rfc822)
				buf_append_str(out, "RFC822");
			else if (it->partial)
				buf_printf(out, "BODY[]<%llu>", (unsigned long long)it->offset);
			else
				buf_append_str(out, "BODY[]");
			buf_printf(out, " {%zu}\r\n", len);
			buf_append(out, data + from, len);
			break;
		}
	}
	buf_append_str(out, ")\r\n");
	free(envelope);
	free(bodystructure);
	free(data);
	return ret;
}

static void imap_fetch_seen_cb(const struct storage_mail *mail, bool changed, void *context)
{
	(void)changed;
	struct imap_session *session = context;
	for (size_t i = 0; i < session->mail_count; i++) {
		if (session->mails[i].uid != mail->uid)
			continue;
		session->mails[i].flags = mail->flags;
		free(session->mails[i].keywords);
		session->mails[i].keywords = xstrdup(mail->keywords != NULL ? mail->keywords : "");
		break;
	}
}

void imap_cmd_fetch(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	struct imap_fetch f;
	memset(&f, 0, sizeof(f));
	if (cmd->arg_count != 2) {
		imap_cmd_bad(cmd, "FETCH needs a sequence set and data items");
		return;
	}
	if (cmd->uid)
		imap_fetch_add(&f, FETCH_UID);
	const struct imap_arg *atts = &cmd->args[1];
	int ret = 0;
	if (atts->type == IMAP_ARG_LIST) {
		if (atts->list_count == 0)
			ret = -1;
		for (size_t i = 0; i < atts->list_count && ret == 0; i++)
			ret = imap_fetch_att(&f, &atts->list[i]);
	} else if (imap_arg_atom_equals(atts, "ALL") || imap_arg_atom_equals(atts, "FAST")) {
		imap_fetch_add(&f, FETCH_FLAGS);
		imap_fetch_add(&f, FETCH_INTERNALDATE);
		imap_fetch_add(&f, FETCH_SIZE);
		if (imap_arg_atom_equals(atts, "ALL"))
			imap_fetch_add(&f, FETCH_ENVELOPE);
	} else if (imap_arg_atom_equals(atts, "FULL")) {
		ret = -2;
	} else {
		ret = imap_fetch_att(&f, atts);
	}
	if (ret == -2) {
		imap_cmd_no(cmd, "[CANNOT] this FETCH item is not implemented yet");
		return;
	}
	if (ret < 0) {
		imap_cmd_bad(cmd, "bad FETCH data item");
		return;
	}
	size_t *indexes, count;
	if (imap_cmd_seqset(cmd, &cmd->args[0], cmd->uid, &indexes, &count) < 0)
		return;

	const char *error = NULL;
	enum storage_result sret = STORAGE_OK;
	if (f.sets_seen && !session->readonly) {
		uint32_t *uids = xcalloc(count + 1, sizeof(uint32_t)), *modified = NULL;
		size_t n = 0, modified_count = 0;
		for (size_t i = 0; i < count; i++)
			if ((session->mails[indexes[i]].flags & STORAGE_FLAG_SEEN) == 0)
				uids[n++] = session->mails[indexes[i]].uid;
		if (n > 0)
			sret = storage_mail_store_flags(imap_storage(session), session->mailbox.id,
							uids, n, STORAGE_FLAGS_ADD,
							STORAGE_FLAG_SEEN, NULL, 0,
							imap_fetch_seen_cb, session, &modified,
							&modified_count, &error);
		free(modified);
		free(uids);
		if (sret == STORAGE_OK && n > 0)
			imap_fetch_add(&f, FETCH_FLAGS);
	}
	struct buf out;
	buf_init(&out);
	bool gone = false;
	for (size_t i = 0; i < count && sret == STORAGE_OK; i++) {
		size_t start = out.len;
		enum storage_result r = imap_fetch_one(cmd, &f, indexes[i], &out, &error);
		if (r == STORAGE_ERR_NOTFOUND) {
			out.len = start; /* expunged by another session meanwhile */
			gone = true;
		} else {
			sret = r;
		}
		if (out.len > 64 * 1024) {
			imap_write(session, out.data, out.len);
			buf_reset(&out);
		}
	}
	if (sret == STORAGE_OK)
		imap_write(session, out.data, out.len);
	buf_free(&out);
	free(indexes);
	if (sret != STORAGE_OK)
		imap_cmd_storage_error(cmd, sret, error);
	else if (gone)
		imap_cmd_no(cmd, "[EXPUNGEISSUED] some messages were expunged meanwhile");
	else
		imap_cmd_ok(cmd, "FETCH completed");
}
