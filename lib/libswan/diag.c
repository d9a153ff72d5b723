/* diag.c: accumulate error lines to pass up to the one place that reports them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "diag.h"

void diag_init(struct diag *d)
{
	d->count = 0;
	d->len = 0;
	d->text[0] = '\0';
}

void diag_add(struct diag *d, const char *fmt, ...)
{
	d->count++;
	size_t room = sizeof(d->text) - d->len;
	if (room < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(d->text + d->len, room - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t used = (size_t)n < room - 1 ? (size_t)n : room - 2;
	d->len += used;
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
}

int diag_failed(const struct diag *d)
{
	return d->count > 0;
}

const char *diag_oneline(const struct diag *d, const char *fallback)
{
	static char line[DIAG_TEXT_MAX];
	if (d->len == 0)
		return fallback != NULL ? fallback : "";
	size_t o = 0;
	for (size_t i = 0; i < d->len && o + 3 < sizeof(line); i++) {
		if (d->text[i] != '\n') {
			line[o++] = d->text[i];
		} else if (i + 1 < d->len) {
			line[o++] = ';';
			line[o++] = ' ';
		}
	}
	line[o] = '\0';
	return line;
}
