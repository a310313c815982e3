/* config.h - tandemd's configuration: a struct with one field per key of
 * config-keys.h, filled with defaults and then from a `key = value` file.
 * Parsing only; what a value means is checked by its user. */
#ifndef TANDEM_CONFIG_H
#define TANDEM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_CTYPE_STRING char *
#define CONFIG_CTYPE_UINT uint64_t
#define CONFIG_CTYPE_SIZE uint64_t
#define CONFIG_CTYPE_BOOL bool

struct tandem_config {
#define CONFIG_KEY(name, type, def, doc) CONFIG_CTYPE_##type name;
#include "config-keys.h"
#undef CONFIG_KEY
};

/* Fill every key with its default. */
void config_init_defaults(struct tandem_config *cfg);
/* Read FILE over the current values. On failure *error_r is an allocated
 * message naming the file and line ("FILE:LINE: ..."), caller frees. */
int config_read_file(struct tandem_config *cfg, const char *path, char **error_r);
/* Read a `key = value` file (blank lines and # comments skipped, values
 * trimmed, one pair of surrounding double quotes removed) calling fn for
 * each pair; fn fails with an allocated *error_r, which comes back as
 * "FILE:LINE: error". Used for tandemd's file and the LDAP domain files. */
typedef int config_line_fn(const char *key, const char *value, void *context, char **error_r);
int config_parse_file(const char *path, config_line_fn *fn, void *context, char **error_r);
/* Set one key from text (same rules as a file line). */
int config_set(struct tandem_config *cfg, const char *key, const char *value, char **error_r);
/* Check values that have a closed set of meanings (driver, log level...). */
int config_validate(const struct tandem_config *cfg, char **error_r);
void config_free(struct tandem_config *cfg);
/* Print the keys as a Markdown table (the README's configuration table). */
void config_write_doc(FILE *out);

#endif
