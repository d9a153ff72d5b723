/* rundir.c: see rundir.h. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rundir.h"

static bool rundir_make(const char *path, struct diag *d)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return true;
	diag_add(d, "cannot create rundir '%s': %s", path, strerror(errno));
	return false;
}

/* lstat, not stat: a link could be pointed elsewhere after the check. */
static bool rundir_check(const char *path, struct diag *d)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		diag_add(d, "cannot check rundir '%s': %s", path, strerror(errno));
		return false;
	}
	const char *wrong = NULL;
	if (S_ISLNK(st.st_mode))
		wrong = "is a symbolic link; give the directory itself";
	else if (!S_ISDIR(st.st_mode))
		wrong = "is not a directory";
	if (wrong != NULL) {
		diag_add(d, "rundir '%s' %s; not starting", path, wrong);
		return false;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		diag_add(d, "rundir '%s' is owned by uid %u, neither root nor pluto's own uid %u; not starting",
			 path, (unsigned)st.st_uid, (unsigned)geteuid());
		return false;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		diag_add(d, "rundir '%s' is writable by group or others (mode %04o); not starting: chmod go-w '%s'",
			 path, (unsigned)(st.st_mode & 07777), path);
		return false;
	}
	return true;
}

bool rundir_prepare(const char *path, struct diag *d)
{
	return rundir_make(path, d) && rundir_check(path, d);
}
