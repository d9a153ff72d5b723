/* offload_balance.c: see offload_balance.h. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "child_sa.h"
#include "escape.h"
#include "ike_sa.h"
#include "ikev2_exchange.h"
#include "kernel.h"
#include "log.h"
#include "offload_balance.h"
#include "sa_counters.h"

/* ---- devices ---- */

#define DEVICES_MAX 16

struct device {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned capacity;		/* SAs; 0 until learned */
	unsigned held;			/* SAs offloaded there at the last sample (the kernel's
					 * count), plus those pluto offloaded since */
};

static struct device devices[DEVICES_MAX];
static size_t ndevices;
static bool off;		/* offload-budget=no: first come, first served */

static bool on_device(const struct sa_offload *o, int ifindex)
{
	return (o->state == SA_OFFLOAD_CRYPTO || o->state == SA_OFFLOAD_PACKET) && o->ifindex == ifindex;
}

/* An interface's name is any bytes its creator chose: escaped to print. */
#define SHOWN_MAX ESCAPED_MAX(IF_NAMESIZE)
static const char *shown(const char *dev, char buf[SHOWN_MAX])
{
	return escape_str(dev, buf, SHOWN_MAX);
}

static struct device *device_find(int ifindex);

/* The device with ifindex, added when new. */
static struct device *device_of(int ifindex, const char *name)
{
	struct device *known = device_find(ifindex);
	if (known != NULL)
		return known;
	if (ifindex <= 0 || ndevices == DEVICES_MAX)
		return NULL;
	struct device *d = &devices[ndevices++];
	*d = (struct device){ .ifindex = ifindex };
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

static struct device *device_find(int ifindex)
{
	for (size_t i = 0; i < ndevices; i++)
		if (devices[i].ifindex == ifindex)
			return &devices[i];
	return NULL;
}

static struct device *device_named(const char *name)
{
	for (size_t i = 0; i < ndevices; i++)
		if (strcmp(devices[i].name, name) == 0)
			return &devices[i];
	return NULL;
}

void offload_balance_forget(void)
{
	ndevices = 0;
	off = false;
}

/* Whether d has room for one more pair beside the pair kept free for
 * rekeys, by pluto's count since the last sample. */
static bool room_for_pair(const struct device *d)
{
	return d->held + 2 + OFFLOAD_BUDGET_HEADROOM <= d->capacity;
}

void offload_balance_installed(const struct sa_offload *o)
{
	struct device *d = device_of(o->ifindex, o->dev);
	if (d != NULL && on_device(o, o->ifindex))
		d->held++;	/* until the next sample counts again */
	if (off || !o->table_full || d == NULL || d->capacity != 0)
		return;
	offload_budget_learn(&d->capacity, o->table_held);
	char dev[SHOWN_MAX];
	llog(LL_INFO, "offload: %s said its SA table is full holding %u SAs: that is its size, room for %u tunnels "
	     "(a pair each, one pair kept free for rekeys); the busiest tunnels get it from now on",
	     shown(d->name, dev), d->capacity, offload_budget_slots(d->capacity));
}

void offload_balance_removed(const struct sa_offload *o)
{
	struct device *d = device_find(o->ifindex);
	if (d != NULL && on_device(o, o->ifindex) && d->held > 0)
		d->held--;	/* the next sample counts again */
}

/* ---- the tunnels the budget sees ---- */


/* SAs of child ch offloaded to ifindex. */
static unsigned child_held(const struct child_sa *ch, int ifindex)
{
	if (!ch->installed)
		return 0;
	return on_device(&ch->offload[0], ifindex) + (!ch->out_pending && on_device(&ch->offload[1], ifindex));
}

/* Whether the device holds all of child ch's SAs: one of a pair split
 * between it and software (a table full for one of them) does not count
 * as held, so that the budget moves the tunnel whole, in or out. */
static bool pair_on_device(const struct child_sa *ch, int ifindex)
{
	return ch->installed && child_held(ch, ifindex) == (ch->out_pending ? 1u : 2u);
}

static unsigned tunnel_held(const struct tunnel *t)
{
	unsigned n = child_held(&t->child, t->budget.ifindex);
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
		n += child_held(&t->retiring[i], t->budget.ifindex);
	return n;
}

/* A tunnel up whose conn asks for offload. */
static bool asks_offload(const struct ike_sa *ike, const struct tunnel *t)
{
	return ike->state == IKE_ESTABLISHED && ike->replaced_by == 0 && t->child.installed &&
	       child_sa_offload_policy(ike, t, &t->child)->mode != HW_OFFLOAD_NO;
}

/* Whether the budget may move t: fallback allowed, and not packet offload
 * (its policies sit on the device too, and a rekey does not move them). */
static bool movable(const struct ike_sa *ike, const struct tunnel *t)
{
	const struct offload_policy *p = child_sa_offload_policy(ike, t, &t->child);
	return p->fallback && p->mode != HW_OFFLOAD_PACKET && t->child.offload[0].state != SA_OFFLOAD_PACKET &&
	       t->child.offload[1].state != SA_OFFLOAD_PACKET;
}

static void note_device(struct tunnel *t)
{
	for (size_t i = 0; i < 2; i++) {
		const struct sa_offload *o = &t->child.offload[i];
		if (o->ifindex > 0) {
			t->budget.ifindex = o->ifindex;
			snprintf(t->budget.dev, sizeof(t->budget.dev), "%s", o->dev);
		}
	}
}

static size_t child_bytes(const struct ike_sa *ike, const struct child_sa *ch, const struct sa_counters *sc,
			  struct sa_bytes *out)
{
	if (!ch->installed)
		return 0;
	bool found;
	size_t n = 0;
	out[n++] = (struct sa_bytes){ ch->spi_in, true, sa_counters_bytes(sc, &ike->ends.local, ch->spi_in, &found) };
	if (!ch->out_pending)
		out[n++] = (struct sa_bytes){ ch->spi_out, false,
					      sa_counters_bytes(sc, &ike->ends.remote, ch->spi_out, &found) };
	return n;
}

static void sample_tunnel(const struct ike_sa *ike, struct tunnel *t, const struct sa_counters *sc, double seconds)
{
	struct sa_bytes now[OFFLOAD_RATE_SAS];
	size_t n = child_bytes(ike, &t->child, sc, now);
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
		n += child_bytes(ike, &t->retiring[i], sc, now + n);
	offload_rate_sample(&t->budget.rate, now, n, seconds);
	note_device(t);
	bool offloaded = pair_on_device(&t->child, t->budget.ifindex);
	if (!t->budget.sampled || offloaded != t->budget.offloaded)
		t->budget.since_move = 0;
	else
		t->budget.since_move++;
	t->budget.sampled = true;
	t->budget.offloaded = offloaded;
}

/* ---- a rekey in the table ---- */

/* Whether a rekey of a tunnel of the device other than t is under way
 * whose new pair goes to its table: a held tunnel's own, or a move in. */
static bool other_rekey_into(const struct tunnel *t, int ifindex)
{
	for (const struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next)
		for (unsigned i = 0; i < ike->ntunnels; i++) {
			const struct tunnel *o = &ike->tunnels[i];
			if (o != t && o->budget.ifindex == ifindex && !o->budget.to_software &&
			    ikev2_rekeying_tunnel(ike, o))
				return true;
		}
	return false;
}

/* When a held tunnel's rekey stops waiting: half its rekeymargin before
 * its SAs expire (a rekey under way on a slow machine may take many
 * seconds, retransmits included). */
static time_t hold_until(const struct tunnel *t)
{
	const struct conn_config *c = t->c->config;
	return t->child.add_time + (time_t)c->salifetime - (time_t)c->rekeymargin / 2;
}

bool offload_balance_may_rekey(const struct tunnel *t, time_t now)
{
	const struct device *d = device_find(t->budget.ifindex);
	if (off || d == NULL || d->capacity == 0 || t->budget.to_software)
		return true;	/* its new pair goes to software */
	/* a tunnel in software whose rekey asks for the table (it ranks
	 * inside) waits only for another rekey into it: without room it
	 * is better off in software at once than waiting */
	bool held = pair_on_device(&t->child, d->ifindex);
	bool wait = other_rekey_into(t, d->ifindex) || (held && d->held + 2 > d->capacity);
	return !wait || now >= hold_until(t);
}

/* ---- a device's plan ---- */

struct member {
	struct ike_sa *ike;
	struct tunnel *t;
};

/* The tunnels on device d (pluto's, up, asking for offload), or NULL and
 * 0 when there are none or memory ran out. */
static struct member *members_of(const struct device *d, size_t *n)
{
	size_t count = 0, k = 0;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next)
		for (unsigned i = 0; i < ike->ntunnels; i++)
			count += asks_offload(ike, &ike->tunnels[i]) && ike->tunnels[i].budget.ifindex == d->ifindex;
	*n = 0;
	struct member *m = count > 0 ? calloc(count, sizeof(*m)) : NULL;
	if (m == NULL)
		return NULL;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next)
		for (unsigned i = 0; i < ike->ntunnels && k < count; i++)
			if (asks_offload(ike, &ike->tunnels[i]) && ike->tunnels[i].budget.ifindex == d->ifindex)
				m[k++] = (struct member){ ike, &ike->tunnels[i] };
	*n = k;
	return m;
}

