/* secret_file.c: see secret_file.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secret_file.h"
#include "xalloc.h"

#define SECRET_LINE_START 8192

static void wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* OpenSSH refuses a private key file others can read or its owner is not
 * the user's; a secrets file is read all the same, but said to be exposed. */
static void warn_if_exposed(FILE *f, const char *path, struct diag *warnings)
{
	const mode_t exposed = S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH;
	struct stat st;
	if (warnings == NULL || fstat(fileno(f), &st) != 0)
		return;
	if ((st.st_mode & exposed) != 0)
		diag_add(warnings, "warning: %s has mode %04o: group or others may read or change the secrets in it; "
			 "it is loaded all the same, but run chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		diag_add(warnings, "warning: %s is owned by uid %u, who may change the secrets in it; "
			 "it is loaded all the same, but run chown %u %s", path, (unsigned)st.st_uid,
			 (unsigned)geteuid(), path);
}

bool secret_file_open(struct secret_file *sf, const char *path, struct diag *warnings)
{
	sf->path = path;
	sf->iobuf = NULL;
	sf->f = fopen(path, "r");
	if (sf->f == NULL)
		return false;
	warn_if_exposed(sf->f, path, warnings);
	/* stdio's own buffer holds the file too: give it one that can be
	 * wiped (one per file, as includes nest while this one is open) */
	sf->iobuf = xzalloc(BUFSIZ);
	setvbuf(sf->f, sf->iobuf, _IOFBF, BUFSIZ);
	return true;
}

void secret_file_lines(struct secret_file *sf, secret_line_fn *line_fn, void *arg, struct diag *d)
{
	/* big enough for any sane line: getline grows it by realloc, which
	 * would leave the shorter copy unwiped in freed memory */
	size_t cap = SECRET_LINE_START;
	char *line = xzalloc(cap);
	int lineno = 0;
	while (getline(&line, &cap, sf->f) != -1) {
		line[strcspn(line, "\r\n")] = '\0';
		line_fn(arg, ++lineno, line);
		explicit_bzero(line, cap);
	}
	if (ferror(sf->f))
		diag_add(d, "%s: read error: %s", sf->path, strerror(errno));
	wipe_free(line, cap);
}

void secret_file_close(struct secret_file *sf)
{
	if (sf->f != NULL)
		fclose(sf->f);
	wipe_free(sf->iobuf, BUFSIZ);
	sf->f = NULL;
	sf->iobuf = NULL;
}
