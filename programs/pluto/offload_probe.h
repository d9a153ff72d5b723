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
#include "kernel.h"

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

/* Whether a probe of dev showed this ESP transform offloaded both ways. */
bool offload_probe_accepts(const struct device_probe *p, const struct alg_proposal *alg, bool esn);

/* `ipsec offload`: per interface (or only dev, when not NULL), the ESP
 * offload features, how many SAs are offloaded there now, and what a
 * probe found. */
void offload_report(const struct kernel_ops *k, const char *dev, struct diag *lines);

#endif
