/* ike_nss.c: NSS for IKE: start-up (and FIPS mode), the slot every
 * operation uses, randomness, and the two doors between bytes and NSS key
 * objects: in by unwrapping, out by wrapping. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cert.h>
#include <nss.h>
#include <prerror.h>
#include <secmod.h>
#include "ike_crypto_internal.h"
#include <pkcs11n.h>	/* after pk11pub.h, which it needs */

/* An init context rather than NSS_NoDB_Init: it is reference-counted by
 * NSS, so shutting ours down leaves any other NSS user in the process
 * alone. Tests run without a database (IKE with PSK needs no certificates
 * or stored keys); pluto opens its own, read-only, when there is one. */
static NSSInitContext *nss_ctx;
static PK11SlotInfo *slot;

static const CK_MECHANISM_TYPE needed[] = {
	CKM_SHA_1_HMAC, CKM_SHA256_HMAC, CKM_SHA384_HMAC, CKM_SHA512_HMAC,
	CKM_AES_CBC, CKM_AES_GCM, CKM_DH_PKCS_KEY_PAIR_GEN, CKM_DH_PKCS_DERIVE,
	CKM_EC_KEY_PAIR_GEN, CKM_ECDH1_DERIVE, CKM_NSS_IKE_PRF_DERIVE, CKM_NSS_IKE_PRF_PLUS_DERIVE,
	CKM_EXTRACT_KEY_FROM_KEY, CKM_CONCATENATE_DATA_AND_BASE, CKM_AES_ECB, CKM_AES_KEY_GEN,
};
static unsigned long extractions;

/* The longest value in or out: prf+'s most (255 blocks of SHA2-512). */
#define IKE_KEY_VALUE_MAX (255 * IKE_PRF_MAX)

static bool slot_has_all(struct diag *d)
{
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!PK11_DoesMechanism(slot, needed[i])) {
			diag_add(d, "NSS: the internal slot lacks mechanism 0x%lx", (unsigned long)needed[i]);
			return false;
		}
	}
	return true;
}

/* The slot every operation uses, once nss_ctx is up. */
static bool take_slot(struct diag *d)
{
	slot = PK11_GetInternalSlot();
	if (slot == NULL) {
		diag_add(d, "NSS: no internal slot: %s", PR_ErrorToName(PR_GetError()));
		ike_crypto_shutdown();
		return false;
	}
	if (!slot_has_all(d)) {
		ike_crypto_shutdown();
		return false;
	}
	return true;
}

bool ike_crypto_init(struct diag *d)
{
	if (nss_ctx != NULL)
		return true;
	nss_ctx = NSS_InitContext("", "", "", "", NULL,
				  NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
				  NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT);
	if (nss_ctx == NULL) {
		diag_add(d, "NSS: initialisation failed: %s", PR_ErrorToName(PR_GetError()));
		return false;
	}
	return take_slot(d);
}

static unsigned count_certs(void)
{
	unsigned n = 0;
	CERTCertList *certs = PK11_ListCerts(PK11CertListAll, NULL);
	if (certs == NULL)
		return 0;
	for (CERTCertListNode *c = CERT_LIST_HEAD(certs); !CERT_LIST_END(c, certs); c = CERT_LIST_NEXT(c))
		n++;
	CERT_DestroyCertList(certs);
	return n;
}

bool ike_crypto_keys_locked(void)
{
	PK11SlotInfo *keys = PK11_GetInternalKeySlot();
	if (keys == NULL)
		return false;
	bool need = PK11_NeedLogin(keys) && !PK11_IsLoggedIn(keys, NULL);
	PK11_FreeSlot(keys);
	return need;
}

