/* connections.h: the conns pluto has loaded, by name. */
#ifndef CONNECTIONS_H
#define CONNECTIONS_H

#include <stdbool.h>
#include "diag.h"
#include "ipsecconf.h"
#include "log.h"
#include "offload.h"
#include "retry.h"

struct event;

struct connection {
	struct conn_config *config;	/* owned */
	struct offload_policy offload;	/* hw_offload after the add-time rules */
	struct conn_retry retry;	/* failed attempts, and the next one */
	struct event *retry_timer;	/* owned; armed by ikev2.c */
	struct connection *next;
};

struct connection *conn_find(const char *name);
struct connection *conn_first(void);
size_t conn_count(void);

/* Checks a conn from a config (both ends present, the add-time offload
 * rules under config setup's fips) and adds a copy of it, replacing a
 * loaded conn of the same name. NULL with the reasons in errors when it
 * is refused; lines the user should see either way go to notes. A conn
 * that asks for offload has its device probed, once in pluto's life (the
 * probe is logged here), and gets a warning in notes when that device
 * cannot take what the conn asks for (offload_check_device). */
struct connection *conn_load(const struct conn_config *cfg, bool fips, bool *replaced,
			     struct diag *errors, struct diag *notes);
bool conn_delete(const char *name);
/* Drops the conn's failed attempts and any planned retry (it came up, or
 * the user took it down or replaced it). */
void conn_forget_failures(struct connection *c);
void conn_delete_all(void);

/* Log a line prefixed with the conn's name as libreswan does: "\"name\": text". */
void conn_log(const struct connection *c, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Each line of d, so prefixed. */
void conn_log_lines(const struct connection *c, enum log_level level, const struct diag *d);

#endif
