/* ike_init_gate.h: how many IKE_SA_INITs of ours are unanswered at once.
 *
 * When many conns start together (auto=start at load or at a reload,
 * many `--up`s), each new IKE SA of ours passes this gate before its
 * first IKE_SA_INIT goes out, its key pair already made. At most
 * INIT_GATE_MAX of them are in flight, and at most INIT_GATE_PER_PEER to
 * one peer address; the others wait, in the order they came, and go as
 * earlier ones get their answer (and send IKE_AUTH) or fail. A COOKIE or
 * INVALID_KE_PAYLOAD answer keeps the SA's place: it sends IKE_SA_INIT
 * again.
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
 * SA after that) once it holds so many half-open SAs (answered
 * IKE_SA_INIT, no IKE_AUTH yet): strongSwan's cookie_threshold is 10 and
 * its block_threshold (per peer address, beyond which it drops requests)
 * 5; this pluto's ddos-ike-threshold is 50 and its
 * max-halfopen-ike-per-peer 5; libreswan asks at 25,000. Ours at the
 * responder are those in flight here plus the IKE_AUTHs on their way
 * (which cost no DH, so they are few and short-lived): six and three per
 * peer leave room for those under strongSwan's limits, and six requests
 * still keep a responder's DH helpers busy. */
#define INIT_GATE_MAX		6
#define INIT_GATE_PER_PEER	3

/* ike, about to send its first IKE_SA_INIT, may send it now (true: it
 * is counted in flight; also for one in flight already) or is queued
 * (false: ikev2_start_init sends it when its turn comes). */
bool init_gate_enter(struct ike_sa *ike);
/* ike no longer holds its place (answered: IKE_AUTH goes; failed, freed):
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
