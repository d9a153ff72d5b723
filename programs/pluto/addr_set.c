/* addr_set.c: see addr_set.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "addr_set.h"

struct member {
	struct hash_entry entry;
	ip_address addr;
};

static size_t addr_len(const ip_address *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

static uint64_t addr_hash(const ip_address *a)
{
	return hash_pieces(&a->family, sizeof(a->family), a->bytes, addr_len(a));
}

static bool same(const ip_address *a, const ip_address *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

bool addr_set_has(const struct addr_set *s, const ip_address *a)
{
	if (a->family == 0)
		return false;
	uint64_t h = addr_hash(a);
	struct member *m;
	HASH_TABLE_FOR_EACH(&s->table, h, m, struct member, entry) {
		if (same(&m->addr, a))
			return true;
	}
	return false;
}

bool addr_set_add(struct addr_set *s, const ip_address *a)
{
	if (a->family == 0 || addr_set_has(s, a))
		return true;
	struct member *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return false;
	m->addr = *a;
	hash_table_add(&s->table, &m->entry, addr_hash(a));
	return true;
}

size_t addr_set_count(const struct addr_set *s)
{
	return s->table.count;
}

static void free_member(struct hash_entry *e)
{
	free(HASH_CONTAINER(e, struct member, entry));
}

void addr_set_clear(struct addr_set *s)
{
	hash_table_drain(&s->table, free_member);
}
