/* include_glob.c: expand include patterns and refuse include loops. */
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include "include_glob.h"
#include "xalloc.h"

/* "dir/of/from/pattern", or the pattern itself when it is absolute or
 * from has no directory part. */
static char *pattern_beside(const char *from, const char *pattern)
{
	const char *slash = strrchr(from, '/');
	if (pattern[0] == '/' || slash == NULL)
		return xstrdup(pattern);
	size_t dirlen = (size_t)(slash - from) + 1;
	char *p = xzalloc(dirlen + strlen(pattern) + 1);
	memcpy(p, from, dirlen);
	strcpy(p + dirlen, pattern);
	return p;
}

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void add_path(struct include_paths *out, size_t *cap, const char *path)
{
	out->paths = xgrow(out->paths, cap, out->n, sizeof(*out->paths));
	out->paths[out->n++] = xstrdup(path);
}

bool include_expand(const char *from, int line, const char *pattern,
		    struct include_paths *out, struct diag *d)
{
	size_t cap = 0;
	out->paths = NULL;
	out->n = 0;
	char *full = pattern_beside(from, pattern);
	if (!has_wildcard(full)) {
		add_path(out, &cap, full);
		free(full);
		return true;
	}
	glob_t g;
	int rc = glob(full, 0, NULL, &g);
	bool ok = true;
	if (rc == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			add_path(out, &cap, g.gl_pathv[i]);
	} else if (rc != GLOB_NOMATCH) {
		diag_add(d, "%s:%d: include '%s': cannot expand the pattern%s", from, line, pattern,
			 rc == GLOB_NOSPACE ? ": out of memory" : "");
		ok = false;
	}
	if (rc != GLOB_NOMATCH)
		globfree(&g);
	free(full);
	return ok;
}

void include_paths_free(struct include_paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->paths[i]);
	free(p->paths);
	p->paths = NULL;
	p->n = 0;
}

static bool being_read(const struct include_stack *s, const char *real)
{
	for (int i = 0; i < s->depth; i++)
		if (strcmp(s->real[i], real) == 0)
			return true;
	return false;
}

bool include_push(struct include_stack *s, const char *path,
		  const char *from, int line, struct diag *d)
{
	char *real = realpath(path, NULL);
	if (real == NULL)	/* it was just opened; keep going with its name */
		real = xstrdup(path);
	const char *why = NULL;
	if (being_read(s, real))
		why = "include loop: the file is already being read";
	else if (s->depth >= INCLUDE_DEPTH_MAX)
		why = "includes nested too deeply";
	if (why != NULL) {
		if (from != NULL)
			diag_add(d, "%s:%d: include '%s': %s", from, line, path, why);
		else
			diag_add(d, "%s: %s", path, why);
		free(real);
		return false;
	}
	s->real[s->depth++] = real;
	return true;
}

void include_pop(struct include_stack *s)
{
	if (s->depth > 0)
		free(s->real[--s->depth]);
}
