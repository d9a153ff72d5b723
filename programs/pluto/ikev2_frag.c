/* ikev2_frag.c: IKE fragmentation (RFC 7383) on an IKE SA: agreeing on
 * it in IKE_SA_INIT, cutting our big messages into SKF fragments, and
 * taking the peer's fragments in. ikev2_frag.h says what is promised. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ike_sa.h"
#include "ike_socket.h"
#include "ikev2_exchange.h"
#include "ikev2_frag.h"
#include "log.h"

/* Per IKE SA, once fragmentation is agreed. */
struct ikev2_frag {
	struct frag_reasm in[2];	/* the peer's [0] requests, [1] responses */
};

static struct log_limit frag_lines;

#define IPV4_HDR 20
#define IPV6_HDR 40
#define UDP_HDR 8
#define NON_ESP_MARKER 4

size_t ikev2_frag_size(bool ipv6, bool non_esp_marker)
{
	size_t n = ipv6 ? IKEV2_FRAG_IPV6_DATAGRAM - IPV6_HDR : IKEV2_FRAG_IPV4_DATAGRAM - IPV4_HDR;
	return n - UDP_HDR - (non_esp_marker ? NON_ESP_MARKER : 0);
}

/* ---- splitting ---- */

#define SKF_FIXED (IKEV2_HDR_LEN + IKEV2_GENERIC_HDR_LEN + IKEV2_SKF_FIELDS_LEN)

/* The most plaintext one fragment of at most max bytes carries. */
static size_t chunk_for(const struct sk_cipher *c, size_t max)
{
	if (max <= SKF_FIXED)
		return 0;
	size_t chunk = max - SKF_FIXED;
	while (chunk > 0 && SKF_FIXED + chunk + sk_overhead(c, chunk) > max)
		chunk--;
	return chunk;
}

/* One fragment at out; its length, 0 when it does not fit cap. */
static size_t one_fragment(const struct sk_cipher *c, const struct ikev2_hdr *h, uint8_t next, uint16_t number,
			   uint16_t total, const uint8_t *plain, size_t len, uint8_t *out, size_t cap, struct diag *d)
{
	static const uint8_t zeros[256];
	size_t iv = sk_iv_len(c), over = sk_overhead(c, len);
	const uint8_t fields[IKEV2_SKF_FIELDS_LEN] = { number >> 8, number & 0xff, total >> 8, total & 0xff };
	struct ikev2_builder b;
	ikev2_begin(&b, out, cap, h);
	size_t skf = ikev2_open_payload(&b, PT_SKF);
	ikev2_put(&b, fields, sizeof(fields));
	ikev2_put(&b, zeros, iv);
	ikev2_put(&b, plain, len);
	ikev2_put(&b, zeros, over - iv);
	ikev2_end_payload(&b, skf);
	size_t n = ikev2_finish(&b);
	if (n == 0) {
		diag_add(d, "fragment %u of %u does not fit the %zu bytes left", number, total, cap);
		return 0;
	}
	out[skf] = next;	/* fragment 1's names the first payload inside; the others' 0 */
	if (!sk_seal(c, out, skf + IKEV2_GENERIC_HDR_LEN + IKEV2_SKF_FIELDS_LEN, len, d))
		return 0;
	return n;
}

size_t ikev2_frag_split(const struct sk_cipher *c, const struct ikev2_hdr *h, uint8_t first,
			const uint8_t *plain, size_t plain_len, size_t max, uint8_t *out, size_t cap,
			struct diag *d)
{
	size_t chunk = chunk_for(c, max);
	if (chunk == 0 || sk_overhead(c, 0) == 0) {
		diag_add(d, "no fragment of at most %zu bytes can carry anything", max);
		return 0;
	}
	size_t total = plain_len == 0 ? 1 : (plain_len + chunk - 1) / chunk;
	if (total > IKEV2_FRAG_MAX) {
		diag_add(d, "a message of %zu bytes would need %zu fragments of at most %zu bytes (more than %d)",
			 plain_len, total, max, IKEV2_FRAG_MAX);
		return 0;
	}
	size_t at = 0;
	for (size_t i = 1, off = 0; i <= total; i++, off += chunk) {
		size_t len = plain_len - off < chunk ? plain_len - off : chunk;
		size_t n = one_fragment(c, h, i == 1 ? first : PT_NONE, (uint16_t)i, (uint16_t)total, plain + off, len,
					out + at, cap - at, d);
		if (n == 0)
			return 0;
		at += n;
	}
	return at;
}

