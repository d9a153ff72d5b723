/* ondemand.h: negotiation on demand (auto=ondemand, ipsec auto --route).
 *
 * A routed conn keeps a trap in the kernel: the outbound policy its
 * tunnel will have (local_net -> remote_net, ESP to the peer, the conn's
 * reqid). While no SA satisfies it the kernel drops what matches and
 * sends an acquire, which starts the conn's IKE SA. The tunnel's own
 * outbound policy takes the trap's place while it is up, and the trap
 * takes it back when the tunnel goes, however it goes (child_sa.h), so
 * the next packet starts a new negotiation. Acquires for a conn that is
 * already negotiating, or up, are merged; a conn starts at most one
 * negotiation per ondemand_interval_ms, and an acquire held back by that
 * starts one when the interval is over. Lines about acquires go through
 * a rate limit: anyone who can make this host send packets makes them. */
#ifndef ONDEMAND_H
#define ONDEMAND_H

#include <stdbool.h>
#include "connections.h"
#include "diag.h"
#include "kernel.h"

#define ONDEMAND_INTERVAL_MS 3000
extern unsigned ondemand_interval_ms;	/* tests shorten it */

/* Installs c's trap (kept in the tunnel's place when a tunnel of c is
 * up) and logs it; false with the reason in d, c unchanged. */
bool ondemand_route(struct connection *c, struct diag *d);
/* Removes c's trap; a tunnel of c that is up keeps its policy until it
 * goes. Logs it; nothing to do for a conn that is not routed. */
void ondemand_unroute(struct connection *c);
/* The kernel's acquire: the routed conn whose subnets hold the packet's
 * addresses starts its negotiation, if none is under way. */
void ondemand_acquire(const struct kernel_event *ev);

#endif
