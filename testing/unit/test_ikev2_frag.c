/* Unit tests of IKE fragmentation (RFC 7383, ikev2_frag.h): cutting a
 * message into SKF fragments and putting it back together in any order;
 * duplicates, fragments out of range, a smaller or larger total, and the
 * byte bounds per message and per pool; then two ends in one process
 * (ike_harness.h) whose IKE_AUTH messages are too big for one fragment:
 * they come up, a tampered fragment is dropped and its retransmit taken,
 * fragmentation=no on one end sends them whole, and fragments sent to an
 * IKE SA that did not agree on them are dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "ikev2_frag.h"
#include "ike_crypto_internal.h"

/* ---- splitting and reassembly, no IKE SA ---- */

static const uint8_t ekey[IKE_KEY_MAX] = "test_ikev2_frag encryption key+salt";
static const uint8_t akey[IKE_KEY_MAX] = "test_ikev2_frag integrity key, long enough for any HMAC of ours";

/* The keys in NSS, made on first use and freed by crypto_down. */
static PK11SymKey *gcm_key, *cbc_key, *mac_key;

static struct sk_cipher gcm(void)
{
	if (gcm_key == NULL)
		gcm_key = ike_sym_key(CKM_AES_GCM, ekey, 32);
	return (struct sk_cipher){ .encr = ENCR_AES_GCM_16, .keylen = 256, .integ = INTEG_NONE, .ekey = gcm_key,
				   .salt = ekey + 32 };
}

static struct sk_cipher cbc(void)
{
	if (cbc_key == NULL)
		cbc_key = ike_sym_key(CKM_AES_CBC, ekey, 16);
	if (mac_key == NULL)
		mac_key = ike_key_import(akey, 32);
	return (struct sk_cipher){ .encr = ENCR_AES_CBC, .keylen = 128, .integ = INTEG_HMAC_SHA2_256_128,
				   .ekey = cbc_key, .akey = mac_key };
}

static int crypto_up(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	return ike_crypto_init(&d) ? 0 : -1;
}

static int crypto_down(void **state)
{
	(void)state;
	ike_key_free(gcm_key);
	ike_key_free(cbc_key);
	ike_key_free(mac_key);
	gcm_key = cbc_key = mac_key = NULL;
	ike_crypto_shutdown();
	return 0;
}

static const struct ikev2_hdr hdr = {
	.spi_i = { 1, 2, 3, 4, 5, 6, 7, 8 }, .spi_r = { 8, 7, 6, 5, 4, 3, 2, 1 },
	.version = IKEV2_VERSION, .exchange = IKE_AUTH, .flags = IKEV2_FLAG_INITIATOR, .msgid = 1,
};

#define TRAIN_MAX (2 * IKEV2_MSG_MAX)
#define MAX_DATAGRAM 548

struct fragment {
	uint8_t buf[MAX_DATAGRAM];
	size_t len;
};

/* Splits plain into at most n fragments; how many there are. */
static size_t split(const struct sk_cipher *c, const uint8_t *plain, size_t len, struct fragment *f, size_t n)
{
	static uint8_t train[TRAIN_MAX];
	struct diag d;
	diag_init(&d);
	size_t total = ikev2_frag_split(c, &hdr, PT_IDi, plain, len, MAX_DATAGRAM, train, sizeof(train), &d);
	assert_int_not_equal(total, 0);
	size_t count = 0;
	for (size_t at = 0, dl; (dl = ikev2_frag_next(train, total, at)) > 0; at += dl) {
		assert_true(count < n);
		assert_true(dl <= MAX_DATAGRAM);
		memcpy(f[count].buf, train + at, dl);
		f[count++].len = dl;
	}
	return count;
}

