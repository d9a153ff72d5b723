/* sa_counters.h: the byte counters of every ESP SA in the kernel, read in
 * one dump (kernel_ops.list_sas) and found by destination and SPI in a
 * hash table: what a status command of a thousand tunnels shows, without
 * two netlink round trips for each tunnel.
 *
 * The figures are those of the moment of the dump; an SA the dump did not
 * see (installed since) counts 0 bytes. */
#ifndef SA_COUNTERS_H
#define SA_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include "hash_table.h"
#include "kernel.h"

#define SA_COUNTERS_DEVICES 16

struct sa_counters {
	struct hash_table table;
	bool loaded;			/* the dump succeeded */
	/* the SAs offloaded to each device (any owner's: the table's use) */
	struct {
		int ifindex;
		unsigned sas;
	} offloaded[SA_COUNTERS_DEVICES];
	size_t ndevices;
};

/* Reads every SA through k->list_sas; false (nothing kept) when the dump
 * fails or memory runs out. */
bool sa_counters_load(struct sa_counters *sc, const struct kernel_ops *k);
/* The bytes the ESP SA (dst, spi) has carried; found tells whether the
 * dump held it. */
uint64_t sa_counters_bytes(const struct sa_counters *sc, const ip_address *dst, uint32_t spi, bool *found);
/* How many SAs the dump saw offloaded to the device with ifindex. */
unsigned sa_counters_offloaded_on(const struct sa_counters *sc, int ifindex);
void sa_counters_free(struct sa_counters *sc);

#endif
