/* test-auth-ldap.c - unit tests for auth-ldap.c and auth-ldap-config.c:
 * filter expansion and escaping, the settings files (good and broken), and
 * against a real slapd started here (tests/helpers/slapd-start.sh, the
 * AD-like directory of tests/ldap/): right and wrong passwords, a user
 * outside the required group, disabled and locked accounts, unknown users,
 * recipient lookups by alias, failover to a second server, a wrong service
 * password and a server that goes away and comes back; LDAP over TLS
 * (StartTLS and ldaps:// with the right CA, a wrong CA is TEMPFAIL, never
 * a wrong password). The slapd group skips, saying why, when slapd is not
 * installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth-ldap.h"
#include "test-slapd.h"
#include "xalloc.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- filters ---- */

static const struct {
	const char *pattern;
	const char *address;
	const char *want; /* NULL: must fail */
} filter_cases[] = {
	{ "(mail=%u)", "alice@example.test", "(mail=alice@example.test)" },
	{ "(&(objectClass=user)(sAMAccountName=%n))", "alice@example.test",
	  "(&(objectClass=user)(sAMAccountName=alice))" },
	{ "(uid=%n)(dc=%d)", "bob@example.test", "(uid=bob)(dc=example.test)" },
	{ "(mail=%u)", "a*b(c)\\d@example.test", "(mail=a\\2ab\\28c\\29\\5cd@example.test)" },
	{ "(cn=100%%)", "x@y", "(cn=100%)" },
	{ "(cn=%x)", "x@y", NULL },
	{ "(cn=%", "x@y", NULL },
	{ "(mail=%u)", "noat", "(mail=noat)" },
};

static void test_filter_expand(void **state)
{
	(void)state;
	char out[256];
	for (size_t i = 0; i < N_ELEMENTS(filter_cases); i++) {
		int ret = auth_ldap_filter_expand(filter_cases[i].pattern, filter_cases[i].address,
						  out, sizeof(out));
		if (filter_cases[i].want == NULL) {
			if (ret == 0)
				fail_msg("case %zu: got \"%s\", want a failure", i, out);
			continue;
		}
		if (ret != 0 || strcmp(out, filter_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\" (%d), want \"%s\"", i, ret == 0 ? out : "",
				 ret, filter_cases[i].want);
	}
	/* never writes past the buffer */
	char small[12];
	if (auth_ldap_filter_expand("(mail=%u)", "alice@example.test", small, sizeof(small)) == 0)
		fail_msg("a filter longer than the buffer: got success, want -1");
}

/* ---- settings files ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const struct {
	const char *text;
	const char *want_error; /* substring; NULL: loads */
} config_cases[] = {
	{ "uri = ldap://127.0.0.1:1/\nbase = dc=example,dc=test\n", NULL },
	{ "uri = ldap://a/, ldaps://b/ ldap://c/\nbase = dc=x\nstarttls = yes\n"
	  "user_filter = (&(objectClass=user)(sAMAccountName=%n))\nrequired_group = cn=G\n", NULL },
	{ "base = dc=x\n", "no uri" },
	{ "uri = ldap://a/\n", "no base" },
	{ "uri = http://a/\nbase = dc=x\n", "not ldap://" },
	{ "uri = ldap://a/\nbase = dc=x\nstarttls = maybe\n", "yes or no" },
	{ "uri = ldap://a/\nbase = dc=x\nuser_filter = mail=%u\n", "parentheses" },
	{ "uri = ldap://a/\nbase = dc=x\nuser_filter = (mail=%q)\n", "parentheses" },
	{ "uri = ldap://a/\nbase = dc=x\ncolour = blue\n", "unknown key" },
	{ "uri = ldap://a/\nbase = dc=x\ntimeout = 0\n", "timeout" },
	{ "uri = ldap://a/\nbase = dc=x\nbind_password_file = /nonexistent/secret\n", "bind_password_file" },
};

