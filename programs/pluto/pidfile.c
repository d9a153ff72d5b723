/* pidfile.c: the pid file's lock is what says "a pluto owns this rundir";
 * a stale file left by a crash holds no lock, so it is simply taken over. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "pidfile.h"

static int pid_fd = -1;
static char pid_path[PATH_MAX];

static void write_pid(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pid_fd, 0) == 0 && pwrite(pid_fd, buf, (size_t)n, 0) == n)
		return;
	/* A pid file we cannot write still holds the lock, which is what matters. */
}

static long read_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	return n > 0 ? strtol(buf, NULL, 10) : 0;
}

bool pidfile_claim(const char *rundir, struct diag *d)
{
	if (snprintf(pid_path, sizeof(pid_path), "%s/pluto.pid", rundir) >= (int)sizeof(pid_path)) {
		diag_add(d, "rundir '%s' is too long", rundir);
		return false;
	}
	/* A link planted here would have us truncate whatever it points to. */
	int fd = open(pid_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ELOOP) {
		diag_add(d, "pid file '%s' is a symbolic link; not following it, not starting (remove it)", pid_path);
		return false;
	}
	if (fd < 0) {
		diag_add(d, "cannot open pid file '%s': %s", pid_path, strerror(errno));
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		long other = read_pid(fd);
		if (errno == EWOULDBLOCK)
			diag_add(d, "pluto is already running (pid %ld) with rundir '%s'", other, rundir);
		else
			diag_add(d, "cannot lock pid file '%s': %s", pid_path, strerror(errno));
		close(fd);
		return false;
	}
	pid_fd = fd;
	write_pid();
	return true;
}

void pidfile_update(void)
{
	if (pid_fd >= 0)
		write_pid();
}

void pidfile_release(void)
{
	if (pid_fd < 0)
		return;
	unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
}
