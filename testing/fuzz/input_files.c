/* input_files.c: fuzz inputs as config files in a private directory.
 *
 * Why not chdir into the directory and load a relative path: libFuzzer
 * writes new corpus entries and crash files to the paths on its command
 * line, usually relative, and those must keep meaning what they did.
 * So the files are loaded by absolute path instead, and includes are
 * kept inside the directory by refusing any input that could name a
 * path with a '/': a relative include is taken from the including file's
 * directory (include_glob.c), so without a '/' it can only name files
 * of this directory (or the directory itself and its parent, which are
 * directories: opening them reads nothing and is an error, not a hang). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "input_files.h"

static char dir[64];
static char paths[INPUT_FILES_MAX][sizeof(dir) + 8];
static size_t written;	/* files the last input left there */

static void remove_dir(void)
{
	for (size_t i = 0; i < INPUT_FILES_MAX; i++)
		unlink(paths[i]);
	rmdir(dir);
}

static bool make_dir(void)
{
	if (dir[0] != '\0')
		return true;
	/* tmpfs when there is one: files rewritten for every input cost the
	 * parse's time again on a disk file system */
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) >= 32)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/swan-fuzz.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		dir[0] = '\0';
		return false;
	}
	for (size_t i = 0; i < INPUT_FILES_MAX; i++)
		snprintf(paths[i], sizeof(paths[i]), i == 0 ? "%s/main" : "%s/p%zu", dir, i);
	atexit(remove_dir);
	return true;
}

/* The line [p, end) holds "include" and a '/'. */
static bool line_may_escape(const uint8_t *p, const uint8_t *end)
{
	return memchr(p, '/', (size_t)(end - p)) != NULL &&
	       memmem(p, (size_t)(end - p), "include", 7) != NULL;
}

bool input_files_allowed(const uint8_t *data, size_t size)
{
	size_t includes = 0;
	for (const uint8_t *p = data, *end = data + size; p < end;) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *line_end = nl != NULL ? nl : end;
		if (line_may_escape(p, line_end))
			return false;
		for (const uint8_t *q = p; (q = memmem(q, (size_t)(line_end - q), "include", 7)) != NULL; q += 7)
			includes++;
		p = line_end + (nl != NULL);
	}
	return includes <= INPUT_INCLUDES_MAX;
}

static bool write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		return false;
	}
	while (size > 0) {
		ssize_t n = write(fd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			close(fd);
			return false;
		}
		data += n;
		size -= (size_t)n;
	}
	return close(fd) == 0;
}

/* Where the next "#--" separator line starts in [p, end), or end. */
static const uint8_t *next_separator(const uint8_t *p, const uint8_t *end, const uint8_t **after)
{
	for (const uint8_t *q = p; q < end; q++) {
		if ((q == p || q[-1] == '\n') && end - q >= 3 && memcmp(q, "#--", 3) == 0 &&
		    (q + 3 == end || q[3] == '\n')) {
			*after = q + 3 < end ? q + 4 : end;
			return q;
		}
	}
	*after = end;
	return end;
}

const char *input_files_write(const uint8_t *data, size_t size)
{
	if (!make_dir())
		return NULL;
	const uint8_t *p = data, *end = data + size;
	size_t i = 0;
	for (; i < INPUT_FILES_MAX && (i == 0 || p < end); i++) {
		const uint8_t *after = end, *stop = end;
		if (i + 1 < INPUT_FILES_MAX)	/* the last file takes the rest, separators and all */
			stop = next_separator(p, end, &after);
		if (!write_file(paths[i], p, (size_t)(stop - p)))
			return NULL;
		p = after;
	}
	for (size_t n = i; n < written; n++)
		unlink(paths[n]);	/* none left over from an earlier input */
	written = i;
	return paths[0];
}
