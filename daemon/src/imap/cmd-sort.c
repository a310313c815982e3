/* cmd-sort.c - SORT and UID SORT (RFC 5256 section 4, with RFC 5957's
 * DISPLAYFROM/DISPLAYTO): "SORT (criteria) charset keys" evaluates the
 * search keys over the view, reads the header values the criteria need
 * (cached at delivery; one storage query for all the matches), orders the matches (imap-sort.c) and answers
 * "* SORT n n ..." (sequence numbers, or UIDs under UID SORT).
 *
 * Never reads message bodies nor changes flags or the view.
 */
#include "imap-commands.h"
#include "imap-search-view.h"
#include "imap-sort.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* The distinct header fields the criteria need into names (*name_count_r
 * of them); field_r[c] is criterion c's index in names, or -1. */
static void imap_sort_fields(const struct imap_sort_criterion *criteria, size_t count,
			     const char *names[STORAGE_HEADER_FIELDS_MAX], size_t *name_count_r,
			     int *field_r)
{
	size_t n = 0;
	for (size_t c = 0; c < count; c++) {
		const char *name = imap_sort_key_header(criteria[c].key);
		field_r[c] = -1;
		if (name == NULL)
			continue;
		size_t f = 0;
		while (f < n && strcmp(names[f], name) != 0)
			f++;
		if (f == n) {
			if (n == STORAGE_HEADER_FIELDS_MAX)
				continue; /* cannot happen: five header keys exist */
			names[n++] = name;
		}
		field_r[c] = (int)f;
	}
	*name_count_r = n;
}

void imap_cmd_sort(struct imap_client_cmd *cmd)
{
	struct imap_session *session = cmd->session;
	if (cmd->arg_count < 3 || cmd->args[0].type != IMAP_ARG_LIST ||
	    cmd->args[1].type == IMAP_ARG_LIST) {
		imap_cmd_bad(cmd, "SORT needs (criteria), a charset and search keys");
		return;
	}
	const struct imap_arg *list = &cmd->args[0];
	const char *atoms[IMAP_SORT_CRITERIA_MAX * 2 + 1];
	if (list->list_count > sizeof(atoms) / sizeof(atoms[0])) {
		imap_cmd_bad(cmd, "too many sort criteria");
		return;
	}
	for (size_t i = 0; i < list->list_count; i++) {
		if (list->list[i].type != IMAP_ARG_ATOM) {
			imap_cmd_bad(cmd, "sort criteria are atoms");
			return;
		}
		atoms[i] = list->list[i].str;
	}
	struct imap_sort_criterion criteria[IMAP_SORT_CRITERIA_MAX];
	size_t criterion_count;
	const char *error = NULL;
	if (imap_sort_criteria_parse(atoms, list->list_count, criteria, &criterion_count,
				     &error) < 0) {
		imap_cmd_bad(cmd, "%s", error);
		return;
	}
	size_t *indexes, count;
	bool gone;
	if (imap_search_view(cmd, &cmd->args[1], cmd->args + 2, cmd->arg_count - 2, &indexes,
			     &count, &gone) < 0)
		return;

	const char *names[STORAGE_HEADER_FIELDS_MAX];
	int fields[IMAP_SORT_CRITERIA_MAX];
	size_t name_count;
	imap_sort_fields(criteria, criterion_count, names, &name_count, fields);
	char **values = xcalloc(count * name_count + 1, sizeof(*values));
	bool *expunged = xcalloc(count + 1, sizeof(*expunged));
	enum storage_result ret = imap_view_header_firsts(session, indexes, count, names,
							  name_count, values, expunged, &error);
	struct imap_view_attrs attrs = { NULL, 0, 0 };
	if (ret == STORAGE_OK) /* arrival, size; the date without a Date header */
		ret = imap_view_attrs_load(session, indexes, count, &attrs, &error);
	struct imap_sort_msg *msgs = xcalloc(count + 1, sizeof(*msgs));
	size_t loaded = 0;
	for (size_t i = 0; i < count && ret == STORAGE_OK; i++) {
		uint32_t uid = imap_view_uid(session, indexes[i]);
		const struct storage_mail_attrs *a = imap_view_attrs_find(&attrs, uid);
		if (expunged[i] || a == NULL) {
			gone = true; /* expunged meanwhile */
			continue;
		}
		struct imap_sort_msg *m = &msgs[loaded++];
		*m = (struct imap_sort_msg){
			.seq = (uint32_t)(indexes[i] + 1),
			.uid = uid,
			.arrival = a->internal_date,
			.date = a->internal_date,
			.size = a->size > 0 ? (uint64_t)a->size : 0,
		};
		for (size_t c = 0; c < criterion_count; c++) {
			if (fields[c] >= 0)
				imap_sort_msg_set(m, criteria[c].key,
						  values[i * name_count + (size_t)fields[c]]);
		}
	}
	for (size_t i = 0; i < count * name_count; i++)
		free(values[i]);
	free(values);
	free(expunged);
	imap_view_attrs_free(&attrs);
	free(indexes);
	if (ret == STORAGE_OK) {
		imap_sort_msgs(msgs, loaded, criteria, criterion_count);
		struct buf out;
		buf_init(&out);
		buf_append_str(&out, "* SORT");
		for (size_t i = 0; i < loaded; i++)
			buf_printf(&out, " %u", cmd->uid ? msgs[i].uid : msgs[i].seq);
		buf_append_str(&out, "\r\n");
		imap_write(session, out.data, out.len);
		buf_free(&out);
	}
	for (size_t i = 0; i < loaded; i++)
		imap_sort_msg_clear(&msgs[i]);
	free(msgs);
	if (ret != STORAGE_OK)
		imap_cmd_storage_error(cmd, ret, error);
	else if (gone)
		imap_cmd_no(cmd, "[EXPUNGEISSUED] some messages were expunged meanwhile");
	else
		imap_cmd_ok(cmd, "SORT completed");
}
