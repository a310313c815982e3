/* lmtp-service.c - the LMTP service context shared by all workers: settings,
 * the storage and auth handles, the count of deliveries in flight, and the net hooks
 * (including the refusal sent over a connection limit).
 * Read-only after start-up except the atomic counter.
 */
#include "lmtp-session.h"
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
	free(service->net);
	free(service->hostname);
	free(service);
}

void lmtp_service_set_storage(struct lmtp_service *service, struct storage *storage)
{
	service->storage = storage;
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
