/* ike_dh.c: the key exchange of IKE_SA_INIT and CREATE_CHILD_SA through
 * NSS: MODP (RFC 3526), ECP (RFC 5903) and Curve25519 (RFC 8031).
 *
 * The KE payload carries MODP values left-padded to the prime's length,
 * ECP points as x | y (NSS wants the 0x04 "uncompressed" octet in front),
 * and X25519 values as their 32 raw octets, which is also NSS's form.
 * The shared secret stays in NSS, a generic secret key that IKE's key
 * derivation (ike_prf.c) takes as it is. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <certt.h>
#include <keyhi.h>
#include <prerror.h>
#include <secoid.h>
#include "ike_crypto_internal.h"
#include "ike_modp_primes.h"

enum dh_kind { DH_KIND_MODP, DH_KIND_ECP, DH_KIND_X25519 };

struct dh_group {
	enum dh_id id;
	enum dh_kind kind;
	size_t len;		/* octets of the prime or of one coordinate: the secret's */
	const uint8_t *prime;	/* MODP */
	SECOidTag curve;	/* ECP and X25519 */
};

static const struct dh_group groups[] = {
	{ DH_MODP2048, DH_KIND_MODP, sizeof(modp2048), modp2048, SEC_OID_UNKNOWN },
	{ DH_MODP3072, DH_KIND_MODP, sizeof(modp3072), modp3072, SEC_OID_UNKNOWN },
	{ DH_MODP4096, DH_KIND_MODP, sizeof(modp4096), modp4096, SEC_OID_UNKNOWN },
	{ DH_MODP6144, DH_KIND_MODP, sizeof(modp6144), modp6144, SEC_OID_UNKNOWN },
	{ DH_MODP8192, DH_KIND_MODP, sizeof(modp8192), modp8192, SEC_OID_UNKNOWN },
	{ DH_ECP256, DH_KIND_ECP, 32, NULL, SEC_OID_ANSIX962_EC_PRIME256V1 },
	{ DH_ECP384, DH_KIND_ECP, 48, NULL, SEC_OID_SECG_EC_SECP384R1 },
	{ DH_ECP521, DH_KIND_ECP, 66, NULL, SEC_OID_SECG_EC_SECP521R1 },
	{ DH_CURVE25519, DH_KIND_X25519, 32, NULL, SEC_OID_CURVE25519 },
};

static const uint8_t generator = 2;

struct dh_local {
	const struct dh_group *g;
	SECKEYPrivateKey *priv;
};

static const struct dh_group *dh_group(enum dh_id id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (groups[i].id == id)
			return &groups[i];
	}
	return NULL;
}

bool dh_supported(enum dh_id g)
{
	return dh_group(g) != NULL;
}

static size_t group_public_len(const struct dh_group *g)
{
	return g->kind == DH_KIND_ECP ? 2 * g->len : g->len;
}

size_t dh_public_len(enum dh_id id)
{
	const struct dh_group *g = dh_group(id);
	return g ? group_public_len(g) : 0;
}

/* ---- NSS's parameters ---- */

/* The curve as NSS names it in EC parameters: a DER OBJECT IDENTIFIER. */
struct ec_params {
	uint8_t der[16];
	SECItem item;
};

static bool ec_params(const struct dh_group *g, struct ec_params *p)
{
	SECOidData *oid = SECOID_FindOIDByTag(g->curve);
	if (oid == NULL || oid->oid.len > sizeof(p->der) - 2)
		return false;
	p->der[0] = SEC_ASN1_OBJECT_ID;
	p->der[1] = (uint8_t)oid->oid.len;
	memcpy(p->der + 2, oid->oid.data, oid->oid.len);
	p->item = (SECItem){ siBuffer, p->der, oid->oid.len + 2 };
	return true;
}

static SECKEYDHParams dh_params(const struct dh_group *g)
{
	return (SECKEYDHParams){
		.prime = { siBuffer, (unsigned char *)g->prime, (unsigned)g->len },
		.base = { siBuffer, (unsigned char *)&generator, 1 },
	};
}

/* ---- our key pair ---- */

