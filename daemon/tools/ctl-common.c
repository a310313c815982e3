/* ctl-common.c - helpers every tandemctl verb uses: the one way errors are
 * printed, option/argument splitting, size parsing, address checks and the
 * lookups whose failure messages must read the same in every verb.
 *
 * Never exits and never touches the database except through storage.h.
 */
#include "ctl.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void ctl_vprint_error(struct ctl_context *ctx, const char *fmt, va_list args)
{
	fprintf(ctx->err, "tandemctl: %s: ", ctx->verb_name != NULL ? ctx->verb_name : "error");
	vfprintf(ctx->err, fmt, args);
	fputc('\n', ctx->err);
}

int ctl_fail(struct ctl_context *ctx, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	ctl_vprint_error(ctx, fmt, args);
	va_end(args);
	return CTL_EXIT_FAIL;
}

int ctl_usage(struct ctl_context *ctx, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	ctl_vprint_error(ctx, fmt, args);
	va_end(args);
	fprintf(ctx->err, "usage: tandemctl [-c FILE] %s%s%s\n", ctx->verb_name,
		ctx->usage != NULL && ctx->usage[0] != '\0' ? " " : "",
		ctx->usage != NULL ? ctx->usage : "");
	return CTL_EXIT_USAGE;
}

int ctl_fail_storage(struct ctl_context *ctx, const char *what, enum storage_result result,
		     const char *error)
{
	if (error != NULL && error[0] != '\0')
		return ctl_fail(ctx, "%s: %s: %s", what, storage_result_str(result), error);
	return ctl_fail(ctx, "%s: %s", what, storage_result_str(result));
}

const char *ctl_printable(const char *text, char *buf, size_t bufsize)
{
	return log_printable(text, strlen(text), buf, bufsize);
}

static const struct ctl_option *ctl_option_find(const struct ctl_option *options, size_t count,
						const char *arg, size_t name_len)
{
	for (size_t i = 0; i < count; i++) {
		if (strlen(options[i].name) == name_len &&
		    strncmp(options[i].name, arg, name_len) == 0)
			return &options[i];
	}
	return NULL;
}

int ctl_parse_args(struct ctl_context *ctx, int argc, char **argv,
		   const struct ctl_option *options, size_t option_count,
		   int min, int max, const char **pos_r, int *count_r)
{
	char safe[128];
	int count = 0;
	bool options_done = false;
	if (max > CTL_POSITIONAL_MAX)
		max = CTL_POSITIONAL_MAX;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strlen(arg) > CTL_ARG_MAX)
			return ctl_usage(ctx, "argument %d is too long", i + 1);
		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1] != '\0') {
			const char *eq = strchr(arg, '=');
			size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
			const struct ctl_option *opt =
				ctl_option_find(options, option_count, arg, name_len);
			if (opt == NULL)
				return ctl_usage(ctx, "unknown option '%s'",
						 ctl_printable(arg, safe, sizeof(safe)));
			if (opt->given_r != NULL)
				*opt->given_r = true;
			if (!opt->takes_value) {
				if (eq != NULL)
					return ctl_usage(ctx, "option %s takes no value", opt->name);
				continue;
			}
			if (eq != NULL)
				*opt->value_r = eq + 1;
			else if (i + 1 < argc)
				*opt->value_r = argv[++i];
			else
				return ctl_usage(ctx, "option %s needs a value", opt->name);
			continue;
		}
		if (count >= max)
			return ctl_usage(ctx, "too many arguments");
		pos_r[count++] = arg;
	}
	if (count < min)
		return ctl_usage(ctx, "missing arguments");
	*count_r = count;
	return CTL_EXIT_OK;
}

static int ctl_parse_number(const char *text, bool suffix, int64_t *value_r)
{
	if (strcasecmp(text, "unlimited") == 0) {
		*value_r = 0;
		return 0;
	}
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	unsigned long long mult = 1;
	if (suffix && *end != '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1ULL << 10; break;
		case 'M': mult = 1ULL << 20; break;
		case 'G': mult = 1ULL << 30; break;
		case 'T': mult = 1ULL << 40; break;
		default: return -1;
		}
		end++;
		/* allow "10M" and "10MB" */
		if (toupper((unsigned char)*end) == 'B')
			end++;
	}
	if (*end != '\0' || v > (unsigned long long)INT64_MAX / mult)
		return -1;
	*value_r = (int64_t)(v * mult);
	return 0;
}

int ctl_parse_size(const char *text, int64_t *bytes_r)
{
	return ctl_parse_number(text, true, bytes_r);
}

int ctl_parse_count(const char *text, int64_t *count_r)
{
	return ctl_parse_number(text, false, count_r);
}

int ctl_address(struct ctl_context *ctx, const char *text, char *out)
{
	const char *error;
	if (storage_address_normalize(text, out, STORAGE_ADDRESS_MAX + 1, &error) < 0) {
		char safe[128];
		return ctl_fail(ctx, "bad address '%s': %s", ctl_printable(text, safe, sizeof(safe)),
				error);
	}
	return CTL_EXIT_OK;
}

int ctl_domain_name(struct ctl_context *ctx, const char *text, char *out)
{
	char safe[128];
	size_t len = strlen(text);
	if (len == 0 || len > STORAGE_DOMAIN_MAX)
		return ctl_fail(ctx, "bad domain name '%s': %s",
				ctl_printable(text, safe, sizeof(safe)),
				len == 0 ? "empty" : "too long");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return ctl_fail(ctx, "bad domain name '%s': unexpected character",
					ctl_printable(text, safe, sizeof(safe)));
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	if (out[0] == '.' || out[len - 1] == '.' || strstr(out, "..") != NULL)
		return ctl_fail(ctx, "bad domain name '%s': empty label",
				ctl_printable(text, safe, sizeof(safe)));
	return CTL_EXIT_OK;
}

int ctl_user_lookup(struct ctl_context *ctx, const char *address, struct storage_user *user_r)
{
	char norm[STORAGE_ADDRESS_MAX + 1];
	int ret = ctl_address(ctx, address, norm);
	if (ret != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = storage_user_get(ctx->conn, norm, user_r, &error);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown user '%s'", norm);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot look up the user", res, error);
	return CTL_EXIT_OK;
}

int ctl_user_args(struct ctl_context *ctx, int argc, char **argv, int min, int max,
		  const char **pos_r, struct storage_user *user_r)
{
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, min, max, pos_r, &count)) != CTL_EXIT_OK)
		return ret;
	return ctl_user_lookup(ctx, pos_r[0], user_r);
}

int ctl_domain_lookup(struct ctl_context *ctx, const char *name, struct storage_domain *domain_r)
{
	char norm[STORAGE_DOMAIN_MAX + 1];
	int ret = ctl_domain_name(ctx, name, norm);
	if (ret != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = storage_domain_get(ctx->conn, norm, domain_r, &error);
	if (res == STORAGE_ERR_NOTFOUND)
		return ctl_fail(ctx, "unknown domain '%s'", norm);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot look up the domain", res, error);
	return CTL_EXIT_OK;
}

const char *ctl_limit_str(int64_t value, char *buf, size_t bufsize)
{
	if (value <= 0)
		snprintf(buf, bufsize, "unlimited");
	else
		snprintf(buf, bufsize, "%" PRId64, value);
	return buf;
}

const char *ctl_time_str(int64_t unix_time, char *buf, size_t bufsize)
{
	time_t t = (time_t)unix_time;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, bufsize, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsize, "%" PRId64, unix_time);
	return buf;
}