/* ---- agreeing on it ---- */

static bool conn_allows(const struct ike_sa *ike)
{
	return ike->c->config->fragmentation != FRAG_NO;
}

bool ikev2_frag_agreed(const struct ike_sa *ike)
{
	return ike->frag != NULL;
}

void ikev2_frag_add_supported(const struct ike_sa *ike, struct ikev2_builder *b)
{
	if (ike->initiator ? conn_allows(ike) : ikev2_frag_agreed(ike))
		ikev2_add_notify(b, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
}

static void agree(struct ike_sa *ike)
{
	if (ike->frag == NULL)
		ike->frag = calloc(1, sizeof(*ike->frag));
	/* Out of memory: messages go whole, as without the notify. */
}

void ikev2_frag_read_init(struct ike_sa *ike, const struct ikev2_msg *m)
{
	if (!conn_allows(ike) || !ikev2_has_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED))
		return;
	agree(ike);
	ike_log(ike, LL_DEBUG, "both ends take IKE fragments (RFC 7383); ours are at most %zu bytes",
		ikev2_frag_limit(ike));
}

void ikev2_frag_inherit(struct ike_sa *ike, const struct ike_sa *old)
{
	if (ikev2_frag_agreed(old))
		agree(ike);
}

size_t ikev2_frag_limit(const struct ike_sa *ike)
{
	return ikev2_frag_size(ike->ends.remote.family == AF_INET6, ike->local_port == IKE_NATT_PORT);
}

void ikev2_frag_free(struct ike_sa *ike)
{
	if (ike->frag == NULL)
		return;
	for (size_t i = 0; i < 2; i++)
		frag_reasm_clear(&ike->frag->in[i], &ikev2_frag_pool);
	free(ike->frag);
	ike->frag = NULL;
}

/* ---- receiving ---- */

static const char *direction(const struct ikev2_rx *rx)
{
	return rx->m.hdr.flags & IKEV2_FLAG_RESPONSE ? "response" : "request";
}

static void dropped(const struct ike_sa *ike, const struct ikev2_rx *rx, const char *why)
{
	llog_limited(&frag_lines, LL_WARN, "\"%s\" #%u: dropped a fragment of the peer's %s %s (message ID %u): %s",
		     ike->log.name, ike->serial, ikev2_exchange_name(rx->m.hdr.exchange), direction(rx),
		     rx->m.hdr.msgid, why);
}

/* The whole message, its inner payloads parsed from buf. */
static bool whole_message(struct ike_sa *ike, const struct ikev2_rx *rx, struct frag_reasm *r,
			  struct ikev2_rx *whole)
{
	uint8_t first = r->first;
	uint16_t total = r->total;
	*whole = *rx;
	whole->digest = r->digest1;
	whole->len = r->len1;
	size_t len = 0;
	whole->buf = frag_reasm_take(r, &ikev2_frag_pool, &len);
	if (whole->buf == NULL) {
		dropped(ike, rx, "out of memory");
		return false;
	}
	whole->m.n = 1;
	whole->m.p[0] = (struct ikev2_payload){ .type = PT_SK };
	struct diag d;
	diag_init(&d);
	if (!ikev2_parse_inner(whole->buf, len, first, &whole->m, &d)) {
		llog_limited(&frag_lines, LL_WARN, "\"%s\" #%u: dropped the peer's %s %s (message ID %u) put together from %u fragments: %s",
			     ike->log.name, ike->serial, ikev2_exchange_name(rx->m.hdr.exchange), direction(rx),
			     rx->m.hdr.msgid, total, diag_oneline(&d, NULL));
		ikev2_frag_wipe_free(whole->buf, len);
		return false;
	}
	ike_log(ike, LL_INFO, "reassembled the peer's %s %s (message ID %u) from %u fragments, %zu bytes inside",
		ikev2_exchange_name(rx->m.hdr.exchange), direction(rx), rx->m.hdr.msgid, total, len);
	whole->reassembled = len;
	return true;
}

