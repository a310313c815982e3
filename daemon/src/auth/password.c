/* password.c - hash new passwords with yescrypt and verify stored hashes of
 * the schemes a migrated mail server may hold (see password.h).
 *
 * Never logs, never keeps a password beyond the call (scratch holding one is
 * wiped), never uses libcrypt's static-buffer crypt(), and never compares a
 * secret with an early-exit comparison.
 */
#include "password.h"
#include "base64.h"
#include "hex.h"
#include "storage.h"
#include "xalloc.h"

#include <assert.h>
#include <crypt.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static_assert(PASSWORD_PLAIN_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
	      "libcrypt must accept every password we accept");
static_assert(CRYPT_OUTPUT_SIZE <= STORAGE_PASSWORD_HASH_MAX,
	      "every crypt(3) hash must fit in the users table");

/* Longest "{SCHEME}" prefix looked at, and longest decoded digest+salt. */
#define PASSWORD_SCHEME_NAME_MAX 32
#define PASSWORD_DECODED_MAX 512

enum password_kind {
	PASSWORD_KIND_CRYPT,  /* a crypt(3) string */
	PASSWORD_KIND_PLAIN,  /* the password itself */
	PASSWORD_KIND_DIGEST, /* encoded digest of the password */
	PASSWORD_KIND_SALTED, /* encoded digest(password + salt) followed by salt */
};

enum password_encoding { PASSWORD_ENC_BASE64, PASSWORD_ENC_HEX };

struct password_scheme {
	const char *name;          /* between the braces, without .HEX/.B64 */
	enum password_kind kind;
	const char *crypt_prefix;  /* CRYPT: the hash must start with it; NULL = any */
	const char *digest;        /* DIGEST/SALTED: OpenSSL digest name */
	enum password_encoding encoding; /* DIGEST/SALTED default encoding */
};

/* Dovecot's scheme names (doc/wiki Password Schemes) that we can verify. */
static const struct password_scheme password_schemes[] = {
	{ "CRYPT", PASSWORD_KIND_CRYPT, NULL, NULL, PASSWORD_ENC_BASE64 },
	{ "DES-CRYPT", PASSWORD_KIND_CRYPT, NULL, NULL, PASSWORD_ENC_BASE64 },
	{ "MD5-CRYPT", PASSWORD_KIND_CRYPT, "$1$", NULL, PASSWORD_ENC_BASE64 },
	{ "MD5", PASSWORD_KIND_CRYPT, "$1$", NULL, PASSWORD_ENC_BASE64 },
	{ "SHA256-CRYPT", PASSWORD_KIND_CRYPT, "$5$", NULL, PASSWORD_ENC_BASE64 },
	{ "SHA512-CRYPT", PASSWORD_KIND_CRYPT, "$6$", NULL, PASSWORD_ENC_BASE64 },
	{ "BLF-CRYPT", PASSWORD_KIND_CRYPT, "$2", NULL, PASSWORD_ENC_BASE64 },
	{ "YESCRYPT", PASSWORD_KIND_CRYPT, "$y$", NULL, PASSWORD_ENC_BASE64 },
	{ "PLAIN", PASSWORD_KIND_PLAIN, NULL, NULL, PASSWORD_ENC_BASE64 },
	{ "CLEAR", PASSWORD_KIND_PLAIN, NULL, NULL, PASSWORD_ENC_BASE64 },
	{ "CLEARTEXT", PASSWORD_KIND_PLAIN, NULL, NULL, PASSWORD_ENC_BASE64 },
	{ "PLAIN-MD5", PASSWORD_KIND_DIGEST, NULL, "MD5", PASSWORD_ENC_HEX },
	{ "LDAP-MD5", PASSWORD_KIND_DIGEST, NULL, "MD5", PASSWORD_ENC_BASE64 },
	{ "SMD5", PASSWORD_KIND_SALTED, NULL, "MD5", PASSWORD_ENC_BASE64 },
	{ "SHA", PASSWORD_KIND_DIGEST, NULL, "SHA1", PASSWORD_ENC_BASE64 },
	{ "SHA1", PASSWORD_KIND_DIGEST, NULL, "SHA1", PASSWORD_ENC_BASE64 },
	{ "SSHA", PASSWORD_KIND_SALTED, NULL, "SHA1", PASSWORD_ENC_BASE64 },
	{ "SHA256", PASSWORD_KIND_DIGEST, NULL, "SHA256", PASSWORD_ENC_BASE64 },
	{ "SSHA256", PASSWORD_KIND_SALTED, NULL, "SHA256", PASSWORD_ENC_BASE64 },
	{ "SHA512", PASSWORD_KIND_DIGEST, NULL, "SHA512", PASSWORD_ENC_BASE64 },
	{ "SSHA512", PASSWORD_KIND_SALTED, NULL, "SHA512", PASSWORD_ENC_BASE64 },
};
#define PASSWORD_SCHEME_COUNT (sizeof(password_schemes) / sizeof(password_schemes[0]))

