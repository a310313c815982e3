/* ms-service.c - the ManageSieve service context shared by all workers:
 * settings and the net hooks, including the refusal sent over a
 * connection limit. Read-only after start-up.
 */
#include "ms-session.h"
#include "connection.h"
#include "xalloc.h"

#include <stdlib.h>
#include <sys/socket.h>

static void ms_service_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)sid;
	static const char reply[] = "BYE (TRYLATER) \"Too many connections\"\r\n";
	/* a fresh socket's send buffer takes one line; else the client sees the close */
	ssize_t ret = send(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)ret;
}

struct managesieve_service *managesieve_service_create(const struct managesieve_settings *set)
{
	struct managesieve_service *service = xcalloc(1, sizeof(*service));
	service->set = *set;

	struct net_service *net = xcalloc(1, sizeof(*net));
	net->name = MS_PROTO;
	net->context = service;
	net->max_line_length = MANAGESIEVE_LINE_MAX;
	net->handshake_timeout_secs = 60; /* STARTTLS */
	net->refuse = ms_service_refuse;
	ms_session_hooks(net);
	service->net = net;
	return service;
}

void managesieve_service_free(struct managesieve_service **servicep)
{
	struct managesieve_service *service = *servicep;
	if (service == NULL)
		return;
	*servicep = NULL;
	free(service->net);
	free(service);
}

void managesieve_service_set_auth(struct managesieve_service *service,
				  struct auth_service *auth)
{
	service->auth = auth;
}

const struct net_service *managesieve_service_net(struct managesieve_service *service)
{
	return service->net;
}
