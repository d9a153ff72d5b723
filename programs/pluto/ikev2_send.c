/* ikev2_send.c: building encrypted messages, sending them, retransmitting
 * our requests and answering the peer's retransmits from a cache. */
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "ike_socket.h"
#include "ikev2_exchange.h"
#include "ikev2_frag.h"
#include "log.h"
#include "natt.h"
#include "pluto.h"

#define HDR_NEXT_PAYLOAD_AT 16		/* offset of the header's next-payload byte */
#define HDR_EXCHANGE_AT 18

void ikev2_make_header(const struct ike_sa *ike, uint8_t exchange, bool response, uint32_t msgid,
		       struct ikev2_hdr *h)
{
	*h = (struct ikev2_hdr){
		.version = IKEV2_VERSION, .exchange = exchange, .msgid = msgid,
		.flags = (ike->initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0),
	};
	memcpy(h->spi_i, ike->spi_i, IKEV2_SPI_LEN);
	memcpy(h->spi_r, ike->spi_r, IKEV2_SPI_LEN);
}

struct sk_cipher ikev2_cipher(const struct ike_sa *ike, bool sending)
{
	bool initiator_keys = ike->initiator == sending;
	const struct ike_keys *k = ike->keys;
	return (struct sk_cipher){
		.encr = ike->ike_alg.encr,
		.keylen = ike->ike_alg.encr_keylen,
		.integ = ike->ike_alg.integ,
		.ekey = initiator_keys ? k->sk_ei : k->sk_er,
		.salt = initiator_keys ? k->salt_i : k->salt_r,
		.akey = initiator_keys ? k->sk_ai : k->sk_ar,
	};
}

/* The message as a train of fragments (ikev2_frag.h). */
static size_t build_fragments(struct ike_sa *ike, const struct sk_cipher *c, const struct ikev2_hdr *h,
			      uint8_t first, const uint8_t *plain, size_t plain_len, uint8_t *out, size_t cap)
{
	struct diag d;
	diag_init(&d);
	size_t limit = ikev2_frag_limit(ike);
	size_t n = ikev2_frag_split(c, h, first, plain, plain_len, limit, out, cap, &d);
	if (n == 0) {
		ike_log(ike, LL_ERROR, "cannot fragment a message: %s", diag_oneline(&d, NULL));
		return 0;
	}
	unsigned count = 0;
	for (size_t at = 0, len; (len = ikev2_frag_next(out, n, at)) > 0; at += len)
		count++;
	ike_log(ike, LL_INFO, "sending the %s %s (message ID %u) as %u fragments of at most %zu bytes",
		ikev2_exchange_name(h->exchange), h->flags & IKEV2_FLAG_RESPONSE ? "response" : "request", h->msgid,
		count, limit);
	return n;
}

size_t ikev2_build_encrypted(struct ike_sa *ike, uint8_t exchange, bool response, uint32_t msgid,
			     ikev2_inner_fn *fn, void *arg, uint8_t *out, size_t cap)
{
	static uint8_t inner[IKEV2_MSG_MAX];
	static const uint8_t zeros[256];
	if (ike->keys == NULL)
		return 0;
	struct ikev2_hdr h = {0};
	struct ikev2_builder ib;
	ikev2_begin(&ib, inner, sizeof(inner), &h);
	fn(ike, &ib, arg);
	if (ib.overflow) {
		explicit_bzero(inner, ib.used);
		return 0;
	}
	uint8_t first = inner[HDR_NEXT_PAYLOAD_AT];
	size_t plain_len = ib.used - IKEV2_HDR_LEN;

	struct sk_cipher c = ikev2_cipher(ike, true);
	size_t iv = sk_iv_len(&c), over = sk_overhead(&c, plain_len);
	ikev2_make_header(ike, exchange, response, msgid, &h);
	size_t whole = IKEV2_HDR_LEN + IKEV2_GENERIC_HDR_LEN + plain_len + over;
	if (ikev2_frag_agreed(ike) && whole > ikev2_frag_limit(ike)) {
		size_t n = build_fragments(ike, &c, &h, first, inner + IKEV2_HDR_LEN, plain_len, out, cap);
		explicit_bzero(inner, ib.used);
		return n;
	}
	struct ikev2_builder b;
	ikev2_begin(&b, out, cap, &h);
	size_t sk = ikev2_open_payload(&b, PT_SK);
	ikev2_put(&b, zeros, iv);
	ikev2_put(&b, inner + IKEV2_HDR_LEN, plain_len);
	ikev2_put(&b, zeros, over - iv);
	ikev2_end_payload(&b, sk);
	size_t total = ikev2_finish(&b);
	explicit_bzero(inner, ib.used);
	if (total == 0)
		return 0;
	out[sk] = first;	/* SK's next payload is the first one inside it */
	struct diag d;
	diag_init(&d);
	if (!sk_seal(&c, out, sk + IKEV2_GENERIC_HDR_LEN, plain_len, &d)) {
		ike_log(ike, LL_ERROR, "cannot encrypt a message: %s", diag_oneline(&d, NULL));
		return 0;
	}
	return total;
}

