/* ike_nss.c: NSS for IKE: start-up, the slot every operation uses,
 * randomness, and raw keys turned into NSS key objects. */
#include <limits.h>
#include <nss.h>
#include <prerror.h>
#include "ike_crypto_internal.h"

/* An init context rather than NSS_NoDB_Init: it is reference-counted by
 * NSS, so shutting ours down leaves any other NSS user in the process
 * alone. No databases: IKE with PSK needs no certificates or stored keys. */
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