/* Opens one fragment as pluto does and adds it to r. */
static enum frag_verdict add(const struct sk_cipher *c, struct fragment *f, struct frag_reasm *r,
			     struct frag_pool *pool)
{
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	uint8_t buf[MAX_DATAGRAM];
	memcpy(buf, f->buf, f->len);
	assert_true(ikev2_parse(buf, f->len, &m, &d));
	assert_true(ikev2_is_fragment(&m));
	uint16_t number, total;
	size_t sk_body;
	assert_true(ikev2_skf_fields(&m.p[0], buf, &number, &total, &sk_body, &d));
	uint8_t *plain;
	size_t plain_len;
	if (!sk_open(c, buf, f->len, sk_body, &plain, &plain_len, &d))
		return FRAG_NO_MEMORY;	/* not a verdict the reassembler gives: "did not open" */
	uint8_t next = buf[sk_body - IKEV2_SKF_FIELDS_LEN - IKEV2_GENERIC_HDR_LEN];
	return frag_reasm_add(r, pool, false, m.hdr.msgid, number, total, next, plain, plain_len, 0, f->len);
}

static void fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / 251);
}

static void check_round_trip(const struct sk_cipher *c)
{
	static uint8_t plain[3000];
	static struct fragment f[IKEV2_FRAG_MAX];
	fill(plain, sizeof(plain));
	size_t n = split(c, plain, sizeof(plain), f, IKEV2_FRAG_MAX);
	assert_true(n >= 6);
	struct frag_pool pool = { .max = 1 << 20, .unauth_max = 1 << 20 };
	struct frag_reasm r = {0};
	/* Last first, then the rest backwards: order does not matter. */
	for (size_t i = n; i-- > 1;)
		assert_int_equal(add(c, &f[i], &r, &pool), FRAG_KEPT);
	assert_int_equal(add(c, &f[0], &r, &pool), FRAG_COMPLETE);
	assert_int_equal(r.first, PT_IDi);
	size_t len = 0;
	uint8_t *whole = frag_reasm_take(&r, &pool, &len);
	assert_non_null(whole);
	assert_int_equal(len, sizeof(plain));
	assert_memory_equal(whole, plain, len);
	ikev2_frag_wipe_free(whole, len);
	assert_int_equal(pool.used, 0);
	assert_false(r.active);
}

static void test_split_and_reassemble_gcm(void **state)
{
	(void)state;
	struct sk_cipher c = gcm();
	check_round_trip(&c);
}

static void test_split_and_reassemble_cbc(void **state)
{
	(void)state;
	struct sk_cipher c = cbc();
	check_round_trip(&c);
}

/* Only fragment 1 names the first inner payload; every fragment is a
 * whole IKE message with the header's exchange and message ID. */
static void test_fragments_carry_the_header(void **state)
{
	(void)state;
	static uint8_t plain[1200];
	static struct fragment f[IKEV2_FRAG_MAX];
	struct sk_cipher c = gcm();
	size_t n = split(&c, plain, sizeof(plain), f, IKEV2_FRAG_MAX);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		struct ikev2_msg m;
		struct diag d;
		diag_init(&d);
		assert_true(ikev2_parse(f[i].buf, f[i].len, &m, &d));
		assert_int_equal(m.hdr.exchange, IKE_AUTH);
		assert_int_equal(m.hdr.msgid, 1);
		assert_int_equal(m.hdr.next_payload, PT_SKF);
		uint8_t next = f[i].buf[IKEV2_HDR_LEN];
		assert_int_equal(next, i == 0 ? PT_IDi : PT_NONE);
	}
}

static void test_a_tampered_fragment_does_not_open(void **state)
{
	(void)state;
	static uint8_t plain[1500];
	static struct fragment f[IKEV2_FRAG_MAX];
	struct sk_cipher c = cbc();
	size_t n = split(&c, plain, sizeof(plain), f, IKEV2_FRAG_MAX);
	struct frag_pool pool = { .max = 1 << 20, .unauth_max = 1 << 20 };
	struct frag_reasm r = {0};
	f[1].buf[f[1].len - 20] ^= 1;
	assert_int_equal(add(&c, &f[1], &r, &pool), FRAG_NO_MEMORY);	/* did not open */
	assert_int_equal(r.have, 0);
	/* The fragment number is covered too (GCM's AAD, CBC's ICV). */
	f[1].buf[f[1].len - 20] ^= 1;
	f[1].buf[IKEV2_HDR_LEN + IKEV2_GENERIC_HDR_LEN + 1] = (uint8_t)n;
	assert_int_equal(add(&c, &f[1], &r, &pool), FRAG_NO_MEMORY);
	assert_int_equal(pool.used, 0);
}

