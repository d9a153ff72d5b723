/* log.c: one destination (stderr, file or syslog) plus an optional tee. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include "log.h"

enum log_dest { DEST_STDERR, DEST_FILE, DEST_SYSLOG };

static enum log_dest dest = DEST_STDERR;
static FILE *logfile;
static bool debugging;
static log_tee_fn *tee_fn;
static void *tee_arg;

void log_close(void)
{
	if (logfile != NULL)
		fclose(logfile);
	logfile = NULL;
	if (dest == DEST_SYSLOG)
		closelog();
	dest = DEST_STDERR;
}

void log_to_stderr(void)
{
	log_close();
}

bool log_to_file(const char *path, struct diag *d)
{
	FILE *f = fopen(path, "a");
	if (f == NULL) {
		diag_add(d, "cannot open log file '%s': %s", path, strerror(errno));
		return false;
	}
	log_close();
	setvbuf(f, NULL, _IOLBF, 0);
	logfile = f;
	dest = DEST_FILE;
	return true;
}

void log_to_syslog(const char *ident)
{
	log_close();
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	dest = DEST_SYSLOG;
}

void log_set_debug(bool on)
{
	debugging = on;
}

bool log_debugging(void)
{
	return debugging;
}

void log_set_tee(log_tee_fn *fn, void *arg)
{
	tee_fn = fn;
	tee_arg = arg;
}

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LL_ERROR: return LOG_ERR;
	case LL_WARN: return LOG_WARNING;
	case LL_INFO: return LOG_NOTICE;
	case LL_DEBUG: return LOG_DEBUG;
	}
	return LOG_NOTICE;
}

/* libreswan's log file lines start with a timestamp; stderr lines do not,
 * so a test reading stderr sees exactly the text. */
static void write_timestamped(FILE *f, const char *line)
{
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm);
	fprintf(f, "%s.%06ld: %s\n", stamp, (long)tv.tv_usec, line);
}

/* Whatever reached a line, it stays one line of text: a control byte
 * that slipped past the callers' escaping is shown, not obeyed. */
static void neutralise_controls(char *line, size_t cap)
{
	char out[4096];
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)line; *p != '\0' && o + 5 < sizeof(out); p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	snprintf(line, cap, "%s", out);
}

static bool has_controls(const char *line)
{
	for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
	}
	return false;
}

void vllog(enum log_level level, const char *fmt, va_list ap)
{
	if (level == LL_DEBUG && !debugging)
		return;
	char line[4096];
	vsnprintf(line, sizeof(line), fmt, ap);
	if (has_controls(line))
		neutralise_controls(line, sizeof(line));
	switch (dest) {
	case DEST_STDERR:
		fprintf(stderr, "%s\n", line);
		break;
	case DEST_FILE:
		write_timestamped(logfile, line);
		break;
	case DEST_SYSLOG:
		syslog(syslog_priority(level), "%s", line);
		break;
	}
	if (tee_fn != NULL)
		tee_fn(tee_arg, level, line);
}

void llog(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vllog(level, fmt, ap);
	va_end(ap);
}

void llog_lines(enum log_level level, const struct diag *d)
{
	for (const char *p = d->text; *p != '\0';) {
		int len = (int)strcspn(p, "\n");
		llog(level, "%.*s", len, p);
		p += len + (p[len] == '\n');
	}
}

void llog_limited(struct log_limit *lim, enum log_level level, const char *fmt, ...)
{
	if (level == LL_DEBUG && !debugging)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != lim->second) {
		lim->second = now.tv_sec;
		lim->used = 0;
	}
	if (lim->used >= LOG_LIMIT_PER_S) {
		lim->suppressed++;
		return;
	}
	lim->used++;
	if (lim->suppressed > 0) {
		llog(level, "(%u lines like the next were left out: more than %d a second)",
		     lim->suppressed, LOG_LIMIT_PER_S);
		lim->suppressed = 0;
	}
	va_list ap;
	va_start(ap, fmt);
	vllog(level, fmt, ap);
	va_end(ap);
}
