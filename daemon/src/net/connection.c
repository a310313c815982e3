/* connection.c - client connections on a worker's loop (see connection.h).
 * Never blocks: every read and write goes through the bufferevent. Never
 * touches a connection after calling a service hook that may have closed it.
 */
#include "connection.h"
#include "worker.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct net_conn {
	struct net_conn *prev, *next;  /* the worker's list */
	struct net_worker *worker;
	const struct net_service *service;
	struct bufferevent *bev;
	void *session;                 /* NULL once the service let go */
	struct net_conn_info info;
	bool closing;                  /* flushing the last reply, then freed */
	bool output_blocked;           /* the service waits for output to drain */
	void (*on_free)(const struct net_conn_info *info, void *context);
	void *on_free_context;
};

static void net_conn_free(struct net_conn *conn)
{
	struct net_conn **head = net_worker_conns(conn->worker);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		*head = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	bufferevent_free(conn->bev); /* closes the socket */
	net_worker_conn_count_add(conn->worker, -1);
	if (conn->on_free != NULL)
		conn->on_free(&conn->info, conn->on_free_context);
	free(conn);
}

static void net_conn_log_disconnect(struct net_conn *conn, const char *reason)
{
	log_info(conn->info.sid, conn->service->name, "disconnect", "reason=%s", reason);
}

void net_conn_disconnect(struct net_conn *conn, const char *reason)
{
	if (!conn->closing)
		net_conn_log_disconnect(conn, reason);
	void *session = conn->session;
	conn->session = NULL;
	if (session != NULL)
		conn->service->session_disconnected(session, reason);
	net_conn_free(conn);
}

static void net_conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct net_conn *conn = arg;
	if (conn->session != NULL && !conn->closing)
		conn->service->session_input(conn->session); /* may free conn */
}

static void net_conn_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct net_conn *conn = arg;
	/* called when the output buffer is empty (low watermark 0) */
	if (conn->closing) {
		net_conn_free(conn);
		return;
	}
	if (conn->output_blocked && conn->session != NULL) {
		conn->output_blocked = false;
		conn->service->session_input(conn->session); /* may free conn */
	}
}

static void net_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct net_conn *conn = arg;
	if (conn->closing) {
		/* the client did not take the last reply in time, or left */
		net_conn_free(conn);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) != 0 && (what & BEV_EVENT_READING) != 0) {
		if (conn->session != NULL) {
			conn->service->session_idle(conn->session);
			return; /* the service closed it */
		}
		net_conn_disconnect(conn, "idle timeout");
	} else if ((what & BEV_EVENT_TIMEOUT) != 0) {
		net_conn_disconnect(conn, "write timeout");
	} else if ((what & BEV_EVENT_EOF) != 0) {
		net_conn_disconnect(conn, "client closed");
	} else {
		int err = EVUTIL_SOCKET_ERROR();
		char reason[128];
		snprintf(reason, sizeof(reason), "error:%s",
			 err != 0 ? evutil_socket_error_to_string(err) : "unknown");
		for (char *p = reason; *p != '\0'; p++)
			if (*p == ' ')
				*p = '_';
		net_conn_disconnect(conn, reason);
	}
}

struct net_conn *net_conn_create(struct net_worker *worker, int fd, const struct net_conn_info *info,
		     const struct net_service *service, unsigned idle_timeout_secs,
		     void (*on_free)(const struct net_conn_info *info, void *context),
		     void *on_free_context)
{
	struct net_conn *conn = xcalloc(1, sizeof(*conn));
	conn->worker = worker;
	conn->service = service;
	conn->info = *info;
	conn->on_free = on_free;
	conn->on_free_context = on_free_context;
	conn->bev = bufferevent_socket_new(net_worker_base(worker), fd, BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL)
		fatal("bufferevent_socket_new failed");

	struct net_conn **head = net_worker_conns(worker);
	conn->next = *head;
	if (*head != NULL)
		(*head)->prev = conn;
	*head = conn;
	net_worker_conn_count_add(worker, 1);

	bufferevent_setcb(conn->bev, net_conn_read_cb, net_conn_write_cb, net_conn_event_cb, conn);
	bufferevent_setwatermark(conn->bev, EV_READ, 0,
				 service->max_line_length + NET_CONN_INPUT_SLACK);
	bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	struct timeval tv = { (time_t)idle_timeout_secs, 0 };
	bufferevent_set_timeouts(conn->bev, &tv, &tv);

	log_info(conn->info.sid, service->name, "connect", "peer=%s listener=%s",
		 conn->info.peer, conn->info.listener);
	/* nothing is read before the loop runs again, so enabling first is safe;
	 * after session_create conn is not touched (it may have been closed) */
	bufferevent_enable(conn->bev, EV_READ);
	conn->session = service->session_create(conn, service->context);
	return conn;
}

struct evbuffer *net_conn_input(struct net_conn *conn)
{
	return bufferevent_get_input(conn->bev);
}

void net_conn_write(struct net_conn *conn, const void *data, size_t size)
{
	if (conn->closing)
		return;
	if (bufferevent_write(conn->bev, data, size) < 0)
		fatal("bufferevent_write failed");
}

void net_conn_write_str(struct net_conn *conn, const char *str)
{
	net_conn_write(conn, str, strlen(str));
}

void net_conn_set_reading(struct net_conn *conn, bool reading)
{
	if (conn->closing)
		return;
	if (reading)
		bufferevent_enable(conn->bev, EV_READ);
	else
		bufferevent_disable(conn->bev, EV_READ);
}

bool net_conn_output_full(struct net_conn *conn)
{
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) <= NET_CONN_OUTPUT_MAX)
		return false;
	conn->output_blocked = true;
	return true;
}

void net_conn_close(struct net_conn *conn, const char *reason)
{
	if (conn->closing)
		return;
	net_conn_log_disconnect(conn, reason);
	conn->closing = true;
	conn->session = NULL;
	bufferevent_disable(conn->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0) {
		net_conn_free(conn);
		return;
	}
	/* the write callback frees it once the reply is out */
	struct timeval tv = { NET_CONN_CLOSE_FLUSH_SECS, 0 };
	bufferevent_set_timeouts(conn->bev, NULL, &tv);
	bufferevent_enable(conn->bev, EV_WRITE);
}

void net_conn_shutdown(struct net_conn *conn)
{
	if (conn->session != NULL && !conn->closing)
		conn->service->session_shutdown(conn->session);
}

const char *net_conn_sid(const struct net_conn *conn)
{
	return conn->info.sid;
}

const char *net_conn_peer(const struct net_conn *conn)
{
	return conn->info.peer;
}

struct net_worker *net_conn_worker(struct net_conn *conn)
{
	return conn->worker;
}

struct net_conn *net_conn_next(struct net_conn *conn)
{
	return conn->next;
}
