/* kernel_xfrm.c: kernel.h's operations over netlink XFRM.
 *
 * One blocking request socket (libnl-xfrm-3 builds the requests, libnl
 * sends them); answers are read here, into a buffer of ours that is wiped
 * after every read, because the kernel sends keys back in SA dumps and
 * replies (libnl's own receive path frees such buffers unwiped). Every
 * request asks for an ack, and the ack carries the errno and the kernel's
 * extended-ack text into struct kernel_err. A second socket, joined to the
 * acquire and expire groups, feeds pluto's event loop. Nothing here logs
 * above debug level: the caller decides what a failure means. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/xfrm.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include "kernel.h"
#include "kernel_caps.h"
#include "kernel_link.h"
#include <event2/event.h>
#include "kernel_xfrm_msg.h"
#include "log.h"
#include "netlink_extack.h"

/* Big enough for the largest dump message the kernel builds (32 KiB). */
#define RECV_BUF_SIZE (64 * 1024)
#define SOCK_BUF_SIZE (1024 * 1024)

typedef int reply_fn(void *arg, const struct nlmsghdr *h);

/* Callers may pass no struct kernel_err; the code below always has one. */
#define ERR_OR_SCRATCH(e) struct kernel_err e##_scratch; if (e == NULL) e = &e##_scratch

static struct {
	struct nl_sock *sock;		/* requests and their answers */
	uint8_t *buf;			/* RECV_BUF_SIZE, wiped after each read */
	struct nl_sock *ev_sock;	/* acquire and expire */
	struct event *ev;
	kernel_event_fn *ev_fn;
	void *ev_arg;
} xfrm;

/* --- the request socket ---------------------------------------------------- */

static struct nl_sock *xfrm_socket(struct kernel_err *e, int *r)
{
	struct nl_sock *s = nl_socket_alloc();
	if (s == NULL) {
		*r = kernel_err_set(e, ENOMEM, "cannot allocate a netlink socket");
		return NULL;
	}
	if (nl_connect(s, NETLINK_XFRM) < 0) {
		int errnum = errno != 0 ? errno : EPROTONOSUPPORT;
		nl_socket_free(s);
		*r = kernel_err_set(e, errnum, "cannot open the kernel's XFRM netlink socket");
		return NULL;
	}
	nl_socket_set_buffer_size(s, SOCK_BUF_SIZE, SOCK_BUF_SIZE);
	int x = netlink_want_extack(nl_socket_get_fd(s));
	if (x < 0)
		llog(LL_DEBUG, "kernel: no extended acks on this kernel (%s)", strerror(-x));
	*r = 0;
	return s;
}

static int xfrm_init(struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	kernel_err_set(e, 0, NULL);
	if (xfrm.sock != NULL)
		return 0;
	int r;
	xfrm.buf = malloc(RECV_BUF_SIZE);
	if (xfrm.buf == NULL)
		return kernel_err_set(e, ENOMEM, "cannot allocate the netlink receive buffer");
	xfrm.sock = xfrm_socket(e, &r);
	if (xfrm.sock == NULL) {
		free(xfrm.buf);
		xfrm.buf = NULL;
	}
	return r;
}

static void xfrm_shutdown(void)
{
	kernel_unwatch_addresses();
	if (xfrm.ev != NULL)
		event_free(xfrm.ev);
	if (xfrm.ev_sock != NULL)
		nl_socket_free(xfrm.ev_sock);
	if (xfrm.sock != NULL)
		nl_socket_free(xfrm.sock);
	if (xfrm.buf != NULL) {
		explicit_bzero(xfrm.buf, RECV_BUF_SIZE);
		free(xfrm.buf);
	}
	memset(&xfrm, 0, sizeof(xfrm));
}

/* One read from fd into buf; n bytes or -errno. A message cut short would
 * leave the rest of a dump unreadable, so it is an error. */
