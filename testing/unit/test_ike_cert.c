/* Unit tests of authentication by certificate, two ends in one process
 * (ike_harness.h) over an NSS database made at test time by
 * testing/certs/mkcerts.sh: RSA and ECDSA signatures (RFC 7427) both
 * ways, DNs and subjectAltNames as IDs, leftsendcert=, and the one-line
 * reasons for an expired certificate, an unknown CA and a wrong ID; the
 * --add checks of leftcert=; the caps on a peer's CERT payloads; and
 * signatures made and checked directly. Both ends share the one
 * database, so the peer's certificate is also in it: the VM scenarios
 * are where each end has only its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "ike_cert.h"
#include "ike_id.h"
#include "ike_sig.h"
#include "ikev2_cert.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static struct tmpdir certs;
static char dbdir[PATH_MAX];

static int make_certs(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 64];
	tmpdir_make(&certs);
	snprintf(cmd, sizeof(cmd), "MKCERTS_DB_ONLY=1 testing/certs/mkcerts.sh %s", certs.path);
	if (system(cmd) != 0) {
		fprintf(stderr, "testing/certs/mkcerts.sh failed (is certutil, libnss3-tools, installed?)\n");
		return -1;
	}
	tmpdir_file_path(&certs, "db", dbdir);
	return 0;
}

static int remove_certs(void **state)
{
	(void)state;
	tmpdir_remove(&certs);
	return 0;
}

static bool open_db(void)
{
	struct nss_db_open db;
	struct diag d;
	diag_init(&d);
	return ike_crypto_init_db(dbdir, &db, &d) && db.state == NSS_DB_OPEN;
}

/* Both ends' conns: west's and east's keywords added to a common base. */
static bool start_with(const char *west, const char *east)
{
	char conf[2048];
	snprintf(conf, sizeof(conf),
		 "conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tesp=aes_gcm128-null\n\tauto=add\n%s"
		 "conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tesp=aes_gcm128-null\n\tauto=add\n%s",
		 west, east);
	return open_db() && harness_start(conf, "");
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

static struct connection *conn(const char *name)
{
	struct connection *c = conn_find(name);
	assert_non_null(c);
	return c;
}

static void up(void)
{
	ikev2_initiate(conn("west"), 0);
	wire_pump(32);
}

static void assert_up(const char *peer_auth_of_east, const char *peer_auth_of_west)
{
	struct ike_sa *i, *r;
	assert_true(harness_tunnel_up("west", "east", &i, &r));
	if (strstr(i->peer_auth, peer_auth_of_east) == NULL)
		fail_msg("west says east authenticated with: %s", i->peer_auth);
	if (strstr(r->peer_auth, peer_auth_of_west) == NULL)
		fail_msg("east says west authenticated with: %s", r->peer_auth);
}

static void assert_failed(const char *name, const char *why)
{
	assert_null(harness_sa("west", true) != NULL && harness_sa("west", true)->state == IKE_ESTABLISHED ?
		    (void *)1 : NULL);
	const char *got = retry_why(&conn(name)->retry);
	if (strstr(got, why) == NULL)
		fail_msg("conn %s failed with '%s', not '%s'", name, got, why);
}

#define RSA_WEST "\tauthby=rsasig\n\tleftcert=west\n\tleftid=%fromcert\n\trightid=\"CN=east, O=Swan Test\"\n"
#define RSA_EAST "\tauthby=rsasig\n\tleftcert=east\n\trightid=\"CN=west,O=Swan Test\"\n"

static void test_rsa_certificates_with_dns_as_ids(void **state)
{
	(void)state;
	assert_true(start_with(RSA_WEST, RSA_EAST));
	/* leftid=%fromcert, and leftcert= without leftid=, are the subject */
	assert_string_equal(conn("west")->ends.local_id, "CN=west,O=Swan Test");
	assert_string_equal(conn("east")->ends.local_id, "CN=east,O=Swan Test");
	up();
	assert_up("an RSA signature and certificate 'CN=east,O=Swan Test'",
		  "an RSA signature and certificate 'CN=west,O=Swan Test'");
	assert_string_equal(harness_sa("west", true)->ends.remote_id, "CN=east,O=Swan Test");
	/* both sent SIGNATURE_HASH_ALGORITHMS with the three SHA2 */
	assert_int_equal(harness_sa("west", true)->peer_sig_hashes, ike_sig_hashes());
	assert_int_equal(harness_sa("east", false)->peer_sig_hashes, ike_sig_hashes());
}

static void test_ecdsa_certificates_p256_and_p384(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=ecdsa\n\tleftcert=west-ec\n\trightid=%fromcert\n",
			       "\tauthby=ecdsa\n\tleftcert=east-ec\n\trightid=%fromcert\n"));
	up();
	assert_up("an ECDSA signature and certificate 'CN=east-ec,O=Swan Test'",
		  "an ECDSA signature and certificate 'CN=west-ec,O=Swan Test'");
}

