/* ike_cert.c: our certificate in the NSS database, CERTREQ's CA hashes,
 * and the peer's certificates validated (ike_cert.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cert.h>
#include <certdb.h>
#include <keyhi.h>
#include <prerror.h>
#include <secerr.h>
#include "escape.h"
#include "ike_cert.h"
#include "ike_crypto_internal.h"
#include "ike_id.h"
#include "ip_address.h"
#include "ipsec_id.h"

const char *cert_key_name(enum cert_key k)
{
	return k == CERT_KEY_RSA ? "RSA" : k == CERT_KEY_EC ? "ECDSA" : "other";
}

static enum cert_key key_of(CERTCertificate *cert)
{
	switch (CERT_GetCertKeyType(&cert->subjectPublicKeyInfo)) {
	case rsaKey:
		return CERT_KEY_RSA;
	case ecKey:
		return CERT_KEY_EC;
	default:
		return CERT_KEY_OTHER;
	}
}

/* A certificate's subject, escaped, for a reason or a log line. */
static const char *subject_shown(const CERTCertificate *cert, char *buf, size_t len)
{
	return escape_str(cert->subjectName != NULL ? cert->subjectName : "(no subject)", buf, len);
}

static CERTCertificate *find(const char *nickname, struct diag *d)
{
	CERTCertificate *cert = PK11_FindCertFromNickname(nickname, NULL);
	if (cert == NULL)
		diag_add(d, "no certificate '%s' in the NSS database (ipsec listcerts lists them; ipsec import adds one)",
			 nickname);
	return cert;
}

static bool subject_of(CERTCertificate *cert, const char *nickname, char *dn, size_t dn_len, struct diag *d)
{
	if (id_dn_text(cert->derSubject.data, cert->derSubject.len, dn, dn_len))
		return true;
	diag_add(d, "certificate '%s' has a subject this pluto cannot use as an ID (empty, or over %zu characters)",
		 nickname, dn_len - 1);
	return false;
}

bool ike_cert_subject(const char *nickname, char *dn, size_t dn_len, struct diag *d)
{
	CERTCertificate *cert = find(nickname, d);
	bool ok = cert != NULL && subject_of(cert, nickname, dn, dn_len, d);
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	return ok;
}

bool ike_cert_local(const char *nickname, char *dn, size_t dn_len, enum cert_key *key, struct diag *d)
{
	CERTCertificate *cert = find(nickname, d);
	if (cert == NULL)
		return false;
	SECKEYPrivateKey *priv = PK11_FindKeyByAnyCert(cert, NULL);
	bool ok = priv != NULL;
	if (!ok && ike_crypto_keys_locked())
		diag_add(d, "the private key of certificate '%s' cannot be used: the NSS database is locked by a password pluto was not given (see the NSS password file)",
			 nickname);
	else if (!ok)
		diag_add(d, "the NSS database has certificate '%s' but not its private key (import it with its key: ipsec import FILE.p12)",
			 nickname);
	else
		ok = subject_of(cert, nickname, dn, dn_len, d);
	*key = key_of(cert);
	if (priv != NULL)
		SECKEY_DestroyPrivateKey(priv);
	CERT_DestroyCertificate(cert);
	return ok;
}

uint8_t *ike_cert_local_der(const char *nickname, size_t *len)
{
	CERTCertificate *cert = PK11_FindCertFromNickname(nickname, NULL);
	if (cert == NULL)
		return NULL;
	uint8_t *der = malloc(cert->derCert.len);
	if (der != NULL) {
		memcpy(der, cert->derCert.data, cert->derCert.len);
		*len = cert->derCert.len;
	}
	CERT_DestroyCertificate(cert);
	return der;
}

static bool trusted_ca(CERTCertificate *cert)
{
	CERTCertTrust trust;
	return CERT_GetCertTrust(cert, &trust) == SECSuccess &&
	       ((trust.sslFlags | trust.emailFlags | trust.objectSigningFlags) & CERTDB_TRUSTED_CA) != 0;
}

size_t ike_cert_ca_hashes(uint8_t *out, size_t cap)
{
	CERTCertList *certs = PK11_ListCerts(PK11CertListCA, NULL);
	size_t len = 0;
	if (certs == NULL)
		return 0;
	for (CERTCertListNode *n = CERT_LIST_HEAD(certs); !CERT_LIST_END(n, certs); n = CERT_LIST_NEXT(n)) {
		if (len + IKE_CERT_HASH_LEN > cap || !trusted_ca(n->cert))
			continue;
		SECItem *spki = SEC_ASN1EncodeItem(NULL, NULL, &n->cert->subjectPublicKeyInfo,
						   SEC_ASN1_GET(CERT_SubjectPublicKeyInfoTemplate));
		if (spki != NULL && ike_sha1(spki->data, spki->len, out + len))
			len += IKE_CERT_HASH_LEN;
		SECITEM_FreeItem(spki, PR_TRUE);
	}
	CERT_DestroyCertList(certs);
	return len;
}

/* ---- the peer's ---- */

struct peer_cert {
	CERTCertificate *cert;
	CERTCertificate *chain[IKEV2_CERTS_MAX];	/* the intermediates, temporary */
	int nchain;
	enum cert_key key;
	char subject[4 * IKE_ID_TEXT_MAX + 1];
};

