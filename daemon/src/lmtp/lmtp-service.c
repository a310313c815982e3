/* lmtp-service.c - the LMTP service context shared by all workers: settings,
 * the storage and auth handles, the count of deliveries in flight, the
 * submit queue and the administrator's Sieve script, and the net hooks
 * (including the refusal sent over a connection limit).
 * Read-only after start-up except the atomic counter.
 */
#include "lmtp-session.h"
#include "lmtp-sieve.h"
#include "lmtp-submit.h"
#include "connection.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void lmtp_service_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)sid;
	static const char reply[] = "421 4.7.0 too many connections\r\n";
	/* a fresh socket's send buffer takes one line; if not, the client
	 * just sees the close */
	ssize_t ret = send(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)ret;
}

struct lmtp_service *lmtp_service_create(const struct lmtp_settings *set)
{
	struct lmtp_service *service = xcalloc(1, sizeof(*service));
	service->set = *set;
	service->hostname = xstrdup(set->hostname);
	service->set.hostname = service->hostname;
	const char **strings[] = { &service->set.quota_warning_from,
				   &service->set.sieve_admin_script, &service->set.sendmail_path,
				   &service->set.sendmail_config_dir };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		service->strings[i] = xstrdup(*strings[i] != NULL ? *strings[i] : "");
		*strings[i] = service->strings[i];
	}
	pthread_mutex_init(&service->admin_lock, NULL);
	atomic_init(&service->deliveries_in_flight, 0);

	struct net_service *net = xcalloc(1, sizeof(*net));
	net->name = "lmtp";
	net->context = service;
	net->max_line_length = set->max_line_length;
	net->refuse = lmtp_service_refuse;
	lmtp_session_hooks(net);
	service->net = net;
	return service;
}

void lmtp_service_free(struct lmtp_service **servicep)
{
	struct lmtp_service *service = *servicep;
	if (service == NULL)
		return;
	*servicep = NULL;
	lmtp_service_stop(service);
	lmtp_sieve_admin_free(service);
	pthread_mutex_destroy(&service->admin_lock);
	for (size_t i = 0; i < sizeof(service->strings) / sizeof(service->strings[0]); i++)
		free(service->strings[i]);
	free(service->net);
	free(service->hostname);
	free(service);
}

void lmtp_service_set_storage(struct lmtp_service *service, struct storage *storage)
{
	service->storage = storage;
}

int lmtp_service_start(struct lmtp_service *service, char **error_r)
{
	struct lmtp_submit_settings set = {
		.sendmail_path = service->set.sendmail_path,
		.sendmail_config_dir = service->set.sendmail_config_dir,
		.timeout_secs = service->set.sendmail_timeout_secs,
		.quota_warning_percent = service->set.quota_warning_percent,
		.quota_warning_from = service->set.quota_warning_from,
		.hostname = service->hostname,
	};
	if (lmtp_submit_start(&set, service->storage, &service->submit, error_r) < 0)
		return -1;
	lmtp_sieve_admin_reload(service);
	return 0;
}

void lmtp_service_stop(struct lmtp_service *service)
{
	lmtp_submit_stop(&service->submit);
}

void lmtp_service_reload(struct lmtp_service *service)
{
	lmtp_sieve_admin_reload(service);
}

void lmtp_service_set_auth(struct lmtp_service *service, struct auth_service *auth)
{
	service->auth = auth;
}

const struct net_service *lmtp_service_net(struct lmtp_service *service)
{
	return service->net;
}

unsigned lmtp_deliveries_in_flight(struct lmtp_service *service)
{
	return atomic_load(&service->deliveries_in_flight);
}