/* leftauth=/rightauth=: each end its own method. */
static void test_an_rsa_end_and_an_ecdsa_end(void **state)
{
	(void)state;
	assert_true(start_with("\tleftauth=rsasig\n\trightauth=ecdsa\n\tleftcert=west\n\trightid=%fromcert\n",
			       "\tleftauth=ecdsa\n\trightauth=rsasig\n\tleftcert=east-ec\n\trightid=%fromcert\n"));
	up();
	assert_up("an ECDSA signature", "an RSA signature");
}

/* An end with a certificate and one with a PSK, in one IKE SA. */
static void test_a_certificate_one_way_and_a_psk_the_other(void **state)
{
	(void)state;
	char conf[1024];
	snprintf(conf, sizeof(conf),
		 "conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tleftauth=secret\n\trightauth=rsasig\n"
		 "\tleftid=@west\n\trightid=%%fromcert\n\tauto=add\n"
		 "conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftauth=rsasig\n\trightauth=secret\n"
		 "\tleftcert=east\n\trightid=@west\n\tauto=add\n");
	/* ipsec.secrets takes no DN: a PSK for @west and %any serves */
	assert_true(open_db());
	assert_true(harness_start(conf, "@west %any : PSK \"harness secret, not a real one\"\n"));
	up();
	assert_up("an RSA signature and certificate 'CN=east,O=Swan Test'", "a pre-shared key");
}

/* The ID a peer sends may be a subjectAltName of its certificate. */
static void test_subject_alt_names_as_ids(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=west\n\tleftid=west@example\n\trightid=@east.example\n",
			       "\tauthby=rsasig\n\tleftcert=east\n\tleftid=@east.example\n\trightid=west@example\n"));
	up();
	assert_up("certificate 'CN=east,O=Swan Test'", "certificate 'CN=west,O=Swan Test'");
	assert_string_equal(harness_sa("east", false)->ends.remote_id, "west@example");
}

static void test_an_id_its_certificate_does_not_name_is_refused(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=west\n\trightid=%fromcert\n",
			       "\tauthby=rsasig\n\tleftcert=east\n\tleftid=@west.example\n\trightid=%fromcert\n"));
	up();
	assert_failed("west", "authentication failed: certificate 'CN=east,O=Swan Test' does not name the peer's ID '@west.example'");
}

static void test_an_expired_certificate_is_refused(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=west\n\trightid=%fromcert\n",
			       "\tauthby=rsasig\n\tleftcert=expired\n\trightid=%fromcert\n"));
	up();
	assert_failed("west", "authentication failed: certificate 'CN=expired,O=Swan Test' has expired");
}

static void test_a_certificate_of_an_unknown_ca_is_refused(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=west\n\trightid=%fromcert\n",
			       "\tauthby=rsasig\n\tleftcert=rogue\n\trightid=%fromcert\n"));
	up();
	assert_failed("west", "authentication failed: certificate 'CN=rogue,O=Swan Test' is issued by 'CN=Rogue CA,O=Swan Test', a CA this host does not trust (unknown CA)");
	/* and the responder's refusal reaches the initiator as one */
	stop(state);
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=rogue\n\trightid=%fromcert\n",
			       "\tauthby=rsasig\n\tleftcert=east\n\trightid=%fromcert\n"));
	up();
	assert_failed("west", "rejected our authentication (AUTHENTICATION_FAILED)");
	assert_null(harness_sa("east", false));
}

/* The conn's other end must sign with the kind of key it names. */
static void test_an_ecdsa_signature_where_rsa_is_expected_is_refused(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=west\n\trightid=%fromcert\n",
			       "\tleftauth=ecdsa\n\trightauth=rsasig\n\tleftcert=east-ec\n\trightid=%fromcert\n"));
	up();
	assert_failed("west", "authentication failed: the peer signed with ECDSA with SHA2-384 and an ECDSA key; the conn expects an RSA signature");
}

