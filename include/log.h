/* log.h: the daemon's and tools' log, in libreswan's shape.
 *
 * Lines go to stderr, a log file or syslog (one of them), and may also be
 * copied to a "tee" (pluto uses it to stream a conn's lines to the whack
 * client that asked). Callers format "\"conn\" #N: " prefixes themselves
 * through the pluto helpers; this module only writes lines.
 * Never pass a secret to these functions: nothing here can scrub it. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stdarg.h>
#include "diag.h"

enum log_level { LL_ERROR, LL_WARN, LL_INFO, LL_DEBUG };

void log_to_stderr(void);
bool log_to_file(const char *path, struct diag *d);
void log_to_syslog(const char *ident);
void log_set_debug(bool on);
bool log_debugging(void);
void log_close(void);

void llog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vllog(enum log_level level, const char *fmt, va_list ap);
/* Each line of d, as a line of its own. */
void llog_lines(enum log_level level, const struct diag *d);

/* Lines anyone who can send pluto a packet can cause (a dropped message,
 * a refused IKE_SA_INIT) go through a limit, so a flood cannot fill the
 * disk: at most LOG_LIMIT_PER_S of them per second per limit (debug lines
 * too, when debugging is on), then one line saying how many were left out. */
#define LOG_LIMIT_PER_S 20
struct log_limit {
	long second;		/* the second being counted */
	unsigned used;		/* lines written in it */
	unsigned suppressed;	/* lines left out since the last one written */
};
void llog_limited(struct log_limit *lim, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* While set, every line (debug lines only when debugging) is also passed
 * to fn. One tee at a time; NULL removes it. */
typedef void log_tee_fn(void *arg, enum log_level level, const char *line);
void log_set_tee(log_tee_fn *fn, void *arg);

#endif
