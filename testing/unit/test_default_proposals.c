/* Unit tests of the default proposals (alg.h) against what peers send:
 * libreswan 4.10 and strongSwan 5.9.8 at their defaults, as captured from
 * their IKE_SA_INIT requests in the test VM (2026-11-27), and common
 * explicit settings of each. Every one must be accepted by our defaults,
 * and within the proposal of the peer's that we take (the peer's order
 * decides which: RFC 7296 2.7), we take the strongest of what it offers
 * and we accept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ikev2_msg.h"

/* A proposal written as transforms: E<id>[/<keylen>] encryption,
 * P<id> PRF, I<id> integrity, D<id> DH group, N<0|1> ESN. */
static struct ikev2_proposal proposal(uint8_t num, enum ikev2_protocol proto, const char *text)
{
	struct ikev2_proposal p = { .num = num, .protocol = (uint8_t)proto };
	if (proto == PROTO_ESP) {
		p.spi_len = 4;
		memcpy(p.spi, "\x12\x34\x56\x78", 4);
	}
	static const char types[] = " EPIDN";
	for (const char *s = text; *s != '\0';) {
		while (*s == ' ')
			s++;
		const char *type = strchr(types, *s);
		assert_non_null(type);
		char *end;
		unsigned long id = strtoul(s + 1, &end, 10), keylen = 0;
		if (*end == '/')
			keylen = strtoul(end + 1, &end, 10);
		p.t[p.nt++] = (struct ikev2_transform){ (uint8_t)(type - types), (uint16_t)id, (uint16_t)keylen, false };
		s = end;
	}
	return p;
}

struct peer_case {
	const char *who;
	enum ikev2_protocol proto;
	const char *proposals[4];
	struct alg_proposal want;
	bool esn;
};

/* The DH groups a peer offers alongside (libreswan's and strongSwan's). */
#define LIBRESWAN_GROUPS " D14 D15 D16 D18 D19 D20 D21 D31"
#define STRONGSWAN_GROUPS " D31 D32 D19 D20 D21 D28 D29 D30 D15 D16 D17 D18 D14"

static const struct peer_case cases[] = {
	/* ---- at their defaults, as captured ---- */
	{ "libreswan 4.10, ike= default", PROTO_IKE, {
		  "E20/256 P7 P5" LIBRESWAN_GROUPS,
		  "E20/128 P7 P5" LIBRESWAN_GROUPS,
		  "E12/256 P7 P5 I14 I12" LIBRESWAN_GROUPS,
		  "E12/128 P7 P5 I14 I12" LIBRESWAN_GROUPS },
	  { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_512, DH_ECP256 }, false },
	/* strongSwan lists CBC (and CTR, Camellia, 3DES) first, AEAD second */
	{ "strongSwan 5.9.8, proposals= default", PROTO_IKE, {
		  "E12/128 E12/192 E12/256 E13/128 E13/192 E13/256 E23/128 E23/192 E23/256 E24/128 E24/192 E24/256 E3"
		  " I12 I13 I14 I2 P5 P6 P7 P2" STRONGSWAN_GROUPS,
		  "E20/128 E20/192 E20/256 E16/128 E16/192 E16/256 E28 E19/128 E19/192 E19/256 E18/128 E18/192 E18/256"
		  " E15/128 E15/192 E15/256 E14/128 E14/192 E14/256 P5 P6 P7 P2" STRONGSWAN_GROUPS },
	  { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512, DH_ECP256 }, false },

	/* ---- common explicit settings ---- */
	{ "strongSwan proposals = aes256gcm16-prfsha256-ecp256", PROTO_IKE, { "E20/256 P5 D19" },
	  { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_256, DH_ECP256 }, false },
	{ "strongSwan proposals = aes128gcm16-prfsha384-ecp384", PROTO_IKE, { "E20/128 P6 D20" },
	  { ENCR_AES_GCM_16, 128, INTEG_NONE, PRF_HMAC_SHA2_384, DH_ECP384 }, false },
	{ "strongSwan proposals = aes256gcm16-prfsha512-curve25519", PROTO_IKE, { "E20/256 P7 D31" },
	  { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_512, DH_CURVE25519 }, false },
	{ "strongSwan proposals = aes256-sha256-modp2048", PROTO_IKE, { "E12/256 I12 P5 D14" },
	  { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256, DH_MODP2048 }, false },
	{ "strongSwan proposals = aes128-sha384-prfsha512-modp3072", PROTO_IKE, { "E12/128 I13 P7 D15" },
	  { ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_384_192, PRF_HMAC_SHA2_512, DH_MODP3072 }, false },
	{ "libreswan ike=aes_gcm256-sha2_256;dh19", PROTO_IKE, { "E20/256 P5 D19" },
	  { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_256, DH_ECP256 }, false },
	{ "libreswan ike=aes_gcm128-sha2_512;dh21", PROTO_IKE, { "E20/128 P7 D21" },
	  { ENCR_AES_GCM_16, 128, INTEG_NONE, PRF_HMAC_SHA2_512, DH_ECP521 }, false },
	{ "libreswan ike=aes256-sha2_512;modp4096", PROTO_IKE, { "E12/256 P7 I14 D16" },
	  { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512, DH_MODP4096 }, false },

	/* ---- ESP, in IKE_AUTH (no DH) and in CREATE_CHILD_SA (PFS) ---- */
	{ "strongSwan esp_proposals = aes128gcm16", PROTO_ESP, { "E20/128 N0" },
	  { ENCR_AES_GCM_16, 128, INTEG_NONE, PRF_NONE, DH_NONE }, false },
	{ "strongSwan esp_proposals = aes128gcm16-ecp256 (PFS)", PROTO_ESP, { "E20/128 D19 N0" },
	  { ENCR_AES_GCM_16, 128, INTEG_NONE, PRF_NONE, DH_ECP256 }, false },
	{ "strongSwan esp_proposals = aes256-sha512-modp2048 (PFS)", PROTO_ESP, { "E12/256 I14 D14 N0" },
	  { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256, PRF_NONE, DH_MODP2048 }, false },
	{ "strongSwan esp_proposals = aes128-sha384-curve25519 (PFS)", PROTO_ESP, { "E12/128 I13 D31 N0" },
	  { ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_384_192, PRF_NONE, DH_CURVE25519 }, false },
	{ "libreswan esp=aes_gcm256 (ESN either)", PROTO_ESP, { "E20/256 N1 N0" },
	  { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_NONE, DH_NONE }, true },
	{ "libreswan esp=aes256-sha2_256;dh20 (PFS)", PROTO_ESP, { "E12/256 I12 D20 N1 N0" },
	  { ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_256_128, PRF_NONE, DH_ECP384 }, true },
	{ "libreswan esp=aes_gcm128+aes_gcm256 (two ciphers)", PROTO_ESP, { "E20/128 E20/256 N1 N0" },
	  { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_NONE, DH_NONE }, true },
};

