/* status.h: what `whack --status` and `--trafficstatus` print. */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include "ip_address.h"

struct whack_session;

void status_show(struct whack_session *s);
/* The conns' part of --status (libreswan's --connectionstatus). */
void connectionstatus_show(struct whack_session *s);
void trafficstatus_show(struct whack_session *s, bool json);
/* The bytes the kernel counted on an ESP SA (0 when it has none). */
uint64_t status_sa_bytes(const ip_address *dst, uint32_t spi);
/* Between these, status_sa_bytes reads the counters of one dump of every
 * SA (sa_counters.h) rather than asking the kernel for each SA: for the
 * listings of every tunnel (--trafficstatus, --showstates). */
void status_counters_begin(void);
void status_counters_end(void);

#endif
