/* auth-ldap.c - asking an LDAP / Active Directory server (libldap, from the
 * auth service's threads): connect with failover over the domain's URIs,
 * search the user's entry as the service account, check group and account
 * state, bind as the user to check the password.
 *
 * A connection is kept per domain and thread and reopened (next URI first
 * when one fails) after any error; after a user bind it binds as the
 * service account again before the next search. Never logs or keeps the
 * user's password; never says "wrong password" for a directory that could
 * not answer.
 */
#include "auth-ldap-private.h"
#include "xalloc.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

/* AD userAccountControl bits */
#define AUTH_AD_ACCOUNTDISABLE 0x0002
#define AUTH_AD_LOCKOUT 0x0010
/* Longest expanded filter. */
#define AUTH_LDAP_FILTER_MAX 2048

struct auth_ldap_handle {
	const struct auth_ldap_domain *domain;
	LDAP *ld;
	size_t uri_index;       /* the URI ld is connected to */
	bool service_bound;     /* false after a user bind */
};

struct auth_ldap_conn {
	struct auth_ldap_handle *handles;
	size_t count;
};

struct auth_ldap_conn *auth_ldap_conn_create(void)
{
	return xcalloc(1, sizeof(struct auth_ldap_conn));
}

static void auth_ldap_close(struct auth_ldap_handle *h)
{
	if (h->ld != NULL)
		ldap_unbind_ext_s(h->ld, NULL, NULL);
	h->ld = NULL;
	h->service_bound = false;
}

void auth_ldap_conn_free(struct auth_ldap_conn **connp)
{
	struct auth_ldap_conn *conn = *connp;
	if (conn == NULL)
		return;
	*connp = NULL;
	for (size_t i = 0; i < conn->count; i++)
		auth_ldap_close(&conn->handles[i]);
	free(conn->handles);
	free(conn);
}

