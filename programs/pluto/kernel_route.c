/* kernel_route.c: routes over a raw rtnetlink socket, one request and its
 * answer at a time, so that the kernel's own errno and extended-ack text
 * reach the log (libnl's error codes would lose them). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include "kernel_route.h"
#include "netlink_extack.h"

#define ROUTE_BUF_SIZE 32768	/* a dump's parts are at most a page or two */

/* --- requests ---------------------------------------------------------------- */

static bool put_attr(void *buf, size_t len, size_t *used, uint16_t type, const void *data, size_t dlen)
{
	size_t need = RTA_SPACE(dlen);
	if (*used + need > len)
		return false;
	struct rtattr *a = (struct rtattr *)((uint8_t *)buf + *used);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(dlen);
	memcpy(RTA_DATA(a), data, dlen);
	memset((uint8_t *)RTA_DATA(a) + dlen, 0, need - RTA_LENGTH(dlen));
	*used += need;
	return true;
}

static bool put_address(void *buf, size_t len, size_t *used, uint16_t type, const ip_address *a)
{
	return !address_is_set(a) || put_attr(buf, len, used, type, a->bytes, address_bits(a) / 8);
}

/* A header and rtmsg for family, room checked. */
static struct rtmsg *start_msg(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq, int family,
			       size_t *used)
{
	*used = NLMSG_SPACE(sizeof(struct rtmsg));
	if (len < *used)
		return NULL;
	memset(buf, 0, *used);
	struct nlmsghdr *h = buf;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	struct rtmsg *rt = NLMSG_DATA(h);
	rt->rtm_family = (unsigned char)family;
	return rt;
}

size_t kernel_route_msg(const struct kernel_route *r, uint16_t type, uint32_t seq, void *buf, size_t len)
{
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	size_t used;
	struct rtmsg *rt = start_msg(buf, len, type, flags, seq, r->dst.addr.family, &used);
	if (rt == NULL)
		return 0;
	rt->rtm_dst_len = (unsigned char)r->dst.prefixlen;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = KERNEL_ROUTE_PROTOCOL;
	/* a removal of any scope: an on-link route an earlier pluto (or an
	 * older one) left may have the link's */
	rt->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	uint32_t oif = (uint32_t)r->ifindex, metric = KERNEL_ROUTE_METRIC;
	if (!put_address(buf, len, &used, RTA_DST, &r->dst.addr) ||
	    !put_attr(buf, len, &used, RTA_PRIORITY, &metric, sizeof(metric)) ||
	    !put_address(buf, len, &used, RTA_GATEWAY, &r->gateway) ||
	    !put_address(buf, len, &used, RTA_PREFSRC, &r->prefsrc) ||
	    (r->ifindex > 0 && !put_attr(buf, len, &used, RTA_OIF, &oif, sizeof(oif))))
		return 0;
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)used;
	return used;
}

static size_t lookup_msg(const ip_address *to, uint32_t seq, void *buf, size_t len)
{
	size_t used;
	struct rtmsg *rt = start_msg(buf, len, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, seq, to->family, &used);
	if (rt == NULL)
		return 0;
	rt->rtm_dst_len = (unsigned char)address_bits(to);
	if (!put_address(buf, len, &used, RTA_DST, to))
		return 0;
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)used;
	return used;
}

/* --- the answer to a lookup ---------------------------------------------------- */

static void read_hop(const struct nlmsghdr *h, void *arg)
{
	struct kernel_route_hop *hop = arg;
	const struct rtmsg *rt = NLMSG_DATA(h);
	int attrlen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rt));
	for (const struct rtattr *a = RTM_RTA(rt); attrlen > 0 && RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen)) {
		size_t n = RTA_PAYLOAD(a);
		if (a->rta_type == RTA_OIF && n == sizeof(uint32_t)) {
			uint32_t oif;
			memcpy(&oif, RTA_DATA(a), sizeof(oif));
			hop->ifindex = (int)oif;
		} else if (a->rta_type == RTA_GATEWAY && (n == 4 || n == 16)) {
			memset(&hop->gateway, 0, sizeof(hop->gateway));
			hop->gateway.family = n == 4 ? AF_INET : AF_INET6;
			memcpy(hop->gateway.bytes, RTA_DATA(a), n);
		}
	}
}

/* --- the answer to a dump ------------------------------------------------------ */

static void read_address(const struct rtattr *a, int family, ip_address *to)
{
	size_t n = RTA_PAYLOAD(a);
	if (n != (family == AF_INET ? 4u : 16u))
		return;
	memset(to, 0, sizeof(*to));
	to->family = family;
	memcpy(to->bytes, RTA_DATA(a), n);
}

bool kernel_route_parse_ours(const struct nlmsghdr *h, struct kernel_route *r)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) || rt->rtm_protocol != KERNEL_ROUTE_PROTOCOL ||
	    rt->rtm_table != RT_TABLE_MAIN || (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
		return false;
	memset(r, 0, sizeof(*r));
	r->dst.addr.family = rt->rtm_family;
	r->dst.prefixlen = rt->rtm_dst_len;
	int attrlen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rt));
	for (const struct rtattr *a = RTM_RTA(rt); attrlen > 0 && RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen)) {
		if (a->rta_type == RTA_DST)
			read_address(a, rt->rtm_family, &r->dst.addr);
		else if (a->rta_type == RTA_GATEWAY)
			read_address(a, rt->rtm_family, &r->gateway);
		else if (a->rta_type == RTA_PREFSRC)
			read_address(a, rt->rtm_family, &r->prefsrc);
		else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == sizeof(uint32_t))
			r->ifindex = (int)*(const uint32_t *)RTA_DATA(a);
	}
	return true;
}

