/* ike_init_gate.c: the bound on our unanswered IKE_SA_INITs
 * (ike_init_gate.h). Two lists through the SAs themselves: those in
 * flight (at most INIT_GATE_MAX, so a walk counts one peer's) and those
 * waiting, oldest first. */
#include <event2/event.h>
#include "ike_init_gate.h"
#include "ike_sa.h"
#include "ikev2_exchange.h"
#include "pluto.h"

struct gate_list {
	struct ike_sa *head, *tail;
	unsigned n;
};

static struct gate_list flying, waiting;
static struct event *drain_ev;

static void list_add(struct gate_list *l, struct ike_sa *ike)
{
	ike->gate_next = NULL;
	ike->gate_prev = l->tail;
	if (l->tail != NULL)
		l->tail->gate_next = ike;
	else
		l->head = ike;
	l->tail = ike;
	l->n++;
}

static void list_del(struct gate_list *l, struct ike_sa *ike)
{
	if (ike->gate_prev != NULL)
		ike->gate_prev->gate_next = ike->gate_next;
	else
		l->head = ike->gate_next;
	if (ike->gate_next != NULL)
		ike->gate_next->gate_prev = ike->gate_prev;
	else
		l->tail = ike->gate_prev;
	ike->gate_prev = ike->gate_next = NULL;
	l->n--;
}

static unsigned flying_to(const ip_address *peer)
{
	unsigned n = 0;
	for (const struct ike_sa *f = flying.head; f != NULL; f = f->gate_next)
		n += address_eq(&f->ends.remote, peer);
	return n;
}

static bool may_fly(const struct ike_sa *ike)
{
	return flying.n < INIT_GATE_MAX && flying_to(&ike->ends.remote) < INIT_GATE_PER_PEER;
}

static void fly(struct ike_sa *ike)
{
	ike->gate = GATE_IN_FLIGHT;
	list_add(&flying, ike);
}

/* Starts the waiting SAs that may go now, oldest first; one whose peer
 * has its share in flight lets later ones for other peers pass. */
static void drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	struct ike_sa *ike = waiting.head;
	while (ike != NULL && flying.n < INIT_GATE_MAX && !pluto.stopping) {
		struct ike_sa *next = ike->gate_next;
		if (may_fly(ike)) {
			unsigned serial = ike->serial;
			list_del(&waiting, ike);
			fly(ike);
			ikev2_start_init(ike);
			/* It may have failed and been freed, and taken others
			 * with it: start over from the head. */
			next = ike_sa_by_serial(serial) != NULL ? next : waiting.head;
		}
		ike = next;
	}
}

bool init_gate_enter(struct ike_sa *ike)
{
	if (ike->gate != GATE_NONE)
		return ike->gate == GATE_IN_FLIGHT;
	if (waiting.n == 0 && may_fly(ike)) {
		fly(ike);
		return true;
	}
	ike->gate = GATE_WAITING;
	list_add(&waiting, ike);
	return false;
}

static void drain_soon(void)
{
	if (waiting.n == 0 || pluto.stopping)
		return;
	if (drain_ev == NULL)
		drain_ev = evtimer_new(pluto.base, drain, NULL);
	static const struct timeval now = { 0, 0 };
	if (drain_ev != NULL)
		evtimer_add(drain_ev, &now);
}

void init_gate_leave(struct ike_sa *ike)
{
	switch (ike->gate) {
	case GATE_NONE:
		return;
	case GATE_WAITING:
		list_del(&waiting, ike);
		break;
	case GATE_IN_FLIGHT:
		list_del(&flying, ike);
		drain_soon();
		break;
	}
	ike->gate = GATE_NONE;
}

unsigned init_gate_in_flight(void)
{
	return flying.n;
}

unsigned init_gate_waiting(void)
{
	return waiting.n;
}

void init_gate_shutdown(void)
{
	if (drain_ev != NULL)
		event_free(drain_ev);
	drain_ev = NULL;
}
