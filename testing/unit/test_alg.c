/* test_alg.c: ike= and esp= strings, canonical names, algorithm facts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "alg.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum which { ESP, IKE };

struct ok_case {
	enum which which;
	const char *in;
	const char *want;	/* alg_proposals_name() of the result */
};

struct err_case {
	enum which which;
	const char *in;
	const char *want;	/* the one diag line, without its '\n' */
};

static bool parse(enum which w, const char *in, struct alg_proposals *ps, struct diag *d)
{
	return w == IKE ? alg_parse_ike(in, ps, d) : alg_parse_esp(in, ps, d);
}

static const char *kw(enum which w)
{
	return w == IKE ? "ike" : "esp";
}

static void check_ok(const struct ok_case *c)
{
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	if (!parse(c->which, c->in, &ps, &d))
		fail_msg("%s=%s: unexpected error: %s", kw(c->which), c->in, d.text);
	char got[4096];
	alg_proposals_name(&ps, c->which == IKE, got, sizeof(got));
	if (strcmp(got, c->want) != 0)
		fail_msg("%s=%s:\n  got  %s\n  want %s", kw(c->which), c->in, got, c->want);
	assert_int_equal(d.count, 0);
}

static void check_oks(const struct ok_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_ok(&cases[i]);
}

static void check_err(const struct err_case *c)
{
	struct alg_proposals ps = { .n = 3 };	/* must come back empty */
	struct diag d;
	diag_init(&d);
	if (parse(c->which, c->in, &ps, &d))
		fail_msg("%s=%s: accepted, want error: %s", kw(c->which), c->in, c->want);
	char want[1024];
	snprintf(want, sizeof(want), "%s\n", c->want);
	if (strcmp(d.text, want) != 0)
		fail_msg("%s=%s:\n  got  %s  want %s", kw(c->which), c->in, d.text, want);
	assert_int_equal(d.count, 1);
	assert_int_equal(ps.n, 0);
}

static void check_errs(const struct err_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_err(&cases[i]);
}

/* The forms the issue names, in both keywords. */
static void test_issue_forms_esp(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes_gcm256-null", "AES_GCM_16_256" },
		{ ESP, "aes128-sha1", "AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes256-sha2_256;modp2048", "AES_CBC_256-HMAC_SHA2_256_128-MODP2048" },
		{ ESP, "aes_gcm128-null;dh19", "AES_GCM_16_128-DH19" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

static void test_issue_forms_ike(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ IKE, "aes_gcm256-null",
		  "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19, AES_GCM_16_256-PRF_HMAC_SHA2_256-DH20, "
		  "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH21, AES_GCM_16_256-PRF_HMAC_SHA2_256-DH31, "
		  "AES_GCM_16_256-PRF_HMAC_SHA2_256-MODP2048, AES_GCM_16_256-PRF_HMAC_SHA2_256-MODP3072, "
		  "AES_GCM_16_256-PRF_HMAC_SHA2_256-MODP4096" },
		{ IKE, "aes128-sha1",
		  "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-DH19, AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-DH20, "
		  "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-DH21, AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-DH31, "
		  "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-MODP2048, AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-MODP3072, "
		  "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-MODP4096" },
		{ IKE, "aes256-sha2_256;modp2048",
		  "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-MODP2048" },
		{ IKE, "aes_gcm128-null;dh19", "AES_GCM_16_128-PRF_HMAC_SHA2_256-DH19" },
		{ IKE, "aes_gcm256-sha2_256;dh19", "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

/* The proposal struct itself, not just its name, for one of each kind. */
static void test_proposal_fields(void **state)
{
	(void)state;
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	assert_true(alg_parse_ike("aes128-sha1;modp2048", &ps, &d));
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].encr, ENCR_AES_CBC);
	assert_int_equal(ps.p[0].encr_keylen, 128);
	assert_int_equal(ps.p[0].integ, INTEG_HMAC_SHA1_96);
	assert_int_equal(ps.p[0].prf, PRF_HMAC_SHA1);
	assert_int_equal(ps.p[0].dh, DH_MODP2048);

	assert_true(alg_parse_esp("aes_gcm256-null", &ps, &d));
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].encr, ENCR_AES_GCM_16);
	assert_int_equal(ps.p[0].encr_keylen, 256);
	assert_int_equal(ps.p[0].integ, INTEG_NONE);
	assert_int_equal(ps.p[0].prf, PRF_NONE);
	assert_int_equal(ps.p[0].dh, DH_NONE);

	assert_true(alg_parse_esp("chacha20_poly1305", &ps, &d));
	assert_int_equal(ps.p[0].encr, ENCR_CHACHA20_POLY1305);
	assert_int_equal(ps.p[0].encr_keylen, 256);
	assert_int_equal(d.count, 0);
}