static void test_config_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-auth-ldap.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/example.test.conf", dir);
	for (size_t i = 0; i < N_ELEMENTS(config_cases); i++) {
		write_file(path, config_cases[i].text);
		struct auth_ldap_directory *directory = NULL;
		char *error = NULL;
		int ret = auth_ldap_load(dir, &directory, &error);
		if (config_cases[i].want_error == NULL) {
			if (ret != 0)
				fail_msg("case %zu: got error \"%s\", want success", i, error);
			if (auth_ldap_find(directory, "EXAMPLE.test") == NULL ||
			    auth_ldap_find(directory, "other.test") != NULL)
				fail_msg("case %zu: domain lookup wrong", i);
		} else if (ret == 0 || error == NULL || strstr(error, config_cases[i].want_error) == NULL) {
			fail_msg("case %zu: got %s \"%s\", want an error with \"%s\"", i,
				 ret == 0 ? "success" : "error", error != NULL ? error : "",
				 config_cases[i].want_error);
		}
		free(error);
		auth_ldap_free(&directory);
	}
	/* files that are not <domain>.conf are ignored; a missing dir is empty */
	unlink(path);
	snprintf(path, sizeof(path), "%s/README", dir);
	write_file(path, "not a domain\n");
	struct auth_ldap_directory *directory = NULL;
	char *error = NULL;
	assert_int_equal(auth_ldap_load(dir, &directory, &error), 0);
	assert_int_equal(auth_ldap_domain_count(directory), 0);
	auth_ldap_free(&directory);
	unlink(path);
	rmdir(dir);
	assert_int_equal(auth_ldap_load("/nonexistent/ldap.d", &directory, &error), 0);
	assert_int_equal(auth_ldap_domain_count(directory), 0);
	auth_ldap_free(&directory);
}

/* ---- against slapd ---- */

struct slapd_env {
	struct test_slapd slapd;
	struct auth_ldap_directory *directory;
	struct auth_ldap_conn *conn;
};

/* Write example.test.conf with uri, load it, fresh connections. */
static int slapd_load_conf(struct slapd_env *env, const char *uri, const char *bind_password)
{
	if (test_slapd_write_conf(&env->slapd, uri, bind_password) < 0)
		return -1;
	auth_ldap_free(&env->directory);
	auth_ldap_conn_free(&env->conn);
	char *error = NULL;
	if (auth_ldap_load(env->slapd.conf_dir, &env->directory, &error) < 0) {
		print_error("load: %s\n", error);
		free(error);
		return -1;
	}
	env->conn = auth_ldap_conn_create();
	return 0;
}

static int slapd_setup(void **state)
{
	struct slapd_env *env = xcalloc(1, sizeof(*env));
	*state = env;
	if (test_slapd_start(&env->slapd) < 0)
		return -1;
	char uri[64];
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/", env->slapd.port);
	return slapd_load_conf(env, uri, "service-secret");
}

static int slapd_teardown(void **state)
{
	struct slapd_env *env = *state;
	test_slapd_stop(&env->slapd);
	auth_ldap_conn_free(&env->conn);
	auth_ldap_free(&env->directory);
	free(env);
	return 0;
}

static const struct {
	const char *address;
	const char *password;
	enum auth_ldap_result want;
	const char *want_reason;
	const char *want_mail;
} login_cases[] = {
	{ "alice@example.test", "alice-pw", AUTH_LDAP_OK, "password", "alice@example.test" },
	{ "ALICE@example.test", "alice-pw", AUTH_LDAP_OK, "password", "alice@example.test" },
	{ "alice@example.test", "wrong", AUTH_LDAP_FAILED, "password", NULL },
	{ "alice@example.test", "", AUTH_LDAP_FAILED, "password", NULL },
	/* the login name is the sAMAccountName; bob's mail differs from his UPN */
	{ "bob@example.test", "bob-pw", AUTH_LDAP_OK, "password", "bob@example.test" },
	{ "carol@example.test", "carol-pw", AUTH_LDAP_FAILED, "group", NULL },
	{ "dave@example.test", "dave-pw", AUTH_LDAP_FAILED, "disabled", NULL },
	{ "erin@example.test", "erin-pw", AUTH_LDAP_FAILED, "locked", NULL },
	{ "nobody@example.test", "x", AUTH_LDAP_FAILED, "user", NULL },
	{ "a*@example.test", "alice-pw", AUTH_LDAP_FAILED, "user", NULL },
	{ "alice@example.test", "alice-pw", AUTH_LDAP_OK, "password", "alice@example.test" },
};

