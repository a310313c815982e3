/* ctl.h - what tandemctl's verb families share: the verb table entry, the
 * context a handler runs in, and the helpers for arguments and errors
 * (ctl-common.c).
 *
 * A handler checks its arguments, acts through storage.h only, prints its
 * result on stdout and returns the exit code. It never calls exit() and never
 * prints an error other than through ctl_fail()/ctl_usage(), so every error
 * reads "tandemctl: <verb>: <message>".
 */
#ifndef TANDEM_CTL_H
#define TANDEM_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "storage.h"

/* Exit codes. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1  /* the verb failed (or found problems) */
#define CTL_EXIT_USAGE 2 /* bad command line */

/* Verb flags. */
#define CTL_VERB_NO_STORAGE 0x01 /* runs without opening the database (help) */
#define CTL_VERB_NO_UPGRADE 0x02 /* does not create the schema of an empty database first */
#define CTL_VERB_COMMITTER  0x04 /* opens storage with the group committer (batched deliveries) */

struct ctl_context {
	const char *verb_name;        /* "user add", used in messages */
	const char *usage;            /* the verb's argument synopsis */
	struct tandem_config *config;
	struct storage *storage;      /* NULL for CTL_VERB_NO_STORAGE */
	struct storage_conn *conn;
	bool committer;               /* storage was opened with the group committer */
	FILE *out;                    /* results (stdout) */
	FILE *err;                    /* errors (stderr) */
};

/* Returns the process exit code. argv[0] is the first argument after the
 * verb (argc may be 0). */
typedef int ctl_handler(struct ctl_context *ctx, int argc, char **argv);

struct ctl_verb {
	const char *family; /* "user" */
	const char *verb;   /* "add", or NULL for a one-word verb ("import") */
	ctl_handler *handler;
	const char *usage;  /* arguments, e.g. "ADDRESS [--quota BYTES]" */
	const char *doc;    /* one sentence for --help */
	unsigned flags;     /* CTL_VERB_* */
};

/* ---- handlers (one file per family) ---- */
int ctl_domain_add(struct ctl_context *ctx, int argc, char **argv);
int ctl_domain_del(struct ctl_context *ctx, int argc, char **argv);
int ctl_domain_list(struct ctl_context *ctx, int argc, char **argv);
int ctl_domain_quota(struct ctl_context *ctx, int argc, char **argv);

int ctl_user_add(struct ctl_context *ctx, int argc, char **argv);
int ctl_user_del(struct ctl_context *ctx, int argc, char **argv);
int ctl_user_passwd(struct ctl_context *ctx, int argc, char **argv);
int ctl_user_list(struct ctl_context *ctx, int argc, char **argv);
int ctl_user_show(struct ctl_context *ctx, int argc, char **argv);
int ctl_user_quota(struct ctl_context *ctx, int argc, char **argv);

int ctl_alias_add(struct ctl_context *ctx, int argc, char **argv);
int ctl_alias_del(struct ctl_context *ctx, int argc, char **argv);
int ctl_alias_list(struct ctl_context *ctx, int argc, char **argv);

/* A user's mailboxes, INBOX first, then by name (mailbox list, export). */
struct ctl_mailbox_rows {
	struct storage_mailbox *rows;
	size_t count, cap;
};
int ctl_mailboxes_sorted(struct ctl_context *ctx, int64_t user_id, struct ctl_mailbox_rows *list_r);

int ctl_mailbox_list(struct ctl_context *ctx, int argc, char **argv);
int ctl_mailbox_create(struct ctl_context *ctx, int argc, char **argv);
int ctl_mailbox_delete(struct ctl_context *ctx, int argc, char **argv);
int ctl_mailbox_rename(struct ctl_context *ctx, int argc, char **argv);
int ctl_mailbox_acl(struct ctl_context *ctx, int argc, char **argv);

int ctl_import(struct ctl_context *ctx, int argc, char **argv);
int ctl_export(struct ctl_context *ctx, int argc, char **argv);

int ctl_auth_failures(struct ctl_context *ctx, int argc, char **argv);

int ctl_check(struct ctl_context *ctx, int argc, char **argv);
int ctl_migrate(struct ctl_context *ctx, int argc, char **argv);
int ctl_stats(struct ctl_context *ctx, int argc, char **argv);

