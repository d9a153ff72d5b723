/* ike_prf.c: the PRF (HMAC through NSS), prf+, and what RFC 7296 derives
 * with them: the IKE SA's keys (2.14), a child SA's KEYMAT (2.17) and the
 * AUTH value of a pre-shared key (2.15). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "ike_crypto_internal.h"

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

/* ---- HMAC with one key over several messages (prf+ makes many) ---- */

struct hmac {
	const struct prf_info *info;
	PK11SymKey *key;
	PK11Context *ctx;
};

static void hmac_free(struct hmac *h)
{
	if (h->ctx != NULL)
		PK11_DestroyContext(h->ctx, PR_TRUE);
	if (h->key != NULL)
		PK11_FreeSymKey(h->key);
	h->ctx = NULL;
	h->key = NULL;
}

/* Ready for the first message; hmac_free it whatever the result. */
static bool hmac_init(struct hmac *h, enum prf_id p, const uint8_t *key, size_t key_len)
{
	*h = (struct hmac){ .info = prf_info(p) };
	if (h->info == NULL)
		return false;
	/* HMAC pads a short key with zeros to the hash's block, so an empty
	 * key is the same as one zero byte, which NSS will import. */
	static const uint8_t zero;
	if (key_len == 0) {
		key = &zero;
		key_len = 1;
	}
	h->key = ike_sym_key(h->info->mech, CKA_SIGN, key, key_len);
	if (h->key == NULL)
		return false;
	SECItem no_param = { siBuffer, NULL, 0 };
	h->ctx = PK11_CreateContextBySymKey(h->info->mech, CKA_SIGN, h->key, &no_param);
	return h->ctx != NULL;
}

/* Starts a message; a no-op right after hmac_init, a restart after hmac_end. */
static bool hmac_begin(struct hmac *h)
{
	return PK11_DigestBegin(h->ctx) == SECSuccess;
}

static bool hmac_add(struct hmac *h, const uint8_t *data, size_t len)
{
	if (len == 0)
		return true;
	return len <= UINT_MAX && PK11_DigestOp(h->ctx, data, (unsigned)len) == SECSuccess;
}

/* The full-length MAC (info->len bytes) into out. */
static bool hmac_end(struct hmac *h, uint8_t *out)
{
	unsigned n = 0;
	return PK11_DigestFinal(h->ctx, out, &n, (unsigned)h->info->len) == SECSuccess &&
	       n == h->info->len;
}

bool prf(enum prf_id p, const uint8_t *key, size_t key_len,
	 const uint8_t *data, size_t data_len, uint8_t *out)
{
	struct hmac h;
	bool ok = hmac_init(&h, p, key, key_len) && hmac_begin(&h) &&
		  hmac_add(&h, data, data_len) && hmac_end(&h, out);
	hmac_free(&h);
	return ok;
}

/* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n): a one-octet counter,
 * so at most 255 blocks. */
bool prf_plus(enum prf_id p, const uint8_t *key, size_t key_len,
	      const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	size_t n = prf_len(p);
	if (n == 0 || out_len > 255 * n)
		return false;
	struct hmac h;
	bool ok = hmac_init(&h, p, key, key_len);
	uint8_t t[IKE_PRF_MAX];
	size_t t_len = 0, done = 0;
	for (uint8_t i = 1; ok && done < out_len; i++) {
		ok = hmac_begin(&h) && hmac_add(&h, t, t_len) && hmac_add(&h, seed, seed_len) &&
		     hmac_add(&h, &i, 1) && hmac_end(&h, t);
		t_len = n;
		size_t take = out_len - done < n ? out_len - done : n;
		if (ok)
			memcpy(out + done, t, take);
		done += take;
	}
	explicit_bzero(t, sizeof(t));
	hmac_free(&h);
	if (!ok)
		explicit_bzero(out, out_len);
	return ok;
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
	return k->a_len <= IKE_KEY_MAX && k->e_len <= IKE_KEY_MAX;
}

/* Cuts the next len bytes of keymat into dst. */
static void take_key(uint8_t *dst, const uint8_t **keymat, size_t len)
{
	memcpy(dst, *keymat, len);
	*keymat += len;
}

static void split_keymat(struct ike_keys *k, const uint8_t *km)
{
	take_key(k->sk_d, &km, k->d_len);
	take_key(k->sk_ai, &km, k->a_len);
	take_key(k->sk_ar, &km, k->a_len);
	take_key(k->sk_ei, &km, k->e_len);
	take_key(k->sk_er, &km, k->e_len);
	take_key(k->sk_pi, &km, k->p_len);
	take_key(k->sk_pr, &km, k->p_len);
}

/* {SK_d, ...} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), the PRF the new
 * IKE SA negotiated; skey_key/skey_data make SKEYSEED with skey_prf
 * (NULL skey_key: Ni | Nr is the key, for IKE_SA_INIT). */