static void test_slapd_login(void **state)
{
	struct slapd_env *env = *state;
	const struct auth_ldap_domain *domain = auth_ldap_find(env->directory, "example.test");
	assert_non_null(domain);
	for (size_t i = 0; i < N_ELEMENTS(login_cases); i++) {
		struct auth_ldap_user user;
		char reason[256] = "";
		enum auth_ldap_result got = auth_ldap_login(env->conn, domain, login_cases[i].address,
							    login_cases[i].password, &user, reason,
							    sizeof(reason));
		if (got != login_cases[i].want || strcmp(reason, login_cases[i].want_reason) != 0)
			fail_msg("case %zu (%s): got %d \"%s\", want %d \"%s\"", i,
				 login_cases[i].address, got, reason, login_cases[i].want,
				 login_cases[i].want_reason);
		if (login_cases[i].want_mail != NULL && strcmp(user.address, login_cases[i].want_mail) != 0)
			fail_msg("case %zu: got mail \"%s\", want \"%s\"", i, user.address,
				 login_cases[i].want_mail);
	}
	/* alice's proxyAddresses: the smtp: one besides her mail, not x500: */
	struct auth_ldap_user user;
	char reason[256];
	assert_int_equal(auth_ldap_login(env->conn, domain, "alice@example.test", "alice-pw", &user,
					 reason, sizeof(reason)), AUTH_LDAP_OK);
	if (user.alias_count != 1 || strcmp(user.aliases[0], "a.smith@example.test") != 0)
		fail_msg("alice's aliases: got %zu (%s), want 1 (a.smith@example.test)",
			 user.alias_count, user.alias_count > 0 ? user.aliases[0] : "");
}

static void test_slapd_lookup(void **state)
{
	struct slapd_env *env = *state;
	const struct auth_ldap_domain *domain = auth_ldap_find(env->directory, "example.test");
	struct auth_ldap_user user;
	char reason[256];
	assert_int_equal(auth_ldap_lookup(env->conn, domain, "a.smith@example.test", &user, reason,
					  sizeof(reason)), AUTH_LDAP_OK);
	if (strcmp(user.address, "alice@example.test") != 0)
		fail_msg("a.smith: got user \"%s\", want alice@example.test", user.address);
	enum auth_ldap_result got = auth_ldap_lookup(env->conn, domain, "ghost@example.test", &user,
						     reason, sizeof(reason));
	if (got != AUTH_LDAP_FAILED || strcmp(reason, "user") != 0)
		fail_msg("ghost: got %d \"%s\", want FAILED \"user\"", got, reason);
}

static void test_slapd_failover(void **state)
{
	struct slapd_env *env = *state;
	char uri[160];
	/* the first server is dead: the second answers */
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/ ldap://127.0.0.1:%u/", env->slapd.dead_port,
		 env->slapd.port);
	assert_int_equal(slapd_load_conf(env, uri, "service-secret"), 0);
	const struct auth_ldap_domain *domain = auth_ldap_find(env->directory, "example.test");
	struct auth_ldap_user user;
	char reason[256] = "";
	enum auth_ldap_result got = auth_ldap_login(env->conn, domain, "alice@example.test",
						    "alice-pw", &user, reason, sizeof(reason));
	if (got != AUTH_LDAP_OK)
		fail_msg("failover: got %d \"%s\", want OK", got, reason);
	/* every server dead: a temporary failure, not a wrong password */
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/", env->slapd.dead_port);
	assert_int_equal(slapd_load_conf(env, uri, "service-secret"), 0);
	domain = auth_ldap_find(env->directory, "example.test");
	got = auth_ldap_login(env->conn, domain, "alice@example.test", "alice-pw", &user, reason,
			      sizeof(reason));
	if (got != AUTH_LDAP_TEMPFAIL)
		fail_msg("no server: got %d \"%s\", want TEMPFAIL", got, reason);
	/* a wrong service password is the admin's problem: TEMPFAIL too */
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/", env->slapd.port);
	assert_int_equal(slapd_load_conf(env, uri, "not-the-secret"), 0);
	domain = auth_ldap_find(env->directory, "example.test");
	got = auth_ldap_login(env->conn, domain, "alice@example.test", "alice-pw", &user, reason,
			      sizeof(reason));
	if (got != AUTH_LDAP_TEMPFAIL || strstr(reason, "service bind") == NULL)
		fail_msg("wrong service password: got %d \"%s\", want TEMPFAIL (service bind)", got,
			 reason);
}

