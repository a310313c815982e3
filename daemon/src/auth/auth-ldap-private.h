/* auth-ldap-private.h - internal to auth-ldap*.c: one domain's LDAP
 * settings as read from its file, and the loaded set. */
#ifndef TANDEM_AUTH_LDAP_PRIVATE_H
#define TANDEM_AUTH_LDAP_PRIVATE_H

#include "auth-ldap.h"

#define AUTH_LDAP_URIS_MAX 8

struct auth_ldap_domain {
	char *name;                  /* the mail domain: the file's name */
	char *uris[AUTH_LDAP_URIS_MAX];
	size_t uri_count;            /* tried in order */
	bool starttls;               /* StartTLS on ldap:// URIs */
	char *tls_ca_file;           /* "" = the system's CAs */
	bool tls_verify;             /* check the server certificate */
	char *bind_dn;               /* "" = anonymous search */
	char *bind_password;
	char *base;
	char *user_filter;           /* finds the entry of a login name */
	char *recipient_filter;      /* finds the entry of a mail address */
	char *mail_attribute;
	char *alias_attribute;       /* "" = none; "smtp:"-style prefixes handled */
	char *group_attribute;       /* on the user: the groups it is in */
	char *required_group;        /* "" = no group needed */
	bool check_account_control;  /* AD userAccountControl: disabled/locked */
	unsigned timeout_secs;       /* connect and each operation */
};

struct auth_ldap_directory {
	struct auth_ldap_domain **domains;
	size_t count;
};

#endif
