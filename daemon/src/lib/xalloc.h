/* xalloc.h - allocation that never returns NULL: out of memory is fatal.
 * Callers never check these results; a failed allocation aborts the process
 * with a log line, as the house style demands. */
#ifndef TANDEM_XALLOC_H
#define TANDEM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
void *xmemdup(const void *p, size_t len);
/* printf into a new string */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a message and abort: for states that cannot continue. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
