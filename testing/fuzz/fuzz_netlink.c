/* libFuzzer target: what the kernel sends pluto over netlink, read by
 * the parsers that take it apart (kernel_xfrm_msg.c: SA and policy dump
 * entries, acquire and expire events; netlink_extack.c: acks and dump
 * ends with their extended-ack text; kernel_link.c: the kernel release).
 *
 * The input is one read from the socket: messages are walked as
 * kernel_xfrm.c's dispatch and deliver_events walk them (netlink_next),
 * so each parser sees a header whose nlmsg_len lies within the read
 * (their contract), with the bytes left from there as its length; and
 * every parser is given every message, whatever its type. Nothing may be read past the end; what parses must
 * be addresses and subnets the rest of pluto can use as they are.
 *
 * Built with -DFUZZ_SEEDGEN, this file is instead the program that writes
 * the seeds: messages built as the unit tests build them (make fuzz-seeds). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "kernel_link.h"
#include "kernel_xfrm_msg.h"
#include "netlink_extack.h"

#ifndef FUZZ_SEEDGEN

static void check_address(const ip_address *a)
{
	if (a->family != 0 && a->family != AF_INET && a->family != AF_INET6)
		abort();
}

/* A subnet must be one subnet_contains can take: the prefix within the
 * address. Asking it, with ASan on, is the check. */
static void check_subnet(const ip_subnet *s, const ip_address *probe)
{
	check_address(&s->addr);
	if (s->prefixlen > address_bits(&s->addr))
		abort();
	(void)subnet_contains(s, probe);
}

static void check_err(int r, const struct kernel_err *e)
{
	if (strnlen(e->extack, sizeof(e->extack)) == sizeof(e->extack))
		abort();
	if (r > 0 || (r < 0 && r != -e->errnum) || (r == 0 && e->errnum != 0))
		abort();
}

static void try_acks(const struct nlmsghdr *h, size_t len)
{
	struct kernel_err e;
	check_err(netlink_parse_ack(h, len, &e), &e);
	check_err(netlink_parse_done(h, len, &e), &e);
}

static void try_xfrm(const struct nlmsghdr *h)
{
	struct kernel_sa_entry sa;
	if (xfrm_sa_entry_parse(h, &sa) == 0) {
		check_address(&sa.src);
		check_address(&sa.dst);
	}
	uint32_t index;
	uint8_t dir;
	if (xfrm_policy_in_reqid_range(h, PLUTO_REQID_MIN, PLUTO_REQID_MAX, &index, &dir) &&
	    dir >= XFRM_POLICY_MAX)
		abort();
	struct kernel_event ev;
	if (xfrm_event_parse(h, &ev) == 0) {
		check_address(&ev.src);
		check_address(&ev.dst);
		check_subnet(&ev.sel_src, &ev.src);
		check_subnet(&ev.sel_dst, &ev.dst);
	}
}

/* The release string uname would give, from the same bytes. */
static void try_release(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	(void)kernel_release_at_least(s, 6, 2);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: aligned as a socket buffer is, and
	 * with nothing after it for a parser to read by mistake. */
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	for (const struct nlmsghdr *h = netlink_next(buf, size, NULL); h != NULL; h = netlink_next(buf, size, h)) {
		try_acks(h, size - (size_t)((const uint8_t *)h - buf));
		try_xfrm(h);
	}
	free(buf);
	try_release(data, size);
	return 0;
}

#else	/* FUZZ_SEEDGEN: writes the seeds into the directory argv[1] */

static const char *seed_dir;