/* The server goes away under an open connection and comes back. */
static void test_slapd_restart(void **state)
{
	struct slapd_env *env = *state;
	const struct auth_ldap_domain *domain = auth_ldap_find(env->directory, "example.test");
	struct auth_ldap_user user;
	char reason[256] = "";
	assert_int_equal(auth_ldap_login(env->conn, domain, "bob@example.test", "bob-pw", &user,
					 reason, sizeof(reason)), AUTH_LDAP_OK);
	assert_int_equal(test_slapd_run(&env->slapd, "slapd-stop.sh"), 0);
	enum auth_ldap_result got = auth_ldap_login(env->conn, domain, "bob@example.test", "bob-pw",
						    &user, reason, sizeof(reason));
	if (got != AUTH_LDAP_TEMPFAIL)
		fail_msg("server stopped: got %d \"%s\", want TEMPFAIL", got, reason);
	/* same data directory: slapd-start.sh reloads it; start it again */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "/usr/sbin/slapd -F %s/slapd/config -h ldap://127.0.0.1:%u/ >/dev/null 2>&1 && "
		 "for n in $(seq 50); do ldapsearch -x -H ldap://127.0.0.1:%u/ -b '' -s base "
		 ">/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1",
		 env->slapd.dir, env->slapd.port, env->slapd.port);
	assert_int_equal(system(cmd), 0);
	got = auth_ldap_login(env->conn, domain, "bob@example.test", "bob-pw", &user, reason,
			      sizeof(reason));
	if (got != AUTH_LDAP_OK)
		fail_msg("server back: got %d \"%s\", want OK", got, reason);
}

/* ---- TLS ---- */

static int slapd_tls_setup(void **state)
{
	struct slapd_env *env = xcalloc(1, sizeof(*env));
	*state = env;
	return test_slapd_start_tls(&env->slapd);
}

enum tls_case_uri { TLS_URI_STARTTLS, TLS_URI_LDAPS, TLS_URI_PLAIN };

static const struct {
	enum tls_case_uri uri;
	const char *ca;     /* file under dir/slapd/tls, NULL: none given */
	bool verify;
	const char *password;
	enum auth_ldap_result want;
} tls_cases[] = {
	{ TLS_URI_STARTTLS, "ca.pem", true, "alice-pw", AUTH_LDAP_OK },
	{ TLS_URI_STARTTLS, "ca.pem", true, "wrong", AUTH_LDAP_FAILED },
	{ TLS_URI_LDAPS, "ca.pem", true, "alice-pw", AUTH_LDAP_OK },
	{ TLS_URI_LDAPS, "ca.pem", true, "wrong", AUTH_LDAP_FAILED },
	/* a CA that did not sign the server's certificate: cannot tell */
	{ TLS_URI_STARTTLS, "other-ca.pem", true, "alice-pw", AUTH_LDAP_TEMPFAIL },
	{ TLS_URI_STARTTLS, "other-ca.pem", true, "wrong", AUTH_LDAP_TEMPFAIL },
	{ TLS_URI_LDAPS, "other-ca.pem", true, "alice-pw", AUTH_LDAP_TEMPFAIL },
	/* checking switched off: any certificate will do */
	{ TLS_URI_STARTTLS, "other-ca.pem", false, "alice-pw", AUTH_LDAP_OK },
	{ TLS_URI_LDAPS, NULL, false, "alice-pw", AUTH_LDAP_OK },
	/* plain again after TLS settings in the same process */
	{ TLS_URI_PLAIN, NULL, true, "alice-pw", AUTH_LDAP_OK },
};

