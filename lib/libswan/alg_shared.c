/* alg_shared.c: a conn's proposal lists, one copy of each distinct list
 * (alg.h). A list of 256 proposals takes 5 kB; thousands of conns that
 * write the same ike= and esp= (or none, and get the defaults) would
 * otherwise each hold two, once in the config read and again in the
 * daemon's copy. Lists are found by their content through a hash, so a
 * list is shared whether it came from the same line (conn %default,
 * also=) or from the same text written in every conn. */
#include <string.h>
#include "alg.h"
#include "hash_table.h"
#include "xalloc.h"

struct shared_list {
	struct hash_entry by_content;
	unsigned refs;
	struct alg_proposals list;
};

static struct hash_table lists;

/* Only the n proposals in use count: what follows them is left over. */
static uint64_t content_hash(const struct alg_proposals *ps)
{
	return hash_pieces(&ps->n, sizeof(ps->n), ps->p, ps->n * sizeof(ps->p[0]));
}

static bool same_content(const struct alg_proposals *a, const struct alg_proposals *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n * sizeof(a->p[0])) == 0;
}

static struct shared_list *shared_of(const struct alg_proposals *ps)
{
	return HASH_CONTAINER(ps, struct shared_list, list);
}

const struct alg_proposals *alg_proposals_share(const struct alg_proposals *ps)
{
	uint64_t h = content_hash(ps);
	struct shared_list *s;
	HASH_TABLE_FOR_EACH(&lists, h, s, struct shared_list, by_content) {
		if (same_content(&s->list, ps)) {
			s->refs++;
			return &s->list;
		}
	}
	s = xzalloc(sizeof(*s));
	s->refs = 1;
	s->list.n = ps->n;
	memcpy(s->list.p, ps->p, ps->n * sizeof(ps->p[0]));
	hash_table_add(&lists, &s->by_content, h);
	return &s->list;
}

const struct alg_proposals *alg_proposals_ref(const struct alg_proposals *shared)
{
	if (shared != NULL)
		shared_of(shared)->refs++;
	return shared;
}

void alg_proposals_unref(const struct alg_proposals *shared)
{
	if (shared == NULL)
		return;
	struct shared_list *s = shared_of(shared);
	if (--s->refs > 0)
		return;
	hash_table_del(&lists, &s->by_content);
	free(s);
	if (lists.count == 0)	/* nothing left behind once every config is freed */
		hash_table_free(&lists);
}

size_t alg_proposals_shared_count(void)
{
	return lists.count;
}
