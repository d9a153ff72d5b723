/* Unit tests of the keyed hash and the intrusive hash table
 * (hash_table.h): SipHash-2-4's published vectors, lookups through
 * growth, deletions, draining a table that owns its entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hash_table.h"

/* The key and the message of the paper's and the reference code's
 * vectors: bytes 00 01 02 ... */
static void counting_key_and_message(uint8_t key[16], uint8_t msg[64])
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	hash_set_key(key);
}

static void test_siphash_matches_the_papers_vectors(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];
	counting_key_and_message(key, msg);
	/* Appendix A of "SipHash: a fast short-input PRF": the empty
	 * message, and the 15-byte message 00 01 ... 0e. */
	assert_true(hash_bytes(msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(hash_bytes(msg, 15) == 0xa129ca6149be45e5ull);
	/* pieces hash as the bytes they make up */
	assert_true(hash_pieces(msg, 7, msg + 7, 8) == hash_bytes(msg, 15));
	assert_true(hash_pieces(msg, 15, NULL, 0) == hash_bytes(msg, 15));
	/* the same under a key given each time */
	assert_true(siphash24(key, msg, 15, NULL, 0) == 0xa129ca6149be45e5ull);
	assert_true(siphash24(key, msg, 8, msg + 8, 7) == 0xa129ca6149be45e5ull);
}

static void test_siphash_of_whole_blocks_and_any_split(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];
	counting_key_and_message(key, msg);
	/* the reference implementation's vectors: 16 bytes (two whole
	 * blocks, nothing left over) and 63 (seven blocks and seven bytes) */
	assert_true(hash_bytes(msg, 16) == 0x3f2acc7f57c29bdbull);
	assert_true(hash_bytes(msg, 63) == 0x958a324ceb064572ull);
	/* wherever a run of bytes is cut in two, the hash is the run's */
	for (size_t len = 0; len <= sizeof(msg); len++) {
		uint64_t whole = hash_bytes(msg, len);
		for (size_t cut = 0; cut <= len; cut++)
			assert_true(hash_pieces(msg, cut, msg + cut, len - cut) == whole);
	}
}

struct item {
	struct hash_entry entry;
	unsigned key;
};

static struct item *find(struct hash_table *t, unsigned key)
{
	uint64_t h = hash_bytes(&key, sizeof(key));
	struct item *it;
	HASH_TABLE_FOR_EACH(t, h, it, struct item, entry) {
		if (it->key == key)
			return it;
	}
	return NULL;
}

static void test_entries_are_found_through_growth_and_deletion(void **state)
{
	(void)state;
	enum { N = 5000 };
	static struct item items[N];
	struct hash_table t = {0};
	assert_null(find(&t, 1));
	for (unsigned i = 0; i < N; i++) {
		items[i].key = i;
		hash_table_add(&t, &items[i].entry, hash_bytes(&i, sizeof(i)));
	}
	assert_int_equal(t.count, N);
	assert_true(t.nbuckets >= N / 2);
	for (unsigned i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i), &items[i]);
	for (unsigned i = 0; i < N; i += 2)
		hash_table_del(&t, &items[i].entry);
	assert_int_equal(t.count, N / 2);
	for (unsigned i = 0; i < N; i++) {
		if (i % 2 == 0)
			assert_null(find(&t, i));
		else
			assert_ptr_equal(find(&t, i), &items[i]);
	}
	/* deleting what is not there changes nothing */
	hash_table_del(&t, &items[0].entry);
	assert_int_equal(t.count, N / 2);
	hash_table_free(&t);
	assert_null(find(&t, 1));
}

static unsigned drained[300];

static void drain_item(struct hash_entry *e)
{
	drained[HASH_CONTAINER(e, struct item, entry)->key]++;
}

static void test_drain_hands_over_every_entry_once(void **state)
{
	(void)state;
	static struct item items[300];
	struct hash_table t = {0};
	hash_table_drain(&t, drain_item);	/* an empty table: nothing */
	for (unsigned i = 0; i < 300; i++) {
		items[i].key = i;
		hash_table_add(&t, &items[i].entry, hash_bytes(&i, sizeof(i)));
	}
	hash_table_drain(&t, drain_item);
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(drained[i], 1);
	assert_null(t.buckets);
	assert_int_equal(t.count, 0);
	assert_null(find(&t, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_matches_the_papers_vectors),
		cmocka_unit_test(test_siphash_of_whole_blocks_and_any_split),
		cmocka_unit_test(test_entries_are_found_through_growth_and_deletion),
		cmocka_unit_test(test_drain_hands_over_every_entry_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
