/* tandemd.c - the Tandem mail daemon's main: command line, configuration,
 * logging, listeners, privileges, storage, worker threads, signals, and the
 * order in which they start and stop.
 *
 * tandemd always runs in the foreground (systemd or Pacemaker supervise it);
 * it never forks into the background. Start order: read and check the
 * configuration, set up logging, mime_init, bind the listeners (as root),
 * write the pid file, drop to run_user, open the storage (starts the group
 * committer, creates the schema), start the workers, start the change
 * listener (PostgreSQL: other processes' changes reach mailbox-events),
 * serve. SIGTERM/SIGINT: stop the change listener, stop listening, let sessions in DATA or waiting on a commit finish (at most
 * shutdown_timeout), close the rest, drain the committer, exit 0. SIGHUP:
 * reopen the log and reload the TLS certificate and key (new connections
 * get the new ones, sessions keep theirs; a bad pair keeps the old one).
 */
#include "buf.h"
#include "config.h"
#include "listener.h"
#include "lmtp/lmtp.h"
#include "imap/imap.h"
#include "pop3/pop3.h"
#include "managesieve/managesieve.h"
#include "sieve/sieve.h"
#include "auth-service.h"
#include "postfix/sasl.h"
#include "postfix/socketmap.h"
#include "policy/policy.h"
#include "log.h"
#include "mailbox-events.h"
#include "mime.h"
#include "net.h"
#include "storage.h"
#include "tls.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef TANDEM_VERSION
#define TANDEM_VERSION "0.1.0"
#endif

#define TANDEMD_DEFAULT_CONFIG "/etc/tandem/tandem.conf"
/* How often shutdown checks whether the last sessions are gone. */
#define TANDEMD_SHUTDOWN_POLL_MSECS 100
/* Limits on values config_validate() does not know about. */
#define TANDEMD_MAX_LINE_LENGTH_MAX (1024 * 1024)
#define TANDEMD_MESSAGE_SIZE_MIN 1024
#define TANDEMD_MESSAGE_SIZE_MAX ((uint64_t)1 << 40)

/* Everything the daemon holds; one instance, on main's stack. */
struct tandemd {
	struct tandem_config cfg;
	const char *config_path;
	enum log_target log_target;
	enum log_level log_level;
	char hostname[256];

	struct event_base *base;
	struct lmtp_service *lmtp;
	struct imap_service *imap; /* NULL when imap_listen is empty */
	struct pop3_service *pop3; /* NULL when pop3_listen and pop3s_listen are empty */
	struct managesieve_service *managesieve; /* NULL when managesieve_listen is empty */
	struct sasl_service *sasl; /* NULL when sasl_listen is empty */
	struct socketmap_service *socketmap; /* NULL when socketmap_listen is empty */
	struct policy_service *policy; /* NULL when policy_listen is empty */
	struct auth_service *auth; /* password checks and lookups, off the loops */
	struct net_server *net;
	struct tls_context *tls;   /* NULL when tls_cert_file is empty */
	struct storage *storage;
	struct storage_listener *listener; /* changes by other processes (PostgreSQL) */
	struct event *signals[3];
	struct event *shutdown_timer;
	bool stopping;
	struct timespec shutdown_deadline;
	bool pid_file_written;
};

static void tandemd_usage(FILE *out)
{
	fprintf(out,
		"usage: tandemd [-c FILE] [-t] [-f]\n"
		"       tandemd --config-doc\n"
		"  -c, --config FILE  configuration file (default " TANDEMD_DEFAULT_CONFIG ")\n"
		"  -t, --test         check the configuration and the database, print \"config OK\"\n"
		"  -f, --foreground   accepted for compatibility: tandemd never daemonizes\n"
		"      --config-doc   print the configuration keys as a Markdown table\n"
		"  -V, --version      print the version\n");
}

/* ---- configuration ---- */

/* The last line of path that sets key (0 if none): to point errors found
 * after parsing at their line. */
static unsigned tandemd_config_key_line(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0, found = 0;
	size_t keylen = strlen(key);
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		const char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, key, keylen) != 0)
			continue;
		s += keylen;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '=')
			found = lineno;
	}
	free(line);
	fclose(f);
	return found;
}

/* Print "tandemd: FILE:LINE: MESSAGE" for a message that starts "key: ". */
static void tandemd_config_error(const char *path, const char *message)
{
	char key[64];
	size_t n = strcspn(message, ":");
	unsigned line = 0;
	if (message[n] == ':' && n < sizeof(key)) {
		memcpy(key, message, n);
		key[n] = '\0';
		line = tandemd_config_key_line(path, key);
	}
	if (line != 0)
		fprintf(stderr, "tandemd: %s:%u: %s\n", path, line, message);
	else
		fprintf(stderr, "tandemd: %s: %s\n", path, message);
}