static ssize_t read_netlink(int fd, uint8_t *buf, int flags)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = RECV_BUF_SIZE };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	do {
		n = recvmsg(fd, &m, flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (m.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

/* Hands one read's messages of our request to fn; sets *done at its ack,
 * or at the end of a dump, with the kernel's answer in *status. */
static void dispatch(const uint8_t *buf, ssize_t n, uint32_t seq, reply_fn *fn, void *arg,
		     bool *done, int *status, struct kernel_err *e)
{
	for (const struct nlmsghdr *h = netlink_next(buf, (size_t)n, NULL); h != NULL;
	     h = netlink_next(buf, (size_t)n, h)) {
		size_t len = (size_t)n - (size_t)((const uint8_t *)h - buf);
		if (h->nlmsg_seq != seq)
			continue;	/* a stale answer to an abandoned request */
		if (h->nlmsg_type == NLMSG_ERROR) {
			int r = netlink_parse_ack(h, len, e);
			*status = *status != 0 ? *status : r;
			*done = true;
		} else if (h->nlmsg_type == NLMSG_DONE) {
			int r = netlink_parse_done(h, len, e);
			*status = *status != 0 ? *status : r;
			*done = true;
		} else if (h->nlmsg_type != NLMSG_NOOP && fn != NULL && *status == 0) {
			*status = fn(arg, h);
		}
		if (*done)
			return;
	}
}

static int receive_answer(uint32_t seq, reply_fn *fn, void *arg, struct kernel_err *e)
{
	bool done = false;
	int status = 0;
	int fd = nl_socket_get_fd(xfrm.sock);
	while (!done) {
		ssize_t n = read_netlink(fd, xfrm.buf, 0);
		if (n < 0)
			return kernel_err_set(e, (int)-n, "reading the kernel's XFRM answer failed");
		dispatch(xfrm.buf, n, seq, fn, arg, &done, &status, e);
		explicit_bzero(xfrm.buf, (size_t)n);
	}
	if (status < 0 && e->errnum == 0)
		kernel_err_set(e, -status, NULL);
	return status;
}

/* Sends msg (then wipes and frees it) and waits for the kernel's answer;
 * replies before the ack or dump end go to fn. */
static int transact(struct nl_msg *msg, reply_fn *fn, void *arg, struct kernel_err *e)
{
	int r = xfrm_init(e);
	if (r != 0) {
		xfrm_msg_free(msg);
		return r;
	}
	errno = 0;
	r = nl_send_auto(xfrm.sock, msg);	/* adds our port, a sequence number and NLM_F_ACK */
	int errnum = errno != 0 ? errno : EIO;
	uint32_t seq = nlmsg_hdr(msg)->nlmsg_seq;
	xfrm_msg_free(msg);
	if (r < 0)
		return kernel_err_set(e, errnum, "cannot send to the kernel's XFRM netlink socket");
	return receive_answer(seq, fn, arg, e);
}

/* --- SAs ------------------------------------------------------------------- */

static void debug_sa(const char *what, const struct kernel_sa *sa, int r, const struct kernel_err *e)
{
	if (!log_debugging())
		return;
	char dst[ADDRESS_STR_MAX];
	llog(LL_DEBUG, "kernel: %s %s SA %s.%08x@%s %s%s%s reqid %u offload %s ifindex %d: %s%s%s",
	     what, sa->inbound ? "inbound" : "outbound", sa->proto == IPPROTO_AH ? "ah" : "esp",
	     sa->spi, address_str(&sa->dst, dst), encr_name(sa->encr),
	     sa->integ != INTEG_NONE ? "-" : "", sa->integ != INTEG_NONE ? integ_name(sa->integ) : "",
	     sa->reqid, sa->offload == KERNEL_OFFLOAD_PACKET ? "packet" : sa->offload == KERNEL_OFFLOAD_CRYPTO ? "crypto" : "none",
	     sa->offload_ifindex, r == 0 ? "ok" : strerror(-r), e->extack[0] != '\0' ? ": " : "", e->extack);
}

static int send_sa(const struct kernel_sa *sa, int cmd, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	struct nl_msg *msg;
	int r = xfrm_sa_msg(sa, cmd, &msg, e);
	if (r == 0)
		r = transact(msg, NULL, NULL, e);
	debug_sa(cmd == XFRM_MSG_NEWSA ? "add" : "update", sa, r, e);
	return r;
}

static int xfrm_add_sa(const struct kernel_sa *sa, struct kernel_err *e)
{
	return send_sa(sa, XFRM_MSG_NEWSA, e);
}

static int xfrm_update_sa(const struct kernel_sa *sa, struct kernel_err *e)
{
	return send_sa(sa, XFRM_MSG_UPDSA, e);
}

static int xfrm_del_sa(const ip_address *dst, uint32_t spi, uint8_t proto, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	struct nl_msg *msg;
	int r = xfrm_sa_id_msg(XFRM_MSG_DELSA, dst, spi, proto, &msg, e);
	return r != 0 ? r : transact(msg, NULL, NULL, e);
}

static int take_sa_entry(void *arg, const struct nlmsghdr *h)
{
	return xfrm_sa_entry_parse(h, arg);
}

static int xfrm_get_sa(const ip_address *dst, uint32_t spi, uint8_t proto,
		       struct kernel_sa_info *info, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	struct kernel_sa_entry entry = {0};
	struct nl_msg *msg;
	int r = xfrm_sa_id_msg(XFRM_MSG_GETSA, dst, spi, proto, &msg, e);
	if (r == 0)
		r = transact(msg, take_sa_entry, &entry, e);
	if (r == 0)
		*info = entry.info;
	return r;
}

struct list_walk {
	kernel_sa_fn *fn;
	void *arg;
};

static int each_sa(void *arg, const struct nlmsghdr *h)
{
	struct list_walk *w = arg;
	struct kernel_sa_entry entry;
	if (xfrm_sa_entry_parse(h, &entry) == 0)
		w->fn(w->arg, &entry);
	return 0;
}

static int dump(int cmd, reply_fn *fn, void *arg, struct kernel_err *e)
{
	struct nl_msg *msg;
	int r = xfrm_dump_msg(cmd, &msg, e);
	return r != 0 ? r : transact(msg, fn, arg, e);
}

static int xfrm_list_sas(kernel_sa_fn *fn, void *arg, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	struct list_walk w = { fn, arg };
	return dump(XFRM_MSG_GETSA, each_sa, &w, e);
}

/* --- policies -------------------------------------------------------------- */

static int policy_op(const struct kernel_policy *p, int cmd, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	struct nl_msg *msg;
	int r = xfrm_policy_msg(p, cmd, &msg, e);
	return r != 0 ? r : transact(msg, NULL, NULL, e);
}

static int xfrm_add_policy(const struct kernel_policy *p, struct kernel_err *e)
{
	return policy_op(p, XFRM_MSG_NEWPOLICY, e);
}

static int xfrm_update_policy(const struct kernel_policy *p, struct kernel_err *e)
{
	return policy_op(p, XFRM_MSG_UPDPOLICY, e);
}

static int xfrm_del_policy(const struct kernel_policy *p, struct kernel_err *e)
{
	return policy_op(p, XFRM_MSG_DELPOLICY, e);
}

/* --- flush by reqid ---------------------------------------------------------- */

/* What a dump found to remove: SAs by (dst, spi, proto), policies by
 * (index, dir). Removal waits for the dump's end: one socket, one
 * conversation at a time. */
struct doomed {
	uint32_t lo, hi;
	size_t n, cap;
	struct doomed_item {
		ip_address dst;
		uint32_t spi_or_index;
		uint8_t proto_or_dir;
	} *items;
};

static int doom(struct doomed *d, const ip_address *dst, uint32_t id, uint8_t kind)
{
	if (d->n == d->cap) {
		size_t cap = d->cap != 0 ? d->cap * 2 : 64;
		struct doomed_item *items = realloc(d->items, cap * sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		d->items = items;
		d->cap = cap;
	}
	struct doomed_item *it = &d->items[d->n++];
	memset(it, 0, sizeof(*it));
	if (dst != NULL)
		it->dst = *dst;
	it->spi_or_index = id;
	it->proto_or_dir = kind;
	return 0;
}

static int doom_sa(void *arg, const struct nlmsghdr *h)
{
	struct doomed *d = arg;
	struct kernel_sa_entry sa;
	if (xfrm_sa_entry_parse(h, &sa) != 0 || sa.reqid < d->lo || sa.reqid > d->hi)
		return 0;
	return doom(d, &sa.dst, sa.spi, sa.proto);
}

static int doom_policy(void *arg, const struct nlmsghdr *h)
{
	struct doomed *d = arg;
	uint32_t index;
	uint8_t dir;
	if (!xfrm_policy_in_reqid_range(h, d->lo, d->hi, &index, &dir))
		return 0;
	return doom(d, NULL, index, dir);
}

/* Gone already (expired, or removed by someone else) is what we wanted. */
static bool gone(int r)
{
	return r == -ESRCH || r == -ENOENT;
}

static int remove_doomed(const struct doomed *d, bool sas, struct kernel_err *e)
{
	int first = 0;
	struct kernel_err first_e = {0};
	for (size_t i = 0; i < d->n; i++) {
		const struct doomed_item *it = &d->items[i];
		struct nl_msg *msg;
		int r = sas ? xfrm_sa_id_msg(XFRM_MSG_DELSA, &it->dst, it->spi_or_index, it->proto_or_dir, &msg, e)
			    : xfrm_policy_index_del_msg(it->spi_or_index, it->proto_or_dir, &msg, e);
		if (r == 0)
			r = transact(msg, NULL, NULL, e);
		if (r != 0 && !gone(r) && first == 0) {
			first = r;
			first_e = *e;
		}
	}
	if (first != 0)
		*e = first_e;
	return first;
}

static int flush_kind(int dump_cmd, reply_fn *collect, bool sas, uint32_t lo, uint32_t hi, struct kernel_err *e)
{
	struct doomed d = { .lo = lo, .hi = hi };
	int r = dump(dump_cmd, collect, &d, e);
	if (r == 0)
		r = remove_doomed(&d, sas, e);
	if (r == 0)
		llog(LL_DEBUG, "kernel: flushed %zu %s with reqid %u-%u", d.n, sas ? "SAs" : "policies", lo, hi);
	free(d.items);
	return r;
}

static int xfrm_flush(uint32_t lo, uint32_t hi, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	kernel_err_set(e, 0, NULL);
	int r = flush_kind(XFRM_MSG_GETPOLICY, doom_policy, false, lo, hi, e);
	if (r == 0)
		r = flush_kind(XFRM_MSG_GETSA, doom_sa, true, lo, hi, e);
	return r;
}

/* --- kernel events ------------------------------------------------------------ */

static void deliver_events(const uint8_t *buf, ssize_t n)
{
	for (const struct nlmsghdr *h = netlink_next(buf, (size_t)n, NULL); h != NULL;
	     h = netlink_next(buf, (size_t)n, h)) {
		struct kernel_event ev;
		if (xfrm_event_parse(h, &ev) == 0)
			xfrm.ev_fn(xfrm.ev_arg, &ev);
	}
}

static void on_event_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	for (;;) {
		ssize_t n = read_netlink(fd, xfrm.buf, MSG_DONTWAIT);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) {
			/* ENOBUFS: the kernel dropped events while we were busy;
			 * what follows is still good. */
			llog(LL_DEBUG, "kernel: reading XFRM events: %s", strerror((int)-n));
			if (n != -ENOBUFS)
				return;
			continue;
		}
		deliver_events(xfrm.buf, n);
		explicit_bzero(xfrm.buf, (size_t)n);
	}
}

static int xfrm_watch_events(struct event_base *base, kernel_event_fn *fn, void *arg, struct kernel_err *e)
{
	ERR_OR_SCRATCH(e);
	int r = xfrm_init(e);
	if (r != 0)
		return r;
	if (base == NULL)
		return kernel_err_set(e, EINVAL, "no event loop to watch kernel events from");
	if (xfrm.ev_sock != NULL)
		return kernel_err_set(e, EBUSY, "kernel events are already watched");
	xfrm.ev_sock = xfrm_socket(e, &r);
	if (xfrm.ev_sock == NULL)
		return r;
	if (nl_socket_add_memberships(xfrm.ev_sock, XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, 0) < 0) {
		int errnum = errno != 0 ? errno : EPERM;
		nl_socket_free(xfrm.ev_sock);
		xfrm.ev_sock = NULL;
		return kernel_err_set(e, errnum, "cannot join the kernel's XFRM acquire and expire groups");
	}
	xfrm.ev_fn = fn;
	xfrm.ev_arg = arg;
	xfrm.ev = event_new(base, nl_socket_get_fd(xfrm.ev_sock), EV_READ | EV_PERSIST,
			    on_event_readable, NULL);
	if (xfrm.ev == NULL || event_add(xfrm.ev, NULL) != 0) {
		if (xfrm.ev != NULL)
			event_free(xfrm.ev);
		xfrm.ev = NULL;
		nl_socket_free(xfrm.ev_sock);
		xfrm.ev_sock = NULL;
		return kernel_err_set(e, ENOMEM, "cannot add the kernel event socket to the event loop");
	}
	return 0;
}

const struct kernel_ops kernel_xfrm_ops = {
	.name = "xfrm",
	.init = xfrm_init,
	.shutdown = xfrm_shutdown,
	.add_sa = xfrm_add_sa,
	.update_sa = xfrm_update_sa,
	.del_sa = xfrm_del_sa,
	.get_sa = xfrm_get_sa,
	.add_policy = xfrm_add_policy,
	.update_policy = xfrm_update_policy,
	.del_policy = xfrm_del_policy,
	.list_sas = xfrm_list_sas,
	.flush = xfrm_flush,
	.link_for_address = kernel_link_for_address,
	.list_addresses = kernel_list_addresses,
	.default_route_source = kernel_default_route_source,
	.offload_features = kernel_offload_features,
	.has_packet_offload = kernel_caps_packet_offload,
	.has_encap_offload = kernel_caps_encap_offload,
	.watch_events = xfrm_watch_events,
	.watch_addresses = kernel_watch_addresses,
};
