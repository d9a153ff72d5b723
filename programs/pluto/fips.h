/* fips.h: what config setup's fips=yes asks of a conn's algorithms.
 *
 * FIPS mode itself (NSS's) is entered at start (ike_crypto_enter_fips);
 * this module says which of pluto's algorithms a FIPS 140 module may use:
 * AES-CBC and AES-GCM, HMAC with SHA-1 or SHA-2 (SP 800-131A keeps
 * HMAC-SHA-1), and the MODP (RFC 3526, 2048 bits and up) and NIST ECP
 * groups of SP 800-56A. Not ChaCha20-Poly1305, not Curve25519 (X25519 is
 * no SP 800-56A rev. 3 key agreement, though NSS 3.87 runs it in FIPS
 * mode). MODP1024, 3DES and MD5 are not in pluto at all. */
#ifndef FIPS_H
#define FIPS_H

#include <stdbool.h>
#include "alg.h"
#include "diag.h"
#include "ipsecconf.h"

/* The name of the first algorithm of p that FIPS mode does not allow,
 * NULL when all are allowed. */
const char *fips_disallowed(const struct alg_proposal *p);

/* A conn whose ike= or esp= names an algorithm FIPS mode does not allow
 * cannot be added: false with one line in errors naming the file, line,
 * conn, keyword and algorithm. */
bool fips_check_conn(const struct conn_config *cfg, struct diag *errors);

/* The default proposals (no ike= or esp=) without what FIPS mode does
 * not allow: a conn that leaves the choice to pluto gets the FIPS part. */
void fips_trim_defaults(struct conn_config *cfg);

#endif
