/* ikev2_cert.c: certificate payloads in IKE_SA_INIT and IKE_AUTH
 * (ikev2_cert.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ike_cert.h"
#include "ike_id.h"
#include "ike_sig.h"
#include "ikev2_cert.h"
#include "ikev2_exchange.h"

bool authby_signs(enum authby a)
{
	return a == AUTHBY_RSASIG || a == AUTHBY_ECDSA;
}

static bool uses_signatures(const struct ike_sa *ike)
{
	return authby_signs(ike->ends.local_auth) || authby_signs(ike->ends.remote_auth);
}

static void add_certreq(struct ikev2_builder *b)
{
	uint8_t body[1 + 32 * IKE_CERT_HASH_LEN];
	body[0] = CERT_X509_SIGNATURE;
	size_t n = ike_cert_ca_hashes(body + 1, sizeof(body) - 1);
	ikev2_add(b, PT_CERTREQ, body, 1 + n);
}

void ikev2_cert_add_init(const struct ike_sa *ike, struct ikev2_builder *b)
{
	if (ike->initiator ? uses_signatures(ike) : ike->peer_sig_hashes != 0) {
		uint8_t data[8];
		size_t n = ike_sig_hashes_data(data, sizeof(data));
		ikev2_add_notify(b, 0, NULL, 0, N_SIGNATURE_HASH_ALGORITHMS, data, n);
	}
	if (!ike->initiator && authby_signs(ike->ends.remote_auth))
		add_certreq(b);
}

void ikev2_cert_read(struct ike_sa *ike, const struct ikev2_msg *m)
{
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_notify n;
		unsigned mask;
		if (m->p[i].type == PT_CERTREQ)
			ike->peer_asked_cert = true;
		if (m->p[i].type == PT_NOTIFY && ikev2_parse_notify(&m->p[i], &n, &d) &&
		    n.type == N_SIGNATURE_HASH_ALGORITHMS && ikev2_parse_sig_hashes(n.data, n.data_len, &mask))
			ike->peer_sig_hashes |= mask;
	}
}

/* leftsendcert=: always, never, or when the peer sent a CERTREQ. */
static bool send_cert(const struct ike_sa *ike)
{
	switch (ike->ends.local_sendcert) {
	case SENDCERT_ALWAYS:
		return true;
	case SENDCERT_NEVER:
		return false;
	default:
		return ike->peer_asked_cert;
	}
}

static bool add_cert(struct ike_sa *ike, struct ikev2_builder *b)
{
	size_t len;
	uint8_t *der = ike_cert_local_der(ike->ends.local_cert, &len);
	uint8_t *body = der != NULL ? malloc(1 + len) : NULL;
	if (body == NULL) {
		ike_log(ike, LL_ERROR, "certificate '%s' is gone from the NSS database", ike->ends.local_cert);
		free(der);
		return false;
	}
	body[0] = CERT_X509_SIGNATURE;
	memcpy(body + 1, der, len);
	ikev2_add(b, PT_CERT, body, 1 + len);
	free(body);
	free(der);
	return true;
}

void ikev2_cert_add_request(const struct ike_sa *ike, struct ikev2_builder *b)
{
	if (ike->initiator && authby_signs(ike->ends.remote_auth))
		add_certreq(b);
}

bool ikev2_cert_add_auth(struct ike_sa *ike, struct ikev2_builder *b, const uint8_t *octets, size_t len)
{
	if (ike->ends.local_cert == NULL) {
		ike_log(ike, LL_ERROR, "cannot sign: the conn names no certificate for this end (leftcert=)");
		return false;
	}
	if (send_cert(ike) && !add_cert(ike, b))
		return false;
	ikev2_cert_add_request(ike, b);
	static uint8_t auth[IKE_SIG_AUTH_MAX];
	size_t n;
	struct diag d;
	diag_init(&d);
	if (!ike_sig_sign(ike->ends.local_cert, ike->peer_sig_hashes, octets, len, auth, &n, &d)) {
		ike_log(ike, LL_ERROR, "cannot sign our AUTH: %s", diag_oneline(&d, "?"));
		return false;
	}
	ikev2_add_auth(b, AUTH_DIGITAL_SIGNATURE, auth, n);
	return true;
}

bool ikev2_cert_check_auth(struct ike_sa *ike, const struct ikev2_msg *m, const struct ikev2_auth *auth,
			   const char *id, const uint8_t *octets, size_t len)
{
	if (auth->method != AUTH_DIGITAL_SIGNATURE) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer uses AUTH method %u; the conn expects of it a digital signature (14, RFC 7427) by %s",
			auth->method, authby_name(ike->ends.remote_auth));
		return false;
	}
	struct ikev2_cert certs[IKEV2_CERTS_MAX];
	struct diag d;
	diag_init(&d);
	int n = ikev2_certs(m, certs, &d);
	if (n < 0) {
		ike_log(ike, LL_ERROR, "authentication failed: %s", diag_oneline(&d, "?"));
		return false;
	}
	char why[PEER_CERT_WHY_MAX];
	struct peer_cert *pc = peer_cert_check(certs, n, id, why, sizeof(why));
	if (pc == NULL) {
		ike_log(ike, LL_ERROR, "authentication failed: %s", why);
		return false;
	}
	enum cert_key want = ike->ends.remote_auth == AUTHBY_ECDSA ? CERT_KEY_EC : CERT_KEY_RSA;
	bool ok = ike_sig_verify(pc, want, auth->data, auth->len, octets, len, &d);
	if (!ok)
		ike_log(ike, LL_ERROR, "authentication failed: %s", diag_oneline(&d, "?"));
	else
		snprintf(ike->peer_auth, sizeof(ike->peer_auth), "an %s signature and certificate '%s'",
			 cert_key_name(peer_cert_key(pc)), peer_cert_subject(pc));
	peer_cert_free(pc);
	return ok;
}
