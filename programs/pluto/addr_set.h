/* addr_set.h: a set of IP addresses with constant-time membership: what
 * pluto takes of this host's addresses in one netlink dump, so that
 * orienting many conns at once (loading a config, an address change)
 * asks the kernel once rather than once for each conn.
 *
 * A set owns its entries; addr_set_add of an address already there adds
 * nothing. An address is its family and its bytes (an unset address,
 * family 0, is never a member). */
#ifndef ADDR_SET_H
#define ADDR_SET_H

#include <stdbool.h>
#include <stddef.h>
#include "hash_table.h"
#include "ip_address.h"

struct addr_set {
	struct hash_table table;
};

/* false only when out of memory (the set is unchanged). */
bool addr_set_add(struct addr_set *s, const ip_address *a);
bool addr_set_has(const struct addr_set *s, const ip_address *a);
size_t addr_set_count(const struct addr_set *s);
/* Empties the set and frees what it holds; it may be used again. */
void addr_set_clear(struct addr_set *s);

#endif
