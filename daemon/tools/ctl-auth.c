/* ctl-auth.c - tandemctl's view of login attempts: `auth failures` lists
 * recent failed (and, with --all, successful) logins from the auth log that
 * tandemd writes, newest first, so an administrator sees who is guessing
 * passwords from where.
 *
 * Read-only; prints what the table holds (user names were made printable
 * when written), never anything about passwords.
 */
#include "ctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

static void ctl_auth_print(const struct storage_auth_entry *entry, void *context)
{
	struct ctl_context *ctx = context;
	char when[32];
	time_t at = (time_t)entry->at;
	struct tm tm;
	if (gmtime_r(&at, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%" PRId64, entry->at);
	fprintf(ctx->out, "%s %-5s %-15s %-8s %s %s\n", when, entry->service,
		entry->client[0] != '\0' ? entry->client : "local", entry->result, entry->username,
		entry->reason);
}

int ctl_auth_failures(struct ctl_context *ctx, int argc, char **argv)
{
	bool all = false;
	const char *user = NULL, *hours_text = NULL, *limit_text = NULL;
	const struct ctl_option options[] = {
		{ "--all", false, &all, NULL },
		{ "--user", true, NULL, &user },
		{ "--hours", true, NULL, &hours_text },
		{ "--limit", true, NULL, &limit_text },
	};
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, options, 4, 0, 0, pos, &count)) != CTL_EXIT_OK)
		return ret;
	int64_t hours = 24, limit = 100;
	if (hours_text != NULL && (ctl_parse_count(hours_text, &hours) < 0 || hours == 0))
		return ctl_usage(ctx, "--hours wants a positive number of hours");
	if (limit_text != NULL && (ctl_parse_count(limit_text, &limit) < 0 || limit == 0 ||
				   limit > 100000))
		return ctl_usage(ctx, "--limit wants a number from 1 to 100000");
	char address[STORAGE_ADDRESS_MAX + 1];
	if (user != NULL && (ret = ctl_address(ctx, user, address)) != CTL_EXIT_OK)
		return ret;
	int64_t since = (int64_t)time(NULL) - hours * 3600;
	const char *error = NULL;
	enum storage_result res = storage_auth_log_list(ctx->conn, since,
							user != NULL ? address : NULL, !all,
							(unsigned)limit, ctl_auth_print, ctx, &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot read the auth log", res, error);
	return CTL_EXIT_OK;
}