static void test_duplicates_and_out_of_range_are_dropped(void **state)
{
	(void)state;
	struct frag_pool pool = { .max = 1 << 20, .unauth_max = 1 << 20 };
	struct frag_reasm r = {0};
	const uint8_t x[10] = {0};
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 2, 3, 0, x, 10, 0, 0), FRAG_KEPT);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 2, 3, 0, x, 10, 0, 0), FRAG_DUPLICATE);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 0, 3, 0, x, 10, 0, 0), FRAG_OUT_OF_RANGE);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 4, 3, 0, x, 10, 0, 0), FRAG_OUT_OF_RANGE);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 1, IKEV2_FRAG_MAX + 1, 0, x, 10, 0, 0),
			 FRAG_OUT_OF_RANGE);
	assert_int_equal(r.have, 1);
	assert_int_equal(pool.used, 10 + IKEV2_FRAG_OVERHEAD);
	frag_reasm_clear(&r, &pool);
	assert_int_equal(pool.used, 0);
}

/* RFC 7383 2.6: a sender that fragments again uses smaller fragments, so
 * more of them: a larger total replaces what is kept, a smaller one is
 * of the old attempt. A new message ID replaces it too. */
static void test_a_new_total_or_message_replaces_the_old(void **state)
{
	(void)state;
	struct frag_pool pool = { .max = 1 << 20, .unauth_max = 1 << 20 };
	struct frag_reasm r = {0};
	const uint8_t x[10] = {0};
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 1, 2, PT_IDi, x, 10, 0, 0), FRAG_KEPT);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 1, 4, PT_IDi, x, 10, 0, 0), FRAG_KEPT);
	assert_int_equal(r.total, 4);
	assert_int_equal(r.have, 1);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 5, 2, 2, 0, x, 10, 0, 0), FRAG_STALE);
	assert_int_equal(frag_reasm_add(&r, &pool, false, 6, 2, 2, 0, x, 10, 0, 0), FRAG_KEPT);
	assert_int_equal(r.msgid, 6);
	assert_int_equal(r.have, 1);
	assert_int_equal(pool.used, 10 + IKEV2_FRAG_OVERHEAD);
	frag_reasm_clear(&r, &pool);
}