void peer_cert_free(struct peer_cert *pc)
{
	if (pc == NULL)
		return;
	for (int i = 0; i < pc->nchain; i++)
		CERT_DestroyCertificate(pc->chain[i]);
	if (pc->cert != NULL)
		CERT_DestroyCertificate(pc->cert);
	free(pc);
}

enum cert_key peer_cert_key(const struct peer_cert *pc)
{
	return pc->key;
}

const char *peer_cert_subject(const struct peer_cert *pc)
{
	return pc->subject;
}

CERTCertificate *peer_cert_nss(const struct peer_cert *pc)
{
	return pc->cert;
}

static CERTCertificate *temp_cert(const struct ikev2_cert *c)
{
	SECItem der = { siBuffer, (unsigned char *)c->data, (unsigned)c->len };
	return CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, NULL, PR_FALSE, PR_TRUE);
}

/* NSS's reason for a chain it refused, in words. */
static void chain_refused(const struct peer_cert *pc, int err, char *why, size_t len)
{
	char issuer[4 * IKE_ID_TEXT_MAX + 1];
	escape_str(pc->cert->issuerName != NULL ? pc->cert->issuerName : "?", issuer, sizeof(issuer));
	switch (err) {
	case SEC_ERROR_EXPIRED_CERTIFICATE:
		snprintf(why, len, "certificate '%s' has expired or is not yet valid", pc->subject);
		break;
	case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
		snprintf(why, len, "certificate '%s' is issued by '%s', whose certificate has expired", pc->subject, issuer);
		break;
	case SEC_ERROR_UNKNOWN_ISSUER:
	case SEC_ERROR_UNTRUSTED_ISSUER:
	case SEC_ERROR_CA_CERT_INVALID:
		snprintf(why, len, "certificate '%s' is issued by '%s', a CA this host does not trust (unknown CA)",
			 pc->subject, issuer);
		break;
	case SEC_ERROR_UNTRUSTED_CERT:
		snprintf(why, len, "certificate '%s' is marked untrusted in the NSS database", pc->subject);
		break;
	case SEC_ERROR_BAD_SIGNATURE:
		snprintf(why, len, "certificate '%s' does not carry a valid signature of its issuer '%s'", pc->subject, issuer);
		break;
	case SEC_ERROR_INADEQUATE_KEY_USAGE:
	case SEC_ERROR_INADEQUATE_CERT_TYPE:
		snprintf(why, len, "certificate '%s' is not for IPsec (its key usage or extended key usage)", pc->subject);
		break;
	default:
		snprintf(why, len, "certificate '%s' was refused by NSS: %s", pc->subject, PR_ErrorToName(err));
	}
}

/* Whether the certificate names id: its subject for a DN, a
 * subjectAltName for the other kinds. */
static bool names_id(CERTCertificate *cert, const char *id)
{
	char subject[IKE_ID_TEXT_MAX];
	switch (id_classify(id, NULL)) {
	case ID_KIND_DN:
		return id_dn_text(cert->derSubject.data, cert->derSubject.len, subject, sizeof(subject)) &&
		       id_eq(subject, id);
	case ID_KIND_FQDN:
		return CERT_VerifyCertName(cert, id + 1) == SECSuccess;
	case ID_KIND_ADDRESS:
		return CERT_VerifyCertName(cert, id) == SECSuccess;
	case ID_KIND_USER_FQDN:
		for (const char *e = CERT_GetFirstEmailAddress(cert); e != NULL; e = CERT_GetNextEmailAddress(cert, e))
			if (strcasecmp(e, id) == 0)
				return true;
		return false;
	default:
		return false;
	}
}

struct peer_cert *peer_cert_check(const struct ikev2_cert *certs, int n, const char *id, char *why, size_t len)
{
	struct peer_cert *pc = calloc(1, sizeof(*pc));
	if (pc == NULL || n < 1 || n > IKEV2_CERTS_MAX) {
		snprintf(why, len, pc == NULL ? "out of memory" : "the peer sent no certificate (CERT payload)");
		peer_cert_free(pc);
		return NULL;
	}
	/* the intermediates first, so NSS finds them when it builds the chain */
	for (int i = 1; i < n; i++) {
		CERTCertificate *c = temp_cert(&certs[i]);
		if (c != NULL)
			pc->chain[pc->nchain++] = c;
	}
	pc->cert = temp_cert(&certs[0]);
	if (pc->cert == NULL) {
		snprintf(why, len, "the peer's certificate does not parse as X.509 (%s)", PR_ErrorToName(PR_GetError()));
		peer_cert_free(pc);
		return NULL;
	}
	subject_shown(pc->cert, pc->subject, sizeof(pc->subject));
	pc->key = key_of(pc->cert);
	if (CERT_VerifyCertificate(CERT_GetDefaultCertDB(), pc->cert, PR_TRUE, certificateUsageIPsec, PR_Now(), NULL,
				   NULL, NULL) != SECSuccess) {
		chain_refused(pc, PR_GetError(), why, len);
		peer_cert_free(pc);
		return NULL;
	}
	if (!names_id(pc->cert, id)) {
		char shown[IKE_ID_SHOWN_MAX];
		snprintf(why, len, "certificate '%s' does not name the peer's ID '%s' (neither its subject nor a subjectAltName)",
			 pc->subject, id_shown(id, shown, sizeof(shown)));
		peer_cert_free(pc);
		return NULL;
	}
	return pc;
}
