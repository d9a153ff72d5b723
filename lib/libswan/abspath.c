/* abspath.c: see abspath.h. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "abspath.h"

bool abspath(const char *path, char *buf, size_t len)
{
	if (path[0] == '/')
		return (size_t)snprintf(buf, len, "%s", path) < len;
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	return (size_t)snprintf(buf, len, "%s/%s", cwd, path) < len;
}
