/* ikev2_frag.h: IKE fragmentation (RFC 7383).
 *
 * Both ends say in IKE_SA_INIT that they take fragments
 * (IKEV2_FRAGMENTATION_SUPPORTED; the conn's fragmentation=no keeps ours
 * out). Once both did, an encrypted message of ours that is larger than
 * the fragment size goes as Encrypted Fragment (SKF) payloads, each in a
 * datagram of its own, each encrypted and integrity-protected on its own.
 * The fragments of one message are kept together, back to back, as one
 * "train" of datagrams where the whole message would be (the request kept
 * for retransmits, the response kept for the peer's): sending a train
 * sends every fragment (ikev2_frag_next walks it), so a retransmit
 * resends them all, unchanged (2.6).
 *
 * The fragment size is what RFC 7383 2.5.1 says every path carries: IP
 * datagrams of at most 576 bytes over IPv4 and 1280 over IPv6, less the
 * IP and UDP headers and, on port 4500, the non-ESP marker. No path MTU
 * is discovered.
 *
 * Received fragments are taken only on an IKE SA that negotiated
 * fragmentation and has keys, and only for the message ID the window
 * wants (the dispatcher checks that first). Each fragment's integrity is
 * checked before anything of it is kept; its plaintext is copied aside.
 * Duplicates and fragments whose number is out of range are dropped;
 * fragments of a smaller total than those kept are dropped, of a larger
 * one replace them (the sender fragmented again, smaller: 2.6). When
 * every fragment of the message is in, the plaintexts joined are the
 * message's inner payloads and the message goes on as an ordinary SK
 * message.
 *
 * What fragments may cost is bounded: at most IKEV2_FRAG_MAX fragments
 * and IKEV2_FRAG_MSG_BYTES of plaintext per message being reassembled,
 * one message per direction per IKE SA; IKEV2_FRAG_ALL_BYTES in all IKE
 * SAs together, of which IKEV2_FRAG_UNAUTH_BYTES at most for IKE SAs
 * whose peer has not authenticated yet, so half-open SAs cannot take the
 * room the established ones need. A fragment that would go past a bound
 * is dropped (and logged, rate-limited). */
#ifndef IKEV2_FRAG_H
#define IKEV2_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "ike_crypto.h"
#include "ikev2_msg.h"

#define IKEV2_FRAG_MAX		64		/* fragments of one message */
#define IKEV2_FRAG_MSG_BYTES	IKEV2_MSG_MAX	/* plaintext of one message */
#define IKEV2_FRAG_ALL_BYTES	(4u << 20)	/* in all IKE SAs */
#define IKEV2_FRAG_UNAUTH_BYTES	(1u << 20)	/* ... before the peer authenticated */
/* What one kept fragment is counted as beyond its plaintext (its
 * allocation), so that tiny fragments cannot cost more than counted. */
#define IKEV2_FRAG_OVERHEAD	64

/* The largest IKE message in one fragment's datagram (RFC 7383 2.5.1). */
#define IKEV2_FRAG_IPV4_DATAGRAM 576
#define IKEV2_FRAG_IPV6_DATAGRAM 1280
size_t ikev2_frag_size(bool ipv6, bool non_esp_marker);

/* The SKF payload's own fields, after its generic header (3.14 plus
 * RFC 7383 2.5): fragment number and total, both 1..65535, number <=
 * total. */
#define IKEV2_SKF_FIELDS_LEN 4

/* ---- the reassembler: no IKE SA, no crypto (unit tests, fuzzing) ---- */

/* The byte budgets fragments of all IKE SAs draw from. */
struct frag_pool {
	size_t used, unauth_used;
	size_t max, unauth_max;
};
extern struct frag_pool ikev2_frag_pool;	/* pluto's: IKEV2_FRAG_ALL/UNAUTH_BYTES */

struct frag_part {
	uint8_t *data;		/* NULL: not in yet */
	size_t len;
};

/* One message being put together. Zeroed is empty. */
struct frag_reasm {
	bool active;
	bool unauth;		/* its bytes count as before authentication */
	uint32_t msgid;
	uint16_t total, have;
	uint8_t first;		/* fragment 1's next payload: the first inner payload */
	size_t bytes;		/* counted against the pool */
	uint64_t digest1;	/* fragment 1's datagram as it came, for retransmits */
	size_t len1;
	struct frag_part part[IKEV2_FRAG_MAX + 1];	/* by fragment number */
};

