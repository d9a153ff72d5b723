/* logger.c: see logger.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "control.h"
#include "logger.h"

void logger_init(struct logger *lg, const char *name, unsigned serial)
{
	memset(lg, 0, sizeof(*lg));
	snprintf(lg->name, sizeof(lg->name), "%s", name);
	lg->serial = serial;
}

void logger_init_instance(struct logger *lg, const char *name, const char *instance, unsigned serial)
{
	logger_init(lg, name, serial);
	snprintf(lg->instance, sizeof(lg->instance), "%s", instance);
}

static const char *prefix(const struct logger *lg, char *buf, size_t len)
{
	if (lg->serial != 0)
		snprintf(buf, len, "\"%s\"%s #%u: ", lg->name, lg->instance, lg->serial);
	else
		snprintf(buf, len, "\"%s\"%s: ", lg->name, lg->instance);
	return buf;
}

void logger_vlog(const struct logger *lg, enum log_level level, const char *fmt, va_list ap)
{
	char text[3072], pre[LOGGER_NAME_MAX + LOGGER_INSTANCE_MAX + 24];
	vsnprintf(text, sizeof(text), fmt, ap);
	if (level == LL_ERROR && lg->first_error != NULL && lg->first_error[0] == '\0')
		snprintf(lg->first_error, lg->first_error_len, "%s", text);
	prefix(lg, pre, sizeof(pre));
	llog(level, "%s%s", pre, text);
	struct whack_session *s = whack_by_serial(lg->whack);
	if (s != NULL && (level != LL_DEBUG || log_debugging()))
		whack_line(s, "%s%s", pre, text);
}

void logger_log(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logger_vlog(lg, level, fmt, ap);
	va_end(ap);
}

void logger_lines(const struct logger *lg, enum log_level level, const struct diag *d)
{
	const char *p = d->text;
	while (*p != '\0') {
		int len = (int)strcspn(p, "\n");
		logger_log(lg, level, "%.*s", len, p);
		p += len + (p[len] == '\n');
	}
}

void logger_whack_done(struct logger *lg, int rc)
{
	struct whack_session *s = whack_by_serial(lg->whack);
	lg->whack = 0;
	if (s != NULL)
		whack_done(s, rc);
}
