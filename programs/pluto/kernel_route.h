/* kernel_route.h: routes in the main table, over rtnetlink: how the kernel
 * reaches an address (its gateway and interface), and adding and removing
 * one route for a tunnel's remote subnet.
 *
 * Like kernel.h, one table of operations that unit tests replace; every
 * operation returns 0 or -errno with the kernel's extended-ack text in the
 * struct kernel_err. Routes pluto adds carry protocol RTPROT_STATIC ("proto
 * static" in `ip route`), which is also part of what a removal matches, so
 * a route the admin put in its place since (`ip route` adds "proto boot")
 * is left alone. */
#ifndef KERNEL_ROUTE_H
#define KERNEL_ROUTE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "ip_address.h"
#include "kernel.h"

struct kernel_route {
	ip_subnet dst;
	ip_address gateway;	/* unset: dst is on the interface's link */
	int ifindex;
	ip_address prefsrc;	/* unset: the kernel picks the source */
};

/* How the kernel sends to an address: the route it would take. */
struct kernel_route_hop {
	ip_address gateway;	/* unset when the address is on the link */
	int ifindex;
	char ifname[IF_NAMESIZE];
};

struct kernel_route_ops {
	int (*lookup)(const ip_address *to, struct kernel_route_hop *hop, struct kernel_err *e);
	/* -EEXIST when the table has a route for r->dst already (it stays). */
	int (*add)(const struct kernel_route *r, struct kernel_err *e);
	int (*del)(const struct kernel_route *r, struct kernel_err *e);
};

extern const struct kernel_route_ops kernel_route_netlink;
/* The ops pluto uses; tests may point it at a double. */
extern const struct kernel_route_ops *kernel_routes;

/* The request for r as the kernel reads it (RTM_NEWROUTE or RTM_DELROUTE,
 * type), into buf; its length, 0 when it does not fit. For tests. */
size_t kernel_route_msg(const struct kernel_route *r, uint16_t type, uint32_t seq, void *buf, size_t len);

#endif
