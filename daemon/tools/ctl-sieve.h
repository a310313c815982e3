/* ctl-sieve.h - tandemctl's `sieve` verbs (ctl-sieve.c): a user's Sieve
 * scripts as ManageSieve sees them, for administrators and tests. */
#ifndef TANDEM_CTL_SIEVE_H
#define TANDEM_CTL_SIEVE_H

#include "ctl.h"

int ctl_sieve_list(struct ctl_context *ctx, int argc, char **argv);
int ctl_sieve_put(struct ctl_context *ctx, int argc, char **argv);
int ctl_sieve_get(struct ctl_context *ctx, int argc, char **argv);
int ctl_sieve_activate(struct ctl_context *ctx, int argc, char **argv);
int ctl_sieve_deactivate(struct ctl_context *ctx, int argc, char **argv);
int ctl_sieve_delete(struct ctl_context *ctx, int argc, char **argv);
int ctl_sieve_check(struct ctl_context *ctx, int argc, char **argv);

#endif