static void rekey_to(struct ike_sa *ike, struct tunnel *t, const struct device *d, bool hw)
{
	unsigned slots = offload_budget_slots(d->capacity);
	char dev[SHOWN_MAX];
	shown(d->name, dev);
	if (hw)
		child_log(ike, t, &t->child, LL_INFO,
			  "offload: rekeying now to move this tunnel's SAs to %s: rank %u of the %u tunnels it holds (%.0f B/s)",
			  dev, t->budget.rank, slots, t->budget.rate.rate);
	else
		child_log(ike, t, &t->child, LL_INFO,
			  "offload: rekeying now to move this tunnel's SAs from %s to software: rank %u of the %u tunnels it holds "
			  "(%.0f B/s); a busier tunnel takes the slot", dev, t->budget.rank, slots, t->budget.rate.rate);
	ikev2_rekey_tunnel(ike, t);
}

static bool rekey_pending(const struct ike_sa *ike, const struct tunnel *t)
{
	return t->want_rekey || ikev2_rekeying_tunnel(ike, t);
}

/* The plan's moves: those leaving first (their slots free once their old
 * SAs are deleted), then those coming in while the table has room for
 * their pair now; the others come in at a later sample. */
static void apply_moves(const struct device *d, struct member *m, const struct budget_tunnel *bt, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bt[i].move_now && !bt[i].want_hw && !rekey_pending(m[i].ike, m[i].t))
			rekey_to(m[i].ike, m[i].t, d, false);
	/* one pair on its way to the table at a time (the spare pair is
	 * room for one make-before-break): not beside a held tunnel's
	 * rekey or another move */
	struct device room = *d;
	bool one_moving = false;
	for (size_t i = 0; i < n; i++) {
		if (!bt[i].move_now || !bt[i].want_hw || rekey_pending(m[i].ike, m[i].t) || !room_for_pair(&room) ||
		    one_moving || other_rekey_into(m[i].t, d->ifindex))
			continue;
		one_moving = true;
		room.held += 2;
		rekey_to(m[i].ike, m[i].t, d, true);
	}
}