static bool derive_keys(const struct alg_proposal *ike, enum prf_id skey_prf, const uint8_t *skey_key,
			size_t skey_key_len, const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len, const uint8_t spi_i[8], const uint8_t spi_r[8],
			struct ike_keys *k)
{
	ike_keys_wipe(k);
	if (!ike_key_lengths(ike, k)) {
		ike_keys_wipe(k);
		return false;
	}
	/* g^ir | Ni | Nr | SPIi | SPIr: each step uses a part of it. */
	size_t nonces = ni_len + nr_len, seed_len = g_ir_len + nonces + 16;
	uint8_t *buf = malloc(seed_len), *seed = buf + g_ir_len;
	if (buf == NULL) {
		ike_keys_wipe(k);
		return false;
	}
	memcpy(buf, g_ir, g_ir_len);
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	memcpy(seed + nonces, spi_i, 8);
	memcpy(seed + nonces + 8, spi_r, 8);

	uint8_t skeyseed[IKE_PRF_MAX];
	uint8_t keymat[3 * IKE_PRF_MAX + 4 * IKE_KEY_MAX];
	size_t need = k->d_len + 2 * k->a_len + 2 * k->e_len + 2 * k->p_len;
	bool ok = skey_key == NULL ? prf(skey_prf, seed, nonces, g_ir, g_ir_len, skeyseed)
				   : prf(skey_prf, skey_key, skey_key_len, buf, g_ir_len + nonces, skeyseed);
	ok = ok && prf_plus(ike->prf, skeyseed, prf_len(skey_prf), seed, nonces + 16, keymat, need);
	if (ok)
		split_keymat(k, keymat);
	else
		ike_keys_wipe(k);
	explicit_bzero(skeyseed, sizeof(skeyseed));
	explicit_bzero(keymat, sizeof(keymat));
	explicit_bzero(buf, seed_len);
	free(buf);
	return ok;
}

bool ike_derive_keys(const struct alg_proposal *ike, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, const uint8_t *g_ir, size_t g_ir_len,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k)
{
	return derive_keys(ike, ike->prf, NULL, 0, g_ir, g_ir_len, ni, ni_len, nr, nr_len, spi_i, spi_r, k);
}

bool ike_derive_rekeyed_keys(const struct ike_keys *old, const struct alg_proposal *ike, const uint8_t *ni,
			     size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *g_ir, size_t g_ir_len,
			     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k)
{
	return derive_keys(ike, old->prf, old->sk_d, old->d_len, g_ir, g_ir_len, ni, ni_len, nr, nr_len,
			   spi_i, spi_r, k);
}

void ike_keys_wipe(struct ike_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}

bool child_keymat(enum prf_id p, const uint8_t *sk_d, size_t sk_d_len,
		  const uint8_t *g_ir, size_t g_ir_len,
		  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		  uint8_t *out, size_t len)
{
	size_t seed_len = g_ir_len + ni_len + nr_len;
	uint8_t *seed = malloc(seed_len ? seed_len : 1);
	if (seed == NULL)
		return false;
	if (g_ir_len > 0)
		memcpy(seed, g_ir, g_ir_len);
	memcpy(seed + g_ir_len, ni, ni_len);
	memcpy(seed + g_ir_len + ni_len, nr, nr_len);
	bool ok = prf_plus(p, sk_d, sk_d_len, seed, seed_len, out, len);
	explicit_bzero(seed, seed_len);	/* it may hold g^ir */
	free(seed);
	return ok;
}

/* ---- what AUTH covers, and AUTH with a pre-shared key ---- */

uint8_t *auth_signed_octets(enum prf_id p, const uint8_t *first_msg, size_t first_len,
			    const uint8_t *peer_nonce, size_t nonce_len,
			    const uint8_t *sk_p, size_t sk_p_len,
			    const uint8_t *id_body, size_t id_len, size_t *len)
{
	size_t n = first_len + nonce_len + prf_len(p);
	uint8_t *octets = malloc(n);
	if (octets == NULL)
		return NULL;
	memcpy(octets, first_msg, first_len);
	memcpy(octets + first_len, peer_nonce, nonce_len);
	if (!prf(p, sk_p, sk_p_len, id_body, id_len, octets + first_len + nonce_len)) {
		free(octets);
		return NULL;
	}
	*len = n;
	return octets;
}

bool psk_auth(enum prf_id p, const uint8_t *psk, size_t psk_len,
	      const uint8_t *first_msg, size_t first_len,
	      const uint8_t *peer_nonce, size_t nonce_len,
	      const uint8_t *sk_p, size_t sk_p_len,
	      const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	static const char key_pad[] = "Key Pad for IKEv2";	/* 17 octets, no NUL */
	uint8_t padded_psk[IKE_PRF_MAX];
	size_t len;
	uint8_t *octets = auth_signed_octets(p, first_msg, first_len, peer_nonce, nonce_len, sk_p, sk_p_len,
					     id_body, id_len, &len);
	bool ok = octets != NULL &&
		  prf(p, psk, psk_len, (const uint8_t *)key_pad, sizeof(key_pad) - 1, padded_psk) &&
		  prf(p, padded_psk, prf_len(p), octets, len, out);
	explicit_bzero(padded_psk, sizeof(padded_psk));
	free(octets);
	return ok;
}
