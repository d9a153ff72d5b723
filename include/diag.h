/* diag.h: errors as values. A struct diag collects one or more lines of
 * explanation (each already carrying its context: file, line, keyword...)
 * on the way up; the caller that decides what to do logs or prints them once. */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>

#define DIAG_TEXT_MAX 8192

struct diag {
	int count;			/* lines added */
	size_t len;			/* bytes used in text */
	char text[DIAG_TEXT_MAX];	/* lines, each ending in '\n' */
};

void diag_init(struct diag *d);
/* Appends one line (no trailing newline needed). Text past the buffer is
 * dropped, but count still grows, so "and N more" can be reported. */
void diag_add(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_failed(const struct diag *d);
/* All lines joined by "; " for a one-line log message, or fallback when
 * there are none. The buffer is static: use it before the next call. */
const char *diag_oneline(const struct diag *d, const char *fallback);

#endif
