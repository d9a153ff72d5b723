/* input_files.h: a fuzz input as the files of a config (ipsec.conf,
 * ipsec.secrets) in a private directory, for the parsers that take a
 * path and follow `include` lines.
 *
 * The input is split at lines that are exactly "#--" into at most
 * INPUT_FILES_MAX files: the first is the one loaded, the others are
 * named p1, p2, ... beside it, so that includes find real files. (In
 * both formats "#--" is a comment, so a seed reads the same either way.)
 * The directory holds nothing else; it is made once per process and
 * removed at exit. */
#ifndef INPUT_FILES_H
#define INPUT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INPUT_FILES_MAX 4
#define INPUT_INCLUDES_MAX 8

/* Whether the parsers may be given this input: false when a line that
 * mentions "include" also holds a '/' (it could name a file outside the
 * directory), or when "include" occurs more than INPUT_INCLUDES_MAX
 * times (files including each other many times over take exponential
 * time, which is the config's doing, not a parser's). */
bool input_files_allowed(const uint8_t *data, size_t size);

/* Writes the files; the path of the first, or NULL (and the reason on
 * stderr) when the directory cannot be written. */
const char *input_files_write(const uint8_t *data, size_t size);

#endif
