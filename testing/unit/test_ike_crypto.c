/* test_ike_crypto.c: IKEv2's cryptography through NSS, against published
 * vectors (RFC 2202, 4231, 7748, 5903, 3602, McGrew-Viega GCM) and
 * against RFC 7296's definitions computed by hand. The expected key
 * derivation and AUTH values were computed independently with Python's
 * hmac module from RFC 7296's formulas. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ike_crypto.h"
#include "ike_crypto_internal.h"
#include "ike_modp_primes.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Hex to bytes; blanks are skipped. Returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v = 0;
		if (n == max || sscanf(s, "%2x", &v) != 1)
			fail_msg("bad hex or too long: %s", s);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* ---- NSS keys for the byte-level known answers ---- */

/* Keys the SK tests import, freed before NSS shuts down. */
static PK11SymKey *held[1024];
static size_t nheld;

static PK11SymKey *hold(PK11SymKey *k)
{
	assert_non_null(k);
	assert_true(nheld < ARRAY_LEN(held));
	held[nheld++] = k;
	return k;
}

static void release_held(void)
{
	while (nheld > 0)
		ike_key_free(held[--nheld]);
}

/* dh_derive's secret, read back out of NSS. */
static bool dh_derive_bytes(struct dh_local *l, const uint8_t *peer, size_t len, uint8_t *s, size_t *s_len,
			    struct diag *d)
{
	PK11SymKey *k = dh_derive(l, peer, len, d);
	bool ok = k != NULL && ike_key_value(k, s, ike_key_len(k));
	if (ok)
		*s_len = ike_key_len(k);
	ike_key_free(k);
	return ok;
}

/* child_keymat's KEYMAT from byte inputs, as bytes. */
static bool child_keymat_bytes(enum prf_id p, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *g_ir,
			       size_t g_ir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			       uint8_t *out, size_t len)
{
	PK11SymKey *d = ike_key_import(sk_d, sk_d_len), *g = g_ir_len ? ike_key_import(g_ir, g_ir_len) : NULL;
	PK11SymKey *km = child_keymat(p, d, g, ni, ni_len, nr, nr_len, len);
	bool ok = km != NULL && ike_key_bytes(km, out, len);
	ike_key_free(km);
	ike_key_free(g);
	ike_key_free(d);
	return ok;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
	uint8_t want[1024];
	size_t n = unhex(want_hex, want, sizeof(want));
	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++) {
		if (b[i] != 0)
			return false;
	}
	return true;
}

/* ---- HMAC (the PRF) ---- */

struct hmac_case {
	enum prf_id prf;
	const char *name;
	const uint8_t *key;
	size_t key_len;
	const char *data;
	const char *mac;
};

static void check_hmac(const struct hmac_case *c)
{
	uint8_t out[IKE_PRF_MAX];
	assert_true(prf(c->prf, c->key, c->key_len, (const uint8_t *)c->data, strlen(c->data), out));
	uint8_t want[IKE_PRF_MAX];
	size_t n = unhex(c->mac, want, sizeof(want));
	assert_int_equal(prf_len(c->prf), n);
	if (memcmp(out, want, n) != 0)
		fail_msg("%s %s: wrong MAC", prf_name(c->prf), c->name);
}

static uint8_t k0b[20], kaa20[20], kaa80[80], kaa131[131], k0125[25];
static char d_dd[51], d_cd[51];

static void hmac_keys(void)
{
	memset(k0b, 0x0b, sizeof(k0b));
	memset(kaa20, 0xaa, sizeof(kaa20));
	memset(kaa80, 0xaa, sizeof(kaa80));
	memset(kaa131, 0xaa, sizeof(kaa131));
	for (size_t i = 0; i < sizeof(k0125); i++)
		k0125[i] = (uint8_t)(i + 1);
	memset(d_dd, 0xdd, 50);
	memset(d_cd, 0xcd, 50);
}

#define KEY(k) k, sizeof(k)
#define JEFE (const uint8_t *)"Jefe", 4
static const char big_key_data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const char big_both_2202[] = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
static const char big_both_4231[] = "This is a test using a larger than block-size key and a larger than "
	"block-size data. The key needs to be hashed before being used by the HMAC algorithm.";

