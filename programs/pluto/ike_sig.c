/* ike_sig.c: RFC 7427 signatures made and checked by NSS (ike_sig.h).
 *
 * The AlgorithmIdentifiers are compared as bytes, the way RFC 7427's
 * appendix A writes them (parameters as NULL where the OID has them):
 * what every implementation sends, and nothing from the peer is ever
 * handed to an ASN.1 decoder here. */
#include <stdio.h>
#include <string.h>
#include <cert.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <prerror.h>
#include "ike_crypto_internal.h"
#include "ike_sig.h"
#include "ikev2_msg.h"

enum sig_scheme { SCHEME_PSS, SCHEME_PKCS1, SCHEME_ECDSA };

struct sig_alg {
	const char *name;
	enum sig_scheme scheme;
	enum ikev2_sig_hash hash;
	const uint8_t *der;
	size_t der_len;
};

#define DER(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* sha256 .. sha512's OIDs, 2.16.840.1.101.3.4.2.1 .. 3 */
#define SHA2_OID(n) 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n
/* RSASSA-PSS with one hash for the message and MGF1, and a salt of its length */
#define PSS(n, salt) 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, \
	0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, SHA2_OID(n), 0x05, 0x00, \
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, \
	0x30, 0x0d, SHA2_OID(n), 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, salt
#define PKCS1(n) 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, n, 0x05, 0x00
#define ECDSA(n) 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, n