/* ---- errors (ctl-common.c) ---- */
/* Print "tandemctl: <verb>: <message>" on stderr; returns CTL_EXIT_FAIL. */
int ctl_fail(struct ctl_context *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print the message and the verb's usage line; returns CTL_EXIT_USAGE. */
int ctl_usage(struct ctl_context *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Report a storage failure that has no more specific message:
 * "<what>: <result text>: <detail>"; returns CTL_EXIT_FAIL. */
int ctl_fail_storage(struct ctl_context *ctx, const char *what, enum storage_result result,
		     const char *error);
/* Make untrusted text printable for a message (static-size buffer given). */
const char *ctl_printable(const char *text, char *buf, size_t bufsize);

/* ---- arguments (ctl-common.c) ---- */
/* Longest argument looked at; longer ones are usage errors. */
#define CTL_ARG_MAX 4096
/* Most positional arguments a verb takes. */
#define CTL_POSITIONAL_MAX 8

struct ctl_option {
	const char *name;     /* "--force" */
	bool takes_value;     /* "--quota 10M" or "--quota=10M" */
	bool *given_r;        /* set true when present; may be NULL */
	const char **value_r; /* the value, when takes_value */
};

/* Split argv into the options (in any position; "--" ends them) and between
 * min and max positional arguments, stored in pos_r. Returns CTL_EXIT_OK or
 * CTL_EXIT_USAGE after printing the usage error. */
int ctl_parse_args(struct ctl_context *ctx, int argc, char **argv,
		   const struct ctl_option *options, size_t option_count,
		   int min, int max, const char **pos_r, int *count_r);

/* "123", "10K", "5M", "2G", "1T" (powers of 1024), "0" or "unlimited" -> 0.
 * Returns 0 or -1. */
int ctl_parse_size(const char *text, int64_t *bytes_r);
/* A plain non-negative count, "unlimited" -> 0. */
int ctl_parse_count(const char *text, int64_t *count_r);
/* Normalize an address into out (STORAGE_ADDRESS_MAX + 1 bytes); on error
 * prints "bad address '...': why" and returns CTL_EXIT_FAIL. */
int ctl_address(struct ctl_context *ctx, const char *text, char *out);
/* Lower-cased domain name into out (STORAGE_DOMAIN_MAX + 1 bytes); on error
 * prints "bad domain name" and returns CTL_EXIT_FAIL. */
int ctl_domain_name(struct ctl_context *ctx, const char *text, char *out);

/* ---- lookups that print the usual errors (ctl-common.c) ---- */
/* CTL_EXIT_OK, or prints "unknown user 'x'" / the storage error. */
int ctl_user_lookup(struct ctl_context *ctx, const char *address, struct storage_user *user_r);
/* A verb whose first argument is a user: between min (>= 1) and max
 * positional arguments (no options) into pos_r, and pos_r[0] looked up as
 * ctl_user_lookup() does. */
int ctl_user_args(struct ctl_context *ctx, int argc, char **argv, int min, int max,
		  const char **pos_r, struct storage_user *user_r);
/* CTL_EXIT_OK, or prints "unknown domain 'x'" / the storage error. */
int ctl_domain_lookup(struct ctl_context *ctx, const char *name, struct storage_domain *domain_r);

/* ---- output formatting (ctl-common.c) ---- */
/* "unlimited" for 0, else the number, into buf. */
const char *ctl_limit_str(int64_t value, char *buf, size_t bufsize);
/* Unix time as "YYYY-MM-DDTHH:MM:SSZ". */
const char *ctl_time_str(int64_t unix_time, char *buf, size_t bufsize);

/* ---- passwords (ctl-password.c) ---- */
/* Read a new password: one line from stdin when it is not a terminal, else
 * prompted twice without echo. *password_r is allocated (the caller wipes
 * and frees it), or NULL when stdin was empty. Returns CTL_EXIT_OK or
 * CTL_EXIT_FAIL after printing why. */
int ctl_password_read(struct ctl_context *ctx, char **password_r);
/* Wipe and free a password from ctl_password_read(); sets it to NULL. */
void ctl_password_free(char **password);

#endif
