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

/* Room for one more element in a growing array: returns the array, moved
 * if needed, with *cap > count (doubling, from 8). */
void *xarray_grow(void *array, size_t count, size_t *cap, size_t elem_size);
/* Append to a growing array (fields array, count, cap): evaluates to a
 * pointer to the new last element, e.g. *XARRAY_PUSH(v, n, cap) = x; */
#define XARRAY_PUSH(array, count, cap) \
	((array) = xarray_grow((array), (count), &(cap), sizeof(*(array))), &(array)[(count)++])

/* Print a message and abort: for states that cannot continue. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
