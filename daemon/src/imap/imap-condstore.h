/* imap-condstore.h - internal to src/imap: what CONDSTORE and QRESYNC
 * (RFC 7162) share between SELECT, FETCH, STORE and SEARCH: parsing a
 * mod-sequence value and a client's uid set, and the resync a
 * "SELECT box (QRESYNC ...)" or "UID FETCH ... (CHANGEDSINCE n VANISHED)"
 * sends. Never changes the view's messages; only reports them.
 */
#ifndef TANDEM_IMAP_CONDSTORE_H
#define TANDEM_IMAP_CONDSTORE_H

#include "imap-session.h"

/* Ranges in one client uid set (known-uids, VANISHED's set). */
#define IMAP_UID_RANGES_MAX 4096

/* A mod-sequence value (RFC 7162: 1..2^63-1; 0 when allow_zero). -1 if
 * arg is not one. */
int imap_arg_modseq(const struct imap_arg *arg, bool allow_zero, int64_t *modseq_r);
/* A nz-number (UIDVALIDITY, a uid). -1 if arg is not one. */
int imap_arg_uint32(const struct imap_arg *arg, uint32_t *value_r);

/* A uid set as the client sent it ("1:5,9,12:*"); '*' is UINT32_MAX. */
struct imap_uid_set {
	uint32_t (*ranges)[2]; /* low, high inclusive */
	size_t count;
};
/* -1 if arg is not a well-formed set (nothing to free then). */
int imap_uid_set_parse(const struct imap_arg *arg, struct imap_uid_set *set_r);
bool imap_uid_set_contains(const struct imap_uid_set *set, uint32_t uid);
void imap_uid_set_free(struct imap_uid_set *set);

/* Send "* VANISHED (EARLIER) uids" for the uids expunged since modseq
 * (only those in known when it is not NULL); nothing when there are none. */
enum storage_result imap_condstore_vanished(struct imap_session *session, int64_t modseq,
					    const struct imap_uid_set *known,
					    const char **error_r);
/* SELECT (QRESYNC ...): the VANISHED (EARLIER) above, then "* n FETCH (UID
 * FLAGS MODSEQ)" for the view's messages (in known, when not NULL) whose
 * modseq is above modseq. */
enum storage_result imap_condstore_resync(struct imap_session *session, int64_t modseq,
					  const struct imap_uid_set *known,
					  const char **error_r);

#endif
