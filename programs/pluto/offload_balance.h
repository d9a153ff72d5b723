/* offload_balance.h: the offload budget (offload_budget.h) run against
 * pluto's tunnels and the kernel.
 *
 * Every offload-interval= seconds one dump of the SAs' byte counters
 * (sa_counters.h) updates each offload-asking tunnel's smoothed rate;
 * then, per device whose table size is known, the budget ranks its
 * tunnels and says where each one's next SAs go. A tunnel's rekey (either
 * end may start it) installs its new SAs where the budget said: to the
 * device (tried as before, and falling back to software on a refusal) or
 * straight to software with the reason, e.g. "table full, rank 17 of 15".
 * When the budget swaps a busy software tunnel with the least busy
 * offloaded one, the offloaded one is rekeyed at once, into software; the
 * busy one is rekeyed at a later sample once the device has room for its
 * pair (so the freed slots are there when it asks). Each move is one log
 * line of the tunnel's.
 *
 * Only tunnels whose conn asks for offload (hw_offload= other than no)
 * with hw_offload_fallback=yes are moved; the others (fallback=no, and
 * packet offload, whose policies are on the device too) keep what they
 * have and only count against the table. A device's size is learned when
 * it first refuses an SA as full: until then nothing moves. */
#ifndef OFFLOAD_BALANCE_H
#define OFFLOAD_BALANCE_H

#include <stdbool.h>
#include <time.h>
#include <event2/event.h>
#include "diag.h"
#include "offload.h"

struct ike_sa;
struct tunnel;
struct child_sa;

/* Samples every interval seconds on base (0: the default, 60); with on
 * false (offload-budget=no) it never samples, and nothing here moves or
 * keeps a tunnel from the NIC: its table is first come, first served. */
void offload_balance_start(struct event_base *base, unsigned interval, bool on);
void offload_balance_stop(void);

/* One sample and plan now (what the timer runs); seconds since the last. */
void offload_balance_sample(double seconds);

/* The policy for a new SA of tunnel t (whose local address is local),
 * whose conn asks for pol: pol itself, or a copy in scratch turned to
 * software with the reason, when the budget has t there, or when t is
 * coming up (its first child), not ranked yet, and its device, of known
 * size, has no room for its pair beside the one kept free for rekeys (the
 * next sample ranks it). An outbound SA (pair_in: where the same child's
 * inbound SA went; NULL for an inbound one) goes where its inbound one
 * went when that was the device, or software by the budget's word or a
 * full table: a pair is not split. *device is then the device the SA is
 * kept from (its SA records it, so the tunnel is ranked there), else
 * zeroed. */
const struct offload_policy *offload_balance_policy(const struct tunnel *t, const ip_address *local,
						    const struct sa_offload *pair_in, const struct offload_policy *pol,
						    struct offload_policy *scratch, struct kernel_link *device);

/* An SA was installed as o says: counted on its device until the next
 * sample, and the device's size learned when o says its table was full. */
void offload_balance_installed(const struct sa_offload *o);

/* An SA pluto deletes: no longer counted on its device. */
void offload_balance_removed(const struct sa_offload *o);

/* Whether a rekey of t that fell due at now may start. The pair kept
 * free in the table is room for one rekey at a time (make-before-break:
 * the new pair goes in before the old one goes): a tunnel whose new pair
 * goes to the table waits while another rekey into the table (a held
 * tunnel's, or a move in) is under way, and a tunnel the device holds
 * also while the table has no room for a pair, until half its
 * rekeymargin is left before its SAs expire (then it goes ahead, and a
 * full table sends the new pair to software as before). Rekeys the peer
 * starts are not held. The budget's moves in keep to the same rule. */
bool offload_balance_may_rekey(const struct tunnel *t, time_t now);

/* The budget's part of `ipsec offload DEV`: the table's size, use, room,
 * and the busiest tunnels waiting in software. */
void offload_balance_report(const char *dev, struct diag *lines);

/* For trafficstatus: "rate=1200B/s, rank=3/15" (the rank once known). */
const char *offload_balance_status(const struct tunnel *t, char *buf, size_t len);

/* Forgets every device's size (tests start from a pluto that knows none). */
void offload_balance_forget(void);

#endif
