/* ike_prf.c: the PRF (HMAC through NSS), prf+, and what RFC 7296 derives
 * with them: the IKE SA's keys (2.14, 2.18), a child SA's KEYMAT (2.17)
 * and the AUTH value of a pre-shared key (2.15). Every derived key is an
 * NSS key object made by NSS's IKE mechanisms; KEYMAT is cut into keys by
 * CKM_EXTRACT_KEY_FROM_KEY. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "ike_crypto_internal.h"
#include <pkcs11n.h>	/* after pk11pub.h, which it needs */

struct prf_info {
	enum prf_id id;
	CK_MECHANISM_TYPE mech;
	size_t len;
};

static const struct prf_info prfs[] = {
	{ PRF_HMAC_SHA1, CKM_SHA_1_HMAC, 20 },
	{ PRF_HMAC_SHA2_256, CKM_SHA256_HMAC, 32 },
	{ PRF_HMAC_SHA2_384, CKM_SHA384_HMAC, 48 },
	{ PRF_HMAC_SHA2_512, CKM_SHA512_HMAC, 64 },
};

static const struct prf_info *prf_info(enum prf_id p)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++) {
		if (prfs[i].id == p)
			return &prfs[i];
	}
	return NULL;
}

size_t prf_len(enum prf_id p)
{
	const struct prf_info *pi = prf_info(p);
	return pi ? pi->len : 0;
}

CK_MECHANISM_TYPE prf_mech(enum prf_id p)
{
	const struct prf_info *pi = prf_info(p);
	return pi ? pi->mech : CKM_INVALID_MECHANISM;
}

enum prf_id integ_prf(enum integ_id i)
{
	switch (i) {
	case INTEG_HMAC_SHA1_96: return PRF_HMAC_SHA1;
	case INTEG_HMAC_SHA2_256_128: return PRF_HMAC_SHA2_256;
	case INTEG_HMAC_SHA2_384_192: return PRF_HMAC_SHA2_384;
	case INTEG_HMAC_SHA2_512_256: return PRF_HMAC_SHA2_512;
	default: return PRF_NONE;
	}
}

/* ---- prf and prf+ ---- */

bool prf_key(enum prf_id p, PK11SymKey *key, const uint8_t *data, size_t data_len, uint8_t *out)
{
	const struct prf_info *pi = prf_info(p);
	if (pi == NULL || key == NULL || data_len > UINT_MAX)
		return false;
	SECItem no_param = { siBuffer, NULL, 0 };
	PK11Context *ctx = PK11_CreateContextBySymKey(pi->mech, CKA_SIGN, key, &no_param);
	unsigned n = 0;
	bool ok = ctx != NULL && PK11_DigestBegin(ctx) == SECSuccess &&
		  (data_len == 0 || PK11_DigestOp(ctx, data, (unsigned)data_len) == SECSuccess) &&
		  PK11_DigestFinal(ctx, out, &n, (unsigned)pi->len) == SECSuccess && n == pi->len;
	if (ctx != NULL)
		PK11_DestroyContext(ctx, PR_TRUE);
	return ok;
}

/* A key given as bytes, for the PRF. HMAC pads a short key with zeros to
 * the hash's block, so an empty key is the same as one zero byte, which
 * NSS will import. */
static PK11SymKey *prf_key_of(enum prf_id p, const uint8_t *key, size_t key_len)
{
	static const uint8_t zero;
	if (key_len == 0) {
		key = &zero;
		key_len = 1;
	}
	return prf_info(p) == NULL ? NULL : ike_sym_key(prf_mech(p), key, key_len);
}

bool prf(enum prf_id p, const uint8_t *key, size_t key_len,
	 const uint8_t *data, size_t data_len, uint8_t *out)
{
	PK11SymKey *k = prf_key_of(p, key, key_len);
	bool ok = prf_key(p, k, data, data_len, out);
	ike_key_free(k);
	return ok;
}

/* NSS's prf+ (T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n)) of key
 * over [the value of seed_key |] seed, len bytes as a key for target. A
 * one-octet counter: at most 255 blocks. */
