/* ikev2_dispatch.c: from a datagram to the exchange handler that takes it.
 *
 * The order is RFC 7296's: parse the header and payload chain; find the
 * IKE SA by its SPIs and our role (the I flag); apply the message ID
 * rules (2.1-2.3: a response must answer our one outstanding request, a
 * request must be the next one, or a byte-for-byte repeat of the last,
 * which is answered from the cache); decrypt and check integrity; then
 * look the message up in the transition table. What no transition takes
 * gets one answer, here: a response is dropped; so is a request before
 * the peer has authenticated; an authenticated request out of context is
 * answered INVALID_SYNTAX (3.10.1), which also keeps the window moving.
 * Nothing a peer sends before authentication is logged unescaped or
 * without a rate limit. */
#include <string.h>
#include "hash_table.h"
#include "ike_sa.h"
#include "ike_socket.h"
#include "ikev2.h"
#include "ikev2_exchange.h"
#include "ikev2_frag.h"
#include "log.h"
#include "natt.h"

/* A payload type as a bit: SA (33) to SKF (53). */
#define P(t) (1u << ((t) - PT_SA))

/* A responder keeps the IKE_SA_INIT request of each half-open SA (AUTH
 * covers it). Honest ones are well under 2 KB (a 34-transform proposal,
 * a MODP4096 KE, a 256-byte nonce and a few notifies): bigger ones would
 * only make half-open SAs expensive to hold. */
#define IKEV2_INIT_REQUEST_MAX 4096

/* No IKE SA yet: the state of an IKE_SA_INIT request's transition. */
#define IKE_NONE IKE_STATE_COUNT

struct transition {
	unsigned state;		/* enum ike_state, or IKE_NONE */
	uint8_t exchange;
	bool response;		/* an answer to our request, or the peer's request */
	uint32_t required;	/* payloads the message must carry (P bits) */
	ikev2_handler *handler;
	/* For a response: true when it answers an earlier request of ours
	 * rather than the one outstanding (it is dropped, and ours is still
	 * retransmitted); NULL when the message ID tells. */
	ikev2_stale_fn *stale;
};

/* Tried in order: the first whose state, exchange, direction and
 * payloads all fit takes the message. */
static const struct transition transitions[] = {
	{ IKE_NONE, IKE_SA_INIT, false, P(PT_SA) | P(PT_KE) | P(PT_NONCE), ikev2_init_request, NULL },
	{ IKE_I_INIT_SENT, IKE_SA_INIT, true, P(PT_SA) | P(PT_KE) | P(PT_NONCE), ikev2_init_response, NULL },
	{ IKE_I_INIT_SENT, IKE_SA_INIT, true, P(PT_NOTIFY), ikev2_init_response_notify, ikev2_init_response_stale },
	{ IKE_R_INIT_SENT, IKE_AUTH, false, P(PT_IDi) | P(PT_AUTH), ikev2_auth_request, NULL },
	{ IKE_I_AUTH_SENT, IKE_AUTH, true, P(PT_IDr) | P(PT_AUTH), ikev2_auth_response, NULL },
	{ IKE_I_AUTH_SENT, IKE_AUTH, true, P(PT_NOTIFY), ikev2_auth_response_notify, NULL },
	{ IKE_ESTABLISHED, INFORMATIONAL, false, 0, ikev2_informational_request, NULL },
	{ IKE_ESTABLISHED, CREATE_CHILD_SA, false, 0, ikev2_create_child_request, NULL },
	{ IKE_ESTABLISHED, CREATE_CHILD_SA, true, 0, ikev2_create_child_response, NULL },
	{ IKE_ESTABLISHED, INFORMATIONAL, true, 0, ikev2_informational_response, NULL },
	{ IKE_DELETING, INFORMATIONAL, false, 0, ikev2_informational_request, NULL },
	{ IKE_DELETING, INFORMATIONAL, true, 0, ikev2_delete_response, NULL },
};

static const uint8_t zero_spi[IKEV2_SPI_LEN];
static struct log_limit unauthenticated_lines;

static uint32_t payloads_of(const struct ikev2_msg *m)
{
	uint32_t have = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->p[i].type >= PT_SA && m->p[i].type <= PT_SKF)
			have |= P(m->p[i].type);
	}
	return have;
}

static const struct transition *find_transition(unsigned state, const struct ikev2_msg *m)
{
	bool response = m->hdr.flags & IKEV2_FLAG_RESPONSE;
	uint32_t have = payloads_of(m);
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		const struct transition *t = &transitions[i];
		if (t->state == state && t->exchange == m->hdr.exchange && t->response == response &&
		    (t->required & have) == t->required)
			return t;
	}
	return NULL;
}

static bool authenticated(const struct ike_sa *ike)
{
	return ike->peer_authenticated;
}

