/* imap-search-view.h - internal to src/imap: evaluate SEARCH criteria over
 * the selected mailbox's view; shared by SEARCH, SORT and THREAD.
 */
#ifndef TANDEM_IMAP_SEARCH_VIEW_H
#define TANDEM_IMAP_SEARCH_VIEW_H

#include "imap-session.h"

/* Parse the search keys args (charset: NULL, or the charset argument SORT
 * and THREAD carry before their keys, taken as "CHARSET <charset>") and
 * evaluate them over every message of the view. 0 with *indexes_r the
 * matching view indexes (ascending; allocated, NULL when none) and *gone_r
 * true if some message had been expunged meanwhile (it is left out); -1
 * after replying BAD, NO [BADCHARSET] or the storage error. */
int imap_search_view(struct imap_client_cmd *cmd, const struct imap_arg *charset,
		     const struct imap_arg *args, size_t arg_count, size_t **indexes_r,
		     size_t *count_r, bool *gone_r);

/* The first value of each header field of names (1 to
 * STORAGE_HEADER_FIELDS_MAX) of the view's messages at indexes (ascending),
 * cached at delivery and read in one storage query: values_r[i * name_count
 * + f] is that of names[f] for indexes[i] (malloc'ed, NULL when absent);
 * gone_r[i] is true when that message has been expunged meanwhile. On
 * failure every value is NULL. */
enum storage_result imap_view_header_firsts(struct imap_session *session,
					    const size_t *indexes, size_t count,
					    const char *const *names, size_t name_count,
					    char **values_r, bool *gone_r, const char **error_r);

#endif