static void write_seed(const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void write_msg(const char *name, struct nl_msg *msg)
{
	write_seed(name, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
}

static ip_address addr(const char *s)
{
	ip_address a;
	if (!address_parse(s, &a))
		abort();
	return a;
}

static ip_subnet net(const char *s)
{
	ip_subnet n;
	if (!subnet_parse(s, &n))
		abort();
	return n;
}

/* A made-up key, the same every run: these messages carry no secret. */
static const uint8_t key[36] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

/* An SA as a GETSA reply or dump entry: the NEWSA pluto sends has the
 * fixed part and attributes the kernel's answer has. */
static struct nl_msg *sa_msg(bool offloaded)
{
	struct kernel_sa sa = {
		.src = addr("192.0.2.2"), .dst = addr("192.0.2.1"), .spi = 0x9195dc7a,
		.proto = IPPROTO_ESP, .mode = KERNEL_MODE_TUNNEL, .reqid = 0x4001,
		.src_sel = net("10.2.0.0/16"), .dst_sel = net("10.1.0.0/16"), .inbound = true,
		.encr = ENCR_AES_GCM_16, .encr_key = key, .encr_key_len = 20,
		.replay_window = 32, .hard_seconds = 28800, .soft_seconds = 27000,
		.offload = offloaded ? KERNEL_OFFLOAD_CRYPTO : KERNEL_OFFLOAD_NONE,
		.offload_ifindex = offloaded ? 7 : 0,
	};
	struct nl_msg *msg;
	struct kernel_err e;
	if (xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e) != 0)
		abort();
	return msg;
}

static struct nl_msg *policy_msg(void)
{
	struct kernel_policy p = {
		.src = net("10.1.0.0/16"), .dst = net("10.2.0.0/16"), .dir = KERNEL_DIR_IN,
		.mode = KERNEL_MODE_TUNNEL, .tmpl_src = addr("192.0.2.1"), .tmpl_dst = addr("192.0.2.2"),
		.proto = IPPROTO_ESP, .reqid = 0x4005, .priority = 1000,
		.offload = KERNEL_OFFLOAD_PACKET, .offload_ifindex = 9,
	};
	struct nl_msg *msg;
	struct kernel_err e;
	if (xfrm_policy_msg(&p, XFRM_MSG_NEWPOLICY, &msg, &e) != 0)
		abort();
	return msg;
}

static struct nl_msg *acquire_msg(void)
{
	struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_ACQUIRE, 0);
	struct xfrm_user_acquire ua;
	memset(&ua, 0, sizeof(ua));
	memcpy(&ua.id.daddr, "\xc0\x00\x02\x02", 4);
	memcpy(&ua.saddr, "\xc0\x00\x02\x01", 4);
	ua.id.proto = IPPROTO_ESP;
	ua.sel.family = AF_INET;
	memcpy(&ua.sel.saddr, "\x0a\x01\x00\x05", 4);
	memcpy(&ua.sel.daddr, "\x0a\x02\x00\x07", 4);
	ua.sel.prefixlen_s = ua.sel.prefixlen_d = 32;
	struct xfrm_user_tmpl ut;
	memset(&ut, 0, sizeof(ut));
	ut.family = AF_INET;
	ut.reqid = 0x4001;
	if (msg == NULL || nlmsg_append(msg, &ua, sizeof(ua), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, XFRMA_TMPL, sizeof(ut), &ut) < 0)
		abort();
	return msg;
}

static struct nl_msg *expire_msg(void)
{
	struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_EXPIRE, 0);
	struct xfrm_user_expire ue;
	memset(&ue, 0, sizeof(ue));
	ue.state.family = AF_INET6;
	memcpy(&ue.state.id.daddr, addr("2001:db8::2").bytes, 16);
	ue.state.id.spi = htonl(0x5555);
	ue.state.id.proto = IPPROTO_ESP;
	ue.hard = 1;
	if (msg == NULL || nlmsg_append(msg, &ue, sizeof(ue), NLMSG_ALIGNTO) < 0)
		abort();
	return msg;
}

/* An NLMSG_ERROR (or an NLMSG_DONE ending a failed dump) with the
 * extended-ack text, capped or echoing a request of echo_len bytes. */
static struct nl_msg *error_msg(int type, int error, bool capped, size_t echo_len, const char *text)
{
	static uint8_t echo[256];	/* libnl takes it non-const */
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0));
	struct nlmsgerr err = { .error = error };
	err.msg.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + echo_len);
	err.msg.nlmsg_type = XFRM_MSG_NEWSA;
	bool ok = msg != NULL;
	if (ok && type == NLMSG_ERROR)
		ok = nlmsg_append(msg, &err, sizeof(err), NLMSG_ALIGNTO) == 0 &&
		     (capped || nlmsg_append(msg, echo, echo_len, NLMSG_ALIGNTO) == 0);
	else if (ok)
		ok = nlmsg_append(msg, &error, sizeof(error), NLMSG_ALIGNTO) == 0;
	if (!ok || nla_put_string(msg, NLMSGERR_ATTR_MSG, text) < 0)
		abort();
	return msg;
}

/* Several messages in one read, as a dump arrives. */
static void write_dump(void)
{
	struct nl_msg *parts[] = { sa_msg(true), sa_msg(false), policy_msg(),
				   error_msg(NLMSG_DONE, -ENOBUFS, false, 0, "dump failed") };
	uint8_t buf[8192];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t len = nlmsg_hdr(parts[i])->nlmsg_len;
		if (n + NLMSG_ALIGN(len) > sizeof(buf))
			abort();
		memset(buf + n, 0, NLMSG_ALIGN(len));
		memcpy(buf + n, nlmsg_hdr(parts[i]), len);
		n += NLMSG_ALIGN(len);
		xfrm_msg_free(parts[i]);
	}
	write_seed("dump_sa_sa_policy_done", buf, n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	seed_dir = argv[1];
	struct { const char *name; struct nl_msg *msg; } seeds[] = {
		{ "newsa_offloaded", sa_msg(true) },
		{ "newsa", sa_msg(false) },
		{ "newpolicy_in_reqid_range", policy_msg() },
		{ "acquire", acquire_msg() },
		{ "expire_hard_ipv6", expire_msg() },
		{ "error_capped_extack", error_msg(NLMSG_ERROR, -EINVAL, true, 200,
						   "Device failed to offload this state") },
		{ "error_uncapped_echo", error_msg(NLMSG_ERROR, -ENOSPC, false, 229,
						   "Device failed to offload this state") },
		{ "done_with_error", error_msg(NLMSG_DONE, -ENOBUFS, false, 0, "dump failed") },
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		write_msg(seeds[i].name, seeds[i].msg);
		xfrm_msg_free(seeds[i].msg);
	}
	write_dump();
	write_seed("release_6_1", "6.1.0-13-amd64", 14);
	return 0;
}

#endif