/* msg may be a train of fragments: each goes in a datagram of its own. */
static void send_to_peer(struct ike_sa *ike, const uint8_t *msg, size_t len)
{
	for (size_t at = 0, n; (n = ikev2_frag_next(msg, len, at)) > 0; at += n)
		natt_send(&ike->ends.local, ike->local_port, &ike->ends.remote, ike->remote_port, msg + at, n);
}

long ikev2_ms_since(const struct timespec *then)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - then->tv_sec) * 1000 + (now.tv_nsec - then->tv_nsec) / 1000000;
}

static long timeout_ms(const struct ike_sa *ike)
{
	return (long)ike->c->config->retransmit_timeout * 1000;
}

static void on_retransmit(evutil_socket_t fd, short what, void *arg);

/* The conn's retransmit-interval, doubled each time, and never past its
 * retransmit-timeout (libreswan's keywords). */
static void arm_retransmit(struct ike_sa *ike)
{
	if (ike->retransmit == NULL)
		ike->retransmit = evtimer_new(pluto.base, on_retransmit, ike);
	if (ike->retransmit == NULL)
		return;
	unsigned shift = ike->retransmits < 20 ? ike->retransmits : 20;
	long wait = (long)ike->c->config->retransmit_interval_ms << shift;
	long left = timeout_ms(ike) - ikev2_ms_since(&ike->request_sent_at);
	if (wait > left)
		wait = left > 1 ? left : 1;
	struct timeval tv = { .tv_sec = wait / 1000, .tv_usec = (wait % 1000) * 1000 };
	evtimer_add(ike->retransmit, &tv);
}

static void on_retransmit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct ike_sa *ike = arg;
	char peer[ADDRESS_STR_MAX];
	if (ike->request.data == NULL) {
		/* It could not be kept (out of memory): nothing to send again. */
		ikev2_fail(ike);
		return;
	}
	const char *exchange = ikev2_exchange_name(ike->request.data[HDR_EXCHANGE_AT]);
	if (ikev2_ms_since(&ike->request_sent_at) >= timeout_ms(ike)) {
		if (ike->state == IKE_DELETING) {
			ike_sa_free(ike, ike_sa_any_child(ike) ? 1 : 0);
			return;
		}
		ike_log(ike, LL_ERROR, "no answer from %s to the %s request in %u s (retransmit-timeout); giving up",
			ikev2_peer_text(ike, peer), exchange, ike->c->config->retransmit_timeout);
		ikev2_request_timed_out(ike);
		return;
	}
	ike->retransmits++;
	ike_log(ike, LL_INFO, "no answer from %s yet: retransmitting the %s request (%u)",
		ikev2_peer_text(ike, peer), exchange, ike->retransmits);
	send_to_peer(ike, ike->request.data, ike->request.len);
	arm_retransmit(ike);
}

