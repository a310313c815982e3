/* test-password.c - unit tests for password.c: known hashes of every scheme
 * (made with mkpasswd(1) from the whois package and Python's hashlib when the
 * test was written), the right and wrong password for each, malformed
 * hashes, and hash/verify round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "storage.h"

#define GOOD "correct horse"
#define BAD "correct horsf"

struct verify_case {
	const char *hash;
	const char *plain;
	bool want;
};

static const struct verify_case verify_cases[] = {
	/* mkpasswd -m yescrypt 'correct horse' */
	{ "$y$j9T$o4vW.6MfjOdEwIMWE8Kf8.$mTT/4SjpSh6pITWXD08gBX1Ie1nfFlUidO8TVeLVHi5", GOOD, true },
	{ "$y$j9T$o4vW.6MfjOdEwIMWE8Kf8.$mTT/4SjpSh6pITWXD08gBX1Ie1nfFlUidO8TVeLVHi5", BAD, false },
	/* mkpasswd -m sha512crypt -S saltsaltsalt */
	{ "$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1", GOOD, true },
	{ "$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1", BAD, false },
	{ "{SHA512-CRYPT}$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1", GOOD, true },
	{ "{sha512-crypt}$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1", GOOD, true },
	{ "{CRYPT}$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1", GOOD, true },
	/* the scheme must agree with the hash's own prefix */
	{ "{SHA256-CRYPT}$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1", GOOD, false },
	/* a changed last character */
	{ "$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx2", GOOD, false },
	/* mkpasswd -m sha256crypt -S saltsaltsalt */
	{ "$5$saltsaltsalt$7axwV9kT3PvvGXgJl1FcfUCHLdLFhWk/dIFhzsbucLB", GOOD, true },
	{ "{SHA256-CRYPT}$5$saltsaltsalt$7axwV9kT3PvvGXgJl1FcfUCHLdLFhWk/dIFhzsbucLB", GOOD, true },
	{ "{SHA256-CRYPT}$5$saltsaltsalt$7axwV9kT3PvvGXgJl1FcfUCHLdLFhWk/dIFhzsbucLB", BAD, false },
	/* mkpasswd -m bcrypt -R 5; $2y$ is the same algorithm */
	{ "$2b$05$6Au0nTFWaMDd4ulzLY7dWuCoOz9Mb6a/PYDPqseHNew5PRgQPVkNO", GOOD, true },
	{ "$2b$05$6Au0nTFWaMDd4ulzLY7dWuCoOz9Mb6a/PYDPqseHNew5PRgQPVkNO", BAD, false },
	{ "{BLF-CRYPT}$2y$05$6Au0nTFWaMDd4ulzLY7dWuCoOz9Mb6a/PYDPqseHNew5PRgQPVkNO", GOOD, true },
	{ "{BLF-CRYPT}$2y$05$6Au0nTFWaMDd4ulzLY7dWuCoOz9Mb6a/PYDPqseHNew5PRgQPVkNO", BAD, false },
	/* mkpasswd -m md5crypt -S saltsalt; -m descrypt -S ab */
	{ "{MD5-CRYPT}$1$saltsalt$NuzA7WTAelpl95xgBGWN60", GOOD, true },
	{ "{MD5-CRYPT}$1$saltsalt$NuzA7WTAelpl95xgBGWN60", BAD, false },
	{ "{CRYPT}abhfCpXqd4GrI", GOOD, true },
	{ "abhfCpXqd4GrI", "correct hello", true }, /* DES only uses 8 characters */
	{ "abhfCpXqd4GrI", "correct", false },
	/* plain text */
	{ "{PLAIN}" GOOD, GOOD, true },
	{ "{PLAIN}" GOOD, BAD, false },
	{ "{PLAIN}" GOOD, GOOD " ", false },
	{ "{CLEARTEXT}" GOOD, GOOD, true },
	{ "{PLAIN}", "", false },
	/* hashlib digests, base64 unless said */
	{ "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=", GOOD, true },
	{ "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=", BAD, false },
	{ "{SHA}2f9e53523b62abc141a2b4d6019d23cba835dbd0", GOOD, true },
	{ "{SHA.HEX}2f9e53523b62abc141a2b4d6019d23cba835dbd0", GOOD, true },
	{ "{SSHA}5pcxo13YdJml98eQSIlT3FMEBMMBAgME", GOOD, true },
	{ "{SSHA}5pcxo13YdJml98eQSIlT3FMEBMMBAgME", BAD, false },
	{ "{SHA256}QQTTb42iwlQ0n4WDZ5Pr4CngyVcGOjTJHC6SAxh7VjE=", GOOD, true },
	{ "{SSHA256}0hJvnJrn389Ik7M3OR+qOZl6NBsSet72zG2p4yy6GwEBAgME", GOOD, true },
	{ "{SSHA256}0hJvnJrn389Ik7M3OR+qOZl6NBsSet72zG2p4yy6GwEBAgME", BAD, false },
	{ "{SHA512}VraY3v7bWkNbY0r+MyC7rz/c2SC2xQOkRvx7endrKY1HnRumqLYXgI6wv1ec6aldZoNHvKtxSQhayTyyeZUZew==", GOOD, true },
	{ "{SSHA512}59hB/WwyfgQUZfHrhGKG7B924+SMQ9dsAndq2fAiQ192K1Up6+Uyb2bNkO/rs2mynGTKvujt8okIdKCusVizJwECAwQ=", GOOD, true },
	{ "{SSHA512}59hB/WwyfgQUZfHrhGKG7B924+SMQ9dsAndq2fAiQ192K1Up6+Uyb2bNkO/rs2mynGTKvujt8okIdKCusVizJwECAwQ=", BAD, false },
	{ "{PLAIN-MD5}3cb4e732631f47e6eb961f34554b7cde", GOOD, true },
	{ "{PLAIN-MD5}3cb4e732631f47e6eb961f34554b7cde", BAD, false },
	{ "{LDAP-MD5}PLTnMmMfR+brlh80VUt83g==", GOOD, true },
	{ "{SMD5}qtdQ2bHCoKs9+NZcb1AvDwECAwQ=", GOOD, true },
	/* malformed or unknown: never a match */
	{ "", GOOD, false },
	{ "", "", false },
	{ GOOD, GOOD, false },                      /* bare text is not a hash */
	{ "{NOSUCH}" GOOD, GOOD, false },
	{ "{PLAIN" GOOD, GOOD, false },
	{ "{PLAIN.HEX}" GOOD, GOOD, false },
	{ "{SHA}not*base64", GOOD, false },
	{ "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A", GOOD, true },  /* padding optional */
	{ "{SHA}L55TUjtiq8FBorTWAZ0jy6g1", GOOD, false },   /* too short */
	{ "{SHA256}L55TUjtiq8FBorTWAZ0jy6g129A=", GOOD, false },
	{ "$6$", GOOD, false },
	{ "$6$saltsaltsalt$", GOOD, false },
	{ "$9$whatever$x", GOOD, false },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA", GOOD, false },
	{ "{VERY-LONG-SCHEME-NAME-BEYOND-THE-LIMIT}x", GOOD, false },
};

