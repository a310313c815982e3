/* test-slapd.h - for the auth unit tests: start and stop a scratch slapd
 * through tests/helpers/slapd-start.sh (the AD-like directory of
 * tests/ldap/) on a free 127.0.0.1 port (with TLS: StartTLS there and
 * ldaps:// on a second port, certificates in dir/slapd/tls), and write a
 * domain's LDAP settings file for it. Header-only, included by test-*.c
 * files. */
#ifndef TANDEM_TEST_SLAPD_H
#define TANDEM_TEST_SLAPD_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct test_slapd {
	char dir[64];       /* scratch directory (slapd data, ldap.d, logs) */
	char conf_dir[96];  /* dir/ldap.d: the ldap_domains_dir to use */
	unsigned port;      /* slapd's */
	unsigned dead_port; /* nobody listens there */
	unsigned tls_port;  /* ldaps:// (test_slapd_start_tls only; else 0) */
};

/* Can the tests run here: slapd installed, run from the repository root? */
static inline bool test_slapd_available(void)
{
	return access("/usr/sbin/slapd", X_OK) == 0 &&
	       access("tests/helpers/slapd-start.sh", X_OK) == 0;
}

static inline unsigned test_slapd_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return ntohs(sin.sin_port);
}

/* Run tests/helpers/<script> DIR/slapd PORT, output in DIR/<script>.log. */
static inline int test_slapd_run(const struct test_slapd *s, const char *script)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "tests/helpers/%s %s/slapd %u >%s/%s.log 2>&1", script, s->dir,
		 s->port, s->dir, script);
	return system(cmd) == 0 ? 0 : -1;
}

/* tls: a scratch CA and server certificate, StartTLS and ldaps://. */
static inline int test_slapd_start_mode(struct test_slapd *s, bool tls)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-slapd.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->conf_dir, sizeof(s->conf_dir), "%s/ldap.d", s->dir);
	if (mkdir(s->conf_dir, 0700) < 0)
		return -1;
	s->port = test_slapd_free_port();
	s->dead_port = test_slapd_free_port();
	s->tls_port = tls ? test_slapd_free_port() : 0;
	int ret = -1;
	if (s->port != 0 && s->dead_port != 0 && (!tls || s->tls_port != 0)) {
		if (tls) {
			char cmd[512];
			snprintf(cmd, sizeof(cmd),
				 "SLAPD_TLS_PORT=%u tests/helpers/slapd-start.sh %s/slapd %u tls "
				 ">%s/slapd-start.sh.log 2>&1", s->tls_port, s->dir, s->port, s->dir);
			ret = system(cmd) == 0 ? 0 : -1;
		} else {
			ret = test_slapd_run(s, "slapd-start.sh");
		}
	}
	if (ret < 0) {
		fprintf(stderr, "slapd did not start (see %s/slapd-start.sh.log)\n", s->dir);
		return -1;
	}
	return 0;
}

static inline int test_slapd_start(struct test_slapd *s)
{
	return test_slapd_start_mode(s, false);
}

static inline int test_slapd_start_tls(struct test_slapd *s)
{
	return test_slapd_start_mode(s, true);
}

/* Stop slapd and remove the directory. */
static inline void test_slapd_stop(struct test_slapd *s)
{
	if (s->dir[0] == '\0')
		return;
	(void)test_slapd_run(s, "slapd-stop.sh");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", s->dir);
	s->dir[0] = '\0';
}

/* example.test.conf in conf_dir: the AD settings, uri as given, then
 * extra (more "key = value" lines, may be ""). */
static inline int test_slapd_write_conf_extra(const struct test_slapd *s, const char *uri,
					      const char *bind_password, const char *extra)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/example.test.conf", s->conf_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
		"uri = %s\n"
		"base = dc=example,dc=test\n"
		"bind_dn = cn=tandem,ou=Services,dc=example,dc=test\n"
		"bind_password = %s\n"
		"user_filter = (&(objectClass=user)(sAMAccountName=%%n))\n"
		"recipient_filter = (|(mail=%%u)(proxyAddresses=smtp:%%u))\n"
		"alias_attribute = proxyAddresses\n"
		"required_group = cn=MailUsers,ou=Groups,dc=example,dc=test\n"
		"timeout = 2\n"
		"%s",
		uri, bind_password, extra);
	return fclose(f) == 0 ? 0 : -1;
}

/* example.test.conf in conf_dir: the AD settings, uri as given. */
static inline int test_slapd_write_conf(const struct test_slapd *s, const char *uri,
					const char *bind_password)
{
	return test_slapd_write_conf_extra(s, uri, bind_password, "");
}

#endif