static void plan_device(struct device *d)
{
	size_t n;
	struct member *m = members_of(d, &n);
	struct budget_tunnel *bt = n > 0 ? calloc(n, sizeof(*bt)) : NULL;
	if (bt == NULL) {
		free(m);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tunnel *t = m[i].t;
		bt[i] = (struct budget_tunnel){ .priority = t->c->config->hw_offload_priority, .rate = t->budget.rate.rate,
						.offloaded = t->budget.offloaded, .movable = movable(m[i].ike, t),
						.since_move = t->budget.since_move };
	}
	offload_budget_seen(&d->capacity, d->held);
	offload_budget_plan(bt, n, d->capacity);
	unsigned slots = offload_budget_slots(d->capacity);
	for (size_t i = 0; i < n; i++) {
		struct tunnel_budget *b = &m[i].t->budget;
		b->rank = bt[i].rank;
		b->slots = slots;
		/* At its rekey a tunnel goes to software when the plan has it
		 * there and it ranks outside the table; one the hysteresis
		 * keeps out while ranking inside tries the NIC (and takes a
		 * slot when one is free). */
		b->to_software = d->capacity != 0 && bt[i].movable && !bt[i].want_hw && bt[i].rank > slots;
	}
	if (d->capacity != 0)
		apply_moves(d, m, bt, n);
	free(bt);
	free(m);
}