enum frag_verdict {
	FRAG_KEPT,		/* kept, more to come */
	FRAG_COMPLETE,		/* kept, and the message is whole */
	FRAG_DUPLICATE,		/* that number is in already */
	FRAG_OUT_OF_RANGE,	/* number 0, number > total, or total > IKEV2_FRAG_MAX */
	FRAG_STALE,		/* a smaller total than the fragments kept */
	FRAG_TOO_BIG,		/* the message would pass IKEV2_FRAG_MSG_BYTES */
	FRAG_NO_ROOM,		/* the pool is full */
	FRAG_NO_MEMORY,
};
const char *frag_verdict_name(enum frag_verdict v);

/* Keeps a copy of one fragment's plaintext (already checked). A fragment
 * of another message ID, or of a larger total, first empties r. first is
 * used from fragment 1 only; digest/len are the datagram's, kept from
 * fragment 1. */
enum frag_verdict frag_reasm_add(struct frag_reasm *r, struct frag_pool *pool, bool unauth, uint32_t msgid,
				 uint16_t number, uint16_t total, uint8_t first, const uint8_t *plain,
				 size_t len, uint64_t digest, size_t datagram_len);
/* The whole plaintext of a complete r into a new buffer (*len bytes,
 * free with ikev2_frag_wipe_free); r is emptied. NULL when out of memory. */
uint8_t *frag_reasm_take(struct frag_reasm *r, struct frag_pool *pool, size_t *len);
/* Empties r, giving its bytes back to the pool (plaintext wiped). */
void frag_reasm_clear(struct frag_reasm *r, struct frag_pool *pool);
void ikev2_frag_wipe_free(uint8_t *p, size_t len);

/* An SKF payload's fields: its number and total, and where its IV
 * starts in the datagram. False, with a reason, when they are missing or
 * out of range (number 0, total 0, number > total). */
bool ikev2_skf_fields(const struct ikev2_payload *skf, const uint8_t *datagram, uint16_t *number,
		      uint16_t *total, size_t *sk_body, struct diag *d);
/* Whether m is a fragment: its one payload is SKF. */
bool ikev2_is_fragment(const struct ikev2_msg *m);

/* ---- splitting (the crypto, no IKE SA) ---- */

/* The fragments of a message with header h whose inner payloads (the
 * first of type first) are plain, each datagram at most max bytes, back
 * to back into out; their total length, 0 when they do not fit in cap or
 * the message would need more than IKEV2_FRAG_MAX (d says why). */
size_t ikev2_frag_split(const struct sk_cipher *c, const struct ikev2_hdr *h, uint8_t first,
			const uint8_t *plain, size_t plain_len, size_t max, uint8_t *out, size_t cap,
			struct diag *d);
/* The length of the datagram at off in a train of len bytes (by its
 * header's length), 0 at the end or when the rest is not a datagram. */
size_t ikev2_frag_next(const uint8_t *train, size_t len, size_t off);

/* ---- on an IKE SA (ikev2_frag.c) ---- */

struct ike_sa;
struct ikev2_rx;
struct ikev2_builder;

/* IKE_SA_INIT: our IKEV2_FRAGMENTATION_SUPPORTED, when the conn allows
 * fragments (an initiator) or they were agreed (a responder, once it
 * read the request). */
void ikev2_frag_add_supported(const struct ike_sa *ike, struct ikev2_builder *b);
/* IKE_SA_INIT from the peer (request or response): fragments are agreed
 * when it carries the notify and the conn allows them. */
void ikev2_frag_read_init(struct ike_sa *ike, const struct ikev2_msg *m);
/* A rekeyed IKE SA keeps what its predecessor agreed. */
void ikev2_frag_inherit(struct ike_sa *ike, const struct ike_sa *old);
bool ikev2_frag_agreed(const struct ike_sa *ike);
/* The largest datagram ike sends whole. */
size_t ikev2_frag_limit(const struct ike_sa *ike);
/* Fragments of a received message (rx is one, its window checked): true
 * once the message is whole, then whole holds it parsed, its inner
 * payloads in a buffer of its own (free it with ikev2_frag_done). Every
 * fragment dropped is logged with why. */
bool ikev2_frag_receive(struct ike_sa *ike, struct ikev2_rx *rx, struct ikev2_rx *whole);
void ikev2_frag_done(struct ikev2_rx *whole);
/* rx is a fragment of the request we answered last (not byte for byte
 * the first fragment we took, which ikev2_resend_response knows): when
 * it is fragment 1 and authentic, the peer fragmented its retransmit
 * anew, and our answer goes again (RFC 7383 2.6.1); any other is dropped. */
void ikev2_frag_answered(struct ike_sa *ike, struct ikev2_rx *rx);
/* Frees ike's reassembly state (ike_sa_free). */
void ikev2_frag_free(struct ike_sa *ike);

#endif
