/* ike_dos.h: what an IKE_SA_INIT request from anyone may cost.
 *
 * Before a responder spends a DH computation or any state on a request,
 * ike_dos_admit decides, from counts alone:
 *  - under load (config setup ddos-mode=busy, or ddos-mode=auto once
 *    ddos-ike-threshold half-open IKE SAs are held) the request must carry
 *    a valid cookie (RFC 7296 2.6); one without gets a COOKIE to send back,
 *    which costs us no state, so a spoofed source gains nothing;
 *  - a peer address (an IPv6 /64: one host can hold all of it) holding
 *    half the per-peer share without cookies must send one too: whoever
 *    forges that address can fill at most that half, and the real peer,
 *    which returns the cookie, still gets in;
 *  - no more than max-halfopen-ike-per-peer half-open IKE SAs from one
 *    peer of each kind (with and without a cookie), nor max-halfopen-ike
 *    in all: beyond, the request is dropped.
 * With ddos-mode=unlimited no cookie is ever asked for; the caps hold.
 * A half-open IKE SA is a responder's that has answered IKE_SA_INIT and
 * waits for IKE_AUTH; it is dropped after halfopen-ike-timeout (ike_sa.c
 * keeps the counts through ike_dos_halfopen_add/del).
 *
 * Once cookies are asked for, they go on being asked for as long as the
 * COOKIEs sent in the last halfopen-ike-timeout or so reach
 * ddos-ike-threshold: a flood keeps the responder in that mode even while
 * its half-open SAs expire, instead of buying a DH for every SA that does.
 *
 * The cookie is a version byte and a 128-bit MAC (two SipHash-2-4 under
 * keys of a secret that changes every IKE_COOKIE_SECRET_LIFETIME_S) over
 * the initiator's nonce, address and SPI: cheap enough to make and check
 * for every packet of a flood. The previous secret's cookies are still
 * accepted, so a peer that got one just before the change is not sent
 * round again. */
#ifndef IKE_DOS_H
#define IKE_DOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "ip_address.h"
#include "ipsecconf.h"

#define IKE_COOKIE_LEN 17		/* version byte + two SipHash-2-4 */
#define IKE_COOKIE_SECRET_LIFETIME_S 120

enum ike_dos_verdict {
	IKE_DOS_ADMIT,
	IKE_DOS_SEND_COOKIE,		/* answer with N(COOKIE), keep nothing */
	IKE_DOS_DROP_PEER,		/* this address holds its share already */
	IKE_DOS_DROP_TOTAL,		/* max-halfopen-ike reached */
};

/* The limits in use; pluto sets them from config setup at start. */
void ike_dos_configure(const struct config_setup *setup);
const struct config_setup *ike_dos_settings(void);

/* The request's verdict: cookie (NULL when it carried none) is the data
 * of its first payload's N(COOKIE), nonce its Ni; *verified says whether
 * the cookie was good (the SA is then counted as such). */
enum ike_dos_verdict ike_dos_admit(const ip_address *remote, const uint8_t spi_i[8],
				   const uint8_t *nonce, size_t nonce_len,
				   const uint8_t *cookie, size_t cookie_len, time_t now, bool *verified);
/* The cookie to send back for such a request; false when it cannot be made. */
bool ike_dos_make_cookie(const ip_address *remote, const uint8_t spi_i[8],
			 const uint8_t *nonce, size_t nonce_len, time_t now,
			 uint8_t cookie[IKE_COOKIE_LEN]);
/* Whether cookies are asked for now. */
bool ike_dos_busy(time_t now);

void ike_dos_halfopen_add(const ip_address *peer, bool verified);
void ike_dos_halfopen_del(const ip_address *peer, bool verified);
unsigned ike_dos_halfopen_total(void);
/* Half-open SAs of peer's address (its /64 for IPv6), of both kinds. */
unsigned ike_dos_halfopen_of(const ip_address *peer);

/* Forget the counts and secrets (tests; shutdown). */
void ike_dos_reset(void);

#endif