static unsigned tandemd_uint(uint64_t value)
{
	return value > UINT_MAX ? UINT_MAX : (unsigned)value;
}

/* The policy service's settings (greylisting, DNSBL) from the keys. */
static void tandemd_policy_settings(const struct tandem_config *cfg, struct policy_settings *set)
{
	*set = (struct policy_settings){
		.greylist_mode = cfg->greylist_mode,
		.greylist_delay = tandemd_uint(cfg->greylist_delay),
		.greylist_retry_window = tandemd_uint(cfg->greylist_retry_window),
		.greylist_autowhitelist_count = tandemd_uint(cfg->greylist_autowhitelist_count),
		.greylist_autowhitelist_days = tandemd_uint(cfg->greylist_autowhitelist_days),
		.greylist_ipv4_prefix = tandemd_uint(cfg->greylist_ipv4_prefix),
		.greylist_ipv6_prefix = tandemd_uint(cfg->greylist_ipv6_prefix),
		.greylist_whitelist_networks = cfg->greylist_whitelist_networks,
		.greylist_whitelist_domains = cfg->greylist_whitelist_domains,
		.dnsbl_zones = cfg->dnsbl_zones,
		.dnsbl_threshold = tandemd_uint(cfg->dnsbl_threshold),
		.dnsbl_resolver = cfg->dnsbl_resolver,
		.dnsbl_timeout_ms = tandemd_uint(cfg->dnsbl_timeout_ms),
	};
}

/* The policy keys make sense (checked even when policy_listen is empty, so
 * turning it on later cannot fail). *error_r allocated. */
static int tandemd_check_policy(const struct tandem_config *cfg, char **error_r)
{
	struct policy_settings set;
	struct policy_service *service;
	tandemd_policy_settings(cfg, &set);
	if (policy_service_create(&set, &service, error_r) < 0)
		return -1;
	policy_service_free(&service);
	return 0;
}

/* A listener list key, when set, parses. *error_r allocated. */
static int tandemd_check_listen(const char *key, const char *value, char **error_r)
{
	struct net_listen_spec specs[NET_LISTENERS_MAX];
	size_t count;
	char *error;
	if (value[0] == '\0' ||
	    net_listen_specs_parse(value, specs, NET_LISTENERS_MAX, &count, &error) == 0)
		return 0;
	*error_r = xasprintf("%s: %s", key, error);
	free(error);
	return -1;
}

/* Checks of values whose meaning lives in this daemon. *error_r allocated,
 * starting with the key's name. */
