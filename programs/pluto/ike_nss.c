/* ike_nss.c: NSS for IKE: start-up, the slot every operation uses,
 * randomness, and raw keys turned into NSS key objects. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <cert.h>
#include <nss.h>
#include <prerror.h>
#include "ike_crypto_internal.h"

/* An init context rather than NSS_NoDB_Init: it is reference-counted by
 * NSS, so shutting ours down leaves any other NSS user in the process
 * alone. Tests run without a database (IKE with PSK needs no certificates
 * or stored keys); pluto opens its own, read-only, when there is one. */
static NSSInitContext *nss_ctx;
static PK11SlotInfo *slot;

static const CK_MECHANISM_TYPE needed[] = {
	CKM_SHA_1_HMAC, CKM_SHA256_HMAC, CKM_SHA384_HMAC, CKM_SHA512_HMAC,
	CKM_AES_CBC, CKM_AES_GCM, CKM_DH_PKCS_KEY_PAIR_GEN, CKM_DH_PKCS_DERIVE,
	CKM_EC_KEY_PAIR_GEN, CKM_ECDH1_DERIVE,
};

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

/* Whether the database's key slot wants a password before its keys can
 * be used (one made with --empty-password does not). */
static bool locked(void)
{
	PK11SlotInfo *keys = PK11_GetInternalKeySlot();
	if (keys == NULL)
		return false;
	bool need = PK11_NeedLogin(keys) && !PK11_IsLoggedIn(keys, NULL);
	PK11_FreeSlot(keys);
	return need;
}

bool ike_crypto_init_db(const char *dir, enum nss_db_state *state, char *line, size_t len, struct diag *d)
{
	char certdb[4096], config[4096 + 8];
	snprintf(certdb, sizeof(certdb), "%s/cert9.db", dir);
	if (access(certdb, F_OK) != 0) {
		*state = NSS_DB_MISSING;
		snprintf(line, len, "NSS database %s is missing (no cert9.db; run ipsec initnss): no certificates, pre-shared keys only",
			 dir);
		return ike_crypto_init(d);
	}
	snprintf(config, sizeof(config), "sql:%s", dir);
	nss_ctx = NSS_InitContext(config, "", "", "", NULL, NSS_INIT_READONLY | NSS_INIT_NOROOTINIT);
	if (nss_ctx == NULL) {
		*state = NSS_DB_UNREADABLE;
		snprintf(line, len, "NSS database %s cannot be opened (%s): no certificates, pre-shared keys only", dir,
			 PR_ErrorToName(PR_GetError()));
		return ike_crypto_init(d);
	}
	if (!take_slot(d))
		return false;
	unsigned n = count_certs();
	if (locked()) {
		*state = NSS_DB_LOCKED;
		snprintf(line, len, "NSS database %s needs a password, which pluto cannot give it yet: its %u certificate%s can be listed but its keys not used; pre-shared keys only",
			 dir, n, n == 1 ? "" : "s");
	} else {
		*state = NSS_DB_OPEN;
		snprintf(line, len, "NSS database %s opened: %u certificate%s", dir, n, n == 1 ? "" : "s");
	}
	return true;
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

PK11SymKey *ike_sym_key(CK_MECHANISM_TYPE mech, CK_ATTRIBUTE_TYPE op,
			const uint8_t *key, size_t len)
{
	if (slot == NULL || len == 0 || len > UINT_MAX)
		return NULL;
	SECItem item = { siBuffer, (unsigned char *)key, (unsigned)len };
	/* OriginUnwrap: NSS's word for "value supplied by the caller". */
	return PK11_ImportSymKey(slot, mech, PK11_OriginUnwrap, op, &item, NULL);
}