/* NSS's public value in KE form: MODP left-padded, ECP without 0x04. */
static bool public_to_ke(const struct dh_group *g, const SECKEYPublicKey *pub, uint8_t *ke)
{
	size_t ke_len = group_public_len(g);
	if (g->kind == DH_KIND_MODP) {
		const SECItem *v = &pub->u.dh.publicValue;
		if (v->len > ke_len)
			return false;
		memset(ke, 0, ke_len - v->len);
		memcpy(ke + ke_len - v->len, v->data, v->len);
		return true;
	}
	const SECItem *v = &pub->u.ec.publicValue;
	if (g->kind == DH_KIND_ECP) {
		if (v->len != ke_len + 1 || v->data[0] != EC_POINT_FORM_UNCOMPRESSED)
			return false;
		memcpy(ke, v->data + 1, ke_len);
		return true;
	}
	if (v->len != ke_len)
		return false;
	memcpy(ke, v->data, ke_len);
	return true;
}

static SECKEYPrivateKey *generate(const struct dh_group *g, SECKEYPublicKey **pub)
{
	PK11SlotInfo *slot = ike_nss_slot();
	if (slot == NULL)
		return NULL;
	if (g->kind == DH_KIND_MODP) {
		SECKEYDHParams p = dh_params(g);
		return PK11_GenerateKeyPair(slot, CKM_DH_PKCS_KEY_PAIR_GEN, &p, pub,
					    PR_FALSE, PR_TRUE, NULL);
	}
	/* Sensitive: FIPS mode refuses to make a private key that is not. */
	struct ec_params p;
	if (!ec_params(g, &p))
		return NULL;
	return PK11_GenerateKeyPair(slot, CKM_EC_KEY_PAIR_GEN, &p.item, pub, PR_FALSE, PR_TRUE, NULL);
}

/* Wraps a private key NSS made or imported; frees it if out of memory. */
static struct dh_local *dh_local(const struct dh_group *g, SECKEYPrivateKey *priv, struct diag *d)
{
	struct dh_local *l = malloc(sizeof(*l));
	if (l == NULL) {
		SECKEY_DestroyPrivateKey(priv);
		diag_add(d, "%s: out of memory", dh_name(g->id));
		return NULL;
	}
	*l = (struct dh_local){ g, priv };
	return l;
}

struct dh_local *dh_generate(enum dh_id id, uint8_t *pub, struct diag *d)
{
	const struct dh_group *g = dh_group(id);
	if (g == NULL) {
		diag_add(d, "DH group %d is not supported", (int)id);
		return NULL;
	}
	SECKEYPublicKey *nss_pub = NULL;
	SECKEYPrivateKey *priv = generate(g, &nss_pub);
	bool ok = priv != NULL && public_to_ke(g, nss_pub, pub);
	if (nss_pub != NULL)
		SECKEY_DestroyPublicKey(nss_pub);
	if (!ok) {
		diag_add(d, "%s: key pair generation failed: %s", dh_name(id), PR_ErrorToName(PR_GetError()));
		if (priv != NULL)
			SECKEY_DestroyPrivateKey(priv);
		return NULL;
	}
	return dh_local(g, priv, d);
}

void dh_free(struct dh_local *l)
{
	if (l == NULL)
		return;
	SECKEY_DestroyPrivateKey(l->priv);
	free(l);
}

/* ---- the shared secret ---- */

/* RFC 7296 wants 1 < y < p-1 for MODP: anything else gives a secret the
 * peer (or an attacker) knows. Big-endian, same length as p. */
static bool modp_public_ok(const struct dh_group *g, const uint8_t *y)
{
	size_t n = g->len;
	bool above_one = false;
	for (size_t i = 0; i + 1 < n; i++)
		above_one |= y[i] != 0;
	above_one |= y[n - 1] > 1;
	if (!above_one || memcmp(y, g->prime, n) >= 0)
		return false;
	/* p is odd: p-1 is p with its last octet one less */
	return memcmp(y, g->prime, n - 1) != 0 || y[n - 1] != g->prime[n - 1] - 1;
}

static PK11SymKey *derive_modp(const struct dh_local *l, const uint8_t *peer)
{
	SECKEYDHParams p = dh_params(l->g);
	SECKEYPublicKey peer_key = {
		.keyType = dhKey,
		.u.dh = {
			.prime = p.prime,
			.base = p.base,
			.publicValue = { siBuffer, (unsigned char *)peer, (unsigned)l->g->len },
		},
	};
	return PK11_PubDerive(l->priv, &peer_key, PR_FALSE, NULL, NULL, CKM_DH_PKCS_DERIVE,
			      CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, (int)l->g->len, NULL);
}

