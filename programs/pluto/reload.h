/* reload.h: conns added, replaced and deleted from a config file at run
 * time, and the reload that SIGHUP, `ipsec reload` and the systemd unit's
 * ExecReload ask for.
 *
 * A reload reads ipsec.secrets again and then ipsec.conf, and makes the
 * loaded conns what the file says, one log line per conn saying what
 * became of it:
 * - a loaded conn the file no longer has (or now has as auto=ignore) is
 *   deleted: its SAs taken down, the peer told, its trap removed;
 * - a loaded conn whose config changed (conn_config_same) is replaced as
 *   `ipsec replace` does: its tunnel runs on the old config until then,
 *   and comes up again on the new one if it was up or is auto=start; a new
 *   config that would be refused replaces nothing;
 * - an unchanged conn is left as it is, its SAs untouched;
 * - a new conn (auto= other than ignore) is added, and routed or brought
 *   up as its auto= says, as at start;
 * - a conn whose section has errors is logged with them (file, line,
 *   keyword) and, if loaded, stays as it was; a file that cannot be read
 *   or has an error that is not one conn's changes nothing.
 * Conns added by whack from another file (--config) are not the file's:
 * a reload leaves them alone. An IKE SA under way holds its conn (see
 * connections.h), so it finishes on the config it began with. config
 * setup is read only at start. */
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

/* Takes c's SAs down (telling the peer), removes its trap, unloads it;
 * c may be gone after. */
void reload_delete_conn(struct connection *c, const char *why);

/* Replaces old by cfg as `ipsec replace` does: old deleted (its SAs
 * taken down), cfg loaded in its place; was_up says whether old had an IKE
 * SA (to be brought up again by the caller). NULL with the reasons in
 * errors: old untouched when cfg would be refused, or *old_gone when old
 * was deleted and cfg could not be loaded after all (out of memory); a
 * caller that logs through old after a NULL holds a reference to it. */
struct connection *reload_replace_conn(struct connection *old, const struct conn_config *cfg, bool *was_up,
				       bool *old_gone,
				       struct diag *errors);

/* Secrets, then the conns of pluto.config_path, as above; every line
 * is logged, starting with why. False when either file has errors (what
 * could be read is used all the same). */
bool pluto_reload(const char *why);

#endif
