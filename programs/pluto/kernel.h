/* kernel.h: the narrow interface between pluto and the kernel's IPsec.
 *
 * One table of operations (struct kernel_ops); kernel_xfrm.c implements it
 * over netlink XFRM with libnl-xfrm-3, and unit tests drive the offload
 * policy through a test double. Every operation returns 0 or a negative
 * errno, with the kernel's extended-ack text (when it sent one) in the
 * struct kernel_err, so the caller that decides can say exactly what the
 * kernel said. Key material passed in is not kept: the implementation
 * copies it into the netlink message and wipes its own copies. */
#ifndef KERNEL_H
#define KERNEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "alg.h"
#include "ip_address.h"
#include "protoport.h"

struct event_base;

#define KERNEL_EXTACK_MAX 256

struct kernel_err {
	int errnum;				/* positive errno, 0 when none */
	char extack[KERNEL_EXTACK_MAX];		/* the kernel's text, "" when none */
};

enum kernel_mode { KERNEL_MODE_TRANSPORT, KERNEL_MODE_TUNNEL };
enum kernel_dir { KERNEL_DIR_IN, KERNEL_DIR_OUT, KERNEL_DIR_FWD };

/* What to ask the kernel for, per SA. */
enum kernel_offload { KERNEL_OFFLOAD_NONE, KERNEL_OFFLOAD_CRYPTO, KERNEL_OFFLOAD_PACKET };

struct kernel_sa {
	ip_address src, dst;		/* outer addresses */
	uint32_t spi;			/* host order */
	uint8_t proto;			/* IPPROTO_ESP */
	enum kernel_mode mode;
	uint32_t reqid;
	ip_subnet src_sel, dst_sel;	/* traffic selectors */
	struct protoport src_pp, dst_pp;	/* ... their protocol (one for both) and ports */
	bool inbound;			/* sets XFRM_OFFLOAD_INBOUND when offloaded */

	enum encr_id encr;
	const uint8_t *encr_key;	/* key then salt, encr_key_len bytes in all */
	size_t encr_key_len;
	enum integ_id integ;		/* INTEG_NONE with AEAD */
	const uint8_t *integ_key;
	size_t integ_key_len;

	bool esn;
	uint32_t replay_window;		/* packets */
	uint64_t soft_bytes, hard_bytes;	/* 0: no limit */
	uint64_t soft_packets, hard_packets;	/* 0: no limit */
	uint64_t soft_seconds, hard_seconds;	/* 0: no limit */

	bool encap;			/* NAT-T: ESP in UDP */
	uint16_t encap_sport, encap_dport;
	uint32_t tfc_pad;

	enum kernel_offload offload;
	int offload_ifindex;
};

/* An SA as the kernel reports it. */
struct kernel_sa_info {
	bool offloaded;			/* XFRMA_OFFLOAD_DEV present */
	int offload_ifindex;
	bool offload_packet;		/* XFRM_OFFLOAD_PACKET set */
	uint64_t bytes, packets;
	uint64_t add_time;		/* seconds since the epoch */
};

struct kernel_policy {
	ip_subnet src, dst;
	struct protoport src_pp, dst_pp;	/* the selector's protocol (one for both) and ports */
	enum kernel_dir dir;
	enum kernel_mode mode;
	ip_address tmpl_src, tmpl_dst;	/* tunnel endpoints (tunnel mode) */
	uint8_t proto;
	uint32_t reqid;
	uint32_t priority;
	enum kernel_offload offload;	/* packet offload also offloads the policy */
	int offload_ifindex;
};

/* ESP offload features of one interface, as `ethtool -k` shows them. */
struct offload_features {
	bool esp_hw_offload;		/* esp-hw-offload */
	bool esp_tx_csum_hw_offload;	/* esp-tx-csum-hw-offload */
	bool tx_esp_segmentation;	/* tx-esp-segmentation */
};

/* The interface that holds an address. */
struct kernel_link {
	int ifindex;
	char name[IF_NAMESIZE];
};

/* One SA of a listing (list_sas). */
struct kernel_sa_entry {
	ip_address src, dst;
	uint32_t spi;
	uint8_t proto;
	uint32_t reqid;
	struct kernel_sa_info info;
};
typedef void kernel_sa_fn(void *arg, const struct kernel_sa_entry *sa);

