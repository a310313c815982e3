/* tls.c - the server's TLS context (see tls.h): build an SSL_CTX from the
 * configured files and lists, swap a freshly built one in on reload.
 * Never keeps state outside struct tls_context; never prints (errors go
 * back to the caller as text); never weakens the protocol floor below
 * TLS 1.2 whatever the configuration says.
 */
#include "tls.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_context {
	pthread_mutex_t lock;  /* guards current only */
	SSL_CTX *current;      /* new connections use this one */
	char *cert_file, *key_file, *min_protocol, *ciphers, *ciphersuites;
};

static const struct {
	const char *name;
	int version;
} tls_protocols[] = {
	{ "TLSv1.2", TLS1_2_VERSION },
	{ "TLSv1.3", TLS1_3_VERSION },
};

int tls_protocol_parse(const char *name, int *version_r)
{
	for (size_t i = 0; i < sizeof(tls_protocols) / sizeof(tls_protocols[0]); i++) {
		if (strcmp(tls_protocols[i].name, name) == 0) {
			*version_r = tls_protocols[i].version;
			return 0;
		}
	}
	return -1;
}

void tls_last_error(char *out, size_t size)
{
	unsigned long err = ERR_get_error();
	if (err == 0)
		snprintf(out, size, "%s", "");
	else
		ERR_error_string_n(err, out, size);
	ERR_clear_error();
}

/* "<what>: <openssl's reason>", allocated */
static char *tls_error(const char *what)
{
	char reason[256];
	unsigned long err = ERR_peek_last_error();
	if (err != 0 && ERR_reason_error_string(err) != NULL)
		snprintf(reason, sizeof(reason), "%s", ERR_reason_error_string(err));
	else if (err != 0)
		ERR_error_string_n(err, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "unknown error");
	ERR_clear_error();
	return xasprintf("%s: %s", what, reason);
}

/* A missing or unreadable file gets the system's reason, not OpenSSL's. */
static int tls_file_check(const char *key, const char *path, char **error_r)
{
	if (path == NULL || path[0] == '\0') {
		*error_r = xasprintf("%s: not set", key);
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error_r = xasprintf("%s: %s: %s", key, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static SSL_CTX *tls_ctx_build(const struct tls_context *tc, char **error_r)
{
	int min_version;
	if (tls_protocol_parse(tc->min_protocol, &min_version) < 0) {
		*error_r = xasprintf("tls_min_protocol: '%s' is not TLSv1.2 or TLSv1.3",
				     tc->min_protocol);
		return NULL;
	}
	if (tls_file_check("tls_cert_file", tc->cert_file, error_r) < 0 ||
	    tls_file_check("tls_key_file", tc->key_file, error_r) < 0)
		return NULL;

	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*error_r = tls_error("SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
		*error_r = tls_error("tls_min_protocol");
		goto fail;
	}
	/* no TLS compression (CRIME), no renegotiation, the server's order; a
	 * client closing without close_notify has just left (EOF, not error) */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* idle connections give their read/write buffers back (~34 KB each) */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_dh_auto(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, tc->ciphers) != 1) {
		*error_r = tls_error("tls_ciphers");
		goto fail;
	}
	if (SSL_CTX_set_ciphersuites(ctx, tc->ciphersuites) != 1) {
		*error_r = tls_error("tls_ciphersuites");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, tc->cert_file) != 1) {
		char *what = xasprintf("tls_cert_file: %s", tc->cert_file);
		*error_r = tls_error(what);
		free(what);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, tc->key_file, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			*error_r = xasprintf("tls_key_file: %s does not match the certificate in %s",
					     tc->key_file, tc->cert_file);
		} else {
			char *what = xasprintf("tls_key_file: %s", tc->key_file);
			*error_r = tls_error(what);
			free(what);
		}
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		*error_r = xasprintf("tls_key_file: %s does not match the certificate in %s",
				     tc->key_file, tc->cert_file);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static char *tls_strdup_or(const char *s, const char *def)
{
	return xstrdup(s != NULL && s[0] != '\0' ? s : def);
}

int tls_context_create(const struct tls_settings *set, struct tls_context **ctx_r,
		       char **error_r)
{
	struct tls_context *tc = xcalloc(1, sizeof(*tc));
	tc->cert_file = tls_strdup_or(set->cert_file, "");
	tc->key_file = tls_strdup_or(set->key_file, "");
	tc->min_protocol = tls_strdup_or(set->min_protocol, TANDEM_TLS_MIN_PROTOCOL);
	tc->ciphers = tls_strdup_or(set->ciphers, TANDEM_TLS_CIPHERS);
	tc->ciphersuites = tls_strdup_or(set->ciphersuites, TANDEM_TLS_CIPHERSUITES);
	pthread_mutex_init(&tc->lock, NULL);
	tc->current = tls_ctx_build(tc, error_r);
	if (tc->current == NULL) {
		tls_context_free(&tc);
		return -1;
	}
	*ctx_r = tc;
	return 0;
}

int tls_context_reload(struct tls_context *tc, char **error_r)
{
	SSL_CTX *ctx = tls_ctx_build(tc, error_r);
	if (ctx == NULL)
		return -1;
	pthread_mutex_lock(&tc->lock);
	SSL_CTX *old = tc->current;
	tc->current = ctx;
	pthread_mutex_unlock(&tc->lock);
	SSL_CTX_free(old); /* sessions made from it still hold their reference */
	return 0;
}

SSL *tls_context_ssl_new(struct tls_context *tc)
{
	pthread_mutex_lock(&tc->lock);
	SSL *ssl = SSL_new(tc->current);
	pthread_mutex_unlock(&tc->lock);
	if (ssl == NULL)
		fatal("SSL_new failed");
	return ssl;
}

void tls_context_subject(struct tls_context *tc, char *out, size_t size)
{
	snprintf(out, size, "%s", "");
	pthread_mutex_lock(&tc->lock);
	X509 *cert = SSL_CTX_get0_certificate(tc->current);
	if (cert != NULL) {
		BIO *bio = BIO_new(BIO_s_mem());
		if (bio != NULL) {
			X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
					   XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
			char *data;
			long len = BIO_get_mem_data(bio, &data);
			if (len > 0)
				snprintf(out, size, "%.*s", (int)len, data);
			BIO_free(bio);
		}
	}
	pthread_mutex_unlock(&tc->lock);
}

void tls_context_free(struct tls_context **tcp)
{
	struct tls_context *tc = *tcp;
	if (tc == NULL)
		return;
	*tcp = NULL;
	SSL_CTX_free(tc->current);
	pthread_mutex_destroy(&tc->lock);
	free(tc->cert_file);
	free(tc->key_file);
	free(tc->min_protocol);
	free(tc->ciphers);
	free(tc->ciphersuites);
	free(tc);
}