void offload_balance_sample(double seconds)
{
	struct sa_counters sc;
	bool any = false;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL && !any; ike = ike->next)
		for (unsigned i = 0; i < ike->ntunnels && !any; i++)
			any = asks_offload(ike, &ike->tunnels[i]);
	if (!any || !sa_counters_load(&sc, kernel))
		return;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		for (unsigned i = 0; i < ike->ntunnels; i++) {
			struct tunnel *t = &ike->tunnels[i];
			if (!asks_offload(ike, t))
				continue;
			sample_tunnel(ike, t, &sc, seconds);
			device_of(t->budget.ifindex, t->budget.dev);
		}
	}
	/* the table's use as the kernel has it: pluto's view of its own SAs
	 * lags behind rekeys under way, and other users hold slots too */
	for (size_t i = 0; i < ndevices; i++)
		devices[i].held = sa_counters_offloaded_on(&sc, devices[i].ifindex);
	sa_counters_free(&sc);
	for (size_t i = 0; i < ndevices; i++)
		plan_device(&devices[i]);
}

/* ---- the timer ---- */

static struct event *timer;
static unsigned every;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	offload_balance_sample(every);
}

void offload_balance_start(struct event_base *base, unsigned interval, bool on)
{
	every = interval > 0 ? interval : OFFLOAD_INTERVAL_DEFAULT;
	off = !on;
	if (off) {
		llog(LL_INFO, "offload: offload-budget=no: a NIC's SA table goes to the tunnels that come up first");
		return;
	}
	timer = event_new(base, -1, EV_PERSIST, on_timer, NULL);
	if (timer == NULL) {
		llog(LL_WARN, "offload: cannot start sampling the SAs' traffic; the NIC's table stays first come, first served");
		return;
	}
	struct timeval tv = { .tv_sec = every };
	event_add(timer, &tv);
}

void offload_balance_stop(void)
{
	if (timer != NULL)
		event_free(timer);
	timer = NULL;
}

/* ---- the decision at install ---- */

/* A tunnel coming up (its first child: a rekey keeps to what it had),
 * not ranked yet, on a device of known size with no room for its pair
 * beside the one kept for rekeys. */
static bool newcomer_without_room(const struct tunnel *t, const ip_address *local, struct kernel_link *link)
{
	if (t->budget.sampled || t->child.installed || ndevices == 0)
		return false;
	struct kernel_err e = {0};
	if (kernel->link_for_address(local, link, &e) != 0)
		return false;
	const struct device *d = device_find(link->ifindex);
	return d != NULL && d->capacity != 0 && !room_for_pair(d);
}

/* Whether an outbound SA goes to software with its pair's inbound one:
 * the budget kept that one from the device, or the device refused it as
 * full. A pair is placed once, by its inbound SA: the table's use and the
 * budget's word may change before the outbound one is installed (by the
 * inbound one itself, or over the round trip a rekey's responder waits),
 * and a pair split between the device and software holds a slot without
 * the tunnel's traffic going through it. */
static bool follows_inbound(const struct sa_offload *in)
{
	return in != NULL && in->state == SA_OFFLOAD_SOFTWARE && in->ifindex > 0 && (in->budget_kept || in->table_full);
}

