/* ctl-user.c - tandemctl's `user` verbs: add, del, passwd, list, show, quota.
 *
 * Passwords come from ctl_password_read() (stdin or the terminal), never
 * from argv, and are hashed here with password_hash(); only the hash reaches
 * storage. A verb either completes or leaves nothing behind: `user add
 * --quota` removes the user again when setting the quota fails.
 */
#include "ctl.h"
#include "password.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Read a password and hash it. *hash_r NULL (and CTL_EXIT_OK) when stdin
 * held nothing. */
static int ctl_user_new_hash(struct ctl_context *ctx, char **hash_r)
{
	char *password = NULL;
	*hash_r = NULL;
	int ret = ctl_password_read(ctx, &password);
	if (ret != CTL_EXIT_OK || password == NULL)
		return ret;
	const char *error;
	if (password_hash(password, hash_r, &error) < 0)
		ret = ctl_fail(ctx, "cannot hash the password: %s", error);
	ctl_password_free(&password);
	return ret;
}

int ctl_user_add(struct ctl_context *ctx, int argc, char **argv)
{
	bool no_password = false;
	const char *quota_arg = NULL;
	const struct ctl_option options[] = {
		{ "--quota", true, NULL, &quota_arg },
		{ "--no-password", false, &no_password, NULL },
	};
	const char *pos[1];
	int count, ret;
	char address[STORAGE_ADDRESS_MAX + 1];
	if ((ret = ctl_parse_args(ctx, argc, argv, options, 2, 1, 1, pos, &count)) != CTL_EXIT_OK)
		return ret;
	int64_t quota = 0;
	if (quota_arg != NULL && ctl_parse_size(quota_arg, &quota) < 0)
		return ctl_usage(ctx, "bad size '%s' (a number of bytes, optionally with K, M, G "
				 "or T, or 'unlimited')", quota_arg);
	if ((ret = ctl_address(ctx, pos[0], address)) != CTL_EXIT_OK)
		return ret;

	/* Say what is wrong before asking for a password. */
	const char *domain_name = strchr(address, '@') + 1;
	struct storage_domain domain;
	struct storage_user user;
	const char *error = NULL;
	enum storage_result res = storage_domain_get(ctx->conn, domain_name, &domain, &error);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown domain '%s'", domain_name);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot look up the domain", res, error);
	res = storage_user_get(ctx->conn, address, &user, &error);
	if (res == STORAGE_OK)
		return ctl_fail(ctx, "user '%s' already exists", address);
	if (res != STORAGE_ERR_NOTFOUND)
		return ctl_fail_storage(ctx, "cannot look up the user", res, error);

	char *hash = NULL;
	if (!no_password) {
		if ((ret = ctl_user_new_hash(ctx, &hash)) != CTL_EXIT_OK)
			return ret;
		if (hash == NULL)
			return ctl_fail(ctx, "no password on standard input "
				       "(--no-password creates a user without one)");
	}
	res = storage_user_add(ctx->conn, address, hash != NULL ? hash : "", &error);
	free(hash);
	switch (res) {
	case STORAGE_OK:
		break;
	case STORAGE_ERR_NOTFOUND:
		return ctl_fail(ctx, "unknown domain '%s'", domain_name);
	case STORAGE_ERR_EXISTS:
		return ctl_fail(ctx, "user '%s' already exists", address);
	case STORAGE_ERR_INVALID:
		return ctl_fail(ctx, "bad address '%s': %s", address, error != NULL ? error : "invalid");
	default:
		return ctl_fail_storage(ctx, "cannot add the user", res, error);
	}
	if (quota_arg == NULL)
		return CTL_EXIT_OK;

	res = storage_user_set_quota(ctx->conn, address, quota, domain.default_quota_messages,
				     &error);
	if (res == STORAGE_OK)
		return CTL_EXIT_OK;
	ret = ctl_fail_storage(ctx, "cannot set the quota", res, error);
	/* leave nothing half made */
	res = storage_user_del(ctx->conn, address, &error);
	if (res != STORAGE_OK)
		ctl_fail_storage(ctx, "the user was created but cannot be removed again", res, error);
	return ret;
}

int ctl_user_del(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	char address[STORAGE_ADDRESS_MAX + 1];
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 1, 1, pos, &count)) != CTL_EXIT_OK ||
	    (ret = ctl_address(ctx, pos[0], address)) != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = storage_user_del(ctx->conn, address, &error);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown user '%s'", address);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot delete the user", res, error);
	return CTL_EXIT_OK;
}

int ctl_user_passwd(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 1, 1, pos, &user)) != CTL_EXIT_OK)
		return ret;
	char *hash = NULL;
	if ((ret = ctl_user_new_hash(ctx, &hash)) != CTL_EXIT_OK)
		return ret;
	if (hash == NULL)
		return ctl_fail(ctx, "no password on standard input");
	const char *error = NULL;
	enum storage_result res = storage_user_set_password(ctx->conn, user.address, hash, &error);
	free(hash);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown user '%s'", user.address);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot set the password", res, error);
	return CTL_EXIT_OK;
}

struct ctl_user_rows {
	char (*addresses)[STORAGE_ADDRESS_MAX + 1];
	size_t count, cap;
};

static void ctl_user_collect(const struct storage_user *user, void *context)
{
	struct ctl_user_rows *list = context;
	memcpy(*XARRAY_PUSH(list->addresses, list->count, list->cap), user->address,
	       sizeof(user->address));
}