static void test_the_byte_bounds_hold(void **state)
{
	(void)state;
	static uint8_t big[2048];
	/* one message: IKEV2_FRAG_MSG_BYTES of plaintext at most */
	struct frag_pool pool = { .max = 1 << 24, .unauth_max = 1 << 24 };
	struct frag_reasm r = {0};
	enum frag_verdict v = FRAG_KEPT;
	uint16_t i;
	for (i = 1; i <= IKEV2_FRAG_MAX && v == FRAG_KEPT; i++)
		v = frag_reasm_add(&r, &pool, false, 1, i, IKEV2_FRAG_MAX, 0, big, sizeof(big), 0, 0);
	assert_int_equal(v, FRAG_TOO_BIG);
	assert_true((size_t)(i - 2) * sizeof(big) <= IKEV2_FRAG_MSG_BYTES);
	assert_true(r.bytes - r.have * IKEV2_FRAG_OVERHEAD <= IKEV2_FRAG_MSG_BYTES);
	assert_true((size_t)(i - 1) * sizeof(big) > IKEV2_FRAG_MSG_BYTES);	/* the next would not fit */
	frag_reasm_clear(&r, &pool);

	/* the pool in all, and its share before authentication */
	struct frag_pool small = { .max = 3 * (sizeof(big) + IKEV2_FRAG_OVERHEAD),
				   .unauth_max = sizeof(big) + IKEV2_FRAG_OVERHEAD };
	struct frag_reasm a = {0}, b = {0}, c = {0};
	assert_int_equal(frag_reasm_add(&a, &small, true, 1, 1, 3, 0, big, sizeof(big), 0, 0), FRAG_KEPT);
	assert_int_equal(frag_reasm_add(&a, &small, true, 1, 2, 3, 0, big, sizeof(big), 0, 0), FRAG_NO_ROOM);
	assert_int_equal(frag_reasm_add(&b, &small, false, 1, 1, 3, 0, big, sizeof(big), 0, 0), FRAG_KEPT);
	assert_int_equal(frag_reasm_add(&b, &small, false, 1, 2, 3, 0, big, sizeof(big), 0, 0), FRAG_KEPT);
	assert_int_equal(frag_reasm_add(&c, &small, false, 1, 1, 3, 0, big, sizeof(big), 0, 0), FRAG_NO_ROOM);
	assert_int_equal(small.used, small.max);
	frag_reasm_clear(&a, &small);
	assert_int_equal(small.unauth_used, 0);
	assert_int_equal(frag_reasm_add(&c, &small, false, 1, 1, 3, 0, big, sizeof(big), 0, 0), FRAG_KEPT);
	frag_reasm_clear(&b, &small);
	frag_reasm_clear(&c, &small);
	assert_int_equal(small.used, 0);
}

static void test_a_message_needing_too_many_fragments_is_not_sent(void **state)
{
	(void)state;
	static uint8_t plain[IKEV2_FRAG_MAX * MAX_DATAGRAM];
	static uint8_t train[TRAIN_MAX];
	struct sk_cipher c = gcm();
	struct diag d;
	diag_init(&d);
	assert_int_equal(ikev2_frag_split(&c, &hdr, PT_IDi, plain, sizeof(plain), MAX_DATAGRAM, train, sizeof(train), &d), 0);
	assert_non_null(strstr(d.text, "fragments"));
}

static void test_fragment_sizes_follow_rfc_7383(void **state)
{
	(void)state;
	assert_int_equal(ikev2_frag_size(false, false), 576 - 20 - 8);
	assert_int_equal(ikev2_frag_size(false, true), 576 - 20 - 8 - 4);
	assert_int_equal(ikev2_frag_size(true, false), 1280 - 40 - 8);
}

/* ---- two ends ---- */

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"
/* IDs near the longest pluto takes make each IKE_AUTH message larger than
 * one IPv4 fragment (548 bytes). */
#define LONG "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789" \
	"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789" \
	"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
/* Several proposals make the IKE_AUTH request bigger still; the answer
 * (one proposal) stays under a fragment. A child rekey with PFS in a
 * 3072-bit MODP group carries a 384-byte KE each way: both go in
 * fragments. */
#define ESP "aes_gcm128-null-modp3072,aes256-sha2_512-modp3072,aes128-sha2_256-modp3072"
#define WEST_ID "@west." LONG
#define EAST_ID "@east." LONG

static const char conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tleftid=" WEST_ID "\n\trightid=" EAST_ID "\n"
	"\tauthby=secret\n\tesp=" ESP "\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tleftid=" EAST_ID "\n\trightid=" WEST_ID "\n"
	"\tauthby=secret\n\tesp=" ESP "\n\tauto=add\n"
	"conn plain\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tleftid=" WEST_ID "\n\trightid=" EAST_ID "\n"
	"\tauthby=secret\n\tesp=" ESP "\n\tfragmentation=no\n\tauto=ignore\n";
static const char secrets[] = WEST_ID " " EAST_ID " : PSK \"harness secret, not a real one\"\n";