bool ikev2_frag_receive(struct ike_sa *ike, struct ikev2_rx *rx, struct ikev2_rx *whole)
{
	if (!ikev2_frag_agreed(ike) || ike->keys == NULL) {
		dropped(ike, rx, "fragmentation was not agreed on this IKE SA");
		return false;
	}
	struct diag d;
	diag_init(&d);
	uint16_t number, total;
	size_t sk_body;
	if (!ikev2_skf_fields(&rx->m.p[0], rx->buf, &number, &total, &sk_body, &d)) {
		dropped(ike, rx, diag_oneline(&d, NULL));
		return false;
	}
	uint8_t next = rx->buf[sk_body - IKEV2_SKF_FIELDS_LEN - IKEV2_GENERIC_HDR_LEN];
	struct sk_cipher c = ikev2_cipher(ike, false);
	uint8_t *plain;
	size_t plain_len;
	if (!sk_open(&c, rx->buf, rx->len, sk_body, &plain, &plain_len, &d)) {
		dropped(ike, rx, diag_oneline(&d, NULL));
		return false;
	}
	bool response = rx->m.hdr.flags & IKEV2_FLAG_RESPONSE;
	struct frag_reasm *r = &ike->frag->in[response];
	enum frag_verdict v = frag_reasm_add(r, &ikev2_frag_pool, !ike->peer_authenticated, rx->m.hdr.msgid, number,
					     total, next, plain, plain_len, rx->digest, rx->len);
	explicit_bzero(plain, plain_len);
	switch (v) {
	case FRAG_KEPT:
		ike_log(ike, LL_DEBUG, "fragment %u of %u of the peer's %s %s (message ID %u) is in", number, total,
			ikev2_exchange_name(rx->m.hdr.exchange), direction(rx), rx->m.hdr.msgid);
		return false;
	case FRAG_COMPLETE:
		return whole_message(ike, rx, r, whole);
	case FRAG_DUPLICATE:
		/* The peer retransmits all of them: not worth a warning. */
		ike_log(ike, LL_DEBUG, "fragment %u of %u of message ID %u again: dropped", number, total,
			rx->m.hdr.msgid);
		return false;
	default: {
		char why[96];
		snprintf(why, sizeof(why), "fragment %u of %u: %s", number, total, frag_verdict_name(v));
		dropped(ike, rx, why);
		return false;
	}
	}
}

void ikev2_frag_answered(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct diag d;
	diag_init(&d);
	uint16_t number, total;
	size_t sk_body;
	uint8_t *plain;
	size_t plain_len;
	if (!ikev2_frag_agreed(ike) || ike->keys == NULL ||
	    !ikev2_skf_fields(&rx->m.p[0], rx->buf, &number, &total, &sk_body, &d) || number != 1) {
		ike_log(ike, LL_DEBUG, "dropped a fragment of request %u, which we answered", rx->m.hdr.msgid);
		return;
	}
	struct sk_cipher c = ikev2_cipher(ike, false);
	if (!sk_open(&c, rx->buf, rx->len, sk_body, &plain, &plain_len, &d)) {
		dropped(ike, rx, diag_oneline(&d, NULL));
		return;
	}
	explicit_bzero(plain, plain_len);
	ikev2_resend_last_response(ike, rx->m.hdr.msgid);
}

void ikev2_frag_done(struct ikev2_rx *whole)
{
	ikev2_frag_wipe_free(whole->buf, whole->reassembled);
	whole->buf = NULL;
}
