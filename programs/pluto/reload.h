/* reload.h: conns added from a config file at run time, and the reload
 * that SIGHUP and `ipsec reload` ask for.
 *
 * A reload reads ipsec.secrets again and then ipsec.conf: each conn of
 * the file with auto= other than ignore that is not loaded yet is added
 * (and routed or brought up as its auto= says). Conns already loaded are
 * left as they are, SAs and all: `ipsec replace NAME` applies a changed
 * conn, `ipsec delete NAME` drops one. config setup is read only at start. */
#ifndef RELOAD_H
#define RELOAD_H

#include <stdbool.h>
#include "connections.h"
#include "diag.h"
#include "ipsecconf.h"

/* Adds cfg (replacing a loaded conn of its name, whose SAs keep the
 * config they began with), logs its notes and "added"/"replaced", listens
 * on its IKE port and, for auto=ondemand, routes it. NULL with the reasons
 * in errors when it is refused (a conn it would replace stays as it is). */
struct connection *reload_add_conn(const struct conn_config *cfg, struct diag *errors);

/* Secrets, then the new conns of pluto.config_path, as above; every line
 * is logged, starting with why. False when either file has errors (what
 * could be read is used all the same). */
bool pluto_reload(const char *why);

#endif
