/* offload_probe.h: what `ipsec offload` shows, and what `--probe` learns.
 *
 * There is no kernel API that lists the algorithms a NIC can offload, so a
 * probe installs throwaway SAs (reserved SPIs, documentation addresses,
 * pluto's probe reqid) on the device and removes each at once, then sweeps
 * by reqid so none is left; a probe interrupted by a crash is swept by the
 * next pluto's start-up flush. Probes run only when asked: on some NICs a
 * probe stalls the device. What a probe learned is kept per device for the
 * life of pluto. */
#ifndef OFFLOAD_PROBE_H
#define OFFLOAD_PROBE_H

#include <net/if.h>
#include <stdbool.h>
#include "diag.h"
#include "ipsecconf.h"
#include "kernel.h"
#include "offload.h"

/* The reqid every probe SA carries (inside pluto's range, so a start-up
 * flush removes leftovers). */
#define PROBE_REQID PLUTO_REQID_MAX

enum probe_outcome { PROBE_OFFLOADED, PROBE_SOFTWARE, PROBE_REFUSED };

struct probe_result {
	struct alg_proposal alg;
	bool esn;
	bool inbound;
	enum probe_outcome outcome;
	struct kernel_err err;		/* for PROBE_REFUSED */
};

#define PROBE_RESULTS_MAX 24

struct device_probe {
	char dev[IF_NAMESIZE];
	int ifindex;
	size_t n;
	struct probe_result r[PROBE_RESULTS_MAX];
};

/* Probes dev; one line per result (and a closing count) go to lines.
 * 0, or -errno when the device cannot be probed at all. */
int offload_probe(const struct kernel_ops *k, const char *dev, struct device_probe *out, struct diag *lines);

/* The last probe of dev in this pluto's life, or NULL. */
const struct device_probe *offload_probe_known(const char *dev);
/* Forgets every probe (tests start from a pluto that knows no device). */
void offload_probe_forget_all(void);

/* Whether the probe saw the device offload some transform with ESN. */
bool offload_probe_esn(const struct device_probe *p);

/* What a probe says of an ESP transform without ESN. A refusal for a full
 * table (ENOSPC) says nothing of the transform. */
enum offload_verdict {
	OFFLOAD_KNOWN,		/* offloaded both ways */
	OFFLOAD_UNKNOWN,	/* not tried, or only into a full table */
	OFFLOAD_REFUSED,	/* refused or run in software; or not tried, but every
				 * transform of its cipher the probe tried was */
};
enum offload_verdict offload_probe_verdict(const struct device_probe *p, const struct alg_proposal *alg);

/* Reorders ps, keeping the order within each verdict: known first, then
 * unknown, refused last. Does nothing without a probe (p NULL). */
void offload_order_proposals(const struct device_probe *p, struct alg_proposals *ps);

/* Keeps only the proposals p knows to be offloaded (none without a probe). */
void offload_keep_known(const struct device_probe *p, struct alg_proposals *ps);

/* The probe of the device holding local, when there is one. */
const struct device_probe *offload_probe_for(const struct kernel_ops *k, const ip_address *local);

/* When a conn is added whose SAs ask for offload (pol->mode is not no) on
 * the device holding local: probes that device, once in pluto's life,
 * saying so in probe_lines with what it found; then puts a warning in
 * notes when the device has no ESP offload, cannot offload any transform
 * of the conn's esp=, or cannot offload the ESN that esn=yes forces. */
void offload_check_device(const struct kernel_ops *k, const struct conn_config *c,
			  const struct offload_policy *pol, const ip_address *local,
			  struct diag *probe_lines, struct diag *notes);

/* `ipsec offload`: per interface (or only dev, when not NULL), the ESP
 * offload features, how many SAs are offloaded there now, and what a
 * probe found. */
void offload_report(const struct kernel_ops *k, const char *dev, struct diag *lines);

#endif
