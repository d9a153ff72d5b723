/* kernel_link.h: what kernel.h needs to know about interfaces: which one
 * holds an address, the default route's address, its ESP offload
 * features, and the release-number test behind kernel_caps.h's guess
 * before its probe. Used by kernel_xfrm_ops. */
#ifndef KERNEL_LINK_H
#define KERNEL_LINK_H

#include "kernel.h"

int kernel_link_for_address(const ip_address *a, struct kernel_link *link, struct kernel_err *e);
/* Every local address (IPv4, IPv6) of every interface, to fn. */
int kernel_list_addresses(kernel_address_fn *fn, void *arg, struct kernel_err *e);
/* The address of the default route's interface (left=%defaultroute): the
 * route's preferred source, else its interface's first global address. */
int kernel_default_route_source(int family, ip_address *a, struct kernel_err *e);
int kernel_offload_features(const char *ifname, struct offload_features *f, struct kernel_err *e);
/* Address changes (rtnetlink's IPv4 and IPv6 address groups) to fn;
 * unwatch stops it (at shutdown). */
int kernel_watch_addresses(struct event_base *base, kernel_addresses_fn *fn, void *arg, struct kernel_err *e);
void kernel_unwatch_addresses(void);

/* "6.1.0-13-amd64" -> true when at least major.minor; false if unreadable. */
bool kernel_release_at_least(const char *release, int major, int minor);

#endif
