/* test-tls.c - unit tests for tls.c: protocol names, contexts built from
 * good and bad files and settings (each failure naming the key at fault),
 * and reload swapping the certificate or keeping the old one. Certificates
 * are made at test time in a scratch directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static char test_dir[] = "/tmp/test-tls-XXXXXX";
static char path_buf[16][256];
static unsigned path_next;

static const char *tpath(const char *name)
{
	char *p = path_buf[path_next++ % N_ELEMENTS(path_buf)];
	snprintf(p, sizeof(path_buf[0]), "%s/%s", test_dir, name);
	return p;
}

/* A self-signed P-256 certificate with subject CN=cn and its key. */
static void make_cert(const char *cn, const char *cert_name, const char *key_name)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	assert_non_null(key);
	X509 *x = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	FILE *f = fopen(tpath(cert_name), "w");
	assert_non_null(f);
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(tpath(key_name), "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(tpath(name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(test_dir) == NULL)
		return -1;
	make_cert("one.test", "one.crt", "one.key");
	make_cert("two.test", "two.crt", "two.key");
	write_file("garbage.crt", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
				  "-----END CERTIFICATE-----\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = { "one.crt", "one.key", "two.crt", "two.key",
					     "garbage.crt", "cur.crt", "cur.key" };
	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		(void)unlink(tpath(names[i]));
	return rmdir(test_dir);
}

static void test_protocol_parse(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int want_ret, want_version;
	} cases[] = {
		{ "TLSv1.2", 0, TLS1_2_VERSION },
		{ "TLSv1.3", 0, TLS1_3_VERSION },
		{ "TLSv1.1", -1, 0 },
		{ "TLSv1", -1, 0 },
		{ "SSLv3", -1, 0 },
		{ "tlsv1.2", -1, 0 },
		{ "", -1, 0 },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		int version = 0;
		int ret = tls_protocol_parse(cases[i].name, &version);
		if (ret != cases[i].want_ret || (ret == 0 && version != cases[i].want_version))
			fail_msg("'%s': got %d/%#x, want %d/%#x", cases[i].name, ret, version,
				 cases[i].want_ret, cases[i].want_version);
	}
}

static void test_context_create(void **state)
{
	(void)state;
	static const struct {
		const char *cert, *key, *min_protocol, *ciphers, *ciphersuites;
		const char *want_error; /* NULL: success; else a substring */
	} cases[] = {
		{ "one.crt", "one.key", NULL, NULL, NULL, NULL },
		{ "one.crt", "one.key", "TLSv1.3", NULL, NULL, NULL },
		{ "missing.crt", "one.key", NULL, NULL, NULL, "tls_cert_file: " },
		{ "missing.crt", "one.key", NULL, NULL, NULL, "No such file" },
		{ "one.crt", "missing.key", NULL, NULL, NULL, "tls_key_file: " },
		{ "one.crt", "two.key", NULL, NULL, NULL, "does not match the certificate" },
		{ "garbage.crt", "one.key", NULL, NULL, NULL, "tls_cert_file: " },
		{ "one.key", "one.key", NULL, NULL, NULL, "tls_cert_file: " },
		{ "one.crt", "one.crt", NULL, NULL, NULL, "tls_key_file: " },
		{ "one.crt", "one.key", "TLSv1.1", NULL, NULL, "tls_min_protocol" },
		{ "one.crt", "one.key", NULL, "NO-SUCH-CIPHER", NULL, "tls_ciphers" },
		{ "one.crt", "one.key", NULL, NULL, "NO_SUCH_SUITE", "tls_ciphersuites" },
		{ "", "one.key", NULL, NULL, NULL, "tls_cert_file: not set" },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct tls_settings set = {
			.cert_file = cases[i].cert[0] != '\0' ? tpath(cases[i].cert) : "",
			.key_file = tpath(cases[i].key),
			.min_protocol = cases[i].min_protocol,
			.ciphers = cases[i].ciphers,
			.ciphersuites = cases[i].ciphersuites,
		};
		struct tls_context *ctx = NULL;
		char *error = NULL;
		int ret = tls_context_create(&set, &ctx, &error);
		if (cases[i].want_error == NULL) {
			if (ret != 0)
				fail_msg("case %zu: got error '%s', want success", i, error);
			SSL *ssl = tls_context_ssl_new(ctx);
			if (ssl == NULL)
				fail_msg("case %zu: got no SSL, want one", i);
			SSL_free(ssl);
			tls_context_free(&ctx);
		} else {
			if (ret == 0)
				fail_msg("case %zu: got success, want error with '%s'", i,
					 cases[i].want_error);
			if (error == NULL || strstr(error, cases[i].want_error) == NULL)
				fail_msg("case %zu: got error '%s', want one with '%s'", i,
					 error != NULL ? error : "(none)", cases[i].want_error);
			if (ctx != NULL)
				fail_msg("case %zu: got a context with the error, want none", i);
		}
		free(error);
	}
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(tpath(from), "r"), *out = fopen(tpath(to), "w");
	assert_non_null(in);
	assert_non_null(out);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static void test_context_reload(void **state)
{
	(void)state;
	copy_file("one.crt", "cur.crt");
	copy_file("one.key", "cur.key");
	struct tls_settings set = { .cert_file = tpath("cur.crt"), .key_file = tpath("cur.key") };
	struct tls_context *ctx = NULL;
	char *error = NULL;
	assert_int_equal(tls_context_create(&set, &ctx, &error), 0);
	char subject[128];
	tls_context_subject(ctx, subject, sizeof(subject));
	if (strcmp(subject, "CN=one.test") != 0)
		fail_msg("got subject '%s', want 'CN=one.test'", subject);
	/* a session made now keeps its SSL_CTX across the reload */
	SSL *old_ssl = tls_context_ssl_new(ctx);
	SSL_CTX *old_ctx = SSL_get_SSL_CTX(old_ssl);

	static const struct {
		const char *cert, *key;  /* copied over cur.crt / cur.key */
		int want_ret;
		const char *want_subject;
	} steps[] = {
		{ "two.crt", "two.key", 0, "CN=two.test" },
		{ "one.crt", "two.key", -1, "CN=two.test" },     /* mismatch: keep */
		{ "garbage.crt", "two.key", -1, "CN=two.test" }, /* unreadable: keep */
		{ "one.crt", "one.key", 0, "CN=one.test" },
	};
	for (size_t i = 0; i < N_ELEMENTS(steps); i++) {
		copy_file(steps[i].cert, "cur.crt");
		copy_file(steps[i].key, "cur.key");
		error = NULL;
		int ret = tls_context_reload(ctx, &error);
		if (ret != steps[i].want_ret)
			fail_msg("step %zu: got %d (%s), want %d", i, ret, error ? error : "",
				 steps[i].want_ret);
		free(error);
		tls_context_subject(ctx, subject, sizeof(subject));
		if (strcmp(subject, steps[i].want_subject) != 0)
			fail_msg("step %zu: got subject '%s', want '%s'", i, subject,
				 steps[i].want_subject);
	}
	X509 *cert = SSL_CTX_get0_certificate(old_ctx);
	char cn[64] = "";
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	if (strcmp(cn, "one.test") != 0)
		fail_msg("old session's certificate: got CN '%s', want 'one.test'", cn);
	SSL_free(old_ssl);
	tls_context_free(&ctx);
	assert_null(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol_parse),
		cmocka_unit_test(test_context_create),
		cmocka_unit_test(test_context_reload),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
