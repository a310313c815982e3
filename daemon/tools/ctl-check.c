/* ctl-check.c - tandemctl's database-wide verbs: `check [--repair]`
 * (integrity), `migrate` (schema upgrades) and `stats` (counts and the
 * single-instance saving).
 *
 * check prints each problem on its own line and exits 1 while problems
 * remain; with --repair it fixes them (storage_check) and checks again.
 */
#include "ctl.h"

#include <inttypes.h>

struct ctl_check_state {
	struct ctl_context *ctx;
	const char *prefix; /* printed before each problem */
};

static void ctl_check_report(const char *problem, void *context)
{
	struct ctl_check_state *state = context;
	char safe[1024];
	fprintf(state->ctx->out, "%s%s\n", state->prefix, ctl_printable(problem, safe, sizeof(safe)));
}

int ctl_check(struct ctl_context *ctx, int argc, char **argv)
{
	bool repair = false;
	const struct ctl_option options[] = { { "--repair", false, &repair, NULL } };
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, options, 1, 0, 0, pos, &count)) != CTL_EXIT_OK)
		return ret;

	struct ctl_check_state state = { ctx, repair ? "repaired: " : "" };
	unsigned problems = 0;
	const char *error = NULL;
	enum storage_result res = storage_check(ctx->conn, repair, ctl_check_report, &state,
						&problems, &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, repair ? "repair failed" : "check failed", res, error);
	if (!repair) {
		if (problems == 0) {
			fprintf(ctx->out, "no problems found\n");
			return CTL_EXIT_OK;
		}
		fprintf(ctx->out, "%u problem%s found (tandemctl check --repair fixes them)\n",
			problems, problems == 1 ? "" : "s");
		return CTL_EXIT_FAIL;
	}

	/* what the repair could not fix */
	unsigned found = problems;
	state.prefix = "remaining: ";
	problems = 0;
	res = storage_check(ctx->conn, false, ctl_check_report, &state, &problems, &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "check after repair failed", res, error);
	if (problems > 0) {
		fprintf(ctx->out, "%u problem%s found, %u remaining\n", found, found == 1 ? "" : "s",
			problems);
		return CTL_EXIT_FAIL;
	}
	if (found == 0)
		fprintf(ctx->out, "no problems found\n");
	else
		fprintf(ctx->out, "%u problem%s repaired\n", found, found == 1 ? "" : "s");
	return CTL_EXIT_OK;
}

int ctl_migrate(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 0, 0, pos, &count)) != CTL_EXIT_OK)
		return ret;
	int from = 0, to = 0;
	const char *error = NULL;
	enum storage_result res = storage_migrate(ctx->conn, &from, &to, &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "migration failed", res, error);
	if (from == to)
		fprintf(ctx->out, "schema version %d -> %d (already up to date)\n", from, to);
	else
		fprintf(ctx->out, "schema version %d -> %d\n", from, to);
	return CTL_EXIT_OK;
}

int ctl_stats(struct ctl_context *ctx, int argc, char **argv)
{
	const char *pos[1];
	int count, ret;
	if ((ret = ctl_parse_args(ctx, argc, argv, NULL, 0, 0, 0, pos, &count)) != CTL_EXIT_OK)
		return ret;
	struct storage_stats st;
	const char *error = NULL;
	enum storage_result res = storage_get_stats(ctx->conn, &st, &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot read statistics", res, error);
	const struct {
		const char *name;
		int64_t value;
	} rows[] = {
		{ "domains", st.domains }, { "users", st.users }, { "aliases", st.aliases },
		{ "mailboxes", st.mailboxes }, { "mails", st.mails }, { "messages", st.messages },
		{ "parts", st.parts }, { "logical_bytes", st.logical_bytes },
		{ "part_bytes", st.part_bytes },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(ctx->out, "%-21s %" PRId64 "\n", rows[i].name, rows[i].value);
	/* How many bytes users see per byte of part bodies stored: above 1 when
	 * copies and shared attachments are stored once. */
	if (st.part_bytes > 0)
		fprintf(ctx->out, "%-21s %.2f\n", "single_instance_ratio",
			(double)st.logical_bytes / (double)st.part_bytes);
	else
		fprintf(ctx->out, "%-21s -\n", "single_instance_ratio");
	return CTL_EXIT_OK;
}
