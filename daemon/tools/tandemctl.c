/* tandemctl.c - main of the administration tool: `tandemctl [-c FILE] VERB
 * ...`. Finds the verb in the table below, reads the same configuration as
 * tandemd (-c FILE, else $TANDEM_CONFIG, else /etc/tandem/tandem.conf), opens
 * storage, runs the verb's handler (ctl-*.c) and returns its exit code:
 * 0 success, 1 failure, 2 usage error.
 *
 * Never reads a password from argv, never touches the database except
 * through storage.h, and never upgrades a database that has a schema (only
 * an empty one gets the current schema, as tandemd does; `migrate` does the
 * rest).
 */
#include "ctl.h"
#include "ctl-sieve.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTL_DEFAULT_CONFIG "/etc/tandem/tandem.conf"

static int ctl_help(struct ctl_context *ctx, int argc, char **argv);

/* Every verb: family, verb (NULL for one word), handler, arguments, what it
 * does, flags (CTL_VERB_*: NO_STORAGE runs without the database, NO_UPGRADE
 * leaves an empty database empty, COMMITTER batches deliveries). */
static const struct ctl_verb ctl_verbs[] = {
	{ "domain", "add", ctl_domain_add, "DOMAIN",
	  "Add a mail domain.", 0 },
	{ "domain", "del", ctl_domain_del, "DOMAIN [--force]",
	  "Delete a domain; refused while it has users or aliases unless --force, which "
	  "deletes them and their mail.", 0 },
	{ "domain", "list", ctl_domain_list, "",
	  "List domains: NAME USERS ALIASES DEFAULT_QUOTA_BYTES DEFAULT_QUOTA_MESSAGES "
	  "(tab-separated).", 0 },
	{ "domain", "quota", ctl_domain_quota, "DOMAIN [BYTES [MESSAGES]]",
	  "Show or set the quota new users of the domain get (BYTES may end in K, M, G or T; "
	  "0 or 'unlimited' for none).", 0 },
	{ "user", "add", ctl_user_add, "ADDRESS [--quota BYTES] [--no-password]",
	  "Add a user with INBOX, Drafts, Sent, Junk, Trash and Archive. The password is one "
	  "line on standard input, or prompted for on a terminal; --no-password makes a user "
	  "without one (e.g. for LDAP).", 0 },
	{ "user", "del", ctl_user_del, "ADDRESS",
	  "Delete a user and all their mail.", 0 },
	{ "user", "passwd", ctl_user_passwd, "ADDRESS",
	  "Set a user's password (standard input or prompted, as for user add).", 0 },
	{ "user", "list", ctl_user_list, "[DOMAIN]",
	  "List users' addresses, one per line.", 0 },
	{ "user", "show", ctl_user_show, "ADDRESS",
	  "Show a user's settings and usage (never the password hash).", 0 },
	{ "user", "quota", ctl_user_quota, "ADDRESS [BYTES [MESSAGES]]",
	  "Show a user's usage and limits, or set the limits.", 0 },
	{ "alias", "add", ctl_alias_add, "ADDRESS TARGET",
	  "Deliver mail for ADDRESS (in a local domain) to TARGET: a local user, another "
	  "alias or an external address.", 0 },
	{ "alias", "del", ctl_alias_del, "ADDRESS [TARGET]",
	  "Delete one target of an alias, or all of them.", 0 },
	{ "alias", "list", ctl_alias_list, "[DOMAIN]",
	  "List aliases: ADDRESS TARGET (tab-separated).", 0 },
	{ "mailbox", "list", ctl_mailbox_list, "USER",
	  "List a user's folders: NAME MESSAGES BYTES SPECIAL_USE (tab-separated).", 0 },
	{ "mailbox", "create", ctl_mailbox_create, "USER NAME",
	  "Create a folder ('/' separates levels).", 0 },
	{ "mailbox", "delete", ctl_mailbox_delete, "USER NAME",
	  "Delete a folder and its mail.", 0 },
	{ "mailbox", "rename", ctl_mailbox_rename, "USER NAME NEWNAME",
	  "Rename a folder and the folders below it.", 0 },
	{ "mailbox", "acl", ctl_mailbox_acl,
	  "list|set|delete USER NAME [IDENTIFIER [RIGHTS]]",
	  "Show or change who else may use a folder: IDENTIFIER is a user's address, 'anyone' "
	  "or 'authenticated'; RIGHTS are RFC 4314 letters of lrswipkxtea ('' removes). list "
	  "prints IDENTIFIER RIGHTS (tab-separated), the owner first.", 0 },
	{ "sieve", "list", ctl_sieve_list, "ADDRESS",
	  "List a user's Sieve scripts: NAME BYTES active|- (tab-separated).", 0 },
	{ "sieve", "put", ctl_sieve_put, "ADDRESS NAME",
	  "Store the script read from stdin as NAME (replacing it); a script that does not "
	  "compile is refused with its line-numbered error.", 0 },
	{ "sieve", "get", ctl_sieve_get, "ADDRESS NAME",
	  "Print a script.", 0 },
	{ "sieve", "activate", ctl_sieve_activate, "ADDRESS NAME",
	  "Make NAME the script run at delivery (at most one is active).", 0 },
	{ "sieve", "deactivate", ctl_sieve_deactivate, "ADDRESS",
	  "Run no script of the user at delivery.", 0 },
	{ "sieve", "delete", ctl_sieve_delete, "ADDRESS NAME",
	  "Delete a script; refused while it is active.", 0 },
	{ "sieve", "check", ctl_sieve_check, "FILE",
	  "Compile a script file (- for stdin) without storing it: ok, or the error.",
	  CTL_VERB_NO_STORAGE },
	{ "import", NULL, ctl_import, "USER PATH [--folder NAME]",
	  "Import a Maildir++ tree, an mbox file or a directory of .mbox files (as export "
	  "writes) into INBOX or NAME; failed messages are reported and the rest imported.",
	  CTL_VERB_COMMITTER },
	{ "export", NULL, ctl_export, "USER DIR",
	  "Write each folder to DIR/<folder>.mbox (mboxrd); never overwrites.", 0 },
	{ "auth", "failures", ctl_auth_failures, "[--user ADDRESS] [--hours N] [--limit N] [--all]",
	  "List recent failed logins (with --all also successful ones) from the auth log, newest first.", 0 },
	{ "check", NULL, ctl_check, "[--repair]",
	  "Check reference counts, orphans, UIDs, modseqs and quota usage; --repair fixes "
	  "what it finds. Exit 1 while problems remain.", 0 },
	{ "migrate", NULL, ctl_migrate, "",
	  "Upgrade the database schema to this version's; prints FROM -> TO.",
	  CTL_VERB_NO_UPGRADE },
	{ "stats", NULL, ctl_stats, "",
	  "Counts of domains, users, mailboxes, messages and parts, bytes, and the "
	  "single-instance ratio.", 0 },
	{ "help", NULL, ctl_help, "",
	  "Show this help.", CTL_VERB_NO_STORAGE },
};
#define CTL_VERB_COUNT (sizeof(ctl_verbs) / sizeof(ctl_verbs[0]))

