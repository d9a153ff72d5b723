/* sa_counters.c: see sa_counters.h. */
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "sa_counters.h"

struct counted_sa {
	struct hash_entry entry;
	ip_address dst;
	uint32_t spi;
	uint64_t bytes;
};

static uint64_t sa_hash(const ip_address *dst, uint32_t spi)
{
	return hash_pieces(&spi, sizeof(spi), dst->bytes, dst->family == AF_INET6 ? 16 : 4);
}

struct load {
	struct sa_counters *sc;
	bool out_of_memory;
};

static void count_offloaded(struct sa_counters *sc, int ifindex)
{
	size_t i = 0;
	while (i < sc->ndevices && sc->offloaded[i].ifindex != ifindex)
		i++;
	if (i == sc->ndevices) {
		if (i == SA_COUNTERS_DEVICES)
			return;
		sc->offloaded[sc->ndevices++].ifindex = ifindex;
	}
	sc->offloaded[i].sas++;
}

unsigned sa_counters_offloaded_on(const struct sa_counters *sc, int ifindex)
{
	for (size_t i = 0; i < sc->ndevices; i++)
		if (sc->offloaded[i].ifindex == ifindex)
			return sc->offloaded[i].sas;
	return 0;
}

static void keep(void *arg, const struct kernel_sa_entry *sa)
{
	struct load *l = arg;
	if (sa->info.offloaded)
		count_offloaded(l->sc, sa->info.offload_ifindex);
	if (sa->proto != IPPROTO_ESP || l->out_of_memory)
		return;
	struct counted_sa *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		l->out_of_memory = true;
		return;
	}
	c->dst = sa->dst;
	c->spi = sa->spi;
	c->bytes = sa->info.bytes;
	hash_table_add(&l->sc->table, &c->entry, sa_hash(&sa->dst, sa->spi));
}

bool sa_counters_load(struct sa_counters *sc, const struct kernel_ops *k)
{
	*sc = (struct sa_counters){0};
	struct load l = { sc, false };
	struct kernel_err e = {0};
	if (k->list_sas == NULL || k->list_sas(keep, &l, &e) != 0 || l.out_of_memory) {
		sa_counters_free(sc);
		return false;
	}
	sc->loaded = true;
	return true;
}

uint64_t sa_counters_bytes(const struct sa_counters *sc, const ip_address *dst, uint32_t spi, bool *found)
{
	struct counted_sa *c;
	HASH_TABLE_FOR_EACH(&sc->table, sa_hash(dst, spi), c, struct counted_sa, entry) {
		if (c->spi == spi && address_eq(&c->dst, dst)) {
			*found = true;
			return c->bytes;
		}
	}
	*found = false;
	return 0;
}

static void free_counted(struct hash_entry *e)
{
	free(HASH_CONTAINER(e, struct counted_sa, entry));
}

void sa_counters_free(struct sa_counters *sc)
{
	hash_table_drain(&sc->table, free_counted);
	sc->loaded = false;
}
