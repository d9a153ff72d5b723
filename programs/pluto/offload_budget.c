/* offload_budget.c: see offload_budget.h. */
#include <stdlib.h>
#include "offload_budget.h"

static const struct sa_bytes *find_last(const struct offload_rate *r, const struct sa_bytes *sa)
{
	for (size_t i = 0; i < r->nlast; i++)
		if (r->last[i].spi == sa->spi && r->last[i].inbound == sa->inbound)
			return &r->last[i];
	return NULL;
}

void offload_rate_sample(struct offload_rate *r, const struct sa_bytes *now, size_t n, double seconds)
{
	if (n > OFFLOAD_RATE_SAS)
		n = OFFLOAD_RATE_SAS;
	uint64_t carried = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sa_bytes *before = find_last(r, &now[i]);
		uint64_t from = before != NULL ? before->bytes : 0;
		/* a counter never goes back; an SA that did is another SA */
		carried += now[i].bytes >= from ? now[i].bytes - from : now[i].bytes;
	}
	for (size_t i = 0; i < n; i++)
		r->last[i] = now[i];
	r->nlast = n;
	double sample = seconds > 0 ? (double)carried / seconds : 0;
	r->rate = r->samples == 0 ? sample : OFFLOAD_BUDGET_ALPHA * sample + (1 - OFFLOAD_BUDGET_ALPHA) * r->rate;
	r->samples++;
}

unsigned offload_budget_slots(unsigned capacity)
{
	if (capacity <= OFFLOAD_BUDGET_HEADROOM)
		return 0;
	return (capacity - OFFLOAD_BUDGET_HEADROOM) / 2;
}

/* ---- ranking ---- */

static const struct budget_tunnel *sort_base;

/* Priority, then rate; among equals the one offloaded now first (it keeps
 * its place), then the order given (stable for the same input). */
static int by_rank(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct budget_tunnel *x = &sort_base[i], *y = &sort_base[j];
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->rate != y->rate)
		return x->rate > y->rate ? -1 : 1;
	if (x->offloaded != y->offloaded)
		return x->offloaded ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* order[k] is the tunnel ranked k+1; false when out of memory. */
static size_t *rank_all(struct budget_tunnel *t, size_t n)
{
	size_t *order = malloc((n > 0 ? n : 1) * sizeof(*order));
	if (order == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_base = t;
	qsort(order, n, sizeof(*order), by_rank);
	sort_base = NULL;
	for (size_t k = 0; k < n; k++)
		t[order[k]].rank = (unsigned)k + 1;
	return order;
}

/* ---- placing ---- */

static bool settled(const struct budget_tunnel *t)
{
	return t->movable && t->since_move >= OFFLOAD_BUDGET_MIN_STAY;
}

/* The lowest-ranked tunnel wanting the device that may leave it (settled
 * only when asked), or n. */
static size_t weakest_held(const struct budget_tunnel *t, const size_t *order, size_t n, bool settled_only)
{
	for (size_t k = n; k-- > 0;) {
		const struct budget_tunnel *x = &t[order[k]];
		if (x->want_hw && x->movable && (!settled_only || settled(x)))
			return order[k];
	}
	return n;
}

/* The highest-ranked settled tunnel in software, or n. */
static size_t strongest_waiting(const struct budget_tunnel *t, const size_t *order, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct budget_tunnel *x = &t[order[k]];
		if (!x->want_hw && settled(x))
			return order[k];
	}
	return n;
}

/* Whether challenger c is worth the two rekeys a swap with holder h costs. */
static bool worth_swap(const struct budget_tunnel *c, const struct budget_tunnel *h)
{
	if (c->priority != h->priority)
		return c->priority > h->priority;
	return c->rate >= OFFLOAD_BUDGET_SWAP_FACTOR * h->rate + OFFLOAD_BUDGET_MIN_GAIN;
}

/* Whether a waiting tunnel is worth a rekey now to take free room. */
static bool worth_early(const struct budget_tunnel *c)
{
	return c->priority > 0 || c->rate >= OFFLOAD_BUDGET_MIN_GAIN;
}

static unsigned count_held(const struct budget_tunnel *t, size_t n)
{
	unsigned held = 0;
	for (size_t i = 0; i < n; i++)
		held += t[i].want_hw;
	return held;
}

unsigned offload_budget_plan(struct budget_tunnel *t, size_t n, unsigned capacity)
{
	for (size_t i = 0; i < n; i++) {
		t[i].want_hw = capacity == 0 || t[i].offloaded;
		t[i].move_now = false;
	}
	size_t *order = rank_all(t, n);
	if (order == NULL || capacity == 0) {
		free(order);
		return 0;
	}
	unsigned slots = offload_budget_slots(capacity), held = count_held(t, n), moves = 0;
	/* More than the table has room for (first come, first served
	 * filled it): the weakest leave now, so that the tunnels it holds
	 * can be rekeyed in it. */
	while (held > slots) {
		/* the table's room is not a matter of hysteresis: the lowest
		 * ranked goes, however lately it moved */
		size_t w = weakest_held(t, order, n, false);
		if (w == n)
			break;	/* all pinned */
		t[w].want_hw = false;
		t[w].move_now = t[w].offloaded;
		moves += t[w].move_now;
		held--;
	}
	/* Room left: the best waiting tunnels take it now, if they carry
	 * traffic or have a priority (an idle one takes it at its rekey). */
	for (size_t c; held < slots && (c = strongest_waiting(t, order, n)) != n && worth_early(&t[c]); held++) {
		t[c].want_hw = t[c].move_now = true;
		moves++;
	}
	/* A full table: swaps, best challenger against weakest holder. */
	for (;;) {
		size_t c = strongest_waiting(t, order, n), h = weakest_held(t, order, n, true);
		if (c == n || h == n || t[c].rank > t[h].rank || !worth_swap(&t[c], &t[h]))
			break;
		t[h].want_hw = false;
		t[h].move_now = true;
		t[c].want_hw = t[c].move_now = true;
		moves += 2;
	}
	free(order);
	return moves;
}

/* ---- capacity ---- */

void offload_budget_learn(unsigned *capacity, unsigned held_when_full)
{
	if (*capacity == 0)
		*capacity = held_when_full;
}

void offload_budget_seen(unsigned *capacity, unsigned held)
{
	if (*capacity != 0 && held > *capacity)
		*capacity = held;
}
