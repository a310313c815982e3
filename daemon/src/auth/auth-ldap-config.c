/* auth-ldap-config.c - reading the LDAP settings of each mail domain:
 * `ldap_domains_dir/<domain>.conf`, `key = value` lines:
 *
 *   uri                 one or more ldap:// or ldaps:// URIs (space or comma
 *                       separated), tried in order
 *   starttls            yes|no (default no): StartTLS on ldap:// URIs
 *   tls_ca_file         CA certificate(s) to check the server with
 *   tls_verify          yes|no (default yes)
 *   bind_dn, bind_password or bind_password_file
 *                       the service account that searches (empty: anonymous)
 *   base                where users are searched (subtree)
 *   user_filter         default (mail=%u); AD: (&(objectClass=user)(sAMAccountName=%n))
 *   recipient_filter    default (mail=%u); AD: (|(mail=%u)(proxyAddresses=smtp:%u))
 *   mail_attribute      default mail
 *   alias_attribute     default none; AD: proxyAddresses
 *   group_attribute     default memberOf
 *   required_group      DN of the group a user must be in (default none)
 *   check_account_control yes|no (default yes): refuse AD accounts marked
 *                       disabled or locked in userAccountControl
 *   timeout             seconds for connecting and for each operation (5)
 *
 * Never keeps a file it could not fully parse; never logs the password.
 */
#include "auth-ldap-private.h"
#include "config.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void auth_ldap_domain_free(struct auth_ldap_domain *domain)
{
	if (domain == NULL)
		return;
	free(domain->name);
	for (size_t i = 0; i < domain->uri_count; i++)
		free(domain->uris[i]);
	free(domain->tls_ca_file);
	free(domain->bind_dn);
	if (domain->bind_password != NULL) {
		explicit_bzero(domain->bind_password, strlen(domain->bind_password));
		free(domain->bind_password);
	}
	free(domain->base);
	free(domain->user_filter);
	free(domain->recipient_filter);
	free(domain->mail_attribute);
	free(domain->alias_attribute);
	free(domain->group_attribute);
	free(domain->required_group);
	free(domain);
}

static void auth_ldap_set_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static int auth_ldap_bool(const char *value, bool *out, char **error_r)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
		*out = true;
	else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*out = false;
	else {
		*error_r = xstrdup("expected yes or no");
		return -1;
	}
	return 0;
}

static int auth_ldap_uris(struct auth_ldap_domain *domain, const char *value, char **error_r)
{
	for (size_t i = 0; i < domain->uri_count; i++)
		free(domain->uris[i]);
	domain->uri_count = 0;
	char *copy = xstrdup(value), *save = NULL;
	int ret = 0;
	for (char *tok = strtok_r(copy, " ,\t", &save); tok != NULL; tok = strtok_r(NULL, " ,\t", &save)) {
		if (strncasecmp(tok, "ldap://", 7) != 0 && strncasecmp(tok, "ldaps://", 8) != 0) {
			*error_r = xasprintf("uri '%s' is not ldap:// or ldaps://", tok);
			ret = -1;
			break;
		}
		if (domain->uri_count == AUTH_LDAP_URIS_MAX) {
			*error_r = xasprintf("more than %d URIs", AUTH_LDAP_URIS_MAX);
			ret = -1;
			break;
		}
		domain->uris[domain->uri_count++] = xstrdup(tok);
	}
	free(copy);
	if (ret == 0 && domain->uri_count == 0) {
		*error_r = xstrdup("uri is empty");
		ret = -1;
	}
	return ret;
}

static int auth_ldap_password_file(struct auth_ldap_domain *domain, const char *path, char **error_r)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error_r = xasprintf("bind_password_file %s: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = getline(&line, &cap, f);
	fclose(f);
	if (len < 0) {
		free(line);
		*error_r = xasprintf("bind_password_file %s is empty", path);
		return -1;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (domain->bind_password != NULL) {
		explicit_bzero(domain->bind_password, strlen(domain->bind_password));
		free(domain->bind_password);
	}
	domain->bind_password = xstrdup(line);
	explicit_bzero(line, cap);
	free(line);
	return 0;
}

static int auth_ldap_filter_ok(const char *value, char **error_r)
{
	char probe[1024];
	if (value[0] != '(' || auth_ldap_filter_expand(value, "probe@example.test", probe,
						       sizeof(probe)) < 0) {
		*error_r = xstrdup("a filter must be in parentheses and use only %u, %n, %d, %%");
		return -1;
	}
	return 0;
}

static int auth_ldap_line(const char *key, const char *value, void *context, char **error_r)
{
	struct auth_ldap_domain *d = context;
	if (strcmp(key, "uri") == 0)
		return auth_ldap_uris(d, value, error_r);
	if (strcmp(key, "starttls") == 0)
		return auth_ldap_bool(value, &d->starttls, error_r);
	if (strcmp(key, "tls_verify") == 0)
		return auth_ldap_bool(value, &d->tls_verify, error_r);
	if (strcmp(key, "check_account_control") == 0)
		return auth_ldap_bool(value, &d->check_account_control, error_r);
	if (strcmp(key, "bind_password_file") == 0)
		return auth_ldap_password_file(d, value, error_r);
	if (strcmp(key, "timeout") == 0) {
		char *end;
		unsigned long secs = strtoul(value, &end, 10);
		if (*value == '\0' || *end != '\0' || secs == 0 || secs > 300) {
			*error_r = xstrdup("timeout wants seconds from 1 to 300");
			return -1;
		}
		d->timeout_secs = (unsigned)secs;
		return 0;
	}
	if ((strcmp(key, "user_filter") == 0 || strcmp(key, "recipient_filter") == 0) &&
	    auth_ldap_filter_ok(value, error_r) < 0)
		return -1;
	static const struct {
		const char *key;
		size_t offset;
	} strings[] = {
		{ "tls_ca_file", offsetof(struct auth_ldap_domain, tls_ca_file) },
		{ "bind_dn", offsetof(struct auth_ldap_domain, bind_dn) },
		{ "bind_password", offsetof(struct auth_ldap_domain, bind_password) },
		{ "base", offsetof(struct auth_ldap_domain, base) },
		{ "user_filter", offsetof(struct auth_ldap_domain, user_filter) },
		{ "recipient_filter", offsetof(struct auth_ldap_domain, recipient_filter) },
		{ "mail_attribute", offsetof(struct auth_ldap_domain, mail_attribute) },
		{ "alias_attribute", offsetof(struct auth_ldap_domain, alias_attribute) },
		{ "group_attribute", offsetof(struct auth_ldap_domain, group_attribute) },
		{ "required_group", offsetof(struct auth_ldap_domain, required_group) },
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(key, strings[i].key) == 0) {
			auth_ldap_set_str((char **)((char *)d + strings[i].offset), value);
			return 0;
		}
	}
	*error_r = xasprintf("unknown key '%.64s'", key);
	return -1;
}

