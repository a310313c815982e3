/* log.c - event log lines to stderr or syslog (see log.h).
 * The only state is the log settings below, set at start-up and on reload. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct log_settings {
	enum log_target target;
	enum log_level level;
};

static struct log_settings log_settings = { LOG_TARGET_STDERR, LOG_LEVEL_INFO };

void log_setup(enum log_target target, enum log_level level, const char *ident)
{
	if (log_settings.target == LOG_TARGET_SYSLOG)
		closelog();
	log_settings.target = target;
	log_settings.level = level;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int log_level_parse(const char *name, enum log_level *level_r)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_level_enabled(enum log_level level)
{
	return level <= log_settings.level;
}

void log_event(enum log_level level, const char *sid, const char *proto,
	       const char *event, const char *fmt, ...)
{
	static const char *const level_names[] = { "error", "warning", "info", "debug" };
	static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	if (!log_level_enabled(level))
		return;

	char line[2048];
	int n = snprintf(line, sizeof(line), "%s %s %s ", sid != NULL ? sid : "-",
			 proto != NULL ? proto : "-", event);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line) && fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
	}

	if (log_settings.target == LOG_TARGET_SYSLOG) {
		syslog(syslog_prio[level], "%s", line);
		return;
	}
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	char out[2200];
	int len = snprintf(out, sizeof(out), "%s.%03ldZ %s: %s\n", stamp,
			   ts.tv_nsec / 1000000, level_names[level], line);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(out)) {
		len = (int)sizeof(out) - 1;
		out[len - 1] = '\n';
	}
	/* one write per line keeps lines whole between threads */
	ssize_t ret = write(STDERR_FILENO, out, (size_t)len);
	(void)ret;
}

char *log_printable(const char *in, size_t len, char *out, size_t outsize)
{
	if (outsize == 0)
		return out;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (o + 1 >= outsize) {
			if (outsize > 4)
				memcpy(out + outsize - 4, "...", 3), o = outsize - 1;
			break;
		}
		unsigned char c = (unsigned char)in[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
	return out;
}