const struct offload_policy *offload_balance_policy(const struct tunnel *t, const ip_address *local,
						    const struct sa_offload *pair_in, const struct offload_policy *pol,
						    struct offload_policy *scratch, struct kernel_link *device)
{
	*device = (struct kernel_link){0};
	if (off || pol->mode == HW_OFFLOAD_NO || pol->mode == HW_OFFLOAD_PACKET || !pol->fallback)
		return pol;
	const char *why;
	char ranked[64];
	if (pair_in != NULL && (on_device(pair_in, pair_in->ifindex) || follows_inbound(pair_in))) {
		if (!follows_inbound(pair_in))
			return pol;	/* the device: room for the pair was there */
		why = pair_in->why;
		device->ifindex = pair_in->ifindex;
		snprintf(device->name, sizeof(device->name), "%s", pair_in->dev);
	} else if (t->budget.to_software) {
		snprintf(ranked, sizeof(ranked), "table full, rank %u of %u", t->budget.rank, t->budget.slots);
		why = ranked;
		device->ifindex = t->budget.ifindex;
		snprintf(device->name, sizeof(device->name), "%s", t->budget.dev);
	} else if (newcomer_without_room(t, local, device)) {
		why = "table full, not ranked yet";
	} else {
		return pol;
	}
	*scratch = *pol;
	scratch->mode = HW_OFFLOAD_NO;
	/* (an inbound SA's reason, which may be longer, fits in practice) */
	snprintf(scratch->software_why, sizeof(scratch->software_why), "%.*s", (int)sizeof(scratch->software_why) - 1, why);
	return scratch;
}

/* ---- what users see ---- */

const char *offload_balance_status(const struct tunnel *t, char *buf, size_t len)
{
	if (!t->budget.sampled)
		snprintf(buf, len, "rate=unknown");
	else if (t->budget.slots == 0)
		snprintf(buf, len, "rate=%.0fB/s", t->budget.rate.rate);
	else
		snprintf(buf, len, "rate=%.0fB/s, rank=%u/%u", t->budget.rate.rate, t->budget.rank, t->budget.slots);
	return buf;
}

#define WAITING_SHOWN 5

/* The busiest tunnels of d in software, best first, into w. */
static size_t busiest_waiting(const struct device *d, struct member *w, size_t max)
{
	size_t n = 0;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		for (unsigned i = 0; i < ike->ntunnels; i++) {
			struct tunnel *t = &ike->tunnels[i];
			if (!asks_offload(ike, t) || t->budget.ifindex != d->ifindex || tunnel_held(t) > 0 || t->budget.rank == 0)
				continue;
			size_t k = n < max ? n++ : max;
			while (k > 0 && w[k - 1].t->budget.rank > t->budget.rank) {
				if (k < max)
					w[k] = w[k - 1];
				k--;
			}
			if (k < max)
				w[k] = (struct member){ ike, t };
		}
	}
	return n;
}

static void report_waiting(const struct device *d, struct diag *lines)
{
	struct member w[WAITING_SHOWN];
	size_t n = busiest_waiting(d, w, WAITING_SHOWN);
	char dev[SHOWN_MAX];
	shown(d->name, dev);
	if (n == 0) {
		diag_add(lines, "%s:   no tunnel waits in software", dev);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tunnel *t = w[i].t;
		diag_add(lines, "%s:   waiting: \"%s\"%s #%u rank %u, %.0f B/s, hw_offload_priority=%u", dev,
			 t->c->config->name, t->c->instance_text, t->child.serial,
			 t->budget.rank, t->budget.rate.rate, t->c->config->hw_offload_priority);
	}
}

void offload_balance_report(const char *name, struct diag *lines)
{
	const struct device *d = device_named(name);
	char dev[SHOWN_MAX];
	shown(name, dev);
	if (off) {
		diag_add(lines, "%s: offload budget: off (offload-budget=no): the table is first come, first served", dev);
		return;
	}
	if (d == NULL) {
		diag_add(lines, "%s: offload budget: no tunnel of pluto's has used this device yet (sampled every %u s)",
			 dev, every);
		return;
	}
	if (d->capacity == 0) {
		diag_add(lines, "%s: offload budget: table size not known yet (it is learned when the device first says "
			 "it is full); pluto holds %u SAs there; sampled every %u s", dev, d->held, every);
		return;
	}
	unsigned slots = offload_budget_slots(d->capacity);
	diag_add(lines, "%s: offload budget: capacity %u SAs (learned at table full), room for %u tunnels; "
		 "held %u, free %u (at the last sample, every %u s)", dev, d->capacity, slots, d->held,
		 d->held < d->capacity ? d->capacity - d->held : 0, every);
	report_waiting(d, lines);
}
