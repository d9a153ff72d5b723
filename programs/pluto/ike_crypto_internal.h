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

/* A session key holding a copy of len bytes of key, for operation op
 * (CKA_SIGN, CKA_ENCRYPT, CKA_DECRYPT) with mechanism mech. */
PK11SymKey *ike_sym_key(CK_MECHANISM_TYPE mech, CK_ATTRIBUTE_TYPE op,
			const uint8_t *key, size_t len);

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
