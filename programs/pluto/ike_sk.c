/* ike_sk.c: the Encrypted (SK) payload, RFC 7296 section 3.14, with
 * AES-CBC plus a truncated HMAC, or AES-GCM as RFC 5282 uses it.
 *
 *   SK body: IV | E(inner payloads | padding | pad length) | ICV
 *
 * CBC: a random 16-byte IV; the ICV is the HMAC of the message from its
 * first octet through the ciphertext, truncated.
 * GCM: the nonce is the 4-byte salt from the key material then the 8-byte
 * IV sent; the AAD is the message from its first octet through the SK
 * payload's generic header; the ICV is the 16-byte tag.
 *
 * The GCM IV must never repeat under one key. It is 8 random octets per
 * message rather than a counter, because struct sk_cipher is keys only,
 * with no state to count in. Among n random IVs the chance of a repeat is
 * about n^2 / 2^65: for the few thousand messages one key seals before
 * the IKE SA is rekeyed, around 2^-40. A counter kept by the caller would
 * make it zero, should a key ever seal millions. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <prerror.h>
#include "ike_crypto_internal.h"

/* ---- AES through NSS ---- */

/* One-shot PK11_Encrypt or PK11_Decrypt with key k, writing exactly
 * out_len bytes to out. NSS does not promise that in and out may
 * overlap, and IKE always works in place, so the result goes through a
 * scratch buffer, wiped after (it holds plaintext when decrypting). */
static bool aes_op(bool encrypt, CK_MECHANISM_TYPE mech, SECItem *param, PK11SymKey *k,
		   const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	if (len > UINT_MAX || out_len > UINT_MAX)
		return false;
	uint8_t *scratch = malloc(out_len ? out_len : 1);
	unsigned n = 0;
	bool ok = k != NULL && scratch != NULL &&
		  (encrypt ? PK11_Encrypt(k, mech, param, scratch, &n, (unsigned)out_len, in, (unsigned)len)
			   : PK11_Decrypt(k, mech, param, scratch, &n, (unsigned)out_len, in, (unsigned)len))
		  == SECSuccess && n == out_len;
	if (ok)
		memcpy(out, scratch, out_len);
	if (scratch != NULL)
		explicit_bzero(scratch, out_len);
	free(scratch);
	return ok;
}

static bool aes_key_len_ok(size_t key_len)
{
	return key_len == 16 || key_len == 24 || key_len == 32;
}

bool aes_cbc_key(bool encrypt, PK11SymKey *key, const uint8_t iv[AES_BLOCK],
		 const uint8_t *in, size_t len, uint8_t *out)
{
	if (key == NULL || !aes_key_len_ok(ike_key_len(key)) || len % AES_BLOCK != 0)
		return false;
	if (len == 0)
		return true;
	uint8_t iv_copy[AES_BLOCK];	/* NSS takes a non-const pointer */
	memcpy(iv_copy, iv, AES_BLOCK);
	SECItem param = { siBuffer, iv_copy, AES_BLOCK };
	return aes_op(encrypt, CKM_AES_CBC, &param, key, in, len, out, len);
}

bool aes_cbc(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[AES_BLOCK],
	     const uint8_t *in, size_t len, uint8_t *out)
{
	if (!aes_key_len_ok(key_len))
		return false;
	PK11SymKey *k = ike_sym_key(CKM_AES_CBC, key, key_len);
	bool ok = aes_cbc_key(encrypt, k, iv, in, len, out);
	ike_key_free(k);
	return ok;
}

/* NSS 3.87 takes the PKCS #11 v3 CK_GCM_PARAMS (with ulIvBits) by default;
 * softoken accepts the older CK_NSS_GCM_PARAMS too. */
bool aes_gcm_key(bool seal, PK11SymKey *key, const uint8_t nonce[GCM_NONCE], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	if (key == NULL || !aes_key_len_ok(ike_key_len(key)) || aad_len > UINT_MAX)
		return false;
	uint8_t nonce_copy[GCM_NONCE];
	memcpy(nonce_copy, nonce, GCM_NONCE);
	CK_GCM_PARAMS gp = {
		.pIv = nonce_copy,
		.ulIvLen = GCM_NONCE,
		.ulIvBits = GCM_NONCE * 8,
		.pAAD = (CK_BYTE_PTR)aad,
		.ulAADLen = aad_len,
		.ulTagBits = GCM_TAG * 8,
	};
	SECItem param = { siBuffer, (unsigned char *)&gp, sizeof(gp) };
	return aes_op(seal, CKM_AES_GCM, &param, key, in, len, out, out_len);
}