/* What no transition takes. */
static void unexpected(struct ike_sa *ike, struct ikev2_rx *rx)
{
	const char *exchange = ikev2_exchange_name(rx->m.hdr.exchange);
	bool response = rx->m.hdr.flags & IKEV2_FLAG_RESPONSE;
	if (response || !authenticated(ike)) {
		llog_limited(&unauthenticated_lines, LL_WARN, "\"%s\" #%u: dropped an unexpected %s %s (message ID %u)",
			     ike->log.name, ike->serial, exchange, response ? "response" : "request",
			     rx->m.hdr.msgid);
		return;
	}
	ike_log(ike, LL_WARN, "the peer's %s request (message ID %u) has no place here; answering INVALID_SYNTAX",
		exchange, rx->m.hdr.msgid);
	ikev2_respond_notify(ike, rx, N_INVALID_SYNTAX, NULL, 0);
}

static bool decrypt(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct diag d;
	diag_init(&d);
	struct sk_cipher c;
	uint8_t *plain;
	size_t plain_len;
	if (ike->keys != NULL && rx->m.sk_offset != 0) {
		c = ikev2_cipher(ike, false);
		if (sk_open(&c, rx->buf, rx->len, rx->m.sk_offset, &plain, &plain_len, &d) &&
		    ikev2_parse_inner(plain, plain_len, rx->m.sk_first, &rx->m, &d))
			return true;
	}
	llog_limited(&unauthenticated_lines, LL_WARN, "\"%s\" #%u: dropped the peer's %s %s: it does not decrypt or parse: %s",
		     ike->log.name, ike->serial, ikev2_exchange_name(rx->m.hdr.exchange),
		     rx->m.hdr.flags & IKEV2_FLAG_RESPONSE ? "response" : "request",
		     diag_oneline(&d, ike->keys == NULL ? "no keys yet" : "no SK payload"));
	return false;
}

/* The message ID rules; true when the message is to be handled. */
static bool in_window(struct ike_sa *ike, struct ikev2_rx *rx)
{
	uint32_t msgid = rx->m.hdr.msgid;
	if (rx->m.hdr.flags & IKEV2_FLAG_RESPONSE) {
		if (ike->request.data != NULL && msgid == ike->next_msgid)
			return true;
		ike_log(ike, LL_DEBUG, "dropped a response with message ID %u (expecting %u)", msgid, ike->next_msgid);
		return false;
	}
	if (msgid + 1 == ike->peer_msgid && ikev2_resend_response(ike, rx))
		return false;
	if (msgid + 1 == ike->peer_msgid && ikev2_is_fragment(&rx->m)) {
		ikev2_frag_answered(ike, rx);
		return false;
	}
	if (msgid == ike->peer_msgid)
		return true;
	llog_limited(&unauthenticated_lines, LL_WARN, "\"%s\" #%u: dropped the peer's %s request with message ID %u (expecting %u)",
		     ike->log.name, ike->serial, ikev2_exchange_name(rx->m.hdr.exchange), msgid, ike->peer_msgid);
	return false;
}

/* A request, with a place in the SA's state, that has a critical payload
 * we do not understand (2.5). Before authentication that can only be
 * IKE_AUTH, and an error in answer to IKE_AUTH ends the IKE SA (2.21.2). */
