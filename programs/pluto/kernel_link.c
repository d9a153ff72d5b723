/* kernel_link.c: interfaces for offload: the one holding a local address
 * (libnl-route-3), its ESP offload features (the ethtool ioctl, by feature
 * name, as `ethtool -k` shows them), and packet-offload support. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <event2/event.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include "kernel_link.h"
#include "netlink_extack.h"

/* --- the interface holding an address ----------------------------------------- */

static bool addr_is(struct nl_addr *na, const ip_address *a)
{
	size_t len = a->family == AF_INET6 ? 16 : 4;
	return na != NULL && nl_addr_get_family(na) == a->family &&
	       nl_addr_get_len(na) == len && memcmp(nl_addr_get_binary_addr(na), a->bytes, len) == 0;
}

static int find_ifindex(struct nl_cache *addrs, const ip_address *a)
{
	for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		if (addr_is(rtnl_addr_get_local(ra), a))
			return rtnl_addr_get_ifindex(ra);
	}
	return 0;
}

static int link_name(struct nl_sock *s, int ifindex, struct kernel_link *link)
{
	struct rtnl_link *l = NULL;
	if (rtnl_link_get_kernel(s, ifindex, NULL, &l) < 0 || rtnl_link_get_name(l) == NULL) {
		if (l != NULL)
			rtnl_link_put(l);
		return -ENODEV;
	}
	link->ifindex = ifindex;
	snprintf(link->name, sizeof(link->name), "%s", rtnl_link_get_name(l));
	rtnl_link_put(l);
	return 0;
}

/* A route netlink socket and one dump of every interface's addresses;
 * 0, or -errno with e set (what was opened is freed by addresses_close). */
static int addresses_open(struct nl_sock **s, struct nl_cache **addrs, struct kernel_err *e)
{
	*addrs = NULL;
	if ((*s = nl_socket_alloc()) == NULL)
		return kernel_err_set(e, ENOMEM, "cannot allocate a netlink socket");
	if (nl_connect(*s, NETLINK_ROUTE) < 0)
		return kernel_err_set(e, errno != 0 ? errno : EIO, "cannot open the kernel's route netlink socket");
	if (rtnl_addr_alloc_cache(*s, addrs) < 0)
		return kernel_err_set(e, EIO, "cannot read the interfaces' addresses");
	return 0;
}

static void addresses_close(struct nl_sock *s, struct nl_cache *addrs)
{
	if (addrs != NULL)
		nl_cache_free(addrs);
	if (s != NULL)
		nl_socket_free(s);
}

int kernel_link_for_address(const ip_address *a, struct kernel_link *link, struct kernel_err *e)
{
	kernel_err_set(e, 0, NULL);
	memset(link, 0, sizeof(*link));
	if (a->family != AF_INET && a->family != AF_INET6)
		return kernel_err_set(e, EINVAL, "not an address");
	struct nl_sock *s;
	struct nl_cache *addrs;
	int r = addresses_open(&s, &addrs, e);
	if (r == 0) {
		int ifindex = find_ifindex(addrs, a);
		if (ifindex <= 0)
			r = kernel_err_set(e, EADDRNOTAVAIL, "no interface holds this address");
		else if ((r = link_name(s, ifindex, link)) != 0)
			kernel_err_set(e, -r, "the interface holding this address has gone");
	}
	addresses_close(s, addrs);
	return r;
}

static void address_from_nl(struct nl_addr *na, ip_address *a)
{
	memset(a, 0, sizeof(*a));
	a->family = nl_addr_get_family(na);
	memcpy(a->bytes, nl_addr_get_binary_addr(na), a->family == AF_INET6 ? 16 : 4);
}

int kernel_list_addresses(kernel_address_fn *fn, void *arg, struct kernel_err *e)
{
	kernel_err_set(e, 0, NULL);
	struct nl_sock *s;
	struct nl_cache *addrs;
	int r = addresses_open(&s, &addrs, e);
	for (struct nl_object *o = r == 0 ? nl_cache_get_first(addrs) : NULL; o != NULL; o = nl_cache_get_next(o)) {
		struct nl_addr *na = rtnl_addr_get_local((struct rtnl_addr *)o);
		int family = na != NULL ? nl_addr_get_family(na) : 0;
		if ((family == AF_INET && nl_addr_get_len(na) == 4) || (family == AF_INET6 && nl_addr_get_len(na) == 16)) {
			ip_address a;
			address_from_nl(na, &a);
			fn(arg, &a);
		}
	}
	addresses_close(s, addrs);
	return r;
}

