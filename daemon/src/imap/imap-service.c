/* imap-service.c - the IMAP service context shared by all workers: settings
 * and the net hooks (including the refusal sent over a connection limit).
 * Read-only after start-up.
 */
#include "imap-session.h"
#include "connection.h"
#include "xalloc.h"

#include <stdlib.h>
#include <sys/socket.h>

static void imap_service_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)sid;
	static const char reply[] = "* BYE too many connections\r\n";
	/* a fresh socket's send buffer takes one line; else the client sees the close */
	ssize_t ret = send(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)ret;
}

struct imap_service *imap_service_create(const struct imap_settings *set)
{
	struct imap_service *service = xcalloc(1, sizeof(*service));
	service->set = *set;
	service->hostname = xstrdup(set->hostname != NULL ? set->hostname : "");
	service->set.hostname = service->hostname;

	struct net_service *net = xcalloc(1, sizeof(*net));
	net->name = "imap";
	net->context = service;
	net->max_line_length = IMAP_LINE_MAX;
	net->handshake_timeout_secs = set->preauth_timeout_secs; /* implicit TLS */
	net->refuse = imap_service_refuse;
	imap_session_hooks(net);
	service->net = net;
	return service;
}

void imap_service_free(struct imap_service **servicep)
{
	struct imap_service *service = *servicep;
	if (service == NULL)
		return;
	*servicep = NULL;
	free(service->net);
	free(service->hostname);
	free(service);
}

void imap_service_set_auth(struct imap_service *service, struct auth_service *auth)
{
	service->auth = auth;
}

const struct net_service *imap_service_net(struct imap_service *service)
{
	return service->net;
}
