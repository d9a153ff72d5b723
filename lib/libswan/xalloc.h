/* xalloc.h: allocation that cannot fail from the caller's point of view.
 * Running out of memory while loading a config is not something a caller
 * can act on, so these abort instead of spreading NULL checks everywhere. */
#ifndef XALLOC_H
#define XALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *xalloc_check(void *p)
{
	if (p == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

static inline void *xzalloc(size_t size)
{
	return xalloc_check(calloc(1, size ? size : 1));
}

static inline char *xstrdup(const char *s)
{
	return xalloc_check(strdup(s));
}

static inline char *xstrndup(const char *s, size_t n)
{
	return xalloc_check(strndup(s, n));
}

/* Makes room for one more element in a growing array. */
static inline void *xgrow(void *array, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return array;
	size_t new_cap = *cap ? *cap * 2 : 8;
	void *p = xalloc_check(reallocarray(array, new_cap, elem));
	*cap = new_cap;
	return p;
}

#endif
