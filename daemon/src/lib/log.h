/* log.h - event logging: one line per event, to stderr or syslog.
 * Line shape: "<session-id> <proto> <event> key=value ...". Never pass a
 * password; pass client text through log_printable() first.
 * Thread-safe: each line is written with a single call. */
#ifndef TANDEM_LOG_H
#define TANDEM_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_target {
	LOG_TARGET_STDERR = 0,
	LOG_TARGET_SYSLOG,
};

/* Configure logging; safe to call again (e.g. after reading the config). */
void log_setup(enum log_target target, enum log_level level, const char *ident);
/* Parse "error"/"warning"/"info"/"debug"; returns -1 if unknown. */
int log_level_parse(const char *name, enum log_level *level_r);
int log_level_enabled(enum log_level level);

/* sid and proto may be NULL ("-" is written). */
void log_event(enum log_level level, const char *sid, const char *proto,
	       const char *event, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define log_error(sid, proto, event, ...) log_event(LOG_LEVEL_ERROR, sid, proto, event, __VA_ARGS__)
#define log_warning(sid, proto, event, ...) log_event(LOG_LEVEL_WARNING, sid, proto, event, __VA_ARGS__)
#define log_info(sid, proto, event, ...) log_event(LOG_LEVEL_INFO, sid, proto, event, __VA_ARGS__)
#define log_debug(sid, proto, event, ...) \
	do { if (log_level_enabled(LOG_LEVEL_DEBUG)) log_event(LOG_LEVEL_DEBUG, sid, proto, event, __VA_ARGS__); } while (0)

/* Copy at most len bytes of untrusted text into out (size outsize, always
 * NUL-terminated), replacing control and non-ASCII bytes with '?' and
 * truncating with "..." when it does not fit. Returns out. */
char *log_printable(const char *in, size_t len, char *out, size_t outsize);

#endif
