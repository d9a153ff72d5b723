/* kernel_xfrm_msg.h: XFRM netlink messages built from kernel.h's structs and
 * read back into them, with no socket in sight, so unit tests can check
 * every attribute. kernel_xfrm.c sends them. */
#ifndef KERNEL_XFRM_MSG_H
#define KERNEL_XFRM_MSG_H

#include <stdbool.h>
#include <netlink/msg.h>
#include "kernel.h"

/* XFRM_MSG_NEWSA or XFRM_MSG_UPDSA for sa. The keys are written straight
 * into the message, never into libnl's objects (which free them unwiped):
 * release it with xfrm_msg_free. 0 or -errno, with our reason in e. */
int xfrm_sa_msg(const struct kernel_sa *sa, int cmd, struct nl_msg **out, struct kernel_err *e);

/* XFRM_MSG_GETSA or XFRM_MSG_DELSA for one SA. */
int xfrm_sa_id_msg(int cmd, const ip_address *dst, uint32_t spi, uint8_t proto,
		   struct nl_msg **out, struct kernel_err *e);

/* XFRM_MSG_NEWPOLICY, or XFRM_MSG_DELPOLICY (by selector and direction). */
int xfrm_policy_msg(const struct kernel_policy *p, int cmd, struct nl_msg **out, struct kernel_err *e);
/* XFRM_MSG_DELPOLICY by the kernel's index (what a dump gives). */
int xfrm_policy_index_del_msg(uint32_t index, uint8_t dir, struct nl_msg **out, struct kernel_err *e);

/* A dump request (XFRM_MSG_GETSA or XFRM_MSG_GETPOLICY). */
int xfrm_dump_msg(int cmd, struct nl_msg **out, struct kernel_err *e);

/* Wipes the whole message buffer (keys included), then frees it. */
void xfrm_msg_free(struct nl_msg *msg);

/* An XFRM_MSG_NEWSA (reply to GETSA or a dump entry) read into entry:
 * addresses, SPI, reqid, counters, offload device. 0 or -EPROTO. */
int xfrm_sa_entry_parse(const struct nlmsghdr *h, struct kernel_sa_entry *entry);

/* An XFRM_MSG_NEWPOLICY dump entry: its index and direction, and whether a
 * template carries a reqid in [lo, hi]. false for anything else. */
bool xfrm_policy_in_reqid_range(const struct nlmsghdr *h, uint32_t lo, uint32_t hi,
				uint32_t *index, uint8_t *dir);

/* XFRM_MSG_ACQUIRE or XFRM_MSG_EXPIRE read into ev. 0, or -EPROTO for
 * anything else. */
int xfrm_event_parse(const struct nlmsghdr *h, struct kernel_event *ev);

#endif
