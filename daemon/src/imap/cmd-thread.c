/* cmd-thread.c - THREAD and UID THREAD (RFC 5256 section 4): "THREAD
 * algorithm charset keys" evaluates the search keys over the view, reads
 * the header values threading needs (cached at delivery; one storage query
 * for all the matches), threads the
 * matches (imap-thread.c) and answers "* THREAD (..)(..)" with sequence
 * numbers, or UIDs under UID THREAD.
 *
 * Never reads message bodies nor changes flags or the view.
 */
#include "imap-commands.h"
#include "imap-search-view.h"
#include "imap-sort.h"
#include "imap-thread.h"
#include "xalloc.h"

#include <stdlib.h>

/* The header fields read per message, in the order of struct fields below. */
enum { TH_DATE, TH_SUBJECT, TH_MESSAGE_ID, TH_REFERENCES, TH_IN_REPLY_TO, TH_FIELDS };
static const char *const imap_thread_fields[TH_FIELDS] = {
	"Date", "Subject", "Message-ID", "References", "In-Reply-To",
};

void imap_cmd_thread(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	enum imap_thread_algorithm alg;
	if (cmd->arg_count < 3 || cmd->args[0].type != IMAP_ARG_ATOM ||
	    cmd->args[1].type == IMAP_ARG_LIST) {
		imap_cmd_bad(cmd, "THREAD needs an algorithm, a charset and search keys");
		return;
	}
	if (imap_thread_algorithm_parse(cmd->args[0].str, &alg) < 0) {
		imap_cmd_bad(cmd, "unknown threading algorithm");
		return;
	}
	size_t *indexes, count;
	bool gone;
	if (imap_search_view(cmd, &cmd->args[1], cmd->args + 2, cmd->arg_count - 2, &indexes,
			     &count, &gone) < 0)
		return;

	size_t fields = alg == IMAP_THREAD_REFERENCES ? TH_FIELDS : TH_SUBJECT + 1;
	struct imap_thread_msg *msgs = xcalloc(count + 1, sizeof(*msgs));
	char **values = xcalloc(count * TH_FIELDS + 1, sizeof(*values));
	size_t loaded = 0;
	const char *error = NULL;
	bool *expunged = xcalloc(count + 1, sizeof(*expunged));
	char **got = xcalloc(count * fields + 1, sizeof(*got));
	enum storage_result ret = imap_view_header_firsts(session, indexes, count,
							  imap_thread_fields, fields, got,
							  expunged, &error);
	struct imap_view_attrs attrs = { NULL, 0, 0 };
	if (ret == STORAGE_OK) /* the date without a Date header */
		ret = imap_view_attrs_load(session, indexes, count, &attrs, &error);
	for (size_t i = 0; i < count && ret == STORAGE_OK; i++) {
		uint32_t uid = imap_view_uid(session, indexes[i]);
		const struct storage_mail_attrs *a = imap_view_attrs_find(&attrs, uid);
		if (expunged[i] || a == NULL) {
			gone = true; /* expunged meanwhile */
			continue;
		}
		char **vals = values + loaded * TH_FIELDS;
		for (size_t f = 0; f < fields; f++) {
			vals[f] = got[i * fields + f]; /* taken */
			got[i * fields + f] = NULL;
		}
		msgs[loaded++] = (struct imap_thread_msg){
			.number = cmd->uid ? uid : (uint32_t)(indexes[i] + 1),
			.date = imap_sort_date(vals[TH_DATE], a->internal_date),
			.subject = vals[TH_SUBJECT],
			.message_id = vals[TH_MESSAGE_ID],
			.references = vals[TH_REFERENCES],
			.in_reply_to = vals[TH_IN_REPLY_TO],
		};
	}
	for (size_t i = 0; i < count * fields; i++)
		free(got[i]);
	free(got);
	imap_view_attrs_free(&attrs);
	free(expunged);
	free(indexes);
	if (ret == STORAGE_OK) {
		struct buf out;
		buf_init(&out);
		buf_append_str(&out, "* THREAD");
		size_t before = out.len;
		buf_append_byte(&out, ' ');
		imap_thread_build(alg, msgs, loaded, &out);
		if (out.len == before + 1)
			out.len = before; /* no messages: "* THREAD" alone */
		buf_append_str(&out, "\r\n");
		imap_write(session, out.data, out.len);
		buf_free(&out);
	}
	for (size_t i = 0; i < count * TH_FIELDS; i++)
		free(values[i]);
	free(values);
	free(msgs);
	if (ret != STORAGE_OK)
		imap_cmd_storage_error(cmd, ret, error);
	else if (gone)
		imap_cmd_no(cmd, "[EXPUNGEISSUED] some messages were expunged meanwhile");
	else
		imap_cmd_ok(cmd, "THREAD completed");
}