static int start(void **state)
{
	(void)state;
	return harness_start(conf, secrets) ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

static bool is_fragment(const struct wire_msg *m)
{
	return m->len > IKEV2_HDR_LEN && m->buf[16] == PT_SKF;
}

struct watch {
	unsigned fragments, whole_auth, largest;
	unsigned frag_by_kind[2][2];	/* [IKE_AUTH or CREATE_CHILD_SA][request or response] */
	int tamper;		/* the number of the fragment to change once (0: none) */
	bool tampered;
};

static bool watch_wire(struct wire_msg *m, void *arg)
{
	struct watch *w = arg;
	if (m->len > w->largest)
		w->largest = (unsigned)m->len;
	if (is_fragment(m)) {
		w->fragments++;
		bool response = m->buf[19] & IKEV2_FLAG_RESPONSE;
		if (m->buf[18] == IKE_AUTH || m->buf[18] == CREATE_CHILD_SA)
			w->frag_by_kind[m->buf[18] == CREATE_CHILD_SA][response]++;
		uint16_t number = (uint16_t)(m->buf[IKEV2_HDR_LEN + 4] << 8 | m->buf[IKEV2_HDR_LEN + 5]);
		if (w->tamper != 0 && number == w->tamper && !w->tampered) {
			m->buf[m->len - 1] ^= 0x40;
			w->tampered = true;
		}
	} else if (m->buf[18] == IKE_AUTH) {
		w->whole_auth++;
	}
	return true;
}

static bool both_established(void *arg)
{
	(void)arg;
	wire_pump(WIRE_MAX);
	struct ike_sa *i = harness_sa("west", true), *r = harness_sa("east", false);
	return i != NULL && r != NULL && i->state == IKE_ESTABLISHED && r->state == IKE_ESTABLISHED;
}

static void bring_up(struct watch *w)
{
	wire.filter = watch_wire;
	wire.filter_arg = w;
	ikev2_initiate(conn_find("west"), 0);
	assert_true(harness_wait(both_established, NULL, 20));
}

static void test_big_messages_go_in_fragments_both_ways(void **state)
{
	(void)state;
	struct watch w = {0};
	bring_up(&w);
	struct ike_sa *i = harness_sa("west", true), *r = harness_sa("east", false);
	assert_true(ikev2_frag_agreed(i));
	assert_true(ikev2_frag_agreed(r));
	assert_true(w.frag_by_kind[0][0] >= 2);	/* the IKE_AUTH request */
	assert_int_equal(w.frag_by_kind[0][1], 0);	/* its answer fits one datagram */
	assert_int_equal(w.whole_auth, 1);
	uint32_t old_in = i->tunnels[0].child.spi_in;
	assert_true(ikev2_rekey_now(i, false));
	wire_pump(WIRE_MAX);
	assert_int_not_equal(i->tunnels[0].child.spi_in, old_in);
	assert_true(i->tunnels[0].child.installed);
	assert_true(r->tunnels[0].child.installed);
	assert_int_equal(i->tunnels[0].child.alg.dh, DH_MODP3072);
	assert_true(w.frag_by_kind[1][0] >= 2);	/* CREATE_CHILD_SA, request */
	assert_true(w.frag_by_kind[1][1] >= 2);	/* ... and response */
	assert_true(w.largest <= ikev2_frag_size(false, false));
	assert_int_equal(ikev2_frag_pool.used, 0);	/* all given back */
}

/* Only IKE_SA_INIT carries the notify, so what it agreed holds for the
 * IKE SA's successors: a rekeyed IKE SA still sends and takes fragments. */
static void test_a_rekeyed_ike_sa_keeps_fragmentation(void **state)
{
	(void)state;
	struct watch w = {0};
	bring_up(&w);
	struct ike_sa *old = harness_sa("west", true);
	unsigned old_serial = old->serial;
	assert_true(ikev2_rekey_now(old, true));
	wire_pump(WIRE_MAX);
	struct ike_sa *i = harness_sa("west", true), *r = harness_sa("east", false);
	assert_non_null(i);
	assert_non_null(r);
	assert_int_not_equal(i->serial, old_serial);
	assert_true(ikev2_frag_agreed(i));
	assert_true(ikev2_frag_agreed(r));
	unsigned before = w.frag_by_kind[1][0];
	assert_true(ikev2_rekey_now(i, false));
	wire_pump(WIRE_MAX);
	assert_true(w.frag_by_kind[1][0] >= before + 2);	/* its child rekey went in fragments */
	assert_true(i->tunnels[0].child.installed);
}

/* The changed fragment does not open and is dropped; the initiator's
 * retransmit sends every fragment again, and the message is whole. */
static void test_a_bad_fragment_is_dropped_and_its_retransmit_taken(void **state)
{
	(void)state;
	struct watch w = { .tamper = 2 };
	bring_up(&w);
	assert_true(w.tampered);
	assert_true(harness_sa("west", true)->retransmits >= 1);
}

/* Duplicates are dropped without harm: every fragment delivered twice. */
static bool twice(struct wire_msg *m, void *arg)
{
	(void)arg;
	if (is_fragment(m))
		wire_deliver(m);
	return true;
}

static void test_duplicated_fragments_change_nothing(void **state)
{
	(void)state;
	wire.filter = twice;
	ikev2_initiate(conn_find("west"), 0);
	assert_true(harness_wait(both_established, NULL, 20));
	assert_int_equal(harness_sa("west", true)->retransmits, 0);
	assert_int_equal(ikev2_frag_pool.used, 0);
}

/* fragmentation=no on the initiator: no notify, no fragments; the big
 * IKE_AUTH goes whole. */
static void test_fragmentation_no_sends_whole_messages(void **state)
{
	(void)state;
	struct diag d, notes;
	diag_init(&d);
	diag_init(&notes);
	bool replaced;
	const struct conn_config *plain = NULL;
	for (size_t k = 0; k < pluto.conf->nconns; k++)
		if (strcmp(pluto.conf->conns[k].name, "plain") == 0)
			plain = &pluto.conf->conns[k];
	assert_non_null(plain);
	assert_non_null(conn_load(plain, false, &replaced, &d, &notes));
	struct watch w = {0};
	wire.filter = watch_wire;
	wire.filter_arg = &w;
	ikev2_initiate(conn_find("plain"), 0);
	wire_pump(WIRE_MAX);
	struct ike_sa *i = harness_sa("plain", true);
	assert_non_null(i);
	assert_false(ikev2_frag_agreed(i));
	assert_false(ikev2_frag_agreed(harness_sa("east", false)));
	assert_int_equal(w.fragments, 0);
	assert_true(w.whole_auth >= 1);
	assert_true(w.largest > ikev2_frag_size(false, false));
}

/* An INFORMATIONAL request of west's too big for one fragment (a status
 * notify of a type no one knows, which east ignores and answers), cut
 * into fragments and handed to east. */
static void deliver_big_informational(struct ike_sa *i)
{
	static uint8_t inner[IKEV2_MSG_MAX], train[TRAIN_MAX];
	static const uint8_t data[800];
	struct ikev2_hdr h = {0};
	struct ikev2_builder b;
	ikev2_begin(&b, inner, sizeof(inner), &h);
	ikev2_add_notify(&b, 0, NULL, 0, 40000, data, sizeof(data));
	ikev2_make_header(i, INFORMATIONAL, false, i->next_msgid, &h);
	struct sk_cipher c = ikev2_cipher(i, true);
	struct diag d;
	diag_init(&d);
	size_t n = ikev2_frag_split(&c, &h, inner[16], inner + IKEV2_HDR_LEN, b.used - IKEV2_HDR_LEN, 548, train,
				    sizeof(train), &d);
	assert_int_not_equal(n, 0);
	for (size_t at = 0, len; (len = ikev2_frag_next(train, n, at)) > 0; at += len) {
		struct wire_msg m = { .from = i->ends.local, .to = i->ends.remote, .from_port = i->local_port,
				      .to_port = i->remote_port, .len = len };
		memcpy(m.buf, train + at, len);
		wire_deliver(&m);
	}
}

/* A fragment 1 of west's answered IKE_AUTH request, sealed with west's
 * keys (forged: one ICV bit changed), as a peer that fragments its
 * retransmit anew sends it; true when east answered it. */
static bool east_answers_fragment_1(struct ike_sa *i, bool forged)
{
	static uint8_t train[TRAIN_MAX];
	static const uint8_t plain[700];
	struct ikev2_hdr h;
	ikev2_make_header(i, IKE_AUTH, false, 1, &h);
	struct sk_cipher c = ikev2_cipher(i, true);
	struct diag d;
	diag_init(&d);
	size_t n = ikev2_frag_split(&c, &h, PT_IDi, plain, sizeof(plain), 400, train, sizeof(train), &d);
	size_t len = ikev2_frag_next(train, n, 0);
	assert_int_not_equal(len, 0);
	struct wire_msg m = { .from = i->ends.local, .to = i->ends.remote, .from_port = i->local_port,
			      .to_port = i->remote_port, .len = len };
	memcpy(m.buf, train, len);
	if (forged)
		m.buf[len - 1] ^= 1;
	struct timespec nap = { 0, (IKEV2_RESEND_MIN_MS + 100) * 1000000L };
	nanosleep(&nap, NULL);	/* past the resend rate limit */
	wire_clear();
	wire_deliver(&m);
	return wire.n > 0;
}

/* RFC 7383 2.6.1: an authentic fragment 1 of the request answered last
 * brings the answer again, though its bytes differ from those taken;
 * a forged one does not. */
static void test_a_new_fragment_1_of_an_answered_request_brings_the_answer_again(void **state)
{
	(void)state;
	struct watch w = {0};
	bring_up(&w);
	struct ike_sa *i = harness_sa("west", true);
	assert_false(east_answers_fragment_1(i, true));
	assert_true(east_answers_fragment_1(i, false));
}

/* Fragments to an IKE SA that did not agree on them are dropped: the
 * message is never put together. The same fragments are taken once it
 * has agreed. */
static void test_fragments_without_agreement_are_dropped(void **state)
{
	(void)state;
	struct watch w = {0};
	bring_up(&w);
	struct ike_sa *i = harness_sa("west", true), *r = harness_sa("east", false);
	uint32_t before = r->peer_msgid;
	ikev2_frag_free(r);
	deliver_big_informational(i);
	assert_int_equal(r->peer_msgid, before);
	assert_int_equal(ikev2_frag_pool.used, 0);
	ikev2_frag_inherit(r, i);
	deliver_big_informational(i);
	assert_int_equal(r->peer_msgid, before + 1);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_split_and_reassemble_gcm),
		cmocka_unit_test(test_split_and_reassemble_cbc),
		cmocka_unit_test(test_fragments_carry_the_header),
		cmocka_unit_test(test_a_tampered_fragment_does_not_open),
		cmocka_unit_test(test_duplicates_and_out_of_range_are_dropped),
		cmocka_unit_test(test_a_new_total_or_message_replaces_the_old),
		cmocka_unit_test(test_the_byte_bounds_hold),
		cmocka_unit_test(test_a_message_needing_too_many_fragments_is_not_sent),
		cmocka_unit_test(test_fragment_sizes_follow_rfc_7383),
	};
#define T(f) cmocka_unit_test_setup_teardown(f, start, stop)
	const struct CMUnitTest ends[] = {
		T(test_big_messages_go_in_fragments_both_ways),
		T(test_a_rekeyed_ike_sa_keeps_fragmentation),
		T(test_a_bad_fragment_is_dropped_and_its_retransmit_taken),
		T(test_duplicated_fragments_change_nothing),
		T(test_fragmentation_no_sends_whole_messages),
		T(test_fragments_without_agreement_are_dropped),
		T(test_a_new_fragment_1_of_an_answered_request_brings_the_answer_again),
	};
	int failed = cmocka_run_group_tests_name("fragments", pure, crypto_up, crypto_down);
	return failed + cmocka_run_group_tests_name("two ends", ends, NULL, NULL);
}
