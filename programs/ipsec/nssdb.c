/* nssdb.c: pluto's NSS database through certutil and pk12util
 * (nssdb.h). The tools are run as children, found on PATH, with the
 * database named as sql:DIR. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nssdb.h"

#define TOOL_ARGS_MAX 64

/* Runs argv (argv[0] on PATH); its exit status, or 1 when it could not
 * run (said on stderr). quiet: its output goes to /dev/null. */
static int run_tool(char *const argv[], bool quiet)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ipsec: cannot run %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	if (pid == 0) {
		if (quiet && (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL))
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "ipsec: cannot run %s: %s (Debian's libnss3-tools has it)\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static bool has_db(const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/cert9.db", dir);
	return access(path, F_OK) == 0;
}

/* dir and its missing parents, the last one private to root. */
static bool make_dir(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return false;
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(path, 0700) == 0 || errno == EEXIST;
}

static void sql_name(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "sql:%s", dir);
}

int nssdb_init(const char *dir, const char *pwfile)
{
	if (has_db(dir)) {
		fprintf(stderr, "ipsec initnss: %s already holds an NSS database (cert9.db): remove it first, or see ipsec checknss\n",
			dir);
		return 1;
	}
	if (!make_dir(dir)) {
		fprintf(stderr, "ipsec initnss: cannot make the directory %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char db[PATH_MAX + 8];
	sql_name(dir, db, sizeof(db));
	if (pwfile != NULL && access(pwfile, R_OK) != 0) {
		fprintf(stderr, "ipsec initnss: cannot read the password file %s: %s\n", pwfile, strerror(errno));
		return 1;
	}
	char *argv[] = { "certutil", "-N", "-d", db, pwfile != NULL ? "-f" : "--empty-password", (char *)pwfile, NULL };
	int rc = run_tool(argv, false);
	if (rc != 0) {
		fprintf(stderr, "ipsec initnss: certutil could not make the NSS database in %s\n", dir);
		return rc;
	}
	if (pwfile != NULL)
		printf("made the NSS database %s (its password from %s)\n", dir, pwfile);
	else
		printf("made the NSS database %s (no password)\n", dir);
	return 0;
}

int nssdb_check(const char *dir)
{
	if (!has_db(dir))
		return nssdb_init(dir, NULL);
	char db[PATH_MAX + 8];
	sql_name(dir, db, sizeof(db));
	char *argv[] = { "certutil", "-L", "-d", db, NULL };
	if (run_tool(argv, true) != 0) {
		fprintf(stderr, "ipsec checknss: NSS cannot open the database in %s (certutil -L -d %s says why)\n", dir, db);
		return 1;
	}
	printf("the NSS database %s opens\n", dir);
	return 0;
}

static bool need_db(const char *cmd, const char *dir)
{
	if (has_db(dir))
		return true;
	fprintf(stderr, "ipsec %s: there is no NSS database in %s: run ipsec initnss first\n", cmd, dir);
	return false;
}

int nssdb_import(const char *dir, const char *pwfile, const char *file, char *const *extra, int nextra)
{
	if (!need_db("import", dir))
		return 1;
	if (access(file, R_OK) != 0) {
		fprintf(stderr, "ipsec import: cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	char db[PATH_MAX + 8];
	sql_name(dir, db, sizeof(db));
	char *argv[TOOL_ARGS_MAX] = { "pk12util", "-i", (char *)file, "-d", db };
	int n = 5;
	if (pwfile != NULL) {
		argv[n++] = "-k";
		argv[n++] = (char *)pwfile;
	}
	for (int i = 0; i < nextra && n < TOOL_ARGS_MAX - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return run_tool(argv, false);
}

int nssdb_list(const char *dir)
{
	if (!need_db("listcerts", dir))
		return 1;
	char db[PATH_MAX + 8];
	sql_name(dir, db, sizeof(db));
	char *argv[] = { "certutil", "-L", "-d", db, NULL };
	return run_tool(argv, false);
}
