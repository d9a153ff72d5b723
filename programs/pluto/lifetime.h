/* lifetime.h: when an SA is due for rekeying, by libreswan's rule.
 *
 * An SA lives for its lifetime (salifetime=, ikelifetime=). Its rekey is
 * due rekeymargin before the end, plus a random share of up to rekeyfuzz
 * percent of the margin, so that tunnels that came up in the same second
 * do not all rekey in the same second. The end that responded when the
 * SA was made uses half that margin: with the same settings on both ends
 * the initiator rekeys first, and simultaneous rekeys (RFC 7296 2.8.1)
 * stay rare. */
#ifndef LIFETIME_H
#define LIFETIME_H

#include <stdbool.h>
#include <stdint.h>

/* Seconds after which the rekey is due, never 0 and never past the
 * lifetime; random is uniform over uint32_t. */
uint32_t lifetime_rekey_after(uint32_t lifetime, uint32_t margin, uint32_t fuzz_percent, bool responder,
			      uint32_t random);

/* A soft byte or packet limit from ipsec-max-bytes=/-packets= (limit; 0
 * for none, which gives 0), as libreswan sets it: a quarter of the limit
 * for the end that initiated, half for the responder, plus up to 12% of
 * the limit at random. */
uint64_t lifetime_soft_limit(uint64_t limit, bool responder, uint32_t random);

#endif
