/* libFuzzer target: a peer's certificates, ID and signature AUTH, as
 * IKE_AUTH hands them to ikev2_cert.c: the ID payload's body made text
 * (id_from_wire), the CERT payloads' X.509 DER validated by NSS against
 * the test CA (peer_cert_check: the chain, validity, the ID named by the
 * certificate), then the AUTH data checked as an RFC 7427 signature
 * (ike_sig_verify).
 *
 * Input: one octet of flags (bit 0: the conn wants an EC key, else RSA),
 * then length-prefixed parts (two octets, big-endian): the ID payload's
 * body, the AUTH data, then up to IKEV2_CERTS_MAX certificates, the
 * peer's own first. Certificates over IKEV2_CERT_DER_MAX are refused
 * before they reach this code (ikev2_certs), so such inputs are ignored.
 *
 * What must hold besides no crash: a refusal has a reason, and the reason,
 * which names what the peer sent (subjects, issuers, its ID), is printable
 * text: nothing a peer sends may reach a log line unescaped.
 *
 * The trusted CA is testing/certs/ca.pem (run from the top of the
 * checkout, as `make check-fuzz` does), made a temporary certificate with
 * CA trust in NSS's memory; NSS itself runs without a database. Built
 * with -DFUZZ_SEEDGEN, this file is instead the program that writes the
 * seeds from testing/certs: each end certificate with the ID it names, a
 * wrong ID, the CA as an intermediate, and AUTH data of each algorithm
 * pluto takes (their signatures are not valid: no key is at hand). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cert.h>
#include <certdb.h>
#include <plbase64.h>
#include <prerror.h>
#include "ike_crypto.h"
#include "fuzz_nss.h"
#include "ike_cert.h"
#include "ike_id.h"
#include "ike_sig.h"

#define CERTS_DIR "testing/certs"

/* The DER of the PEM file path, malloc'd into *der (*len octets). */
static void pem_der(const char *path, uint8_t **der, size_t *len)
{
	char text[16384], b64[16384];
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f == NULL || n == 0) {
		fprintf(stderr, "fuzz_cert: cannot read %s (run from the top of the checkout)\n", path);
		abort();
	}
	fclose(f);
	text[n] = '\0';
	size_t m = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
		if (strncmp(line, "-----", 5) != 0)
			for (const char *c = line; *c != '\0' && m < sizeof(b64) - 1; c++)
				if (*c != '\r')
					b64[m++] = *c;
	b64[m] = '\0';
	*len = m / 4 * 3 - (m > 0 && b64[m - 1] == '=') - (m > 1 && b64[m - 2] == '=');
	*der = malloc(*len);
	if (*der == NULL || PL_Base64Decode(b64, (PRUint32)m, (char *)*der) == NULL) {
		fprintf(stderr, "fuzz_cert: %s is not PEM\n", path);
		abort();
	}
}

#ifndef FUZZ_SEEDGEN

#define SIGNED_OCTETS "the octets the peer signs: a fixed stand-in for the IKE_SA_INIT message and the rest"

static CERTCertificate *ca;

static void stop_nss(void)
{
	if (ca != NULL)
		CERT_DestroyCertificate(ca);
	ike_crypto_shutdown();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_start_nss();
	uint8_t *der;
	size_t len;
	pem_der(CERTS_DIR "/ca.pem", &der, &len);
	SECItem item = { siBuffer, der, (unsigned)len };
	ca = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE, PR_TRUE);
	CERTCertTrust trust = { CERTDB_TRUSTED_CA | CERTDB_VALID_CA, CERTDB_TRUSTED_CA | CERTDB_VALID_CA,
				CERTDB_TRUSTED_CA | CERTDB_VALID_CA };
	if (ca == NULL || CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), ca, &trust) != SECSuccess) {
		fprintf(stderr, "fuzz_cert: cannot trust %s/ca.pem: %s\n", CERTS_DIR, PR_ErrorToName(PR_GetError()));
		abort();
	}
	free(der);
	atexit(stop_nss);
	return 0;
}

/* The next length-prefixed part of the input; false at its end. */
static bool next_part(const uint8_t **p, size_t *left, const uint8_t **part, size_t *len)
{
	if (*left < 2)
		return false;
	size_t n = (size_t)(*p)[0] << 8 | (*p)[1];
	if (n > *left - 2)
		return false;
	*part = *p + 2;
	*len = n;
	*p += 2 + n;
	*left -= 2 + n;
	return true;
}

/* A copy of exactly n octets, so that ASan sees any read past them. */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);
	if (c == NULL)
		abort();
	memcpy(c, p, n);
	return c;
}

/* FUZZ_CERT_SHOW=1 prints each verdict: to see what an input reaches. */
static void show(const char *verdict)
{
	if (getenv("FUZZ_CERT_SHOW") != NULL)
		fprintf(stderr, "fuzz_cert: %s\n", verdict);
}

