/* kernel_route.h: routes in the main table, over rtnetlink: how the kernel
 * reaches an address (its gateway and interface), and adding and removing
 * one route for a tunnel's remote subnet.
 *
 * Like kernel.h, one table of operations that unit tests replace; every
 * operation returns 0 or -errno with the kernel's extended-ack text in the
 * struct kernel_err.
 *
 * Routes pluto adds carry a protocol of pluto's own, KERNEL_ROUTE_PROTOCOL
 * ("proto 57" in `ip route`): 57 is in neither the kernel's RTPROT_* list
 * nor iproute2's rt_protos, and not one that NetworkManager, systemd-networkd
 * (static, boot, dhcp, ra) or FRR (186-198) use. They carry the metric
 * KERNEL_ROUTE_METRIC too. A removal names both, so the kernel removes
 * only pluto's route, never an admin's route for the same subnet at another
 * metric or from another protocol (without them the kernel removes the
 * first match, whoever added it); and pluto's leftovers from a killed run
 * can be found by their protocol alone. */
#ifndef KERNEL_ROUTE_H
#define KERNEL_ROUTE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "ip_address.h"
#include "kernel.h"

#define KERNEL_ROUTE_PROTOCOL 57
/* Below the kernel's default for IPv6 (1024) and above IPv4's (0): an
 * admin's IPv4 route added without a metric wins over pluto's. */
#define KERNEL_ROUTE_METRIC 50

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

/* Told of each route remove_ours found: r, 0 or -errno of its removal. */
typedef void kernel_route_removed_cb(const struct kernel_route *r, int result, const struct kernel_err *e, void *arg);

struct kernel_route_ops {
	int (*lookup)(const ip_address *to, struct kernel_route_hop *hop, struct kernel_err *e);
	/* -EEXIST when the table has a route for r->dst already (it stays). */
	int (*add)(const struct kernel_route *r, struct kernel_err *e);
	int (*del)(const struct kernel_route *r, struct kernel_err *e);
	/* Removes every route of pluto's protocol (an earlier pluto's, or one
	 * this pluto lost track of); how many went, or -errno of the dump. */
	int (*remove_ours)(kernel_route_removed_cb *removed, void *arg, struct kernel_err *e);
};

extern const struct kernel_route_ops kernel_route_netlink;
/* The ops pluto uses; tests may point it at a double. */
extern const struct kernel_route_ops *kernel_routes;

/* The request for r as the kernel reads it (RTM_NEWROUTE or RTM_DELROUTE,
 * type), into buf; its length, 0 when it does not fit. For tests. */
size_t kernel_route_msg(const struct kernel_route *r, uint16_t type, uint32_t seq, void *buf, size_t len);

/* A route of a dump (an RTM_NEWROUTE) into r when it is one of pluto's
 * (its protocol, the main table); false otherwise. For tests. */
struct nlmsghdr;
bool kernel_route_parse_ours(const struct nlmsghdr *h, struct kernel_route *r);

#endif
