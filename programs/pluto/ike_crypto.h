/* ike_crypto.h: the cryptography of IKEv2 (RFC 7296 section 2.13-2.15),
 * through NSS.
 *
 * Keys stay inside NSS: the DH shared secret, SKEYSEED, the SK_* keys and
 * a child's KEYMAT are NSS key objects (PK11SymKey), derived with NSS's
 * IKE mechanisms (CKM_NSS_IKE_PRF_DERIVE, CKM_NSS_IKE_PRF_PLUS_DERIVE)
 * and used in place for the SK payload and AUTH. The only key values that
 * come out are the ESP keys for the kernel (ike_key_bytes), which is what
 * lets NSS run in FIPS mode, where it refuses to hand out key values.
 * Nothing here logs a key or a shared secret. */
#ifndef IKE_CRYPTO_H
#define IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "alg.h"
#include "diag.h"

/* NSS's key object (pk11pub.h); a C11 repeat of NSS's own typedef. */
typedef struct PK11SymKeyStr PK11SymKey;

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
 * What became of the database is in *db: opened, with its count of
 * certificates; missing; unreadable (with NSS's reason); or locked: its
 * keys need a password (ike_crypto_login). Pre-shared keys work in every
 * case. */
enum nss_db_state { NSS_DB_OPEN, NSS_DB_MISSING, NSS_DB_UNREADABLE, NSS_DB_LOCKED };
struct nss_db_open {
	enum nss_db_state state;
	unsigned certs;			/* OPEN, LOCKED */
	const char *nss_error;		/* UNREADABLE: NSS's error name */
};
bool ike_crypto_init_db(const char *dir, struct nss_db_open *db, struct diag *d);
/* The name of the token that holds the database's keys ("NSS Certificate
 * DB"; another once NSS is in FIPS mode): the name the NSS password file
 * gives its password under. False when NSS has no such slot. */
bool ike_crypto_key_token(char *name, size_t len);
/* Logs that token in with password, so its private keys can be used.
 * False with NSS's reason (SEC_ERROR_BAD_PASSWORD for a wrong one). */
bool ike_crypto_login(const char *password, const char **nss_error);
/* Whether the database's keys want a password not given yet (one made
 * with --empty-password does not). */
bool ike_crypto_keys_locked(void);

/* Puts the NSS started above into FIPS mode (its internal module, on the
 * database when one is open; the database's files are not changed). False,
 * with NSS's reason in d, when NSS cannot enter it. Call before any key
 * is made: the slot changes. */
bool ike_crypto_enter_fips(struct diag *d);
/* Whether NSS runs in FIPS mode now. */
bool ike_crypto_fips(void);

/* ---- keys inside NSS ---- */

/* A key object holding a copy of len bytes (a pre-shared key; tests'
 * known values), usable for HMAC, AES and the IKE derivations. Imported
 * by unwrapping, which FIPS mode allows where a plain import is refused.
 * NULL when NSS is not up or refuses. */
PK11SymKey *ike_key_import(const uint8_t *key, size_t len);
/* The first len bytes of key's value into out: the one door out of NSS,
 * for ESP keys going to the kernel (the caller wipes out after use). By
 * wrapping under a throw-away AES key and decrypting, which FIPS mode
 * allows. ike_key_extractions counts the calls, so tests can show that
 * nothing but KEYMAT leaves. */
bool ike_key_bytes(PK11SymKey *key, uint8_t *out, size_t len);
unsigned long ike_key_extractions(void);
size_t ike_key_len(PK11SymKey *key);
void ike_key_free(PK11SymKey *key);	/* NULL is fine; NSS wipes the value */

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
/* The shared secret g^ir (for ECP, the x coordinate) as an NSS key of the
 * group's size (MODP left-padded with zeros as RFC 7296 wants), freed with
 * ike_key_free. A bad peer value is an error (NULL): the wrong length,
 * MODP outside 1 < y < p-1, an ECP point off the curve, an X25519 value
 * giving all zeros (RFC 8031). */
PK11SymKey *dh_derive(struct dh_local *l, const uint8_t *peer, size_t peer_len, struct diag *d);
void dh_free(struct dh_local *l);

/* ---- PRF ---- */

size_t prf_len(enum prf_id p);			/* output bytes */
/* prf(key, data) into out (prf_len bytes): a MAC, not a key. */
bool prf_key(enum prf_id p, PK11SymKey *key, const uint8_t *data, size_t data_len, uint8_t *out);
/* The same and prf+ (RFC 7296 2.13, out_len bytes of T1 | T2 | ...) with
 * a key given as bytes, through the same NSS mechanisms: what the known
 * answer tests and the fuzz targets hold the key derivation to. */
bool prf(enum prf_id p, const uint8_t *key, size_t key_len,
	 const uint8_t *data, size_t data_len, uint8_t *out);
bool prf_plus(enum prf_id p, const uint8_t *key, size_t key_len,
	      const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* ---- the IKE SA's keys (2.14) ---- */

/* The keys are NSS objects; only the AES-GCM salts (4 octets of each SK_e
 * after the key: nonce material the cipher takes as a parameter, RFC 5282)
 * are held as bytes. */
struct ike_keys {
	enum prf_id prf;
	PK11SymKey *sk_d;
	PK11SymKey *sk_ai, *sk_ar;	/* NULL with AEAD */
	PK11SymKey *sk_ei, *sk_er;	/* the cipher key, without the salt */
	PK11SymKey *sk_pi, *sk_pr;
	uint8_t salt_i[4], salt_r[4];
	size_t d_len, a_len, e_len, p_len;	/* e_len counts the salt */
};

/* SKEYSEED = prf(Ni | Nr, g^ir); {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi,
 * SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). For AES-GCM the
 * encryption keys carry 4 bytes of salt after the key. *k is overwritten
 * (not freed); on failure it is left zeroed. */
bool ike_derive_keys(const struct alg_proposal *ike, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, PK11SymKey *g_ir,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k);
/* The keys of an IKE SA made by rekeying old (2.18): SKEYSEED =
 * prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF, the rest
 * as above with the new SA's. */
bool ike_derive_rekeyed_keys(const struct ike_keys *old, const struct alg_proposal *ike, const uint8_t *ni,
			     size_t ni_len, const uint8_t *nr, size_t nr_len, PK11SymKey *g_ir,
			     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *k);
/* SK_pi and SK_pr serve only the AUTH payloads (2.15): once both are
 * done (and for an SA made by a rekey, at once) they go. Each key is an
 * NSS object of about 6 kB, so this is a third of an established SA's. */
void ike_keys_auth_done(struct ike_keys *k);
/* Frees the key objects and zeroes *k; harmless on a zeroed one. */
void ike_keys_wipe(struct ike_keys *k);

/* KEYMAT = prf+(SK_d, [g^ir new |] Ni | Nr) (2.17), len bytes, as an NSS
 * key (g_ir NULL without PFS); ike_key_bytes takes the ESP keys out. */
PK11SymKey *child_keymat(enum prf_id p, PK11SymKey *sk_d, PK11SymKey *g_ir,
			 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, size_t len);

/* ---- the SK payload (3.14) ---- */

struct sk_cipher {
	enum encr_id encr;
	unsigned keylen;		/* bits, without the salt */
	enum integ_id integ;		/* INTEG_NONE with AEAD */
	PK11SymKey *ekey;		/* keylen bits */
	const uint8_t *salt;		/* GCM: 4 octets */
	PK11SymKey *akey;		/* CBC: integ_key_bytes(integ) */
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
			    const uint8_t *peer_nonce, size_t nonce_len, PK11SymKey *sk_p,
			    const uint8_t *id_body, size_t id_len, size_t *len);

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), signed_octets). out gets
 * prf_len(p) bytes. The PSK goes into NSS as a key first. */
bool psk_auth(enum prf_id p, const uint8_t *psk, size_t psk_len,
	      const uint8_t *first_msg, size_t first_len,
	      const uint8_t *peer_nonce, size_t nonce_len, PK11SymKey *sk_p,
	      const uint8_t *id_body, size_t id_len, uint8_t *out);

#endif