/* An unprefixed hash: the crypt(3) scheme it names. */
static const struct password_scheme password_scheme_bare = {
	"", PASSWORD_KIND_CRYPT, NULL, NULL, PASSWORD_ENC_BASE64
};

/* Compare without an early exit; lengths are not secret. */
static bool password_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
	if (a_len != b_len)
		return false;
	const volatile unsigned char *pa = a, *pb = b;
	unsigned char diff = 0;
	for (size_t i = 0; i < a_len; i++)
		diff |= pa[i] ^ pb[i];
	return diff == 0;
}

/* Split "{NAME[.ENC]}rest" into a scheme, its encoding and rest. Returns
 * false for an unknown scheme; a hash without braces is a bare crypt(3). */
static bool password_parse(const char *hash, const struct password_scheme **scheme_r,
			   enum password_encoding *encoding_r, const char **rest_r)
{
	if (hash[0] != '{') {
		*scheme_r = &password_scheme_bare;
		*encoding_r = PASSWORD_ENC_BASE64;
		*rest_r = hash;
		return true;
	}
	const char *end = strchr(hash, '}');
	if (end == NULL || end - hash - 1 > PASSWORD_SCHEME_NAME_MAX)
		return false;
	char name[PASSWORD_SCHEME_NAME_MAX + 1];
	size_t len = (size_t)(end - hash - 1);
	memcpy(name, hash + 1, len);
	name[len] = '\0';

	bool forced = false;
	enum password_encoding encoding = PASSWORD_ENC_BASE64;
	char *dot = strrchr(name, '.');
	if (dot != NULL) {
		if (strcasecmp(dot, ".HEX") == 0)
			encoding = PASSWORD_ENC_HEX;
		else if (strcasecmp(dot, ".B64") != 0 && strcasecmp(dot, ".BASE64") != 0)
			return false;
		forced = true;
		*dot = '\0';
	}
	for (size_t i = 0; i < PASSWORD_SCHEME_COUNT; i++) {
		const struct password_scheme *s = &password_schemes[i];
		if (strcasecmp(s->name, name) != 0)
			continue;
		/* an encoding suffix only means something for digests */
		if (forced && (s->kind == PASSWORD_KIND_CRYPT || s->kind == PASSWORD_KIND_PLAIN))
			return false;
		*scheme_r = s;
		*encoding_r = forced ? encoding : s->encoding;
		*rest_r = end + 1;
		return true;
	}
	return false;
}


/* Standard base64 (padding optional: stored hashes often lack it) into
 * out; -1 if malformed or too long. */
static int password_base64_decode(const char *in, unsigned char *out, size_t outsize,
				  size_t *len_r)
{
	char padded[PASSWORD_DECODED_MAX * 2];
	size_t len = strlen(in);
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1 || len + 4 >= sizeof(padded) || BASE64_DECODED_MAX(len + 3) > outsize)
		return -1;
	memcpy(padded, in, len);
	while (len % 4 != 0)
		padded[len++] = '=';
	return base64_decode(padded, len, out, len_r);
}

