/* logger.h: log lines about one object (a conn, an IKE SA, its child SA)
 * in libreswan's shape, "\"conn\" #N: text", also streamed to the whack
 * client that follows the object.
 *
 * A logger names that client by its session serial, looked up when a line
 * is written, so an object never holds a pointer to a client: one that has
 * gone (or a shutdown that closed every client) matches nothing. */
#ifndef LOGGER_H
#define LOGGER_H

#include <stddef.h>
#include "diag.h"
#include "log.h"

#define LOGGER_NAME_MAX 128
#define LOGGER_INSTANCE_MAX 64

struct logger {
	char name[LOGGER_NAME_MAX];	/* the conn's name */
	char instance[LOGGER_INSTANCE_MAX];	/* an instance's "[1] 192.0.2.5", after the name; "" for none */
	unsigned serial;		/* #N; 0 for the conn's own lines */
	unsigned whack;			/* the following whack session; 0 for none */
	char *first_error;		/* when set, the first LL_ERROR line's text is kept here */
	size_t first_error_len;
};

/* A logger for conn name, serial 0 for lines about the conn itself. */
void logger_init(struct logger *lg, const char *name, unsigned serial);
/* The same for an instance of a template conn: its lines read
 * "name"[1] 192.0.2.5 #N: as libreswan's do; instance is "" for a conn
 * that is no instance. */
void logger_init_instance(struct logger *lg, const char *name, const char *instance, unsigned serial);

void logger_log(const struct logger *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void logger_vlog(const struct logger *lg, enum log_level level, const char *fmt, va_list ap);
/* Each line of d. */
void logger_lines(const struct logger *lg, enum log_level level, const struct diag *d);

/* The client following lg, if it is still there, gets its final status
 * and is released from lg. */
void logger_whack_done(struct logger *lg, int rc);

#endif