bool ike_crypto_init_db(const char *dir, struct nss_db_open *db, struct diag *d)
{
	char certdb[4096], config[4096 + 8];
	*db = (struct nss_db_open){ .state = NSS_DB_MISSING };
	snprintf(certdb, sizeof(certdb), "%s/cert9.db", dir);
	if (access(certdb, F_OK) != 0)
		return ike_crypto_init(d);
	snprintf(config, sizeof(config), "sql:%s", dir);
	nss_ctx = NSS_InitContext(config, "", "", "", NULL, NSS_INIT_READONLY | NSS_INIT_NOROOTINIT);
	if (nss_ctx == NULL) {
		db->state = NSS_DB_UNREADABLE;
		db->nss_error = PR_ErrorToName(PR_GetError());
		return ike_crypto_init(d);
	}
	if (!take_slot(d))
		return false;
	db->certs = count_certs();
	db->state = ike_crypto_keys_locked() ? NSS_DB_LOCKED : NSS_DB_OPEN;
	return true;
}

bool ike_crypto_key_token(char *name, size_t len)
{
	PK11SlotInfo *keys = PK11_GetInternalKeySlot();
	if (keys == NULL)
		return false;
	snprintf(name, len, "%s", PK11_GetTokenName(keys));
	PK11_FreeSlot(keys);
	return true;
}

/* NSS checks the password and, when it is right, logs the slot in for
 * the life of the process; it keeps no copy of the password. */
bool ike_crypto_login(const char *password, const char **nss_error)
{
	PK11SlotInfo *keys = PK11_GetInternalKeySlot();
	if (keys == NULL) {
		*nss_error = PR_ErrorToName(PR_GetError());
		return false;
	}
	bool ok = PK11_CheckUserPassword(keys, password) == SECSuccess;
	if (!ok)
		*nss_error = PR_ErrorToName(PR_GetError());
	PK11_FreeSlot(keys);
	return ok;
}

bool ike_crypto_shutdown(void)
{
	if (slot != NULL) {
		PK11_FreeSlot(slot);
		slot = NULL;
	}
	bool ok = true;
	if (nss_ctx != NULL) {
		/* SEC_ERROR_BUSY here means some key or context was not freed */
		ok = NSS_ShutdownContext(nss_ctx) == SECSuccess;
		nss_ctx = NULL;
	}
	return ok;
}

PK11SlotInfo *ike_nss_slot(void)
{
	return slot;
}

bool ike_random(uint8_t *buf, size_t len)
{
	if (slot == NULL || len > INT_MAX)
		return false;
	return len == 0 || PK11_GenerateRandom(buf, (int)len) == SECSuccess;
}

bool ike_sha1(const uint8_t *data, size_t len, uint8_t out[IKE_SHA1_LEN])
{
	if (slot == NULL || len > INT_MAX)
		return false;
	return PK11_HashBuf(SEC_OID_SHA1, out, data, (PRInt32)len) == SECSuccess;
}

/* ---- FIPS mode ---- */

bool ike_crypto_fips(void)
{
	return PK11_IsFIPS();
}

/* NSS's way (modutil -fips true does the same): "deleting" the internal
 * module swaps it for its FIPS twin. With the database opened read-only
 * the swap stays in this process's memory. */
bool ike_crypto_enter_fips(struct diag *d)
{
	if (nss_ctx == NULL) {
		diag_add(d, "NSS is not running");
		return false;
	}
	if (!PK11_IsFIPS()) {
		SECMODModule *internal = SECMOD_GetInternalModule();
		if (internal == NULL || SECMOD_DeleteInternalModule(internal->commonName) != SECSuccess) {
			diag_add(d, "NSS cannot switch its internal module to FIPS mode: %s",
				 PR_ErrorToName(PR_GetError()));
			return false;
		}
	}
	if (!PK11_IsFIPS()) {
		diag_add(d, "NSS did not enter FIPS mode (its FIPS module is missing?)");
		return false;
	}
	if (slot != NULL)
		PK11_FreeSlot(slot);
	slot = NULL;
	return take_slot(d);
}

/* ---- keys in and out ---- */

/* A fresh AES key for one wrap or unwrap. */
static PK11SymKey *transport_key(void)
{
	return slot == NULL ? NULL : PK11_KeyGen(slot, CKM_AES_ECB, NULL, AES_BLOCK, NULL);
}

/* The transport key and both buffers gone, the plain value wiped. */
static void transport_done(PK11SymKey *t, uint8_t *plain, uint8_t *wrapped, size_t padded)
{
	if (plain != NULL)
		explicit_bzero(plain, padded);
	free(plain);
	free(wrapped);
	if (t != NULL)
		PK11_FreeSymKey(t);
}

