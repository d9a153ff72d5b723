/* include_glob.h: `include PATTERN` in ipsec.conf and ipsec.secrets.
 *
 * A relative pattern is taken from the including file's directory (not the
 * process's working directory), expanded with glob(3) in sorted order, and
 * every file being read is tracked so that a file including itself,
 * directly or through others, is caught instead of recursing forever. */
#ifndef INCLUDE_GLOB_H
#define INCLUDE_GLOB_H

#include <stdbool.h>
#include <stddef.h>
#include "diag.h"

#define INCLUDE_DEPTH_MAX 16

struct include_stack {
	char *real[INCLUDE_DEPTH_MAX];	/* realpath of each file being read, outermost first */
	int depth;
};

struct include_paths {
	char **paths;
	size_t n;
};

/* The files `include pattern`, written in file from, names. A pattern with
 * wildcards may match nothing (libreswan only warns: think of an empty
 * ipsec.d/); a plain path is returned as it is, so that opening it reports
 * its real error. false only on a glob failure, with the reason in d. */
bool include_expand(const char *from, int line, const char *pattern,
		    struct include_paths *out, struct diag *d);
void include_paths_free(struct include_paths *p);

/* Before reading path (already open): false, with the error in d, when it
 * is already being read or the nesting is too deep. `from`/`line` name the
 * include that asked for it (NULL for the top file). */
bool include_push(struct include_stack *s, const char *path,
		  const char *from, int line, struct diag *d);
void include_pop(struct include_stack *s);

#endif
