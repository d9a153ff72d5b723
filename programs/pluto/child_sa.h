/* child_sa.h: a child SA in the kernel: its two ESP SAs (through the
 * offload policy) and the tunnel's policies, all or nothing; its removal;
 * its line in trafficstatus.
 *
 * Every child of one IKE SA's tunnel (the current one and those a rekey
 * replaces) shares the conn's reqid and so the same policies: the kernel
 * sends with the newest SA that fits them, and takes ESP on any. A
 * rekey's responder holds its new outbound SA back (out_pending, its
 * keys in key memory) until the initiator deletes the old child: before
 * that the initiator may not have the new inbound SA yet, and a packet
 * sent with it would be lost. */
#ifndef CHILD_SA_H
#define CHILD_SA_H

#include <stdbool.h>
#include "ike_sa.h"

#define CHILD_KEYMAT_MAX (2 * (IKE_KEY_MAX + IKE_KEY_MAX))

/* A CREATE_CHILD_SA's keys: its nonces, its g^ir with PFS (else NULL),
 * and whether we started it (KEYMAT's first keys are its initiator's). */
struct child_nonces {
	const struct buf *ni, *nr;
	PK11SymKey *g_ir;		/* with PFS: the exchange's DH secret; else NULL */
	bool we_started;
};

enum {
	CHILD_WITH_POLICIES = 1,	/* the tunnel's first child: its policies too */
	CHILD_OUTBOUND_LATER = 2,	/* a rekey's responder: inbound only, for now */
};

/* Installs ch (SPIs, alg, esn, selectors set), a child of ike's tunnel t
 * (whose conn's lifetimes, offload, trap and updown it takes), with keys
 * from KEYMAT: of the IKE SA's own exchange when n is NULL. 0, or -errno with nothing of
 * it left in the kernel; the offload diagnostics and any kernel refusal
 * are in notes. The offload is decided afresh for each child. */
int child_sa_install(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, const struct child_nonces *n,
		     unsigned how, struct diag *notes);
/* The outbound SA held back by CHILD_OUTBOUND_LATER; 0 when none waits.
 * When it is refused, its keys are kept for another try. */
int child_sa_install_outbound(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, struct diag *notes);
/* The peer's NAT mapping changed (natt.h): ch's outbound SA, in the
 * kernel, takes the IKE SA's ports for its UDP encapsulation. */
int child_sa_update_encap(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, struct kernel_err *e);
/* Gives up a held-back outbound SA: its keys wiped, nothing to install. */
void child_sa_drop_outbound(struct child_sa *ch);
/* ch's SAs out of the kernel (its record stays, not installed). */
void child_sa_remove_one(struct ike_sa *ike, struct child_sa *ch);
/* Every child of tunnel t of ike, and the tunnel's policies. */
void child_sa_remove_tunnel(struct ike_sa *ike, struct tunnel *t);
/* The same for every tunnel of ike. */
void child_sa_remove(struct ike_sa *ike);

/* A routed conn's trap (ondemand.h) is the outbound policy its tunnel
 * will have, reqid included: one policy that the tunnel takes over while
 * it is up and gives back when it goes. */
struct kernel_policy;
void child_sa_trap_policy(const struct connection *c, struct kernel_policy *p);
/* Whether c's trap is the outbound policy of ike's child ch (all but the
 * reqid): the one takes the other's place. */
bool child_sa_takes_trap(const struct ike_sa *ike, const struct child_sa *ch, const struct connection *c);
/* The conn loaded under the name of tunnel t's conn, when it is routed
 * and ike's child ch of t takes its trap's place. */
const struct connection *child_sa_trap_conn(const struct ike_sa *ike, const struct tunnel *t,
					    const struct child_sa *ch);

/* What child ch of tunnel t asks of offload: its tunnel's conn's, under
 * the rule for encapsulated SAs (decided for the IKE SA's conn), or what
 * a refused policy stepped the IKE SA's children down to. The offload
 * budget (offload_balance.h) may still send a rekey's SAs to software. */
const struct offload_policy *child_sa_offload_policy(const struct ike_sa *ike, const struct tunnel *t,
						    const struct child_sa *ch);

/* "{ESP=>0x... <0x... xfrm=AES_GCM_16_128 esn=no offload=crypto(eth0)}" */
const char *child_sa_summary(const struct child_sa *ch, char *buf, size_t len);
/* The offload state of both SAs: one word when they agree. */
const char *child_sa_offload(const struct child_sa *ch, char *buf, size_t len);

#endif
