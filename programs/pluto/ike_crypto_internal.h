/* ike_crypto_internal.h: what ike_nss.c, ike_dh.c, ike_prf.c and ike_sk.c
 * share, and the lower-level entry points the unit tests hold against
 * published vectors. The rest of pluto uses ike_crypto.h only. */
#ifndef IKE_CRYPTO_INTERNAL_H
#define IKE_CRYPTO_INTERNAL_H

#include <pk11pub.h>
#include "ike_crypto.h"

#define AES_BLOCK	16
#define GCM_NONCE	12	/* salt 4 | IV 8 (RFC 5282 section 4) */
#define GCM_SALT	4
#define GCM_IV		8
#define GCM_TAG		16	/* AES_GCM_16 */

/* NSS's internal (softoken) slot; NULL before ike_crypto_init. */
PK11SlotInfo *ike_nss_slot(void);

/* A session key holding a copy of len bytes of key, for mechanism mech
 * (any of sign, encrypt, decrypt, derive), as ike_key_import. */
PK11SymKey *ike_sym_key(CK_MECHANISM_TYPE mech, const uint8_t *key, size_t len);

/* len bytes of key from octet offset on, as a key for mech allowed the
 * operations in flags (CKF_SIGN, CKF_ENCRYPT, ...). */
PK11SymKey *ike_key_slice(PK11SymKey *key, size_t offset, size_t len, CK_MECHANISM_TYPE mech, CK_FLAGS flags);

/* ike_key_bytes without the count: for what is not a key to anyone (the
 * GCM salt) or a check that must see the value (X25519's all-zero
 * secret); out wiped by the caller. */
bool ike_key_value(PK11SymKey *key, uint8_t *out, size_t len);

/* The HMAC mechanism of a PRF; CKM_INVALID_MECHANISM for none. */
CK_MECHANISM_TYPE prf_mech(enum prf_id p);
/* The PRF an integrity algorithm's HMAC is (untruncated); PRF_NONE. */
enum prf_id integ_prf(enum integ_id i);

/* The same with keys already in NSS (what the SK payload uses). */
bool aes_cbc_key(bool encrypt, PK11SymKey *key, const uint8_t iv[AES_BLOCK],
		 const uint8_t *in, size_t len, uint8_t *out);
bool aes_gcm_key(bool seal, PK11SymKey *key, const uint8_t nonce[GCM_NONCE], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, size_t out_len);

/* AES-CBC without padding: len is a multiple of AES_BLOCK. out may be in. */
bool aes_cbc(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[AES_BLOCK],
	     const uint8_t *in, size_t len, uint8_t *out);

/* AES-GCM with a 16-byte tag. Seal: len bytes of in -> len bytes of
 * ciphertext then the tag in out (len + GCM_TAG). Open: in is ciphertext
 * then tag (len >= GCM_TAG), out gets len - GCM_TAG bytes, false (and out
 * untouched) when the tag does not match. out may be in. */
bool aes_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t nonce[GCM_NONCE],
		  const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
bool aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t nonce[GCM_NONCE],
		  const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);

/* For tests: our side of an exchange from a known private value, so
 * RFC 5903 (ECP) and RFC 7748 (X25519) vectors can be checked through
 * dh_derive. priv is the scalar as the RFC prints it, pub our public value
 * in KE form (dh_public_len(g) bytes). ECP and X25519 only. */
struct dh_local *dh_import(enum dh_id g, const uint8_t *priv, size_t priv_len,
			   const uint8_t *pub, struct diag *d);

/* The NSS certificate of a peer's validated certificate (ike_cert.h),
 * for ike_sig.c to take its public key from. */
struct peer_cert;
CERTCertificate *peer_cert_nss(const struct peer_cert *pc);

#endif