static PK11SymKey *nss_prf_plus(enum prf_id p, PK11SymKey *key, PK11SymKey *seed_key, const uint8_t *seed,
				size_t seed_len, size_t len)
{
	size_t n = prf_len(p);
	if (key == NULL || n == 0 || len == 0 || len > 255 * n || seed_len > ULONG_MAX)
		return NULL;
	CK_NSS_IKE_PRF_PLUS_DERIVE_PARAMS pp = {
		.prfMechanism = prf_mech(p),
		.bHasSeedKey = seed_key != NULL,
		.hSeedKey = seed_key != NULL ? PK11_GetSymKeyHandle(seed_key) : CK_INVALID_HANDLE,
		.pSeedData = (CK_BYTE_PTR)seed,
		.ulSeedDataLen = seed_len,
	};
	SECItem param = { siBuffer, (unsigned char *)&pp, sizeof(pp) };
	return PK11_Derive(key, CKM_NSS_IKE_PRF_PLUS_DERIVE, &param, CKM_EXTRACT_KEY_FROM_KEY, CKA_DERIVE, (int)len);
}

bool prf_plus(enum prf_id p, const uint8_t *key, size_t key_len,
	      const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	PK11SymKey *k = prf_key_of(p, key, key_len);
	PK11SymKey *t = nss_prf_plus(p, k, NULL, seed, seed_len, out_len);
	bool ok = t != NULL && ike_key_value(t, out, out_len);
	ike_key_free(t);
	ike_key_free(k);
	return ok;
}

/* NSS's prf(key, Ni | Nr) in its three forms: SKEYSEED of IKE_SA_INIT
 * (data_as_key: Ni | Nr keys the PRF over key's value), SKEYSEED of a
 * rekey (new_key: prf(key, value of new_key | Ni | Nr)), or plain. */
static PK11SymKey *nss_prf(enum prf_id p, PK11SymKey *key, bool data_as_key, PK11SymKey *new_key,
			   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			   CK_MECHANISM_TYPE target, CK_FLAGS flags)
{
	if (key == NULL || prf_info(p) == NULL)
		return NULL;
	CK_NSS_IKE_PRF_DERIVE_PARAMS pp = {
		.prfMechanism = prf_mech(p),
		.bDataAsKey = data_as_key,
		.bRekey = new_key != NULL,
		.pNi = (CK_BYTE_PTR)ni,
		.ulNiLen = ni_len,
		.pNr = (CK_BYTE_PTR)nr,
		.ulNrLen = nr_len,
		.hNewKey = new_key != NULL ? PK11_GetSymKeyHandle(new_key) : CK_INVALID_HANDLE,
	};
	SECItem param = { siBuffer, (unsigned char *)&pp, sizeof(pp) };
	return PK11_DeriveWithFlags(key, CKM_NSS_IKE_PRF_DERIVE, &param, target, CKA_DERIVE, 0, flags);
}

/* ---- the IKE SA's keys ---- */

static bool ike_key_lengths(const struct alg_proposal *ike, struct ike_keys *k)
{
	size_t pl = prf_len(ike->prf);
	bool aead = encr_is_aead(ike->encr);
	if (pl == 0 || !encr_keylen_ok(ike->encr, ike->encr_keylen))
		return false;
	if (aead ? ike->integ != INTEG_NONE : integ_key_bytes(ike->integ) == 0)
		return false;
	k->prf = ike->prf;
	k->d_len = k->p_len = pl;
	k->a_len = integ_key_bytes(ike->integ);
	k->e_len = ike->encr_keylen / 8 + encr_salt_bytes(ike->encr);
	return k->a_len <= IKE_KEY_MAX && k->e_len <= IKE_KEY_MAX && encr_salt_bytes(ike->encr) <= sizeof(k->salt_i);
}

static CK_MECHANISM_TYPE encr_mech(enum encr_id e)
{
	switch (e) {
	case ENCR_AES_CBC: return CKM_AES_CBC;
	case ENCR_AES_GCM_16: return CKM_AES_GCM;
	default: return CKM_GENERIC_SECRET_KEY_GEN;	/* sk_seal refuses it anyway */
	}
}