/* pluto marks what it installs with a reqid in this range, so a restarted
 * pluto can tell its predecessor's leftovers from other daemons' state. */
#define PLUTO_REQID_MIN 0x4000u
#define PLUTO_REQID_MAX 0x7fffu

/* Events the kernel sends on its own. */
enum kernel_event_type { KERNEL_EV_ACQUIRE, KERNEL_EV_EXPIRE_SOFT, KERNEL_EV_EXPIRE_HARD };
/* Which of an SA's limits its expiry reached. */
enum kernel_expiry { KERNEL_EXPIRY_TIME, KERNEL_EXPIRY_BYTES, KERNEL_EXPIRY_PACKETS };
struct kernel_event {
	enum kernel_event_type type;
	ip_address src, dst;
	uint32_t spi;			/* expire */
	enum kernel_expiry expiry;	/* expire */
	uint8_t proto;
	ip_subnet sel_src, sel_dst;	/* acquire */
};
typedef void kernel_event_fn(void *arg, const struct kernel_event *ev);
/* The host's addresses changed (one call for a burst of changes). */
typedef void kernel_addresses_fn(void *arg);
/* One address of this host (list_addresses). */
typedef void kernel_address_fn(void *arg, const ip_address *a);

struct kernel_ops {
	const char *name;
	int (*init)(struct kernel_err *e);
	void (*shutdown)(void);

	int (*add_sa)(const struct kernel_sa *sa, struct kernel_err *e);
	int (*update_sa)(const struct kernel_sa *sa, struct kernel_err *e);
	int (*del_sa)(const ip_address *dst, uint32_t spi, uint8_t proto, struct kernel_err *e);
	int (*get_sa)(const ip_address *dst, uint32_t spi, uint8_t proto,
		      struct kernel_sa_info *info, struct kernel_err *e);

	int (*add_policy)(const struct kernel_policy *p, struct kernel_err *e);
	/* Adds the policy or replaces the one with its selector and
	 * direction (XFRM_MSG_UPDPOLICY): a routed conn's trap and its
	 * tunnel's outbound policy take turns in one place (ondemand.h). */
	int (*update_policy)(const struct kernel_policy *p, struct kernel_err *e);
	int (*del_policy)(const struct kernel_policy *p, struct kernel_err *e);

	/* Every SA in the kernel, with its offload state and counters. */
	int (*list_sas)(kernel_sa_fn *fn, void *arg, struct kernel_err *e);

	/* Remove every SA and policy whose reqid lies in [lo, hi]: what a
	 * previous pluto left behind, or what this one installed. */
	int (*flush)(uint32_t reqid_lo, uint32_t reqid_hi, struct kernel_err *e);

	int (*link_for_address)(const ip_address *a, struct kernel_link *link, struct kernel_err *e);
	/* Every address of this host's interfaces, from one dump, each to fn:
	 * what orienting many conns at once reads (connections.h). NULL in a
	 * backend that cannot: then link_for_address is asked for each. */
	int (*list_addresses)(kernel_address_fn *fn, void *arg, struct kernel_err *e);
	/* This host's address on the interface of its default route of
	 * family (AF_INET, AF_INET6): what left=%defaultroute means. */
	int (*default_route_source)(int family, ip_address *a, struct kernel_err *e);
	int (*offload_features)(const char *ifname, struct offload_features *f, struct kernel_err *e);
	/* Whether this kernel knows XFRM_OFFLOAD_PACKET (6.2 and later), and
	 * whether it passes a crypto offload request for a UDP-encapsulated
	 * SA on to the device (6.12; 6.1 refuses it): kernel_caps.h. */
	bool (*has_packet_offload)(void);
	bool (*has_encap_offload)(void);

	/* Acquire and expire events go to fn, driven by the event loop base. */
	int (*watch_events)(struct event_base *base, kernel_event_fn *fn, void *arg, struct kernel_err *e);
	/* fn hears when an address is added to or removed from an interface. */
	int (*watch_addresses)(struct event_base *base, kernel_addresses_fn *fn, void *arg, struct kernel_err *e);
};

extern const struct kernel_ops kernel_xfrm_ops;

/* The ops pluto uses; tests may point it at a double. */
extern const struct kernel_ops *kernel;

#endif