static void test_slapd_tls(void **state)
{
	struct slapd_env *env = *state;
	for (size_t i = 0; i < N_ELEMENTS(tls_cases); i++) {
		char uri[96];
		char extra[256] = "";
		unsigned port = tls_cases[i].uri == TLS_URI_LDAPS ? env->slapd.tls_port :
				env->slapd.port;
		snprintf(uri, sizeof(uri), "%s://127.0.0.1:%u/",
			 tls_cases[i].uri == TLS_URI_LDAPS ? "ldaps" : "ldap", port);
		int n = snprintf(extra, sizeof(extra), "starttls = %s\ntls_verify = %s\n",
				 tls_cases[i].uri == TLS_URI_STARTTLS ? "yes" : "no",
				 tls_cases[i].verify ? "yes" : "no");
		if (tls_cases[i].ca != NULL)
			snprintf(extra + n, sizeof(extra) - (size_t)n, "tls_ca_file = %s/slapd/tls/%s\n",
				 env->slapd.dir, tls_cases[i].ca);
		if (test_slapd_write_conf_extra(&env->slapd, uri, "service-secret", extra) < 0)
			fail_msg("case %zu: cannot write the settings", i);
		auth_ldap_free(&env->directory);
		auth_ldap_conn_free(&env->conn);
		char *error = NULL;
		if (auth_ldap_load(env->slapd.conf_dir, &env->directory, &error) < 0)
			fail_msg("case %zu: load: got \"%s\", want success", i, error);
		env->conn = auth_ldap_conn_create();
		const struct auth_ldap_domain *domain = auth_ldap_find(env->directory, "example.test");
		assert_non_null(domain);
		struct auth_ldap_user user;
		char reason[256] = "";
		enum auth_ldap_result got = auth_ldap_login(env->conn, domain, "alice@example.test",
							    tls_cases[i].password, &user, reason,
							    sizeof(reason));
		if (got != tls_cases[i].want)
			fail_msg("case %zu (%s, ca %s, verify %d, %s): got %d \"%s\", want %d", i, uri,
				 tls_cases[i].ca != NULL ? tls_cases[i].ca : "-", tls_cases[i].verify,
				 tls_cases[i].password, got, reason, tls_cases[i].want);
		/* a lookup goes the same way */
		if (tls_cases[i].want != AUTH_LDAP_FAILED) {
			got = auth_ldap_lookup(env->conn, domain, "a.smith@example.test", &user, reason,
					       sizeof(reason));
			if (got != tls_cases[i].want)
				fail_msg("case %zu lookup: got %d \"%s\", want %d", i, got, reason,
					 tls_cases[i].want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest plain_tests[] = {
		cmocka_unit_test(test_filter_expand),
		cmocka_unit_test(test_config_files),
	};
	const struct CMUnitTest slapd_tests[] = {
		cmocka_unit_test_setup_teardown(test_slapd_login, slapd_setup, slapd_teardown),
		cmocka_unit_test_setup_teardown(test_slapd_lookup, slapd_setup, slapd_teardown),
		cmocka_unit_test_setup_teardown(test_slapd_failover, slapd_setup, slapd_teardown),
		cmocka_unit_test_setup_teardown(test_slapd_restart, slapd_setup, slapd_teardown),
		cmocka_unit_test_setup_teardown(test_slapd_tls, slapd_tls_setup, slapd_teardown),
	};
	int failed = cmocka_run_group_tests_name("auth-ldap", plain_tests, NULL, NULL);
	if (test_slapd_available())
		failed += cmocka_run_group_tests_name("auth-ldap against slapd", slapd_tests, NULL, NULL);
	else
		print_message("auth-ldap against slapd: skipped (no /usr/sbin/slapd, or not run from "
			      "the repository root)\n");
	return failed == 0 ? 0 : 1;
}