static void ctl_print_help(FILE *out)
{
	fprintf(out,
		"usage: tandemctl [-c FILE] VERB [ARGUMENTS...]\n"
		"Administer Tandem's users, domains, aliases and mail. FILE is tandemd's "
		"configuration:\n"
		"$TANDEM_CONFIG when set, else " CTL_DEFAULT_CONFIG ".\n\n"
		"verbs:\n");
	for (size_t i = 0; i < CTL_VERB_COUNT; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];
		fprintf(out, "  %s%s%s%s%s\n      %s\n", v->family, v->verb != NULL ? " " : "",
			v->verb != NULL ? v->verb : "", v->usage[0] != '\0' ? " " : "", v->usage,
			v->doc);
	}
	fprintf(out,
		"\nOutput is one item per line for scripts; errors go to stderr as\n"
		"\"tandemctl: VERB: message\". Exit status: 0 done, 1 failed, 2 usage error.\n");
}

static int ctl_help(struct ctl_context *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ctl_print_help(ctx->out);
	return CTL_EXIT_OK;
}

static const struct ctl_verb *ctl_verb_find(const char *family, const char *verb)
{
	for (size_t i = 0; i < CTL_VERB_COUNT; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];
		if (strcmp(v->family, family) != 0)
			continue;
		if (v->verb == NULL || (verb != NULL && strcmp(v->verb, verb) == 0))
			return v;
	}
	return NULL;
}