/* ECDH with the "null" KDF: the secret is the x coordinate itself. NSS
 * checks that an ECP point is on the curve. */
static PK11SymKey *derive_ec(const struct dh_local *l, const uint8_t *peer, size_t peer_len)
{
	struct ec_params p;
	uint8_t point[1 + 2 * 66];
	if (!ec_params(l->g, &p) || peer_len + 1 > sizeof(point))
		return NULL;
	size_t point_len = 0;
	if (l->g->kind == DH_KIND_ECP)
		point[point_len++] = EC_POINT_FORM_UNCOMPRESSED;
	memcpy(point + point_len, peer, peer_len);
	point_len += peer_len;
	SECKEYPublicKey peer_key = {
		.keyType = ecKey,
		.u.ec = {
			.DEREncodedParams = p.item,
			.size = (int)l->g->len * 8,
			.publicValue = { siBuffer, point, (unsigned)point_len },
		},
	};
	return PK11_PubDeriveWithKDF(l->priv, &peer_key, PR_FALSE, NULL, NULL, CKM_ECDH1_DERIVE,
				     CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, (int)l->g->len,
				     CKD_NULL, NULL, NULL);
}

/* NSS may drop a MODP secret's leading zero octets; RFC 7296 keeps them.
 * Puts them back in front, inside NSS. Takes key. */
static PK11SymKey *left_pad(PK11SymKey *key, size_t len)
{
	size_t have = ike_key_len(key);
	if (key == NULL || have == len)
		return key;
	PK11SymKey *padded = NULL;
	static const uint8_t zeros[IKE_DH_PUB_MAX];
	if (have != 0 && have < len) {
		CK_KEY_DERIVATION_STRING_DATA zero_data = { (CK_BYTE_PTR)zeros, len - have };
		SECItem param = { siBuffer, (unsigned char *)&zero_data, sizeof(zero_data) };
		padded = PK11_Derive(key, CKM_CONCATENATE_DATA_AND_BASE, &param, CKM_GENERIC_SECRET_KEY_GEN,
				     CKA_DERIVE, (int)len);
	}
	PK11_FreeSymKey(key);
	return padded;
}

/* RFC 8031 2: a low-order point gives all zeros. The one place a secret's
 * value is looked at in pluto's memory, and wiped at once. */
static bool all_zero(PK11SymKey *key, size_t len)
{
	uint8_t v[32];
	bool zero = len > sizeof(v) || !ike_key_value(key, v, len) || NSS_SecureMemcmpZero(v, len) == 0;
	explicit_bzero(v, sizeof(v));
	return zero;
}

PK11SymKey *dh_derive(struct dh_local *l, const uint8_t *peer, size_t peer_len, struct diag *d)
{
	const struct dh_group *g = l->g;
	if (peer_len != group_public_len(g)) {
		diag_add(d, "%s: peer's public value is %zu octets, want %zu",
			 dh_name(g->id), peer_len, group_public_len(g));
		return NULL;
	}
	if (g->kind == DH_KIND_MODP && !modp_public_ok(g, peer)) {
		diag_add(d, "%s: peer's public value is out of range", dh_name(g->id));
		return NULL;
	}
	PK11SymKey *key = g->kind == DH_KIND_MODP ? left_pad(derive_modp(l, peer), g->len)
						  : derive_ec(l, peer, peer_len);
	if (key == NULL || ike_key_len(key) != g->len) {
		diag_add(d, "%s: key agreement failed (bad peer public value?): %s",
			 dh_name(g->id), PR_ErrorToName(PR_GetError()));
		ike_key_free(key);
		return NULL;
	}
	if (g->kind == DH_KIND_X25519 && all_zero(key, g->len)) {
		diag_add(d, "%s: peer's public value gives an all-zero secret", dh_name(g->id));
		ike_key_free(key);
		return NULL;
	}
	return key;
}

/* ---- for tests: a known private value (PKCS #8, as NSS imports it) ---- */

