/* abspath.h: a path made absolute against the current directory, so that
 * a file named on a command line means the same to a daemon that has
 * changed to "/" (pluto) or to another process (whack's --config, read by
 * pluto). Textual: the file need not exist (its reader names it then). */
#ifndef ABSPATH_H
#define ABSPATH_H

#include <stdbool.h>
#include <stddef.h>

/* path itself when absolute, else the current directory, "/" and path,
 * into buf; false when it does not fit or the directory is unknown. */
bool abspath(const char *path, char *buf, size_t len);

#endif