void ikev2_send_request(struct ike_sa *ike, const uint8_t *msg, size_t len)
{
	buf_set(&ike->request, msg, len);
	ike->retransmits = 0;
	clock_gettime(CLOCK_MONOTONIC, &ike->request_sent_at);
	send_to_peer(ike, msg, len);
	arm_retransmit(ike);
}

/* Our answer to the request the SA's last_request_* name, kept for its
 * retransmits; the peer's next request is peer_msgid. */
static void answer(struct ike_sa *ike, const uint8_t *msg, size_t len)
{
	buf_set(&ike->response, msg, len);
	clock_gettime(CLOCK_MONOTONIC, &ike->resent_at);
	send_to_peer(ike, msg, len);
}

void ikev2_send_response(struct ike_sa *ike, const struct ikev2_rx *rx, const uint8_t *msg, size_t len)
{
	ike->last_request_digest = rx->digest;
	ike->last_request_len = rx->len;
	ike->peer_msgid = rx->m.hdr.msgid + 1;
	answer(ike, msg, len);
}

void ikev2_send_init_response(struct ike_sa *ike, const uint8_t *msg, size_t len)
{
	ike->peer_msgid = 1;
	answer(ike, msg, len);
}

bool ikev2_resend_response(struct ike_sa *ike, const struct ikev2_rx *rx)
{
	/* Only the very request we answered, from where it came: anything
	 * else that merely names the SA must not make us send (and a resent
	 * IKE_SA_INIT answer is many times the size of a bare header). The
	 * request is known by a keyed hash of its bytes as they came (an
	 * encrypted one is decrypted in place once it is opened). */
	if (ike->response.data == NULL || rx->digest != ike->last_request_digest || rx->len != ike->last_request_len ||
	    !address_eq(&rx->remote, &ike->ends.remote) || rx->port != ike->remote_port ||
	    rx->local_port != ike->local_port)
		return false;
	ikev2_resend_last_response(ike, rx->m.hdr.msgid);
	return true;
}

void ikev2_resend_last_response(struct ike_sa *ike, uint32_t msgid)
{
	if (ike->response.data == NULL)
		return;
	if (ikev2_ms_since(&ike->resent_at) < IKEV2_RESEND_MIN_MS) {
		ike_log(ike, LL_DEBUG, "the peer repeated request %u too soon; not answering it again yet", msgid);
		return;
	}
	ike_log(ike, LL_DEBUG, "the peer retransmitted request %u; sending our response again", msgid);
	clock_gettime(CLOCK_MONOTONIC, &ike->resent_at);
	send_to_peer(ike, ike->response.data, ike->response.len);
}

struct notify_arg {
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

static void inner_notify(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike;
	const struct notify_arg *n = arg;
	ikev2_add_notify(b, 0, NULL, 0, n->type, n->data, n->len);
}

void ikev2_respond_notify(struct ike_sa *ike, const struct ikev2_rx *rx, uint16_t type,
			  const uint8_t *data, size_t len)
{
	static uint8_t out[IKEV2_MSG_MAX];
	struct notify_arg n = { type, data, len };
	size_t total = ikev2_build_encrypted(ike, rx->m.hdr.exchange, true, rx->m.hdr.msgid,
					     inner_notify, &n, out, sizeof(out));
	if (total > 0)
		ikev2_send_response(ike, rx, out, total);
}

void ikev2_send_init_notify(const struct ikev2_rx *rx, uint16_t type, const uint8_t *data, size_t len)
{
	uint8_t out[512];
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_SA_INIT, .flags = IKEV2_FLAG_RESPONSE };
	memcpy(h.spi_i, rx->m.hdr.spi_i, IKEV2_SPI_LEN);
	struct ikev2_builder b;
	ikev2_begin(&b, out, sizeof(out), &h);
	ikev2_add_notify(&b, 0, NULL, 0, type, data, len);
	size_t n = ikev2_finish(&b);
	if (n > 0)
		natt_send(&rx->local, rx->local_port, &rx->remote, rx->port, out, n);
}