static int tandemd_config_check(const struct tandem_config *cfg, char **error_r)
{
	struct net_listen_spec specs[NET_LISTENERS_MAX];
	size_t count;
	char *error;
	if (net_listen_specs_parse(cfg->lmtp_listen, specs, NET_LISTENERS_MAX, &count, &error) < 0) {
		*error_r = xasprintf("lmtp_listen: %s", error);
		free(error);
		return -1;
	}
	if (cfg->imap_listen[0] != '\0' &&
	    net_listen_specs_parse(cfg->imap_listen, specs, NET_LISTENERS_MAX, &count, &error) < 0) {
		*error_r = xasprintf("imap_listen: %s", error);
		free(error);
		return -1;
	}
	if (cfg->imaps_listen[0] != '\0' &&
	    net_listen_specs_parse(cfg->imaps_listen, specs, NET_LISTENERS_MAX, &count, &error) < 0) {
		*error_r = xasprintf("imaps_listen: %s", error);
		free(error);
		return -1;
	}
	if (tandemd_check_listen("pop3_listen", cfg->pop3_listen, error_r) < 0 ||
	    tandemd_check_listen("pop3s_listen", cfg->pop3s_listen, error_r) < 0)
		return -1;
	if (cfg->pop3s_listen[0] != '\0' && cfg->tls_cert_file[0] == '\0') {
		*error_r = xasprintf("pop3s_listen: implicit TLS needs tls_cert_file and tls_key_file");
		return -1;
	}
	if (cfg->pop3_idle_timeout == 0 || cfg->pop3_idle_timeout > 86400) {
		*error_r = xasprintf("pop3_idle_timeout: out of range (1 to 86400)");
		return -1;
	}
	if (tandemd_check_listen("managesieve_listen", cfg->managesieve_listen, error_r) < 0)
		return -1;
	if (cfg->managesieve_idle_timeout == 0 || cfg->managesieve_idle_timeout > 86400) {
		*error_r = xasprintf("managesieve_idle_timeout: out of range (1 to 86400)");
		return -1;
	}
	if (cfg->sieve_max_script_size == 0 || cfg->sieve_max_script_size > SIEVE_SCRIPT_MAX) {
		*error_r = xasprintf("sieve_max_script_size: out of range (1 to %d)", SIEVE_SCRIPT_MAX);
		return -1;
	}
	if (cfg->sieve_max_scripts == 0 || cfg->sieve_max_scripts > 10000) {
		*error_r = xasprintf("sieve_max_scripts: out of range (1 to 10000)");
		return -1;
	}
	if (tandemd_check_listen("policy_listen", cfg->policy_listen, error_r) < 0 ||
	    tandemd_check_policy(cfg, error_r) < 0)
		return -1;
	if (cfg->imaps_listen[0] != '\0' && cfg->tls_cert_file[0] == '\0') {
		*error_r = xasprintf("imaps_listen: implicit TLS needs tls_cert_file and tls_key_file");
		return -1;
	}
	if ((cfg->tls_cert_file[0] == '\0') != (cfg->tls_key_file[0] == '\0')) {
		*error_r = xasprintf("%s: set tls_cert_file and tls_key_file together",
				     cfg->tls_cert_file[0] == '\0' ? "tls_key_file" : "tls_cert_file");
		return -1;
	}
	int tls_version;
	if (tls_protocol_parse(cfg->tls_min_protocol, &tls_version) < 0) {
		*error_r = xasprintf("tls_min_protocol: '%s' is not TLSv1.2 or TLSv1.3",
				     cfg->tls_min_protocol);
		return -1;
	}
	if (cfg->imap_idle_timeout == 0 || cfg->imap_idle_timeout > 86400 ||
	    cfg->imap_preauth_timeout == 0 || cfg->imap_preauth_timeout > 3600) {
		*error_r = xasprintf("imap_%s_timeout: out of range", cfg->imap_preauth_timeout == 0 ||
				     cfg->imap_preauth_timeout > 3600 ? "preauth" : "idle");
		return -1;
	}
	if (cfg->imap_max_literal_size < 64 * 1024 ||
	    cfg->imap_max_literal_size > TANDEMD_MESSAGE_SIZE_MAX) {
		*error_r = xasprintf("imap_max_literal_size: must be between 64K and 1024G");
		return -1;
	}
	if (cfg->unix_socket_mode > 0777) {
		*error_r = xasprintf("unix_socket_mode: must be an octal mode like 0660");
		return -1;
	}
	if (cfg->worker_threads > NET_WORKERS_MAX) {
		*error_r = xasprintf("worker_threads: at most %d", NET_WORKERS_MAX);
		return -1;
	}
	if (cfg->idle_timeout == 0 || cfg->idle_timeout > 86400) {
		*error_r = xasprintf("idle_timeout: must be 1 to 86400 seconds");
		return -1;
	}
	if (cfg->shutdown_timeout > 3600) {
		*error_r = xasprintf("shutdown_timeout: at most 3600 seconds");
		return -1;
	}
	if (cfg->max_line_length > TANDEMD_MAX_LINE_LENGTH_MAX) {
		*error_r = xasprintf("max_line_length: at most %d", TANDEMD_MAX_LINE_LENGTH_MAX);
		return -1;
	}
	if (cfg->max_message_size < TANDEMD_MESSAGE_SIZE_MIN ||
	    cfg->max_message_size > TANDEMD_MESSAGE_SIZE_MAX) {
		*error_r = xasprintf("max_message_size: must be between 1K and 1024G");
		return -1;
	}
	if (cfg->max_recipients > UINT_MAX || cfg->max_connections > UINT_MAX ||
	    cfg->max_connections_per_address > UINT_MAX) {
		*error_r = xasprintf("max_%s: too large",
				     cfg->max_recipients > UINT_MAX ? "recipients" : "connections");
		return -1;
	}
	if (cfg->busy_timeout_ms > UINT_MAX || cfg->commit_batch_max > UINT_MAX) {
		*error_r = xasprintf("%s: too large", cfg->busy_timeout_ms > UINT_MAX ?
				     "busy_timeout_ms" : "commit_batch_max");
		return -1;
	}
	if (cfg->run_user[0] != '\0' && getpwnam(cfg->run_user) == NULL) {
		*error_r = xasprintf("run_user: no such user '%s'", cfg->run_user);
		return -1;
	}
	return 0;
}

