/* sasl-plain.c - splitting a SASL PLAIN response (see sasl-plain.h). No
 * allocation; never reads past len. */
#include "sasl-plain.h"

#include <string.h>
#include <strings.h>

int sasl_plain_split(const char *data, size_t len, const char **authcid_r,
		     const char **passwd_r)
{
	const char *nul1 = memchr(data, '\0', len);
	if (nul1 == NULL)
		return -1;
	const char *authcid = nul1 + 1;
	size_t rest = len - (size_t)(authcid - data);
	const char *nul2 = memchr(authcid, '\0', rest);
	if (nul2 == NULL)
		return -1;
	const char *passwd = nul2 + 1;
	/* exactly three fields: no NUL inside the password */
	if (memchr(passwd, '\0', len - (size_t)(passwd - data)) != NULL)
		return -1;
	if (*authcid == '\0')
		return -1;
	size_t authzid_len = (size_t)(nul1 - data);
	if (authzid_len > 0 && (authzid_len != (size_t)(nul2 - authcid) ||
				strncasecmp(data, authcid, authzid_len) != 0))
		return -2;
	*authcid_r = authcid;
	*passwd_r = passwd;
	return 0;
}