/* --- the default route's address ------------------------------------------------ */

/* The main table's default route of family with the lowest metric. */
static struct rtnl_route *default_route(struct nl_cache *routes, int family)
{
	struct rtnl_route *best = NULL;
	for (struct nl_object *o = nl_cache_get_first(routes); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		if (rtnl_route_get_family(r) != family || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST || (dst != NULL && nl_addr_get_prefixlen(dst) != 0))
			continue;
		if (best == NULL || rtnl_route_get_priority(r) < rtnl_route_get_priority(best))
			best = r;
	}
	return best;
}

/* The route's preferred source, else the first global address of its
 * first next hop's interface. */
static bool route_source(struct rtnl_route *r, struct nl_cache *addrs, int family, ip_address *a)
{
	struct nl_addr *src = rtnl_route_get_pref_src(r);
	if (src != NULL && nl_addr_get_len(src) > 0) {
		address_from_nl(src, a);
		return true;
	}
	struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(r) > 0 ? rtnl_route_nexthop_n(r, 0) : NULL;
	int ifindex = nh != NULL ? rtnl_route_nh_get_ifindex(nh) : 0;
	for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(ra) == ifindex && rtnl_addr_get_family(ra) == family &&
		    rtnl_addr_get_scope(ra) == RT_SCOPE_UNIVERSE && rtnl_addr_get_local(ra) != NULL) {
			address_from_nl(rtnl_addr_get_local(ra), a);
			return true;
		}
	}
	return false;
}

int kernel_default_route_source(int family, ip_address *a, struct kernel_err *e)
{
	kernel_err_set(e, 0, NULL);
	memset(a, 0, sizeof(*a));
	struct nl_sock *s = nl_socket_alloc();
	if (s == NULL)
		return kernel_err_set(e, ENOMEM, "cannot allocate a netlink socket");
	int r = 0;
	struct nl_cache *routes = NULL, *addrs = NULL;
	if (nl_connect(s, NETLINK_ROUTE) < 0) {
		r = kernel_err_set(e, errno != 0 ? errno : EIO, "cannot open the kernel's route netlink socket");
	} else if (rtnl_route_alloc_cache(s, family, 0, &routes) < 0 || rtnl_addr_alloc_cache(s, &addrs) < 0) {
		r = kernel_err_set(e, EIO, "cannot read the routes and addresses");
	} else {
		struct rtnl_route *def = default_route(routes, family);
		if (def == NULL)
			r = kernel_err_set(e, ENETUNREACH, "this host has no default route");
		else if (!route_source(def, addrs, family, a))
			r = kernel_err_set(e, EADDRNOTAVAIL, "the default route's interface has no address");
	}
	if (routes != NULL)
		nl_cache_free(routes);
	if (addrs != NULL)
		nl_cache_free(addrs);
	nl_socket_free(s);
	return r;
}

/* --- ethtool features ---------------------------------------------------------- */

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) == 0 ? 0 : -errno;
}

/* How many features the device names (ETH_SS_FEATURES strings). */
static int feature_count(int fd, const char *ifname, uint32_t *count)
{
	/* The answer's one count follows the header: room for both, aligned. */
	uint64_t space[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8];
	struct ethtool_sset_info *info = (struct ethtool_sset_info *)space;
	memset(space, 0, sizeof(space));
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ULL << ETH_SS_FEATURES;
	int r = ethtool(fd, ifname, info);
	if (r != 0)
		return r;
	if (!(info->sset_mask & (1ULL << ETH_SS_FEATURES)))
		return -EOPNOTSUPP;
	*count = info->data[0];
	return 0;
}