static void must_be_printable(const char *text)
{
	if (text[0] == '\0')
		abort();	/* a refusal without a reason */
	for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			abort();	/* a peer's byte unescaped */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum cert_key want = data[0] & 1 ? CERT_KEY_EC : CERT_KEY_RSA;
	const uint8_t *p = data + 1, *id_body, *auth_part;
	size_t left = size - 1, id_len, auth_len;
	char id[IKE_ID_TEXT_MAX];
	if (!next_part(&p, &left, &id_body, &id_len) || !next_part(&p, &left, &auth_part, &auth_len))
		return 0;
	uint8_t *body = exact_copy(id_body, id_len);
	bool id_ok = id_from_wire(body, id_len, id, sizeof(id));
	free(body);
	if (!id_ok)
		return 0;
	struct ikev2_cert certs[IKEV2_CERTS_MAX];
	int n = 0;
	const uint8_t *der;
	size_t der_len;
	while (n < IKEV2_CERTS_MAX && next_part(&p, &left, &der, &der_len)) {
		if (der_len > IKEV2_CERT_DER_MAX)
			goto out;
		certs[n] = (struct ikev2_cert){ .encoding = 4, .data = exact_copy(der, der_len), .len = der_len };
		n++;
	}
	char why[PEER_CERT_WHY_MAX] = "";
	struct peer_cert *pc = peer_cert_check(certs, n, id, why, sizeof(why));
	if (pc == NULL) {
		show(why);
		must_be_printable(why);
		goto out;
	}
	must_be_printable(peer_cert_subject(pc));
	show("the certificate is accepted for the ID");
	uint8_t *auth = exact_copy(auth_part, auth_len);
	struct diag d;
	diag_init(&d);
	if (!ike_sig_verify(pc, want, auth, auth_len, (const uint8_t *)SIGNED_OCTETS, sizeof(SIGNED_OCTETS) - 1, &d)) {
		show(diag_oneline(&d, ""));
		must_be_printable(diag_oneline(&d, ""));
	}
	free(auth);
	peer_cert_free(pc);
out:
	for (int i = 0; i < n; i++)
		free((void *)certs[i].data);
	return 0;
}

#else	/* FUZZ_SEEDGEN: writes the seeds into the directory argv[1] */

static FILE *seed;

static void part(const uint8_t *p, size_t n)
{
	uint8_t len[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	if (fwrite(len, 1, 2, seed) != 2 || fwrite(p, 1, n, seed) != n)
		abort();
}

/* A seed: the flags, the ID (as config text), AUTH of alg (a DER
 * AlgorithmIdentifier and a stand-in signature of sig_len octets) and
 * the certificates, each named by its file in testing/certs. */
static void write_seed(const char *dir, const char *name, uint8_t flags, const char *id_text,
		       const uint8_t *alg, size_t alg_len, size_t sig_len, const char *const *pems)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	seed = fopen(path, "wb");
	uint8_t body[IKE_DN_DER_MAX + 4], auth[IKE_SIG_AUTH_MAX];
	size_t body_len;
	if (seed == NULL || !id_to_wire(id_text, body, sizeof(body), &body_len) || 1 + alg_len + sig_len > sizeof(auth)) {
		perror(path);
		exit(1);
	}
	fputc(flags, seed);
	part(body, body_len);
	auth[0] = (uint8_t)alg_len;
	memcpy(auth + 1, alg, alg_len);
	for (size_t i = 0; i < sig_len; i++)
		auth[1 + alg_len + i] = (uint8_t)(i * 7 + 1);
	part(auth, 1 + alg_len + sig_len);
	for (; *pems != NULL; pems++) {
		uint8_t *der;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", CERTS_DIR, *pems);
		pem_der(path, &der, &len);
		part(der, len);
		free(der);
	}
	if (fclose(seed) != 0)
		exit(1);
}

/* RFC 7427 appendix A's AlgorithmIdentifiers (as ike_sig.c takes them). */
static const uint8_t pss256[] = {
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0,
	0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03,
	0x02, 0x01, 0x20,
};
static const uint8_t pkcs1_384[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00,
};
static const uint8_t ecdsa384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fuzz_start_nss();
	const char *const east[] = { "east.pem", NULL };
	const char *const east_ca[] = { "east.pem", "ca.pem", NULL };
	const char *const east_ec[] = { "east-ec.pem", NULL };
	const char *const expired[] = { "expired.pem", NULL };
	const char *const rogue[] = { "rogue.pem", "west.pem", NULL };
	write_seed(argv[1], "rsa_dn_pss", 0, "CN=east, O=Swan Test", pss256, sizeof(pss256), 256, east);
	write_seed(argv[1], "rsa_fqdn_pkcs1_chain", 0, "@east.example", pkcs1_384, sizeof(pkcs1_384), 256, east_ca);
	write_seed(argv[1], "rsa_email_wrong_key", 1, "east@example", pss256, sizeof(pss256), 256, east);
	write_seed(argv[1], "ec_dn_ecdsa", 1, "CN=east-ec, O=Swan Test", ecdsa384, sizeof(ecdsa384), 104, east_ec);
	write_seed(argv[1], "ec_wrong_id", 1, "192.0.2.2", ecdsa384, sizeof(ecdsa384), 104, east_ec);
	write_seed(argv[1], "expired", 0, "CN=expired, O=Swan Test", pss256, sizeof(pss256), 256, expired);
	write_seed(argv[1], "unknown_ca", 0, "CN=rogue, O=Swan Test", pss256, sizeof(pss256), 256, rogue);
	return ike_crypto_shutdown() ? 0 : 1;
}

#endif
