/* kernel_double.h: a scripted stand-in for the kernel ops, for unit tests
 * of the logic above the kernel interface. Include it in one test file;
 * reset dbl before each test. It records every add and keeps the SAs it
 * accepted, so tests can assert what would be left in the kernel. */
#ifndef KERNEL_DOUBLE_H
#define KERNEL_DOUBLE_H

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "kernel.h"
#include "kernel_route.h"

struct double_sa {
	ip_address dst;
	uint32_t spi;
	uint32_t reqid;
	struct kernel_sa_info info;
	/* the keys, so two ends in one process can be shown to agree */
	uint8_t keys[2 * 64];
	size_t keys_len;
	/* ESP in UDP (NAT-T), as added or last updated */
	bool encap;
	uint16_t encap_sport, encap_dport;
	enum kernel_offload offload_asked;
};

static struct {
	/* scripted answers */
	bool no_link;
	struct kernel_link link;
	bool esp_hw_offload;
	bool packet_kernel;
	bool encap_kernel;		/* crypto offload of UDP-encapsulated SAs (6.12) */
	struct kernel_err refuse_crypto, refuse_packet, refuse_plain;
	struct kernel_err refuse_packet_policy;	/* a device without policy offload */
	bool runs_in_software;		/* accepts offload, does not offload */
	bool del_fails;			/* del_sa answers EBUSY and keeps the SA */
	/* when set, decides each offloaded add like a driver would */
	int (*driver)(const struct kernel_sa *sa, struct kernel_err *e);
	/* what happened */
	struct double_sa sas[128];
	size_t nsas;
	int adds, dels, policies;
	/* the policies held, one per selector and direction as the kernel
	 * keeps them (a second add of one is EEXIST) */
	struct kernel_policy pols[128];	/* 12 tunnels of both ends: test_ike_init_gate */
	size_t npols;
	int policy_updates;
	int sa_updates;
	enum kernel_offload modes[8];
	ip_address link_asked;
	ip_address default_route;	/* left=%defaultroute's answer; unset: no default route */
} dbl;

static int d_add_sa(const struct kernel_sa *sa, struct kernel_err *e)
{
	if (dbl.adds < 8)
		dbl.modes[dbl.adds] = sa->offload;
	dbl.adds++;
	const struct kernel_err *refusal =
		sa->offload == KERNEL_OFFLOAD_CRYPTO ? &dbl.refuse_crypto :
		sa->offload == KERNEL_OFFLOAD_PACKET ? &dbl.refuse_packet : &dbl.refuse_plain;
	if (refusal->errnum != 0) {
		*e = *refusal;
		return -refusal->errnum;
	}
	if (sa->offload != KERNEL_OFFLOAD_NONE && dbl.driver != NULL) {
		int r = dbl.driver(sa, e);
		if (r != 0)
			return r;
	}
	if (dbl.nsas == sizeof(dbl.sas) / sizeof(dbl.sas[0])) {
		e->errnum = ENOBUFS;
		return -ENOBUFS;
	}
	struct double_sa *d = &dbl.sas[dbl.nsas++];
	*d = (struct double_sa){ .dst = sa->dst, .spi = sa->spi, .reqid = sa->reqid, .encap = sa->encap,
				 .encap_sport = sa->encap_sport, .encap_dport = sa->encap_dport,
				 .offload_asked = sa->offload };
	if (sa->encr_key_len + sa->integ_key_len <= sizeof(d->keys)) {
		memcpy(d->keys, sa->encr_key, sa->encr_key_len);
		if (sa->integ_key_len > 0)
			memcpy(d->keys + sa->encr_key_len, sa->integ_key, sa->integ_key_len);
		d->keys_len = sa->encr_key_len + sa->integ_key_len;
	}
	if (sa->offload != KERNEL_OFFLOAD_NONE && !dbl.runs_in_software) {
		d->info.offloaded = true;
		d->info.offload_ifindex = sa->offload_ifindex;
		d->info.offload_packet = sa->offload == KERNEL_OFFLOAD_PACKET;
	}
	return 0;
}

static struct double_sa *d_find(const ip_address *dst, uint32_t spi)
{
	for (size_t i = 0; i < dbl.nsas; i++) {
		if (dbl.sas[i].spi == spi && address_eq(&dbl.sas[i].dst, dst))
			return &dbl.sas[i];
	}
	return NULL;
}

static int d_get_sa(const ip_address *dst, uint32_t spi, uint8_t proto,
		    struct kernel_sa_info *info, struct kernel_err *e)
{
	(void)proto;
	struct double_sa *d = d_find(dst, spi);
	if (d == NULL) {
		e->errnum = ESRCH;
		return -ESRCH;
	}
	*info = d->info;
	return 0;
}

/* As the kernel's XFRM_MSG_UPDSA of a live SA: only its encapsulation
 * (and lifetimes) change; its keys stay. */
