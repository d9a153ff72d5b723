/* updown.h: what happens on this host when a tunnel comes up and when it
 * goes: a route for the remote subnet, or the admin's updown script.
 *
 * The tunnel, not each SA: child_sa.c calls updown_tunnel_up() once the
 * tunnel's policies are in and updown_tunnel_down() as they go, so a rekey
 * (new SAs under the same policies) or an IKE SA rekey (the tunnel handed
 * to another IKE SA) neither removes nor adds a route nor runs a script.
 *
 * As libreswan does, leftupdown= (the local side's) decides:
 * - absent: pluto routes the remote subnet itself, as libreswan's default
 *   script would, for a tunnel-mode child whose remote traffic is more
 *   than the peer itself: `REMOTE_NET via NEXTHOP dev DEV [src SOURCEIP]`,
 *   NEXTHOP and DEV being the kernel's way to the peer (the peer itself
 *   when it is on the link) and SOURCEIP leftsourceip=.
 * - a script: it runs on up and down with libreswan's PLUTO_* variables;
 *   the routes are then its business, not pluto's (libreswan too leaves
 *   routing to whatever script is configured).
 * - %disabled: neither.
 * A route that is there already (the admin's, say) is left as it is and
 * not removed when the tunnel goes; only routes pluto added are removed. */
#ifndef UPDOWN_H
#define UPDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike_sa.h"

enum updown_action { UPDOWN_NOTHING, UPDOWN_ROUTE, UPDOWN_SCRIPT };

/* What a tunnel between ends (local's end_config, tunnel or transport mode)
 * gets on up and down. */
enum updown_action updown_decide(const struct end_config *local, bool transport, const struct ends *ends);

/* What the script learns, in libreswan's terms. */
struct updown_facts {
	bool up;
	const char *conn;
	bool transport;
	const struct ends *ends;	/* addresses, clients, IDs (the peer's as it authenticated) */
	const ip_address *sourceip;	/* NULL when none */
	uint32_t reqid;
	const char *interface;		/* "" when unknown */
	const ip_address *nexthop;	/* NULL when unknown */
};

#define UPDOWN_VARS_MAX 32
#define UPDOWN_ENV_SPACE 4096

/* "NAME=value" strings, NULL-terminated, for execve. */
struct updown_env {
	char *vars[UPDOWN_VARS_MAX + 1];
	size_t n;
	char space[UPDOWN_ENV_SPACE];
	size_t used;
};

/* The environment of the script for f: PLUTO_VERB (up-client, down-host,
 * with -v6 when the hosts are IPv6), PLUTO_CONNECTION, PLUTO_ME,
 * PLUTO_PEER, their IDs (escaped: the peer chose its own), clients as
 * net/len and as _NET and _MASK, PLUTO_MY_SOURCEIP when set, PLUTO_REQID,
 * PLUTO_INTERFACE, PLUTO_NEXT_HOP, ports and protocols (0: all) and PATH. */
void updown_env_build(const struct updown_facts *f, struct updown_env *env);
/* The value of NAME in env, NULL when absent. */
const char *updown_env_get(const struct updown_env *env, const char *name);

/* Splits a leftupdown= value into its words (path first), in place in
 * buf; false when there are more than max-1 words. argv ends with NULL. */
bool updown_argv(const char *value, char *buf, size_t len, char **argv, size_t max);

/* The hooks: ch is the tunnel's child that came with its policies, or
 * the current one as they go. */
void updown_tunnel_up(struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch);
void updown_tunnel_down(struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch);

/* A routed conn (ondemand.h) needs its route while no tunnel stands, or
 * its traffic would never reach the trap: routing the conn adds it (or
 * shares the tunnel's), unrouting removes it unless a tunnel still holds
 * it, as libreswan's route-client/unroute-client do. */
void updown_conn_routed(struct connection *c);
void updown_conn_unrouted(struct connection *c);

/* At shutdown, once the tunnels are down: the routed conns' routes go. */
void updown_shutdown(void);

/* Removes the routes of pluto's protocol that no record holds: an
 * earlier pluto's at start (after a crash they would carry traffic in the
 * clear), any left at stop; each logged, with when ("start", "stop"). */
void updown_remove_leftover_routes(const char *when);

/* How many routes pluto holds now (for tests and status). */
size_t updown_routes_held(void);

#endif