/* Sets f's fields from the names in strings and the active bits. */
static void match_features(const struct ethtool_gstrings *names, const struct ethtool_gfeatures *feats,
			   struct offload_features *f)
{
	for (uint32_t i = 0; i < names->len; i++) {
		char name[ETH_GSTRING_LEN + 1];
		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = '\0';
		bool on = (feats->features[i / 32].active >> (i % 32)) & 1;
		if (strcmp(name, "esp-hw-offload") == 0)
			f->esp_hw_offload = on;
		else if (strcmp(name, "esp-tx-csum-hw-offload") == 0)
			f->esp_tx_csum_hw_offload = on;
		else if (strcmp(name, "tx-esp-segmentation") == 0)
			f->tx_esp_segmentation = on;
	}
}

static int read_features(int fd, const char *ifname, struct offload_features *f)
{
	uint32_t count;
	int r = feature_count(fd, ifname, &count);
	if (r != 0)
		return r;
	uint32_t blocks = (count + 31) / 32;
	struct ethtool_gstrings *names = calloc(1, sizeof(*names) + (size_t)count * ETH_GSTRING_LEN);
	struct ethtool_gfeatures *feats = calloc(1, sizeof(*feats) + blocks * sizeof(feats->features[0]));
	if (names == NULL || feats == NULL) {
		r = -ENOMEM;
	} else {
		names->cmd = ETHTOOL_GSTRINGS;
		names->string_set = ETH_SS_FEATURES;
		names->len = count;
		feats->cmd = ETHTOOL_GFEATURES;
		feats->size = blocks;
		r = ethtool(fd, ifname, names);
		if (r == 0)
			r = ethtool(fd, ifname, feats);
		if (r == 0 && names->len > count)
			r = -EPROTO;
		if (r == 0)
			match_features(names, feats, f);
	}
	free(names);
	free(feats);
	return r;
}

int kernel_offload_features(const char *ifname, struct offload_features *f, struct kernel_err *e)
{
	kernel_err_set(e, 0, NULL);
	memset(f, 0, sizeof(*f));
	if (ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE)
		return kernel_err_set(e, EINVAL, "not an interface name");
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kernel_err_set(e, errno, "cannot open a socket for ethtool");
	int r = read_features(fd, ifname, f);
	close(fd);
	if (r != 0)
		return kernel_err_set(e, -r, "cannot read the interface's ethtool features");
	return 0;
}

/* --- packet offload --------------------------------------------------------------- */

bool kernel_release_at_least(const char *release, int major, int minor)
{
	int ma = 0, mi = 0;
	if (release == NULL || sscanf(release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* --- address changes ----------------------------------------------------------- */

static struct {
	int fd;
	struct event *ev;
	kernel_addresses_fn *fn;
	void *arg;
} addr_watch = { .fd = -1 };

/* What the messages say does not matter, only that something changed:
 * the callers look again at what they need. */
static void on_address_change(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	uint8_t buf[8192];
	bool any = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			any = true;	/* ENOBUFS: changes were lost; look again all the same */
			continue;
		}
		break;
	}
	if (any)
		addr_watch.fn(addr_watch.arg);
}

int kernel_watch_addresses(struct event_base *base, kernel_addresses_fn *fn, void *arg, struct kernel_err *e)
{
	kernel_err_set(e, 0, NULL);
	if (addr_watch.fd >= 0)
		return kernel_err_set(e, EBUSY, "address changes are already watched");
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return kernel_err_set(e, err, "cannot join the kernel's address groups");
	}
	addr_watch.ev = event_new(base, fd, EV_READ | EV_PERSIST, on_address_change, NULL);
	if (addr_watch.ev == NULL || event_add(addr_watch.ev, NULL) != 0) {
		if (addr_watch.ev != NULL)
			event_free(addr_watch.ev);
		addr_watch.ev = NULL;
		close(fd);
		return kernel_err_set(e, ENOMEM, "cannot add the address socket to the event loop");
	}
	addr_watch.fd = fd;
	addr_watch.fn = fn;
	addr_watch.arg = arg;
	return 0;
}

void kernel_unwatch_addresses(void)
{
	if (addr_watch.ev != NULL)
		event_free(addr_watch.ev);
	if (addr_watch.fd >= 0)
		close(addr_watch.fd);
	addr_watch.ev = NULL;
	addr_watch.fd = -1;
}