static bool ctl_family_exists(const char *family)
{
	for (size_t i = 0; i < CTL_VERB_COUNT; i++) {
		if (strcmp(ctl_verbs[i].family, family) == 0)
			return true;
	}
	return false;
}

/* "tandemctl: user: missing verb (add, del, ...)" */
static int ctl_family_usage(const char *family, const char *verb)
{
	char safe[128];
	if (verb == NULL)
		fprintf(stderr, "tandemctl: %s: missing verb (", family);
	else
		fprintf(stderr, "tandemctl: %s: unknown verb '%s' (", family,
			ctl_printable(verb, safe, sizeof(safe)));
	const char *sep = "";
	for (size_t i = 0; i < CTL_VERB_COUNT; i++) {
		if (strcmp(ctl_verbs[i].family, family) == 0) {
			fprintf(stderr, "%s%s", sep, ctl_verbs[i].verb);
			sep = ", ";
		}
	}
	fprintf(stderr, ")\n");
	return CTL_EXIT_USAGE;
}

/* Read the configuration; CTL_EXIT_OK or reports. */
static int ctl_load_config(struct ctl_context *ctx, const char *path)
{
	bool explicit = path != NULL;
	if (!explicit) {
		const char *env = getenv("TANDEM_CONFIG");
		explicit = env != NULL && env[0] != '\0';
		path = explicit ? env : CTL_DEFAULT_CONFIG;
	}
	config_init_defaults(ctx->config);
	/* without any configuration file, the built-in defaults */
	if (!explicit && access(path, F_OK) < 0 && errno == ENOENT)
		return CTL_EXIT_OK;
	char *error = NULL;
	if (config_read_file(ctx->config, path, &error) < 0 ||
	    config_validate(ctx->config, &error) < 0) {
		int ret = ctl_fail(ctx, "%s", error);
		free(error);
		return ret;
	}
	return CTL_EXIT_OK;
}

/* Create the schema of an empty database; refuse one at another version. */
static int ctl_check_schema(struct ctl_context *ctx)
{
	int version = 0, latest = storage_schema_latest();
	const char *error = NULL;
	enum storage_result res = storage_schema_version(ctx->conn, &version, &error);
	if (res != STORAGE_OK)
		return ctl_fail_storage(ctx, "cannot read the schema version", res, error);
	if (version == 0) {
		int from, to;
		res = storage_migrate(ctx->conn, &from, &to, &error);
		if (res != STORAGE_OK)
			return ctl_fail_storage(ctx, "cannot create the schema", res, error);
		return CTL_EXIT_OK;
	}
	if (version < latest)
		return ctl_fail(ctx, "the database schema is at version %d, this tandemctl needs %d "
				"(run tandemctl migrate)", version, latest);
	if (version > latest)
		return ctl_fail(ctx, "the database schema is at version %d, newer than this "
				"tandemctl knows (%d)", version, latest);
	return CTL_EXIT_OK;
}

