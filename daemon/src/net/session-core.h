/* session-core.h - the protocol-neutral plumbing of a line protocol's
 * session, embedded in each protocol's session struct (POP3, ManageSieve,
 * Postfix SASL):
 * the connection and worker, the session id, the reference count
 * (connection + input loop + work in flight such as an auth check), the
 * input loop that reads while allowed, resuming it, detaching from a gone
 * connection, closing, and the idle timer.
 *
 * What differs per protocol comes through struct net_session_core_ops:
 * reading and running one unit of input, what to drop when detached, what
 * to say when idle for too long, and freeing the session. Runs only on the
 * connection's worker thread; never writes to the client itself.
 */
#ifndef TANDEM_SESSION_CORE_H
#define TANDEM_SESSION_CORE_H

#include "session-id.h"

#include <stdbool.h>
#include <time.h>

struct event;
struct net_conn;
struct net_worker;
struct storage_conn;

struct net_session_core_ops {
	/* Read and run one unit of input (a line, a piece of a literal).
	 * false when nothing complete is there. */
	bool (*read)(void *owner);
	/* The idle timer fired on a live connection: say so and close. */
	void (*idle_timeout)(void *owner);
	/* Optional: the connection is gone or going; drop what must not
	 * outlive it (a lock). */
	void (*detach)(void *owner);
	/* The last reference is gone: free the session (the core's timer is
	 * already freed). */
	void (*free)(void *owner);
};

struct net_session_core {
	const struct net_session_core_ops *ops;
	void *owner;               /* the protocol session this is part of */
	struct net_conn *conn;     /* NULL once the connection is gone */
	struct net_worker *worker;
	char sid[SESSION_ID_SIZE];
	unsigned refs;             /* connection + input loop + work in flight */
	bool in_input;
	bool auth_pending;         /* an auth check in flight: read no further */
	unsigned idle_timeout_secs;
	struct event *timer;       /* idle timeout */
	time_t last_input;
};

/* Fill core for a new connection (one reference: the connection's) and
 * arm the idle timer; idle_timeout_secs 0: no timer of its own, the net
 * layer's idle timeout goes straight to ops->idle_timeout. */
void net_session_core_init(struct net_session_core *core, struct net_conn *conn,
			   unsigned idle_timeout_secs, const struct net_session_core_ops *ops,
			   void *owner);
/* A reference for work that finishes later, and its release (which may
 * free the session: do not touch it afterwards). */
void net_session_core_hold(struct net_session_core *core);
void net_session_core_release(struct net_session_core *core);
/* The input loop (service hook session_input): reads while the
 * connection lives, no auth check is pending and the output is not full.
 * Does nothing when already inside it. */
void net_session_core_input(struct net_session_core *core);
/* Read again (after an auth check): reading on, and the input loop
 * unless already inside it. */
void net_session_core_resume(struct net_session_core *core);
/* Close after the replies are out (reason for the log); drops the
 * connection's reference. Nothing when already gone. */
void net_session_core_close(struct net_session_core *core, const char *reason);
/* Service hooks: the net layer's idle timeout (ours rules), and the
 * connection gone (drops its reference). */
void net_session_core_idle(struct net_session_core *core);
void net_session_core_disconnected(struct net_session_core *core);
/* The worker's database connection. */
struct storage_conn *net_session_core_storage(struct net_session_core *core);

#endif
