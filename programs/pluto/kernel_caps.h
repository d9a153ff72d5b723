/* kernel_caps.h: what this kernel's XFRM offload code takes, learned once
 * at start-up by asking it, not read off its release number.
 *
 * Two things changed between the kernels users run (docs/kernels.md):
 * XFRM_OFFLOAD_PACKET is a flag 6.1 refuses ("Unrecognized flags in offload
 * request") and 6.2 and later know; crypto offload of a UDP-encapsulated
 * (NAT-T) SA is refused by 6.1 before any device is asked ("Encapsulation
 * and TFC padding can't be offloaded") and passed on to the device by 6.12.
 * The kernel checks both before it looks at the device's offload
 * operations, so asking for them on the loopback device (which has none)
 * tells the kernel's answer apart from any driver's: probe_sa_on(lo) gets
 * the kernel's refusal, or an SA that runs in software (removed at once),
 * or, for packet offload on 6.2 and later, a plain EINVAL from the device
 * check. A kernel whose answers fit neither pattern is reported as it
 * answered, and counted as having neither (never a claim it may not keep).
 *
 * The probe SAs carry the offload probe's reqid (offload_probe.h), so a
 * start-up flush removes any a crash left behind. */
#ifndef KERNEL_CAPS_H
#define KERNEL_CAPS_H

#include <stdbool.h>
#include "diag.h"
#include "kernel.h"

struct kernel_caps {
	bool probed;
	bool packet_offload;		/* XFRM_OFFLOAD_PACKET of SAs and policies */
	bool encap_crypto_offload;	/* crypto offload of UDP-encapsulated SAs */
};

/* Asks the kernel through k, on the device lo_ifindex (the loopback, with
 * no offload operations of its own). One line per finding goes to lines.
 * Every probe SA the kernel accepted is removed again. */
void kernel_caps_probe(const struct kernel_ops *k, int lo_ifindex, struct kernel_caps *out, struct diag *lines);

/* The kernel pluto runs on: kernel_caps_learn() probes it once (at
 * start-up, after the flush); before that, and in programs that never
 * probe, packet offload is read off the release number (6.2 and later)
 * and encapsulated crypto offload is taken as absent. These back
 * kernel_xfrm_ops' has_packet_offload and has_encap_offload. */
void kernel_caps_learn(const struct kernel_ops *k, struct diag *lines);
bool kernel_caps_packet_offload(void);
bool kernel_caps_encap_offload(void);

#endif
