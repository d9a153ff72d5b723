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

#endif
