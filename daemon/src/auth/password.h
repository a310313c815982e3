/* password.h - password hashing and verification.
 *
 * New hashes are yescrypt ("$y$...") made by libcrypt with a fresh random
 * salt. Verification accepts the crypt(3) hashes a migrated server may hold
 * ($y$, $6$, $5$, $2b$/$2y$, $1$, DES) and Dovecot-style "{SCHEME}" prefixed
 * values ({SHA512-CRYPT}, {BLF-CRYPT}, {CRYPT}, {PLAIN}, {SSHA256} ...).
 *
 * Thread-safe (no static buffers: crypt_rn with per-call data). Never logs
 * and never keeps a copy of a password; comparisons take constant time.
 */
#ifndef TANDEM_PASSWORD_H
#define TANDEM_PASSWORD_H

#include <stdbool.h>

/* Longest password accepted (bytes): what libcrypt takes. */
#define PASSWORD_PLAIN_MAX 511

/* Hash plain with yescrypt. *hash_r is allocated (caller frees) and fits in
 * STORAGE_PASSWORD_HASH_MAX. Fails for an empty or too long password or when
 * libcrypt cannot (no randomness); *error_r is static text. */
int password_hash(const char *plain, char **hash_r, const char **error_r);

/* True when plain matches hash. False for a mismatch, an empty hash (no
 * password set), an unknown scheme or a malformed hash. */
bool password_verify(const char *plain, const char *hash);

/* True when hash is in a scheme password_verify() understands (it may still
 * be malformed). For warnings about accounts nobody can log in to. */
bool password_scheme_supported(const char *hash);

#endif
