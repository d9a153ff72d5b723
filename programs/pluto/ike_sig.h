/* ike_sig.h: RFC 7427 digital signature AUTH (method 14) through NSS.
 *
 * The AUTH data is the length of an ASN.1 AlgorithmIdentifier, that
 * AlgorithmIdentifier, and the signature over the signed octets
 * (ike_crypto.h's auth_signed_octets). We sign RSA keys with RSASSA-PSS
 * and EC keys with ECDSA, with the hash both ends announced in
 * SIGNATURE_HASH_ALGORITHMS (SHA2-256, -384 or -512); we verify those and
 * RSASSA-PKCS1-v1_5 with SHA2, as the peer's AlgorithmIdentifier says.
 * The private key never leaves NSS: it is looked up by the certificate's
 * nickname and asked to sign. */
#ifndef IKE_SIG_H
#define IKE_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "ike_cert.h"

/* The hashes we announce and accept, as a mask of SIG_HASH_BITs. */
unsigned ike_sig_hashes(void);
/* The SIGNATURE_HASH_ALGORITHMS notify's data for ike_sig_hashes: len bytes. */
size_t ike_sig_hashes_data(uint8_t *out, size_t cap);

#define IKE_SIG_AUTH_MAX 1200	/* an AlgorithmIdentifier and an 8192-bit signature */

/* AUTH data signing octets (len bytes) with the private key of our
 * certificate nickname, with a hash of peer_hashes (the peer's notify);
 * *out_len bytes into out. False with the reason in d. */
bool ike_sig_sign(const char *nickname, unsigned peer_hashes, const uint8_t *octets, size_t len,
		  uint8_t out[IKE_SIG_AUTH_MAX], size_t *out_len, struct diag *d);

/* Whether auth (AUTH data of method 14) is a signature over octets by the
 * key of pc, of the kind want (an RSA key, or an EC key), with an
 * algorithm we accept. False with the reason in d. */
bool ike_sig_verify(const struct peer_cert *pc, enum cert_key want, const uint8_t *auth, size_t auth_len,
		    const uint8_t *octets, size_t len, struct diag *d);

#endif