static int password_hex_decode(const char *in, unsigned char *out, size_t outsize, size_t *len_r)
{
	size_t len = strlen(in);
	if (len % 2 != 0 || len / 2 > outsize)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit_value((unsigned char)in[i]);
		int lo = hex_digit_value((unsigned char)in[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*len_r = len / 2;
	return 0;
}

static bool password_verify_crypt(const struct password_scheme *scheme, const char *plain,
				  const char *stored)
{
	if (scheme->crypt_prefix != NULL &&
	    strncmp(stored, scheme->crypt_prefix, strlen(scheme->crypt_prefix)) != 0)
		return false;
	/* "$id$..." or traditional DES (13 characters, no '$') */
	if (stored[0] != '$' && strlen(stored) != 13)
		return false;
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *out = crypt_rn(plain, stored, data, (int)sizeof(*data));
	bool match = out != NULL && out[0] != '*' &&
		     password_ct_equal(out, strlen(out), stored, strlen(stored));
	explicit_bzero(data, sizeof(*data));
	free(data);
	return match;
}

/* digest(plain + salt) into md; false if OpenSSL fails. */
static bool password_digest(const char *digest_name, const char *plain, const unsigned char *salt,
			    size_t salt_len, unsigned char *md, unsigned *md_len_r)
{
	const EVP_MD *type = EVP_get_digestbyname(digest_name);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = type != NULL && ctx != NULL &&
		  EVP_DigestInit_ex(ctx, type, NULL) == 1 &&
		  EVP_DigestUpdate(ctx, plain, strlen(plain)) == 1 &&
		  (salt_len == 0 || EVP_DigestUpdate(ctx, salt, salt_len) == 1) &&
		  EVP_DigestFinal_ex(ctx, md, md_len_r) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool password_verify_digest(const struct password_scheme *scheme,
				   enum password_encoding encoding, const char *plain,
				   const char *stored)
{
	const EVP_MD *type = EVP_get_digestbyname(scheme->digest);
	if (type == NULL)
		return false;
	size_t md_size = (size_t)EVP_MD_get_size(type);
	unsigned char decoded[PASSWORD_DECODED_MAX];
	size_t decoded_len;
	/* Like Dovecot, take hex when the length says so even if the scheme's
	 * default is base64. */
	if (scheme->kind == PASSWORD_KIND_DIGEST && strlen(stored) == md_size * 2 &&
	    password_hex_decode(stored, decoded, sizeof(decoded), &decoded_len) == 0)
		encoding = PASSWORD_ENC_HEX;
	int ret = encoding == PASSWORD_ENC_HEX ?
		  password_hex_decode(stored, decoded, sizeof(decoded), &decoded_len) :
		  password_base64_decode(stored, decoded, sizeof(decoded), &decoded_len);
	if (ret < 0 || decoded_len < md_size)
		return false;
	if (scheme->kind == PASSWORD_KIND_DIGEST && decoded_len != md_size)
		return false;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len;
	if (!password_digest(scheme->digest, plain, decoded + md_size, decoded_len - md_size, md,
			     &md_len))
		return false;
	return password_ct_equal(md, md_len, decoded, md_size);
}

static bool password_verify_plain(const char *plain, const char *stored)
{
	/* Compare digests so the time does not depend on where they differ
	 * nor on the stored password's length. */
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned a_len, b_len;
	if (!password_digest("SHA256", plain, NULL, 0, a, &a_len) ||
	    !password_digest("SHA256", stored, NULL, 0, b, &b_len))
		return false;
	return password_ct_equal(a, a_len, b, b_len);
}

bool password_verify(const char *plain, const char *hash)
{
	if (plain == NULL || hash == NULL || hash[0] == '\0' ||
	    strlen(plain) > PASSWORD_PLAIN_MAX || strlen(hash) > STORAGE_PASSWORD_HASH_MAX)
		return false;
	const struct password_scheme *scheme;
	enum password_encoding encoding;
	const char *rest;
	if (!password_parse(hash, &scheme, &encoding, &rest) || rest[0] == '\0')
		return false;
	switch (scheme->kind) {
	case PASSWORD_KIND_CRYPT:
		return password_verify_crypt(scheme, plain, rest);
	case PASSWORD_KIND_PLAIN:
		return password_verify_plain(plain, rest);
	case PASSWORD_KIND_DIGEST:
	case PASSWORD_KIND_SALTED:
		return password_verify_digest(scheme, encoding, plain, rest);
	}
	return false;
}

bool password_scheme_supported(const char *hash)
{
	const struct password_scheme *scheme;
	enum password_encoding encoding;
	const char *rest;
	if (hash == NULL || !password_parse(hash, &scheme, &encoding, &rest) || rest[0] == '\0')
		return false;
	if (scheme->kind != PASSWORD_KIND_CRYPT)
		return true;
	if (scheme->crypt_prefix != NULL &&
	    strncmp(rest, scheme->crypt_prefix, strlen(scheme->crypt_prefix)) != 0)
		return false;
	if (rest[0] != '$')
		return strlen(rest) == 13;
	/* ask libcrypt whether it knows the method */
	const char *id_end = strchr(rest + 1, '$');
	if (id_end == NULL || id_end - rest > 8)
		return false;
	char prefix[10];
	size_t len = (size_t)(id_end - rest) + 1;
	memcpy(prefix, rest, len);
	prefix[len] = '\0';
	char *setting = crypt_gensalt_ra(prefix, 0, NULL, 0);
	bool known = setting != NULL;
	free(setting);
	return known;
}

int password_hash(const char *plain, char **hash_r, const char **error_r)
{
	if (plain == NULL || plain[0] == '\0') {
		*error_r = "empty password";
		return -1;
	}
	if (strlen(plain) > PASSWORD_PLAIN_MAX) {
		*error_r = "password too long";
		return -1;
	}
	char *setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (setting == NULL) {
		*error_r = "cannot make a yescrypt salt (no randomness?)";
		return -1;
	}
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *out = crypt_rn(plain, setting, data, (int)sizeof(*data));
	int ret = 0;
	if (out == NULL || out[0] == '*') {
		*error_r = "yescrypt hashing failed";
		ret = -1;
	} else {
		*hash_r = xstrdup(out);
	}
	explicit_bzero(data, sizeof(*data));
	free(data);
	free(setting);
	return ret;
}
