/* ike_crypto.h: the cryptography of IKEv2 (RFC 7296 section 2.13-2.15),
 * through NSS.
 *
 * Secrets live in struct ike_secret buffers that are wiped when freed;
 * nothing here logs a key or a shared secret. All outputs are written into
 * caller buffers with explicit lengths. */
#ifndef IKE_CRYPTO_H
#define IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "alg.h"
#include "diag.h"

#define IKE_PRF_MAX	64	/* HMAC-SHA2-512 */
#define IKE_KEY_MAX	64
#define IKE_DH_PUB_MAX	1024	/* MODP8192 */

/* NSS without a database: enough for hashing, HMAC, AES and DH. A second
 * init before shutdown is harmless. Shutdown is false when NSS reports
 * objects still in use (a leaked key or context). */
bool ike_crypto_init(struct diag *d);
bool ike_crypto_shutdown(void);

/* pluto's start: NSS on the database in dir (libreswan's sql: format,
 * cert9.db and key4.db), read-only, when there is one; else, as
 * ike_crypto_init, without. False only when NSS cannot start at all.
 * What became of the database is *state, and line (len bytes) the one
 * line to log about it: opened with its count of certificates, missing
 * (run ipsec initnss), unreadable (with NSS's reason), or locked by a
 * password pluto cannot give it. Pre-shared keys work in every case. */
enum nss_db_state { NSS_DB_OPEN, NSS_DB_MISSING, NSS_DB_UNREADABLE, NSS_DB_LOCKED };
bool ike_crypto_init_db(const char *dir, enum nss_db_state *state, char *line, size_t len, struct diag *d);

bool ike_random(uint8_t *buf, size_t len);

/* SHA-1 of data: what NAT detection hashes (RFC 7296 2.23). */
#define IKE_SHA1_LEN 20
bool ike_sha1(const uint8_t *data, size_t len, uint8_t out[IKE_SHA1_LEN]);

/* ---- Diffie-Hellman: 14, 15, 16 (MODP), 19, 20, 21 (ECP), 31 (X25519) ---- */

struct dh_local;	/* our private value */

bool dh_supported(enum dh_id g);
/* Length of the public value as IKEv2 carries it in KE: MODP the prime's
 * length, ECP x||y without the 0x04 point prefix, X25519 32 bytes. */
size_t dh_public_len(enum dh_id g);
/* A fresh key pair; pub gets dh_public_len(g) bytes. */
struct dh_local *dh_generate(enum dh_id g, uint8_t *pub, struct diag *d);
/* The shared secret g^ir (for ECP, the x coordinate) into shared, its
 * length in *shared_len (the group's size). A bad peer value is an error:
 * the wrong length, MODP outside 1 < y < p-1, an ECP point off the curve,
 * an X25519 value giving all zeros (RFC 8031). */
bool dh_derive(struct dh_local *l, const uint8_t *peer, size_t peer_len,
	       uint8_t *shared, size_t *shared_len, struct diag *d);
void dh_free(struct dh_local *l);

/* ---- PRF ---- */

size_t prf_len(enum prf_id p);			/* output bytes */
bool prf(enum prf_id p, const uint8_t *key, size_t key_len,
	 const uint8_t *data, size_t data_len, uint8_t *out);
