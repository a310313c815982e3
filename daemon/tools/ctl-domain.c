/* ctl-domain.c - tandemctl's `domain` verbs: add, del, list, quota.
 *
 * Each verb is one storage call (one transaction); it never deletes a
 * domain's users unless --force says so.
 */
#include "ctl.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int ctl_domain_add(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	char name[STORAGE_DOMAIN_MAX + 1];
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 1, 1, pos, &count)) != CTL_EXIT_OK ||
	    (ret = ctl_domain_name(ctx, pos[0], name)) != CTL_EXIT_OK)
		return ret;

	const char *error = NULL;
	enum storage_result res = storage_domain_add(ctx->conn, name, &error);
	switch (res) {
	case STORAGE_OK:
		return CTL_EXIT_OK;
	case STORAGE_ERR_EXISTS:
		return ctl_fail(ctx, "domain '%s' already exists", name);
	case STORAGE_ERR_INVALID:
		return ctl_fail(ctx, "bad domain name '%s': %s", name, error != NULL ? error : "invalid");
	default:
		return ctl_fail_storage(ctx, "cannot add the domain", res, error);
	}
}

int ctl_domain_del(struct ctl_context *ctx, int argc, char **argv)
{
	bool force = false;
	const struct ctl_option options[] = { { "--force", false, &force, NULL } };
	const char *pos[1];
	int count, ret;
	char name[STORAGE_DOMAIN_MAX + 1];
	if ((ret = ctl_parse_args(ctx, argc, argv, options, 1, 1, 1, pos, &count)) != CTL_EXIT_OK ||
	    (ret = ctl_domain_name(ctx, pos[0], name)) != CTL_EXIT_OK)
		return ret;

	const char *error = NULL;
	enum storage_result res = storage_domain_del(ctx->conn, name, force, &error);
	switch (res) {
	case STORAGE_OK:
		return CTL_EXIT_OK;
	case STORAGE_ERR_NOTFOUND:
		return ctl_fail(ctx, "unknown domain '%s'", name);
	case STORAGE_ERR_EXISTS:
		return ctl_fail(ctx, "domain '%s' still has users or aliases "
			       "(--force deletes them and their mail)", name);
	default:
		return ctl_fail_storage(ctx, "cannot delete the domain", res, error);
	}
}

struct ctl_domain_rows {
	struct storage_domain *rows;
	size_t count, cap;
};

static void ctl_domain_collect(const struct storage_domain *domain, void *context)
{
	struct ctl_domain_rows *list = context;
	*XARRAY_PUSH(list->rows, list->count, list->cap) = *domain;
}

static int ctl_domain_cmp(const void *a, const void *b)
{
	const struct storage_domain *da = a, *db = b;
	return strcmp(da->name, db->name);
}

int ctl_domain_list(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 0, 0, pos, &count)) != CTL_EXIT_OK)
		return ret;

	struct ctl_domain_rows list = { NULL, 0, 0 };
	const char *error = NULL;
	enum storage_result res = storage_domain_list(ctx->conn, ctl_domain_collect, &list, &error);
	if (res != STORAGE_OK) {
		free(list.rows);
		return ctl_fail_storage(ctx, "cannot list domains", res, error);
	}
	if (list.count > 0)
		qsort(list.rows, list.count, sizeof(*list.rows), ctl_domain_cmp);
	/* NAME USERS ALIASES DEFAULT_QUOTA_BYTES DEFAULT_QUOTA_MESSAGES */
	for (size_t i = 0; i < list.count; i++) {
		const struct storage_domain *d = &list.rows[i];
		char bytes[32], messages[32];
		fprintf(ctx->out, "%s\t%" PRId64 "\t%" PRId64 "\t%s\t%s\n", d->name, d->user_count,
			d->alias_count, ctl_limit_str(d->default_quota_bytes, bytes, sizeof(bytes)),
			ctl_limit_str(d->default_quota_messages, messages, sizeof(messages)));
	}
	free(list.rows);
	return CTL_EXIT_OK;
}

int ctl_domain_quota(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[3];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 1, 3, pos, &count)) != CTL_EXIT_OK)
		return ret;
	struct storage_domain domain;
	if ((ret = ctl_domain_lookup(ctx, pos[0], &domain)) != CTL_EXIT_OK)
		return ret;
	if (count == 1) {
		char bytes[32], messages[32];
		fprintf(ctx->out, "bytes\t%s\nmessages\t%s\n",
			ctl_limit_str(domain.default_quota_bytes, bytes, sizeof(bytes)),
			ctl_limit_str(domain.default_quota_messages, messages, sizeof(messages)));
		return CTL_EXIT_OK;
	}
	int64_t bytes = 0, messages = domain.default_quota_messages;
	if (ctl_parse_size(pos[1], &bytes) < 0)
		return ctl_usage(ctx, "bad size '%s' (a number of bytes, optionally with K, M, G "
				 "or T, or 'unlimited')", pos[1]);
	if (count == 3 && ctl_parse_count(pos[2], &messages) < 0)
		return ctl_usage(ctx, "bad message count '%s'", pos[2]);

	const char *error = NULL;
	enum storage_result res = storage_domain_set_quota(ctx->conn, domain.name, bytes, messages,
							   &error);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown domain '%s'", domain.name);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot set the default quota", res, error);
	return CTL_EXIT_OK;
}
