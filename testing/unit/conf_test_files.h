/* conf_test_files.h: temporary directories and files for the config and
 * secrets tests, and checks on the error lines they produce.
 *
 * Header-only (static functions) so each test binary stays one .c file
 * as mk/tests.mk builds them. */
#ifndef CONF_TEST_FILES_H
#define CONF_TEST_FILES_H

#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "diag.h"

struct tmpdir {
	char path[64];
};

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static void tmpdir_make(struct tmpdir *t)
{
	strcpy(t->path, "/tmp/swan-test.XXXXXX");
	if (mkdtemp(t->path) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

static void tmpdir_remove(struct tmpdir *t)
{
	nftw(t->path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name (name may hold subdirectories, created as needed). */
static void tmpdir_file_path(const struct tmpdir *t, const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", t->path, name);
}

static void tmpdir_write(const struct tmpdir *t, const char *name, const char *text)
{
	char path[PATH_MAX];
	tmpdir_file_path(t, name, path);
	for (char *slash = strchr(path + strlen(t->path) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Whether d holds exactly this line, after "DIR/" is put in front of it
 * (every file the tests write is in the temporary directory). */
static inline bool diag_has_line_in(const struct diag *d, const struct tmpdir *t, const char *line)
{
	char want[1024];
	snprintf(want, sizeof(want), "%s/%s\n", t->path, line);
	for (const char *p = d->text; p != NULL && *p != '\0';) {
		if (strncmp(p, want, strlen(want)) == 0)
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/* Prints what was there when a line is missing, so a failure explains itself. */
#define assert_diag_line(d, t, ...) do {					\
		char line_[900];						\
		snprintf(line_, sizeof(line_), __VA_ARGS__);			\
		if (!diag_has_line_in((d), (t), line_))				\
			fail_msg("missing error line:\n  %s/%s\nerrors were:\n%s", \
				 (t)->path, line_, (d)->text);			\
	} while (0)

#endif