/* Cuts KEYMAT, at *at, into keys. */
struct cutter {
	PK11SymKey *keymat;
	size_t at;
	bool ok;
};

static PK11SymKey *cut(struct cutter *c, size_t len, CK_MECHANISM_TYPE mech, CK_FLAGS flags)
{
	PK11SymKey *k = c->ok ? ike_key_slice(c->keymat, c->at, len, mech, flags) : NULL;
	c->at += len;
	c->ok = k != NULL;
	return k;
}

/* An SK_e: the key, then the salt (as bytes) when the cipher has one. */
static PK11SymKey *cut_encr(struct cutter *c, const struct alg_proposal *ike, size_t e_len, uint8_t *salt)
{
	size_t salt_len = encr_salt_bytes(ike->encr), key_len = e_len - salt_len;
	PK11SymKey *k = cut(c, key_len, encr_mech(ike->encr), CKF_ENCRYPT | CKF_DECRYPT);
	if (salt_len > 0) {
		PK11SymKey *s = cut(c, salt_len, CKM_GENERIC_SECRET_KEY_GEN, CKF_DERIVE);
		c->ok = c->ok && ike_key_value(s, salt, salt_len);
		ike_key_free(s);
	}
	return k;
}

static bool split_keymat(const struct alg_proposal *ike, struct ike_keys *k, PK11SymKey *keymat)
{
	struct cutter c = { keymat, 0, true };
	CK_MECHANISM_TYPE prf = prf_mech(k->prf), integ = prf_mech(integ_prf(ike->integ));
	k->sk_d = cut(&c, k->d_len, CKM_NSS_IKE_PRF_PLUS_DERIVE, CKF_DERIVE | CKF_SIGN);
	if (k->a_len > 0) {
		k->sk_ai = cut(&c, k->a_len, integ, CKF_SIGN | CKF_VERIFY);
		k->sk_ar = cut(&c, k->a_len, integ, CKF_SIGN | CKF_VERIFY);
	}
	k->sk_ei = cut_encr(&c, ike, k->e_len, k->salt_i);
	k->sk_er = cut_encr(&c, ike, k->e_len, k->salt_r);
	k->sk_pi = cut(&c, k->p_len, prf, CKF_SIGN | CKF_VERIFY);
	k->sk_pr = cut(&c, k->p_len, prf, CKF_SIGN | CKF_VERIFY);
	return c.ok;
}

/* {SK_d, ...} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), the PRF the new
 * IKE SA negotiated; old NULL: SKEYSEED of IKE_SA_INIT, else of a rekey
 * of old. */
static bool derive_keys(const struct alg_proposal *ike, const struct ike_keys *old, PK11SymKey *g_ir,
			const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k)
{
	*k = (struct ike_keys){0};	/* what k held is the caller's to free */
	if (g_ir == NULL || !ike_key_lengths(ike, k)) {
		ike_keys_wipe(k);
		return false;
	}
	size_t nonces = ni_len + nr_len, seed_len = nonces + 16;
	uint8_t *seed = malloc(seed_len);
	if (seed == NULL) {
		ike_keys_wipe(k);
		return false;
	}
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	memcpy(seed + nonces, spi_i, 8);
	memcpy(seed + nonces + 8, spi_r, 8);

	size_t need = k->d_len + 2 * k->a_len + 2 * k->e_len + 2 * k->p_len;
	PK11SymKey *skeyseed = old == NULL
		? nss_prf(ike->prf, g_ir, true, NULL, ni, ni_len, nr, nr_len, CKM_NSS_IKE_PRF_PLUS_DERIVE, CKF_DERIVE)
		: nss_prf(old->prf, old->sk_d, false, g_ir, ni, ni_len, nr, nr_len, CKM_NSS_IKE_PRF_PLUS_DERIVE,
			  CKF_DERIVE);
	PK11SymKey *keymat = nss_prf_plus(ike->prf, skeyseed, NULL, seed, seed_len, need);
	bool ok = keymat != NULL && split_keymat(ike, k, keymat);
	if (!ok)
		ike_keys_wipe(k);
	ike_key_free(keymat);
	ike_key_free(skeyseed);
	free(seed);
	return ok;
}