static int tandemd_load_config(struct tandemd *d)
{
	char *error = NULL;
	config_init_defaults(&d->cfg);
	if (config_read_file(&d->cfg, d->config_path, &error) < 0) {
		fprintf(stderr, "tandemd: %s\n", error);
		free(error);
		return -1;
	}
	if (config_validate(&d->cfg, &error) < 0 || tandemd_config_check(&d->cfg, &error) < 0) {
		tandemd_config_error(d->config_path, error);
		free(error);
		return -1;
	}
	d->log_target = strcmp(d->cfg.log_target, "syslog") == 0 ? LOG_TARGET_SYSLOG :
			LOG_TARGET_STDERR;
	(void)log_level_parse(d->cfg.log_level, &d->log_level);
	if (d->cfg.hostname[0] != '\0') {
		snprintf(d->hostname, sizeof(d->hostname), "%s", d->cfg.hostname);
	} else if (gethostname(d->hostname, sizeof(d->hostname) - 1) < 0 || d->hostname[0] == '\0') {
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
	}
	return 0;
}

static void tandemd_tls_settings(const struct tandemd *d, struct tls_settings *set)
{
	set->cert_file = d->cfg.tls_cert_file;
	set->key_file = d->cfg.tls_key_file;
	set->min_protocol = d->cfg.tls_min_protocol;
	set->ciphers = d->cfg.tls_ciphers;
	set->ciphersuites = d->cfg.tls_ciphersuites;
}

/* The TLS context when a certificate is configured (d->tls stays NULL
 * otherwise). *error_r allocated. */
static int tandemd_tls_create(struct tandemd *d, char **error_r)
{
	if (d->cfg.tls_cert_file[0] == '\0')
		return 0;
	struct tls_settings set;
	tandemd_tls_settings(d, &set);
	return tls_context_create(&set, &d->tls, error_r);
}

static void tandemd_storage_settings(const struct tandemd *d, struct storage_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->driver = d->cfg.database_driver;
	set->sqlite_path = d->cfg.sqlite_path;
	set->pgsql_uri = d->cfg.pgsql_uri;
	set->busy_timeout_ms = (unsigned)d->cfg.busy_timeout_ms;
	set->commit_batch_max = (unsigned)d->cfg.commit_batch_max;
	set->fulltext_index = d->cfg.fulltext_index;
}

/* -t: the configuration parsed; can the storage be opened? */
static int tandemd_test_config(struct tandemd *d)
{
	struct storage_settings set;
	struct storage *storage = NULL;
	struct storage_conn *conn = NULL;
	const char *error;
	int version = 0;

	char *tls_error = NULL;
	if (tandemd_tls_create(d, &tls_error) < 0) {
		tandemd_config_error(d->config_path, tls_error);
		free(tls_error);
		return -1;
	}
	tls_context_free(&d->tls);

	tandemd_storage_settings(d, &set);
	/* -t never creates a database: on a node whose volume is elsewhere it
	 * would leave a stray file under the mount point (the OCF agent runs
	 * -t). A missing file in an existing directory is what the first start
	 * creates; a missing directory is an error. */
	if (strcmp(d->cfg.database_driver, "sqlite") == 0 &&
	    access(d->cfg.sqlite_path, F_OK) != 0 && errno == ENOENT) {
		char *dir = xstrdup(d->cfg.sqlite_path);
		char *slash = strrchr(dir, '/');
		if (slash != NULL)
			*(slash == dir ? slash + 1 : slash) = '\0';
		int dir_ok = access(slash != NULL ? dir : ".", W_OK | X_OK);
		int dir_errno = errno;
		if (dir_ok != 0) {
			fprintf(stderr, "tandemd: storage: %s: %s\n", slash != NULL ? dir : ".",
				strerror(dir_errno));
			free(dir);
			return -1;
		}
		free(dir);
		printf("config OK (sqlite, %s does not exist yet: the first start creates it)\n",
		       d->cfg.sqlite_path);
		return 0;
	}
	if (storage_init_nocommitter(&set, &storage, &error) != 0) {
		fprintf(stderr, "tandemd: storage: %s\n", error);
		return -1;
	}
	int ret = 0;
	if (storage_connect(storage, &conn, &error) != 0) {
		fprintf(stderr, "tandemd: storage: %s\n", error);
		ret = -1;
	} else if (storage_schema_version(conn, &version, &error) != STORAGE_OK) {
		fprintf(stderr, "tandemd: storage: %s\n", error);
		ret = -1;
	}
	if (conn != NULL)
		storage_disconnect(&conn);
	storage_deinit(&storage);
	if (ret == 0)
		printf("config OK (%s, schema version %d, this build %d)\n", d->cfg.database_driver,
		       version, storage_schema_latest());
	return ret;
}

/* ---- process set-up ---- */

