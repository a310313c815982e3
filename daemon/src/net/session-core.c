/* session-core.c - a line protocol session's lifecycle: references, the
 * input loop, resume, detach, close and the idle timer (see
 * session-core.h).
 *
 * Runs only on the connection's worker thread. Never writes to the client
 * and never frees the session while a reference is held: the protocol's
 * free callback runs exactly once, when the last one goes.
 */
#include "session-core.h"
#include "connection.h"
#include "log.h"
#include "worker.h"
#include "xalloc.h"

#include <event2/event.h>
#include <stdio.h>

static void net_session_core_timer_arm(struct net_session_core *core)
{
	if (core->timer == NULL)
		return; /* no timer of our own: the net layer's idle timeout */
	struct timeval tv = { (time_t)core->idle_timeout_secs, 0 };
	evtimer_add(core->timer, &tv);
}

static void net_session_core_timer_cb(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	struct net_session_core *core = context;
	if (core->conn == NULL)
		return;
	core->ops->idle_timeout(core->owner);
}

void net_session_core_init(struct net_session_core *core, struct net_conn *conn,
			   unsigned idle_timeout_secs, const struct net_session_core_ops *ops,
			   void *owner)
{
	core->ops = ops;
	core->owner = owner;
	core->conn = conn;
	core->worker = net_conn_worker(conn);
	snprintf(core->sid, sizeof(core->sid), "%s", net_conn_sid(conn));
	core->refs = 1; /* the connection's */
	core->idle_timeout_secs = idle_timeout_secs;
	core->last_input = time(NULL);
	if (idle_timeout_secs == 0)
		return;
	core->timer = evtimer_new(net_worker_base(core->worker), net_session_core_timer_cb, core);
	if (core->timer == NULL)
		fatal("evtimer_new failed");
	net_session_core_timer_arm(core);
}

void net_session_core_hold(struct net_session_core *core)
{
	core->refs++;
}

void net_session_core_release(struct net_session_core *core)
{
	if (--core->refs > 0)
		return;
	if (core->timer != NULL) {
		event_free(core->timer);
		core->timer = NULL;
	}
	core->ops->free(core->owner);
}

void net_session_core_input(struct net_session_core *core)
{
	if (core->in_input)
		return;
	core->in_input = true;
	core->refs++; /* commands may close the connection */
	core->last_input = time(NULL);
	if (core->conn != NULL)
		net_session_core_timer_arm(core);
	while (core->conn != NULL && !core->auth_pending) {
		if (net_conn_output_full(core->conn))
			break; /* resumes when the client has read the replies */
		if (!core->ops->read(core->owner))
			break;
	}
	core->in_input = false;
	net_session_core_release(core);
}

void net_session_core_resume(struct net_session_core *core)
{
	if (core->conn == NULL)
		return;
	net_conn_set_reading(core->conn, true);
	if (!core->in_input)
		net_session_core_input(core);
}

/* The connection is gone or going: no more output. */
static void net_session_core_detach(struct net_session_core *core)
{
	core->conn = NULL;
	if (core->timer != NULL)
		evtimer_del(core->timer);
	if (core->ops->detach != NULL)
		core->ops->detach(core->owner);
}

void net_session_core_close(struct net_session_core *core, const char *reason)
{
	if (core->conn == NULL)
		return;
	struct net_conn *conn = core->conn;
	net_session_core_detach(core);
	net_conn_close(conn, reason);
	net_session_core_release(core); /* the connection's reference */
}

void net_session_core_idle(struct net_session_core *core)
{
	/* the net layer's idle timeout: ours rules */
	if (time(NULL) - core->last_input < (time_t)core->idle_timeout_secs) {
		net_conn_set_reading(core->conn, true);
		return;
	}
	net_session_core_timer_cb(-1, 0, core);
}

void net_session_core_disconnected(struct net_session_core *core)
{
	net_session_core_detach(core);
	net_session_core_release(core);
}

struct storage_conn *net_session_core_storage(struct net_session_core *core)
{
	return net_worker_storage(core->worker);
}
