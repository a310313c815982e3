/* storage.c - the storage handle and its connections: settings checks,
 * init/deinit, connect/disconnect, result strings, error and transaction
 * helpers, and the name checks every storage file uses (addresses,
 * domains, UTF-8).
 *
 * Never prints; failures are reported through error_r. Holds no global
 * mutable state except the per-thread text of the last init/connect failure
 * (there is no connection to keep it in).
 */
#include "storage-private.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Text of the last storage_init/storage_connect failure in this thread. */
static _Thread_local char storage_setup_error[512];

const char *storage_result_str(enum storage_result result)
{
	switch (result) {
	case STORAGE_OK:
		return "ok";
	case STORAGE_ERR_TEMP:
		return "temporary failure";
	case STORAGE_ERR_NOTFOUND:
		return "not found";
	case STORAGE_ERR_EXISTS:
		return "already exists";
	case STORAGE_ERR_NOQUOTA:
		return "quota exceeded";
	case STORAGE_ERR_INVALID:
		return "invalid";
	}
	return "unknown result";
}

static const char *setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *setup_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(storage_setup_error, sizeof(storage_setup_error), fmt, ap);
	va_end(ap);
	return storage_setup_error;
}

static struct storage *storage_new(const struct storage_settings *set, const char **error_r)
{
	if (set == NULL || set->driver == NULL) {
		*error_r = setup_fail("storage: no database driver set");
		return NULL;
	}
	const struct db_driver *db = db_driver_find(set->driver);
	if (db == NULL) {
		*error_r = setup_fail("storage: unknown database driver '%s'", set->driver);
		return NULL;
	}
	if (strcmp(db->name, "sqlite") == 0 &&
	    (set->sqlite_path == NULL || set->sqlite_path[0] == '\0')) {
		*error_r = setup_fail("storage: sqlite_path is empty");
		return NULL;
	}
	if (strcmp(db->name, "pgsql") == 0 &&
	    (set->pgsql_uri == NULL || set->pgsql_uri[0] == '\0')) {
		*error_r = setup_fail("storage: pgsql_uri is empty");
		return NULL;
	}
	if (set->commit_batch_max > STORAGE_COMMIT_BATCH_LIMIT) {
		*error_r = setup_fail("storage: commit_batch_max %u is above %u",
				      set->commit_batch_max, STORAGE_COMMIT_BATCH_LIMIT);
		return NULL;
	}
	struct storage *storage = xcalloc(1, sizeof(*storage));
	storage->set = *set;
	storage->driver = xstrdup(set->driver);
	storage->sqlite_path = xstrdup(set->sqlite_path != NULL ? set->sqlite_path : "");
	storage->pgsql_uri = xstrdup(set->pgsql_uri != NULL ? set->pgsql_uri : "");
	storage->set.driver = storage->driver;
	storage->set.sqlite_path = storage->sqlite_path;
	storage->set.pgsql_uri = storage->pgsql_uri;
	if (storage->set.commit_batch_max == 0)
		storage->set.commit_batch_max = STORAGE_COMMIT_BATCH_DEFAULT;
	storage->db = db;
	return storage;
}

static void storage_free(struct storage *storage)
{
	free(storage->driver);
	free(storage->sqlite_path);
	free(storage->pgsql_uri);
	free(storage);
}

int storage_init_nocommitter(const struct storage_settings *set, struct storage **storage_r,
			     const char **error_r)
{
	*storage_r = storage_new(set, error_r);
	return *storage_r == NULL ? -1 : 0;
}

int storage_init(const struct storage_settings *set, struct storage **storage_r,
		 const char **error_r)
{
	struct storage_conn *conn;
	const char *error;

	*storage_r = NULL;
	struct storage *storage = storage_new(set, error_r);
	if (storage == NULL)
		return -1;
	if (storage_connect(storage, &conn, error_r) < 0) {
		storage_free(storage);
		return -1;
	}
	if (storage_schema_prepare(conn, &error) < 0 ||
	    storage_committer_start(storage, conn, &error) < 0) {
		*error_r = setup_fail("%s", error);
		storage_disconnect(&conn);
		storage_free(storage);
		return -1;
	}
	*storage_r = storage;
	return 0;
}

void storage_deinit(struct storage **storagep)
{
	struct storage *storage = *storagep;
	if (storage == NULL)
		return;
	*storagep = NULL;
	if (storage->committer != NULL)
		storage_committer_stop(storage);
	storage_free(storage);
}