int auth_ldap_filter_expand(const char *pattern, const char *address, char *out, size_t size)
{
	const char *at = strrchr(address, '@');
	size_t local_len = at != NULL ? (size_t)(at - address) : strlen(address);
	const char *domain = at != NULL ? at + 1 : "";
	size_t n = 0;
	for (const char *p = pattern; *p != '\0'; p++) {
		const char *value = NULL;
		size_t value_len = 0;
		if (*p == '%') {
			p++;
			switch (*p) {
			case 'u': value = address; value_len = strlen(address); break;
			case 'n': value = address; value_len = local_len; break;
			case 'd': value = domain; value_len = strlen(domain); break;
			case '%': value = "%"; value_len = 1; break;
			default: return -1;
			}
			for (size_t i = 0; i < value_len; i++) {
				unsigned char c = (unsigned char)value[i];
				bool escape = *p != '%' && (c == '*' || c == '(' || c == ')' || c == '\\' ||
							    c == '\0' || c >= 0x80 || c < 0x20);
				if (n + (escape ? 3 : 1) >= size)
					return -1;
				if (escape)
					n += (size_t)snprintf(out + n, size - n, "\\%02x", c);
				else
					out[n++] = (char)c;
			}
			continue;
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

static struct auth_ldap_handle *auth_ldap_handle(struct auth_ldap_conn *conn,
						 const struct auth_ldap_domain *domain)
{
	for (size_t i = 0; i < conn->count; i++) {
		if (conn->handles[i].domain == domain)
			return &conn->handles[i];
	}
	conn->handles = xrealloc(conn->handles, (conn->count + 1) * sizeof(*conn->handles));
	struct auth_ldap_handle *h = &conn->handles[conn->count++];
	memset(h, 0, sizeof(*h));
	h->domain = domain;
	return h;
}

/* A server that did not answer (try the next one / later), as opposed to
 * an answer. */
static bool auth_ldap_unreachable(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_LOCAL_ERROR ||
	       rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_OTHER;
}

static int auth_ldap_simple_bind(LDAP *ld, const char *dn, const char *password,
				 unsigned timeout_secs, char **diag_r)
{
	struct berval cred = { .bv_val = (char *)password, .bv_len = strlen(password) };
	int msgid, rc = ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, &msgid);
	if (rc != LDAP_SUCCESS)
		return rc;
	LDAPMessage *res = NULL;
	struct timeval tv = { .tv_sec = (time_t)timeout_secs };
	int timeout_rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (timeout_rc <= 0) {
		ldap_msgfree(res);
		return timeout_rc == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
	}
	int err = LDAP_OTHER;
	char *diag = NULL;
	rc = ldap_parse_result(ld, res, &err, NULL, &diag, NULL, NULL, 1);
	if (diag_r != NULL)
		*diag_r = diag;
	else
		ldap_memfree(diag);
	return rc != LDAP_SUCCESS ? rc : err;
}

/* Open (or reuse) a connection bound as the service account, trying each
 * URI from the one that last worked. */
static enum auth_ldap_result auth_ldap_connect(struct auth_ldap_handle *h, char *reason,
					       size_t reason_size)
{
	const struct auth_ldap_domain *d = h->domain;
	if (h->ld != NULL && h->service_bound)
		return AUTH_LDAP_OK;
	if (h->ld != NULL) {
		int rc = auth_ldap_simple_bind(h->ld, d->bind_dn, d->bind_password, d->timeout_secs, NULL);
		if (rc == LDAP_SUCCESS) {
			h->service_bound = true;
			return AUTH_LDAP_OK;
		}
		auth_ldap_close(h);
	}
	const char *last_error = "no uri";
	size_t start = h->uri_index;
	for (size_t k = 0; k < d->uri_count; k++) {
		size_t index = (start + k) % d->uri_count;
		const char *uri = d->uris[index];
		LDAP *ld = NULL;
		int rc = ldap_initialize(&ld, uri);
		if (rc != LDAP_SUCCESS) {
			last_error = ldap_err2string(rc);
			continue;
		}
		int version = LDAP_VERSION3;
		struct timeval tv = { .tv_sec = (time_t)d->timeout_secs };
		int require = d->tls_verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER, zero = 0;
		(void)ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
		(void)ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
		(void)ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
		(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
		(void)ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
		if (d->tls_ca_file[0] != '\0')
			(void)ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, d->tls_ca_file);
		(void)ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
		if (d->starttls && strncasecmp(uri, "ldaps://", 8) != 0) {
			rc = ldap_start_tls_s(ld, NULL, NULL);
			if (rc != LDAP_SUCCESS) {
				last_error = ldap_err2string(rc);
				ldap_unbind_ext_s(ld, NULL, NULL);
				continue;
			}
		}
		rc = auth_ldap_simple_bind(ld, d->bind_dn, d->bind_password, d->timeout_secs, NULL);
		if (rc != LDAP_SUCCESS) {
			last_error = ldap_err2string(rc);
			ldap_unbind_ext_s(ld, NULL, NULL);
			if (!auth_ldap_unreachable(rc)) {
				/* the server answered: the service account is wrong */
				snprintf(reason, reason_size, "ldap: service bind to %s: %s", uri,
					 last_error);
				return AUTH_LDAP_TEMPFAIL;
			}
			continue;
		}
		h->ld = ld;
		h->uri_index = index;
		h->service_bound = true;
		return AUTH_LDAP_OK;
	}
	snprintf(reason, reason_size, "ldap: no server answered (%s)", last_error);
	return AUTH_LDAP_TEMPFAIL;
}

/* Lower-case address from an attribute value: "smtp:x@y" -> x@y, other
 * prefixes (x500:, sip:) give false; plain addresses are taken as they are. */
static bool auth_ldap_value_address(const struct berval *value, bool prefixed_only_smtp,
				    char out[STORAGE_ADDRESS_MAX + 1])
{
	const char *v = value->bv_val;
	size_t len = value->bv_len;
	const char *colon = memchr(v, ':', len);
	if (colon != NULL && prefixed_only_smtp) {
		if ((size_t)(colon - v) != 4 || strncasecmp(v, "smtp", 4) != 0)
			return false;
		len -= 5;
		v += 5;
	}
	if (len == 0 || len > STORAGE_ADDRESS_MAX || memchr(v, '@', len) == NULL ||
	    memchr(v, '\0', len) != NULL)
		return false;
	char raw[STORAGE_ADDRESS_MAX + 1];
	memcpy(raw, v, len);
	raw[len] = '\0';
	const char *error;
	return storage_address_normalize(raw, out, STORAGE_ADDRESS_MAX + 1, &error) == 0;
}

/* The entry's facts: mail address, aliases, groups, account control. */
static enum auth_ldap_result auth_ldap_read_entry(LDAP *ld, LDAPMessage *entry,
						  const struct auth_ldap_domain *d, bool login,
						  const char *fallback_address,
						  struct auth_ldap_user *user, char *reason,
						  size_t reason_size)
{
	memset(user, 0, sizeof(*user));
	struct berval **values = ldap_get_values_len(ld, entry, d->mail_attribute);
	if (values != NULL && values[0] != NULL)
		(void)auth_ldap_value_address(values[0], false, user->address);
	ldap_value_free_len(values);
	if (user->address[0] == '\0') {
		const char *error;
		if (storage_address_normalize(fallback_address, user->address,
					      sizeof(user->address), &error) < 0) {
			snprintf(reason, reason_size, "no %s attribute", d->mail_attribute);
			return AUTH_LDAP_FAILED;
		}
	}
	if (d->alias_attribute[0] != '\0') {
		values = ldap_get_values_len(ld, entry, d->alias_attribute);
		for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
			char address[STORAGE_ADDRESS_MAX + 1];
			if (user->alias_count == AUTH_LDAP_ALIASES_MAX)
				break;
			if (!auth_ldap_value_address(values[i], true, address) ||
			    strcmp(address, user->address) == 0)
				continue;
			memcpy(user->aliases[user->alias_count++], address, sizeof(address));
		}
		ldap_value_free_len(values);
	}
	if (d->required_group[0] != '\0') {
		bool member = false;
		values = ldap_get_values_len(ld, entry, d->group_attribute);
		for (size_t i = 0; values != NULL && values[i] != NULL && !member; i++) {
			member = values[i]->bv_len == strlen(d->required_group) &&
				 strncasecmp(values[i]->bv_val, d->required_group,
					     values[i]->bv_len) == 0;
		}
		ldap_value_free_len(values);
		if (!member) {
			snprintf(reason, reason_size, "group");
			return AUTH_LDAP_FAILED;
		}
	}
	/* a disabled or locked account still receives mail; it cannot log in */
	if (login && d->check_account_control) {
		values = ldap_get_values_len(ld, entry, "userAccountControl");
		if (values != NULL && values[0] != NULL && values[0]->bv_len < 16) {
			char text[16];
			memcpy(text, values[0]->bv_val, values[0]->bv_len);
			text[values[0]->bv_len] = '\0';
			unsigned long control = strtoul(text, NULL, 10);
			if (control & AUTH_AD_ACCOUNTDISABLE) {
				ldap_value_free_len(values);
				snprintf(reason, reason_size, "disabled");
				return AUTH_LDAP_FAILED;
			}
			if (control & AUTH_AD_LOCKOUT) {
				ldap_value_free_len(values);
				snprintf(reason, reason_size, "locked");
				return AUTH_LDAP_FAILED;
			}
		}
		ldap_value_free_len(values);
	}
	return AUTH_LDAP_OK;
}

/* Find the one entry filter_pattern gives for address; *dn_r allocated
 * (ldap_memfree). Retries once on a fresh connection when the server went
 * away (failover). */
static enum auth_ldap_result auth_ldap_search(struct auth_ldap_handle *h, bool login,
					      const char *address, struct auth_ldap_user *user,
					      char **dn_r, char *reason, size_t reason_size)
{
	const struct auth_ldap_domain *d = h->domain;
	const char *pattern = login ? d->user_filter : d->recipient_filter;
	char filter[AUTH_LDAP_FILTER_MAX];
	*dn_r = NULL;
	if (auth_ldap_filter_expand(pattern, address, filter, sizeof(filter)) < 0) {
		snprintf(reason, reason_size, "user");
		return AUTH_LDAP_FAILED;
	}
	char *attrs[] = { d->mail_attribute, d->alias_attribute[0] != '\0' ? d->alias_attribute : NULL,
			  NULL, NULL, NULL };
	size_t n = d->alias_attribute[0] != '\0' ? 2 : 1;
	if (d->required_group[0] != '\0')
		attrs[n++] = d->group_attribute;
	if (login && d->check_account_control)
		attrs[n++] = "userAccountControl";
	attrs[n] = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		enum auth_ldap_result ret = auth_ldap_connect(h, reason, reason_size);
		if (ret != AUTH_LDAP_OK)
			return ret;
		struct timeval tv = { .tv_sec = (time_t)d->timeout_secs };
		LDAPMessage *res = NULL;
		int rc = ldap_search_ext_s(h->ld, d->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL,
					   NULL, &tv, 2, &res);
		if (auth_ldap_unreachable(rc)) {
			ldap_msgfree(res);
			auth_ldap_close(h);
			/* the next connect starts with the next URI */
			h->uri_index = (h->uri_index + 1) % d->uri_count;
			snprintf(reason, reason_size, "ldap: search: %s", ldap_err2string(rc));
			continue;
		}
		if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
			ldap_msgfree(res);
			snprintf(reason, reason_size, "ldap: search: %s", ldap_err2string(rc));
			return AUTH_LDAP_TEMPFAIL;
		}
		int count = ldap_count_entries(h->ld, res);
		if (count != 1 || rc == LDAP_SIZELIMIT_EXCEEDED) {
			ldap_msgfree(res);
			snprintf(reason, reason_size, count == 0 ? "user" : "user: ambiguous");
			return AUTH_LDAP_FAILED;
		}
		LDAPMessage *entry = ldap_first_entry(h->ld, res);
		ret = auth_ldap_read_entry(h->ld, entry, d, login, address, user, reason, reason_size);
		if (ret == AUTH_LDAP_OK)
			*dn_r = ldap_get_dn(h->ld, entry);
		ldap_msgfree(res);
		if (ret == AUTH_LDAP_OK && *dn_r == NULL) {
			snprintf(reason, reason_size, "ldap: entry without a DN");
			return AUTH_LDAP_TEMPFAIL;
		}
		return ret;
	}
	return AUTH_LDAP_TEMPFAIL;
}