static void tandemd_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int tandemd_write_pid_file(struct tandemd *d)
{
	const char *path = d->cfg.pid_file;
	if (path[0] == '\0')
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error(NULL, "tandemd", "pid_file_failed", "path=%s error=\"%s\"", path,
			  strerror(errno));
		return -1;
	}
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	bool ok = write(fd, text, (size_t)n) == n;
	if (close(fd) < 0 || !ok) {
		log_error(NULL, "tandemd", "pid_file_failed", "path=%s error=\"%s\"", path,
			  strerror(errno));
		return -1;
	}
	d->pid_file_written = true;
	return 0;
}

static int tandemd_drop_privileges(const char *user)
{
	if (user[0] == '\0')
		return 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		log_error(NULL, "tandemd", "privileges_failed", "run_user=%s error=\"no such user\"",
			  user);
		return -1;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid())
			return 0; /* already that user */
		log_error(NULL, "tandemd", "privileges_failed",
			  "run_user=%s error=\"must start as root to switch user\"", user);
		return -1;
	}
	if (setgid(pw->pw_gid) < 0 || initgroups(user, pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_error(NULL, "tandemd", "privileges_failed", "run_user=%s error=\"%s\"", user,
			  strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error(NULL, "tandemd", "privileges_failed", "run_user=%s error=\"could regain root\"",
			  user);
		return -1;
	}
	log_info(NULL, "tandemd", "privileges_dropped", "user=%s uid=%ld gid=%ld", user,
		 (long)pw->pw_uid, (long)pw->pw_gid);
	return 0;
}

/* ---- signals and shutdown ---- */

static double tandemd_secs_until(const struct timespec *when)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(when->tv_sec - now.tv_sec) + (double)(when->tv_nsec - now.tv_nsec) / 1e9;
}

static void tandemd_shutdown_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tandemd *d = arg;
	unsigned conns = net_server_connection_count(d->net);
	unsigned in_flight = lmtp_deliveries_in_flight(d->lmtp);
	if ((conns == 0 && in_flight == 0) || tandemd_secs_until(&d->shutdown_deadline) <= 0) {
		if (conns != 0 || in_flight != 0)
			log_warning(NULL, "tandemd", "shutdown_timeout",
				    "connections=%u deliveries_in_flight=%u", conns, in_flight);
		event_base_loopbreak(d->base);
		return;
	}
	struct timeval tv = { 0, TANDEMD_SHUTDOWN_POLL_MSECS * 1000 };
	evtimer_add(d->shutdown_timer, &tv);
}

static void tandemd_begin_shutdown(struct tandemd *d, const char *signal_name)
{
	if (d->stopping) {
		/* a second signal: stop waiting */
		log_info(NULL, "tandemd", "shutdown_now", "signal=%s", signal_name);
		clock_gettime(CLOCK_MONOTONIC, &d->shutdown_deadline);
		return;
	}
	d->stopping = true;
	log_info(NULL, "tandemd", "shutdown", "signal=%s connections=%u deliveries_in_flight=%u",
		 signal_name, net_server_connection_count(d->net), lmtp_deliveries_in_flight(d->lmtp));
	clock_gettime(CLOCK_MONOTONIC, &d->shutdown_deadline);
	d->shutdown_deadline.tv_sec += (time_t)d->cfg.shutdown_timeout;
	net_server_stop_listening(d->net);
	net_server_shutdown_sessions(d->net);
	struct timeval tv = { 0, TANDEMD_SHUTDOWN_POLL_MSECS * 1000 };
	evtimer_add(d->shutdown_timer, &tv);
}

/* SIGHUP: re-read the certificate and key into a new SSL_CTX and swap it
 * in for new connections only (sessions keep theirs); on error keep the
 * old one and log. */
static void tandemd_reload_tls(struct tandemd *d)
{
	if (d->tls == NULL)
		return;
	char *error = NULL;
	if (tls_context_reload(d->tls, &error) < 0) {
		log_error(NULL, "tandemd", "tls_reload_failed", "error=\"%s\" kept=old", error);
		free(error);
		return;
	}
	char subject[256];
	tls_context_subject(d->tls, subject, sizeof(subject));
	log_info(NULL, "tandemd", "tls_reloaded", "subject=\"%s\"", subject);
}

/* SIGHUP: reopen the log (syslog reconnects), then the TLS hook, then the
 * administrator's Sieve script. */
static void tandemd_reload(struct tandemd *d)
{
	log_setup(d->log_target, d->log_level, "tandemd");
	tandemd_reload_tls(d);
	lmtp_service_reload(d->lmtp);
	log_info(NULL, "tandemd", "reload", "log=reopened");
}