#define LEFTOVERS_MAX 256	/* per call; more would come out on the next */

struct leftovers {
	struct kernel_route route[LEFTOVERS_MAX];
	size_t n;
};

static void read_ours(const struct nlmsghdr *h, void *arg)
{
	struct leftovers *l = arg;
	if (l->n < LEFTOVERS_MAX && kernel_route_parse_ours(h, &l->route[l->n]))
		l->n++;
}

/* --- one exchange ---------------------------------------------------------------- */

static int open_socket(struct kernel_err *e)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return kernel_err_set(e, errno, "cannot open the kernel's route netlink socket");
	netlink_want_extack(fd);
	struct timeval tv = { .tv_sec = 5 };	/* the kernel answers at once; never hang the loop */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* What to do with each RTM_NEWROUTE of an answer. */
struct answer_reader {
	void (*route)(const struct nlmsghdr *h, void *arg);
	void *arg;
};

/* Reads until the ack of seq (or, for a dump, its NLMSG_DONE); each
 * RTM_NEWROUTE before it goes to the reader. */
static int read_answer(int fd, uint32_t seq, const struct answer_reader *reader, struct kernel_err *e)
{
	static uint8_t buf[ROUTE_BUF_SIZE];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kernel_err_set(e, n < 0 ? errno : EPROTO, "reading the kernel's route answer failed");
		for (const struct nlmsghdr *h = netlink_next(buf, (size_t)n, NULL); h != NULL;
		     h = netlink_next(buf, (size_t)n, h)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return netlink_parse_ack(h, (size_t)n - (size_t)((const uint8_t *)h - buf), e);
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == RTM_NEWROUTE && reader != NULL &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg)))
				reader->route(h, reader->arg);
		}
	}
}

static uint32_t next_seq(void)
{
	static uint32_t seq;
	return ++seq;
}

static int exchange(const void *req, size_t len, uint32_t seq, const struct answer_reader *reader,
		    struct kernel_err *e)
{
	kernel_err_set(e, 0, NULL);
	if (len == 0)
		return kernel_err_set(e, EINVAL, "the route does not fit a netlink message");
	int fd = open_socket(e);
	if (fd < 0)
		return fd;
	struct sockaddr_nl kernel_addr = { .nl_family = AF_NETLINK };
	int r;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel_addr, sizeof(kernel_addr)) < 0)
		r = kernel_err_set(e, errno, "cannot send to the kernel's route netlink socket");
	else
		r = read_answer(fd, seq, reader, e);
	close(fd);
	return r;
}

/* --- the ops ----------------------------------------------------------------------- */

static int route_lookup(const ip_address *to, struct kernel_route_hop *hop, struct kernel_err *e)
{
	memset(hop, 0, sizeof(*hop));
	uint8_t req[256];
	uint32_t seq = next_seq();
	struct answer_reader reader = { read_hop, hop };
	int r = exchange(req, lookup_msg(to, seq, req, sizeof(req)), seq, &reader, e);
	if (r != 0)
		return r;
	if (hop->ifindex <= 0 || if_indextoname((unsigned)hop->ifindex, hop->ifname) == NULL)
		return kernel_err_set(e, ENODEV, "the kernel's route names no interface");
	return 0;
}

static int route_change(const struct kernel_route *rt, uint16_t type, struct kernel_err *e)
{
	uint8_t req[256];
	uint32_t seq = next_seq();
	return exchange(req, kernel_route_msg(rt, type, seq, req, sizeof(req)), seq, NULL, e);
}

static int route_add(const struct kernel_route *r, struct kernel_err *e)
{
	return route_change(r, RTM_NEWROUTE, e);
}

static int route_del(const struct kernel_route *r, struct kernel_err *e)
{
	return route_change(r, RTM_DELROUTE, e);
}

/* Every route of pluto's protocol in the main table, of both families:
 * collected by a dump first, then removed one by one (the kernel does not
 * take requests on a socket in the middle of a dump). */
static int route_remove_ours(kernel_route_removed_cb *removed, void *arg, struct kernel_err *e)
{
	static struct leftovers found;
	found.n = 0;
	struct {
		struct nlmsghdr h;
		struct rtmsg rt;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)), .nlmsg_type = RTM_GETROUTE,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = next_seq() },
		.rt = { .rtm_family = AF_UNSPEC, .rtm_table = RT_TABLE_MAIN },
	};
	struct answer_reader reader = { read_ours, &found };
	int r = exchange(&req, sizeof(req), req.h.nlmsg_seq, &reader, e);
	if (r != 0)
		return r;
	int gone = 0;
	for (size_t i = 0; i < found.n; i++) {
		struct kernel_err del_e = {0};
		int d = route_del(&found.route[i], &del_e);
		removed(&found.route[i], d, &del_e, arg);
		gone += d == 0;
	}
	return gone;
}

const struct kernel_route_ops kernel_route_netlink = {
	.remove_ours = route_remove_ours,
	.lookup = route_lookup,
	.add = route_add,
	.del = route_del,
};

const struct kernel_route_ops *kernel_routes = &kernel_route_netlink;