static int d_update_sa(const struct kernel_sa *sa, struct kernel_err *e)
{
	struct double_sa *d = d_find(&sa->dst, sa->spi);
	dbl.sa_updates++;
	if (d == NULL || d->encap != sa->encap) {
		e->errnum = d == NULL ? ESRCH : EINVAL;
		return -e->errnum;
	}
	d->encap_sport = sa->encap_sport;
	d->encap_dport = sa->encap_dport;
	return 0;
}

static int d_del_sa(const ip_address *dst, uint32_t spi, uint8_t proto, struct kernel_err *e)
{
	(void)proto; (void)e;
	struct double_sa *d = d_find(dst, spi);
	dbl.dels++;
	if (d == NULL)
		return -ESRCH;
	if (dbl.del_fails)
		return -EBUSY;
	*d = dbl.sas[--dbl.nsas];
	return 0;
}

static int d_list_sas(kernel_sa_fn *fn, void *arg, struct kernel_err *e)
{
	(void)e;
	for (size_t i = 0; i < dbl.nsas; i++) {
		struct kernel_sa_entry entry = { .dst = dbl.sas[i].dst, .spi = dbl.sas[i].spi,
						 .proto = IPPROTO_ESP, .info = dbl.sas[i].info };
		fn(arg, &entry);
	}
	return 0;
}

static int d_flush(uint32_t lo, uint32_t hi, struct kernel_err *e)
{
	(void)e;
	for (size_t i = 0; i < dbl.nsas;) {
		if (dbl.sas[i].reqid >= lo && dbl.sas[i].reqid <= hi)
			dbl.sas[i] = dbl.sas[--dbl.nsas];
		else
			i++;
	}
	for (size_t i = 0; i < dbl.npols;) {
		if (dbl.pols[i].reqid >= lo && dbl.pols[i].reqid <= hi) {
			dbl.pols[i] = dbl.pols[--dbl.npols];
			dbl.policies--;
		} else {
			i++;
		}
	}
	return 0;
}

static int d_link_for_address(const ip_address *a, struct kernel_link *link, struct kernel_err *e)
{
	dbl.link_asked = *a;
	if (dbl.no_link) {
		e->errnum = ENODEV;
		return -ENODEV;
	}
	*link = dbl.link;
	return 0;
}

static int d_offload_features(const char *ifname, struct offload_features *f, struct kernel_err *e)
{
	(void)ifname; (void)e;
	*f = (struct offload_features){ .esp_hw_offload = dbl.esp_hw_offload };
	return 0;
}

static bool d_has_packet_offload(void)
{
	return dbl.packet_kernel;
}

static bool d_has_encap_offload(void)
{
	return dbl.encap_kernel;
}

static int d_default_route_source(int family, ip_address *a, struct kernel_err *e)
{
	if (dbl.default_route.family != family) {
		e->errnum = ENETUNREACH;
		snprintf(e->extack, sizeof(e->extack), "this host has no default route");
		return -ENETUNREACH;
	}
	*a = dbl.default_route;
	return 0;
}

static struct kernel_policy *d_find_policy(const struct kernel_policy *p)
{
	for (size_t i = 0; i < dbl.npols; i++) {
		const struct kernel_policy *q = &dbl.pols[i];
		if (q->dir == p->dir && q->src.prefixlen == p->src.prefixlen && q->dst.prefixlen == p->dst.prefixlen &&
		    address_eq(&q->src.addr, &p->src.addr) && address_eq(&q->dst.addr, &p->dst.addr) &&
		    protoport_eq(&q->src_pp, &p->src_pp) && protoport_eq(&q->dst_pp, &p->dst_pp))
			return &dbl.pols[i];
	}
	return NULL;
}

/* Sets a scripted refusal: errnum and the kernel's text. */
static inline void dbl_refuse(struct kernel_err *slot, int errnum, const char *extack)
{
	slot->errnum = errnum;
	snprintf(slot->extack, sizeof(slot->extack), "%s", extack);
}

static int d_put_policy(const struct kernel_policy *p, bool replace, struct kernel_err *e)
{
	if (p->offload == KERNEL_OFFLOAD_PACKET && dbl.refuse_packet_policy.errnum != 0) {
		*e = dbl.refuse_packet_policy;
		return -e->errnum;
	}
	struct kernel_policy *q = d_find_policy(p);
	if (q != NULL && !replace) {
		e->errnum = EEXIST;
		return -EEXIST;
	}
	if (q == NULL) {
		if (dbl.npols == sizeof(dbl.pols) / sizeof(dbl.pols[0])) {
			e->errnum = ENOBUFS;
			return -ENOBUFS;
		}
		q = &dbl.pols[dbl.npols++];
		dbl.policies++;
	}
	*q = *p;
	return 0;
}

