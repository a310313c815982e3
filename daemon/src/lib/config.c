/* config.c - parse tandemd's `key = value` configuration (see config.h).
 * Unknown keys and malformed values are errors naming the line: a typo in a
 * mail server's config must stop it at start, not be ignored. */
#include "config.h"
#include "log.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum config_type { CONFIG_TYPE_STRING, CONFIG_TYPE_UINT, CONFIG_TYPE_SIZE, CONFIG_TYPE_BOOL };

struct config_key_def {
	const char *name;
	enum config_type type;
	const char *def;
	const char *doc;
	size_t offset;
};

static const struct config_key_def config_keys[] = {
#define CONFIG_KEY(name, type, def, doc) \
	{ #name, CONFIG_TYPE_##type, def, doc, offsetof(struct tandem_config, name) },
#include "config-keys.h"
#undef CONFIG_KEY
};
#define CONFIG_KEY_COUNT (sizeof(config_keys) / sizeof(config_keys[0]))

static int parse_uint(const char *value, bool size_suffix, uint64_t *out)
{
	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	char *end;
	/* base 0 so modes can be written in octal (0660) */
	unsigned long long v = strtoull(value, &end, size_suffix ? 10 : 0);
	if (errno != 0)
		return -1;
	uint64_t mult = 1;
	if (size_suffix && *end != '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1024ULL; break;
		case 'M': mult = 1024ULL * 1024; break;
		case 'G': mult = 1024ULL * 1024 * 1024; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0' || (v != 0 && mult > UINT64_MAX / v))
		return -1;
	*out = (uint64_t)v * mult;
	return 0;
}

static int config_apply(struct tandem_config *cfg, const struct config_key_def *k,
			const char *value, char **error_r)
{
	void *field = (char *)cfg + k->offset;
	switch (k->type) {
	case CONFIG_TYPE_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case CONFIG_TYPE_UINT:
	case CONFIG_TYPE_SIZE:
		if (parse_uint(value, k->type == CONFIG_TYPE_SIZE, (uint64_t *)field) < 0) {
			*error_r = xasprintf("%s: '%s' is not a %s", k->name, value,
					     k->type == CONFIG_TYPE_SIZE ?
					     "size (a number, optionally with K, M or G)" :
					     "non-negative number");
			return -1;
		}
		return 0;
	case CONFIG_TYPE_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0)
			*(bool *)field = true;
		else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 ||
			 strcmp(value, "0") == 0)
			*(bool *)field = false;
		else {
			*error_r = xasprintf("%s: '%s' is not yes or no", k->name, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

void config_init_defaults(struct tandem_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		char *error = NULL;
		if (config_apply(cfg, &config_keys[i], config_keys[i].def, &error) < 0)
			fatal("bad built-in default: %s", error);
	}
}

int config_set(struct tandem_config *cfg, const char *key, const char *value, char **error_r)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (strcmp(config_keys[i].name, key) == 0)
			return config_apply(cfg, &config_keys[i], value, error_r);
	}
	char safe[128];
	*error_r = xasprintf("unknown key '%s'", log_printable(key, strlen(key), safe, sizeof(safe)));
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

int config_parse_file(const char *path, config_line_fn *fn, void *context, char **error_r)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error_r = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int ret = 0;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			*error_r = xasprintf("%s:%u: expected 'key = value'", path, lineno);
			ret = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		size_t vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		char *error = NULL;
		if (fn(key, value, context, &error) < 0) {
			*error_r = xasprintf("%s:%u: %s", path, lineno, error);
			free(error);
			ret = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

static int config_set_line(const char *key, const char *value, void *context, char **error_r)
{
	return config_set(context, key, value, error_r);
}

int config_read_file(struct tandem_config *cfg, const char *path, char **error_r)
{
	return config_parse_file(path, config_set_line, cfg, error_r);
}

int config_validate(const struct tandem_config *cfg, char **error_r)
{
	enum log_level level;
	if (strcmp(cfg->database_driver, "sqlite") != 0 && strcmp(cfg->database_driver, "pgsql") != 0) {
		*error_r = xasprintf("database_driver: '%s' is not sqlite or pgsql", cfg->database_driver);
		return -1;
	}
	if (strcmp(cfg->database_driver, "pgsql") == 0 && cfg->pgsql_uri[0] == '\0') {
		*error_r = xasprintf("pgsql_uri: must be set when database_driver is pgsql");
		return -1;
	}
	if (strcmp(cfg->database_driver, "sqlite") == 0 && cfg->sqlite_path[0] == '\0') {
		*error_r = xasprintf("sqlite_path: must be set when database_driver is sqlite");
		return -1;
	}
	if (strcmp(cfg->log_target, "stderr") != 0 && strcmp(cfg->log_target, "syslog") != 0) {
		*error_r = xasprintf("log_target: '%s' is not stderr or syslog", cfg->log_target);
		return -1;
	}
	if (log_level_parse(cfg->log_level, &level) < 0) {
		*error_r = xasprintf("log_level: '%s' is not error, warning, info or debug", cfg->log_level);
		return -1;
	}
	if (cfg->max_line_length < 512) {
		*error_r = xasprintf("max_line_length: must be at least 512 (RFC 5321)");
		return -1;
	}
	if (cfg->max_recipients < 100) {
		*error_r = xasprintf("max_recipients: must be at least 100 (RFC 5321)");
		return -1;
	}
	if (cfg->commit_batch_max == 0) {
		*error_r = xasprintf("commit_batch_max: must be at least 1");
		return -1;
	}
	return 0;
}

void config_free(struct tandem_config *cfg)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (config_keys[i].type == CONFIG_TYPE_STRING) {
			char **field = (char **)((char *)cfg + config_keys[i].offset);
			free(*field);
			*field = NULL;
		}
	}
}

void config_write_doc(FILE *out)
{
	fprintf(out, "| key | default | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++)
		fprintf(out, "| `%s` | `%s` | %s |\n", config_keys[i].name,
			config_keys[i].def, config_keys[i].doc);
}
