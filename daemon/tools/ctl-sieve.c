/* ctl-sieve.c - tandemctl's `sieve` verbs: list, put, get, activate,
 * deactivate, delete a user's Sieve scripts, and check a script file.
 *
 * put and check compile the script first (sieve_compile): a script that
 * does not compile is refused with its line-numbered error and never
 * stored. Never touches mail; never runs a script.
 */
#include "ctl-sieve.h"
#include "sieve.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ctl_sieve_rows {
	struct storage_sieve_script *rows;
	char **names;
	size_t count, cap, names_cap;
};

static void ctl_sieve_collect(const struct storage_sieve_script *script, void *context)
{
	struct ctl_sieve_rows *list = context;
	size_t n = list->count;
	*XARRAY_PUSH(list->rows, list->count, list->cap) = *script;
	size_t m = n;
	*XARRAY_PUSH(list->names, m, list->names_cap) = xstrdup(script->name);
	list->rows[n].name = list->names[n];
}

/* Read all of f (at most SIEVE_SCRIPT_MAX bytes). NULL after ctl_fail. */
static char *ctl_sieve_read(struct ctl_context *ctx, FILE *f, const char *what, size_t *len_r)
{
	char *text = xmalloc(SIEVE_SCRIPT_MAX + 2);
	size_t len = fread(text, 1, SIEVE_SCRIPT_MAX + 1, f);
	if (ferror(f)) {
		free(text);
		ctl_fail(ctx, "cannot read %s: %s", what, strerror(errno));
		return NULL;
	}
	if (len > SIEVE_SCRIPT_MAX) {
		free(text);
		ctl_fail(ctx, "%s is longer than %d bytes", what, SIEVE_SCRIPT_MAX);
		return NULL;
	}
	text[len] = '\0';
	*len_r = len;
	return text;
}

/* Compile text; CTL_EXIT_OK or ctl_fail with the line-numbered error. */
static int ctl_sieve_compile(struct ctl_context *ctx, const char *text, size_t len,
			     const char *what)
{
	struct sieve_script *script = NULL;
	char error[SIEVE_ERROR_MAX];
	if (sieve_compile(text, len, &script, error) < 0) {
		char printable[SIEVE_ERROR_MAX];
		return ctl_fail(ctx, "%s: %s", what, ctl_printable(error, printable,
								    sizeof(printable)));
	}
	sieve_script_free(&script);
	return CTL_EXIT_OK;
}

/* Storage results every verb on a named script maps the same way. */
static int ctl_sieve_result(struct ctl_context *ctx, enum storage_result res, const char *name,
			    const char *what, const char *error)
{
	char printable[STORAGE_SIEVE_NAME_MAX * 4 + 8];
	switch (res) {
	case STORAGE_OK:
		return CTL_EXIT_OK;
	case STORAGE_ERR_NOTFOUND:
		return ctl_fail(ctx, "no script '%s'", ctl_printable(name, printable,
								     sizeof(printable)));
	case STORAGE_ERR_EXISTS:
		return ctl_fail(ctx, "script '%s' is active (deactivate it first)",
				ctl_printable(name, printable, sizeof(printable)));
	case STORAGE_ERR_INVALID:
		return ctl_fail(ctx, "%s: %s", what, error != NULL ? error : "invalid");
	default:
		return ctl_fail_storage(ctx, what, res, error);
	}
}

int ctl_sieve_list(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct storage_user user;
	int ret = ctl_user_args(ctx, argc, argv, 1, 1, pos, &user);
	if (ret != CTL_EXIT_OK)
		return ret;
	struct ctl_sieve_rows list = { 0 };
	const char *error = NULL;
	enum storage_result res = storage_sieve_list(ctx->conn, user.id, ctl_sieve_collect, &list,
						     &error);
	if (res == STORAGE_OK) {
		for (size_t i = 0; i < list.count; i++) {
			char printable[STORAGE_SIEVE_NAME_MAX * 4 + 8];
			fprintf(ctx->out, "%s\t%zu\t%s\n",
				ctl_printable(list.rows[i].name, printable, sizeof(printable)),
				list.rows[i].size, list.rows[i].active ? "active" : "-");
		}
	}
	for (size_t i = 0; i < list.count; i++)
		free(list.names[i]);
	free(list.names);
	free(list.rows);
	return res == STORAGE_OK ? CTL_EXIT_OK :
	       ctl_fail_storage(ctx, "cannot list the scripts", res, error);
}

