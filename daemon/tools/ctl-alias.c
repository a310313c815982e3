/* ctl-alias.c - tandemctl's `alias` verbs: add, del, list.
 *
 * An alias maps an address in a local domain to a target (a local user, a
 * local alias or an external address). Each verb is one storage call; it
 * never touches users or mail.
 */
#include "ctl.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

int ctl_alias_add(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	int count, ret;
	char address[STORAGE_ADDRESS_MAX + 1], target[STORAGE_ADDRESS_MAX + 1];
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 2, 2, pos, &count)) != CTL_EXIT_OK ||
	    (ret = ctl_address(ctx, pos[0], address)) != CTL_EXIT_OK ||
	    (ret = ctl_address(ctx, pos[1], target)) != CTL_EXIT_OK)
		return ret;
	if (strcmp(address, target) == 0)
		return ctl_fail(ctx, "alias '%s' cannot point to itself", address);

	const char *error = NULL;
	enum storage_result res = storage_alias_add(ctx->conn, address, target, &error);
	switch (res) {
	case STORAGE_OK:
		return CTL_EXIT_OK;
	case STORAGE_ERR_NOTFOUND:
		return ctl_fail(ctx, "unknown domain '%s'", strchr(address, '@') + 1);
	case STORAGE_ERR_EXISTS:
		return ctl_fail(ctx, "alias '%s' -> '%s' already exists", address, target);
	case STORAGE_ERR_INVALID:
		return ctl_fail(ctx, "cannot add alias '%s': %s", address,
				error != NULL ? error : "invalid");
	default:
		return ctl_fail_storage(ctx, "cannot add the alias", res, error);
	}
}

int ctl_alias_del(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	int count, ret;
	char address[STORAGE_ADDRESS_MAX + 1], target[STORAGE_ADDRESS_MAX + 1];
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 1, 2, pos, &count)) != CTL_EXIT_OK ||
	    (ret = ctl_address(ctx, pos[0], address)) != CTL_EXIT_OK ||
	    (count == 2 && (ret = ctl_address(ctx, pos[1], target)) != CTL_EXIT_OK))
		return ret;

	const char *error = NULL;
	enum storage_result res = storage_alias_del(ctx->conn, address, count == 2 ? target : NULL,
						    &error);
	if (res == STORAGE_ERR_NOTFOUND) {
		if (count == 2)
			return ctl_fail(ctx, "no alias '%s' -> '%s'", address, target);
		return ctl_fail(ctx, "no alias '%s'", address);
	}
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot delete the alias", res, error);
	return CTL_EXIT_OK;
}

struct ctl_alias_rows {
	struct storage_alias *rows;
	size_t count, cap;
};

static void ctl_alias_collect(const struct storage_alias *alias, void *context)
{
	struct ctl_alias_rows *list = context;
	*XARRAY_PUSH(list->rows, list->count, list->cap) = *alias;
}

static int ctl_alias_cmp(const void *a, const void *b)
{
	const struct storage_alias *aa = a, *ab = b;
	int c = strcmp(aa->address, ab->address);
	return c != 0 ? c : strcmp(aa->target, ab->target);
}

int ctl_alias_list(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 0, 1, pos, &count)) != CTL_EXIT_OK)
		return ret;
	struct storage_domain domain;
	if (count == 1 && (ret = ctl_domain_lookup(ctx, pos[0], &domain)) != CTL_EXIT_OK)
		return ret;

	struct ctl_alias_rows list = { NULL, 0, 0 };
	const char *error = NULL;
	enum storage_result res = storage_alias_list(ctx->conn, count == 1 ? domain.name : NULL,
						     ctl_alias_collect, &list, &error);
	if (res != STORAGE_OK) {
		free(list.rows);
		return ctl_fail_storage(ctx, "cannot list aliases", res, error);
	}
	if (list.count > 0)
		qsort(list.rows, list.count, sizeof(*list.rows), ctl_alias_cmp);
	/* ADDRESS TARGET */
	for (size_t i = 0; i < list.count; i++)
		fprintf(ctx->out, "%s\t%s\n", list.rows[i].address, list.rows[i].target);
	free(list.rows);
	return CTL_EXIT_OK;
}
