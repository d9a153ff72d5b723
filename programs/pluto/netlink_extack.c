/* netlink_extack.c: errno and extended-ack text from the kernel's answers.
 *
 * An NLMSG_ERROR answer is: nlmsghdr, struct nlmsgerr (the errno and the
 * request's header), the rest of the request unless NLM_F_CAPPED, then,
 * with NLM_F_ACK_TLVS, attributes of which NLMSGERR_ATTR_MSG is the text
 * users need ("Device failed to offload this state"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "netlink_extack.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int kernel_err_set(struct kernel_err *e, int errnum, const char *text)
{
	if (e != NULL) {
		e->errnum = errnum;
		snprintf(e->extack, sizeof(e->extack), "%s", text != NULL ? text : "");
	}
	return -errnum;
}

int netlink_want_extack(int fd)
{
	int on = 1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on)) != 0)
		return -errno;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on)) != 0)
		return -errno;
	return 0;
}

/* Copies the NLMSGERR_ATTR_MSG string found among the attributes in
 * [p, end) into e->extack; anything else is skipped. */
static void copy_extack_msg(const uint8_t *p, const uint8_t *end, struct kernel_err *e)
{
	while (end - p >= (ptrdiff_t)sizeof(struct nlattr)) {
		struct nlattr a;
		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > end - p)
			return;		/* malformed: keep what we have */
		if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t n = a.nla_len - sizeof(a);
			const char *s = (const char *)(p + sizeof(a));
			n = strnlen(s, n);
			if (n >= sizeof(e->extack))
				n = sizeof(e->extack) - 1;
			memcpy(e->extack, s, n);
			e->extack[n] = '\0';
			return;
		}
		p += NLA_ALIGN(a.nla_len);
	}
}

/* Where the TLVs start, as an offset from the message's payload. */
static size_t tlv_offset(const struct nlmsghdr *h, const struct nlmsgerr *err)
{
	size_t off = sizeof(*err);
	if (!(h->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > NLMSG_HDRLEN)
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	return NLMSG_ALIGN(off);
}

/* The errno an answer's error field carries: the kernel sends -errno, and
 * every errno is below 4096 (MAX_ERRNO). 0 for anything else, which only
 * a broken peer sends: a positive value is taken as it is, but INT_MIN
 * has no negation, and what is out of range names no errno. */
static int errno_of(int v)
{
	if (v <= -4096 || v >= 4096)
		return 0;
	return v < 0 ? -v : v;
}

int netlink_parse_ack(const struct nlmsghdr *h, size_t len, struct kernel_err *e)
{
	struct nlmsgerr err;
	kernel_err_set(e, 0, NULL);
	if (len < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_LENGTH(sizeof(err)) || h->nlmsg_len > len)
		return kernel_err_set(e, EPROTO, "truncated netlink acknowledgement");
	memcpy(&err, NLMSG_DATA(h), sizeof(err));
	if (err.error == 0)
		return 0;
	int errnum = errno_of(err.error);
	if (errnum == 0)
		return kernel_err_set(e, EPROTO, "netlink acknowledgement with no errno in range");
	e->errnum = errnum;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		const uint8_t *data = NLMSG_DATA(h);
		const uint8_t *end = (const uint8_t *)h + h->nlmsg_len;
		size_t off = tlv_offset(h, &err);
		if (off < (size_t)(end - data))
			copy_extack_msg(data + off, end, e);
	}
	return -errnum;
}

int netlink_parse_done(const struct nlmsghdr *h, size_t len, struct kernel_err *e)
{
	int status = 0;
	kernel_err_set(e, 0, NULL);
	if (len < NLMSG_HDRLEN || h->nlmsg_len > len)
		return kernel_err_set(e, EPROTO, "truncated netlink dump end");
	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(status)))
		memcpy(&status, NLMSG_DATA(h), sizeof(status));
	if (status == 0)
		return 0;
	e->errnum = errno_of(status);
	if (e->errnum == 0)
		return kernel_err_set(e, EPROTO, "netlink dump end with no errno in range");
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		const uint8_t *data = NLMSG_DATA(h);
		const uint8_t *end = (const uint8_t *)h + h->nlmsg_len;
		size_t off = NLMSG_ALIGN(sizeof(status));
		if (off < (size_t)(end - data))
			copy_extack_msg(data + off, end, e);
	}
	return -e->errnum;
}

const struct nlmsghdr *netlink_next(const void *buf, size_t len, const struct nlmsghdr *h)
{
	size_t at = 0;
	if (h != NULL) {
		at = (size_t)((const uint8_t *)h - (const uint8_t *)buf);
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= len - at)
			return NULL;
		at += step;
	}
	const struct nlmsghdr *next = (const void *)((const uint8_t *)buf + at);
	size_t left = len - at;
	if (left < NLMSG_HDRLEN || next->nlmsg_len < NLMSG_HDRLEN || next->nlmsg_len > left)
		return NULL;
	return next;
}
