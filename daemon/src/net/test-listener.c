/* test-listener.c - unit tests for the listen address parser of listener.c
 * and for net_sockaddr_format(): a table of specs and what each must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "listener.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *spec;
	int ret;
	bool is_unix;
	const char *host;
	const char *port;
	const char *path;
} spec_cases[] = {
	{ "127.0.0.1:2424", 0, false, "127.0.0.1", "2424", "" },
	{ "  127.0.0.1:2424  ", 0, false, "127.0.0.1", "2424", "" },
	{ "localhost:24", 0, false, "localhost", "24", "" },
	{ "*:24", 0, false, "", "24", "" },
	{ ":24", 0, false, "", "24", "" },
	{ "[::1]:2424", 0, false, "::1", "2424", "" },
	{ "[2001:db8::1]:0", 0, false, "2001:db8::1", "0", "" },
	{ "127.0.0.1:65535", 0, false, "127.0.0.1", "65535", "" },
	{ "unix:/run/tandem/lmtp", 0, true, "", "", "/run/tandem/lmtp" },
	{ "unix:run/lmtp.sock", 0, true, "", "", "run/lmtp.sock" },
	{ "", -1, false, "", "", "" },
	{ "   ", -1, false, "", "", "" },
	{ "127.0.0.1", -1, false, "", "", "" },
	{ "127.0.0.1:", -1, false, "", "", "" },
	{ "127.0.0.1:65536", -1, false, "", "", "" },
	{ "127.0.0.1:123456", -1, false, "", "", "" },
	{ "127.0.0.1:24x", -1, false, "", "", "" },
	{ "127.0.0.1:-1", -1, false, "", "", "" },
	{ "::1:2424", -1, false, "", "", "" },
	{ "[::1]2424", -1, false, "", "", "" },
	{ "[::1", -1, false, "", "", "" },
	{ "[not-v6]:24", -1, false, "", "", "" },
	{ "unix:", -1, false, "", "", "" },
	{ "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -1, false, "", "", "" },
};

static void test_spec_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(spec_cases); i++) {
		struct net_listen_spec spec;
		char *error = NULL;
		int ret = net_listen_spec_parse(spec_cases[i].spec, &spec, &error);
		if (ret != spec_cases[i].ret)
			fail_msg("\"%s\": got %d (%s), want %d", spec_cases[i].spec, ret,
				 error != NULL ? error : "no error", spec_cases[i].ret);
		if (ret < 0) {
			assert_non_null(error);
			free(error);
			continue;
		}
		if (spec.is_unix != spec_cases[i].is_unix)
			fail_msg("\"%s\": got is_unix %d, want %d", spec_cases[i].spec, spec.is_unix,
				 spec_cases[i].is_unix);
		if (strcmp(spec.host, spec_cases[i].host) != 0 ||
		    strcmp(spec.port, spec_cases[i].port) != 0 ||
		    strcmp(spec.path, spec_cases[i].path) != 0)
			fail_msg("\"%s\": got host \"%s\" port \"%s\" path \"%s\", want \"%s\" \"%s\" \"%s\"",
				 spec_cases[i].spec, spec.host, spec.port, spec.path,
				 spec_cases[i].host, spec_cases[i].port, spec_cases[i].path);
	}
}

static const struct {
	const char *list;
	int ret;
	size_t count;
} list_cases[] = {
	{ "127.0.0.1:2424,unix:run/lmtp.sock", 0, 2 },
	{ "127.0.0.1:2424", 0, 1 },
	{ "127.0.0.1:2424, [::1]:2424 ,unix:/x", 0, 3 },
	{ "", -1, 0 },
	{ ",", -1, 0 },
	{ "127.0.0.1:2424,bad", -1, 0 },
};

static void test_specs_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(list_cases); i++) {
		struct net_listen_spec specs[4];
		size_t count = 0;
		char *error = NULL;
		int ret = net_listen_specs_parse(list_cases[i].list, specs, N_ELEMENTS(specs), &count,
						 &error);
		if (ret != list_cases[i].ret)
			fail_msg("\"%s\": got %d, want %d", list_cases[i].list, ret, list_cases[i].ret);
		if (ret == 0 && count != list_cases[i].count)
			fail_msg("\"%s\": got %zu specs, want %zu", list_cases[i].list, count,
				 list_cases[i].count);
		free(error);
	}
	/* more than the array holds */
	struct net_listen_spec one[1];
	size_t count;
	char *error = NULL;
	if (net_listen_specs_parse("a:1,b:2", one, 1, &count, &error) != -1)
		fail_msg("2 specs into an array of 1: got success, want -1");
	free(error);
}

static void test_sockaddr_format(void **state)
{
	(void)state;
	char out[64], addr[48];
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(4242);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	net_sockaddr_format((struct sockaddr *)&sin, sizeof(sin), out, sizeof(out), addr, sizeof(addr));
	if (strcmp(out, "192.0.2.7:4242") != 0 || strcmp(addr, "192.0.2.7") != 0)
		fail_msg("IPv4: got \"%s\" \"%s\", want \"192.0.2.7:4242\" \"192.0.2.7\"", out, addr);

	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(25);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	net_sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6), out, sizeof(out), addr,
			    sizeof(addr));
	if (strcmp(out, "[2001:db8::1]:25") != 0 || strcmp(addr, "2001:db8::1") != 0)
		fail_msg("IPv6: got \"%s\" \"%s\", want \"[2001:db8::1]:25\" \"2001:db8::1\"", out, addr);

	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	net_sockaddr_format((struct sockaddr *)&sun, sizeof(sun), out, sizeof(out), addr, sizeof(addr));
	if (strcmp(out, "unix") != 0 || strcmp(addr, "") != 0)
		fail_msg("UNIX: got \"%s\" \"%s\", want \"unix\" \"\"", out, addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_specs_parse),
		cmocka_unit_test(test_sockaddr_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