int storage_connect(struct storage *storage, struct storage_conn **conn_r, const char **error_r)
{
	char error[sizeof(storage_setup_error)];
	struct db_conn *dbc;

	*conn_r = NULL;
	if (storage->db->connect(&storage->set, &dbc, error, sizeof(error)) != DB_OK) {
		*error_r = setup_fail("storage: %s connect: %s", storage->db->name, error);
		return -1;
	}
	struct storage_conn *conn = xcalloc(1, sizeof(*conn));
	conn->storage = storage;
	conn->db = storage->db;
	conn->dbc = dbc;
	*conn_r = conn;
	return 0;
}

void storage_disconnect(struct storage_conn **connp)
{
	struct storage_conn *conn = *connp;
	if (conn == NULL)
		return;
	*connp = NULL;
	conn->db->disconnect(&conn->dbc);
	free(conn);
}

/* ---- errors ---- */

enum storage_result storage_fail(struct storage_conn *conn, enum storage_result result,
				 const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(conn->error, sizeof(conn->error), fmt, ap);
	va_end(ap);
	if (error_r != NULL)
		*error_r = conn->error;
	return result;
}

enum storage_result storage_db_fail(struct storage_conn *conn, enum db_status status,
				    const char *what, const char **error_r)
{
	return storage_fail(conn, STORAGE_ERR_TEMP, error_r, "%s: %s%s", what,
			    conn->db->error(conn->dbc),
			    status == DB_ERR_TEMP ? " (temporary)" : "");
}

/* ---- transactions ---- */

int64_t storage_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum storage_result storage_begin(struct storage_conn *conn, bool write, const char **error_r)
{
	if (write && !conn->is_committer)
		atomic_store_explicit(&conn->storage->last_write_ms, storage_monotonic_ms(),
				      memory_order_relaxed);
	enum db_status status = conn->db->begin(conn->dbc, write);
	if (status != DB_OK)
		return storage_db_fail(conn, status, "begin", error_r);
	return STORAGE_OK;
}

enum storage_result storage_commit(struct storage_conn *conn, const char **error_r)
{
	enum db_status status = conn->db->commit(conn->dbc);
	if (status != DB_OK) {
		enum storage_result result = storage_db_fail(conn, status, "commit", error_r);
		storage_rollback(conn);
		return result;
	}
	return STORAGE_OK;
}

void storage_rollback(struct storage_conn *conn)
{
	(void)conn->db->rollback(conn->dbc);
}

/* ---- names ---- */

void storage_strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);
	if (len >= dstsize)
		len = dstsize - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int64_t storage_now(void)
{
	return (int64_t)time(NULL);
}

/* Length of the valid UTF-8 sequence at p (at most left bytes), 0 if none. */
static size_t utf8_seq_len(const unsigned char *p, size_t left)
{
	size_t n;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void storage_utf8_sanitize(char *text, size_t len, bool controls)
{
	unsigned char *p = (unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		if (controls && (p[i] < 0x20 ? p[i] != '\t' : p[i] == 0x7f)) {
			p[i++] = '?';
			continue;
		}
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			p[i++] = '?';
		else
			i += n;
	}
}

bool storage_utf8_printable(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

int storage_domain_normalize(const char *name, char *out, size_t outsize, const char **error_r)
{
	size_t len = strlen(name), label = 0;
	if (len == 0) {
		*error_r = "empty domain";
		return -1;
	}
	if (len > STORAGE_DOMAIN_MAX || len >= outsize) {
		*error_r = "domain too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0) {
				*error_r = "empty label in domain";
				return -1;
			}
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63) {
				*error_r = "domain label longer than 63 characters";
				return -1;
			}
		} else {
			*error_r = "bad character in domain";
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	if (label == 0) {
		*error_r = "domain ends with a dot";
		return -1;
	}
	out[len] = '\0';
	return 0;
}

/* RFC 5322 atext, plus '.' */
static bool localpart_char(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

int storage_address_normalize(const char *address, char *out, size_t outsize,
			      const char **error_r)
{
	const char *at = address == NULL ? NULL : strchr(address, '@');
	if (at == NULL) {
		*error_r = "address has no '@'";
		return -1;
	}
	if (strchr(at + 1, '@') != NULL) {
		*error_r = "address has more than one '@'";
		return -1;
	}
	size_t local_len = (size_t)(at - address);
	if (local_len == 0) {
		*error_r = "empty local part";
		return -1;
	}
	if (local_len > STORAGE_LOCALPART_MAX) {
		*error_r = "local part too long";
		return -1;
	}
	if (outsize <= local_len + 1) {
		*error_r = "address too long";
		return -1;
	}
	for (size_t i = 0; i < local_len; i++) {
		unsigned char c = (unsigned char)address[i];
		if (!localpart_char(c)) {
			*error_r = "bad character in local part";
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	out[local_len] = '@';
	return storage_domain_normalize(at + 1, out + local_len + 1, outsize - local_len - 1,
					error_r);
}