static const struct sig_alg algs[] = {
	{ "RSASSA-PSS with SHA2-256", SCHEME_PSS, SIG_HASH_SHA2_256, DER(PSS(0x01, 32)) },
	{ "RSASSA-PSS with SHA2-384", SCHEME_PSS, SIG_HASH_SHA2_384, DER(PSS(0x02, 48)) },
	{ "RSASSA-PSS with SHA2-512", SCHEME_PSS, SIG_HASH_SHA2_512, DER(PSS(0x03, 64)) },
	{ "RSA PKCS#1 v1.5 with SHA2-256", SCHEME_PKCS1, SIG_HASH_SHA2_256, DER(PKCS1(0x0b)) },
	{ "RSA PKCS#1 v1.5 with SHA2-384", SCHEME_PKCS1, SIG_HASH_SHA2_384, DER(PKCS1(0x0c)) },
	{ "RSA PKCS#1 v1.5 with SHA2-512", SCHEME_PKCS1, SIG_HASH_SHA2_512, DER(PKCS1(0x0d)) },
	{ "ECDSA with SHA2-256", SCHEME_ECDSA, SIG_HASH_SHA2_256, DER(ECDSA(0x02)) },
	{ "ECDSA with SHA2-384", SCHEME_ECDSA, SIG_HASH_SHA2_384, DER(ECDSA(0x03)) },
	{ "ECDSA with SHA2-512", SCHEME_ECDSA, SIG_HASH_SHA2_512, DER(ECDSA(0x04)) },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

static const struct {
	SECOidTag oid;
	CK_MECHANISM_TYPE mech;
	CK_RSA_PKCS_MGF_TYPE mgf;
	unsigned len;
} hashes[] = {
	[SIG_HASH_SHA2_256] = { SEC_OID_SHA256, CKM_SHA256, CKG_MGF1_SHA256, 32 },
	[SIG_HASH_SHA2_384] = { SEC_OID_SHA384, CKM_SHA384, CKG_MGF1_SHA384, 48 },
	[SIG_HASH_SHA2_512] = { SEC_OID_SHA512, CKM_SHA512, CKG_MGF1_SHA512, 64 },
};

unsigned ike_sig_hashes(void)
{
	return SIG_HASH_BIT(SIG_HASH_SHA2_256) | SIG_HASH_BIT(SIG_HASH_SHA2_384) | SIG_HASH_BIT(SIG_HASH_SHA2_512);
}

size_t ike_sig_hashes_data(uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (unsigned h = SIG_HASH_SHA2_256; h <= SIG_HASH_SHA2_512 && n + 2 <= cap; h++) {
		out[n++] = 0;
		out[n++] = (uint8_t)h;
	}
	return n;
}

static const struct sig_alg *alg_of(enum sig_scheme scheme, enum ikev2_sig_hash hash)
{
	for (size_t i = 0; i < NALGS; i++)
		if (algs[i].scheme == scheme && algs[i].hash == hash)
			return &algs[i];
	return NULL;
}

static bool digest(enum ikev2_sig_hash h, const uint8_t *octets, size_t len, uint8_t out[64])
{
	return len <= INT32_MAX && PK11_HashBuf(hashes[h].oid, out, octets, (PRInt32)len) == SECSuccess;
}

/* The hash to sign with: the one that suits the key's size (P-384 with
 * SHA2-384), else the smallest the peer takes. */
static bool choose_hash(SECKEYPrivateKey *priv, unsigned peer, enum ikev2_sig_hash *h)
{
	int bits = PK11_SignatureLen(priv) * 8;	/* ECDSA: 2 * the curve's */
	enum ikev2_sig_hash suits = priv->keyType == ecKey && bits > 2 * 384 ? SIG_HASH_SHA2_512 :
				    priv->keyType == ecKey && bits > 2 * 256 ? SIG_HASH_SHA2_384 : SIG_HASH_SHA2_256;
	unsigned usable = peer & ike_sig_hashes();
	if (usable & SIG_HASH_BIT(suits)) {
		*h = suits;
		return true;
	}
	for (unsigned x = SIG_HASH_SHA2_256; x <= SIG_HASH_SHA2_512; x++) {
		if (usable & SIG_HASH_BIT(x)) {
			*h = (enum ikev2_sig_hash)x;
			return true;
		}
	}
	return false;
}

static CK_RSA_PKCS_PSS_PARAMS pss_params(enum ikev2_sig_hash h)
{
	return (CK_RSA_PKCS_PSS_PARAMS){ hashes[h].mech, hashes[h].mgf, hashes[h].len };
}

/* The signature of dig (the hash's length) by priv, as RFC 7427 carries
 * it, into out; its length, 0 on failure. */
static size_t sign_digest(SECKEYPrivateKey *priv, const struct sig_alg *a, const uint8_t *dig, uint8_t *out,
			  size_t cap)
{
	SECItem hash = { siBuffer, (unsigned char *)dig, hashes[a->hash].len };
	int siglen = PK11_SignatureLen(priv);
	if (siglen <= 0 || (size_t)siglen > cap)
		return 0;
	uint8_t raw[1024];
	SECItem sig = { siBuffer, raw, (unsigned)siglen };
	if ((size_t)siglen > sizeof(raw))
		return 0;
	if (a->scheme == SCHEME_PSS) {
		CK_RSA_PKCS_PSS_PARAMS p = pss_params(a->hash);
		SECItem param = { siBuffer, (unsigned char *)&p, sizeof(p) };
		if (PK11_SignWithMechanism(priv, CKM_RSA_PKCS_PSS, &param, &sig, &hash) != SECSuccess)
			return 0;
		memcpy(out, sig.data, sig.len);
		return sig.len;
	}
	/* ECDSA: NSS gives r | s; RFC 7427 carries the DER Ecdsa-Sig-Value */
	if (PK11_Sign(priv, &sig, &hash) != SECSuccess)
		return 0;
	SECItem der = { siBuffer, NULL, 0 };
	size_t n = 0;
	if (DSAU_EncodeDerSigWithLen(&der, &sig, sig.len) == SECSuccess && der.len <= cap) {
		memcpy(out, der.data, der.len);
		n = der.len;
	}
	SECITEM_FreeItem(&der, PR_FALSE);
	return n;
}

bool ike_sig_sign(const char *nickname, unsigned peer_hashes, const uint8_t *octets, size_t len,
		  uint8_t out[IKE_SIG_AUTH_MAX], size_t *out_len, struct diag *d)
{
	CERTCertificate *cert = PK11_FindCertFromNickname(nickname, NULL);
	SECKEYPrivateKey *priv = cert != NULL ? PK11_FindKeyByAnyCert(cert, NULL) : NULL;
	enum ikev2_sig_hash h = SIG_HASH_SHA2_256;
	const struct sig_alg *a = NULL;
	uint8_t dig[64];
	bool ok = false;
	if (priv == NULL)
		diag_add(d, "the certificate '%s' or its private key is gone from the NSS database", nickname);
	else if (!choose_hash(priv, peer_hashes, &h))
		diag_add(d, "the peer announced no SHA2 hash in SIGNATURE_HASH_ALGORITHMS (RFC 7427): it cannot check our signature");
	else if ((a = alg_of(priv->keyType == ecKey ? SCHEME_ECDSA : SCHEME_PSS, h)) == NULL ||
		 (priv->keyType != rsaKey && priv->keyType != ecKey))
		diag_add(d, "certificate '%s' has a key that is neither RSA nor EC", nickname);
	else if (!digest(h, octets, len, dig))
		diag_add(d, "NSS could not hash the signed octets: %s", PR_ErrorToName(PR_GetError()));
	else {
		out[0] = (uint8_t)a->der_len;
		memcpy(out + 1, a->der, a->der_len);
		size_t n = sign_digest(priv, a, dig, out + 1 + a->der_len, IKE_SIG_AUTH_MAX - 1 - a->der_len);
		if (n == 0)
			diag_add(d, "NSS could not sign with the key of '%s': %s", nickname, PR_ErrorToName(PR_GetError()));
		*out_len = 1 + a->der_len + n;
		ok = n > 0;
	}
	if (priv != NULL)
		SECKEY_DestroyPrivateKey(priv);
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	return ok;
}

static const struct sig_alg *alg_named(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < NALGS; i++)
		if (algs[i].der_len == len && memcmp(algs[i].der, der, len) == 0)
			return &algs[i];
	return NULL;
}