static int ctl_user_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int ctl_user_list(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 0, 1, pos, &count)) != CTL_EXIT_OK)
		return ret;
	struct storage_domain domain;
	if (count == 1 && (ret = ctl_domain_lookup(ctx, pos[0], &domain)) != CTL_EXIT_OK)
		return ret;

	struct ctl_user_rows list = { NULL, 0, 0 };
	const char *error = NULL;
	enum storage_result res = storage_user_list(ctx->conn, count == 1 ? domain.name : NULL,
						    ctl_user_collect, &list, &error);
	if (res != STORAGE_OK) {
		free(list.addresses);
		return ctl_fail_storage(ctx, "cannot list users", res, error);
	}
	if (list.count > 0)
		qsort(list.addresses, list.count, sizeof(*list.addresses), ctl_user_cmp);
	for (size_t i = 0; i < list.count; i++)
		fprintf(ctx->out, "%s\n", list.addresses[i]);
	free(list.addresses);
	return CTL_EXIT_OK;
}

/* What kind of password the user has, without showing the hash. */
static const char *ctl_password_kind(const char *hash, char *buf, size_t bufsize)
{
	static const struct {
		const char *prefix, *name;
	} kinds[] = {
		{ "$y$", "yescrypt" }, { "$gy$", "gost-yescrypt" }, { "$7$", "scrypt" },
		{ "$6$", "sha512-crypt" }, { "$5$", "sha256-crypt" }, { "$2", "bcrypt" },
		{ "$1$", "md5-crypt" },
	};
	if (hash[0] == '\0')
		return "none";
	if (hash[0] == '{') {
		const char *end = strchr(hash, '}');
		if (end != NULL && end - hash - 1 < (ptrdiff_t)bufsize && end - hash - 1 <= 32) {
			memcpy(buf, hash + 1, (size_t)(end - hash - 1));
			buf[end - hash - 1] = '\0';
			return password_scheme_supported(hash) ? buf : "unsupported";
		}
		return "unsupported";
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strncmp(hash, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return password_scheme_supported(hash) ? kinds[i].name : "unsupported";
	}
	return password_scheme_supported(hash) ? "des-crypt" : "unsupported";
}

struct ctl_mailbox_count {
	int64_t mailboxes;
};

static void ctl_count_mailbox(const struct storage_mailbox *mailbox, void *context)
{
	(void)mailbox;
	struct ctl_mailbox_count *c = context;
	c->mailboxes++;
}

int ctl_user_show(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int ret;
	struct storage_user user;
	if ((ret = ctl_user_args(ctx, argc, argv, 1, 1, pos, &user)) != CTL_EXIT_OK)
		return ret;
	struct ctl_mailbox_count mc = { 0 };
	const char *error = NULL;
	enum storage_result res = storage_mailbox_list(ctx->conn, user.id, ctl_count_mailbox, &mc,
						       &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot list mailboxes", res, error);

	char kind[40], qb[32], qm[32], created[32];
	fprintf(ctx->out,
		"address         %s\n"
		"source          %s\n"
		"password        %s\n"
		"quota_bytes     %s\n"
		"quota_messages  %s\n"
		"used_bytes      %" PRId64 "\n"
		"used_messages   %" PRId64 "\n"
		"mailboxes       %" PRId64 "\n"
		"created         %s\n",
		user.address, user.source,
		ctl_password_kind(user.password_hash, kind, sizeof(kind)),
		ctl_limit_str(user.quota_bytes, qb, sizeof(qb)),
		ctl_limit_str(user.quota_messages, qm, sizeof(qm)),
		user.used_bytes, user.used_messages, mc.mailboxes,
		ctl_time_str(user.created, created, sizeof(created)));
	explicit_bzero(user.password_hash, sizeof(user.password_hash));
	return CTL_EXIT_OK;
}

static void ctl_print_usage_line(struct ctl_context *ctx, const char *what, int64_t used,
				 int64_t limit)
{
	char buf[32];
	if (limit > 0)
		fprintf(ctx->out, "%-9s %" PRId64 " of %s (%.0f%%)\n", what, used,
			ctl_limit_str(limit, buf, sizeof(buf)), (double)used * 100.0 / (double)limit);
	else
		fprintf(ctx->out, "%-9s %" PRId64 " of unlimited\n", what, used);
}

int ctl_user_quota(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[3];
	int count, ret;
	struct storage_user user;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 1, 3, pos, &count)) != CTL_EXIT_OK)
		return ret;
	int64_t bytes = 0, messages = 0;
	if (count >= 2 && ctl_parse_size(pos[1], &bytes) < 0)
		return ctl_usage(ctx, "bad size '%s' (a number of bytes, optionally with K, M, G "
				 "or T, or 'unlimited')", pos[1]);
	if (count == 3 && ctl_parse_count(pos[2], &messages) < 0)
		return ctl_usage(ctx, "bad message count '%s'", pos[2]);
	if ((ret = ctl_user_lookup(ctx, pos[0], &user)) != CTL_EXIT_OK)
		return ret;
	explicit_bzero(user.password_hash, sizeof(user.password_hash));

	if (count == 1) {
		ctl_print_usage_line(ctx, "bytes", user.used_bytes, user.quota_bytes);
		ctl_print_usage_line(ctx, "messages", user.used_messages, user.quota_messages);
		return CTL_EXIT_OK;
	}
	if (count == 2)
		messages = user.quota_messages;
	const char *error = NULL;
	enum storage_result res = storage_user_set_quota(ctx->conn, user.address, bytes, messages,
							 &error);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown user '%s'", user.address);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot set the quota", res, error);
	return CTL_EXIT_OK;
}
