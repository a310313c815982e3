/* tls.h - the server's TLS material: one OpenSSL SSL_CTX built from the
 * configured certificate chain, key, protocol floor and cipher lists, held
 * in a context that SIGHUP can reload while connections keep running.
 *
 * Thread safety: workers call tls_context_ssl_new() while the main thread
 * may call tls_context_reload(); a mutex guards the current SSL_CTX pointer
 * only. Every SSL holds its own reference to the SSL_CTX it was made from
 * (OpenSSL reference counts it), so a reload never disturbs a session that
 * already has one: it keeps its context until it ends. Protocol-neutral:
 * IMAP, POP3, ManageSieve and LMTP use the same context. Never does I/O on
 * a client connection and never prints.
 */
#ifndef TANDEM_NET_TLS_H
#define TANDEM_NET_TLS_H

#include <stddef.h>

struct tls_context;
typedef struct ssl_st SSL;

/* Defaults (also the config-keys.h defaults): TLS 1.2 and 1.3 only; for
 * TLS 1.2 forward-secret AEAD suites only (no RSA key exchange, no CBC,
 * no RC4/3DES/NULL/EXPORT). */
#define TANDEM_TLS_MIN_PROTOCOL "TLSv1.2"
#define TANDEM_TLS_CIPHERS                                                     \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TANDEM_TLS_CIPHERSUITES                                                \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

struct tls_settings {
	const char *cert_file;    /* PEM: the certificate, then its chain */
	const char *key_file;     /* PEM private key matching the certificate */
	const char *min_protocol; /* "TLSv1.2" or "TLSv1.3" */
	const char *ciphers;      /* OpenSSL cipher list for TLS 1.2 */
	const char *ciphersuites; /* TLS 1.3 suites */
};

/* "TLSv1.2" -> TLS1_2_VERSION, "TLSv1.3" -> TLS1_3_VERSION; anything else
 * (older protocols included) is refused with -1. */
int tls_protocol_parse(const char *name, int *version_r);

/* Build a context from set (strings copied). On failure *error_r is an
 * allocated message naming the file or key at fault. */
int tls_context_create(const struct tls_settings *set, struct tls_context **ctx_r,
		       char **error_r);
/* Re-read the files with the same settings and swap the new SSL_CTX in for
 * new connections. On failure the old one stays and *error_r says why. */
int tls_context_reload(struct tls_context *ctx, char **error_r);
/* A new server-side SSL from the current SSL_CTX (any thread); the caller
 * owns it (SSL_free). */
SSL *tls_context_ssl_new(struct tls_context *ctx);
/* The current certificate's subject, one line, e.g. "CN=mail.example". */
void tls_context_subject(struct tls_context *ctx, char *out, size_t size);
void tls_context_free(struct tls_context **ctx);

/* The first OpenSSL error queued on this thread as text ("" if none),
 * and the queue cleared: for the log after a failed handshake. */
void tls_last_error(char *out, size_t size);

#endif