/* Appends DER tag | length | body at out + *pos (room is the caller's). */
static void der_put(uint8_t *out, size_t *pos, uint8_t tag, const uint8_t *body, size_t len)
{
	out[(*pos)++] = tag;
	if (len >= 0x100) {
		out[(*pos)++] = 0x82;
		out[(*pos)++] = (uint8_t)(len >> 8);
	} else if (len >= 0x80) {
		out[(*pos)++] = 0x81;
	}
	out[(*pos)++] = (uint8_t)len;
	memmove(out + *pos, body, len);
	*pos += len;
}

/* PrivateKeyInfo { 0, { id-ecPublicKey, curve }, ECPrivateKey { 1, priv,
 * [1] { BIT STRING pub } } } (RFC 5208, RFC 5915). */
static size_t ec_pkcs8(const struct dh_group *g, const struct ec_params *p,
		       const uint8_t *priv, size_t priv_len, const uint8_t *pub,
		       uint8_t out[512])
{
	static const uint8_t ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
	static const uint8_t v0 = 0, v1 = 1;
	uint8_t a[256], b[256];
	size_t an = 0, bn = 0, n = 0;
	/* b = the BIT STRING's body: no unused bits, then the point */
	b[bn++] = 0;
	if (g->kind == DH_KIND_ECP)
		b[bn++] = EC_POINT_FORM_UNCOMPRESSED;
	memcpy(b + bn, pub, group_public_len(g));
	bn += group_public_len(g);
	der_put(a, &an, SEC_ASN1_BIT_STRING, b, bn);
	bn = 0;
	der_put(b, &bn, SEC_ASN1_INTEGER, &v1, 1);
	der_put(b, &bn, SEC_ASN1_OCTET_STRING, priv, priv_len);
	der_put(b, &bn, SEC_ASN1_CONTEXT_SPECIFIC | SEC_ASN1_CONSTRUCTED | 1, a, an);
	an = 0;
	der_put(a, &an, SEC_ASN1_SEQUENCE | SEC_ASN1_CONSTRUCTED, b, bn);	/* ECPrivateKey */
	bn = 0;
	der_put(b, &bn, SEC_ASN1_OBJECT_ID, ec_public_key, sizeof(ec_public_key));
	memcpy(b + bn, p->der, p->item.len);
	bn += p->item.len;
	der_put(out, &n, SEC_ASN1_INTEGER, &v0, 1);
	der_put(out, &n, SEC_ASN1_SEQUENCE | SEC_ASN1_CONSTRUCTED, b, bn);
	der_put(out, &n, SEC_ASN1_OCTET_STRING, a, an);
	memmove(out + 4, out, n);	/* room for the outer SEQUENCE header */
	size_t body = n;
	n = 0;
	der_put(out, &n, SEC_ASN1_SEQUENCE | SEC_ASN1_CONSTRUCTED, out + 4, body);
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return n;
}

struct dh_local *dh_import(enum dh_id id, const uint8_t *priv, size_t priv_len,
			   const uint8_t *pub, struct diag *d)
{
	const struct dh_group *g = dh_group(id);
	struct ec_params p;
	if (ike_nss_slot() == NULL || g == NULL || g->kind == DH_KIND_MODP || priv_len != g->len ||
	    !ec_params(g, &p)) {
		diag_add(d, "dh_import: group %d or private value length %zu not handled", (int)id, priv_len);
		return NULL;
	}
	uint8_t der[512];
	size_t der_len = ec_pkcs8(g, &p, priv, priv_len, pub, der);
	SECItem item = { siBuffer, der, (unsigned)der_len };
	SECKEYPrivateKey *key = NULL;
	SECStatus rv = PK11_ImportDERPrivateKeyInfoAndReturnKey(ike_nss_slot(), &item, NULL, NULL,
								PR_FALSE, PR_FALSE, KU_KEY_AGREEMENT,
								&key, NULL);
	explicit_bzero(der, sizeof(der));
	if (rv != SECSuccess || key == NULL) {
		diag_add(d, "%s: private key import failed: %s", dh_name(id), PR_ErrorToName(PR_GetError()));
		if (key != NULL)
			SECKEY_DestroyPrivateKey(key);
		return NULL;
	}
	return dh_local(g, key, d);
}