/* ike=: what a hash token means depends on AEAD and on how many there are. */
static void test_ike_hash_rules(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		/* CBC: one hash is integrity and PRF */
		{ IKE, "aes128-sha2_512;dh19", "AES_CBC_128-HMAC_SHA2_512_256-PRF_HMAC_SHA2_512-DH19" },
		/* AEAD: one hash is the PRF only */
		{ IKE, "aes_gcm256-sha2_384;dh20", "AES_GCM_16_256-PRF_HMAC_SHA2_384-DH20" },
		/* no hash: the default PRF (and integrity for CBC) */
		{ IKE, "aes_gcm256;dh19", "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19" },
		{ IKE, "aes256;dh19", "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-DH19" },
		/* two hashes: integrity, then PRF */
		{ IKE, "aes_gcm256-null-sha2_512;dh19", "AES_GCM_16_256-PRF_HMAC_SHA2_512-DH19" },
		{ IKE, "aes128-sha1-sha2_256;dh19", "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA2_256-DH19" },
		/* the DH group after '-', as libreswan also accepts */
		{ IKE, "aes256-sha2_256-modp2048", "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-MODP2048" },
		{ IKE, "aes128-sha1-sha2_256-dh31", "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA2_256-DH31" },
		{ IKE, "aes_gcm128-dh19", "AES_GCM_16_128-PRF_HMAC_SHA2_256-DH19" },
		{ IKE, "chacha20_poly1305-sha2_512;dh31", "CHACHA20_POLY1305-PRF_HMAC_SHA2_512-DH31" },
		{ IKE, "chacha20_poly1305-none;x25519", "CHACHA20_POLY1305-PRF_HMAC_SHA2_256-DH31" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

static void test_esp_rules(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes256", "AES_CBC_256-HMAC_SHA2_256_128" },	/* default integrity */
		{ ESP, "aes_gcm256", "AES_GCM_16_256" },		/* AEAD: none needed */
		{ ESP, "aes_gcm256-none", "AES_GCM_16_256" },
		{ ESP, "aes256-sha2_512-modp3072", "AES_CBC_256-HMAC_SHA2_512_256-MODP3072" },
		{ ESP, "aes_gcm256-modp4096", "AES_GCM_16_256-MODP4096" },
		{ ESP, "aes_gcm256;none", "AES_GCM_16_256" },		/* no PFS group */
		{ ESP, "aes_gcm256-null-none", "AES_GCM_16_256" },
		{ ESP, "chacha20_poly1305;dh31", "CHACHA20_POLY1305-DH31" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

static void test_encr_spellings(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes128-sha1", "AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes192-sha1", "AES_CBC_192-HMAC_SHA1_96" },
		{ ESP, "aes256-sha1", "AES_CBC_256-HMAC_SHA1_96" },
		{ ESP, "aes_cbc128-sha1", "AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes_cbc256-sha1", "AES_CBC_256-HMAC_SHA1_96" },
		{ ESP, "aes_cbc_192-sha1", "AES_CBC_192-HMAC_SHA1_96" },
		{ ESP, "aes_gcm128", "AES_GCM_16_128" },
		{ ESP, "aes_gcm256", "AES_GCM_16_256" },
		{ ESP, "aes_gcm16_128", "AES_GCM_16_128" },
		{ ESP, "aes_gcm16_256", "AES_GCM_16_256" },
		{ ESP, "aes_gcm_16_128", "AES_GCM_16_128" },
		{ ESP, "aes_gcm_16_256", "AES_GCM_16_256" },
		{ ESP, "aes_gcm_c_256", "AES_GCM_16_256" },
		{ ESP, "aes_gcm16", "AES_GCM_16_256, AES_GCM_16_128" },
		{ ESP, "aes_gcm_16", "AES_GCM_16_256, AES_GCM_16_128" },
		{ ESP, "chacha20_poly1305", "CHACHA20_POLY1305" },
		{ ESP, "chacha20poly1305", "CHACHA20_POLY1305" },
		{ ESP, "chacha20_poly1305_256", "CHACHA20_POLY1305" },
		/* case does not matter */
		{ ESP, "AES_GCM_16_256-NULL", "AES_GCM_16_256" },
		{ ESP, "Aes128-SHA2_256;ModP2048", "AES_CBC_128-HMAC_SHA2_256_128-MODP2048" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

static void test_hash_spellings(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes128-sha1", "AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes128-sha", "AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes128-sha2", "AES_CBC_128-HMAC_SHA2_256_128" },
		{ ESP, "aes128-sha256", "AES_CBC_128-HMAC_SHA2_256_128" },
		{ ESP, "aes128-sha2_256", "AES_CBC_128-HMAC_SHA2_256_128" },
		{ ESP, "aes128-sha384", "AES_CBC_128-HMAC_SHA2_384_192" },
		{ ESP, "aes128-sha2_384", "AES_CBC_128-HMAC_SHA2_384_192" },
		{ ESP, "aes128-sha512", "AES_CBC_128-HMAC_SHA2_512_256" },
		{ ESP, "aes128-sha2_512", "AES_CBC_128-HMAC_SHA2_512_256" },
		{ IKE, "aes128-sha1;dh19", "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-DH19" },
		{ IKE, "aes128-sha2;dh19", "AES_CBC_128-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-DH19" },
		{ IKE, "aes128-sha384;dh19", "AES_CBC_128-HMAC_SHA2_384_192-PRF_HMAC_SHA2_384-DH19" },
		{ IKE, "aes128-sha512;dh19", "AES_CBC_128-HMAC_SHA2_512_256-PRF_HMAC_SHA2_512-DH19" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

static void test_dh_spellings(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes_gcm128;modp2048", "AES_GCM_16_128-MODP2048" },
		{ ESP, "aes_gcm128;dh14", "AES_GCM_16_128-MODP2048" },
		{ ESP, "aes_gcm128;modp3072", "AES_GCM_16_128-MODP3072" },
		{ ESP, "aes_gcm128;dh15", "AES_GCM_16_128-MODP3072" },
		{ ESP, "aes_gcm128;modp4096", "AES_GCM_16_128-MODP4096" },
		{ ESP, "aes_gcm128;dh16", "AES_GCM_16_128-MODP4096" },
		{ ESP, "aes_gcm128;modp8192", "AES_GCM_16_128-MODP8192" },
		{ ESP, "aes_gcm128;dh17", "AES_GCM_16_128-MODP6144" },
		{ ESP, "aes_gcm128;ecp256", "AES_GCM_16_128-DH19" },
		{ ESP, "aes_gcm128;ECP_256", "AES_GCM_16_128-DH19" },
		{ ESP, "aes_gcm128;dh19", "AES_GCM_16_128-DH19" },
		{ ESP, "aes_gcm128;ecp384", "AES_GCM_16_128-DH20" },
		{ ESP, "aes_gcm128;ecp_384", "AES_GCM_16_128-DH20" },
		{ ESP, "aes_gcm128;dh20", "AES_GCM_16_128-DH20" },
		{ ESP, "aes_gcm128;ecp521", "AES_GCM_16_128-DH21" },
		{ ESP, "aes_gcm128;ecp_521", "AES_GCM_16_128-DH21" },
		{ ESP, "aes_gcm128;dh21", "AES_GCM_16_128-DH21" },
		{ ESP, "aes_gcm128;curve25519", "AES_GCM_16_128-DH31" },
		{ ESP, "aes_gcm128;x25519", "AES_GCM_16_128-DH31" },
		{ ESP, "aes_gcm128;dh31", "AES_GCM_16_128-DH31" },
		{ ESP, "aes_gcm128;DH31", "AES_GCM_16_128-DH31" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

/* A name without a key length offers 256 then 128, like libreswan's IKEv2. */
static void test_keylen_expansion(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes", "AES_CBC_256-HMAC_SHA2_256_128, AES_CBC_128-HMAC_SHA2_256_128" },
		{ ESP, "aes_cbc-sha1", "AES_CBC_256-HMAC_SHA1_96, AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes_gcm-null", "AES_GCM_16_256, AES_GCM_16_128" },
		{ ESP, "aes-sha1;dh19", "AES_CBC_256-HMAC_SHA1_96-DH19, AES_CBC_128-HMAC_SHA1_96-DH19" },
		{ IKE, "aes_gcm;dh19",
		  "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19, AES_GCM_16_128-PRF_HMAC_SHA2_256-DH19" },
		/* libreswan's older form: the key length as a token of its own */
		{ ESP, "aes-128-sha1", "AES_CBC_128-HMAC_SHA1_96" },
		{ ESP, "aes_gcm-256-null", "AES_GCM_16_256" },
		{ ESP, "aes-192", "AES_CBC_192-HMAC_SHA2_256_128" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

static void test_multiple_proposals(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes_gcm256,aes128-sha1;modp2048",
		  "AES_GCM_16_256, AES_CBC_128-HMAC_SHA1_96-MODP2048" },
		{ ESP, " aes_gcm128-null , aes256-sha2_512\t,chacha20_poly1305 ",
		  "AES_GCM_16_128, AES_CBC_256-HMAC_SHA2_512_256, CHACHA20_POLY1305" },
		{ IKE, "aes_gcm256-sha2_512;dh20,aes128-sha1;modp2048",
		  "AES_GCM_16_256-PRF_HMAC_SHA2_512-DH20, AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-MODP2048" },
		/* exact duplicates are offered once */
		{ ESP, "aes,aes256", "AES_CBC_256-HMAC_SHA2_256_128, AES_CBC_128-HMAC_SHA2_256_128" },
		{ ESP, "aes_gcm256,aes_gcm256-null", "AES_GCM_16_256" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

/* '+' alternatives expand in the order written: encr, integ, PRF, DH. */
static void test_plus_alternatives(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ ESP, "aes_gcm256+aes_gcm128", "AES_GCM_16_256, AES_GCM_16_128" },
		{ ESP, "aes256-sha2_512+sha2_256",
		  "AES_CBC_256-HMAC_SHA2_512_256, AES_CBC_256-HMAC_SHA2_256_128" },
		{ ESP, "aes128-sha1;dh19+modp2048",
		  "AES_CBC_128-HMAC_SHA1_96-DH19, AES_CBC_128-HMAC_SHA1_96-MODP2048" },
		{ IKE, "aes256-sha2_512+sha2_256;dh19+dh20",
		  "AES_CBC_256-HMAC_SHA2_512_256-PRF_HMAC_SHA2_512-DH19, "
		  "AES_CBC_256-HMAC_SHA2_512_256-PRF_HMAC_SHA2_512-DH20, "
		  "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-DH19, "
		  "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-DH20" },
		{ IKE, "aes_gcm256-null-sha2_512+sha2_256-dh31",
		  "AES_GCM_16_256-PRF_HMAC_SHA2_512-DH31, AES_GCM_16_256-PRF_HMAC_SHA2_256-DH31" },
		{ IKE, "aes_gcm256+aes256-sha2_256;dh19",
		  "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19, "
		  "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-DH19" },
	};
	check_oks(cases, ARRAY_LEN(cases));
}

/* ike= without DH gets the four default groups while they fit in
 * ALG_PROPOSALS_MAX, else only the first. */
static void test_ike_default_groups(void **state)
{
	(void)state;
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	static const enum dh_id groups[] = { DH_ECP256, DH_ECP384, DH_ECP521, DH_CURVE25519,
					     DH_MODP2048, DH_MODP3072, DH_MODP4096 };
	assert_true(alg_parse_ike("aes_gcm,aes", &ps, &d));
	assert_int_equal(ps.n, 4 * 7);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(ps.p[i].dh, groups[i]);

	/* 3 key lengths x 4 integrity x 4 PRFs x 7 groups would be 336 */
	static const char big[] = "aes128+aes192+aes256-sha1+sha2_256+sha2_384+sha2_512-sha1+sha2_256+sha2_384+sha2_512";
	assert_true(alg_parse_ike(big, &ps, &d));
	assert_int_equal(ps.n, 48);
	for (size_t i = 0; i < ps.n; i++)
		assert_int_equal(ps.p[i].dh, DH_ECP256);
	/* a group the user named is kept */
	char with_named[256];
	snprintf(with_named, sizeof(with_named), "%s,chacha20_poly1305;dh31", big);
	assert_true(alg_parse_ike(with_named, &ps, &d));
	assert_int_equal(ps.n, 49);
	assert_int_equal(ps.p[47].dh, DH_ECP256);
	assert_int_equal(ps.p[48].dh, DH_CURVE25519);
	assert_int_equal(d.count, 0);
}

static void test_errors_encr(void **state)
{
	(void)state;
	static const struct err_case cases[] = {
		{ IKE, "aes999-sha1",
		  "ike=aes999-sha1: unknown encryption algorithm 'aes999' (key length 999 is not valid for AES_CBC)" },
		{ ESP, "aes224-sha1",
		  "esp=aes224-sha1: unknown encryption algorithm 'aes224' (key length 224 is not valid for AES_CBC)" },
		{ ESP, "aes99999999999",
		  "esp=aes99999999999: unknown encryption algorithm 'aes99999999999' (key length 99999999999 is not valid for AES_CBC)" },
		{ ESP, "chacha20_poly1305_128",
		  "esp=chacha20_poly1305_128: unknown encryption algorithm 'chacha20_poly1305_128' (key length 128 is not valid for CHACHA20_POLY1305)" },
		{ ESP, "aes-999-sha1",
		  "esp=aes-999-sha1: unknown encryption algorithm 'aes-999' (key length 999 is not valid for AES_CBC)" },
		{ ESP, "3des-sha1", "esp=3des-sha1: unknown encryption algorithm '3des'" },
		{ ESP, "blowfish", "esp=blowfish: unknown encryption algorithm 'blowfish'" },
		{ ESP, "aes_ctr128-sha1", "esp=aes_ctr128-sha1: unknown encryption algorithm 'aes_ctr128'" },
		{ ESP, "aes_gcm256+des", "esp=aes_gcm256+des: unknown encryption algorithm 'des'" },
		{ ESP, "aes 128-sha1", "esp=aes 128-sha1: unknown encryption algorithm 'aes 128'" },
	};
	check_errs(cases, ARRAY_LEN(cases));
}

static void test_errors_integ(void **state)
{
	(void)state;
	static const struct err_case cases[] = {
		{ ESP, "aes_gcm256-sha1",
		  "esp=aes_gcm256-sha1: integrity algorithm 'sha1' cannot be combined with AEAD 'aes_gcm256'" },
		{ ESP, "aes_gcm+aes-sha1",
		  "esp=aes_gcm+aes-sha1: integrity algorithm 'sha1' cannot be combined with AEAD 'aes_gcm'" },
		{ IKE, "aes_gcm256-sha1-sha2_256",
		  "ike=aes_gcm256-sha1-sha2_256: integrity algorithm 'sha1' cannot be combined with AEAD 'aes_gcm256'" },
		{ ESP, "aes128-null",
		  "esp=aes128-null: non-AEAD encryption 'aes128' needs an integrity algorithm, not 'null'" },
		{ IKE, "aes128-none;dh19",
		  "ike=aes128-none;dh19: non-AEAD encryption 'aes128' needs an integrity algorithm, not 'none'" },
		{ ESP, "aes-sha3", "esp=aes-sha3: unknown integrity algorithm 'sha3'" },
		{ ESP, "aes-sha1+sha3", "esp=aes-sha1+sha3: unknown integrity algorithm 'sha3'" },
		{ ESP, "aes-md5", "esp=aes-md5: unknown integrity algorithm 'md5'" },
		{ IKE, "aes-sha3", "ike=aes-sha3: unknown PRF algorithm 'sha3'" },
		{ IKE, "aes_gcm-null-null",
		  "ike=aes_gcm-null-null: PRF algorithm 'null' is not allowed: IKE needs a PRF" },
		{ ESP, "aes_gcm-null+sha1",
		  "esp=aes_gcm-null+sha1: 'null' cannot be offered with other algorithms in 'null+sha1'" },
		{ ESP, "aes-sha1-sha2", "esp=aes-sha1-sha2: unexpected 'sha2': esp= takes one integrity algorithm" },
		{ IKE, "aes-sha1-sha2-sha2_512",
		  "ike=aes-sha1-sha2-sha2_512: unexpected 'sha2_512': ike= takes at most an integrity and a PRF algorithm" },
	};
	check_errs(cases, ARRAY_LEN(cases));
}

static void test_errors_dh(void **state)
{
	(void)state;
	static const struct err_case cases[] = {
		{ ESP, "aes-sha1;modp1024", "esp=aes-sha1;modp1024: unknown DH group 'modp1024'" },
		{ ESP, "aes-modp9999", "esp=aes-modp9999: unknown DH group 'modp9999'" },
		{ IKE, "aes-sha1-ecp1", "ike=aes-sha1-ecp1: unknown DH group 'ecp1'" },
		{ ESP, "aes-sha1-foo", "esp=aes-sha1-foo: unknown DH group 'foo'" },
		{ ESP, "aes;sha1", "esp=aes;sha1: unknown DH group 'sha1'" },
		{ ESP, "aes-sha1;dh19+dh99", "esp=aes-sha1;dh19+dh99: unknown DH group 'dh99'" },
		{ IKE, "aes-sha1;none", "ike=aes-sha1;none: DH group 'none' is not allowed: IKE needs a DH group" },
		{ ESP, "aes-sha1;none+dh19",
		  "esp=aes-sha1;none+dh19: 'none' cannot be offered with other DH groups in 'none+dh19'" },
	};
	check_errs(cases, ARRAY_LEN(cases));
}

static void test_errors_syntax(void **state)
{
	(void)state;
	static const struct err_case cases[] = {
		{ ESP, "", "esp=: proposal 1 is empty" },
		{ IKE, "  ", "ike=  : proposal 1 is empty" },
		{ ESP, "aes,,aes", "esp=aes,,aes: proposal 2 is empty" },
		{ ESP, "aes_gcm256,", "esp=aes_gcm256,: proposal 2 is empty" },
		{ ESP, ",aes_gcm256", "esp=,aes_gcm256: proposal 1 is empty" },
		{ ESP, "aes-", "esp=aes-: empty algorithm name in 'aes-'" },
		{ ESP, "aes--sha1", "esp=aes--sha1: empty algorithm name in 'aes--sha1'" },
		{ ESP, "aes-sha1;", "esp=aes-sha1;: empty algorithm name in 'aes-sha1;'" },
		{ ESP, ";dh19", "esp=;dh19: empty algorithm name in ';dh19'" },
		{ ESP, "aes+", "esp=aes+: empty alternative in 'aes+'" },
		{ ESP, "aes-sha1++sha2", "esp=aes-sha1++sha2: empty alternative in 'sha1++sha2'" },
		/* trailing garbage */
		{ ESP, "aes-sha1-modp2048-foo",
		  "esp=aes-sha1-modp2048-foo: unexpected 'foo' after DH group 'modp2048'" },
		{ ESP, "aes-sha1;dh19;dh20", "esp=aes-sha1;dh19;dh20: unexpected 'dh20' after DH group 'dh19'" },
		{ IKE, "aes-sha1;modp2048-sha1",
		  "ike=aes-sha1;modp2048-sha1: unexpected 'sha1' after DH group 'modp2048'" },
		{ ESP, "aes_gcm256-null;dh19-128", "esp=aes_gcm256-null;dh19-128: unexpected '128' after DH group 'dh19'" },
		/* a second key length, or one after an explicit length */
		{ ESP, "aes128-256", "esp=aes128-256: unknown integrity algorithm '256'" },
	};
	check_errs(cases, ARRAY_LEN(cases));
}

static void test_errors_too_many(void **state)
{
	(void)state;
	static const struct err_case cases[] = {
		/* named groups are never dropped to make room: 336 */
		{ IKE, "aes128+aes192+aes256-sha1+sha2_256+sha2_384+sha2_512-sha1+sha2_256+sha2_384+sha2_512;"
		       "dh14+dh15+dh16+dh19+dh20+dh21+dh31",
		  "ike=aes128+aes192+aes256-sha1+sha2_256+sha2_384+sha2_512-sha1+sha2_256+sha2_384+sha2_512;"
		  "dh14+dh15+dh16+dh19+dh20+dh21+dh31: too many proposals: they expand to more than 256" },
		/* a syntax error later in the string is reported first */
		{ IKE, "aes128+aes192+aes256-sha1+sha2_256+sha2_384+sha2_512-sha1+sha2_256+sha2_384+sha2_512;"
		       "dh14+dh15+dh16+dh19+dh20+dh21+dh31,foo",
		  "ike=aes128+aes192+aes256-sha1+sha2_256+sha2_384+sha2_512-sha1+sha2_256+sha2_384+sha2_512;"
		  "dh14+dh15+dh16+dh19+dh20+dh21+dh31,foo: unknown encryption algorithm 'foo'" },
	};
	check_errs(cases, ARRAY_LEN(cases));

	/* exactly 256 fits: 2 x 4 x 4 x 8, less the 0 duplicates */
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	assert_true(alg_parse_ike("aes128+aes256-sha1+sha2_256+sha2_384+sha2_512-sha1+sha2_256+sha2_384+sha2_512;"
				  "dh14+dh15+dh16+dh19+dh20+dh21+dh31+dh14", &ps, &d));
	assert_int_equal(ps.n, 2 * 4 * 4 * 7);
}

static void test_null_string(void **state)
{
	(void)state;
	struct alg_proposals ps = { .n = 5 };
	struct diag d;
	diag_init(&d);
	assert_false(alg_parse_esp(NULL, &ps, &d));
	assert_string_equal(d.text, "esp=: proposal 1 is empty\n");
	assert_int_equal(ps.n, 0);
}

/* Errors accumulate in the caller's diag, one line per failed parse. */
static void test_diag_accumulates(void **state)
{
	(void)state;
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	assert_false(alg_parse_esp("foo", &ps, &d));
	assert_false(alg_parse_ike("aes-bar", &ps, &d));
	assert_int_equal(d.count, 2);
	assert_string_equal(d.text, "esp=foo: unknown encryption algorithm 'foo'\n"
				    "ike=aes-bar: unknown PRF algorithm 'bar'\n");
}

static bool has_proposal(const struct alg_proposals *ps, const struct alg_proposal *want)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct alg_proposal *p = &ps->p[i];
		if (p->encr == want->encr && p->encr_keylen == want->encr_keylen && p->integ == want->integ &&
		    p->prf == want->prf && p->dh == want->dh)
			return true;
	}
	return false;
}

/* The defaults hold every combination of their ciphers, hashes and groups
 * (so a peer pairing them any way finds one), strongest first. */
static void test_defaults(void **state)
{
	(void)state;
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	static const unsigned keylens[] = { 256, 128 };
	static const enum prf_id prfs[] = { PRF_HMAC_SHA2_512, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_256 };
	static const enum integ_id integs[] = { INTEG_HMAC_SHA2_512_256, INTEG_HMAC_SHA2_384_192,
						INTEG_HMAC_SHA2_256_128 };
	static const enum dh_id groups[] = { DH_ECP256, DH_ECP384, DH_ECP521, DH_CURVE25519,
					     DH_MODP2048, DH_MODP3072, DH_MODP4096 };

	/* the strings behind the defaults parse, to exactly what the functions give */
	assert_true(alg_parse_ike(ALG_DEFAULT_IKE, &ps, &d));
	assert_true(alg_parse_esp(ALG_DEFAULT_ESP, &ps, &d));
	assert_int_equal(d.count, 0);

	alg_default_ike(&ps);
	assert_int_equal(ps.n, 2 * 3 * 7 + 2 * 3 * 3 * 7);
	for (size_t k = 0; k < 2; k++)
		for (size_t p = 0; p < 3; p++)
			for (size_t g = 0; g < 7; g++) {
				struct alg_proposal gcm = { ENCR_AES_GCM_16, keylens[k], INTEG_NONE, prfs[p], groups[g] };
				assert_true(has_proposal(&ps, &gcm));
				for (size_t i = 0; i < 3; i++) {
					struct alg_proposal cbc = { ENCR_AES_CBC, keylens[k], integs[i], prfs[p], groups[g] };
					assert_true(has_proposal(&ps, &cbc));
				}
			}
	assert_int_equal(ps.p[0].encr, ENCR_AES_GCM_16);
	assert_int_equal(ps.p[0].encr_keylen, 256);
	assert_int_equal(ps.p[0].prf, PRF_HMAC_SHA2_512);
	assert_int_equal(ps.p[0].dh, DH_ECP256);	/* the initiator's KE guess */

	alg_default_esp(&ps);
	assert_int_equal(ps.n, (2 + 2 * 3) * 8);
	for (size_t g = 0; g <= 7; g++) {
		enum dh_id dh = g == 0 ? DH_NONE : groups[g - 1];
		for (size_t k = 0; k < 2; k++) {
			struct alg_proposal gcm = { ENCR_AES_GCM_16, keylens[k], INTEG_NONE, PRF_NONE, dh };
			assert_true(has_proposal(&ps, &gcm));
			for (size_t i = 0; i < 3; i++) {
				struct alg_proposal cbc = { ENCR_AES_CBC, keylens[k], integs[i], PRF_NONE, dh };
				assert_true(has_proposal(&ps, &cbc));
			}
		}
	}
	assert_int_equal(ps.p[0].dh, DH_NONE);		/* without PFS first */
}

static void test_algorithm_names(void **state)
{
	(void)state;
	assert_string_equal(encr_name(ENCR_AES_CBC), "AES_CBC");
	assert_string_equal(encr_name(ENCR_AES_GCM_16), "AES_GCM_16");
	assert_string_equal(encr_name(ENCR_CHACHA20_POLY1305), "CHACHA20_POLY1305");
	assert_string_equal(encr_name(ENCR_NONE), "NONE");
	assert_string_equal(encr_name((enum encr_id)99), "UNKNOWN");

	assert_string_equal(integ_name(INTEG_HMAC_SHA1_96), "HMAC_SHA1_96");
	assert_string_equal(integ_name(INTEG_HMAC_SHA2_256_128), "HMAC_SHA2_256_128");
	assert_string_equal(integ_name(INTEG_HMAC_SHA2_384_192), "HMAC_SHA2_384_192");
	assert_string_equal(integ_name(INTEG_HMAC_SHA2_512_256), "HMAC_SHA2_512_256");
	assert_string_equal(integ_name(INTEG_NONE), "NONE");
	assert_string_equal(integ_name((enum integ_id)99), "UNKNOWN");

	assert_string_equal(prf_name(PRF_HMAC_SHA1), "PRF_HMAC_SHA1");
	assert_string_equal(prf_name(PRF_HMAC_SHA2_256), "PRF_HMAC_SHA2_256");
	assert_string_equal(prf_name(PRF_HMAC_SHA2_384), "PRF_HMAC_SHA2_384");
	assert_string_equal(prf_name(PRF_HMAC_SHA2_512), "PRF_HMAC_SHA2_512");
	assert_string_equal(prf_name(PRF_NONE), "NONE");
	assert_string_equal(prf_name((enum prf_id)99), "UNKNOWN");

	assert_string_equal(dh_name(DH_MODP2048), "MODP2048");
	assert_string_equal(dh_name(DH_MODP3072), "MODP3072");
	assert_string_equal(dh_name(DH_MODP4096), "MODP4096");
	assert_string_equal(dh_name(DH_ECP256), "DH19");
	assert_string_equal(dh_name(DH_ECP384), "DH20");
	assert_string_equal(dh_name(DH_ECP521), "DH21");
	assert_string_equal(dh_name(DH_CURVE25519), "DH31");
	assert_string_equal(dh_name(DH_NONE), "NONE");
	assert_string_equal(dh_name((enum dh_id)99), "UNKNOWN");
}

static void test_proposal_names(void **state)
{
	(void)state;
	char buf[ALG_NAME_MAX];
	struct alg_proposal gcm = { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_256, DH_ECP256 };
	struct alg_proposal cbc = { ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1, DH_MODP2048 };
	struct alg_proposal cha = { ENCR_CHACHA20_POLY1305, 256, INTEG_NONE, PRF_HMAC_SHA2_512, DH_CURVE25519 };
	struct alg_proposal esp = { ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96, PRF_NONE, DH_NONE };
	struct alg_proposal big = { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512, DH_ECP521 };

	assert_string_equal(alg_ike_name(&gcm, buf), "AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19");
	assert_string_equal(alg_ike_name(&cbc, buf), "AES_CBC_128-HMAC_SHA1_96-PRF_HMAC_SHA1-MODP2048");
	assert_string_equal(alg_ike_name(&cha, buf), "CHACHA20_POLY1305-PRF_HMAC_SHA2_512-DH31");
	assert_string_equal(alg_ike_name(&big, buf),
			    "AES_CBC_256-HMAC_SHA2_512_256-PRF_HMAC_SHA2_512-DH21");

	/* ESP leaves out the PRF; the group only when PFS sets one */
	assert_string_equal(alg_esp_name(&esp, buf), "AES_CBC_128-HMAC_SHA1_96");
	assert_string_equal(alg_esp_name(&cbc, buf), "AES_CBC_128-HMAC_SHA1_96-MODP2048");
	gcm.dh = DH_NONE;
	assert_string_equal(alg_esp_name(&gcm, buf), "AES_GCM_16_256");
	assert_string_equal(alg_esp_name(&cha, buf), "CHACHA20_POLY1305-DH31");

	/* a zero key length is left out rather than printed as _0 */
	struct alg_proposal nolen = { ENCR_AES_GCM_16, 0, INTEG_NONE, PRF_NONE, DH_NONE };
	assert_string_equal(alg_esp_name(&nolen, buf), "AES_GCM_16");
}

static void test_proposals_name_buffer(void **state)
{
	(void)state;
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	assert_true(alg_parse_esp("aes_gcm256,aes128-sha1", &ps, &d));

	char big[64];
	assert_string_equal(alg_proposals_name(&ps, false, big, sizeof(big)),
			    "AES_GCM_16_256, AES_CBC_128-HMAC_SHA1_96");

	char small[20];
	assert_string_equal(alg_proposals_name(&ps, false, small, sizeof(small)),
			    "AES_GCM_16_256, ...");

	char none[1] = { 'x' };
	alg_proposals_name(&ps, false, none, 0);	/* writes nothing */
	assert_int_equal(none[0], 'x');

	struct alg_proposals empty = { .n = 0 };
	assert_string_equal(alg_proposals_name(&empty, true, big, sizeof(big)), "");
}

static void test_kernel_facts(void **state)
{
	(void)state;
	assert_string_equal(encr_kernel_name(ENCR_AES_GCM_16), "rfc4106(gcm(aes))");
	assert_string_equal(encr_kernel_name(ENCR_AES_CBC), "cbc(aes)");
	assert_string_equal(encr_kernel_name(ENCR_CHACHA20_POLY1305), "rfc7539esp(chacha20,poly1305)");
	assert_null(encr_kernel_name(ENCR_NONE));

	assert_string_equal(integ_kernel_name(INTEG_HMAC_SHA1_96), "hmac(sha1)");
	assert_string_equal(integ_kernel_name(INTEG_HMAC_SHA2_256_128), "hmac(sha256)");
	assert_string_equal(integ_kernel_name(INTEG_HMAC_SHA2_384_192), "hmac(sha384)");
	assert_string_equal(integ_kernel_name(INTEG_HMAC_SHA2_512_256), "hmac(sha512)");
	assert_null(integ_kernel_name(INTEG_NONE));

	assert_int_equal(integ_key_bytes(INTEG_HMAC_SHA1_96), 20);
	assert_int_equal(integ_key_bytes(INTEG_HMAC_SHA2_256_128), 32);
	assert_int_equal(integ_key_bytes(INTEG_HMAC_SHA2_384_192), 48);
	assert_int_equal(integ_key_bytes(INTEG_HMAC_SHA2_512_256), 64);
	assert_int_equal(integ_key_bytes(INTEG_NONE), 0);

	assert_int_equal(integ_icv_bits(INTEG_HMAC_SHA1_96), 96);
	assert_int_equal(integ_icv_bits(INTEG_HMAC_SHA2_256_128), 128);
	assert_int_equal(integ_icv_bits(INTEG_HMAC_SHA2_384_192), 192);
	assert_int_equal(integ_icv_bits(INTEG_HMAC_SHA2_512_256), 256);
	assert_int_equal(integ_icv_bits(INTEG_NONE), 0);

	assert_int_equal(encr_salt_bytes(ENCR_AES_GCM_16), 4);
	assert_int_equal(encr_salt_bytes(ENCR_CHACHA20_POLY1305), 4);
	assert_int_equal(encr_salt_bytes(ENCR_AES_CBC), 0);
	assert_int_equal(encr_icv_bits(ENCR_AES_GCM_16), 128);
	assert_int_equal(encr_icv_bits(ENCR_CHACHA20_POLY1305), 128);
	assert_int_equal(encr_icv_bits(ENCR_AES_CBC), 0);

	assert_true(encr_is_aead(ENCR_AES_GCM_16));
	assert_true(encr_is_aead(ENCR_CHACHA20_POLY1305));
	assert_false(encr_is_aead(ENCR_AES_CBC));
	assert_false(encr_is_aead(ENCR_NONE));
}

static void test_keylen_ok(void **state)
{
	(void)state;
	assert_true(encr_keylen_ok(ENCR_AES_CBC, 128));
	assert_true(encr_keylen_ok(ENCR_AES_CBC, 192));
	assert_true(encr_keylen_ok(ENCR_AES_CBC, 256));
	assert_false(encr_keylen_ok(ENCR_AES_CBC, 0));
	assert_false(encr_keylen_ok(ENCR_AES_CBC, 512));
	assert_true(encr_keylen_ok(ENCR_AES_GCM_16, 192));
	assert_true(encr_keylen_ok(ENCR_CHACHA20_POLY1305, 256));
	assert_false(encr_keylen_ok(ENCR_CHACHA20_POLY1305, 128));
	assert_false(encr_keylen_ok(ENCR_NONE, 128));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_forms_esp),
		cmocka_unit_test(test_issue_forms_ike),
		cmocka_unit_test(test_proposal_fields),
		cmocka_unit_test(test_ike_hash_rules),
		cmocka_unit_test(test_esp_rules),
		cmocka_unit_test(test_encr_spellings),
		cmocka_unit_test(test_hash_spellings),
		cmocka_unit_test(test_dh_spellings),
		cmocka_unit_test(test_keylen_expansion),
		cmocka_unit_test(test_multiple_proposals),
		cmocka_unit_test(test_plus_alternatives),
		cmocka_unit_test(test_ike_default_groups),
		cmocka_unit_test(test_errors_encr),
		cmocka_unit_test(test_errors_integ),
		cmocka_unit_test(test_errors_dh),
		cmocka_unit_test(test_errors_syntax),
		cmocka_unit_test(test_errors_too_many),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_diag_accumulates),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_algorithm_names),
		cmocka_unit_test(test_proposal_names),
		cmocka_unit_test(test_proposals_name_buffer),
		cmocka_unit_test(test_kernel_facts),
		cmocka_unit_test(test_keylen_ok),
	};
	/* TAP, which testing/run-suite collects */
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
