/* policy-private.h - what the policy service's files share (policy-
 * service.c, policy-session.c); nothing outside src/policy includes it. */
#ifndef TANDEM_POLICY_PRIVATE_H
#define TANDEM_POLICY_PRIVATE_H

#include "policy.h"
#include "dnsbl.h"
#include "greylist.h"
#include "policy-parse.h"
#include "connection.h"
#include "net.h"

#include <stdint.h>

#define POLICY_PROTO "policy"
/* How often one of the workers deletes expired greylist rows. */
#define POLICY_PRUNE_INTERVAL_SECS 3600

struct storage_conn;

struct policy_service {
	struct greylist_settings greylist;
	struct dnsbl_settings dnsbl_set;
	struct net_service net;
	/* each worker's resolver, made on first use by that worker (its slot
	 * is touched by its thread only, and by the main thread after the
	 * workers stopped) */
	struct dnsbl *dnsbl[NET_WORKERS_MAX];
	int64_t next_prune;   /* unix time; atomic */
};

/* The worker's resolver (NULL, logged, when it cannot be set up). */
struct dnsbl *policy_service_dnsbl(struct policy_service *service, struct net_worker *worker,
				   const char *sid);
/* Delete expired greylist rows when it is time (one worker does it). */
void policy_service_maybe_prune(struct policy_service *service, struct storage_conn *conn,
				int64_t now, const char *sid);

/* policy-session.c: the net hooks */
void *policy_session_create(struct net_conn *conn, void *context);
void policy_session_input(void *session);
void policy_session_idle(void *session);
void policy_session_disconnected(void *session, const char *reason);
void policy_session_shutdown(void *session);

#endif