static int ctl_open_storage(struct ctl_context *ctx, unsigned flags)
{
	const struct tandem_config *cfg = ctx->config;
	struct storage_settings set = {
		.driver = cfg->database_driver,
		.sqlite_path = cfg->sqlite_path,
		.pgsql_uri = cfg->pgsql_uri,
		.busy_timeout_ms = (unsigned)cfg->busy_timeout_ms,
		.commit_batch_max = (unsigned)cfg->commit_batch_max,
		.fulltext_index = cfg->fulltext_index,
	};
	const char *error = NULL;
	ctx->committer = (flags & CTL_VERB_COMMITTER) != 0;
	int ret = ctx->committer ? storage_init(&set, &ctx->storage, &error) :
				   storage_init_nocommitter(&set, &ctx->storage, &error);
	if (ret < 0)
		return ctl_fail(ctx, "cannot open the database: %s", error != NULL ? error : "?");
	if (storage_connect(ctx->storage, &ctx->conn, &error) < 0)
		return ctl_fail(ctx, "cannot connect to the database: %s",
				error != NULL ? error : "?");
	if ((flags & CTL_VERB_NO_UPGRADE) == 0)
		return ctl_check_schema(ctx);
	return CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	int i = 1;
	for (; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tandemctl: option %s needs a file\n", arg);
				return CTL_EXIT_USAGE;
			}
			config_path = argv[++i];
		} else if (strncmp(arg, "-c", 2) == 0) {
			config_path = arg + 2;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			ctl_print_help(stdout);
			return CTL_EXIT_OK;
		} else if (strcmp(arg, "--") == 0) {
			i++;
			break;
		} else if (arg[0] == '-') {
			char safe[128];
			fprintf(stderr, "tandemctl: unknown option '%s' (tandemctl --help lists "
				"the verbs)\n", ctl_printable(arg, safe, sizeof(safe)));
			return CTL_EXIT_USAGE;
		} else {
			break;
		}
	}
	if (i >= argc) {
		ctl_print_help(stderr);
		return CTL_EXIT_USAGE;
	}

	const char *family = argv[i++];
	char safe[128];
	if (!ctl_family_exists(family)) {
		fprintf(stderr, "tandemctl: unknown verb '%s' (tandemctl --help lists them)\n",
			ctl_printable(family, safe, sizeof(safe)));
		return CTL_EXIT_USAGE;
	}
	const char *verb_word = i < argc ? argv[i] : NULL;
	const struct ctl_verb *verb = ctl_verb_find(family, verb_word);
	if (verb == NULL)
		return ctl_family_usage(family, verb_word);
	if (verb->verb != NULL)
		i++;

	char *verb_name = verb->verb != NULL ? xasprintf("%s %s", verb->family, verb->verb) :
					       xstrdup(verb->family);
	struct tandem_config config;
	struct ctl_context ctx = {
		.verb_name = verb_name,
		.usage = verb->usage,
		.config = &config,
		.out = stdout,
		.err = stderr,
	};
	/* `tandemctl user add --help` */
	for (int j = i; j < argc && strcmp(argv[j], "--") != 0; j++) {
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			printf("usage: tandemctl [-c FILE] %s%s%s\n%s\n", verb_name,
			       verb->usage[0] != '\0' ? " " : "", verb->usage, verb->doc);
			free(verb_name);
			return CTL_EXIT_OK;
		}
	}

	int ret = ctl_load_config(&ctx, config_path);
	if (ret == CTL_EXIT_OK) {
		/* tandemd's log_level is the daemon's: the tool's output stays
		 * clean for scripts, with only warnings and errors */
		log_setup(LOG_TARGET_STDERR, LOG_LEVEL_WARNING, "tandemctl");
		if ((verb->flags & CTL_VERB_NO_STORAGE) == 0)
			ret = ctl_open_storage(&ctx, verb->flags);
	}
	if (ret == CTL_EXIT_OK)
		ret = verb->handler(&ctx, argc - i, argv + i);

	if (ctx.conn != NULL)
		storage_disconnect(&ctx.conn);
	if (ctx.storage != NULL)
		storage_deinit(&ctx.storage);
	config_free(&config);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_fail(&ctx, "cannot write the output: %s", strerror(errno));
		if (ret == CTL_EXIT_OK)
			ret = CTL_EXIT_FAIL;
	}
	free(verb_name);
	return ret;
}