enum auth_ldap_result auth_ldap_login(struct auth_ldap_conn *conn,
				      const struct auth_ldap_domain *domain,
				      const char *address, const char *password,
				      struct auth_ldap_user *user_r, char *reason, size_t reason_size)
{
	/* an empty password would be an unauthenticated bind, which succeeds */
	if (password[0] == '\0') {
		snprintf(reason, reason_size, "password");
		return AUTH_LDAP_FAILED;
	}
	struct auth_ldap_handle *h = auth_ldap_handle(conn, domain);
	char *dn = NULL;
	enum auth_ldap_result ret = auth_ldap_search(h, true, address, user_r, &dn, reason,
						     reason_size);
	if (ret != AUTH_LDAP_OK)
		return ret;
	char *diag = NULL;
	int rc = auth_ldap_simple_bind(h->ld, dn, password, domain->timeout_secs, &diag);
	h->service_bound = false;
	ldap_memfree(dn);
	if (rc == LDAP_SUCCESS) {
		ret = AUTH_LDAP_OK;
		snprintf(reason, reason_size, "password");
	} else if (rc == LDAP_INVALID_CREDENTIALS) {
		/* AD says why in the diagnostic: data 775 = locked, 533 = disabled */
		ret = AUTH_LDAP_FAILED;
		if (diag != NULL && strstr(diag, "data 775") != NULL)
			snprintf(reason, reason_size, "locked");
		else if (diag != NULL && strstr(diag, "data 533") != NULL)
			snprintf(reason, reason_size, "disabled");
		else
			snprintf(reason, reason_size, "password");
	} else if (auth_ldap_unreachable(rc)) {
		auth_ldap_close(h);
		ret = AUTH_LDAP_TEMPFAIL;
		snprintf(reason, reason_size, "ldap: user bind: %s", ldap_err2string(rc));
	} else {
		ret = AUTH_LDAP_FAILED;
		snprintf(reason, reason_size, "ldap: user bind: %s", ldap_err2string(rc));
	}
	ldap_memfree(diag);
	return ret;
}

enum auth_ldap_result auth_ldap_lookup(struct auth_ldap_conn *conn,
				       const struct auth_ldap_domain *domain,
				       const char *address, struct auth_ldap_user *user_r,
				       char *reason, size_t reason_size)
{
	struct auth_ldap_handle *h = auth_ldap_handle(conn, domain);
	char *dn = NULL;
	enum auth_ldap_result ret = auth_ldap_search(h, false, address, user_r, &dn, reason,
						     reason_size);
	ldap_memfree(dn);
	return ret;
}