static void tandemd_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct tandemd *d = arg;
	switch (sig) {
	case SIGHUP:
		tandemd_reload(d);
		break;
	case SIGTERM:
		tandemd_begin_shutdown(d, "TERM");
		break;
	case SIGINT:
		tandemd_begin_shutdown(d, "INT");
		break;
	}
}

/* ---- run ---- */

/* The change listener's callback (its own thread): another process (or
 * this one) committed a change to mailbox_id; tell the sessions here. */
static void tandemd_mailbox_changed(int64_t mailbox_id, void *context)
{
	(void)context;
	if (mailbox_id == STORAGE_CHANGED_ALL)
		mailbox_events_changed_all();
	else
		mailbox_events_changed(mailbox_id);
}

static int tandemd_start(struct tandemd *d)
{
	char *error = NULL;
	struct lmtp_settings lmtp_set = {
		.hostname = d->hostname,
		.max_line_length = (size_t)d->cfg.max_line_length,
		.max_message_size = d->cfg.max_message_size,
		.max_recipients = (unsigned)d->cfg.max_recipients,
		.quota_grace_percent = (unsigned)d->cfg.quota_grace_percent,
		.quota_warning_percent = (unsigned)d->cfg.quota_warning_percent,
		.quota_warning_from = d->cfg.quota_warning_from,
		.sieve_admin_script = d->cfg.sieve_admin_script,
		.sendmail_path = d->cfg.sendmail_path,
		.sendmail_config_dir = d->cfg.sendmail_config_dir,
		.sendmail_timeout_secs = (unsigned)d->cfg.sendmail_timeout,
	};
	struct net_settings net_set = {
		.worker_threads = (unsigned)d->cfg.worker_threads,
		.unix_socket_mode = (unsigned)d->cfg.unix_socket_mode,
		.max_connections = (unsigned)d->cfg.max_connections,
		.max_connections_per_address = (unsigned)d->cfg.max_connections_per_address,
		.idle_timeout_secs = (unsigned)d->cfg.idle_timeout,
	};

	signal(SIGPIPE, SIG_IGN);
	tandemd_raise_fd_limit();
	if (evthread_use_pthreads() < 0) {
		log_error(NULL, "tandemd", "start_failed", "error=\"evthread_use_pthreads failed\"");
		return -1;
	}
	d->base = event_base_new();
	if (d->base == NULL) {
		log_error(NULL, "tandemd", "start_failed", "error=\"event_base_new failed\"");
		return -1;
	}

	d->lmtp = lmtp_service_create(&lmtp_set);
	d->net = net_server_create(&net_set);
	/* read while still root: the key is often readable by root only */
	if (tandemd_tls_create(d, &error) < 0) {
		log_error(NULL, "tandemd", "tls_failed", "error=\"%s\"", error);
		free(error);
		return -1;
	}
	net_server_set_tls(d->net, d->tls);
	if (net_server_listen(d->net, lmtp_service_net(d->lmtp), d->cfg.lmtp_listen, &error) < 0) {
		log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
		free(error);
		return -1;
	}
	if (d->cfg.imap_listen[0] != '\0' || d->cfg.imaps_listen[0] != '\0') {
		struct imap_settings imap_set = {
			.hostname = d->hostname,
			.allow_plaintext_auth = d->cfg.imap_allow_plaintext_auth,
			.plaintext_auth_loopback = d->cfg.plaintext_auth_loopback,
			.idle_timeout_secs = (unsigned)d->cfg.imap_idle_timeout,
			.preauth_timeout_secs = (unsigned)d->cfg.imap_preauth_timeout,
			.max_literal_size = d->cfg.imap_max_literal_size,
			.max_output_buffer = d->cfg.imap_max_output_buffer,
		};
		d->imap = imap_service_create(&imap_set);
		if ((d->cfg.imap_listen[0] != '\0' &&
		     net_server_listen(d->net, imap_service_net(d->imap), d->cfg.imap_listen,
				       &error) < 0) ||
		    (d->cfg.imaps_listen[0] != '\0' &&
		     net_server_listen_tls(d->net, imap_service_net(d->imap), d->cfg.imaps_listen,
					   &error) < 0)) {
			log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
			free(error);
			return -1;
		}
	}
	if (d->cfg.pop3_listen[0] != '\0' || d->cfg.pop3s_listen[0] != '\0') {
		struct pop3_settings pop3_set = {
			.allow_plaintext_auth = d->cfg.imap_allow_plaintext_auth,
			.plaintext_auth_loopback = d->cfg.plaintext_auth_loopback,
			.idle_timeout_secs = (unsigned)d->cfg.pop3_idle_timeout,
		};
		d->pop3 = pop3_service_create(&pop3_set);
		if ((d->cfg.pop3_listen[0] != '\0' &&
		     net_server_listen(d->net, pop3_service_net(d->pop3), d->cfg.pop3_listen,
				       &error) < 0) ||
		    (d->cfg.pop3s_listen[0] != '\0' &&
		     net_server_listen_tls(d->net, pop3_service_net(d->pop3), d->cfg.pop3s_listen,
					   &error) < 0)) {
			log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
			free(error);
			return -1;
		}
	}
	if (d->cfg.managesieve_listen[0] != '\0') {
		struct managesieve_settings ms_set = {
			.allow_plaintext_auth = d->cfg.imap_allow_plaintext_auth,
			.plaintext_auth_loopback = d->cfg.plaintext_auth_loopback,
			.idle_timeout_secs = (unsigned)d->cfg.managesieve_idle_timeout,
			.max_script_size = (size_t)d->cfg.sieve_max_script_size,
			.max_scripts = (unsigned)d->cfg.sieve_max_scripts,
		};
		d->managesieve = managesieve_service_create(&ms_set);
		if (net_server_listen(d->net, managesieve_service_net(d->managesieve),
				      d->cfg.managesieve_listen, &error) < 0) {
			log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
			free(error);
			return -1;
		}
	}
	if (d->cfg.sasl_listen[0] != '\0') {
		struct sasl_settings sasl_set = {
			.allow_plaintext = d->cfg.imap_allow_plaintext_auth,
			.plaintext_loopback = d->cfg.plaintext_auth_loopback,
		};
		d->sasl = sasl_service_create(&sasl_set);
		if (net_server_listen(d->net, sasl_service_net(d->sasl), d->cfg.sasl_listen,
				      &error) < 0) {
			log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
			free(error);
			return -1;
		}
	}
	if (d->cfg.socketmap_listen[0] != '\0') {
		d->socketmap = socketmap_service_create();
		if (net_server_listen(d->net, socketmap_service_net(d->socketmap),
				      d->cfg.socketmap_listen, &error) < 0) {
			log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
			free(error);
			return -1;
		}
	}
	if (d->cfg.policy_listen[0] != '\0') {
		struct policy_settings policy_set;
		tandemd_policy_settings(&d->cfg, &policy_set);
		if (policy_service_create(&policy_set, &d->policy, &error) < 0 ||
		    net_server_listen(d->net, policy_service_net(d->policy), d->cfg.policy_listen,
				      &error) < 0) {
			log_error(NULL, "tandemd", "listen_failed", "error=\"%s\"", error);
			free(error);
			return -1;
		}
	}
	if (tandemd_write_pid_file(d) < 0 || tandemd_drop_privileges(d->cfg.run_user) < 0)
		return -1;

	struct storage_settings storage_set;
	const char *storage_error;
	tandemd_storage_settings(d, &storage_set);
	if (storage_init(&storage_set, &d->storage, &storage_error) != 0) {
		log_error(NULL, "tandemd", "storage_failed", "error=\"%s\"", storage_error);
		return -1;
	}
	lmtp_service_set_storage(d->lmtp, d->storage);
	/* the submit queue (Sieve redirect, vacation, quota warnings) and the
	 * administrator's Sieve script */
	if (lmtp_service_start(d->lmtp, &error) < 0) {
		log_error(NULL, "tandemd", "start_failed", "error=\"%s\"", error);
		free(error);
		return -1;
	}
	struct auth_service_settings auth_set = {
		.threads = (unsigned)d->cfg.auth_threads,
		.log_attempts = d->cfg.auth_log_days > 0,
		.log_days = (unsigned)d->cfg.auth_log_days,
		.default_domain = d->cfg.auth_default_domain,
		.ldap_domains_dir = d->cfg.ldap_domains_dir,
	};
	auth_throttle_settings_default(&auth_set.throttle);
	auth_set.throttle.base_delay_ms = (unsigned)d->cfg.auth_failure_delay_ms;
	auth_set.throttle.max_address_delay_ms = (unsigned)d->cfg.auth_failure_delay_max_ms;
	auth_set.throttle.max_account_delay_ms = (unsigned)d->cfg.auth_failure_delay_max_ms / 2;
	if (auth_service_create(d->storage, &auth_set, &d->auth, &error) < 0) {
		log_error(NULL, "tandemd", "auth_failed", "error=\"%s\"", error);
		free(error);
		return -1;
	}
	if (d->imap != NULL)
		imap_service_set_auth(d->imap, d->auth);
	if (d->pop3 != NULL)
		pop3_service_set_auth(d->pop3, d->auth);
	if (d->managesieve != NULL)
		managesieve_service_set_auth(d->managesieve, d->auth);
	lmtp_service_set_auth(d->lmtp, d->auth);
	if (d->sasl != NULL)
		sasl_service_set_auth(d->sasl, d->auth);
	if (d->socketmap != NULL)
		socketmap_service_set_auth(d->socketmap, d->auth);
	if (net_server_start(d->net, d->base, d->storage, &error) < 0) {
		log_error(NULL, "tandemd", "start_failed", "error=\"%s\"", error);
		free(error);
		return -1;
	}
	if (storage_listener_start(d->storage, tandemd_mailbox_changed, d, &d->listener,
				   &storage_error) < 0) {
		log_error(NULL, "tandemd", "start_failed", "error=\"%s\"", storage_error);
		return -1;
	}

	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i], tandemd_signal, d);
		if (d->signals[i] == NULL || evsignal_add(d->signals[i], NULL) < 0) {
			log_error(NULL, "tandemd", "start_failed", "error=\"cannot catch signals\"");
			return -1;
		}
	}
	d->shutdown_timer = evtimer_new(d->base, tandemd_shutdown_poll, d);

	struct buf listeners;
	buf_init(&listeners);
	net_server_describe_listeners(d->net, &listeners);
	log_info(NULL, "tandemd", "started", "version=%s listeners=%s workers=%u driver=%s pid=%ld",
		 TANDEM_VERSION, listeners.len > 0 ? (const char *)listeners.data : "",
		 net_server_worker_count(d->net), d->cfg.database_driver, (long)getpid());
	buf_free(&listeners);
	return 0;
}

