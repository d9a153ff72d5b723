/* Unit tests of fips=yes: NSS in FIPS mode derives the same IKE keys as
 * the known answers of test_ike_crypto.c, refuses to hand any of them out
 * as a plain value, and runs a PSK exchange (two ends in one process,
 * ike_harness.h) in which KEYMAT is the only key that leaves NSS; and the
 * algorithms FIPS mode does not allow are refused at --add, or left out of
 * the defaults (fips.h). Its own binary: FIPS mode, once entered, is the
 * process's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "ike_crypto_internal.h"
#include "fips.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh19\n"
	"\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tike=aes256-sha2_256;dh19,aes_gcm256-sha2_256;dh19\n"
	"\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn x25519\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh19,aes_gcm256-sha2_256;dh31\n"
	"\tauto=ignore\n"
	"conn chacha\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tesp=chacha20_poly1305-null\n\tauto=ignore\n"
	"conn defaults\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tauto=ignore\n";
static const char secrets[] = WEST " " EAST " : PSK \"a PSK of fewer than 112 bits? no: this one is long\"\n";

static int start(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	if (!ike_crypto_init(&d) || !ike_crypto_enter_fips(&d)) {
		fprintf(stderr, "%s", d.text);
		return -1;
	}
	return harness_start(conf, secrets) ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

static const struct conn_config *config(const char *name)
{
	for (size_t i = 0; i < pluto.conf->nconns; i++) {
		if (strcmp(pluto.conf->conns[i].name, name) == 0)
			return &pluto.conf->conns[i];
	}
	fail_msg("no conn %s", name);
	return NULL;
}

static void test_nss_is_in_fips_mode(void **state)
{
	(void)state;
	assert_true(ike_crypto_fips());
	assert_true(PK11_IsFIPS());
}

/* ---- the known answers of test_ike_crypto.c, derived in FIPS mode ---- */

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* SK_d | SK_ai | ... | SK_pr for the inputs test_ike_crypto.c uses. */
static size_t fips_keymat(const struct alg_proposal *ike, uint8_t *km, struct ike_keys *k)
{
	uint8_t ni[32], nr[48], g[256];
	for (size_t i = 0; i < sizeof(ni); i++)
		ni[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(nr); i++)
		nr[i] = (uint8_t)(0x20 + i);
	for (size_t i = 0; i < sizeof(g); i++)
		g[i] = (uint8_t)(i * 7 + 3);
	static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, spi_r[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	PK11SymKey *g_ir = ike_key_import(g, sizeof(g));
	assert_non_null(g_ir);
	assert_true(ike_derive_keys(ike, ni, sizeof(ni), nr, sizeof(nr), g_ir, spi_i, spi_r, k));
	ike_key_free(g_ir);
	PK11SymKey *keys[] = { k->sk_d, k->sk_ai, k->sk_ar, k->sk_ei, k->sk_er, k->sk_pi, k->sk_pr };
	size_t n = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i] == NULL)
			continue;
		size_t len = ike_key_len(keys[i]);
		assert_true(ike_key_value(keys[i], km + n, len));
		n += len;
		if (keys[i] == k->sk_ei || keys[i] == k->sk_er) {
			size_t salt = k->e_len - len;
			memcpy(km + n, keys[i] == k->sk_ei ? k->salt_i : k->salt_r, salt);
			n += salt;
		}
	}
	return n;
}

static void test_fips_keys_equal_the_known_answers(void **state)
{
	(void)state;
	struct alg_proposal cbc = { ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1, DH_MODP2048 };
	struct ike_keys k;
	uint8_t km[7 * IKE_PRF_MAX];
	char hex[2 * sizeof(km) + 1];
	hex_of(km, fips_keymat(&cbc, km, &k), hex);
	assert_string_equal(hex, "9771f2c35143935037644df6775e7b8a08b2e8513a0ba0dffd62d169374e4d7a"
				 "fa435c760d57331219b52c88ee5de4d50bb3e6f17f19c9ee99c71503c15624fe"
				 "8148be4181caeb23bff5daadc7ee9294c6a8d2195603a26a9f0aa0d507c3ea31"
				 "50a03e697661d68cf2d6bd2ecfa5268c0e662ffd704c17cf6e96c352094b92bd"
				 "0526af45");
	/* NSS in FIPS mode will not give a key's value to a plain read. */
	assert_int_not_equal(PK11_ExtractKeyValue(k.sk_d), SECSuccess);
	assert_int_not_equal(PK11_ExtractKeyValue(k.sk_ei), SECSuccess);
	ike_keys_wipe(&k);
	struct alg_proposal gcm = { ENCR_AES_GCM_16, 256, INTEG_NONE, PRF_HMAC_SHA2_256, DH_MODP2048 };
	hex_of(km, fips_keymat(&gcm, km, &k), hex);
	assert_string_equal(hex, "6038ff7d1573c10080ec9337eb5d2b6653da2c1155e03788d4d4e8ca2352735d"
				 "47605e53485d02e48536588bb77e1e27635e69dc290ae39ae574803167323d60"
				 "7050571305c28da29f928e038e328b3ba7f9bf59f9c85795fa6137d108dad9ff"
				 "e1cb6ffb1bcc3b03286bf35568a1bd1027304985aa629b589329b7cb32529d96"
				 "c191351322c2c2c0e0f58da1b6d4a0a5bac8f950a1ea7259c8e20cc0c524424e"
				 "056d155e42efa695");
	ike_keys_wipe(&k);
}

