/* hash_table.h: an intrusive chained hash table, and a keyed hash for it.
 *
 * Keys chosen by a peer (SPIs, addresses) must not let it pile entries
 * into one bucket, so hash_bytes is SipHash-2-4 under a key drawn at
 * random once per process. The table grows as it fills, never shrinks,
 * and leaves key comparison to the caller: walk a bucket with
 * HASH_TABLE_FOR_EACH and compare what the entries hold. */
#ifndef HASH_TABLE_H
#define HASH_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct hash_entry {
	struct hash_entry *next;
	uint64_t hash;
};

struct hash_table {
	struct hash_entry **buckets;	/* NULL until the first add */
	size_t nbuckets, count;
};

uint64_t hash_bytes(const void *data, size_t len);
/* Replaces the random key (tests check SipHash's published vectors). */
void hash_set_key(const uint8_t key[16]);
/* SipHash-2-4 under a key of the caller's (a MAC for cookies), over a
 * then b (b may be NULL). */
uint64_t siphash24(const uint8_t key[16], const void *a, size_t alen, const void *b, size_t blen);
/* Several pieces hashed as if they were one run of bytes. */
uint64_t hash_pieces(const void *a, size_t alen, const void *b, size_t blen);

/* Adds e under hash; a table that cannot grow keeps longer chains. */
void hash_table_add(struct hash_table *t, struct hash_entry *e, uint64_t hash);
void hash_table_del(struct hash_table *t, struct hash_entry *e);
/* The first entry of hash's bucket; entries with other hashes may follow. */
struct hash_entry *hash_table_bucket(const struct hash_table *t, uint64_t hash);
void hash_table_free(struct hash_table *t);
/* Hands every entry to free_entry, then frees the buckets: for a table
 * that owns what it holds. */
void hash_table_drain(struct hash_table *t, void (*free_entry)(struct hash_entry *e));

#define HASH_CONTAINER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Every entry whose hash is h, as a pointer to the containing type. */
#define HASH_TABLE_FOR_EACH(t, h, var, type, member)					\
	for (struct hash_entry *var##_e = hash_table_bucket((t), (h));			\
	     var##_e != NULL && ((var) = HASH_CONTAINER(var##_e, type, member), 1);	\
	     var##_e = var##_e->next)							\
		if (var##_e->hash == (h))

#endif