static bool verify_digest(SECKEYPublicKey *pub, const struct sig_alg *a, const uint8_t *dig, const uint8_t *sig,
			  size_t sig_len)
{
	SECItem hash = { siBuffer, (unsigned char *)dig, hashes[a->hash].len };
	SECItem s = { siBuffer, (unsigned char *)sig, (unsigned)sig_len };
	switch (a->scheme) {
	case SCHEME_PSS: {
		CK_RSA_PKCS_PSS_PARAMS p = pss_params(a->hash);
		SECItem param = { siBuffer, (unsigned char *)&p, sizeof(p) };
		return PK11_VerifyWithMechanism(pub, CKM_RSA_PKCS_PSS, &param, &s, &hash, NULL) == SECSuccess;
	}
	case SCHEME_PKCS1:
		return VFY_VerifyDigestDirect(&hash, pub, &s, SEC_OID_PKCS1_RSA_ENCRYPTION, hashes[a->hash].oid,
					      NULL) == SECSuccess;
	default:
		return VFY_VerifyDigestDirect(&hash, pub, &s, SEC_OID_ANSIX962_EC_PUBLIC_KEY, hashes[a->hash].oid,
					      NULL) == SECSuccess;
	}
}

bool ike_sig_verify(const struct peer_cert *pc, enum cert_key want, const uint8_t *auth, size_t auth_len,
		    const uint8_t *octets, size_t len, struct diag *d)
{
	size_t alg_len = auth_len > 0 ? auth[0] : 0;
	const struct sig_alg *a = auth_len > 1 + alg_len ? alg_named(auth + 1, alg_len) : NULL;
	if (a == NULL) {
		diag_add(d, "the peer's signature is of an algorithm this pluto does not take (RSASSA-PSS, RSA PKCS#1 v1.5 or ECDSA, each with SHA2)");
		return false;
	}
	enum cert_key key = peer_cert_key(pc);
	if (key != want || (a->scheme == SCHEME_ECDSA) != (key == CERT_KEY_EC)) {
		diag_add(d, "the peer signed with %s and an %s key; the conn expects an %s signature", a->name,
			 cert_key_name(key), cert_key_name(want));
		return false;
	}
	const uint8_t *sig = auth + 1 + alg_len;
	size_t sig_len = auth_len - 1 - alg_len;
	uint8_t dig[64];
	SECKEYPublicKey *pub = CERT_ExtractPublicKey(peer_cert_nss(pc));
	bool ok = pub != NULL && digest(a->hash, octets, len, dig) && verify_digest(pub, a, dig, sig, sig_len);
	if (!ok)
		diag_add(d, "the peer's signature (%s) does not verify with the key of its certificate '%s'", a->name,
			 peer_cert_subject(pc));
	if (pub != NULL)
		SECKEY_DestroyPublicKey(pub);
	return ok;
}