static bool aes_gcm(bool seal, const uint8_t *key, size_t key_len, const uint8_t nonce[GCM_NONCE],
		    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		    uint8_t *out, size_t out_len)
{
	if (!aes_key_len_ok(key_len))
		return false;
	PK11SymKey *k = ike_sym_key(CKM_AES_GCM, key, key_len);
	bool ok = aes_gcm_key(seal, k, nonce, aad, aad_len, in, len, out, out_len);
	ike_key_free(k);
	return ok;
}

bool aes_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t nonce[GCM_NONCE],
		  const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	return aes_gcm(true, key, key_len, nonce, aad, aad_len, in, len, out, len + GCM_TAG);
}

bool aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t nonce[GCM_NONCE],
		  const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	if (len < GCM_TAG)
		return false;
	return aes_gcm(false, key, key_len, nonce, aad, aad_len, in, len, out, len - GCM_TAG);
}

/* ---- the SK payload ---- */

struct sk_shape {
	size_t key_len;		/* cipher key, without the salt */
	size_t iv_len;
	size_t block;		/* what padding aligns to */
	size_t icv_len;
	bool aead;
};

/* What c needs on the wire; false for what this file cannot do. */
static bool sk_shape(const struct sk_cipher *c, struct sk_shape *s)
{
	size_t key_len = c->keylen / 8;
	if (!aes_key_len_ok(key_len) || c->keylen % 8 != 0 || c->ekey == NULL || ike_key_len(c->ekey) != key_len)
		return false;
	switch (c->encr) {
	case ENCR_AES_GCM_16:
		/* GCM is a stream mode: no alignment, so no padding. */
		*s = (struct sk_shape){ key_len, GCM_IV, 1, GCM_TAG, true };
		return c->integ == INTEG_NONE && c->salt != NULL;
	case ENCR_AES_CBC:
		*s = (struct sk_shape){ key_len, AES_BLOCK, AES_BLOCK, integ_icv_bits(c->integ) / 8, false };
		return s->icv_len > 0 && c->akey != NULL && ike_key_len(c->akey) == integ_key_bytes(c->integ);
	default:
		return false;
	}
}

/* Padding octets for plain_len: the fewest that, with the pad length
 * octet, make whole blocks. */
static size_t sk_pad(const struct sk_shape *s, size_t plain_len)
{
	return (s->block - (plain_len + 1) % s->block) % s->block;
}

size_t sk_iv_len(const struct sk_cipher *c)
{
	struct sk_shape s;
	return sk_shape(c, &s) ? s.iv_len : 0;
}

size_t sk_overhead(const struct sk_cipher *c, size_t plain_len)
{
	struct sk_shape s;
	if (!sk_shape(c, &s))
		return 0;
	return s.iv_len + sk_pad(&s, plain_len) + 1 + s.icv_len;
}

/* The untruncated HMAC of msg[0, len) with the integrity key. */
static bool sk_mac(const struct sk_cipher *c, const uint8_t *msg, size_t len, uint8_t mac[IKE_PRF_MAX])
{
	return prf_key(integ_prf(c->integ), c->akey, msg, len, mac);
}

/* The GCM nonce: the salt after the key, then the IV. */
static void gcm_nonce(const struct sk_cipher *c, const uint8_t *iv, uint8_t nonce[GCM_NONCE])
{
	memcpy(nonce, c->salt, GCM_SALT);
	memcpy(nonce + GCM_SALT, iv, GCM_IV);
}

