/* child_sa.h: a child SA in the kernel: its two ESP SAs (through the
 * offload policy) and its policies, all or nothing; its removal; its line
 * in trafficstatus. */
#ifndef CHILD_SA_H
#define CHILD_SA_H

#include <stdbool.h>
#include "ike_sa.h"

/* Installs ike->child (SPIs, alg, esn, selectors set) with keys from
 * KEYMAT. 0, or -errno with nothing of it left in the kernel; the
 * offload diagnostics and any kernel refusal are in notes. */
int child_sa_install(struct ike_sa *ike, const struct connection *c, struct diag *notes);
void child_sa_remove(struct ike_sa *ike);

/* A routed conn's trap (ondemand.h) is the outbound policy its tunnel
 * will have, reqid included: one policy that the tunnel takes over while
 * it is up and gives back when it goes. */
struct kernel_policy;
void child_sa_trap_policy(const struct connection *c, struct kernel_policy *p);
/* Whether c's trap is the outbound policy of ike's child (all but the
 * reqid): the one takes the other's place. */
bool child_sa_takes_trap(const struct ike_sa *ike, const struct connection *c);
/* The conn loaded under the name of ike's conn, when it is routed and
 * ike's child takes its trap's place. */
const struct connection *child_sa_trap_conn(const struct ike_sa *ike);

/* "{ESP=>0x... <0x... xfrm=AES_GCM_16_128 esn=no offload=crypto(eth0)}" */
const char *child_sa_summary(const struct ike_sa *ike, char *buf, size_t len);
/* The offload state of both SAs: one word when they agree. */
const char *child_sa_offload(const struct ike_sa *ike, char *buf, size_t len);

#endif
