/* imap-thread.h - RFC 5256 THREAD: the ORDEREDSUBJECT and REFERENCES
 * algorithms over the header values of the messages a search selected,
 * written as the THREAD response's thread list "(2)(3 6 (4 23)(44 7 96))".
 *
 * Pure: no I/O, no session, no storage calls. Every input is bounded: header
 * values by IMAP_THREAD_VALUE_MAX, message ids per References field by
 * IMAP_THREAD_REFS_MAX; no recursion follows the thread depth, so hostile
 * reference chains cannot exhaust the stack.
 */
#ifndef TANDEM_IMAP_THREAD_H
#define TANDEM_IMAP_THREAD_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest header value read (References of long threads stay well below;
 * the rest of a longer one is ignored). */
#define IMAP_THREAD_VALUE_MAX (1024 * 1024)
/* Message ids used from one References field: the first one and the last
 * IMAP_THREAD_REFS_MAX - 1 (the thread's root and the nearest ancestors). */
#define IMAP_THREAD_REFS_MAX 256
/* Longest message id kept; longer ones count as invalid. */
#define IMAP_THREAD_MSGID_MAX 998

enum imap_thread_algorithm {
	IMAP_THREAD_ORDEREDSUBJECT = 0,
	IMAP_THREAD_REFERENCES,
};

/* "ORDEREDSUBJECT" / "REFERENCES" in any case; -1 if unknown. */
int imap_thread_algorithm_parse(const char *name, enum imap_thread_algorithm *alg_r);

/* One message, given in mailbox order (that order breaks date ties). */
struct imap_thread_msg {
	uint32_t number;          /* what the response shows: seq or UID */
	int64_t date;             /* sent date, unix time (imap_sort_date) */
	const char *subject;      /* raw header values; NULL when absent */
	const char *message_id;
	const char *references;
	const char *in_reply_to;
};

/* Thread msgs and append the thread list (without "* THREAD") to out;
 * nothing for no messages. */
void imap_thread_build(enum imap_thread_algorithm alg, const struct imap_thread_msg *msgs,
		       size_t count, struct buf *out);

/* The valid message ids ("<left@right>" without the brackets, blanks
 * removed, at most IMAP_THREAD_MSGID_MAX bytes) in value, in order: all of
 * them if there are at most max, else the first and the last max - 1.
 * Returns how many are in *ids_r (malloc'ed array of malloc'ed strings,
 * NULL when none); free with imap_thread_msgids_free(). */
size_t imap_thread_msgids(const char *value, size_t max, char ***ids_r);
void imap_thread_msgids_free(char **ids, size_t count);

#endif
