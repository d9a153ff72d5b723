/* ondemand.c: trap policies, the kernel's acquires, and their rate limit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <event2/event.h>
#include "child_sa.h"
#include "errno_name.h"
#include "ike_sa.h"
#include "ikev2.h"
#include "ikev2_exchange.h"
#include "log.h"
#include "offload_probe.h"
#include "ondemand.h"
#include "pluto.h"
#include "updown.h"

unsigned ondemand_interval_ms = ONDEMAND_INTERVAL_MS;

/* acquires nothing takes, and acquires merged or held back */
static struct log_limit unmatched_lines, merged_lines;

/* A reqid for c's trap and tunnels, kept for the conn's life. Taken from
 * the top of pluto's range down (below the probes'), while tunnels of
 * conns that are not routed count up from the bottom: they meet only
 * after thousands of tunnels, and even then an SA carries its own
 * selectors, so it cannot take another conn's traffic. */
static uint32_t free_reqid(void)
{
	for (uint32_t r = PROBE_REQID - 1; r >= PLUTO_REQID_MIN; r--) {
		const struct connection *c = conn_first();
		while (c != NULL && c->reqid != r)
			c = c->next;
		if (c == NULL)
			return r;
	}
	return 0;
}

/* Whether a tunnel that is up, of c or of the conn c replaced (on its own
 * IKE SA or one it joined), holds the trap's place. */
static bool tunnel_holds_trap(const struct connection *c)
{
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		for (unsigned k = 0; k < ike->ntunnels; k++) {
			const struct tunnel *t = &ike->tunnels[k];
			if (t->child.installed && tunnel_of_conn(t, c->config->name, t->c->instance) &&
			    child_sa_takes_trap(ike, &t->child, c))
				return true;
		}
	}
	return false;
}

static const char *kernel_why(const struct kernel_err *e)
{
	return e->extack[0] != '\0' ? e->extack : strerror(e->errnum);
}

bool ondemand_route(struct connection *c, struct diag *d)
{
	if (c->routed)
		return true;
	if (!c->oriented && !conn_orient(c)) {
		diag_add(d, "cannot route: %s", conn_orient_why(c));
		return false;
	}
	if (c->ends.remote.family == 0) {
		diag_add(d, "cannot route: the other end is %%any, so there is no peer to negotiate with");
		return false;
	}
	if (ends_npairs(&c->ends) > 1) {
		diag_add(d, "cannot route: a conn with several pairs of subnets (leftsubnets=) has no trap yet; bring it up with auto=start");
		return false;
	}
	if (c->reqid == 0 && (c->reqid = free_reqid()) == 0) {
		diag_add(d, "cannot route: every reqid of pluto's range is taken");
		return false;
	}
	c->routed = true;
	struct kernel_policy trap;
	child_sa_trap_policy(c, &trap);
	char src[ADDRESS_STR_MAX], dst[ADDRESS_STR_MAX];
	subnet_str(&trap.src, src);
	subnet_str(&trap.dst, dst);
	if (tunnel_holds_trap(c)) {
		conn_log(c, LL_INFO, "routed: its tunnel is up; once it goes, a packet for %s -> %s starts a negotiation",
			 src, dst);
		updown_conn_routed(c);
		return true;
	}
	/* An add, not an update: a policy already there for these subnets
	 * belongs to another conn's tunnel or to another daemon. */
	struct kernel_err e = {0};
	if (kernel->add_policy(&trap, &e) != 0) {
		c->routed = false;
		diag_add(d, "cannot route: the kernel refused the trap policy %s -> %s: %s (%s)%s", src, dst,
			 kernel_why(&e), errno_name(e.errnum),
			 e.errnum == EEXIST ? "; another conn or daemon holds a policy for these subnets" : "");
		return false;
	}
	conn_log(c, LL_INFO, "routed: a packet for %s -> %s starts a negotiation", src, dst);
	updown_conn_routed(c);	/* the packet must reach the trap */
	return true;
}

