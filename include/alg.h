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
	DH_MODP6144 = 17,
	DH_MODP8192 = 18,
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

/* Room for every combination the defaults offer (168 for IKE); on the
 * wire they merge into a few proposals (ikev2_sa_from_proposals). */
#define ALG_PROPOSALS_MAX 256

struct alg_proposals {
	struct alg_proposal p[ALG_PROPOSALS_MAX];
	size_t n;
};

/* A conn's lists are shared (alg_shared.c): one copy of each distinct
 * list, immutable, held by reference count by every config that uses it,
 * so that thousands of conns with the same ike= and esp= (or none: the
 * defaults) cost a pointer each rather than 5 kB a list. From one thread
 * only (pluto's event loop; the tools). */
/* A reference to the shared copy of ps, made now if there is none yet. */
const struct alg_proposals *alg_proposals_share(const struct alg_proposals *ps);
/* Another reference to shared (from alg_proposals_share); NULL for NULL. */
const struct alg_proposals *alg_proposals_ref(const struct alg_proposals *shared);
/* Drops one reference; the copy goes with the last. NULL does nothing. */
void alg_proposals_unref(const struct alg_proposals *shared);
/* How many distinct lists are held now. */
size_t alg_proposals_shared_count(void);

/* Parse ike= and esp= strings: comma-separated proposals of the form
 * ENCR[KEYLEN][-INTEG][-PRF][;DH] (libreswan's syntax, e.g. "aes_gcm256-null",
 * "aes128-sha1", "aes256-sha2_256;modp2048", "aes_gcm128-null;dh19").
 * false with one line in d naming the offending token and the whole string,
 * e.g. "esp=aes_gcm256-sha1: integrity algorithm 'sha1' cannot be combined
 * with AEAD 'aes_gcm256'"; out is then empty (n == 0).
 *
 * Syntax, case-insensitive, blanks allowed around each proposal:
 * - ENCR: aes, aes_cbc (AES_CBC); aes_gcm, aes_gcm16, aes_gcm_16, aes_gcm_c
 *   (AES_GCM_16); chacha20_poly1305, chacha20poly1305. A key length may
 *   follow, directly or after '_' (aes256, aes_gcm_16_128) or as its own
 *   token (aes-128). Without one, AES offers 256 then 128 (two proposals),
 *   as libreswan does for IKEv2; chacha20 is always 256.
 * - INTEG/PRF (a "hash"): sha1 (sha), sha2 = sha256 = sha2_256, sha384 =
 *   sha2_384, sha512 = sha2_512; null or none for no integrity (AEAD only).
 * - DH: modp2048 (dh14), modp3072 (dh15), modp4096 (dh16), ecp256 (ecp_256,
 *   dh19), ecp384 (ecp_384, dh20), ecp521 (ecp_521, dh21), curve25519
 *   (x25519, dh31); none in esp= only. Either after ';' or as the last
 *   '-' token ("aes256-sha2_256-modp2048").
 * - Any token may offer alternatives joined by '+' ("sha2_512+sha2_256",
 *   "dh19+dh20"); the proposal expands into their cross product, in the
 *   order written, since a struct alg_proposal holds one choice of each.
 *   Exact duplicates are dropped. More than ALG_PROPOSALS_MAX in all is an
 *   error.
 *
 * esp=: ENCR[-INTEG][;DH]. AEAD takes no integrity ("null" is accepted);
 * CBC without one gets HMAC_SHA2_256_128; CBC with null is an error. DH
 * sets the PFS group; "none" and no DH both give DH_NONE.
 *
 * ike=: ENCR[-INTEG][-PRF][;DH].
 * - One hash token: for CBC it is both integrity and PRF (aes128-sha1 ->
 *   HMAC_SHA1_96 + PRF_HMAC_SHA1); for AEAD only the PRF (aes_gcm256-sha2_256
 *   -> AES_GCM_16_256 + PRF_HMAC_SHA2_256).
 * - Two hash tokens: integrity, then PRF (aes_gcm256-null-sha2_512).
 * - No hash, or AEAD with a lone "null": PRF_HMAC_SHA2_256 (and for CBC
 *   HMAC_SHA2_256_128) - one choice, where libreswan would offer sha2_512
 *   and sha2_256 together.
 * - No DH: the default groups ALG_DEFAULT_IKE_GROUPS, one proposal each.
 *   If that would make more than ALG_PROPOSALS_MAX proposals, such
 *   proposals get only the first default group (DH19) instead.
 *   "none" is an error: IKE needs a DH group. */
