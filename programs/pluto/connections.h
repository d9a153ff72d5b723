/* connections.h: the conns pluto has loaded, by name. */
#ifndef CONNECTIONS_H
#define CONNECTIONS_H

#include <stdbool.h>
#include "ipsecconf.h"
#include "log.h"

struct connection {
	struct conn_config *config;	/* owned */
	struct connection *next;
};

struct connection *conn_find(const char *name);
struct connection *conn_first(void);
size_t conn_count(void);

/* Takes ownership of cfg; a conn with the same name is replaced (and
 * replaced is set). */
struct connection *conn_add(struct conn_config *cfg, bool *replaced);
bool conn_delete(const char *name);
void conn_delete_all(void);

/* Log a line prefixed with the conn's name as libreswan does: "\"name\": text". */
void conn_log(const struct connection *c, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
