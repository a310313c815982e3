/* mailbox-events.h - an in-process notifier of mailbox changes, protocol
 * neutral: whoever commits a change to a mailbox (LMTP delivery, IMAP
 * APPEND/STORE/EXPUNGE/COPY/MOVE) calls mailbox_events_changed(); sessions
 * that watch the mailbox get their callback run on their own worker thread
 * soon after (through net_worker_call), never on the caller's thread.
 *
 * Also keeps, per mailbox, the \Recent boundary of RFC 3501: the lowest UID
 * no session has claimed yet. It lives in memory only: after a restart
 * every message counts as new to the first session that selects its
 * mailbox (RFC 3501 allows \Recent to be lost this way).
 *
 * Thread-safe: one mutex guards everything here. Never blocks on anything
 * but that mutex; never calls a callback while holding it.
 */
#ifndef TANDEM_NET_MAILBOX_EVENTS_H
#define TANDEM_NET_MAILBOX_EVENTS_H

#include <stdint.h>

struct net_worker;
struct mailbox_watch;

/* Runs on the watcher's worker thread after one or more changes. */
typedef void mailbox_events_fn(void *context);

/* Watch mailbox_id from a session that lives on worker; fn(context) runs on
 * that worker's thread after each change (changes in a burst may be merged
 * into one call). Call only on worker's thread. */
struct mailbox_watch *mailbox_events_watch(int64_t mailbox_id, struct net_worker *worker,
					   mailbox_events_fn *fn, void *context);
/* Stop watching (on the watch's worker thread); *watch becomes NULL. No
 * callback for it runs after this returns. NULL is fine. */
void mailbox_events_unwatch(struct mailbox_watch **watch);
/* The mailbox changed (after the commit). Any thread. */
void mailbox_events_changed(int64_t mailbox_id);
/* The same, but not told to except (the session that made the change and
 * already shows it); except NULL: everyone. */
void mailbox_events_changed_except(int64_t mailbox_id, const struct mailbox_watch *except);
/* Every watched mailbox may have changed (change notices from elsewhere
 * were lost, e.g. while the database connection that brings them was
 * down): every watch runs its callback once. Any thread. */
void mailbox_events_changed_all(void);

/* \Recent: claim every UID below uidnext for the caller. Returns the
 * boundary before the claim: UIDs >= the returned value and < uidnext are
 * the caller's recent messages (0 from a mailbox not seen since start:
 * every message). Any thread. */
uint32_t mailbox_events_claim_recent(int64_t mailbox_id, uint32_t uidnext);
/* The boundary without claiming (EXAMINE). */
uint32_t mailbox_events_recent_boundary(int64_t mailbox_id);

#endif
