/* ike_init_gate.h: how many IKE SAs we initiate are half-open at once.
 *
 * When many conns start together (auto=start at load or at a reload,
 * many `--up`s), each new IKE SA of ours passes this gate before its
 * IKE_SA_INIT goes out. At most INIT_GATE_MAX of them are in flight, and
 * at most INIT_GATE_PER_PEER to one peer address; the others wait, in the
 * order they came, and go as earlier ones end their IKE_AUTH exchange
 * (established) or fail. An SA is in flight from its first IKE_SA_INIT
 * until it leaves the IKE_SA_INIT and IKE_AUTH states: that is as long as
 * it is half-open at the responder, which is what a responder counts to
 * decide it is under attack.
 *
 * A waiting SA is in state IKE_I_INIT_SENT with nothing sent (no timer
 * runs for it); freeing it takes it out of the queue. The queue is
 * drained from the event loop (a zero timer), never from inside
 * ike_sa_free or a state change, so no caller walking the SA list sees an
 * SA start or fail under it. */
#ifndef IKE_INIT_GATE_H
#define IKE_INIT_GATE_H

#include <stdbool.h>

struct ike_sa;

/* The bounds. A responder asks for cookies (a round trip more for every
 * SA after that) once it holds so many half-open SAs: strongSwan's
 * cookie_threshold is 10 and its block_threshold (half-open SAs per peer
 * address, beyond which it drops requests) 5; this pluto's
 * ddos-ike-threshold is 50 and its max-halfopen-ike-per-peer 5; libreswan
 * asks at 25,000. Eight in flight stay under all of them and still keep a
 * responder's helper threads busy (its DH is the slow step: one to two
 * per CPU overlap with the round trips); four per peer stay under the
 * per-peer caps when many conns share one pair of hosts. */
#define INIT_GATE_MAX		8
#define INIT_GATE_PER_PEER	4

/* ike, new and about to send its first IKE_SA_INIT, may send it now
 * (true: it is counted in flight) or is queued (false: ikev2_start_init
 * sends it when its turn comes). */
bool init_gate_enter(struct ike_sa *ike);
/* ike no longer holds its place (established, failed, freed, deleted):
 * counted off or taken out of the queue; the next waiting ones go on the
 * next pass of the event loop. Harmless for an SA not in the gate. */
void init_gate_leave(struct ike_sa *ike);
/* For status and tests: SAs in flight, and waiting. */
unsigned init_gate_in_flight(void);
unsigned init_gate_waiting(void);
/* pluto is stopping: the queue is forgotten (the SAs are freed by their
 * owner) and the drain event is freed. */
void init_gate_shutdown(void);

#endif