/* ---- a PSK exchange in FIPS mode ---- */

static void test_psk_tunnel_in_fips_mode_only_keymat_leaves_nss(void **state)
{
	(void)state;
	unsigned long before = ike_key_extractions();
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	struct ike_sa *i, *r;
	assert_true(harness_tunnel_up("west", "east", &i, &r));
	/* one KEYMAT for each end's child, nothing else */
	assert_int_equal(ike_key_extractions() - before, 2);
	assert_int_not_equal(PK11_ExtractKeyValue(i->keys->sk_d), SECSuccess);
	assert_int_not_equal(PK11_ExtractKeyValue(r->keys->sk_ei), SECSuccess);
	/* SK_pi and SK_pr went once both AUTHs were done */
	assert_null(i->keys->sk_pi);
	assert_null(i->keys->sk_pr);
	assert_null(r->keys->sk_pi);
	assert_null(r->keys->sk_pr);
	/* both ends' kernel SAs got the same ESP keys */
	size_t same = 0;
	for (size_t a = 0; a < dbl.nsas; a++) {
		for (size_t b = 0; b < dbl.nsas; b++) {
			same += a != b && dbl.sas[a].spi == dbl.sas[b].spi && dbl.sas[a].keys_len > 0 &&
				dbl.sas[a].keys_len == dbl.sas[b].keys_len &&
				memcmp(dbl.sas[a].keys, dbl.sas[b].keys, dbl.sas[a].keys_len) == 0;
		}
	}
	assert_int_equal(same, 4);	/* two SPIs, each installed at both ends, counted both ways */
}

/* ---- algorithms ---- */

static void test_fips_refuses_x25519_and_chacha_at_add(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	const struct conn_config *x = config("x25519");
	assert_false(conn_loadable(x, true, &d));
	char want[512];
	snprintf(want, sizeof(want), "%s:%d: conn \"x25519\" cannot be added: fips=yes: ike=aes_gcm256-sha2_256;dh19,aes_gcm256-sha2_256;dh31 uses DH31, which FIPS mode does not allow\n",
		 x->file, x->line);
	assert_string_equal(d.text, want);
	diag_init(&d);
	const struct conn_config *c = config("chacha");
	assert_false(conn_loadable(c, true, &d));
	snprintf(want, sizeof(want), "%s:%d: conn \"chacha\" cannot be added: fips=yes: esp=chacha20_poly1305-null uses CHACHA20_POLY1305, which FIPS mode does not allow\n",
		 c->file, c->line);
	assert_string_equal(d.text, want);
	/* without fips=yes both load */
	diag_init(&d);
	assert_true(conn_loadable(x, false, &d));
	assert_true(conn_loadable(c, false, &d));
}

static bool has_disallowed(const struct alg_proposals *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (fips_disallowed(&ps->p[i]) != NULL)
			return true;
	}
	return false;
}

static void test_fips_leaves_disallowed_defaults_out(void **state)
{
	(void)state;
	const struct conn_config *cfg = config("defaults");
	/* the defaults offer X25519 and ChaCha20: there is something to trim */
	assert_true(has_disallowed(cfg->ike_proposals));
	assert_true(has_disallowed(cfg->esp_proposals));
	struct diag d, notes;
	diag_init(&d);
	diag_init(&notes);
	bool replaced;
	struct connection *c = conn_load(cfg, true, &replaced, &d, &notes);
	assert_non_null(c);
	assert_false(has_disallowed(c->config->ike_proposals));
	assert_false(has_disallowed(c->config->esp_proposals));
	assert_true(c->config->ike_proposals->n > 0);
	assert_true(c->config->esp_proposals->n > 0);
	/* the lists are shared (alg.h): the conn's trimmed copy leaves the
	 * config's, and any other conn's, as they were */
	assert_true(has_disallowed(cfg->ike_proposals));
	assert_true(has_disallowed(cfg->esp_proposals));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nss_is_in_fips_mode, start, stop),
		cmocka_unit_test_setup_teardown(test_fips_keys_equal_the_known_answers, start, stop),
		cmocka_unit_test_setup_teardown(test_psk_tunnel_in_fips_mode_only_keymat_leaves_nss, start, stop),
		cmocka_unit_test_setup_teardown(test_fips_refuses_x25519_and_chacha_at_add, start, stop),
		cmocka_unit_test_setup_teardown(test_fips_leaves_disallowed_defaults_out, start, stop),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
