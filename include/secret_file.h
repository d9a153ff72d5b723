/* secret_file.h: reading a file that holds secrets (ipsec.secrets, the
 * NSS password file). The file's stdio buffer and every line read are
 * wiped once used, so no copy of a secret is left in freed memory; and a
 * file that others could read or change is said to be, each time it is
 * read (it is read all the same: refusing would take every tunnel down). */
#ifndef SECRET_FILE_H
#define SECRET_FILE_H

#include <stdio.h>
#include "diag.h"

struct secret_file {
	FILE *f;
	char *iobuf;
	const char *path;
};

/* Opens path for reading; false with errno set when it cannot. A line in
 * warnings (unless NULL) for each way it is exposed: group or others may
 * read or write it (its mode, and the chmod that fixes it); it is owned by
 * a user other than root and this process's (the chown that fixes it). */
bool secret_file_open(struct secret_file *sf, const char *path, struct diag *warnings);

/* Calls line_fn for each line (its number from 1, its text with the line
 * end removed), then wipes the line. A read error is a line in d. */
typedef void secret_line_fn(void *arg, int lineno, char *line);
void secret_file_lines(struct secret_file *sf, secret_line_fn *line_fn, void *arg, struct diag *d);

/* Closes the file and wipes its buffer. */
void secret_file_close(struct secret_file *sf);

#endif