/* example.test.conf -> "example.test"; NULL for other files. */
static char *auth_ldap_domain_of(const char *file)
{
	size_t len = strlen(file);
	if (len <= 5 || strcmp(file + len - 5, ".conf") != 0 || file[0] == '.')
		return NULL;
	char *name = xstrdup(file);
	name[len - 5] = '\0';
	for (char *p = name; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-') {
			free(name);
			return NULL;
		}
	}
	return name;
}

static int auth_ldap_load_file(const char *dir, const char *file, struct auth_ldap_domain **domain_r,
			       char **error_r)
{
	struct auth_ldap_domain *d = xcalloc(1, sizeof(*d));
	d->name = auth_ldap_domain_of(file);
	d->tls_verify = true;
	d->check_account_control = true;
	d->timeout_secs = 5;
	d->tls_ca_file = xstrdup("");
	d->bind_dn = xstrdup("");
	d->bind_password = xstrdup("");
	d->base = xstrdup("");
	d->user_filter = xstrdup("(mail=%u)");
	d->recipient_filter = xstrdup("(mail=%u)");
	d->mail_attribute = xstrdup("mail");
	d->alias_attribute = xstrdup("");
	d->group_attribute = xstrdup("memberOf");
	d->required_group = xstrdup("");
	char *path = xasprintf("%s/%s", dir, file);
	int ret = config_parse_file(path, auth_ldap_line, d, error_r);
	if (ret == 0 && d->uri_count == 0) {
		*error_r = xasprintf("%s: no uri", path);
		ret = -1;
	}
	if (ret == 0 && d->base[0] == '\0') {
		*error_r = xasprintf("%s: no base", path);
		ret = -1;
	}
	free(path);
	if (ret < 0) {
		auth_ldap_domain_free(d);
		return -1;
	}
	*domain_r = d;
	return 0;
}

int auth_ldap_load(const char *dir, struct auth_ldap_directory **directory_r, char **error_r)
{
	struct auth_ldap_directory *directory = xcalloc(1, sizeof(*directory));
	*directory_r = directory;
	if (dir == NULL || dir[0] == '\0')
		return 0;
	DIR *dh = opendir(dir);
	if (dh == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = xasprintf("ldap_domains_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		char *name = auth_ldap_domain_of(de->d_name);
		if (name == NULL)
			continue;
		free(name);
		struct auth_ldap_domain *d = NULL;
		if (auth_ldap_load_file(dir, de->d_name, &d, error_r) < 0) {
			ret = -1;
			break;
		}
		directory->domains = xrealloc(directory->domains,
					      (directory->count + 1) * sizeof(*directory->domains));
		directory->domains[directory->count++] = d;
	}
	closedir(dh);
	if (ret < 0) {
		auth_ldap_free(directory_r);
		*directory_r = NULL;
	}
	return ret;
}

void auth_ldap_free(struct auth_ldap_directory **directoryp)
{
	struct auth_ldap_directory *directory = *directoryp;
	if (directory == NULL)
		return;
	*directoryp = NULL;
	for (size_t i = 0; i < directory->count; i++)
		auth_ldap_domain_free(directory->domains[i]);
	free(directory->domains);
	free(directory);
}

const struct auth_ldap_domain *auth_ldap_find(const struct auth_ldap_directory *directory,
					      const char *domain)
{
	if (directory == NULL || domain == NULL)
		return NULL;
	for (size_t i = 0; i < directory->count; i++) {
		if (strcasecmp(directory->domains[i]->name, domain) == 0)
			return directory->domains[i];
	}
	return NULL;
}

size_t auth_ldap_domain_count(const struct auth_ldap_directory *directory)
{
	return directory != NULL ? directory->count : 0;
}
