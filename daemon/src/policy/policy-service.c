/* policy-service.c - the policy service's settings, its net_service, the
 * workers' resolvers and the pruning of expired greylist rows.
 *
 * Settings are checked once at start (a bad key stops tandemd with its
 * name); never blocks a worker's loop beyond one storage statement.
 */
#include "policy-private.h"
#include "log.h"
#include "storage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds of the numeric keys. */
#define POLICY_DELAY_MAX (24 * 3600)
#define POLICY_RETRY_WINDOW_MAX (30 * 86400)
#define POLICY_AUTOWHITELIST_DAYS_MAX 3650
#define POLICY_TIMEOUT_MS_MIN 100
#define POLICY_TIMEOUT_MS_MAX 60000

static void policy_service_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)fd;
	(void)sid; /* Postfix sees the close: "451 4.3.5 Server configuration problem" */
}

static int policy_check_settings(const struct policy_settings *set, char **error_r)
{
	if (set->greylist_delay > POLICY_DELAY_MAX) {
		*error_r = xasprintf("greylist_delay: at most %d seconds", POLICY_DELAY_MAX);
		return -1;
	}
	if (set->greylist_retry_window <= set->greylist_delay ||
	    set->greylist_retry_window > POLICY_RETRY_WINDOW_MAX) {
		*error_r = xasprintf("greylist_retry_window: must be longer than greylist_delay "
				     "and at most %d seconds", POLICY_RETRY_WINDOW_MAX);
		return -1;
	}
	if (set->greylist_autowhitelist_days == 0 ||
	    set->greylist_autowhitelist_days > POLICY_AUTOWHITELIST_DAYS_MAX) {
		*error_r = xasprintf("greylist_autowhitelist_days: 1..%d",
				     POLICY_AUTOWHITELIST_DAYS_MAX);
		return -1;
	}
	if (set->greylist_ipv4_prefix > 32 || set->greylist_ipv4_prefix == 0) {
		*error_r = xasprintf("greylist_ipv4_prefix: 1..32");
		return -1;
	}
	if (set->greylist_ipv6_prefix > 128 || set->greylist_ipv6_prefix == 0) {
		*error_r = xasprintf("greylist_ipv6_prefix: 1..128");
		return -1;
	}
	if (set->dnsbl_timeout_ms < POLICY_TIMEOUT_MS_MIN ||
	    set->dnsbl_timeout_ms > POLICY_TIMEOUT_MS_MAX) {
		*error_r = xasprintf("dnsbl_timeout_ms: %d..%d", POLICY_TIMEOUT_MS_MIN,
				     POLICY_TIMEOUT_MS_MAX);
		return -1;
	}
	if (strlen(set->dnsbl_resolver) > DNSBL_RESOLVER_MAX) {
		*error_r = xasprintf("dnsbl_resolver: longer than %d bytes", DNSBL_RESOLVER_MAX);
		return -1;
	}
	return 0;
}

int policy_service_create(const struct policy_settings *set, struct policy_service **service_r,
			  char **error_r)
{
	*service_r = NULL;
	if (policy_check_settings(set, error_r) < 0)
		return -1;
	struct policy_service *service = xcalloc(1, sizeof(*service));
	char error[256];
	struct greylist_settings *g = &service->greylist;
	if (greylist_mode_parse(set->greylist_mode, &g->mode) < 0) {
		*error_r = xasprintf("greylist_mode: '%s' is not dnsbl, all or none",
				     set->greylist_mode);
		goto fail;
	}
	g->delay = set->greylist_delay;
	g->retry_window = set->greylist_retry_window;
	g->autowhitelist_count = set->greylist_autowhitelist_count;
	g->autowhitelist_days = set->greylist_autowhitelist_days;
	g->ipv4_prefix = set->greylist_ipv4_prefix;
	g->ipv6_prefix = set->greylist_ipv6_prefix;
	if (greylist_networks_parse(g, set->greylist_whitelist_networks, error, sizeof(error)) < 0) {
		*error_r = xasprintf("greylist_whitelist_networks: %s", error);
		goto fail;
	}
	if (greylist_domains_parse(g, set->greylist_whitelist_domains, error, sizeof(error)) < 0) {
		*error_r = xasprintf("greylist_whitelist_domains: %s", error);
		goto fail;
	}
	if (dnsbl_zones_parse(&service->dnsbl_set, set->dnsbl_zones, error, sizeof(error)) < 0) {
		*error_r = xasprintf("dnsbl_zones: %s", error);
		goto fail;
	}
	service->dnsbl_set.threshold = set->dnsbl_threshold;
	service->dnsbl_set.timeout_ms = set->dnsbl_timeout_ms;
	snprintf(service->dnsbl_set.resolver, sizeof(service->dnsbl_set.resolver), "%s",
		 set->dnsbl_resolver);
	service->net = (struct net_service){
		.name = POLICY_PROTO,
		.context = service,
		.max_line_length = POLICY_LINE_MAX,
		.session_create = policy_session_create,
		.session_input = policy_session_input,
		.session_idle = policy_session_idle,
		.session_disconnected = policy_session_disconnected,
		.session_shutdown = policy_session_shutdown,
		.refuse = policy_service_refuse,
	};
	*service_r = service;
	return 0;
fail:
	free(service);
	return -1;
}

const struct net_service *policy_service_net(struct policy_service *service)
{
	return &service->net;
}

struct dnsbl *policy_service_dnsbl(struct policy_service *service, struct net_worker *worker,
				   const char *sid)
{
	unsigned index = net_worker_index(worker);
	if (index >= NET_WORKERS_MAX)
		return NULL;
	if (service->dnsbl[index] == NULL) {
		char error[256];
		if (dnsbl_create(net_worker_base(worker), &service->dnsbl_set,
				 &service->dnsbl[index], error, sizeof(error)) < 0) {
			log_error(sid, POLICY_PROTO, "dnsbl-error", "error=\"%s\" listed=no", error);
			return NULL;
		}
	}
	return service->dnsbl[index];
}

void policy_service_maybe_prune(struct policy_service *service, struct storage_conn *conn,
				int64_t now, const char *sid)
{
	int64_t due = __atomic_load_n(&service->next_prune, __ATOMIC_RELAXED);
	if (now < due ||
	    !__atomic_compare_exchange_n(&service->next_prune, &due,
					 now + POLICY_PRUNE_INTERVAL_SECS, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	const struct greylist_settings *g = &service->greylist;
	struct storage_greylist_params params = greylist_params(g, now);
	int64_t deleted;
	const char *error;
	if (storage_greylist_prune(conn, &params, &deleted, &error) != STORAGE_OK)
		log_warning(sid, POLICY_PROTO, "greylist-prune-failed", "error=\"%s\"", error);
	else
		log_info(sid, POLICY_PROTO, "greylist-pruned", "rows=%lld", (long long)deleted);
}

void policy_service_stop(struct policy_service *service)
{
	if (service == NULL)
		return;
	for (size_t i = 0; i < NET_WORKERS_MAX; i++)
		dnsbl_free(&service->dnsbl[i]);
}

void policy_service_free(struct policy_service **servicep)
{
	struct policy_service *service = *servicep;
	if (service == NULL)
		return;
	policy_service_stop(service);
	free(service);
	*servicep = NULL;
}