static int d_add_policy(const struct kernel_policy *p, struct kernel_err *e)
{
	return d_put_policy(p, false, e);
}

static int d_update_policy(const struct kernel_policy *p, struct kernel_err *e)
{
	dbl.policy_updates++;
	return d_put_policy(p, true, e);
}

static int d_del_policy(const struct kernel_policy *p, struct kernel_err *e)
{
	struct kernel_policy *q = d_find_policy(p);
	if (q == NULL) {
		e->errnum = ENOENT;
		return -ENOENT;
	}
	*q = dbl.pols[--dbl.npols];
	dbl.policies--;
	return 0;
}

/* The outbound policy from src to dst, or NULL. */
static inline const struct kernel_policy *dbl_out_policy(const ip_subnet *src, const ip_subnet *dst)
{
	struct kernel_policy p = { .src = *src, .dst = *dst, .dir = KERNEL_DIR_OUT };
	return d_find_policy(&p);
}

static const struct kernel_ops double_ops = {
	.name = "double",
	.add_sa = d_add_sa,
	.update_sa = d_update_sa,
	.del_sa = d_del_sa,
	.get_sa = d_get_sa,
	.add_policy = d_add_policy,
	.update_policy = d_update_policy,
	.del_policy = d_del_policy,
	.list_sas = d_list_sas,
	.flush = d_flush,
	.link_for_address = d_link_for_address,
	.default_route_source = d_default_route_source,
	.offload_features = d_offload_features,
	.has_packet_offload = d_has_packet_offload,
	.has_encap_offload = d_has_encap_offload,
};

/* Routes (kernel_route.h): the main table as a list; the way to any peer
 * is dbl_routes.hop. */
static struct {
	struct kernel_route_hop hop;
	struct kernel_err refuse_add;	/* errnum set: add answers it */
	struct kernel_route table[32];	/* 12 tunnels of both ends: test_ike_init_gate */
	bool ours[32];		/* added through the ops (pluto's protocol), not seeded by a test */
	size_t n;
	int adds, dels, lookups;
} dbl_routes;

static int dr_lookup(const ip_address *to, struct kernel_route_hop *hop, struct kernel_err *e)
{
	(void)to; (void)e;
	dbl_routes.lookups++;
	*hop = dbl_routes.hop;
	if (hop->ifindex == 0) {
		hop->ifindex = 2;
		snprintf(hop->ifname, sizeof(hop->ifname), "eth0");
	}
	return 0;
}

static struct kernel_route *dr_find(const ip_subnet *dst)
{
	for (size_t i = 0; i < dbl_routes.n; i++)
		if (dbl_routes.table[i].dst.prefixlen == dst->prefixlen && address_eq(&dbl_routes.table[i].dst.addr, &dst->addr))
			return &dbl_routes.table[i];
	return NULL;
}

static int dr_add(const struct kernel_route *r, struct kernel_err *e)
{
	dbl_routes.adds++;
	if (dbl_routes.refuse_add.errnum != 0) {
		*e = dbl_routes.refuse_add;
		return -e->errnum;
	}
	if (dr_find(&r->dst) != NULL) {
		e->errnum = EEXIST;
		return -EEXIST;
	}
	if (dbl_routes.n == sizeof(dbl_routes.table) / sizeof(dbl_routes.table[0])) {
		e->errnum = ENOSPC;
		return -ENOSPC;
	}
	dbl_routes.ours[dbl_routes.n] = true;
	dbl_routes.table[dbl_routes.n++] = *r;
	return 0;
}

/* Like the kernel's: a gateway or interface the request names must match. */
static int dr_del(const struct kernel_route *r, struct kernel_err *e)
{
	dbl_routes.dels++;
	struct kernel_route *found = dr_find(&r->dst);
	if (found != NULL && ((address_is_set(&r->gateway) && !address_eq(&r->gateway, &found->gateway)) ||
			      (r->ifindex > 0 && r->ifindex != found->ifindex)))
		found = NULL;
	if (found == NULL) {
		e->errnum = ESRCH;
		return -ESRCH;
	}
	size_t last = --dbl_routes.n;
	dbl_routes.ours[found - dbl_routes.table] = dbl_routes.ours[last];
	*found = dbl_routes.table[last];
	return 0;
}

static int dr_remove_ours(kernel_route_removed_cb *removed, void *arg, struct kernel_err *e)
{
	int gone = 0;
	for (size_t i = dbl_routes.n; i-- > 0;) {
		if (!dbl_routes.ours[i])
			continue;
		struct kernel_route r = dbl_routes.table[i];
		int d = dr_del(&r, e);
		removed(&r, d, e, arg);
		gone += d == 0;
	}
	return gone;
}

static const struct kernel_route_ops double_route_ops = {
	.lookup = dr_lookup,
	.add = dr_add,
	.del = dr_del,
	.remove_ours = dr_remove_ours,
};

#endif