bool sk_seal(const struct sk_cipher *c, uint8_t *msg, size_t sk_body, size_t plain_len, struct diag *d)
{
	struct sk_shape s;
	if (!sk_shape(c, &s)) {
		diag_add(d, "SK payload: unsupported cipher %s/%u with %s",
			 encr_name(c->encr), c->keylen, integ_name(c->integ));
		return false;
	}
	uint8_t *iv = msg + sk_body;
	uint8_t *text = iv + s.iv_len;
	size_t pad = sk_pad(&s, plain_len), enc_len = plain_len + pad + 1;
	memset(text + plain_len, 0, pad);
	text[plain_len + pad] = (uint8_t)pad;
	if (!ike_random(iv, s.iv_len)) {
		diag_add(d, "SK payload: no random IV: %s", PR_ErrorToName(PR_GetError()));
		return false;
	}
	bool ok;
	if (s.aead) {
		uint8_t nonce[GCM_NONCE];
		gcm_nonce(c, iv, nonce);
		ok = aes_gcm_key(true, c->ekey, nonce, msg, sk_body, text, enc_len, text, enc_len + GCM_TAG);
	} else {
		uint8_t mac[IKE_PRF_MAX];
		ok = aes_cbc_key(true, c->ekey, iv, text, enc_len, text) &&
		     sk_mac(c, msg, sk_body + s.iv_len + enc_len, mac);
		if (ok)
			memcpy(text + enc_len, mac, s.icv_len);
	}
	if (!ok) {
		explicit_bzero(text, enc_len);	/* no half-encrypted plaintext left behind */
		diag_add(d, "SK payload: %s encryption failed: %s",
			 encr_name(c->encr), PR_ErrorToName(PR_GetError()));
	}
	return ok;
}

/* CBC: the ICV checked before anything is decrypted. */
static bool sk_open_cbc(const struct sk_cipher *c, const struct sk_shape *s, uint8_t *msg,
			size_t msg_len, uint8_t *iv, uint8_t *text, size_t enc_len, struct diag *d)
{
	if (enc_len % AES_BLOCK != 0) {
		diag_add(d, "SK payload: %zu octets of ciphertext is not whole AES blocks", enc_len);
		return false;
	}
	uint8_t mac[IKE_PRF_MAX];
	if (!sk_mac(c, msg, msg_len - s->icv_len, mac)) {
		diag_add(d, "SK payload: HMAC failed: %s", PR_ErrorToName(PR_GetError()));
		return false;
	}
	if (NSS_SecureMemcmp(mac, text + enc_len, s->icv_len) != 0) {
		diag_add(d, "SK payload: integrity check failed");
		return false;
	}
	if (!aes_cbc_key(false, c->ekey, iv, text, enc_len, text)) {
		diag_add(d, "SK payload: AES_CBC decryption failed: %s", PR_ErrorToName(PR_GetError()));
		return false;
	}
	return true;
}

static bool sk_open_gcm(const struct sk_cipher *c, uint8_t *msg,
			size_t sk_body, uint8_t *iv, uint8_t *text, size_t enc_len, struct diag *d)
{
	uint8_t nonce[GCM_NONCE];
	gcm_nonce(c, iv, nonce);
	if (!aes_gcm_key(false, c->ekey, nonce, msg, sk_body, text, enc_len + GCM_TAG, text, enc_len)) {
		diag_add(d, "SK payload: integrity check failed (AES_GCM_16)");
		return false;
	}
	return true;
}

bool sk_open(const struct sk_cipher *c, uint8_t *msg, size_t msg_len, size_t sk_body,
	     uint8_t **plain, size_t *plain_len, struct diag *d)
{
	struct sk_shape s;
	if (!sk_shape(c, &s)) {
		diag_add(d, "SK payload: unsupported cipher %s/%u with %s",
			 encr_name(c->encr), c->keylen, integ_name(c->integ));
		return false;
	}
	/* At least the IV, the ICV and one block holding the pad length. */
	if (sk_body > msg_len || msg_len - sk_body < s.iv_len + s.block + s.icv_len) {
		diag_add(d, "SK payload: %zu octets is too short for %s",
			 sk_body > msg_len ? 0 : msg_len - sk_body, encr_name(c->encr));
		return false;
	}
	uint8_t *iv = msg + sk_body;
	uint8_t *text = iv + s.iv_len;
	size_t enc_len = msg_len - sk_body - s.iv_len - s.icv_len;
	bool ok = s.aead ? sk_open_gcm(c, msg, sk_body, iv, text, enc_len, d)
			 : sk_open_cbc(c, &s, msg, msg_len, iv, text, enc_len, d);
	if (!ok)
		return false;
	size_t pad = text[enc_len - 1];
	if (pad + 1 > enc_len) {
		diag_add(d, "SK payload: pad length %zu does not fit in %zu octets", pad, enc_len);
		explicit_bzero(text, enc_len);
		return false;
	}
	*plain = text;
	*plain_len = enc_len - pad - 1;
	return true;
}