/* leftsendcert=never: the peer gets no certificate, and says so. */
static void test_sendcert_never_leaves_the_peer_without_one(void **state)
{
	(void)state;
	assert_true(start_with("\tauthby=rsasig\n\tleftcert=west\n\trightid=%fromcert\n",
			       "\tauthby=rsasig\n\tleftcert=east\n\tleftsendcert=never\n\trightid=%fromcert\n"));
	up();
	assert_failed("west", "authentication failed: the peer sent no certificate (CERT payload)");
}

static void expect_add_error(const char *keywords, const char *error)
{
	char conf[1024], path[PATH_MAX];
	snprintf(conf, sizeof(conf), "conn c\n\tleft=" WEST "\n\tright=" EAST "\n%s", keywords);
	assert_true(open_db());
	struct tmpdir t;
	tmpdir_make(&t);
	tmpdir_write(&t, "ipsec.conf", conf);
	tmpdir_file_path(&t, "ipsec.conf", path);
	struct diag d, errors, notes;
	diag_init(&d);
	diag_init(&errors);
	diag_init(&notes);
	kernel = &double_ops;
	struct ipsec_conf *c = ipsecconf_load(path, &d);
	if (c == NULL)
		fail_msg("%s", d.text);
	bool replaced;
	assert_null(conn_load(&c->conns[0], false, &replaced, &errors, &notes));
	if (strstr(errors.text, error) == NULL)
		fail_msg("expected '%s' in:\n%s", error, errors.text);
	ipsecconf_free(c);
	tmpdir_remove(&t);
	ike_crypto_shutdown();
}

static void test_add_checks_the_certificate(void **state)
{
	(void)state;
	expect_add_error("\tauthby=rsasig\n\tleftcert=nosuch\n",
			 "conn \"c\" cannot be added: leftcert=: no certificate 'nosuch' in the NSS database");
	expect_add_error("\tauthby=rsasig\n",
			 "conn \"c\" cannot be added: leftauth is rsasig, which needs leftcert=");
	expect_add_error("\tauthby=ecdsa\n\tleftcert=west\n",
			 "certificate 'west' has an RSA key, but leftauth is ecdsa");
	expect_add_error("\tauthby=rsasig\n\tleftcert=west\n\trightid=\"CN=a,XYZ=b\"\n",
			 "rightid= is no DN NSS can read");
}

/* ---- the parts, directly ---- */

static size_t add_cert_payload(struct ikev2_builder *b, size_t len)
{
	static uint8_t body[IKEV2_CERT_DER_MAX + 2];
	memset(body, 0x30, sizeof(body));
	body[0] = CERT_X509_SIGNATURE;
	return ikev2_add(b, PT_CERT, body, len);
}

static int certs_in(size_t n, size_t len)
{
	static uint8_t buf[IKEV2_MSG_MAX];
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_AUTH };
	struct ikev2_builder b;
	ikev2_begin(&b, buf, sizeof(buf), &h);
	for (size_t i = 0; i < n; i++)
		add_cert_payload(&b, len);
	size_t total = ikev2_finish(&b);
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(buf, total, &m, &d));
	struct ikev2_cert c[IKEV2_CERTS_MAX];
	return ikev2_certs(&m, c, &d);
}

static void test_a_peers_certificates_are_capped(void **state)
{
	(void)state;
	assert_int_equal(certs_in(IKEV2_CERTS_MAX, 1 + 100), IKEV2_CERTS_MAX);
	assert_int_equal(certs_in(IKEV2_CERTS_MAX + 1, 1 + 100), -1);
	assert_int_equal(certs_in(1, 1 + IKEV2_CERT_DER_MAX), 1);
	assert_int_equal(certs_in(1, 2 + IKEV2_CERT_DER_MAX), -1);
	unsigned mask;
	assert_true(ikev2_parse_sig_hashes((const uint8_t *)"\0\2\0\1\0\4\x12\x34", 8, &mask));
	assert_int_equal(mask, SIG_HASH_BIT(SIG_HASH_SHA2_256) | SIG_HASH_BIT(SIG_HASH_SHA2_512));
	assert_false(ikev2_parse_sig_hashes((const uint8_t *)"\0\2\0", 3, &mask));
}

/* A signature verifies over the octets signed, and not over others or
 * once changed; with its hash the one both announced. */
