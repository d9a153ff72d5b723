/* netlink_extack.h: the kernel's answer to a netlink request, read as an
 * errno and the extended-ack text (NETLINK_EXT_ACK), without libnl's lossy
 * error codes. Pure functions over buffers, so unit tests can feed them
 * hand-made answers. */
#ifndef NETLINK_EXTACK_H
#define NETLINK_EXTACK_H

#include <stddef.h>
#include <linux/netlink.h>
#include "kernel.h"

/* Asks the kernel for extended acks on this socket, and to leave out the
 * echoed request from error answers (NETLINK_CAP_ACK): our requests carry
 * keys, and an echo would put them back in our receive buffer. 0 or -errno;
 * a kernel without either option still answers, just with less. */
int netlink_want_extack(int fd);

/* An NLMSG_ERROR message of len bytes (len may exceed nlmsg_len: only
 * nlmsg_len counts). Returns 0 for a positive ack, else -errno, with e
 * filled: errnum and the NLMSGERR_ATTR_MSG text ("" when none). A truncated
 * or malformed answer is -EPROTO. */
int netlink_parse_ack(const struct nlmsghdr *h, size_t len, struct kernel_err *e);

/* The extack text of an NLMSG_DONE that ends a failed dump, or "" */
int netlink_parse_done(const struct nlmsghdr *h, size_t len, struct kernel_err *e);

/* The messages of one read of len bytes from buf, in turn (start with
 * h NULL); NULL once no whole message is left. Unlike NLMSG_NEXT on an
 * unsigned length, it never steps past the read, even when the last
 * message ends short of its padding. */
const struct nlmsghdr *netlink_next(const void *buf, size_t len, const struct nlmsghdr *h);

/* Fills e with errnum and an optional text of ours; returns -errnum. */
int kernel_err_set(struct kernel_err *e, int errnum, const char *text);

#endif