bool ike_derive_keys(const struct alg_proposal *ike, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, PK11SymKey *g_ir,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k)
{
	return derive_keys(ike, NULL, g_ir, ni, ni_len, nr, nr_len, spi_i, spi_r, k);
}

bool ike_derive_rekeyed_keys(const struct ike_keys *old, const struct alg_proposal *ike, const uint8_t *ni,
			     size_t ni_len, const uint8_t *nr, size_t nr_len, PK11SymKey *g_ir,
			     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k)
{
	if (old == NULL || old->sk_d == NULL)
		return false;
	return derive_keys(ike, old, g_ir, ni, ni_len, nr, nr_len, spi_i, spi_r, k);
}

void ike_keys_auth_done(struct ike_keys *k)
{
	ike_key_free(k->sk_pi);
	ike_key_free(k->sk_pr);
	k->sk_pi = k->sk_pr = NULL;
}

void ike_keys_wipe(struct ike_keys *k)
{
	PK11SymKey *keys[] = { k->sk_d, k->sk_ai, k->sk_ar, k->sk_ei, k->sk_er, k->sk_pi, k->sk_pr };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ike_key_free(keys[i]);
	explicit_bzero(k, sizeof(*k));
}

PK11SymKey *child_keymat(enum prf_id p, PK11SymKey *sk_d, PK11SymKey *g_ir,
			 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, size_t len)
{
	size_t seed_len = ni_len + nr_len;
	uint8_t *seed = malloc(seed_len ? seed_len : 1);
	if (seed == NULL)
		return NULL;
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	PK11SymKey *keymat = nss_prf_plus(p, sk_d, g_ir, seed, seed_len, len);
	free(seed);
	return keymat;
}

/* ---- what AUTH covers, and AUTH with a pre-shared key ---- */

uint8_t *auth_signed_octets(enum prf_id p, const uint8_t *first_msg, size_t first_len,
			    const uint8_t *peer_nonce, size_t nonce_len, PK11SymKey *sk_p,
			    const uint8_t *id_body, size_t id_len, size_t *len)
{
	size_t n = first_len + nonce_len + prf_len(p);
	uint8_t *octets = malloc(n);
	if (octets == NULL)
		return NULL;
	memcpy(octets, first_msg, first_len);
	memcpy(octets + first_len, peer_nonce, nonce_len);
	if (!prf_key(p, sk_p, id_body, id_len, octets + first_len + nonce_len)) {
		free(octets);
		return NULL;
	}
	*len = n;
	return octets;
}

bool psk_auth(enum prf_id p, const uint8_t *psk, size_t psk_len,
	      const uint8_t *first_msg, size_t first_len,
	      const uint8_t *peer_nonce, size_t nonce_len, PK11SymKey *sk_p,
	      const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	static const char key_pad[] = "Key Pad for IKEv2";	/* 17 octets, no NUL */
	size_t len;
	uint8_t *octets = auth_signed_octets(p, first_msg, first_len, peer_nonce, nonce_len, sk_p,
					     id_body, id_len, &len);
	/* prf(PSK, pad) with NSS's IKE PRF: NSS 3.87 in FIPS mode will not
	 * key an HMAC context with a short PSK (under 16 octets for
	 * SHA2-256), but derives from one. */
	PK11SymKey *k = octets != NULL ? prf_key_of(p, psk, psk_len) : NULL;
	PK11SymKey *padded = nss_prf(p, k, false, NULL, (const uint8_t *)key_pad, sizeof(key_pad) - 1, NULL, 0,
				     prf_mech(p), CKF_SIGN);
	bool ok = padded != NULL && prf_key(p, padded, octets, len, out);
	ike_key_free(padded);
	ike_key_free(k);
	free(octets);
	return ok;
}