bool alg_parse_ike(const char *s, struct alg_proposals *out, struct diag *d);
bool alg_parse_esp(const char *s, struct alg_proposals *out, struct diag *d);

/* The proposals used when ike= or esp= is absent, as the strings they
 * parse from: every combination of the default ciphers (with their key
 * lengths), integrity algorithms, PRFs and DH groups, as libreswan's IKEv2
 * defaults accept any combination of theirs, so a peer whose proposal
 * pairs them in any way finds one. Strongest first in each type, with
 * the groups in the order an initiator guesses its KE (DH19 first).
 * IKE: AES_GCM_16 256/128 x PRF SHA2 512/384/256 x 7 groups (42), and
 * AES_CBC 256/128 x HMAC SHA2 512/384/256 x the same PRFs x 7 groups (126).
 * ESP: AES_GCM_16 256/128, and AES_CBC 256/128 x HMAC SHA2 512/384/256,
 * without a DH group and then with each (PFS in CREATE_CHILD_SA): 64.
 * Neither offers SHA1, as libreswan 4 does not. */
#define ALG_DEFAULT_IKE_GROUPS "dh19+dh20+dh21+dh31+modp2048+modp3072+modp4096"
#define ALG_DEFAULT_IKE "aes_gcm256+aes_gcm128-sha2_512+sha2_384+sha2_256," \
	"aes256+aes128-sha2_512+sha2_384+sha2_256-sha2_512+sha2_384+sha2_256"
#define ALG_DEFAULT_ESP "aes_gcm256+aes_gcm128;none,aes256+aes128-sha2_512+sha2_384+sha2_256;none," \
	"aes_gcm256+aes_gcm128;" ALG_DEFAULT_IKE_GROUPS "," \
	"aes256+aes128-sha2_512+sha2_384+sha2_256;" ALG_DEFAULT_IKE_GROUPS
/* The defaults as parsed lists (parsed on the first call, then copied:
 * for the thread that loads configs). */
void alg_default_ike(struct alg_proposals *out);
void alg_default_esp(struct alg_proposals *out);

/* Canonical names, as logs and whack print them:
 * "AES_GCM_16_256", "AES_CBC_128-HMAC_SHA1_96",
 * "AES_CBC_256-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-MODP2048" (IKE).
 * The key length is part of the name only for algorithms that take more
 * than one (so "CHACHA20_POLY1305", never "_256"). Transforms that are NONE
 * are left out; ESP adds "-DH19" etc. only when a PFS group is set. */
#define ALG_NAME_MAX 128
const char *alg_ike_name(const struct alg_proposal *p, char buf[ALG_NAME_MAX]);
const char *alg_esp_name(const struct alg_proposal *p, char buf[ALG_NAME_MAX]);
/* A whole list, proposals joined by ", ". Cut short with "..." at the end
 * when len is too small. */
const char *alg_proposals_name(const struct alg_proposals *ps, bool ike, char *buf, size_t len);

/* "NONE" for the _NONE values, "UNKNOWN" for values not in the enums. */
const char *encr_name(enum encr_id e);		/* "AES_GCM_16", "AES_CBC" */
const char *integ_name(enum integ_id i);	/* "HMAC_SHA1_96" */
const char *prf_name(enum prf_id p);		/* "PRF_HMAC_SHA2_256" */
const char *dh_name(enum dh_id g);
/* Whether a is one of ps (every transform the same). */
bool alg_proposals_include(const struct alg_proposals *ps, const struct alg_proposal *a);		/* "MODP2048", "DH19" (ECP256), "DH31" */
bool encr_is_aead(enum encr_id e);
bool encr_keylen_ok(enum encr_id e, unsigned bits);	/* AES: 128/192/256, chacha20: 256 */

/* Facts the kernel backend and IKE need; 0 or NULL for NONE and unknown
 * values. The kernel's AEAD key is the cipher key followed by the salt. */
unsigned integ_key_bytes(enum integ_id i);	/* HMAC key length */
unsigned integ_icv_bits(enum integ_id i);	/* truncation: 96, 128, 192, 256 */
unsigned encr_salt_bytes(enum encr_id e);	/* 4 for GCM and chacha20, 0 for CBC */
unsigned encr_icv_bits(enum encr_id e);		/* 128 for AEAD, 0 otherwise */
const char *encr_kernel_name(enum encr_id e);	/* "rfc4106(gcm(aes))", "cbc(aes)", "rfc7539esp(chacha20,poly1305)" */
const char *integ_kernel_name(enum integ_id i);	/* "hmac(sha1)", "hmac(sha256)" ... */

#endif
