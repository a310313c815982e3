/* test-config.c - unit tests for config.c: defaults, file parsing, and
 * errors that name the bad line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/tandem-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_defaults(void **state)
{
	(void)state;
	struct tandem_config cfg;
	config_init_defaults(&cfg);
	assert_string_equal(cfg.database_driver, "sqlite");
	assert_int_equal(cfg.max_line_length, 4096);
	assert_int_equal(cfg.unix_socket_mode, 0660);
	char *error = NULL;
	assert_int_equal(config_validate(&cfg, &error), 0);
	config_free(&cfg);
}

struct file_case {
	const char *text;
	int want_ret;
	const char *want_error; /* substring of the error, or NULL */
};

static const struct file_case file_cases[] = {
	{ "# comment\n\nlog_level = debug\n", 0, NULL },
	{ "max_message_size = 10M\n", 0, NULL },
	{ "sqlite_path = \"/tmp/x y.db\"\n", 0, NULL },
	{ "log_level = debug\nno_such_key = 1\n", -1, ":2: unknown key 'no_such_key'" },
	{ "max_recipients = lots\n", -1, ":1: max_recipients: 'lots' is not a non-negative number" },
	{ "max_message_size = 10X\n", -1, ":1: max_message_size: '10X' is not a size" },
	{ "just words\n", -1, ":1: expected 'key = value'" },
	{ "max_recipients = 99999999999999999999999\n", -1, "is not a non-negative number" },
	{ "max_message_size = 99999999999G\n", -1, "is not a size" },
};

static void test_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];
		struct tandem_config cfg;
		config_init_defaults(&cfg);
		char *path = write_temp(c->text);
		char *error = NULL;
		int ret = config_read_file(&cfg, path, &error);
		if (ret != c->want_ret)
			fail_msg("case %zu: got ret %d, want %d (error: %s)", i, ret, c->want_ret,
				 error != NULL ? error : "none");
		if (c->want_error != NULL && (error == NULL || strstr(error, c->want_error) == NULL))
			fail_msg("case %zu: got error '%s', want it to contain '%s'", i,
				 error != NULL ? error : "(none)", c->want_error);
		free(error);
		unlink(path);
		free(path);
		config_free(&cfg);
	}
}

static void test_values(void **state)
{
	(void)state;
	struct tandem_config cfg;
	config_init_defaults(&cfg);
	char *path = write_temp("max_message_size = 10M\nsqlite_path = \"/tmp/x y.db\"\nlog_level=debug\n");
	char *error = NULL;
	assert_int_equal(config_read_file(&cfg, path, &error), 0);
	assert_int_equal(cfg.max_message_size, 10 * 1024 * 1024);
	assert_string_equal(cfg.sqlite_path, "/tmp/x y.db");
	assert_string_equal(cfg.log_level, "debug");
	unlink(path);
	free(path);
	config_free(&cfg);
}

struct validate_case {
	const char *key, *value, *want_error;
};

static const struct validate_case validate_cases[] = {
	{ "database_driver", "mysql", "database_driver: 'mysql' is not sqlite or pgsql" },
	{ "log_level", "loud", "log_level: 'loud'" },
	{ "log_target", "file", "log_target: 'file'" },
	{ "max_line_length", "100", "max_line_length: must be at least 512" },
	{ "commit_batch_max", "0", "commit_batch_max" },
};

static void test_validate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(validate_cases) / sizeof(validate_cases[0]); i++) {
		struct tandem_config cfg;
		config_init_defaults(&cfg);
		char *error = NULL;
		assert_int_equal(config_set(&cfg, validate_cases[i].key, validate_cases[i].value, &error), 0);
		if (config_validate(&cfg, &error) == 0)
			fail_msg("case %zu: got valid, want error '%s'", i, validate_cases[i].want_error);
		if (strstr(error, validate_cases[i].want_error) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, error, validate_cases[i].want_error);
		free(error);
		config_free(&cfg);
	}
	/* pgsql without a URI */
	struct tandem_config cfg;
	config_init_defaults(&cfg);
	char *error = NULL;
	assert_int_equal(config_set(&cfg, "database_driver", "pgsql", &error), 0);
	assert_int_equal(config_validate(&cfg, &error), -1);
	assert_non_null(strstr(error, "pgsql_uri"));
	free(error);
	config_free(&cfg);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct tandem_config cfg;
	config_init_defaults(&cfg);
	char *error = NULL;
	assert_int_equal(config_read_file(&cfg, "/nonexistent/tandem.conf", &error), -1);
	assert_non_null(strstr(error, "/nonexistent/tandem.conf: cannot open"));
	free(error);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