static void check_case(const struct peer_case *c)
{
	struct alg_proposals ours;
	if (c->proto == PROTO_IKE)
		alg_default_ike(&ours);
	else
		alg_default_esp(&ours);
	static struct ikev2_sa_payload offered, chosen;
	memset(&offered, 0, sizeof(offered));
	for (size_t i = 0; i < 4 && c->proposals[i] != NULL; i++)
		offered.prop[offered.n++] = proposal((uint8_t)(i + 1), c->proto, c->proposals[i]);
	struct alg_proposal alg;
	bool esn = false;
	if (!ikev2_sa_choose(&offered, &ours, c->proto, 2, &chosen, &alg, &esn))
		fail_msg("%s: refused by the defaults", c->who);
	const struct alg_proposal *w = &c->want;
	if (alg.encr != w->encr || alg.encr_keylen != w->encr_keylen || alg.integ != w->integ ||
	    (c->proto == PROTO_IKE && alg.prf != w->prf) || alg.dh != w->dh || esn != c->esn)
		fail_msg("%s: chose encr %d/%u integ %d prf %d dh %d esn %d; want encr %d/%u integ %d prf %d dh %d esn %d",
			 c->who, alg.encr, alg.encr_keylen, alg.integ, alg.prf, alg.dh, esn,
			 w->encr, w->encr_keylen, w->integ, w->prf, w->dh, c->esn);
}

static void test_what_peers_send_is_accepted_by_the_defaults(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* And what the defaults offer, a peer at the same defaults takes. */
static void test_the_defaults_take_their_own_offer(void **state)
{
	(void)state;
	struct alg_proposals ike, esp;
	alg_default_ike(&ike);
	alg_default_esp(&esp);
	static struct ikev2_sa_payload offered, chosen;
	struct alg_proposal alg;
	bool esn;
	ikev2_sa_from_proposals(&ike, PROTO_IKE, NULL, 0, 0, &offered);
	assert_true(ikev2_sa_choose(&offered, &ike, PROTO_IKE, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(alg.encr_keylen, 256);
	assert_int_equal(alg.prf, PRF_HMAC_SHA2_512);
	ikev2_sa_from_proposals(&esp, PROTO_ESP, (const uint8_t *)"\1\2\3\4", 4, 2, &offered);
	assert_true(ikev2_sa_choose(&offered, &esp, PROTO_ESP, 2, &chosen, &alg, &esn));
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(alg.dh, DH_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_peers_send_is_accepted_by_the_defaults),
		cmocka_unit_test(test_the_defaults_take_their_own_offer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
