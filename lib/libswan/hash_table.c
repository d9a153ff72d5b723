/* hash_table.c: see hash_table.h. SipHash-2-4 is written here from its
 * description (Aumasson and Bernstein, 2012): 64-bit ARX rounds over a
 * 128-bit key, two rounds per 8-byte block and four to finish. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "hash_table.h"

#define INITIAL_BUCKETS 64

static uint64_t key[2];
static bool keyed;

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip *s)
{
	s->v0 += s->v1; s->v1 = rotl(s->v1, 13); s->v1 ^= s->v0; s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3; s->v3 = rotl(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = rotl(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = rotl(s->v1, 17); s->v1 ^= s->v2; s->v2 = rotl(s->v2, 32);
}

static void sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static void make_key(void)
{
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		/* No entropy at all is not a state pluto runs in; a fixed key
		 * still hashes correctly, only predictably. */
		key[0] = 0x736f6d6570736575ull;
		key[1] = 0x646f72616e646f6dull;
	}
	keyed = true;
}

void hash_set_key(const uint8_t k[16])
{
	key[0] = le64(k);
	key[1] = le64(k + 8);
	keyed = true;
}

/* A byte stream fed in pieces, eight bytes at a time: a piece's bytes
 * complete the block held from the piece before, then go a whole block
 * at a time (every received datagram is hashed: no per-byte loop), and
 * what is left of them waits for the next piece or the end. */
struct sip_stream {
	struct sip s;
	uint8_t tail[8];
	size_t tail_len, total;
};

static void stream_init(struct sip_stream *st, const uint64_t k[2])
{
	st->s = (struct sip){
		.v0 = k[0] ^ 0x736f6d6570736575ull, .v1 = k[1] ^ 0x646f72616e646f6dull,
		.v2 = k[0] ^ 0x6c7967656e657261ull, .v3 = k[1] ^ 0x7465646279746573ull,
	};
	st->tail_len = 0;
	st->total = 0;
}

static void stream_feed(struct sip_stream *st, const uint8_t *p, size_t n)
{
	st->total += n;
	if (st->tail_len > 0) {
		size_t fill = 8 - st->tail_len < n ? 8 - st->tail_len : n;
		memcpy(st->tail + st->tail_len, p, fill);
		st->tail_len += fill;
		p += fill;
		n -= fill;
		if (st->tail_len < 8)
			return;
		sip_block(&st->s, le64(st->tail));
		st->tail_len = 0;
	}
	for (; n >= 8; p += 8, n -= 8)
		sip_block(&st->s, le64(p));
	memcpy(st->tail, p, n);
	st->tail_len = n;
}

static uint64_t stream_end(struct sip_stream *st)
{
	uint8_t last[8] = {0};
	memcpy(last, st->tail, st->tail_len);
	last[7] = (uint8_t)st->total;
	sip_block(&st->s, le64(last));
	st->s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&st->s);
	return st->s.v0 ^ st->s.v1 ^ st->s.v2 ^ st->s.v3;
}

static uint64_t sip_pieces(const uint64_t k[2], const void *a, size_t alen, const void *b, size_t blen)
{
	struct sip_stream st;
	stream_init(&st, k);
	stream_feed(&st, a, alen);
	if (b != NULL)
		stream_feed(&st, b, blen);
	return stream_end(&st);
}

uint64_t hash_pieces(const void *a, size_t alen, const void *b, size_t blen)
{
	if (!keyed)
		make_key();
	return sip_pieces(key, a, alen, b, blen);
}

uint64_t siphash24(const uint8_t k[16], const void *a, size_t alen, const void *b, size_t blen)
{
	const uint64_t kk[2] = { le64(k), le64(k + 8) };
	return sip_pieces(kk, a, alen, b, blen);
}

uint64_t hash_bytes(const void *data, size_t len)
{
	return hash_pieces(data, len, NULL, 0);
}

static void rehash(struct hash_table *t, size_t nbuckets)
{
	struct hash_entry **b = calloc(nbuckets, sizeof(*b));
	if (b == NULL)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct hash_entry *e = t->buckets[i];
		while (e != NULL) {
			struct hash_entry *next = e->next;
			size_t k = e->hash & (nbuckets - 1);
			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nbuckets;
}

void hash_table_add(struct hash_table *t, struct hash_entry *e, uint64_t hash)
{
	if (t->buckets == NULL)
		rehash(t, INITIAL_BUCKETS);
	else if (t->count >= 2 * t->nbuckets)
		rehash(t, 2 * t->nbuckets);
	e->hash = hash;
	if (t->buckets == NULL) {
		/* Not even the first buckets: keep e on a one-bucket table. */
		t->buckets = calloc(1, sizeof(*t->buckets));
		t->nbuckets = t->buckets != NULL ? 1 : 0;
		if (t->buckets == NULL)
			abort();
	}
	size_t k = hash & (t->nbuckets - 1);
	e->next = t->buckets[k];
	t->buckets[k] = e;
	t->count++;
}

void hash_table_del(struct hash_table *t, struct hash_entry *e)
{
	if (t->buckets == NULL)
		return;
	for (struct hash_entry **pp = &t->buckets[e->hash & (t->nbuckets - 1)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			t->count--;
			return;
		}
	}
}

struct hash_entry *hash_table_bucket(const struct hash_table *t, uint64_t hash)
{
	return t->buckets == NULL ? NULL : t->buckets[hash & (t->nbuckets - 1)];
}

void hash_table_free(struct hash_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = t->count = 0;
}

void hash_table_drain(struct hash_table *t, void (*free_entry)(struct hash_entry *e))
{
	for (size_t i = 0; t->buckets != NULL && i < t->nbuckets; i++) {
		struct hash_entry *e = t->buckets[i];
		while (e != NULL) {
			struct hash_entry *next = e->next;
			free_entry(e);
			e = next;
		}
	}
	hash_table_free(t);
}
