/* sieve-vacation.c - the vacation action (RFC 5230) as far as the message
 * alone decides it: no reply to the null sender, to the user's own
 * addresses or :addresses, to list mail (List-Id and its family), to
 * Precedence bulk/list/junk, to Auto-Submitted other than "no", to
 * MAILER-DAEMON, LISTSERV, majordomo, owner-* or *-request senders; and a
 * reply only when one of the user's addresses is in To, Cc, Bcc,
 * Resent-To or Resent-Cc. Then the reply's fields: subject (default
 * "Auto: " + the original), :days clamped to 1..365 (default 7), handle
 * (default: SHA-256 of subject, from, reason and :mime), In-Reply-To.
 * Never sends anything and never remembers anything: the caller applies
 * :days per (user, sender, handle).
 */
#include "sieve-private.h"
#include "buf.h"
#include "xalloc.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VACATION_DAYS_DEFAULT 7
#define VACATION_DAYS_MIN 1
#define VACATION_DAYS_MAX 365

static const char *const list_fields[] = {
	"List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post",
	"List-Owner", "List-Archive",
};
static const char *const recipient_fields[] = { "To", "Cc", "Bcc", "Resent-To", "Resent-Cc" };

/* The envelope sender without <>; NULL when it is the null sender. */
static char *sender_address(const char *from)
{
	if (from == NULL)
		return NULL;
	while (*from == ' ' || *from == '<')
		from++;
	size_t len = strlen(from);
	while (len > 0 && (from[len - 1] == '>' || from[len - 1] == ' '))
		len--;
	return len > 0 ? xstrndup(from, len) : NULL;
}

static bool automatic_sender(const char *sender)
{
	char *local = sieve_address_part(sender, SIEVE_PART_LOCALPART);
	size_t len = strlen(local);
	bool robot = strcasecmp(local, "mailer-daemon") == 0 || strcasecmp(local, "listserv") == 0 ||
		     strcasecmp(local, "majordomo") == 0 || strncasecmp(local, "owner-", 6) == 0 ||
		     (len >= 8 && strcasecmp(local + len - 8, "-request") == 0);
	free(local);
	return robot;
}

static bool is_mine(const char *addr, const struct sieve_message *msg,
		    const struct sieve_strlist *extra)
{
	for (size_t i = 0; msg->own_addresses != NULL && msg->own_addresses[i] != NULL; i++)
		if (sieve_address_equal(addr, msg->own_addresses[i]))
			return true;
	for (size_t i = 0; extra != NULL && i < extra->count; i++)
		if (sieve_address_equal(addr, extra->s[i]))
			return true;
	return false;
}

/* The first value of a field, trimmed, or NULL. */
static char *first_value(struct sieve_msg_cache *c, const char *name, bool decode)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	sieve_msg_header_values(c, name, decode, &v, &n, &cap);
	char *first = n > 0 ? v[0] : NULL;
	for (size_t i = 1; i < n; i++)
		free(v[i]);
	free(v);
	return first;
}

static bool bulk_or_automatic(struct sieve_msg_cache *c)
{
	for (size_t i = 0; i < sizeof(list_fields) / sizeof(list_fields[0]); i++)
		if (sieve_msg_header_exists(c, list_fields[i]))
			return true;
	char *prec = first_value(c, "Precedence", false);
	bool bulk = prec != NULL && (strcasecmp(prec, "bulk") == 0 ||
				     strcasecmp(prec, "list") == 0 || strcasecmp(prec, "junk") == 0);
	free(prec);
	if (bulk)
		return true;
	char *auto_sub = first_value(c, "Auto-Submitted", false);
	bool automatic = false;
	if (auto_sub != NULL) {
		size_t len = strcspn(auto_sub, " \t;(");
		automatic = !(len == 2 && strncasecmp(auto_sub, "no", 2) == 0);
	}
	free(auto_sub);
	return automatic;
}

static bool addressed_to_me(struct sieve_msg_cache *c, const struct sieve_strlist *extra)
{
	bool mine = false;
	for (size_t f = 0; f < sizeof(recipient_fields) / sizeof(recipient_fields[0]) && !mine; f++) {
		char **values = NULL, **addrs = NULL;
		size_t nv = 0, cv = 0, na = 0, ca = 0;
		sieve_msg_header_values(c, recipient_fields[f], false, &values, &nv, &cv);
		for (size_t i = 0; i < nv; i++)
			sieve_address_parse_list(values[i], &addrs, &na, &ca);
		for (size_t i = 0; i < na && !mine; i++)
			mine = is_mine(addrs[i], c->msg, extra);
		sieve_strv_free(values, nv);
		sieve_strv_free(addrs, na);
	}
	return mine;
}

static char *default_handle(const struct sieve_opts *opt, const char *reason)
{
	struct buf b;
	buf_init(&b);
	const char *parts[] = { opt->subject != NULL ? opt->subject : "",
				opt->from != NULL ? opt->from : "", reason, opt->mime ? "1" : "0" };
	for (size_t i = 0; i < 4; i++)
		buf_append(&b, parts[i], strlen(parts[i]) + 1); /* NUL-separated */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (EVP_Digest(b.data, b.len, md, &md_len, EVP_sha256(), NULL) != 1)
		md_len = 0;
	buf_free(&b);
	char *hex = xmalloc(md_len * 2 + 1);
	for (unsigned i = 0; i < md_len; i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[md_len * 2] = '\0';
	return hex;
}

int sieve_vacation_build(const struct sieve_opts *opt, const char *reason,
			 struct sieve_msg_cache *c, struct sieve_action *action_r)
{
	memset(action_r, 0, sizeof(*action_r));
	char *sender = sender_address(c->msg->envelope_from);
	if (sender == NULL)
		return 0;
	if (automatic_sender(sender) || is_mine(sender, c->msg, opt->addresses) ||
	    bulk_or_automatic(c) || !addressed_to_me(c, opt->addresses)) {
		free(sender);
		return 0;
	}
	action_r->kind = SIEVE_ACTION_VACATION;
	action_r->vacation_to = sender;
	action_r->vacation_from = opt->from != NULL ? xstrdup(opt->from) : NULL;
	if (opt->subject != NULL) {
		action_r->vacation_subject = xstrdup(opt->subject);
	} else {
		char *orig = first_value(c, "Subject", true);
		action_r->vacation_subject = xasprintf("Auto: %s", orig != NULL ? orig : "");
		free(orig);
	}
	action_r->vacation_body = xstrdup(reason);
	action_r->vacation_mime = opt->mime;
	action_r->vacation_handle =
		opt->handle != NULL ? xstrdup(opt->handle) : default_handle(opt, reason);
	uint64_t days = opt->has_days ? opt->days : VACATION_DAYS_DEFAULT;
	if (days < VACATION_DAYS_MIN)
		days = VACATION_DAYS_MIN;
	if (days > VACATION_DAYS_MAX)
		days = VACATION_DAYS_MAX;
	action_r->vacation_days = (unsigned)days;
	action_r->in_reply_to = first_value(c, "Message-ID", false);
	return 1;
}
