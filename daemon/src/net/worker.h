/* worker.h - a worker thread: its own libevent loop and its own storage
 * connection; every connection handed to it lives and dies on its loop.
 *
 * net_worker_call() is how other threads (the listener, the group committer's
 * done callbacks) get work onto a worker: a mutex-protected queue and one
 * libevent event activated across threads (evthread_use_pthreads() must have
 * been called before the base is created).
 */
#ifndef TANDEM_NET_WORKER_H
#define TANDEM_NET_WORKER_H

#include <stdbool.h>

struct event_base;
struct storage_conn;
struct net_worker;
struct net_conn;

typedef void net_worker_fn(void *arg);

/* Create the worker's event base and call queue (no thread yet). */
struct net_worker *net_worker_create(unsigned index, struct storage_conn *storage_conn);
/* Start its thread running the loop. */
int net_worker_start(struct net_worker *worker, const char **error_r);
/* Queue fn(arg) to run on the worker's loop; thread-safe, never blocks on
 * the loop, keeps order. After net_worker_stop() calls are kept queued and
 * run by net_worker_run_pending() on the caller's thread. */
void net_worker_call(struct net_worker *worker, net_worker_fn *fn, void *arg);
/* Run fn on the worker's loop (before stopping it: e.g. close every
 * connection), then stop the loop and join the thread. */
void net_worker_stop(struct net_worker *worker, net_worker_fn *last_fn, void *arg);
/* Run the calls queued after the worker stopped (on the calling thread). */
unsigned net_worker_run_pending(struct net_worker *worker);
/* Free a stopped worker; its storage connection is the caller's. */
void net_worker_free(struct net_worker **worker);

unsigned net_worker_index(const struct net_worker *worker);
struct event_base *net_worker_base(struct net_worker *worker);
/* The worker's own database connection: used only on the worker's thread. */
struct storage_conn *net_worker_storage(struct net_worker *worker);

/* The worker's list of live connections (worker thread only). */
struct net_conn **net_worker_conns(struct net_worker *worker);
/* Connections the worker holds now; readable from any thread. */
unsigned net_worker_conn_count(struct net_worker *worker);
void net_worker_conn_count_add(struct net_worker *worker, int delta);

#endif
