#!/bin/sh
# slapd-start.sh - start a scratch OpenLDAP server for the tests: its own
# cn=config and database under DIR, listening on 127.0.0.1:PORT only,
# loaded with the AD-like directory in tests/ldap/directory.ldif (schema:
# core, cosine, inetorgperson and tests/ldap/ad-schema.ldif, the Active
# Directory attributes with searchable matching rules). Prints the LDAP URI.
# Usage: slapd-start.sh DIR PORT [tls]      (slapd-stop.sh DIR stops it)
# With "tls": a scratch CA and a server certificate for localhost and
# 127.0.0.1 are made with openssl in DIR/tls (ca.pem signs server.pem;
# other-ca.pem is a CA that signed nothing, for "wrong CA" tests; use
# 127.0.0.1 in URIs: libldap replaces "localhost" by the host's name
# before it checks the certificate), slapd
# offers StartTLS on PORT and, when SLAPD_TLS_PORT is set, ldaps:// on it.
# The directory's admin: cn=admin,dc=example,dc=test / secret; the
# service account tandem binds as: cn=tandem,ou=Services,dc=example,dc=test
# / service-secret.
set -eu
dir=$1
port=$2
tls=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
slapd=/usr/sbin/slapd
[ -x "$slapd" ] || { echo "slapd is not installed (Debian package slapd)" >&2; exit 1; }
mkdir -p "$dir/config" "$dir/data"
tls_config=
urls="ldap://127.0.0.1:$port/"
if [ "$tls" = tls ]; then
	t=$dir/tls
	mkdir -p "$t"
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Tandem test CA" \
			-keyout "$t/ca.key" -out "$t/ca.pem" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Unrelated test CA" \
			-keyout "$t/other-ca.key" -out "$t/other-ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
			-keyout "$t/server.key" -out "$t/server.csr" &&
		printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' \
			>"$t/server.ext" &&
		openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
			-CAcreateserial -days 2 -extfile "$t/server.ext" -out "$t/server.pem"
	} >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
	tls_config="olcTLSCACertificateFile: $t/ca.pem
olcTLSCertificateFile: $t/server.pem
olcTLSCertificateKeyFile: $t/server.key"
	[ -z "${SLAPD_TLS_PORT:-}" ] || urls="$urls ldaps://127.0.0.1:$SLAPD_TLS_PORT/"
fi
# the module directory differs between Debian builds: ask where back_mdb is
moddir=/usr/lib/ldap
cat >"$dir/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcLogLevel: none
${tls_config}

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $moddir
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file://$here/ldap/ad-schema.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcAccess: {0}to * by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: dc=example,dc=test
olcRootDN: cn=admin,dc=example,dc=test
olcRootPW: secret
olcDbDirectory: $dir/data
olcDbMaxSize: 67108864
olcDbIndex: objectClass eq
olcDbIndex: mail,sAMAccountName,userPrincipalName,proxyAddresses eq
olcAccess: {0}to attrs=userPassword by self =x by anonymous auth by * none
olcAccess: {1}to * by dn.exact="cn=tandem,ou=Services,dc=example,dc=test" read by self read by * none
LDIF
"$slapd" -T add -n 0 -F "$dir/config" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 || {
	cat "$dir/slapadd.log" >&2; exit 1; }
"$slapd" -T add -n 1 -F "$dir/config" -l "$here/ldap/directory.ldif" >>"$dir/slapadd.log" 2>&1 || {
	cat "$dir/slapadd.log" >&2; exit 1; }
"$slapd" -F "$dir/config" -h "$urls" >"$dir/slapd.log" 2>&1 || {
	cat "$dir/slapd.log" >&2; exit 1; }
# slapd daemonizes: wait (bounded) until it answers
n=0
while ! ldapsearch -x -H "ldap://127.0.0.1:$port/" -b "" -s base >/dev/null 2>&1; do
	n=$((n + 1))
	[ "$n" -le 100 ] || { echo "slapd did not answer on 127.0.0.1:$port" >&2; exit 1; }
	sleep 0.1
done
echo "ldap://127.0.0.1:$port/"
