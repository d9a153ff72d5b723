/* ike_cert.h: certificates through the NSS database: ours, found by
 * nickname (leftcert=), and the peer's, as its CERT payloads bring them,
 * validated by NSS against the CAs the database trusts.
 *
 * Nothing here logs: each failure is a reason in words, and whatever in
 * it came from the peer (a subject, a name) is escaped first. Private
 * keys stay in NSS: only their use is asked for (ike_sig.h). A peer's
 * certificates live in NSS's memory only while they are checked, and
 * only their caps' worth (IKEV2_CERTS_MAX, IKEV2_CERT_DER_MAX). */
#ifndef IKE_CERT_H
#define IKE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "ikev2_msg.h"

enum cert_key { CERT_KEY_RSA, CERT_KEY_EC, CERT_KEY_OTHER };
const char *cert_key_name(enum cert_key k);	/* "RSA", "ECDSA", "other" */

/* The subject (RFC 4514 text) of the certificate nickname in the NSS
 * database, into dn; false with the reason in d when it is not there. */
bool ike_cert_subject(const char *nickname, char *dn, size_t dn_len, struct diag *d);
/* Our certificate, nickname in the NSS database, and its private key:
 * its subject (RFC 4514 text, for leftid=%fromcert) into dn, its key's
 * kind into *key. False with the reason in d, naming the nickname, when
 * either is missing. */
bool ike_cert_local(const char *nickname, char *dn, size_t dn_len, enum cert_key *key, struct diag *d);
/* Our certificate's DER, malloc'd (*len bytes), for the CERT payload;
 * NULL when it is gone from the database. */
uint8_t *ike_cert_local_der(const char *nickname, size_t *len);

/* CERTREQ's data (RFC 7296 3.7): the SHA-1 hash of the public key
 * (SubjectPublicKeyInfo) of each CA certificate the database trusts, as
 * many as fit in cap; its length. */
#define IKE_CERT_HASH_LEN 20
size_t ike_cert_ca_hashes(uint8_t *out, size_t cap);

/* A peer's certificate that NSS validated. */
struct peer_cert;

#define PEER_CERT_WHY_MAX 600
/* Validates the peer's certificates: certs[0] is its own, the others may
 * be intermediate CAs. The chain must end in a CA the database trusts,
 * with every certificate in its validity period, and id (the peer's ID as
 * text, as read from the wire) must be the certificate's subject or one of
 * its subjectAltNames (DNS, IP address, email). NULL with the reason in
 * why otherwise: "certificate 'CN=...' has expired", "... is issued by
 * 'CN=...', a CA this host does not trust", "... does not name the
 * peer's ID '...'". */
struct peer_cert *peer_cert_check(const struct ikev2_cert *certs, int n, const char *id, char *why, size_t len);
enum cert_key peer_cert_key(const struct peer_cert *pc);
/* Its subject as printable text (escaped). */
const char *peer_cert_subject(const struct peer_cert *pc);
void peer_cert_free(struct peer_cert *pc);

#endif