int ctl_sieve_put(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	struct storage_user user;
	int ret = ctl_user_args(ctx, argc, argv, 2, 2, pos, &user);
	if (ret != CTL_EXIT_OK)
		return ret;
	size_t len = 0;
	char *text = ctl_sieve_read(ctx, stdin, "the script (stdin)", &len);
	if (text == NULL)
		return CTL_EXIT_FAIL;
	ret = ctl_sieve_compile(ctx, text, len, "script refused");
	if (ret == CTL_EXIT_OK) {
		const char *error = NULL;
		enum storage_result res = storage_sieve_put(ctx->conn, user.id, pos[1], text, len,
							    &error);
		ret = ctl_sieve_result(ctx, res, pos[1], "cannot store the script", error);
	}
	free(text);
	return ret;
}

int ctl_sieve_get(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[2];
	struct storage_user user;
	int ret = ctl_user_args(ctx, argc, argv, 2, 2, pos, &user);
	if (ret != CTL_EXIT_OK)
		return ret;
	char *text = NULL;
	size_t len = 0;
	bool active;
	const char *error = NULL;
	enum storage_result res = storage_sieve_get(ctx->conn, user.id, pos[1], &text, &len,
						    &active, &error);
	if (res != STORAGE_OK)
		return ctl_sieve_result(ctx, res, pos[1], "cannot read the script", error);
	fwrite(text, 1, len, ctx->out);
	free(text);
	return CTL_EXIT_OK;
}

typedef enum storage_result ctl_sieve_change_fn(struct storage_conn *conn, int64_t user_id,
						 const char *name, const char **error_r);

/* The verbs that change which script is active or remove one: ADDRESS
 * NAME, or ADDRESS alone (change gets name NULL) when named is false. */
static int ctl_sieve_change(struct ctl_context *ctx, int argc, char **argv, bool named,
			    ctl_sieve_change_fn *change, const char *what)
{
	const char *pos[2] = { NULL, NULL };
	struct storage_user user;
	int ret = ctl_user_args(ctx, argc, argv, named ? 2 : 1, named ? 2 : 1, pos, &user);
	if (ret != CTL_EXIT_OK)
		return ret;
	const char *error = NULL;
	enum storage_result res = change(ctx->conn, user.id, pos[1], &error);
	return ctl_sieve_result(ctx, res, named ? pos[1] : "", what, error);
}

int ctl_sieve_activate(struct ctl_context *ctx, int argc, char **argv)
{
	return ctl_sieve_change(ctx, argc, argv, true, storage_sieve_activate,
				"cannot activate the script");
}

int ctl_sieve_deactivate(struct ctl_context *ctx, int argc, char **argv)
{
	return ctl_sieve_change(ctx, argc, argv, false, storage_sieve_activate,
				"cannot deactivate");
}

int ctl_sieve_delete(struct ctl_context *ctx, int argc, char **argv)
{
	return ctl_sieve_change(ctx, argc, argv, true, storage_sieve_delete,
				"cannot delete the script");
}

int ctl_sieve_check(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 1, 1, pos, &count)) != CTL_EXIT_OK)
		return ret;
	bool use_stdin = strcmp(pos[0], "-") == 0;
	FILE *f = use_stdin ? stdin : fopen(pos[0], "r");
	char printable[CTL_ARG_MAX + 8];
	if (f == NULL)
		return ctl_fail(ctx, "cannot open '%s': %s",
				ctl_printable(pos[0], printable, sizeof(printable)), strerror(errno));
	size_t len = 0;
	char *text = ctl_sieve_read(ctx, f, use_stdin ? "stdin" : pos[0], &len);
	if (!use_stdin)
		fclose(f);
	if (text == NULL)
		return CTL_EXIT_FAIL;
	ret = ctl_sieve_compile(ctx, text, len, use_stdin ? "stdin" : pos[0]);
	free(text);
	if (ret == CTL_EXIT_OK)
		fprintf(ctx->out, "ok\n");
	return ret;
}