/* RFC 2202 section 3, cases 1-4, 6, 7 (5 is about truncation). */
static void test_hmac_sha1_rfc2202(void **state)
{
	(void)state;
	hmac_keys();
	const struct hmac_case cases[] = {
		{ PRF_HMAC_SHA1, "1", KEY(k0b), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00" },
		{ PRF_HMAC_SHA1, "2", JEFE, "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ PRF_HMAC_SHA1, "3", KEY(kaa20), d_dd, "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
		{ PRF_HMAC_SHA1, "4", KEY(k0125), d_cd, "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
		{ PRF_HMAC_SHA1, "6", KEY(kaa80), big_key_data, "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
		{ PRF_HMAC_SHA1, "7", KEY(kaa80), big_both_2202, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		check_hmac(&cases[i]);
}

/* RFC 4231 section 4, cases 1-4, 6, 7 (5 is about truncation). */
static void test_hmac_sha2_rfc4231(void **state)
{
	(void)state;
	hmac_keys();
	const struct hmac_case cases[] = {
		{ PRF_HMAC_SHA2_256, "1", KEY(k0b), "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ PRF_HMAC_SHA2_384, "1", KEY(k0b), "Hi There",
		  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
		  "faea9ea9076ede7f4af152e8b2fa9cb6" },
		{ PRF_HMAC_SHA2_512, "1", KEY(k0b), "Hi There",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
		{ PRF_HMAC_SHA2_256, "2", JEFE, "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ PRF_HMAC_SHA2_384, "2", JEFE, "what do ya want for nothing?",
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		  "8e2240ca5e69e2c78b3239ecfab21649" },
		{ PRF_HMAC_SHA2_512, "2", JEFE, "what do ya want for nothing?",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ PRF_HMAC_SHA2_256, "3", KEY(kaa20), d_dd,
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
		{ PRF_HMAC_SHA2_384, "3", KEY(kaa20), d_dd,
		  "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
		  "2a5ab39dc13814b94e3ab6e101a34f27" },
		{ PRF_HMAC_SHA2_512, "3", KEY(kaa20), d_dd,
		  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
		  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
		{ PRF_HMAC_SHA2_256, "4", KEY(k0125), d_cd,
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
		{ PRF_HMAC_SHA2_384, "4", KEY(k0125), d_cd,
		  "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
		  "6801dd23c4a7d679ccf8a386c674cffb" },
		{ PRF_HMAC_SHA2_512, "4", KEY(k0125), d_cd,
		  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
		  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
		{ PRF_HMAC_SHA2_256, "6", KEY(kaa131), big_key_data,
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ PRF_HMAC_SHA2_384, "6", KEY(kaa131), big_key_data,
		  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
		  "0c2ef6ab4030fe8296248df163f44952" },
		{ PRF_HMAC_SHA2_512, "6", KEY(kaa131), big_key_data,
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
		{ PRF_HMAC_SHA2_256, "7", KEY(kaa131), big_both_4231,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
		{ PRF_HMAC_SHA2_384, "7", KEY(kaa131), big_both_4231,
		  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
		  "a678cc31e799176d3860e6110c46523e" },
		{ PRF_HMAC_SHA2_512, "7", KEY(kaa131), big_both_4231,
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		check_hmac(&cases[i]);
}

/* HMAC with an empty key and empty data, which NSS will not import as is. */
static void test_prf_empty_key(void **state)
{
	(void)state;
	uint8_t out[IKE_PRF_MAX];
	assert_true(prf(PRF_HMAC_SHA2_256, NULL, 0, NULL, 0, out));
	assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_prf_lengths(void **state)
{
	(void)state;
	assert_int_equal(prf_len(PRF_HMAC_SHA1), 20);
	assert_int_equal(prf_len(PRF_HMAC_SHA2_256), 32);
	assert_int_equal(prf_len(PRF_HMAC_SHA2_384), 48);
	assert_int_equal(prf_len(PRF_HMAC_SHA2_512), 64);
	assert_int_equal(prf_len(PRF_NONE), 0);
	uint8_t out[IKE_PRF_MAX];
	assert_false(prf(PRF_NONE, (const uint8_t *)"k", 1, NULL, 0, out));
}

/* prf+ against T1 = prf(K, S | 1), Tn = prf(K, Tn-1 | S | n) by hand. */
static void check_prf_plus(enum prf_id p, size_t want_len)
{
	const uint8_t key[] = "prf+ key";
	uint8_t seed[40];
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0x80 + i);
	size_t n = prf_len(p);
	uint8_t manual[5 * IKE_PRF_MAX], t[IKE_PRF_MAX], in[IKE_PRF_MAX + sizeof(seed) + 1];
	size_t done = 0, t_len = 0;
	for (uint8_t i = 1; done < want_len; i++) {
		memcpy(in, t, t_len);
		memcpy(in + t_len, seed, sizeof(seed));
		in[t_len + sizeof(seed)] = i;
		assert_true(prf(p, key, sizeof(key) - 1, in, t_len + sizeof(seed) + 1, t));
		t_len = n;
		memcpy(manual + done, t, n);
		done += n;
	}
	uint8_t got[5 * IKE_PRF_MAX];
	memset(got, 0xee, sizeof(got));
	assert_true(prf_plus(p, key, sizeof(key) - 1, seed, sizeof(seed), got, want_len));
	assert_memory_equal(got, manual, want_len);
	assert_int_equal(got[want_len], 0xee);	/* nothing past out_len */
}

static void test_prf_plus(void **state)
{
	(void)state;
	check_prf_plus(PRF_HMAC_SHA2_256, 32);		/* T1 */
	check_prf_plus(PRF_HMAC_SHA2_256, 33);		/* T1 | first octet of T2 */
	check_prf_plus(PRF_HMAC_SHA2_256, 100);		/* T1 .. T4 */
	check_prf_plus(PRF_HMAC_SHA1, 64);
	check_prf_plus(PRF_HMAC_SHA2_512, 4 * 64 + 1);
}

/* The one-octet counter allows 255 blocks, no more. */
static void test_prf_plus_limit(void **state)
{
	(void)state;
	size_t max = 255 * 20;
	uint8_t *out = malloc(max + 1);
	assert_non_null(out);
	assert_true(prf_plus(PRF_HMAC_SHA1, (const uint8_t *)"k", 1, (const uint8_t *)"s", 1, out, max));
	assert_false(prf_plus(PRF_HMAC_SHA1, (const uint8_t *)"k", 1, (const uint8_t *)"s", 1, out, max + 1));
	free(out);
}

/* ---- the IKE SA's keys ---- */

struct derive_input {
	uint8_t ni[32], nr[48], g_ir[256], spi_i[8], spi_r[8];
};

static void derive_input(struct derive_input *in)
{
	for (size_t i = 0; i < sizeof(in->ni); i++)
		in->ni[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(in->nr); i++)
		in->nr[i] = (uint8_t)(0x20 + i);
	for (size_t i = 0; i < sizeof(in->g_ir); i++)
		in->g_ir[i] = (uint8_t)(i * 7 + 3);
	unhex("0102030405060708", in->spi_i, 8);
	unhex("1112131415161718", in->spi_r, 8);
}

static bool derive(const struct alg_proposal *ike, struct ike_keys *k)
{
	struct derive_input in;
	derive_input(&in);
	PK11SymKey *g_ir = ike_key_import(in.g_ir, sizeof(in.g_ir));
	bool ok = ike_derive_keys(ike, in.ni, sizeof(in.ni), in.nr, sizeof(in.nr), g_ir, in.spi_i, in.spi_r, k);
	ike_key_free(g_ir);
	return ok;
}

/* A key's value appended at out + *n. */
static void value_of(PK11SymKey *key, size_t len, uint8_t *out, size_t *n)
{
	if (len == 0)
		return;
	assert_true(ike_key_value(key, out + *n, len));
	*n += len;
}

/* SK_e and, for GCM, its salt after it. */
static void encr_of(PK11SymKey *key, const uint8_t *salt, size_t e_len, uint8_t *out, size_t *n)
{
	size_t key_len = ike_key_len(key);
	value_of(key, key_len, out, n);
	memcpy(out + *n, salt, e_len - key_len);
	*n += e_len - key_len;
}

/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr, as prf+ made them. */
static size_t keymat_of(const struct ike_keys *k, uint8_t *out)
{
	size_t n = 0;
	value_of(k->sk_d, k->d_len, out, &n);
	value_of(k->sk_ai, k->a_len, out, &n);
	value_of(k->sk_ar, k->a_len, out, &n);
	encr_of(k->sk_ei, k->salt_i, k->e_len, out, &n);
	encr_of(k->sk_er, k->salt_r, k->e_len, out, &n);
	value_of(k->sk_pi, k->p_len, out, &n);
	value_of(k->sk_pr, k->p_len, out, &n);
	return n;
}

static void test_derive_keys_gcm(void **state)
{
	(void)state;
	struct alg_proposal ike = { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_256, DH_MODP2048 };
	struct ike_keys k;
	assert_true(derive(&ike, &k));
	assert_int_equal(k.prf, PRF_HMAC_SHA2_256);
	assert_int_equal(k.d_len, 32);
	assert_int_equal(k.a_len, 0);
	assert_int_equal(k.e_len, 36);	/* key and 4 octets of salt */
	assert_int_equal(k.p_len, 32);
	uint8_t km[7 * IKE_PRF_MAX];
	size_t n = keymat_of(&k, km);
	assert_hex(km, n,
		   "6038ff7d1573c10080ec9337eb5d2b6653da2c1155e03788d4d4e8ca2352735d"
		   "47605e53485d02e48536588bb77e1e27635e69dc290ae39ae574803167323d60"
		   "7050571305c28da29f928e038e328b3ba7f9bf59f9c85795fa6137d108dad9ff"
		   "e1cb6ffb1bcc3b03286bf35568a1bd1027304985aa629b589329b7cb32529d96"
		   "c191351322c2c2c0e0f58da1b6d4a0a5bac8f950a1ea7259c8e20cc0c524424e"
		   "056d155e42efa695");
	ike_keys_wipe(&k);
}

static void test_derive_keys_cbc(void **state)
{
	(void)state;
	struct alg_proposal ike = { ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1, DH_MODP2048 };
	struct ike_keys k;
	assert_true(derive(&ike, &k));
	assert_int_equal(k.d_len, 20);
	assert_int_equal(k.a_len, 20);	/* HMAC-SHA1 key, whatever the truncation */
	assert_int_equal(k.e_len, 16);
	assert_int_equal(k.p_len, 20);
	uint8_t km[7 * IKE_PRF_MAX];
	size_t n = keymat_of(&k, km);
	assert_hex(km, n,
		   "9771f2c35143935037644df6775e7b8a08b2e8513a0ba0dffd62d169374e4d7a"
		   "fa435c760d57331219b52c88ee5de4d50bb3e6f17f19c9ee99c71503c15624fe"
		   "8148be4181caeb23bff5daadc7ee9294c6a8d2195603a26a9f0aa0d507c3ea31"
		   "50a03e697661d68cf2d6bd2ecfa5268c0e662ffd704c17cf6e96c352094b92bd"
		   "0526af45");
	ike_keys_wipe(&k);
}

static void test_derive_keys_lengths(void **state)
{
	(void)state;
	struct ike_keys k;
	struct alg_proposal gcm128 = { ENCR_AES_GCM_16, 128, INTEG_NONE, PRF_HMAC_SHA2_512, DH_ECP256 };
	assert_true(derive(&gcm128, &k));
	assert_int_equal(k.e_len, 20);
	assert_int_equal(k.d_len, 64);
	assert_int_equal(k.p_len, 64);
	ike_keys_wipe(&k);
	struct alg_proposal cbc256 = { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_384, DH_ECP256 };
	assert_true(derive(&cbc256, &k));
	assert_int_equal(k.e_len, 32);
	assert_int_equal(k.a_len, 64);
	assert_int_equal(k.d_len, 48);
	ike_keys_wipe(&k);
}

static void test_derive_keys_refused(void **state)
{
	(void)state;
	const struct alg_proposal bad[] = {
		{ ENCR_AES_GCM_16, 128, INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1, DH_ECP256 },	/* AEAD + integ */
		{ ENCR_AES_CBC, 128, INTEG_NONE, PRF_HMAC_SHA1, DH_ECP256 },		/* CBC, no integ */
		{ ENCR_AES_CBC, 100, INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1, DH_ECP256 },	/* key length */
		{ ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96, PRF_NONE, DH_ECP256 },		/* no PRF */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct ike_keys k;
		memset(&k, 0x5a, sizeof(k));
		assert_false(derive(&bad[i], &k));
		assert_true(all_zero(&k, sizeof(k)));
	}
}

static void test_keys_wipe(void **state)
{
	(void)state;
	struct alg_proposal ike = { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_256, DH_MODP2048 };
	struct ike_keys k;
	assert_true(derive(&ike, &k));
	assert_non_null(k.sk_d);
	ike_keys_wipe(&k);	/* frees the keys: the shutdown test finds none left */
	assert_true(all_zero(&k, sizeof(k)));
	ike_keys_wipe(&k);	/* harmless again */
}

/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr). */
static void test_child_keymat(void **state)
{
	(void)state;
	struct derive_input in;
	derive_input(&in);
	const uint8_t sk_d[32] = { 1, 2, 3 };
	uint8_t seed[sizeof(in.g_ir) + sizeof(in.ni) + sizeof(in.nr)];
	uint8_t want[160], got[160];

	/* without PFS */
	memcpy(seed, in.ni, sizeof(in.ni));
	memcpy(seed + sizeof(in.ni), in.nr, sizeof(in.nr));
	assert_true(prf_plus(PRF_HMAC_SHA2_256, sk_d, sizeof(sk_d), seed, sizeof(in.ni) + sizeof(in.nr),
			     want, sizeof(want)));
	assert_true(child_keymat_bytes(PRF_HMAC_SHA2_256, sk_d, sizeof(sk_d), NULL, 0,
				 in.ni, sizeof(in.ni), in.nr, sizeof(in.nr), got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));

	/* with a new g^ir first */
	memcpy(seed, in.g_ir, sizeof(in.g_ir));
	memcpy(seed + sizeof(in.g_ir), in.ni, sizeof(in.ni));
	memcpy(seed + sizeof(in.g_ir) + sizeof(in.ni), in.nr, sizeof(in.nr));
	assert_true(prf_plus(PRF_HMAC_SHA2_256, sk_d, sizeof(sk_d), seed, sizeof(seed), want, sizeof(want)));
	assert_true(child_keymat_bytes(PRF_HMAC_SHA2_256, sk_d, sizeof(sk_d), in.g_ir, sizeof(in.g_ir),
				 in.ni, sizeof(in.ni), in.nr, sizeof(in.nr), got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));
}

/* ---- PSK AUTH ---- */

static void test_psk_auth(void **state)
{
	(void)state;
	const uint8_t psk[] = "a shared secret";
	uint8_t msg[100], nonce[32], sk_p[32], id[20];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(200 + i);
	for (size_t i = 0; i < sizeof(sk_p); i++)
		sk_p[i] = (uint8_t)(0x40 + i);
	memcpy(id, "\x02\0\0\0" "east.example.org", sizeof(id));	/* ID_FQDN */

	uint8_t auth[IKE_PRF_MAX];
	assert_true(psk_auth(PRF_HMAC_SHA2_256, psk, sizeof(psk) - 1, msg, sizeof(msg),
			     nonce, sizeof(nonce), hold(ike_key_import(sk_p, sizeof(sk_p))), id, sizeof(id), auth));

	/* by hand: prf(prf(PSK, "Key Pad for IKEv2"), msg | nonce | prf(SK_p, ID)) */
	uint8_t pad_key[32], maced_id[32], octets[sizeof(msg) + sizeof(nonce) + 32], want[32];
	assert_true(prf(PRF_HMAC_SHA2_256, psk, sizeof(psk) - 1, (const uint8_t *)"Key Pad for IKEv2", 17, pad_key));
	assert_true(prf(PRF_HMAC_SHA2_256, sk_p, sizeof(sk_p), id, sizeof(id), maced_id));
	memcpy(octets, msg, sizeof(msg));
	memcpy(octets + sizeof(msg), nonce, sizeof(nonce));
	memcpy(octets + sizeof(msg) + sizeof(nonce), maced_id, 32);
	assert_true(prf(PRF_HMAC_SHA2_256, pad_key, 32, octets, sizeof(octets), want));
	assert_memory_equal(auth, want, 32);
	/* and as computed independently */
	assert_hex(auth, 32, "281a8a4a091d2af0bcb6c90a66f331cf16e83af871911cd3fb3155607d4008a2");
}

/* ---- Diffie-Hellman ---- */

static void test_dh_groups(void **state)
{
	(void)state;
	const struct { enum dh_id g; size_t len; } want[] = {
		{ DH_MODP2048, 256 }, { DH_MODP3072, 384 }, { DH_MODP4096, 512 },
		{ DH_MODP6144, 768 }, { DH_MODP8192, 1024 },
		{ DH_ECP256, 64 }, { DH_ECP384, 96 }, { DH_ECP521, 132 }, { DH_CURVE25519, 32 },
	};
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		assert_true(dh_supported(want[i].g));
		assert_int_equal(dh_public_len(want[i].g), want[i].len);
	}
	assert_false(dh_supported(DH_NONE));
	assert_false(dh_supported((enum dh_id)2));	/* MODP1024 */
	assert_int_equal(dh_public_len((enum dh_id)2), 0);
	struct diag d;
	diag_init(&d);
	uint8_t pub[IKE_DH_PUB_MAX];
	assert_null(dh_generate((enum dh_id)2, pub, &d));
	assert_string_equal(d.text, "DH group 2 is not supported\n");
}

/* Two fresh pairs reach the same secret of the group's length. */
static void check_agreement(enum dh_id g, size_t secret_len)
{
	struct diag d;
	diag_init(&d);
	uint8_t pub_a[IKE_DH_PUB_MAX], pub_b[IKE_DH_PUB_MAX];
	struct dh_local *a = dh_generate(g, pub_a, &d);
	struct dh_local *b = dh_generate(g, pub_b, &d);
	if (a == NULL || b == NULL)
		fail_msg("%s: %s", dh_name(g), d.text);
	size_t len = dh_public_len(g);
	assert_memory_not_equal(pub_a, pub_b, len);
	uint8_t s_a[IKE_DH_PUB_MAX], s_b[IKE_DH_PUB_MAX];
	size_t s_a_len = 0, s_b_len = 0;
	if (!dh_derive_bytes(a, pub_b, len, s_a, &s_a_len, &d) || !dh_derive_bytes(b, pub_a, len, s_b, &s_b_len, &d))
		fail_msg("%s: %s", dh_name(g), d.text);
	assert_int_equal(s_a_len, secret_len);
	assert_int_equal(s_b_len, secret_len);
	assert_memory_equal(s_a, s_b, secret_len);
	assert_false(all_zero(s_a, secret_len));
	dh_free(a);
	dh_free(b);
	assert_int_equal(d.count, 0);
}

static void test_modp_agreement(void **state)
{
	(void)state;
	/* a few times: a secret with a leading zero octet (1 in 256) must keep it */
	for (int i = 0; i < 4; i++)
		check_agreement(DH_MODP2048, 256);
	check_agreement(DH_MODP3072, 384);
	check_agreement(DH_MODP4096, 512);
	check_agreement(DH_MODP6144, 768);
	check_agreement(DH_MODP8192, 1024);
}

static void test_ecp_agreement(void **state)
{
	(void)state;
	check_agreement(DH_ECP256, 32);
	check_agreement(DH_ECP384, 48);
	check_agreement(DH_ECP521, 66);
}

static void test_x25519_agreement(void **state)
{
	(void)state;
	check_agreement(DH_CURVE25519, 32);
}

static void expect_derive_error(struct dh_local *l, const uint8_t *peer, size_t len, const char *want)
{
	struct diag d;
	diag_init(&d);
	uint8_t s[IKE_DH_PUB_MAX];
	size_t s_len = 12345;
	memset(s, 0x77, sizeof(s));
	assert_false(dh_derive_bytes(l, peer, len, s, &s_len, &d));
	assert_int_equal(s_len, 12345);
	if (strstr(d.text, want) == NULL)
		fail_msg("got '%s', want '%s'", d.text, want);
	assert_true(d.count >= 1);
}

/* With the generator as the peer's value the secret is g^x, our own public
 * value: both must come out at the prime's full length. Keys are made
 * until one has a leading zero octet (1 in 256), the case where NSS's
 * value is shorter than RFC 7296's. */
static void test_modp_against_own_public(void **state)
{
	(void)state;
	uint8_t pub[256], two[256] = { 0 }, s[256];
	two[255] = 2;
	bool leading_zero = false;
	for (int i = 0; i < 2048 && !leading_zero; i++) {
		struct diag d;
		diag_init(&d);
		struct dh_local *l = dh_generate(DH_MODP2048, pub, &d);
		assert_non_null(l);
		size_t s_len = 0;
		assert_true(dh_derive_bytes(l, two, sizeof(two), s, &s_len, &d));
		dh_free(l);
		assert_int_equal(s_len, 256);
		assert_memory_equal(s, pub, 256);
		leading_zero = pub[0] == 0;
	}
	if (!leading_zero)
		printf("# no key with a leading zero octet in 2048 tries (p = 0.0003)\n");
}

/* MODP: 0, 1, p-1, p and above are refused (RFC 7296 wants 1 < y < p-1),
 * and so is a value of the wrong length. */
static void test_modp_bad_peer(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	uint8_t pub[IKE_DH_PUB_MAX], y[256], s[256];
	size_t s_len;
	struct dh_local *l = dh_generate(DH_MODP2048, pub, &d);
	assert_non_null(l);
	memset(y, 0, sizeof(y));
	expect_derive_error(l, y, 256, "out of range");		/* 0 */
	y[255] = 1;
	expect_derive_error(l, y, 256, "out of range");		/* 1 */
	y[255] = 2;
	assert_true(dh_derive_bytes(l, y, 256, s, &s_len, &d));	/* 2 is allowed */
	memcpy(y, modp2048, 256);
	expect_derive_error(l, y, 256, "out of range");		/* p */
	y[255]--;
	expect_derive_error(l, y, 256, "out of range");		/* p-1 */
	y[255]--;
	assert_true(dh_derive_bytes(l, y, 256, s, &s_len, &d));	/* p-2 is allowed */
	memset(y, 0xff, sizeof(y));
	expect_derive_error(l, y, 256, "out of range");		/* above p */
	expect_derive_error(l, pub, 255, "is 255 octets, want 256");
	dh_free(l);
	assert_int_equal(d.count, 0);
}

/* ECP: a point off the curve, and the wrong length. */
static void test_ecp_bad_peer(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	uint8_t pub[IKE_DH_PUB_MAX], peer[IKE_DH_PUB_MAX];
	struct dh_local *l = dh_generate(DH_ECP256, pub, &d);
	struct dh_local *other = dh_generate(DH_ECP256, peer, &d);
	assert_non_null(l);
	assert_non_null(other);
	peer[63] ^= 1;		/* y no longer matches x */
	expect_derive_error(l, peer, 64, "key agreement failed");
	memset(peer, 0, 64);	/* the point at infinity is not on the curve either */
	expect_derive_error(l, peer, 64, "key agreement failed");
	expect_derive_error(l, pub, 65, "is 65 octets, want 64");
	dh_free(l);
	dh_free(other);
}

/* X25519: a low-order point gives zeros, which RFC 8031 refuses. */
static void test_x25519_bad_peer(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	uint8_t pub[32], zero[32] = { 0 }, one[32] = { 1 };
	struct dh_local *l = dh_generate(DH_CURVE25519, pub, &d);
	assert_non_null(l);
	expect_derive_error(l, zero, 32, "");
	expect_derive_error(l, one, 32, "");
	expect_derive_error(l, pub, 31, "is 31 octets, want 32");
	dh_free(l);
}

/* One side of a published exchange: import priv (with its public value),
 * derive with the peer's public value, expect the shared secret. */
static void check_known(enum dh_id g, const char *priv_hex, const char *pub_hex,
			const char *peer_hex, const char *shared_hex)
{
	uint8_t priv[66], pub[IKE_DH_PUB_MAX], peer[IKE_DH_PUB_MAX], s[IKE_DH_PUB_MAX];
	size_t priv_len = unhex(priv_hex, priv, sizeof(priv));
	assert_int_equal(unhex(pub_hex, pub, sizeof(pub)), dh_public_len(g));
	size_t peer_len = unhex(peer_hex, peer, sizeof(peer));
	struct diag d;
	diag_init(&d);
	struct dh_local *l = dh_import(g, priv, priv_len, pub, &d);
	if (l == NULL)
		fail_msg("%s", d.text);
	size_t s_len = 0;
	if (!dh_derive_bytes(l, peer, peer_len, s, &s_len, &d))
		fail_msg("%s", d.text);
	assert_hex(s, s_len, shared_hex);
	dh_free(l);
}

/* RFC 7748 section 6.1. */
static void test_x25519_rfc7748(void **state)
{
	(void)state;
	const char *alice = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	const char *alice_pub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	const char *bob = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
	const char *bob_pub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
	const char *shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	check_known(DH_CURVE25519, alice, alice_pub, bob_pub, shared);
	check_known(DH_CURVE25519, bob, bob_pub, alice_pub, shared);
}

/* RFC 5903 section 8.1: the KE payload is gx | gy, the secret girx. */
static void test_ecp256_rfc5903(void **state)
{
	(void)state;
	const char *i = "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433";
	const char *gi = "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
			 "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3";
	const char *r = "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53";
	const char *gr = "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
			 "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB";
	const char *girx = "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE";
	check_known(DH_ECP256, i, gi, gr, girx);
	check_known(DH_ECP256, r, gr, gi, girx);
}

/* ---- AES ---- */

/* McGrew and Viega, "The Galois/Counter Mode of Operation", test cases 4
 * (AES-128) and 16 (AES-256): 60 octets, 20 of AAD, a 96-bit IV. */
static const char gcm_p[] =
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char gcm_a[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char gcm_iv[] = "cafebabefacedbaddecaf888";
static const struct {
	const char *key, *c, *t;
} gcm_cases[] = {
	{ "feffe9928665731c6d6a8f9467308308",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void test_aes_gcm_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(gcm_cases); i++) {
		uint8_t key[32], p[60], a[20], iv[12], buf[60 + GCM_TAG], want[60 + GCM_TAG];
		size_t key_len = unhex(gcm_cases[i].key, key, sizeof(key));
		unhex(gcm_p, p, sizeof(p));
		unhex(gcm_a, a, sizeof(a));
		unhex(gcm_iv, iv, sizeof(iv));
		unhex(gcm_cases[i].c, want, 60);
		unhex(gcm_cases[i].t, want + 60, GCM_TAG);
		memcpy(buf, p, 60);
		assert_true(aes_gcm_seal(key, key_len, iv, a, sizeof(a), buf, 60, buf));	/* in place */
		assert_memory_equal(buf, want, sizeof(want));
		assert_true(aes_gcm_open(key, key_len, iv, a, sizeof(a), buf, sizeof(buf), buf));
		assert_memory_equal(buf, p, 60);
		/* a wrong tag or AAD is refused, and out left alone */
		memcpy(buf, want, sizeof(want));
		buf[60] ^= 0x80;
		uint8_t out[60];
		memset(out, 0x33, sizeof(out));
		assert_false(aes_gcm_open(key, key_len, iv, a, sizeof(a), buf, sizeof(buf), out));
		assert_int_equal(out[0], 0x33);
		buf[60] ^= 0x80;
		a[0] ^= 1;
		assert_false(aes_gcm_open(key, key_len, iv, a, sizeof(a), buf, sizeof(buf), out));
	}
}

/* The SK wiring on the same vector: the 20 octets of AAD stand for the
 * message up to the SK body, the key material is K | salt cafebabe and the
 * IV sent facedbaddecaf888. The plaintext's last octet, 0x39, reads as a
 * pad length of 57, leaving d9 31. */
static void test_sk_open_gcm_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(gcm_cases); i++) {
		uint8_t msg[20 + 8 + 60 + 16], ekey[36];
		size_t n = unhex(gcm_a, msg, sizeof(msg));
		n += unhex("facedbaddecaf888", msg + n, 8);
		n += unhex(gcm_cases[i].c, msg + n, 60);
		n += unhex(gcm_cases[i].t, msg + n, 16);
		size_t key_len = unhex(gcm_cases[i].key, ekey, 32);
		unhex("cafebabe", ekey + key_len, 4);
		struct sk_cipher c = { ENCR_AES_GCM_16, (unsigned)key_len * 8, INTEG_NONE,
				       hold(ike_sym_key(CKM_AES_GCM, ekey, key_len)), ekey + key_len, NULL };
		struct diag d;
		diag_init(&d);
		uint8_t *plain = NULL;
		size_t plain_len = 0;
		if (!sk_open(&c, msg, n, 20, &plain, &plain_len, &d))
			fail_msg("%s", d.text);
		assert_ptr_equal(plain, msg + 28);
		assert_hex(plain, plain_len, "d931");
	}
}

/* RFC 3602 section 4, cases 1 and 2. */
static void test_aes_cbc_kat(void **state)
{
	(void)state;
	const struct {
		const char *key, *iv, *p, *c;
	} cases[] = {
		{ "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
		  "53696e676c6520626c6f636b206d7367" /* "Single block msg" */,
		  "e353779c1079aeb82708942dbe77181a" },
		{ "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		  "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t key[16], iv[16], p[32], buf[32];
		unhex(cases[i].key, key, sizeof(key));
		unhex(cases[i].iv, iv, sizeof(iv));
		size_t len = unhex(cases[i].p, p, sizeof(p));
		memcpy(buf, p, len);
		assert_true(aes_cbc(true, key, 16, iv, buf, len, buf));
		assert_hex(buf, len, cases[i].c);
		assert_true(aes_cbc(false, key, 16, iv, buf, len, buf));
		assert_memory_equal(buf, p, len);
	}
	uint8_t key[16] = { 0 }, iv[16] = { 0 }, buf[17] = { 0 };
	assert_false(aes_cbc(true, key, 16, iv, buf, 17, buf));	/* not whole blocks */
	assert_false(aes_cbc(true, key, 15, iv, buf, 16, buf));	/* not an AES key */
}

/* ---- the SK payload ---- */

struct cipher_case {
	const char *name;
	enum encr_id encr;
	unsigned keylen;
	enum integ_id integ;
};

static const struct cipher_case ciphers[] = {
	{ "AES_GCM_16_128", ENCR_AES_GCM_16, 128, INTEG_NONE },
	{ "AES_GCM_16_256", ENCR_AES_GCM_16, 256, INTEG_NONE },
	{ "AES_CBC_128-HMAC_SHA1_96", ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96 },
	{ "AES_CBC_256-HMAC_SHA2_256_128", ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_256_128 },
	{ "AES_CBC_256-HMAC_SHA2_384_192", ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_384_192 },
	{ "AES_CBC_256-HMAC_SHA2_512_256", ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256 },
};

struct keyed {
	struct sk_cipher c;
	uint8_t ekey[36], akey[64];
};

/* k->c with k's key bytes imported into NSS. */
static void keys_to_nss(struct keyed *k, const struct cipher_case *cc)
{
	bool gcm = cc->encr == ENCR_AES_GCM_16;
	k->c = (struct sk_cipher){ cc->encr, cc->keylen, cc->integ,
				   hold(ike_sym_key(gcm ? CKM_AES_GCM : CKM_AES_CBC, k->ekey, cc->keylen / 8)),
				   k->ekey + cc->keylen / 8,
				   cc->integ == INTEG_NONE ? NULL : hold(ike_key_import(k->akey, integ_key_bytes(cc->integ))) };
}

static void keyed(struct keyed *k, const struct cipher_case *cc, uint8_t seed)
{
	for (size_t i = 0; i < sizeof(k->ekey); i++)
		k->ekey[i] = (uint8_t)(seed + 3 * i);
	for (size_t i = 0; i < sizeof(k->akey); i++)
		k->akey[i] = (uint8_t)(seed ^ (5 * i));
	keys_to_nss(k, cc);
}

#define HDR 28		/* the IKE header */
#define SK_BODY (HDR + 4)

struct msg {
	uint8_t buf[1024];
	size_t len;
	uint8_t *plain;	/* where the inner payloads go before sealing */
	size_t plain_len;
};

static void put32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A header, an SK payload header with final lengths, and plain_len octets
 * of inner payloads where sk_seal wants them. */
static void build(struct msg *m, const struct sk_cipher *c, size_t plain_len)
{
	size_t over = sk_overhead(c, plain_len);
	assert_true(over > 0);
	m->len = SK_BODY + plain_len + over;
	assert_true(m->len <= sizeof(m->buf));
	memset(m->buf, 0, sizeof(m->buf));
	for (size_t i = 0; i < HDR; i++)
		m->buf[i] = (uint8_t)(0xa0 + i);
	m->buf[16] = 46;		/* next payload: SK */
	put32(m->buf + 24, m->len);
	m->buf[HDR] = 41;		/* SK's next payload: the first inner one */
	m->buf[HDR + 2] = (uint8_t)((m->len - HDR) >> 8);
	m->buf[HDR + 3] = (uint8_t)(m->len - HDR);
	m->plain = m->buf + SK_BODY + sk_iv_len(c);
	m->plain_len = plain_len;
	for (size_t i = 0; i < plain_len; i++)
		m->plain[i] = (uint8_t)(i * 13 + 1);
}

static void seal(struct msg *m, const struct sk_cipher *c)
{
	struct diag d;
	diag_init(&d);
	if (!sk_seal(c, m->buf, SK_BODY, m->plain_len, &d))
		fail_msg("%s", d.text);
}

static bool open_msg(uint8_t *buf, size_t len, const struct sk_cipher *c, uint8_t **plain,
		     size_t *plain_len, struct diag *d)
{
	diag_init(d);
	return sk_open(c, buf, len, SK_BODY, plain, plain_len, d);
}

static void test_sk_overhead(void **state)
{
	(void)state;
	struct keyed k;
	keyed(&k, &ciphers[0], 1);		/* GCM: IV 8, no padding, pad length, tag 16 */
	assert_int_equal(sk_iv_len(&k.c), 8);
	for (size_t n = 0; n < 40; n++)
		assert_int_equal(sk_overhead(&k.c, n), 8 + 1 + 16);
	keyed(&k, &ciphers[2], 1);		/* CBC + SHA1-96: IV 16, whole blocks, ICV 12 */
	assert_int_equal(sk_iv_len(&k.c), 16);
	assert_int_equal(sk_overhead(&k.c, 0), 16 + 15 + 1 + 12);
	assert_int_equal(sk_overhead(&k.c, 15), 16 + 0 + 1 + 12);
	assert_int_equal(sk_overhead(&k.c, 16), 16 + 15 + 1 + 12);
	assert_int_equal(sk_overhead(&k.c, 17), 16 + 14 + 1 + 12);
	keyed(&k, &ciphers[5], 1);		/* ICV 32 */
	assert_int_equal(sk_overhead(&k.c, 15), 16 + 0 + 1 + 32);
}

static void round_trip(const struct cipher_case *cc, size_t plain_len)
{
	struct keyed k;
	keyed(&k, cc, (uint8_t)plain_len);
	struct msg m;
	build(&m, &k.c, plain_len);
	uint8_t want[1024];
	memcpy(want, m.plain, plain_len);
	seal(&m, &k.c);
	if (plain_len >= 8)
		assert_memory_not_equal(m.plain, want, plain_len);
	if (cc->encr == ENCR_AES_CBC)
		assert_int_equal((m.len - SK_BODY - 16 - integ_icv_bits(cc->integ) / 8) % 16, 0);
	uint8_t *plain = NULL;
	size_t got_len = 0;
	struct diag d;
	if (!open_msg(m.buf, m.len, &k.c, &plain, &got_len, &d))
		fail_msg("%s, %zu octets: %s", cc->name, plain_len, d.text);
	assert_int_equal(got_len, plain_len);
	assert_ptr_equal(plain, m.plain);
	assert_memory_equal(plain, want, plain_len);
}

static void test_sk_round_trip(void **state)
{
	(void)state;
	const size_t lens[] = { 0, 1, 15, 16, 17, 31, 32, 100, 333 };
	for (size_t i = 0; i < ARRAY_LEN(ciphers); i++) {
		for (size_t j = 0; j < ARRAY_LEN(lens); j++)
			round_trip(&ciphers[i], lens[j]);
	}
}

/* Two seals of the same message differ: a fresh IV each time. */
static void test_sk_fresh_iv(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ciphers); i++) {
		struct keyed k;
		keyed(&k, &ciphers[i], 9);
		struct msg a, b;
		build(&a, &k.c, 40);
		build(&b, &k.c, 40);
		seal(&a, &k.c);
		seal(&b, &k.c);
		assert_memory_not_equal(a.buf + SK_BODY, b.buf + SK_BODY, sk_iv_len(&k.c));
		assert_memory_not_equal(a.plain, b.plain, 40);
	}
}

/* Any bit flipped anywhere in the message (header, SK header, IV,
 * ciphertext, ICV) is caught, and so is a shortened message. */
static void test_sk_tamper(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ciphers); i++) {
		struct keyed k;
		keyed(&k, &ciphers[i], 77);
		struct msg m;
		build(&m, &k.c, 37);
		seal(&m, &k.c);
		uint8_t *plain;
		size_t plain_len;
		struct diag d;
		for (size_t pos = 0; pos < m.len; pos++) {
			uint8_t copy[sizeof(m.buf)];
			memcpy(copy, m.buf, m.len);
			copy[pos] ^= (uint8_t)(1u << (pos % 8));
			if (open_msg(copy, m.len, &k.c, &plain, &plain_len, &d))
				fail_msg("%s: a flipped bit at octet %zu of %zu was accepted",
					 ciphers[i].name, pos, m.len);
			assert_int_equal(d.count, 1);
		}
		uint8_t copy[sizeof(m.buf)];
		memcpy(copy, m.buf, m.len);
		assert_false(open_msg(copy, m.len - 1, &k.c, &plain, &plain_len, &d));
		assert_false(open_msg(copy, m.len - 16, &k.c, &plain, &plain_len, &d));
		assert_false(open_msg(copy, SK_BODY + 3, &k.c, &plain, &plain_len, &d));
		assert_false(open_msg(copy, SK_BODY - 1, &k.c, &plain, &plain_len, &d));
		/* the untouched message still opens */
		assert_true(open_msg(copy, m.len, &k.c, &plain, &plain_len, &d));
		/* with the wrong key it does not */
		k.ekey[0] ^= 1;
		k.akey[0] ^= 1;
		keys_to_nss(&k, &ciphers[i]);
		memcpy(copy, m.buf, m.len);
		assert_false(open_msg(copy, m.len, &k.c, &plain, &plain_len, &d));
	}
}

/* An authentic message whose pad length octet claims more than there is:
 * sealed by hand here, since sk_seal never makes one. */
static size_t seal_bad_pad(const struct keyed *k, uint8_t *buf, size_t enc_len, uint8_t pad_len)
{
	bool gcm = k->c.encr == ENCR_AES_GCM_16;
	size_t iv_len = gcm ? GCM_IV : AES_BLOCK;
	size_t icv_len = gcm ? GCM_TAG : integ_icv_bits(k->c.integ) / 8;
	size_t len = SK_BODY + iv_len + enc_len + icv_len;
	memset(buf, 0x11, len);
	put32(buf + 24, len);
	uint8_t *iv = buf + SK_BODY, *text = iv + iv_len;
	text[enc_len - 1] = pad_len;
	size_t key_len = k->c.keylen / 8;
	if (gcm) {
		uint8_t nonce[GCM_NONCE];
		memcpy(nonce, k->ekey + key_len, GCM_SALT);
		memcpy(nonce + GCM_SALT, iv, GCM_IV);
		assert_true(aes_gcm_seal(k->ekey, key_len, nonce, buf, SK_BODY, text, enc_len, text));
	} else {
		uint8_t mac[IKE_PRF_MAX];
		enum prf_id p = k->c.integ == INTEG_HMAC_SHA1_96 ? PRF_HMAC_SHA1 : PRF_HMAC_SHA2_256;
		assert_true(aes_cbc(true, k->ekey, key_len, iv, text, enc_len, text));
		assert_true(prf(p, k->akey, integ_key_bytes(k->c.integ), buf, len - icv_len, mac));
		memcpy(text + enc_len, mac, icv_len);
	}
	return len;
}

static void test_sk_bad_padding(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct keyed k;
		keyed(&k, &ciphers[i], 3);
		size_t enc_len = ciphers[i].encr == ENCR_AES_GCM_16 ? 5 : 32;
		uint8_t buf[256], *plain;
		size_t plain_len;
		struct diag d;
		/* pad length = everything but itself: an empty payload list, fine */
		size_t len = seal_bad_pad(&k, buf, enc_len, (uint8_t)(enc_len - 1));
		assert_true(open_msg(buf, len, &k.c, &plain, &plain_len, &d));
		assert_int_equal(plain_len, 0);
		/* one more than that, or far more, is refused */
		const uint8_t bad[] = { (uint8_t)enc_len, 0xff };
		for (size_t j = 0; j < ARRAY_LEN(bad); j++) {
			len = seal_bad_pad(&k, buf, enc_len, bad[j]);
			assert_false(open_msg(buf, len, &k.c, &plain, &plain_len, &d));
			if (strstr(d.text, "pad length") == NULL)
				fail_msg("%s: %s", ciphers[i].name, d.text);
		}
	}
}

static void test_sk_unsupported(void **state)
{
	(void)state;
	uint8_t key[64] = { 0 };
	PK11SymKey *aes = hold(ike_sym_key(CKM_AES_CBC, key, 16)), *a16 = hold(ike_key_import(key, 16)),
		   *a20 = hold(ike_key_import(key, 20)), *k32 = hold(ike_key_import(key, 32));
	const struct sk_cipher bad[] = {
		{ ENCR_AES_GCM_16, 128, INTEG_HMAC_SHA1_96, aes, key, a20 },	/* AEAD + integ */
		{ ENCR_AES_CBC, 128, INTEG_NONE, aes, NULL, NULL },		/* no integ */
		{ ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96, aes, NULL, a16 },	/* wrong akey length */
		{ ENCR_AES_CBC, 100, INTEG_HMAC_SHA1_96, aes, NULL, a20 },	/* key length */
		{ ENCR_CHACHA20_POLY1305, 256, INTEG_NONE, k32, key, NULL },	/* not for IKE here */
		{ ENCR_AES_GCM_16, 128, INTEG_NONE, aes, NULL, NULL },		/* GCM without salt */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(sk_overhead(&bad[i], 10), 0);
		assert_int_equal(sk_iv_len(&bad[i]), 0);
		uint8_t buf[256] = { 0 }, *plain;
		size_t plain_len;
		struct diag d;
		diag_init(&d);
		assert_false(sk_seal(&bad[i], buf, SK_BODY, 10, &d));
		assert_int_equal(d.count, 1);
		assert_false(open_msg(buf, sizeof(buf), &bad[i], &plain, &plain_len, &d));
		assert_int_equal(d.count, 1);
	}
}

/* ---- misc ---- */

static void test_random(void **state)
{
	(void)state;
	uint8_t a[32] = { 0 }, b[32] = { 0 };
	assert_true(ike_random(a, sizeof(a)));
	assert_true(ike_random(b, sizeof(b)));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_true(ike_random(a, 0));
}

/* Last: every NSS object the tests made was freed, or NSS would refuse to
 * shut down. Starts NSS again for the group teardown. */
static void test_shutdown_clean(void **state)
{
	release_held();
	(void)state;
	assert_true(ike_crypto_shutdown());
	struct diag d;
	diag_init(&d);
	assert_true(ike_crypto_init(&d));
}

static int group_setup(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	if (!ike_crypto_init(&d)) {
		fprintf(stderr, "%s", d.text);
		return -1;
	}
	return ike_crypto_init(&d) ? 0 : -1;	/* a second call is harmless */
}

static int group_teardown(void **state)
{
	(void)state;
	return ike_crypto_shutdown() ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_sha1_rfc2202),
		cmocka_unit_test(test_hmac_sha2_rfc4231),
		cmocka_unit_test(test_prf_empty_key),
		cmocka_unit_test(test_prf_lengths),
		cmocka_unit_test(test_prf_plus),
		cmocka_unit_test(test_prf_plus_limit),
		cmocka_unit_test(test_derive_keys_gcm),
		cmocka_unit_test(test_derive_keys_cbc),
		cmocka_unit_test(test_derive_keys_lengths),
		cmocka_unit_test(test_derive_keys_refused),
		cmocka_unit_test(test_keys_wipe),
		cmocka_unit_test(test_child_keymat),
		cmocka_unit_test(test_psk_auth),
		cmocka_unit_test(test_dh_groups),
		cmocka_unit_test(test_modp_agreement),
		cmocka_unit_test(test_ecp_agreement),
		cmocka_unit_test(test_x25519_agreement),
		cmocka_unit_test(test_modp_against_own_public),
		cmocka_unit_test(test_modp_bad_peer),
		cmocka_unit_test(test_ecp_bad_peer),
		cmocka_unit_test(test_x25519_bad_peer),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_ecp256_rfc5903),
		cmocka_unit_test(test_aes_gcm_kat),
		cmocka_unit_test(test_sk_open_gcm_kat),
		cmocka_unit_test(test_aes_cbc_kat),
		cmocka_unit_test(test_sk_overhead),
		cmocka_unit_test(test_sk_round_trip),
		cmocka_unit_test(test_sk_fresh_iv),
		cmocka_unit_test(test_sk_tamper),
		cmocka_unit_test(test_sk_bad_padding),
		cmocka_unit_test(test_sk_unsupported),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_shutdown_clean),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