static PK11SymKey *import(CK_MECHANISM_TYPE mech, const uint8_t *key, size_t len)
{
	if (len == 0 || len > IKE_KEY_VALUE_MAX)
		return NULL;
	/* FIPS mode refuses a key object made from a plain value: encrypt the
	 * value (zero-padded to whole blocks) under a fresh key, unwrap it. */
	size_t padded = (len + AES_BLOCK - 1) / AES_BLOCK * AES_BLOCK;
	uint8_t *plain = calloc(1, padded), *wrapped = malloc(padded);
	PK11SymKey *t = transport_key(), *k = NULL;
	unsigned n = 0;
	SECItem no_param = { siBuffer, NULL, 0 };
	if (plain != NULL && wrapped != NULL && t != NULL) {
		memcpy(plain, key, len);
		if (PK11_Encrypt(t, CKM_AES_ECB, &no_param, wrapped, &n, (unsigned)padded, plain,
				 (unsigned)padded) == SECSuccess && n == padded) {
			SECItem w = { siBuffer, wrapped, n };
			k = PK11_UnwrapSymKeyWithFlags(t, CKM_AES_ECB, &no_param, &w, mech, CKA_DERIVE, (int)len,
						       CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT | CKF_DERIVE);
		}
	}
	transport_done(t, plain, wrapped, padded);
	return k;
}

PK11SymKey *ike_sym_key(CK_MECHANISM_TYPE mech, const uint8_t *key, size_t len)
{
	return import(mech, key, len);
}

PK11SymKey *ike_key_import(const uint8_t *key, size_t len)
{
	return import(CKM_GENERIC_SECRET_KEY_GEN, key, len);
}

size_t ike_key_len(PK11SymKey *key)
{
	return key == NULL ? 0 : PK11_GetKeyLength(key);
}

void ike_key_free(PK11SymKey *key)
{
	if (key != NULL)
		PK11_FreeSymKey(key);
}

PK11SymKey *ike_key_slice(PK11SymKey *key, size_t offset, size_t len, CK_MECHANISM_TYPE mech, CK_FLAGS flags)
{
	if (key == NULL || len == 0 || offset + len > ike_key_len(key))
		return NULL;
	CK_EXTRACT_PARAMS bit = (CK_EXTRACT_PARAMS)(offset * 8);
	SECItem param = { siBuffer, (unsigned char *)&bit, sizeof(bit) };
	return PK11_DeriveWithFlags(key, CKM_EXTRACT_KEY_FROM_KEY, &param, mech, CKA_DERIVE, (int)len, flags);
}

bool ike_key_value(PK11SymKey *key, uint8_t *out, size_t len)
{
	size_t have = ike_key_len(key);
	if (have < len || have > IKE_KEY_VALUE_MAX || len == 0)
		return false;
	/* The value wrapped (zero-padded to whole blocks) under a fresh key,
	 * then decrypted with it: FIPS mode allows this, not a plain read. */
	size_t padded = (have + AES_BLOCK - 1) / AES_BLOCK * AES_BLOCK;
	uint8_t *wrapped = malloc(padded), *plain = malloc(padded);
	PK11SymKey *t = transport_key();
	SECItem w = { siBuffer, wrapped, (unsigned)padded }, no_param = { siBuffer, NULL, 0 };
	unsigned n = 0;
	bool ok = wrapped != NULL && plain != NULL && t != NULL &&
		  PK11_WrapSymKey(CKM_AES_ECB, &no_param, t, key, &w) == SECSuccess && w.len == padded &&
		  PK11_Decrypt(t, CKM_AES_ECB, &no_param, plain, &n, (unsigned)padded, wrapped, w.len) == SECSuccess &&
		  n == padded;
	if (ok)
		memcpy(out, plain, len);
	transport_done(t, plain, wrapped, padded);
	return ok;
}

bool ike_key_bytes(PK11SymKey *key, uint8_t *out, size_t len)
{
	extractions++;
	return ike_key_value(key, out, len);
}

unsigned long ike_key_extractions(void)
{
	return extractions;
}