/* prf+ (RFC 7296 2.13): out_len bytes of T1 | T2 | ... */
bool prf_plus(enum prf_id p, const uint8_t *key, size_t key_len,
	      const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* ---- the IKE SA's keys (2.14) ---- */

struct ike_keys {
	enum prf_id prf;
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_ai[IKE_KEY_MAX], sk_ar[IKE_KEY_MAX];
	uint8_t sk_ei[IKE_KEY_MAX], sk_er[IKE_KEY_MAX];	/* key then salt for AEAD */
	uint8_t sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
	size_t d_len, a_len, e_len, p_len;
};

/* SKEYSEED = prf(Ni | Nr, g^ir); {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi,
 * SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). For AES-GCM the
 * encryption keys carry 4 bytes of salt after the key. */
bool ike_derive_keys(const struct alg_proposal *ike, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, const uint8_t *g_ir, size_t g_ir_len,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k);
/* The keys of an IKE SA made by rekeying old (2.18): SKEYSEED =
 * prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF, the rest
 * as above with the new SA's. */
bool ike_derive_rekeyed_keys(const struct ike_keys *old, const struct alg_proposal *ike, const uint8_t *ni,
			     size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *g_ir, size_t g_ir_len,
			     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k);
void ike_keys_wipe(struct ike_keys *k);

/* KEYMAT = prf+(SK_d, [g^ir new |] Ni | Nr) (2.17), len bytes. */
bool child_keymat(enum prf_id p, const uint8_t *sk_d, size_t sk_d_len,
		  const uint8_t *g_ir, size_t g_ir_len,
		  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		  uint8_t *out, size_t len);

/* ---- the SK payload (3.14) ---- */

struct sk_cipher {
	enum encr_id encr;
	unsigned keylen;		/* bits, without the salt */
	enum integ_id integ;		/* INTEG_NONE with AEAD */
	const uint8_t *ekey;		/* key, then 4 bytes of salt for GCM */
	const uint8_t *akey;
	size_t akey_len;
};

/* Bytes the SK payload body adds around plain_len bytes of inner
 * payloads: IV, padding and pad length, ICV. 0 (and sk_iv_len 0) for
 * anything but AES_GCM_16 with no integrity and AES_CBC with one of the
 * HMACs (akey_len its key length), AES keys of 128, 192 or 256 bits;
 * sk_seal and sk_open refuse those with a diag. CBC pads to whole
 * blocks; GCM is not padded. Each sealed message gets a random IV (16
 * octets for CBC, 8 for GCM: see ike_sk.c). */
size_t sk_overhead(const struct sk_cipher *c, size_t plain_len);

/* Encrypts in place. msg holds the whole message: header and the SK
 * payload's generic header already written with their final lengths,
 * then the SK body starting at sk_body, which has room for
 * sk_overhead(plain_len) more bytes: the plaintext sits at
 * sk_body + IV length (sk_iv_len). Fills IV, padding, ciphertext and
 * ICV (for CBC+HMAC, the ICV covers msg from its start). */
size_t sk_iv_len(const struct sk_cipher *c);
bool sk_seal(const struct sk_cipher *c, uint8_t *msg, size_t sk_body, size_t plain_len, struct diag *d);

/* Checks and decrypts the SK body of a received message (msg_len bytes
 * in all, SK body from sk_body to the end). On success the plaintext
 * inner payloads are at *plain (inside msg) for *plain_len bytes.
 * An ICV mismatch or bad padding is an error value. */
bool sk_open(const struct sk_cipher *c, uint8_t *msg, size_t msg_len, size_t sk_body,
	     uint8_t **plain, size_t *plain_len, struct diag *d);

/* ---- what AUTH covers, and authentication with a pre-shared key (2.15) ---- */

/* signed_octets = the sender's first message | the peer's nonce |
 * prf(SK_px, ID payload body), in a malloc'd buffer of *len bytes (a
 * signature covers these; a PSK's AUTH is their prf); NULL when out of
 * memory. */
uint8_t *auth_signed_octets(enum prf_id p, const uint8_t *first_msg, size_t first_len,
			    const uint8_t *peer_nonce, size_t nonce_len,
			    const uint8_t *sk_p, size_t sk_p_len,
			    const uint8_t *id_body, size_t id_len, size_t *len);

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), signed_octets). out gets
 * prf_len(p) bytes. */
bool psk_auth(enum prf_id p, const uint8_t *psk, size_t psk_len,
	      const uint8_t *first_msg, size_t first_len,
	      const uint8_t *peer_nonce, size_t nonce_len,
	      const uint8_t *sk_p, size_t sk_p_len,
	      const uint8_t *id_body, size_t id_len, uint8_t *out);

#endif