/* Stop in order; safe after a partial start. */
static void tandemd_stop(struct tandemd *d)
{
	storage_listener_stop(&d->listener);
	if (d->net != NULL) {
		net_server_stop_listening(d->net);
		/* sessions still open lose their connection; a delivery still in
		 * the committer keeps its session until the callback */
		net_server_stop_workers(d->net);
	}
	/* DNS lookups still in flight belong to the workers' event bases */
	policy_service_stop(d->policy);
	/* answers still queued go to the stopped workers' queues (run below) */
	auth_service_free(&d->auth);
	/* redirects and replies queued after their commit go out (or into
	 * INBOX) while the storage is still there */
	if (d->lmtp != NULL)
		lmtp_service_stop(d->lmtp);
	if (d->storage != NULL)
		storage_deinit(&d->storage); /* finishes what was queued */
	if (d->net != NULL) {
		net_server_run_pending(d->net);
		net_server_free(&d->net);
	}
	lmtp_service_free(&d->lmtp);
	imap_service_free(&d->imap);
	pop3_service_free(&d->pop3);
	managesieve_service_free(&d->managesieve);
	sasl_service_free(&d->sasl);
	socketmap_service_free(&d->socketmap);
	policy_service_free(&d->policy);
	tls_context_free(&d->tls);
	for (size_t i = 0; i < sizeof(d->signals) / sizeof(d->signals[0]); i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	if (d->shutdown_timer != NULL)
		event_free(d->shutdown_timer);
	if (d->base != NULL)
		event_base_free(d->base);
	if (d->pid_file_written)
		(void)unlink(d->cfg.pid_file);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "config-doc", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tandemd d;
	memset(&d, 0, sizeof(d));
	d.config_path = TANDEMD_DEFAULT_CONFIG;
	bool test_only = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:tfVh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 't': test_only = true; break;
		case 'f': break; /* always in the foreground */
		case 'D': config_write_doc(stdout); return 0;
		case 'V': printf("tandemd %s\n", TANDEM_VERSION); return 0;
		case 'h': tandemd_usage(stdout); return 0;
		default: tandemd_usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		tandemd_usage(stderr);
		return 1;
	}

	if (tandemd_load_config(&d) < 0) {
		config_free(&d.cfg);
		return 1;
	}
	if (test_only) {
		int ret = tandemd_test_config(&d);
		config_free(&d.cfg);
		return ret < 0 ? 1 : 0;
	}

	log_setup(d.log_target, d.log_level, "tandemd");
	mime_init();
	int ret = 0;
	if (tandemd_start(&d) < 0)
		ret = 1;
	else
		event_base_dispatch(d.base);
	unsigned in_flight = d.lmtp != NULL ? lmtp_deliveries_in_flight(d.lmtp) : 0;
	tandemd_stop(&d);
	if (ret == 0)
		log_info(NULL, "tandemd", "stopped", "deliveries_in_flight_at_stop=%u", in_flight);
	mime_deinit();
	config_free(&d.cfg);
	return ret;
}
