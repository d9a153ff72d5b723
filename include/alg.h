/* alg.h: IKE and ESP algorithms, the proposal strings users write for ike=
 * and esp= (libreswan syntax), and the canonical names logs use.
 *
 * Enum values are the IKEv2 transform IDs from the IANA registry (RFC 7296
 * section 3.3.2), so they go on the wire as they are. */
#ifndef ALG_H
#define ALG_H

#include <stdbool.h>
#include <stddef.h>
#include "diag.h"

enum encr_id {			/* transform type 1 */
	ENCR_NONE = 0,
	ENCR_AES_CBC = 12,
	ENCR_AES_GCM_16 = 20,
	ENCR_CHACHA20_POLY1305 = 28,
};

enum prf_id {			/* transform type 2 */
	PRF_NONE = 0,
	PRF_HMAC_SHA1 = 2,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
};

enum integ_id {			/* transform type 3 */
	INTEG_NONE = 0,
	INTEG_HMAC_SHA1_96 = 2,
	INTEG_HMAC_SHA2_256_128 = 12,
	INTEG_HMAC_SHA2_384_192 = 13,
	INTEG_HMAC_SHA2_512_256 = 14,
};

enum dh_id {			/* transform type 4 */
	DH_NONE = 0,
	DH_MODP2048 = 14,
	DH_MODP3072 = 15,
	DH_MODP4096 = 16,
	DH_ECP256 = 19,
	DH_ECP384 = 20,
	DH_ECP521 = 21,
	DH_CURVE25519 = 31,
};

/* One proposal: a single choice of each transform. For ESP, prf is unused
 * and dh is the PFS group (DH_NONE: the conn's default). */
struct alg_proposal {
	enum encr_id encr;
	unsigned encr_keylen;	/* bits: 128, 192, 256 (AES); 256 for chacha20 */
	enum integ_id integ;	/* INTEG_NONE for AEAD */
	enum prf_id prf;
	enum dh_id dh;
};

#define ALG_PROPOSALS_MAX 16

struct alg_proposals {
	struct alg_proposal p[ALG_PROPOSALS_MAX];
	size_t n;
};

/* Parse ike= and esp= strings: comma-separated proposals of the form
 * ENCR[KEYLEN]-INTEG[-PRF][;DH] (libreswan's syntax, e.g. "aes_gcm256-null",
 * "aes128-sha1", "aes256-sha2_256;modp2048", "aes_gcm128-null;dh19").
 * false with one line in d naming the offending token. */
bool alg_parse_ike(const char *s, struct alg_proposals *out, struct diag *d);
bool alg_parse_esp(const char *s, struct alg_proposals *out, struct diag *d);

/* The proposals used when ike= or esp= is absent, close to libreswan's. */
void alg_default_ike(struct alg_proposals *out);
void alg_default_esp(struct alg_proposals *out);

/* Canonical names, as logs and whack print them:
 * "AES_GCM_16_256", "AES_CBC_128-HMAC_SHA1_96",
 * "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-MODP2048" (IKE) */
#define ALG_NAME_MAX 128
const char *alg_ike_name(const struct alg_proposal *p, char buf[ALG_NAME_MAX]);
const char *alg_esp_name(const struct alg_proposal *p, char buf[ALG_NAME_MAX]);
/* A whole list, proposals joined by ", ". */
const char *alg_proposals_name(const struct alg_proposals *ps, bool ike, char *buf, size_t len);

const char *encr_name(enum encr_id e);		/* "AES_GCM_16", "AES_CBC" */
const char *integ_name(enum integ_id i);	/* "HMAC_SHA1_96" */
const char *prf_name(enum prf_id p);		/* "PRF_HMAC_SHA2_256" */
const char *dh_name(enum dh_id g);		/* "MODP2048", "DH19" (ECP256), "DH31" */
bool encr_is_aead(enum encr_id e);

/* Facts the kernel backend and IKE need. */
unsigned integ_key_bytes(enum integ_id i);	/* HMAC key length */
unsigned integ_icv_bits(enum integ_id i);	/* truncation: 96, 128, 192, 256 */
unsigned encr_salt_bytes(enum encr_id e);	/* 4 for GCM and chacha20, 0 for CBC */
unsigned encr_icv_bits(enum encr_id e);		/* 128 for AEAD, 0 otherwise */
const char *encr_kernel_name(enum encr_id e);	/* "rfc4106(gcm(aes))", "cbc(aes)", "rfc7539esp(chacha20,poly1305)" */
const char *integ_kernel_name(enum integ_id i);	/* "hmac(sha1)", "hmac(sha256)" ... */

#endif
