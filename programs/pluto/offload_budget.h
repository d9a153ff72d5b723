/* offload_budget.h: which tunnels the NIC's small SA table holds (the
 * policy of docs/offload.md, "The table goes to the traffic"), as pure
 * logic: no kernel, no clock, no IKE; offload_balance.h feeds it.
 *
 * A tunnel's traffic is a smoothed byte rate: an exponential moving
 * average of the bytes its SAs carried between two samples. Tunnels of
 * one device are ranked by hw_offload_priority= (higher first), then by
 * rate. The device holds as many tunnels as its table has room for, two
 * SAs each, less two SAs kept free so that a tunnel it holds can be
 * rekeyed make-before-break (the new pair is added before the old one
 * goes). Moves keep to a hysteresis: a software tunnel takes the slot of
 * an offloaded one only when it has higher priority, or the same and at
 * least OFFLOAD_BUDGET_SWAP_FACTOR times its rate (plus a floor, so idle
 * tunnels do not trade places on stray packets); and a tunnel that moved
 * (or came up) stays where it is for OFFLOAD_BUDGET_MIN_STAY samples.
 * Free room goes at once only to a waiting tunnel that carries traffic
 * (OFFLOAD_BUDGET_MIN_GAIN) or has a priority; an idle one takes it at its
 * own rekey. Until the device's size is known (it said "table full", offload_balance
 * learned it) nothing moves: every tunnel asks for the NIC, as before. */
#ifndef OFFLOAD_BUDGET_H
#define OFFLOAD_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFFLOAD_BUDGET_SWAP_FACTOR 2.0	/* a challenger carries this many times the rate */
#define OFFLOAD_BUDGET_MIN_GAIN 1000.0	/* ... plus these bytes per second */
#define OFFLOAD_BUDGET_MIN_STAY 2	/* samples a tunnel stays after a move */
#define OFFLOAD_BUDGET_HEADROOM 2	/* SAs kept free for a rekey of a held tunnel */
#define OFFLOAD_BUDGET_ALPHA 0.5	/* the weight of the newest sample */

/* The SAs of one tunnel (the current child and those a rekey replaces,
 * both directions) at one sample. */
#define OFFLOAD_RATE_SAS 8
struct sa_bytes {
	uint32_t spi;
	bool inbound;			/* in and out SPIs are chosen by different ends */
	uint64_t bytes;
};

struct offload_rate {
	struct sa_bytes last[OFFLOAD_RATE_SAS];	/* what the previous sample saw */
	size_t nlast;
	double rate;			/* bytes per second, smoothed */
	unsigned samples;
};

/* One sample, seconds after the previous one: the bytes each SA carried
 * since (an SA not seen before counts from 0, as it was installed since;
 * one gone since is not counted) folded into the rate. */
void offload_rate_sample(struct offload_rate *r, const struct sa_bytes *now, size_t n, double seconds);

/* One tunnel of a device, as the planner sees it. */
struct budget_tunnel {
	/* in */
	unsigned priority;		/* hw_offload_priority= */
	double rate;
	bool offloaded;			/* its current SAs are in the device's table */
	bool movable;			/* false: it keeps what it has (hw_offload_fallback=no,
					 * packet offload) and only counts */
	unsigned since_move;		/* samples since it came up or last moved */
	/* out */
	unsigned rank;			/* 1: the first the device should hold */
	bool want_hw;			/* where its next SAs are to go */
	bool move_now;			/* a swap: rekey it early */
};

/* Tunnels a device whose table holds capacity SAs gives room to; 0 for an
 * unknown capacity. */
unsigned offload_budget_slots(unsigned capacity);

/* Ranks t[0..n) and decides each one's want_hw and move_now for a device
 * of capacity SAs (0: unknown). Returns the number of moves decided. */
unsigned offload_budget_plan(struct budget_tunnel *t, size_t n, unsigned capacity);

/* What a device's table is known to hold: capacity learned when it first
 * refused an SA as full (the SAs it held then), never shrinking on a later
 * refusal (another user of the table may hold some), and growing when it
 * is seen holding more. */
void offload_budget_learn(unsigned *capacity, unsigned held_when_full);
void offload_budget_seen(unsigned *capacity, unsigned held);

#endif
