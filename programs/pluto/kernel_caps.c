/* kernel_caps.c: the start-up probe of what the kernel's offload code
 * takes (kernel_caps.h). */
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "errno_name.h"
#include "kernel_caps.h"
#include "kernel_link.h"
#include "offload_probe.h"

/* Below the offload probe's SPIs (0x80 and up). SPIs 1-255 are reserved
 * (RFC 4303): no peer uses them, so these cannot meet a real SA. */
#define CAPS_SPI_BASE 0x70u

/* Throwaway keys: zeros are as good as any for an SA that carries nothing. */
static const uint8_t zero_key[20];

/* AES-GCM-16 with a 128-bit key, the transform every offloading kernel
 * knows; outbound, from one documentation address to another. */
static void caps_sa(uint32_t spi, enum kernel_offload mode, bool encap, int ifindex, struct kernel_sa *sa)
{
	*sa = (struct kernel_sa){
		.spi = spi, .proto = IPPROTO_ESP, .mode = KERNEL_MODE_TRANSPORT,
		.reqid = PROBE_REQID, .encr = ENCR_AES_GCM_16, .encr_key = zero_key,
		.encr_key_len = sizeof(zero_key), .integ = INTEG_NONE, .replay_window = 32,
		.offload = mode, .offload_ifindex = ifindex,
		.encap = encap, .encap_sport = 4500, .encap_dport = 4500,
	};
	address_parse("192.0.2.1", &sa->src);
	address_parse("192.0.2.2", &sa->dst);
	sa->src_sel = subnet_from_address(&sa->src);
	sa->dst_sel = subnet_from_address(&sa->dst);
}

/* What one probe SA met. */
enum caps_answer { CAPS_ACCEPTED, CAPS_REFUSED };

static enum caps_answer ask(const struct kernel_ops *k, uint32_t spi, enum kernel_offload mode, bool encap,
			    int ifindex, struct kernel_err *e)
{
	struct kernel_sa sa;
	caps_sa(spi, mode, encap, ifindex, &sa);
	*e = (struct kernel_err){0};
	if (k->add_sa(&sa, e) != 0)
		return CAPS_REFUSED;
	struct kernel_err ignored = {0};
	k->del_sa(&sa.dst, sa.spi, sa.proto, &ignored);
	return CAPS_ACCEPTED;
}

static const char *said(const struct kernel_err *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s)", e->extack[0] ? e->extack : strerror(e->errnum), errno_name(e->errnum));
	return buf;
}

void kernel_caps_probe(const struct kernel_ops *k, int lo_ifindex, struct kernel_caps *out, struct diag *lines)
{
	*out = (struct kernel_caps){ .probed = true };
	struct kernel_err e;
	char text[300];
	/* The control: plain crypto offload on lo runs in software on every
	 * kernel with ESP offload. Without it neither question means much. */
	if (ask(k, CAPS_SPI_BASE, KERNEL_OFFLOAD_CRYPTO, false, lo_ifindex, &e) != CAPS_ACCEPTED) {
		diag_add(lines, "kernel: no ESP offload at all: a crypto offload request was refused: %s",
			 said(&e, text, sizeof(text)));
		return;
	}
	if (ask(k, CAPS_SPI_BASE + 1, KERNEL_OFFLOAD_PACKET, false, lo_ifindex, &e) == CAPS_ACCEPTED)
		diag_add(lines, "kernel: packet offload: no (a packet offload request ran in software)");
	else if (strstr(e.extack, "Unrecognized flags") != NULL)
		diag_add(lines, "kernel: packet offload: no (it needs Linux 6.2 or later): %s", said(&e, text, sizeof(text)));
	else
		out->packet_offload = true;
	if (ask(k, CAPS_SPI_BASE + 2, KERNEL_OFFLOAD_CRYPTO, true, lo_ifindex, &e) == CAPS_ACCEPTED)
		out->encap_crypto_offload = true;
	else
		diag_add(lines, "kernel: crypto offload of UDP-encapsulated (NAT-T) SAs: no: %s", said(&e, text, sizeof(text)));
	if (out->packet_offload)
		diag_add(lines, "kernel: packet offload: yes (XFRM_OFFLOAD_PACKET is known; each device still decides)");
	if (out->encap_crypto_offload)
		diag_add(lines, "kernel: crypto offload of UDP-encapsulated (NAT-T) SAs: yes (each device still decides)");
}

static struct kernel_caps learned;

void kernel_caps_learn(const struct kernel_ops *k, struct diag *lines)
{
	int lo = (int)if_nametoindex("lo");
	if (lo == 0) {
		diag_add(lines, "kernel: no loopback device to probe offload on; packet offload judged by the release");
		return;
	}
	kernel_caps_probe(k, lo, &learned, lines);
}

bool kernel_caps_packet_offload(void)
{
	if (learned.probed)
		return learned.packet_offload;
	struct utsname u;
	return uname(&u) == 0 && kernel_release_at_least(u.release, 6, 2);
}

bool kernel_caps_encap_offload(void)
{
	return learned.probed && learned.encap_crypto_offload;
}