static void test_verify_known_hashes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]); i++) {
		const struct verify_case *c = &verify_cases[i];
		bool got = password_verify(c->plain, c->hash);
		if (got != c->want)
			fail_msg("case %zu (%.40s): got %s, want %s", i, c->hash,
				 got ? "match" : "no match", c->want ? "match" : "no match");
	}
}

struct supported_case {
	const char *hash;
	bool want;
};

static const struct supported_case supported_cases[] = {
	{ "$y$j9T$o4vW.6MfjOdEwIMWE8Kf8.$mTT/4SjpSh6pITWXD08gBX1Ie1nfFlUidO8TVeLVHi5", true },
	{ "{SHA512-CRYPT}$6$saltsaltsalt$x", true },
	{ "{BLF-CRYPT}$2y$05$x", true },
	{ "abhfCpXqd4GrI", true },
	{ "{PLAIN}x", true },
	{ "{SSHA256}x", true },
	{ "", false },
	{ "{PLAIN}", false },
	{ "plaintext", false },
	{ "{NOSUCH}x", false },
	{ "{SHA512-CRYPT}$1$saltsalt$x", false },
	{ "$9$x$y", false },
};

static void test_scheme_supported(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(supported_cases) / sizeof(supported_cases[0]); i++) {
		const struct supported_case *c = &supported_cases[i];
		bool got = password_scheme_supported(c->hash);
		if (got != c->want)
			fail_msg("case %zu (%s): got %d, want %d", i, c->hash, got, c->want);
	}
}

struct hash_case {
	const char *plain;
	int want_ret;
	const char *want_error;
};

static char long_password[PASSWORD_PLAIN_MAX + 2];

static void test_hash_round_trip(void **state)
{
	(void)state;
	memset(long_password, 'x', sizeof(long_password) - 1);
	long_password[sizeof(long_password) - 1] = '\0';
	const struct hash_case cases[] = {
		{ GOOD, 0, NULL },
		{ "p\xc3\xa4ssw\xc3\xb6rd with spaces and \t tab", 0, NULL },
		{ long_password + 1, 0, NULL }, /* exactly PASSWORD_PLAIN_MAX */
		{ "", -1, "empty password" },
		{ long_password, -1, "password too long" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hash_case *c = &cases[i];
		char *hash = NULL;
		const char *error = NULL;
		int ret = password_hash(c->plain, &hash, &error);
		if (ret != c->want_ret)
			fail_msg("case %zu: got ret %d, want %d (error: %s)", i, ret, c->want_ret,
				 error != NULL ? error : "none");
		if (ret < 0) {
			if (error == NULL || strcmp(error, c->want_error) != 0)
				fail_msg("case %zu: got error '%s', want '%s'", i,
					 error != NULL ? error : "(none)", c->want_error);
			continue;
		}
		if (strncmp(hash, "$y$", 3) != 0)
			fail_msg("case %zu: got hash '%s', want a $y$ yescrypt hash", i, hash);
		if (strlen(hash) > STORAGE_PASSWORD_HASH_MAX)
			fail_msg("case %zu: got a %zu byte hash, want at most %d", i, strlen(hash),
				 STORAGE_PASSWORD_HASH_MAX);
		if (!password_verify(c->plain, hash))
			fail_msg("case %zu: got no match for the password just hashed, want a match", i);
		if (password_verify("wrong", hash))
			fail_msg("case %zu: got a match for a wrong password, want none", i);
		if (!password_scheme_supported(hash))
			fail_msg("case %zu: got unsupported for our own hash, want supported", i);
		free(hash);
	}
}

static void test_salts_differ(void **state)
{
	(void)state;
	char *a = NULL, *b = NULL;
	const char *error;
	assert_int_equal(password_hash(GOOD, &a, &error), 0);
	assert_int_equal(password_hash(GOOD, &b, &error), 0);
	if (strcmp(a, b) == 0)
		fail_msg("got the same hash '%s' twice, want a fresh salt each time", a);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_known_hashes),
		cmocka_unit_test(test_scheme_supported),
		cmocka_unit_test(test_hash_round_trip),
		cmocka_unit_test(test_salts_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