void ondemand_unroute(struct connection *c)
{
	if (!c->routed)
		return;
	bool held = tunnel_holds_trap(c);
	c->routed = false;
	updown_conn_unrouted(c);
	if (c->ondemand_timer != NULL)
		evtimer_del(c->ondemand_timer);
	if (held) {
		conn_log(c, LL_INFO, "unrouted: its tunnel stays up; once it goes, nothing takes its place");
		return;
	}
	struct kernel_policy trap;
	struct kernel_err e = {0};
	child_sa_trap_policy(c, &trap);
	if (kernel->del_policy(&trap, &e) != 0 && e.errnum != ENOENT)
		conn_log(c, LL_WARN, "unrouted, but the kernel kept the trap policy: %s (%s)", kernel_why(&e),
			 errno_name(e.errnum));
	else
		conn_log(c, LL_INFO, "unrouted");
}

/* ---- acquires ---- */

/* The packet's address when the selector is a host, else the subnet. */
static const char *flow_str(const ip_subnet *s, char buf[ADDRESS_STR_MAX])
{
	return s->prefixlen == address_bits(&s->addr) ? address_str(&s->addr, buf) : subnet_str(s, buf);
}

static bool within(const ip_subnet *outer, const ip_subnet *inner)
{
	return inner->prefixlen >= outer->prefixlen && subnet_contains(outer, &inner->addr);
}

static struct connection *routed_conn_for(const ip_subnet *src, const ip_subnet *dst)
{
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		if (c->routed && c->oriented && within(&c->ends.local_net, src) && within(&c->ends.remote_net, dst))
			return c;
	}
	return NULL;
}

static void start(struct connection *c, const char *why)
{
	clock_gettime(CLOCK_MONOTONIC, &c->ondemand_at);
	conn_log(c, LL_INFO, "initiating on demand %s", why);
	ikev2_initiate(c, 0);
}

/* What stands for c: NULL when a negotiation may start. An established
 * IKE SA whose IPsec SA the peer deleted carries no traffic, and until
 * CREATE_CHILD_SA exists it cannot make a new one: it is deleted so that
 * a new IKE SA can bring the tunnel back. */
static struct ike_sa *standing_sa(struct connection *c)
{
	struct ike_sa *ike = ike_sa_of_conn(c->config->name);
	if (ike != NULL && ike->state == IKE_ESTABLISHED && !ike_sa_any_child(ike)) {
		ike_log(ike, LL_INFO, "deleting this IKE SA, which has no IPsec SA, to negotiate the tunnel afresh");
		ike->attempt_over = true;
		ikev2_send_delete(ike, 1);
		ike = ike_sa_of_conn(c->config->name);
	}
	return ike;
}

static void on_held_back(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct connection *c = arg;
	if (c->routed && !c->unloaded && standing_sa(c) == NULL)
		start(c, "for a packet the rate limit held back");
}

void ondemand_acquire(const struct kernel_event *ev)
{
	char src[ADDRESS_STR_MAX], dst[ADDRESS_STR_MAX];
	flow_str(&ev->sel_src, src);
	flow_str(&ev->sel_dst, dst);
	struct connection *c = routed_conn_for(&ev->sel_src, &ev->sel_dst);
	if (c == NULL) {
		llog_limited(&unmatched_lines, LL_INFO, "kernel: acquire for %s -> %s: no routed conn covers it; ignored",
			     src, dst);
		return;
	}
	if (standing_sa(c) != NULL) {
		llog_limited(&merged_lines, LL_DEBUG, "\"%s\": acquire for %s -> %s: a negotiation is under way or the tunnel is up",
			     c->config->name, src, dst);
		return;
	}
	long since = ikev2_ms_since(&c->ondemand_at);
	if (c->ondemand_at.tv_sec != 0 && since >= 0 && since < (long)ondemand_interval_ms) {
		if (c->ondemand_timer == NULL)
			c->ondemand_timer = evtimer_new(pluto.base, on_held_back, c);
		if (c->ondemand_timer != NULL && !evtimer_pending(c->ondemand_timer, NULL)) {
			long wait = (long)ondemand_interval_ms - since;
			struct timeval tv = { .tv_sec = wait / 1000, .tv_usec = wait % 1000 * 1000 };
			evtimer_add(c->ondemand_timer, &tv);
		}
		llog_limited(&merged_lines, LL_DEBUG, "\"%s\": acquire for %s -> %s: held back, a negotiation started %ld ms ago",
			     c->config->name, src, dst, since);
		return;
	}
	char why[2 * ADDRESS_STR_MAX + 20];
	snprintf(why, sizeof(why), "for packet %s -> %s", src, dst);
	start(c, why);
}