static void sign_and_verify(const char *nick, enum cert_key key, unsigned hashes)
{
	static const uint8_t octets[] = "the octets an IKE_AUTH signs, in short";
	uint8_t auth[IKE_SIG_AUTH_MAX];
	size_t len, der_len;
	struct diag d;
	diag_init(&d);
	assert_true(ike_sig_sign(nick, hashes, octets, sizeof(octets), auth, &len, &d));
	uint8_t *der = ike_cert_local_der(nick, &der_len);
	assert_non_null(der);
	char subject[IKE_ID_TEXT_MAX], why[PEER_CERT_WHY_MAX];
	enum cert_key k;
	assert_true(ike_cert_local(nick, subject, sizeof(subject), &k, &d));
	assert_int_equal(k, key);
	struct ikev2_cert c = { CERT_X509_SIGNATURE, der, der_len };
	struct peer_cert *pc = peer_cert_check(&c, 1, subject, why, sizeof(why));
	if (pc == NULL)
		fail_msg("%s", why);
	assert_true(ike_sig_verify(pc, key, auth, len, octets, sizeof(octets), &d));
	assert_false(ike_sig_verify(pc, key, auth, len, octets, sizeof(octets) - 1, &d));
	auth[len - 3] ^= 1;
	assert_false(ike_sig_verify(pc, key, auth, len, octets, sizeof(octets), &d));
	auth[len - 3] ^= 1;
	auth[5] ^= 1;	/* an AlgorithmIdentifier we do not know */
	assert_false(ike_sig_verify(pc, key, auth, len, octets, sizeof(octets), &d));
	assert_false(ike_sig_verify(pc, key == CERT_KEY_RSA ? CERT_KEY_EC : CERT_KEY_RSA, auth, len, octets,
				    sizeof(octets), &d));
	peer_cert_free(pc);
	free(der);
}

static void test_signatures_directly(void **state)
{
	(void)state;
	assert_true(open_db());
	sign_and_verify("west", CERT_KEY_RSA, SIG_HASH_BIT(SIG_HASH_SHA2_256));
	sign_and_verify("west", CERT_KEY_RSA, SIG_HASH_BIT(SIG_HASH_SHA2_512));
	sign_and_verify("west-ec", CERT_KEY_EC, ike_sig_hashes());
	sign_and_verify("east-ec", CERT_KEY_EC, SIG_HASH_BIT(SIG_HASH_SHA2_256));
	uint8_t auth[IKE_SIG_AUTH_MAX];
	size_t len;
	struct diag d;
	diag_init(&d);
	assert_false(ike_sig_sign("west", 0, (const uint8_t *)"x", 1, auth, &len, &d));
	assert_non_null(strstr(d.text, "SIGNATURE_HASH_ALGORITHMS"));
	/* RSA's hash is SHA2-256: RSASSA-PSS, its 67-byte AlgorithmIdentifier */
	assert_true(ike_sig_sign("west", ike_sig_hashes(), (const uint8_t *)"x", 1, auth, &len, &d));
	assert_int_equal(auth[0], 67);
	assert_int_equal(len, 1 + 67 + 256);
	assert_true(ike_crypto_shutdown());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rsa_certificates_with_dns_as_ids, stop),
		cmocka_unit_test_teardown(test_ecdsa_certificates_p256_and_p384, stop),
		cmocka_unit_test_teardown(test_an_rsa_end_and_an_ecdsa_end, stop),
		cmocka_unit_test_teardown(test_a_certificate_one_way_and_a_psk_the_other, stop),
		cmocka_unit_test_teardown(test_subject_alt_names_as_ids, stop),
		cmocka_unit_test_teardown(test_an_id_its_certificate_does_not_name_is_refused, stop),
		cmocka_unit_test_teardown(test_an_expired_certificate_is_refused, stop),
		cmocka_unit_test_teardown(test_a_certificate_of_an_unknown_ca_is_refused, stop),
		cmocka_unit_test_teardown(test_an_ecdsa_signature_where_rsa_is_expected_is_refused, stop),
		cmocka_unit_test_teardown(test_sendcert_never_leaves_the_peer_without_one, stop),
		cmocka_unit_test(test_add_checks_the_certificate),
		cmocka_unit_test(test_a_peers_certificates_are_capped),
		cmocka_unit_test(test_signatures_directly),
	};
	return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
