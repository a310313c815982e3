/* pop3-service.c - the POP3 service context shared by all workers:
 * settings, the net hooks (including the refusal sent over a connection
 * limit) and the maildrop lock table. Read-only after start-up but for the
 * lock table, which has its own mutex.
 */
#include "pop3-session.h"
#include "connection.h"
#include "xalloc.h"

#include <stdlib.h>
#include <sys/socket.h>

static void pop3_service_refuse(void *context, int fd, const char *sid)
{
	(void)context;
	(void)sid;
	static const char reply[] = "-ERR [SYS/TEMP] too many connections\r\n";
	/* a fresh socket's send buffer takes one line; else the client sees the close */
	ssize_t ret = send(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)ret;
}

struct pop3_service *pop3_service_create(const struct pop3_settings *set)
{
	struct pop3_service *service = xcalloc(1, sizeof(*service));
	service->set = *set;
	pop3_maildrop_locks_init(&service->locks);

	struct net_service *net = xcalloc(1, sizeof(*net));
	net->name = "pop3";
	net->context = service;
	net->max_line_length = POP3_LINE_MAX;
	net->handshake_timeout_secs = 60; /* implicit TLS (POP3S) */
	net->refuse = pop3_service_refuse;
	pop3_session_hooks(net);
	service->net = net;
	return service;
}

void pop3_service_free(struct pop3_service **servicep)
{
	struct pop3_service *service = *servicep;
	if (service == NULL)
		return;
	*servicep = NULL;
	pop3_maildrop_locks_deinit(&service->locks);
	free(service->net);
	free(service);
}

void pop3_service_set_auth(struct pop3_service *service, struct auth_service *auth)
{
	service->auth = auth;
}

const struct net_service *pop3_service_net(struct pop3_service *service)
{
	return service->net;
}
