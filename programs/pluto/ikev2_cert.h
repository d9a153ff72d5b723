/* ikev2_cert.h: the payloads of authentication by certificate: the
 * SIGNATURE_HASH_ALGORITHMS notify (RFC 7427) and CERTREQ in IKE_SA_INIT,
 * and in IKE_AUTH our CERT, CERTREQ and signature AUTH, and the peer's
 * certificate and signature checked (ike_cert.h, ike_sig.h).
 *
 * A side's signed octets are ikev2_ike_auth.c's, the same as for a PSK. */
#ifndef IKEV2_CERT_H
#define IKEV2_CERT_H

#include <stdbool.h>
#include "ike_sa.h"
#include "ikev2_msg.h"

/* Whether the method a conn names for an end signs (rsasig, ecdsa). */
bool authby_signs(enum authby a);

/* IKE_SA_INIT: the hashes we take, when the conn signs or checks
 * signatures (a responder: when the initiator sent hashes we take too),
 * and a responder's CERTREQ when the peer must show a certificate. */
void ikev2_cert_add_init(const struct ike_sa *ike, struct ikev2_builder *b);
/* What the peer's IKE_SA_INIT (or IKE_AUTH request) says of these. */
void ikev2_cert_read(struct ike_sa *ike, const struct ikev2_msg *m);

/* IKE_AUTH: an initiator's CERTREQ, when the peer must show a
 * certificate (whatever we authenticate with). */
void ikev2_cert_add_request(const struct ike_sa *ike, struct ikev2_builder *b);
/* IKE_AUTH: our CERT (by leftsendcert=), an initiator's CERTREQ, and the
 * AUTH signing octets (len bytes); false, logged, when we cannot sign. */
bool ikev2_cert_add_auth(struct ike_sa *ike, struct ikev2_builder *b, const uint8_t *octets, size_t len);
/* The peer's certificates and its AUTH (auth) over octets, for the ID
 * id it sent; false with the one-line reason logged. On success
 * ike->peer_auth says how it authenticated. */
bool ikev2_cert_check_auth(struct ike_sa *ike, const struct ikev2_msg *m, const struct ikev2_auth *auth,
			   const char *id, const uint8_t *octets, size_t len);

#endif