static bool refuse_unknown_critical(struct ike_sa *ike, struct ikev2_rx *rx)
{
	const struct ikev2_payload *crit = ikev2_unknown_critical(&rx->m);
	if (crit == NULL || (rx->m.hdr.flags & IKEV2_FLAG_RESPONSE))
		return false;
	uint8_t type = crit->type;
	const char *exchange = ikev2_exchange_name(rx->m.hdr.exchange);
	if (authenticated(ike))
		ike_log(ike, LL_WARN, "the peer's %s request has a critical payload of unknown type %u; answering UNSUPPORTED_CRITICAL_PAYLOAD",
			exchange, type);
	else
		llog_limited(&unauthenticated_lines, LL_WARN, "\"%s\" #%u: the peer's %s request has a critical payload of unknown type %u; answering UNSUPPORTED_CRITICAL_PAYLOAD and dropping the IKE SA",
			     ike->log.name, ike->serial, exchange, type);
	ikev2_respond_notify(ike, rx, N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
	if (!authenticated(ike))
		ikev2_fail(ike);
	return true;
}

/* A message in the window, decrypted (or IKE_SA_INIT). */
static void handle_open(struct ike_sa *ike, struct ikev2_rx *rx)
{
	ikev2_liveness_heard(ike);
	if (rx->m.hdr.exchange != IKE_SA_INIT)
		natt_follow_peer(ike, rx);
	const struct transition *t = find_transition(ike->state, &rx->m);
	if (t == NULL) {
		unexpected(ike, rx);
		return;
	}
	if (refuse_unknown_critical(ike, rx))
		return;
	if (t->response && t->stale != NULL && t->stale(ike, rx))
		return;
	if (t->response) {
		/* Answered: our request is done with, whatever the answer says. */
		if (ike->retransmit != NULL)
			evtimer_del(ike->retransmit);
		buf_free(&ike->request);
		ike->next_msgid++;
	}
	t->handler(ike, rx);
}

static void handle(struct ike_sa *ike, struct ikev2_rx *rx)
{
	if (!in_window(ike, rx))
		return;
	if (ikev2_is_fragment(&rx->m)) {
		struct ikev2_rx whole;
		if (ikev2_frag_receive(ike, rx, &whole)) {
			handle_open(ike, &whole);
			ikev2_frag_done(&whole);
		}
		return;
	}
	if (rx->m.hdr.exchange != IKE_SA_INIT && !decrypt(ike, rx))
		return;
	handle_open(ike, rx);
}

static void handle_init_request(struct ikev2_rx *rx)
{
	char peer[ADDRESS_STR_MAX];
	if (rx->len > IKEV2_INIT_REQUEST_MAX) {
		llog_limited(&unauthenticated_lines, LL_WARN,
			     "dropped an IKE_SA_INIT request of %zu bytes from %s: more than %d is not an honest one",
			     rx->len, address_str(&rx->remote, peer), IKEV2_INIT_REQUEST_MAX);
		return;
	}
	if (rx->m.hdr.msgid != 0 || memcmp(rx->m.hdr.spi_r, zero_spi, IKEV2_SPI_LEN) != 0) {
		llog_limited(&unauthenticated_lines, LL_WARN,
			     "dropped an IKE_SA_INIT request from %s with a responder SPI or a message ID",
			     address_str(&rx->remote, peer));
		return;
	}
	struct ike_sa *old = ike_sa_find_init(rx->m.hdr.spi_i, &rx->remote);
	if (old != NULL) {
		if (!ikev2_resend_response(old, rx))
			llog_limited(&unauthenticated_lines, LL_DEBUG,
				     "dropped an IKE_SA_INIT from %s for an IKE SA that exists", address_str(&rx->remote, peer));
		return;
	}
	const struct transition *t = find_transition(IKE_NONE, &rx->m);
	if (t == NULL) {
		llog_limited(&unauthenticated_lines, LL_WARN, "dropped an IKE_SA_INIT request from %s: it has no SA, KE or Nonce payload",
			     address_str(&rx->remote, peer));
		return;
	}
	t->handler(NULL, rx);
}

/* What came in on port 4500 that is not an IKE message: a keepalive is
 * NAT's business, anything else is dropped. */
static bool framed(uint8_t **buf, size_t *len, uint16_t local_port, const ip_address *remote)
{
	char peer[ADDRESS_STR_MAX];
	switch (natt_unframe(buf, len, local_port)) {
	case NATT_FRAME_IKE:
		return true;
	case NATT_FRAME_KEEPALIVE:
		return false;
	case NATT_FRAME_BAD:
		break;
	}
	llog_limited(&unauthenticated_lines, LL_WARN,
		     "dropped a datagram of %zu bytes from %s to port %d: it is neither an IKE message behind the non-ESP marker nor a NAT keepalive",
		     *len, address_str(remote, peer), IKE_NATT_PORT);
	return false;
}

void ikev2_receive(uint8_t *buf, size_t len, const ip_address *local, uint16_t local_port, const ip_address *remote,
		   uint16_t port)
{
	struct ikev2_rx rx;
	struct diag d;
	diag_init(&d);
	char peer[ADDRESS_STR_MAX];
	if (!framed(&buf, &len, local_port, remote))
		return;
	rx = (struct ikev2_rx){ .buf = buf, .len = len, .digest = hash_bytes(buf, len),
				.local = *local, .local_port = local_port, .remote = *remote, .port = port };
	if (!ikev2_parse(buf, len, &rx.m, &d)) {
		llog_limited(&unauthenticated_lines, LL_WARN, "dropped a malformed IKE message from %s: %s",
			     address_str(remote, peer), diag_oneline(&d, NULL));
		return;
	}
	bool response = rx.m.hdr.flags & IKEV2_FLAG_RESPONSE;
	if (rx.m.hdr.exchange == IKE_SA_INIT && !response) {
		handle_init_request(&rx);
		return;
	}
	/* Our IKE SA as initiator has no responder SPI until its
	 * IKE_SA_INIT is answered. */
	bool we_initiated = !(rx.m.hdr.flags & IKEV2_FLAG_INITIATOR);
	const uint8_t *spi_r = rx.m.hdr.exchange == IKE_SA_INIT ? zero_spi : rx.m.hdr.spi_r;
	struct ike_sa *ike = ike_sa_find(rx.m.hdr.spi_i, spi_r, we_initiated);
	if (ike == NULL || !address_eq(&ike->ends.remote, remote)) {
		llog_limited(&unauthenticated_lines, LL_DEBUG, "dropped an IKE message from %s for an IKE SA we do not have",
			     address_str(remote, peer));
		return;
	}
	handle(ike, &rx);
}
