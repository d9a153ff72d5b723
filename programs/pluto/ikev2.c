/* ikev2.c: the IKEv2 exchanges, initiator and responder (RFC 7296).
 *
 * Each handler reads what the peer sent, decides, and answers; every
 * failure is logged once, here, with the IKE SA's "conn" #N prefix. A
 * malformed or unauthenticated message is dropped and logged: it never
 * changes an SA's state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "child_sa.h"
#include "control.h"
#include "ike_id.h"
#include "ike_sa.h"
#include "ike_socket.h"
#include "ikev2.h"
#include "ipsec_id.h"
#include "kernel.h"
#include "log.h"
#include "offload_probe.h"
#include "pluto.h"
#include "retry.h"
#include "secrets.h"

#define NONCE_LEN 32
#define RETRANSMIT_FIRST_S 1
#define RETRANSMITS_MAX 5		/* 1+2+4+8+16+32 s before giving up */
#define HDR_NEXT_PAYLOAD_AT 16		/* offset of the header's next-payload byte */

static const uint8_t zero_spi[IKEV2_SPI_LEN];

/* ---- small helpers ---- */

static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;	/* constant time: AUTH is a secret-derived value */
	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static void random_spi(uint8_t spi[IKEV2_SPI_LEN])
{
	do
		ike_random(spi, IKEV2_SPI_LEN);
	while (memcmp(spi, zero_spi, IKEV2_SPI_LEN) == 0);
}

/* An ESP SPI: 1-255 are reserved (RFC 4303), and 0x80-0xff serve probes. */
static uint32_t random_esp_spi(void)
{
	uint32_t spi;
	do
		ike_random((uint8_t *)&spi, sizeof(spi));
	while (spi < 0x1000);
	return spi;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The ESP proposals of the IKE_AUTH child. It has no KE payload, so they
 * carry no DH transform (RFC 7296 1.2): PFS applies only to later
 * children. For an SA meant for the NIC, what its probe showed the device
 * offloads goes first. */
static const struct alg_proposals *child_proposals(const struct ike_sa *ike, const struct connection *c,
						   struct alg_proposals *out)
{
	*out = c->config->esp_proposals;
	for (size_t i = 0; i < out->n; i++)
		out->p[i].dh = DH_NONE;
	if (c->offload.mode != HW_OFFLOAD_NO)
		offload_order_proposals(offload_probe_for(kernel, &ike->ends.local), out);
	return out;
}

/* ESN as the conn asks (esn=yes|no), else either; but many NICs cannot
 * offload ESN (netdevsim, and libreswan's default ESN is why its offload
 * fails out of the box), so an SA meant for the NIC asks for none unless a
 * probe showed the device takes ESN: the initiator offers none, the
 * responder picks none whenever the peer allows it. */
static int esn_policy(const struct ike_sa *ike, const struct connection *c)
{
	const struct conn_config *cfg = c->config;
	if (cfg->esn != YNA_AUTO)
		return cfg->esn == YNA_YES ? 1 : 0;
	if (c->offload.mode == HW_OFFLOAD_NO || offload_probe_esn(offload_probe_for(kernel, &ike->ends.local)))
		return 2;
	return ike->initiator ? 0 : 3;
}

static const char *peer_text(const struct ike_sa *ike, char buf[ADDRESS_STR_MAX])
{
	return address_str(&ike->ends.remote, buf);
}

static struct sk_cipher cipher_for(const struct ike_sa *ike, bool sending)
{
	bool initiator_keys = ike->initiator == sending;
	const struct ike_keys *k = &ike->keys;
	return (struct sk_cipher){
		.encr = ike->ike_alg.encr,
		.keylen = ike->ike_alg.encr_keylen,
		.integ = ike->ike_alg.integ,
		.ekey = initiator_keys ? k->sk_ei : k->sk_er,
		.akey = initiator_keys ? k->sk_ai : k->sk_ar,
		.akey_len = k->a_len,
	};
}

static void make_header(const struct ike_sa *ike, uint8_t exchange, bool response, uint32_t msgid,
			struct ikev2_hdr *h)
{
	*h = (struct ikev2_hdr){
		.version = IKEV2_VERSION, .exchange = exchange, .msgid = msgid,
		.flags = (ike->initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0),
	};
	memcpy(h->spi_i, ike->spi_i, IKEV2_SPI_LEN);
	memcpy(h->spi_r, ike->spi_r, IKEV2_SPI_LEN);
}

/* ---- building encrypted messages ---- */

typedef void inner_fn(struct ike_sa *ike, struct ikev2_builder *b, void *arg);

static size_t build_encrypted(struct ike_sa *ike, uint8_t exchange, bool response, uint32_t msgid,
			      inner_fn *fn, void *arg, uint8_t *out, size_t cap)
{
	static uint8_t inner[IKEV2_MSG_MAX];
	static const uint8_t zeros[256];
	struct ikev2_hdr h = {0};
	struct ikev2_builder ib;
	ikev2_begin(&ib, inner, sizeof(inner), &h);
	fn(ike, &ib, arg);
	if (ib.overflow)
		return 0;
	uint8_t first = inner[HDR_NEXT_PAYLOAD_AT];
	size_t plain_len = ib.used - IKEV2_HDR_LEN;

	struct sk_cipher c = cipher_for(ike, true);
	size_t iv = sk_iv_len(&c), over = sk_overhead(&c, plain_len);
	struct ikev2_builder b;
	make_header(ike, exchange, response, msgid, &h);
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

/* ---- sending, retransmitting ---- */

static void ike_fail(struct ike_sa *ike);
static void send_delete(struct ike_sa *ike, int rc);

static void arm_retransmit(struct ike_sa *ike);

static void on_retransmit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct ike_sa *ike = arg;
	char peer[ADDRESS_STR_MAX];
	const char *exchange = ikev2_exchange_name(ike->request.data[18]);
	if (ike->retransmits >= RETRANSMITS_MAX) {
		if (ike->state == IKE_DELETING) {
			ike_sa_free(ike, ike->child.installed ? 1 : 0);
			return;
		}
		ike_log(ike, LL_ERROR, "no answer from %s to the %s request after %u retransmits; giving up",
			peer_text(ike, peer), exchange, ike->retransmits);
		ike_fail(ike);
		return;
	}
	ike->retransmits++;
	ike_log(ike, LL_INFO, "no answer from %s yet: retransmitting the %s request (%u of %u)",
		peer_text(ike, peer), exchange, ike->retransmits, RETRANSMITS_MAX);
	ike_send(&ike->ends.local, &ike->ends.remote, ike->remote_port, ike->request.data, ike->request.len);
	arm_retransmit(ike);
}

static void arm_retransmit(struct ike_sa *ike)
{
	if (ike->retransmit == NULL)
		ike->retransmit = evtimer_new(pluto.base, on_retransmit, ike);
	struct timeval tv = { .tv_sec = RETRANSMIT_FIRST_S << ike->retransmits };
	evtimer_add(ike->retransmit, &tv);
}

static void send_request(struct ike_sa *ike, const uint8_t *msg, size_t len)
{
	buf_set(&ike->request, msg, len);
	ike->retransmits = 0;
	ike_send(&ike->ends.local, &ike->ends.remote, ike->remote_port, msg, len);
	arm_retransmit(ike);
}

static void send_response(struct ike_sa *ike, const uint8_t *msg, size_t len)
{
	buf_set(&ike->response, msg, len);
	ike->have_response = true;
	ike->peer_msgid++;
	ike_send(&ike->ends.local, &ike->ends.remote, ike->remote_port, msg, len);
}

/* ---- failed attempts (retry.h) ---- */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct connection *c = arg;
	c->retry.next_at = 0;
	conn_log(c, LL_INFO, "trying again after %u failed attempt%s", c->retry.failures,
		 c->retry.failures == 1 ? "" : "s");
	ikev2_initiate(c, NULL);
}

/* Keeps the failure on c and arms the next attempt, if any; the plan,
 * for the log. */
static const char *conn_attempt_failed(struct connection *c, enum attempt_failure kind, const char *why,
				       char *plan, size_t len)
{
	time_t now = time(NULL);
	retry_note(&c->retry, kind, why, now);
	unsigned delay = retry_plan_next(&c->retry, c->config->auto_mode == AUTO_START, now);
	if (delay > 0 && c->retry_timer == NULL)
		c->retry_timer = evtimer_new(pluto.base, on_retry, c);
	if (delay > 0 && c->retry_timer != NULL)
		evtimer_add(c->retry_timer, &(struct timeval){ .tv_sec = delay });
	return retry_plan(&c->retry, now, plan, len);
}

/* Our attempt to bring the conn up ended without its IPsec SA. */
static void attempt_failed(struct ike_sa *ike)
{
	if (!ike->initiator || ike->attempt_over)
		return;
	ike->attempt_over = true;
	struct connection *c = conn_find(ike->conn_name);
	char plan[160];
	if (c != NULL && conn_attempt_failed(c, ike->failure_kind, ike->failure[0] ? ike->failure : "the negotiation failed",
					     plan, sizeof(plan))[0] != '\0')
		ike_log(ike, LL_INFO, "%s", plan);
}

/* A failed negotiation: nothing in the kernel, the whack told. */
static void ike_fail(struct ike_sa *ike)
{
	attempt_failed(ike);
	child_sa_remove(ike);
	ike_sa_free(ike, 1);
}

/* ---- notifies ---- */

static const struct ikev2_payload *find_error_notify(const struct ikev2_msg *m, struct ikev2_notify *n)
{
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < m->n; i++) {
		if (m->p[i].type == PT_NOTIFY && ikev2_parse_notify(&m->p[i], n, &d) && n->type <= N_ERROR_MAX)
			return &m->p[i];
	}
	return NULL;
}

static bool has_notify(const struct ikev2_msg *m, uint16_t type)
{
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < m->n; i++) {
		if (m->p[i].type == PT_NOTIFY && ikev2_parse_notify(&m->p[i], &n, &d) && n.type == type)
			return true;
	}
	return false;
}

/* An unencrypted answer to an IKE_SA_INIT request we will not take on. */
static void send_init_notify(const struct ikev2_msg *req, const ip_address *local, const ip_address *remote,
			     uint16_t port, uint16_t type, const uint8_t *data, size_t len)
{
	uint8_t out[512];
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_SA_INIT, .flags = IKEV2_FLAG_RESPONSE };
	memcpy(h.spi_i, req->hdr.spi_i, IKEV2_SPI_LEN);
	struct ikev2_builder b;
	ikev2_begin(&b, out, sizeof(out), &h);
	ikev2_add_notify(&b, 0, NULL, 0, type, data, len);
	size_t n = ikev2_finish(&b);
	if (n > 0)
		ike_send(local, remote, port, out, n);
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

static void respond_notify(struct ike_sa *ike, uint8_t exchange, uint16_t type, const uint8_t *data, size_t len)
{
	static uint8_t out[IKEV2_MSG_MAX];
	struct notify_arg n = { type, data, len };
	size_t total = build_encrypted(ike, exchange, true, ike->peer_msgid, inner_notify, &n, out, sizeof(out));
	if (total > 0)
		send_response(ike, out, total);
}

/* ---- keys and authentication ---- */

static bool derive_ike_keys(struct ike_sa *ike, const uint8_t *peer_ke, size_t peer_len, struct diag *d)
{
	uint8_t g_ir[IKE_DH_PUB_MAX];
	size_t g_len = 0;
	bool ok = dh_derive(ike->dh, peer_ke, peer_len, g_ir, &g_len, d) &&
		  ike_derive_keys(&ike->ike_alg, ike->ni, ike->ni_len, ike->nr, ike->nr_len,
				  g_ir, g_len, ike->spi_i, ike->spi_r, &ike->keys);
	explicit_bzero(g_ir, sizeof(g_ir));
	dh_free(ike->dh);
	ike->dh = NULL;
	if (ok)
		ike->have_keys = true;
	else if (!diag_failed(d))
		diag_add(d, "cannot derive the IKE SA's keys");
	return ok;
}

static const struct psk_entry *find_psk(struct ike_sa *ike, const char *remote_id)
{
	const struct psk_entry *psk = secrets_find_psk(pluto.secrets, ike->ends.local_id, remote_id);
	if (psk == NULL)
		ike_log(ike, LL_ERROR, "no pre-shared key in %s for %s and %s", pluto.secrets_path,
			ike->ends.local_id, remote_id);
	return psk;
}

/* The AUTH a side sends (or must send): its own first message, the
 * other's nonce, and its ID under its SK_p. */
static bool compute_auth(const struct ike_sa *ike, const struct psk_entry *psk, bool by_initiator,
			 const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	bool ours = by_initiator == ike->initiator;
	const struct buf *first = ours ? &ike->init_sent : &ike->init_rcvd;
	const uint8_t *nonce = by_initiator ? ike->nr : ike->ni;
	size_t nonce_len = by_initiator ? ike->nr_len : ike->ni_len;
	const uint8_t *sk_p = by_initiator ? ike->keys.sk_pi : ike->keys.sk_pr;
	return psk_auth(ike->keys.prf, psk->psk, psk->psk_len, first->data, first->len, nonce, nonce_len,
			sk_p, ike->keys.p_len, id_body, id_len, out);
}

/* Checks the peer's ID against the conn and its AUTH against the PSK. */
static bool authenticate_peer(struct ike_sa *ike, const struct ikev2_msg *m, uint8_t id_type)
{
	const struct ikev2_payload *idp = ikev2_find(m, id_type), *authp = ikev2_find(m, PT_AUTH);
	struct ikev2_auth auth;
	struct diag d;
	diag_init(&d);
	char id[256];
	if (idp == NULL || authp == NULL || !ikev2_parse_auth(authp, &auth, &d)) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer sent no %s or AUTH payload",
			id_type == PT_IDi ? "IDi" : "IDr");
		return false;
	}
	if (!id_from_wire(idp->body, idp->len, id, sizeof(id))) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer's ID is of a type this pluto does not support");
		return false;
	}
	if (strcmp(ike->ends.remote_id, "%any") != 0 && !id_eq(ike->ends.remote_id, id)) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer says it is '%s', the conn expects '%s'",
			id, ike->ends.remote_id);
		return false;
	}
	const struct psk_entry *psk = find_psk(ike, id);
	if (psk == NULL)
		return false;
	if (auth.method != AUTH_SHARED_KEY_MIC) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer uses AUTH method %u; this pluto knows only PSK (2)",
			auth.method);
		return false;
	}
	uint8_t want[IKE_PRF_MAX];
	bool ok = compute_auth(ike, psk, !ike->initiator, idp->body, idp->len, want) &&
		  auth.len == prf_len(ike->keys.prf) && same_bytes(auth.data, want, auth.len);
	explicit_bzero(want, sizeof(want));
	if (!ok) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer's AUTH does not match the pre-shared key for '%s' (do the PSKs differ?)",
			id);
		return false;
	}
	snprintf(ike->ends.remote_id, sizeof(ike->ends.remote_id), "%s", id);
	return true;
}

/* Our ID and AUTH payloads. */
static bool add_id_and_auth(struct ike_sa *ike, struct ikev2_builder *b, uint8_t id_type)
{
	uint8_t body[300], auth[IKE_PRF_MAX];
	size_t len;
	if (!id_to_wire(ike->ends.local_id, body, sizeof(body), &len)) {
		ike_log(ike, LL_ERROR, "cannot send '%s' as an IKE identity", ike->ends.local_id);
		return false;
	}
	const struct psk_entry *psk = find_psk(ike, ike->ends.remote_id);
	if (psk == NULL || !compute_auth(ike, psk, ike->initiator, body, len, auth))
		return false;
	ikev2_add(b, id_type, body, len);
	ikev2_add_auth(b, AUTH_SHARED_KEY_MIC, auth, prf_len(ike->keys.prf));
	explicit_bzero(auth, sizeof(auth));
	return true;
}

/* ---- traffic selectors ---- */

static void ts_from_subnet(const ip_subnet *s, struct ikev2_ts_payload *ts)
{
	struct ikev2_ts *t = &ts->ts[0];
	*t = (struct ikev2_ts){ .type = s->addr.family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE,
				.start_port = 0, .end_port = 65535, .start = s->addr, .end = s->addr };
	unsigned bits = address_bits(&s->addr);
	for (unsigned i = s->prefixlen; i < bits; i++)
		t->end.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	ts->n = 1;
}

/* Whether the range [start, end] of t covers all of s. */
static bool ts_covers(const struct ikev2_ts *t, const ip_subnet *s)
{
	struct ikev2_ts_payload mine;
	ts_from_subnet(s, &mine);
	size_t n = address_bits(&s->addr) / 8;
	return t->start.family == s->addr.family && t->start_port == 0 && t->end_port == 65535 &&
	       memcmp(t->start.bytes, mine.ts[0].start.bytes, n) <= 0 &&
	       memcmp(t->end.bytes, mine.ts[0].end.bytes, n) >= 0;
}

static bool any_ts_covers(const struct ikev2_ts_payload *ts, const ip_subnet *s)
{
	for (size_t i = 0; i < ts->n; i++) {
		if (ts_covers(&ts->ts[i], s))
			return true;
	}
	return false;
}

/* The narrowed TS the responder sends must lie inside what we offered:
 * take it as the subnet it names exactly. */
static bool ts_exact_subnet(const struct ikev2_ts *t, ip_subnet *s)
{
	unsigned bits = address_bits(&t->start);
	for (unsigned len = 0; len <= bits; len++) {
		ip_subnet cand = { .addr = t->start, .prefixlen = len };
		struct ikev2_ts_payload p;
		ts_from_subnet(&cand, &p);
		if (memcmp(p.ts[0].start.bytes, t->start.bytes, bits / 8) == 0 &&
		    memcmp(p.ts[0].end.bytes, t->end.bytes, bits / 8) == 0) {
			*s = cand;
			return true;
		}
	}
	return false;
}

/* ---- the child SA's proposal payloads ---- */

struct auth_request_arg {
	struct connection *c;
	bool ok;
};

static void inner_auth_request(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	struct auth_request_arg *a = arg;
	const struct conn_config *cfg = a->c->config;
	a->ok = add_id_and_auth(ike, b, PT_IDi);
	if (!a->ok)
		return;
	uint8_t spi[4];
	put_be32(spi, ike->child.spi_in);
	struct ikev2_sa_payload sa;
	struct alg_proposals esp;
	ikev2_sa_from_proposals(child_proposals(ike, a->c, &esp), PROTO_ESP, spi, 4, esn_policy(ike, a->c), &sa);
	ikev2_add_sa(b, &sa);
	struct ikev2_ts_payload tsi, tsr;
	ts_from_subnet(&ike->ends.local_net, &tsi);
	ts_from_subnet(&ike->ends.remote_net, &tsr);
	ikev2_add_ts(b, PT_TSi, &tsi);
	ikev2_add_ts(b, PT_TSr, &tsr);
	if (cfg->type == TYPE_TRANSPORT)
		ikev2_add_notify(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
}

/* ---- initiator ---- */

static bool send_init_request(struct ike_sa *ike, const struct connection *c)
{
	uint8_t pub[IKE_DH_PUB_MAX], out[4096];
	struct diag d;
	diag_init(&d);
	dh_free(ike->dh);
	ike->dh = dh_generate(ike->dh_group, pub, &d);
	if (ike->dh == NULL) {
		ike_log(ike, LL_ERROR, "cannot make a %s key pair: %s", dh_name(ike->dh_group),
			diag_oneline(&d, NULL));
		return false;
	}
	struct ikev2_hdr h;
	make_header(ike, IKE_SA_INIT, false, 0, &h);
	struct ikev2_builder b;
	ikev2_begin(&b, out, sizeof(out), &h);
	struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(&c->config->ike_proposals, PROTO_IKE, NULL, 0, 0, &sa);
	ikev2_add_sa(&b, &sa);
	ikev2_add_ke(&b, ike->dh_group, pub, dh_public_len(ike->dh_group));
	ikev2_add(&b, PT_NONCE, ike->ni, ike->ni_len);
	size_t n = ikev2_finish(&b);
	if (n == 0)
		return false;
	buf_set(&ike->init_sent, out, n);
	ike->next_msgid = 0;
	send_request(ike, out, n);
	return true;
}

void ikev2_initiate(struct connection *c, struct whack_session *s)
{
	struct ike_sa *old = ike_sa_of_conn(c->config->name);
	if (old != NULL) {
		bool up = old->state == IKE_ESTABLISHED && old->child.installed;
		if (s != NULL) {
			whack_line(s, "\"%s\" #%u: %s", c->config->name, old->serial,
				   up ? "already established" : "a negotiation is already under way");
			whack_done(s, up ? 0 : 1);
		}
		return;
	}
	if (c->retry_timer != NULL)
		evtimer_del(c->retry_timer);	/* this is the attempt it planned */
	c->retry.next_at = 0;
	struct diag d;
	diag_init(&d);
	struct ends ends;
	if (!conn_ends(c->config, &ends, &d) || ends.remote.family == 0 || !ike_socket_open(&ends.local, &d)) {
		/* Only %any is for good: an address may yet come up. */
		enum attempt_failure kind = ATTEMPT_TRANSIENT;
		if (ends.remote.family == 0 && !diag_failed(&d)) {
			diag_add(&d, "the other end is %%any: this end can only respond");
			kind = ATTEMPT_CONFIG;
		}
		char why[600], plan[160];
		snprintf(why, sizeof(why), "cannot initiate: %s", diag_oneline(&d, NULL));
		conn_attempt_failed(c, kind, why, plan, sizeof(plan));
		conn_log(c, LL_ERROR, "%s%s%s", why, plan[0] ? "; " : "", plan);
		if (s != NULL) {
			whack_line(s, "\"%s\": %s%s%s", c->config->name, why, plan[0] ? "; " : "", plan);
			whack_done(s, 1);
		}
		return;
	}
	struct ike_sa *ike = ike_sa_new(c, true);
	if (ike == NULL) {
		if (s != NULL)
			whack_done(s, 1);
		return;
	}
	ike->whack = s;
	ike->ends = ends;
	random_spi(ike->spi_i);
	ike->ni_len = NONCE_LEN;
	ike_random(ike->ni, ike->ni_len);
	ike->dh_group = c->config->ike_proposals.p[0].dh;
	ike->state = IKE_I_INIT_SENT;
	char peer[ADDRESS_STR_MAX];
	ike_log(ike, LL_INFO, "initiating IKEv2 connection to %s", peer_text(ike, peer));
	if (!send_init_request(ike, c))
		ike_fail(ike);
}

static bool group_offered(const struct conn_config *c, uint16_t group)
{
	for (size_t i = 0; i < c->ike_proposals.n; i++) {
		if (c->ike_proposals.p[i].dh == group)
			return true;
	}
	return false;
}

static void send_auth_request(struct ike_sa *ike, struct connection *c)
{
	static uint8_t out[IKEV2_MSG_MAX];
	ike->child.spi_in = random_esp_spi();
	struct auth_request_arg a = { c, false };
	size_t n = build_encrypted(ike, IKE_AUTH, false, ike->next_msgid, inner_auth_request, &a, out, sizeof(out));
	if (!a.ok || n == 0) {
		ike_fail(ike);
		return;
	}
	ike->state = IKE_I_AUTH_SENT;
	send_request(ike, out, n);
	ike_log(ike, LL_INFO, "sent IKE_AUTH request (%s)", alg_ike_name(&ike->ike_alg, (char[ALG_NAME_MAX]){0}));
}

static void init_response(struct ike_sa *ike, const struct ikev2_msg *m, const uint8_t *buf, size_t len)
{
	struct connection *c = conn_find(ike->conn_name);
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	if (c == NULL) {
		ike_log(ike, LL_ERROR, "the conn was deleted during the negotiation");
		ike_fail(ike);
		return;
	}
	if (find_error_notify(m, &n) != NULL) {
		if (n.type == N_INVALID_KE_PAYLOAD && n.data_len == 2) {
			uint16_t group = (uint16_t)(n.data[0] << 8 | n.data[1]);
			if (group != ike->dh_group && group_offered(c->config, group)) {
				ike_log(ike, LL_INFO, "the peer wants the %s key exchange; sending IKE_SA_INIT again with it",
					dh_name(group));
				ike->dh_group = group;
				if (!send_init_request(ike, c))
					ike_fail(ike);
				return;
			}
		}
		ike_log(ike, LL_ERROR, "the peer refused IKE_SA_INIT: %s", ikev2_notify_name(n.type));
		ike_fail(ike);
		return;
	}
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *kep = ikev2_find(m, PT_KE),
		*np = ikev2_find(m, PT_NONCE);
	struct ikev2_sa_payload sa;
	struct ikev2_ke ke;
	uint8_t spi[IKEV2_SPI_LEN], spi_len;
	bool esn;
	if (sap == NULL || kep == NULL || np == NULL || !ikev2_parse_sa(sap, &sa, &d) ||
	    !ikev2_parse_ke(kep, &ke, &d) ||
	    !ikev2_sa_accepted(&sa, &c->config->ike_proposals, PROTO_IKE, 0, &ike->ike_alg, &esn, spi, &spi_len, &d) ||
	    np->len < 16 || np->len > sizeof(ike->nr) || ke.group != ike->ike_alg.dh ||
	    memcmp(m->hdr.spi_r, zero_spi, IKEV2_SPI_LEN) == 0) {
		ike_log(ike, LL_ERROR, "the IKE_SA_INIT response is not acceptable: %s",
			diag_oneline(&d, "missing or mismatched SA, KE or Nonce payload"));
		ike_fail(ike);
		return;
	}
	memcpy(ike->spi_r, m->hdr.spi_r, IKEV2_SPI_LEN);
	memcpy(ike->nr, np->body, np->len);
	ike->nr_len = np->len;
	buf_set(&ike->init_rcvd, buf, len);
	if (!derive_ike_keys(ike, ke.data, ke.len, &d)) {
		ike_log(ike, LL_ERROR, "%s", diag_oneline(&d, NULL));
		ike_fail(ike);
		return;
	}
	send_auth_request(ike, c);
}

/* The child SA the responder agreed to, as the initiator reads it. */
static bool read_child_answer(struct ike_sa *ike, const struct connection *c, const struct ikev2_msg *m)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *tsip = ikev2_find(m, PT_TSi),
		*tsrp = ikev2_find(m, PT_TSr);
	struct ikev2_sa_payload sa;
	struct ikev2_ts_payload tsi, tsr;
	uint8_t spi[IKEV2_SPI_LEN], spi_len;
	struct alg_proposals esp;
	struct child_sa *ch = &ike->child;
	if (sap == NULL || tsip == NULL || tsrp == NULL || !ikev2_parse_sa(sap, &sa, &d) ||
	    !ikev2_parse_ts(tsip, &tsi, &d) || !ikev2_parse_ts(tsrp, &tsr, &d) ||
	    !ikev2_sa_accepted(&sa, child_proposals(ike, c, &esp), PROTO_ESP, esn_policy(ike, c),
			       &ch->alg, &ch->esn, spi, &spi_len, &d) || spi_len != 4) {
		child_log(ike, LL_ERROR, "the peer's child SA answer is not acceptable: %s",
			  diag_oneline(&d, "missing SA or TS payload"));
		return false;
	}
	if (tsi.n < 1 || tsr.n < 1 || !ts_exact_subnet(&tsi.ts[0], &ch->local_net) ||
	    !ts_exact_subnet(&tsr.ts[0], &ch->remote_net)) {
		child_log(ike, LL_ERROR, "the peer's traffic selectors are not whole subnets");
		return false;
	}
	struct ikev2_ts_payload ours;
	ts_from_subnet(&ike->ends.local_net, &ours);
	if (!ts_covers(&ours.ts[0], &ch->local_net)) {
		child_log(ike, LL_ERROR, "the peer narrowed TSi outside what we proposed");
		return false;
	}
	ts_from_subnet(&ike->ends.remote_net, &ours);
	if (!ts_covers(&ours.ts[0], &ch->remote_net)) {
		child_log(ike, LL_ERROR, "the peer narrowed TSr outside what we proposed");
		return false;
	}
	ch->spi_out = get_be32(spi);
	ch->transport = c->config->type == TYPE_TRANSPORT && has_notify(m, N_USE_TRANSPORT_MODE);
	return true;
}

/* Both ends authenticated: the IKE SA is up, and its child gets a serial
 * and a reqid (below PROBE_REQID, which stays the probes'). */
static void ike_established(struct ike_sa *ike)
{
	char peer[ADDRESS_STR_MAX];
	ike->state = IKE_ESTABLISHED;
	ike_log(ike, LL_INFO, "established IKE SA with %s; authenticated peer '%s' with a pre-shared key",
		peer_text(ike, peer), ike->ends.remote_id);
	ike->child.serial = next_serial();
	ike->child.reqid = PLUTO_REQID_MIN + ike->child.serial % (PLUTO_REQID_MAX - PLUTO_REQID_MIN - 1);
}

static void log_established(struct ike_sa *ike)
{
	char summary[512];
	child_log(ike, LL_INFO, "IPsec SA established %s mode %s", ike->child.transport ? "transport" : "tunnel",
		  child_sa_summary(ike, summary, sizeof(summary)));
}

static void auth_response(struct ike_sa *ike, struct ikev2_msg *m)
{
	struct connection *c = conn_find(ike->conn_name);
	struct ikev2_notify n;
	char peer[ADDRESS_STR_MAX];
	if (c == NULL) {
		ike_log(ike, LL_ERROR, "the conn was deleted during the negotiation");
		send_delete(ike, 1);
		return;
	}
	if (find_error_notify(m, &n) != NULL && n.type == N_AUTHENTICATION_FAILED) {
		ike_log(ike, LL_ERROR, "%s rejected our authentication (AUTHENTICATION_FAILED): check the pre-shared keys and IDs on both ends",
			peer_text(ike, peer));
		ike_fail(ike);
		return;
	}
	if (!authenticate_peer(ike, m, PT_IDr)) {
		send_delete(ike, 1);
		return;
	}
	ike_established(ike);
	if (find_error_notify(m, &n) != NULL) {
		child_log(ike, LL_ERROR, "the peer refused the child SA: %s", ikev2_notify_name(n.type));
		send_delete(ike, 1);
		return;
	}
	if (!read_child_answer(ike, c, m)) {
		send_delete(ike, 1);
		return;
	}
	struct diag notes;
	diag_init(&notes);
	int r = child_sa_install(ike, c, &notes);
	child_log_lines(ike, r == 0 ? LL_WARN : LL_ERROR, &notes);
	if (r != 0) {
		child_log(ike, LL_ERROR, "IPsec SA not installed; deleting the IKE SA so %s keeps no SA either",
			  peer_text(ike, peer));
		ike->failure_kind = retry_kind_of_install(r);
		send_delete(ike, 1);
		return;
	}
	ike->attempt_over = true;
	conn_forget_failures(c);
	log_established(ike);
	if (ike->whack != NULL) {
		whack_done(ike->whack, 0);
		ike->whack = NULL;
	}
}

/* ---- responder ---- */

static struct connection *conn_for(const ip_address *local, const ip_address *remote, struct ends *ends)
{
	struct diag d;
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		diag_init(&d);
		if (!conn_ends(c->config, ends, &d) || !address_eq(&ends->local, local))
			continue;
		if (ends->remote.family == 0) {		/* right=%any */
			ends->remote = *remote;
			if (ends->remote_net.addr.family == 0)
				ends->remote_net = subnet_from_address(remote);
			return c;
		}
		if (address_eq(&ends->remote, remote))
			return c;
	}
	return NULL;
}

static void responder_init(uint8_t *buf, size_t len, const struct ikev2_msg *m,
			   const ip_address *local, const ip_address *remote, uint16_t port)
{
	char peer[ADDRESS_STR_MAX], ours[ADDRESS_STR_MAX];
	struct ike_sa *old = ike_sa_by_initiator_spi(m->hdr.spi_i, remote);
	if (old != NULL) {
		if (old->state == IKE_R_INIT_SENT && old->have_response)
			ike_send(local, remote, port, old->response.data, old->response.len);
		return;
	}
	const struct ikev2_payload *crit = ikev2_unknown_critical(m);
	if (crit != NULL) {
		uint8_t type = crit->type;
		llog(LL_WARN, "IKE_SA_INIT from %s has a critical payload of unknown type %u; answering UNSUPPORTED_CRITICAL_PAYLOAD",
		     address_str(remote, peer), type);
		send_init_notify(m, local, remote, port, N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
		return;
	}
	struct ends ends;
	struct connection *c = conn_for(local, remote, &ends);
	if (c == NULL) {
		llog(LL_WARN, "IKE_SA_INIT from %s to %s: no conn is loaded for this pair; answering NO_PROPOSAL_CHOSEN",
		     address_str(remote, peer), address_str(local, ours));
		send_init_notify(m, local, remote, port, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *kep = ikev2_find(m, PT_KE),
		*np = ikev2_find(m, PT_NONCE);
	struct ikev2_sa_payload offered, chosen;
	struct ikev2_ke ke;
	struct alg_proposal alg;
	bool esn;
	if (sap == NULL || kep == NULL || np == NULL || !ikev2_parse_sa(sap, &offered, &d) ||
	    !ikev2_parse_ke(kep, &ke, &d) || np->len < 16 || np->len > 256) {
		conn_log(c, LL_WARN, "dropped IKE_SA_INIT from %s: %s", address_str(remote, peer),
			 diag_oneline(&d, "missing SA, KE or Nonce payload"));
		return;
	}
	if (!ikev2_sa_choose(&offered, &c->config->ike_proposals, PROTO_IKE, 0, &chosen, &alg, &esn)) {
		conn_log(c, LL_WARN, "IKE_SA_INIT from %s: none of its IKE proposals is acceptable (ike=%s); answering NO_PROPOSAL_CHOSEN",
			 address_str(remote, peer), c->config->ike != NULL ? c->config->ike : "default");
		send_init_notify(m, local, remote, port, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ke.group != alg.dh) {
		uint8_t group[2] = { (uint8_t)(alg.dh >> 8), (uint8_t)alg.dh };
		conn_log(c, LL_INFO, "IKE_SA_INIT from %s: asking for the %s key exchange instead of group %u",
			 address_str(remote, peer), dh_name(alg.dh), ke.group);
		send_init_notify(m, local, remote, port, N_INVALID_KE_PAYLOAD, group, sizeof(group));
		return;
	}
	if (!ike_socket_open(local, &d))
		return;
	struct ike_sa *ike = ike_sa_new(c, false);
	if (ike == NULL)
		return;
	ike->ends = ends;
	ike->remote_port = port;
	ike->ike_alg = alg;
	ike->dh_group = alg.dh;
	memcpy(ike->spi_i, m->hdr.spi_i, IKEV2_SPI_LEN);
	random_spi(ike->spi_r);
	memcpy(ike->ni, np->body, np->len);
	ike->ni_len = np->len;
	ike->nr_len = NONCE_LEN;
	ike_random(ike->nr, ike->nr_len);
	uint8_t pub[IKE_DH_PUB_MAX];
	ike->dh = dh_generate(alg.dh, pub, &d);
	if (ike->dh == NULL || !derive_ike_keys(ike, ke.data, ke.len, &d)) {
		ike_log(ike, LL_ERROR, "%s", diag_oneline(&d, NULL));
		ike_sa_free(ike, 1);
		return;
	}
	uint8_t out[4096];
	struct ikev2_hdr h;
	make_header(ike, IKE_SA_INIT, true, 0, &h);
	struct ikev2_builder b;
	ikev2_begin(&b, out, sizeof(out), &h);
	ikev2_add_sa(&b, &chosen);
	ikev2_add_ke(&b, alg.dh, pub, dh_public_len(alg.dh));
	ikev2_add(&b, PT_NONCE, ike->nr, ike->nr_len);
	size_t n = ikev2_finish(&b);
	if (n == 0) {
		ike_sa_free(ike, 1);
		return;
	}
	buf_set(&ike->init_rcvd, buf, len);
	buf_set(&ike->init_sent, out, n);
	ike->state = IKE_R_INIT_SENT;
	ike->peer_msgid = 0;
	ike_log(ike, LL_INFO, "responding to IKE_SA_INIT from %s with %s", address_str(remote, peer),
		alg_ike_name(&alg, (char[ALG_NAME_MAX]){0}));
	send_response(ike, out, n);
}

struct auth_response_arg {
	const struct ikev2_sa_payload *chosen;	/* NULL: the child failed */
	uint16_t child_error;
	bool ok;
};

static void inner_auth_response(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	struct auth_response_arg *a = arg;
	a->ok = add_id_and_auth(ike, b, PT_IDr);
	if (!a->ok)
		return;
	if (a->chosen == NULL) {
		ikev2_add_notify(b, 0, NULL, 0, a->child_error, NULL, 0);
		return;
	}
	ikev2_add_sa(b, a->chosen);
	struct ikev2_ts_payload tsi, tsr;
	ts_from_subnet(&ike->child.remote_net, &tsi);	/* TSi is the initiator's side */
	ts_from_subnet(&ike->child.local_net, &tsr);
	ikev2_add_ts(b, PT_TSi, &tsi);
	ikev2_add_ts(b, PT_TSr, &tsr);
	if (ike->child.transport)
		ikev2_add_notify(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
}

/* The peer's order decides, except that for an SA meant for the NIC a
 * proposal the device is known to offload wins over any other. */
static bool choose_child_alg(struct ike_sa *ike, const struct connection *c,
			     const struct ikev2_sa_payload *offered, struct ikev2_sa_payload *chosen)
{
	struct alg_proposals esp, offloadable = { .n = 0 };
	struct child_sa *ch = &ike->child;
	child_proposals(ike, c, &esp);
	if (c->offload.mode != HW_OFFLOAD_NO) {
		offloadable = esp;
		offload_keep_known(offload_probe_for(kernel, &ike->ends.local), &offloadable);
	}
	int esn = esn_policy(ike, c);
	return (offloadable.n > 0 &&
		ikev2_sa_choose(offered, &offloadable, PROTO_ESP, esn, chosen, &ch->alg, &ch->esn)) ||
	       ikev2_sa_choose(offered, &esp, PROTO_ESP, esn, chosen, &ch->alg, &ch->esn);
}

/* Picks the child SA from the initiator's request; an error notify type
 * when it cannot be had. */
static uint16_t choose_child(struct ike_sa *ike, const struct connection *c, const struct ikev2_msg *m,
			     struct ikev2_sa_payload *chosen)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *tsip = ikev2_find(m, PT_TSi),
		*tsrp = ikev2_find(m, PT_TSr);
	struct ikev2_sa_payload offered;
	struct ikev2_ts_payload tsi, tsr;
	struct child_sa *ch = &ike->child;
	if (sap == NULL || tsip == NULL || tsrp == NULL || !ikev2_parse_sa(sap, &offered, &d) ||
	    !ikev2_parse_ts(tsip, &tsi, &d) || !ikev2_parse_ts(tsrp, &tsr, &d)) {
		child_log(ike, LL_ERROR, "the child SA request is malformed: %s", diag_oneline(&d, "missing SA or TS payload"));
		return N_INVALID_SYNTAX;
	}
	if (!choose_child_alg(ike, c, &offered, chosen)) {
		child_log(ike, LL_ERROR, "none of the peer's ESP proposals is acceptable (esp=%s)",
			  c->config->esp != NULL ? c->config->esp : "default");
		return N_NO_PROPOSAL_CHOSEN;
	}
	/* The peer's SPI is in the offered proposal the choice came from. */
	for (size_t i = 0; i < offered.n; i++) {
		if (offered.prop[i].num == chosen->prop[0].num && offered.prop[i].spi_len == 4)
			ch->spi_out = get_be32(offered.prop[i].spi);
	}
	if (!any_ts_covers(&tsi, &ike->ends.remote_net) || !any_ts_covers(&tsr, &ike->ends.local_net)) {
		char l[ADDRESS_STR_MAX], r[ADDRESS_STR_MAX];
		child_log(ike, LL_ERROR, "the peer's traffic selectors do not cover %s <=> %s",
			  subnet_str(&ike->ends.local_net, l), subnet_str(&ike->ends.remote_net, r));
		return N_TS_UNACCEPTABLE;
	}
	ch->local_net = ike->ends.local_net;
	ch->remote_net = ike->ends.remote_net;
	ch->transport = c->config->type == TYPE_TRANSPORT && has_notify(m, N_USE_TRANSPORT_MODE);
	ch->spi_in = random_esp_spi();
	put_be32(chosen->prop[0].spi, ch->spi_in);
	chosen->prop[0].spi_len = 4;
	return 0;
}

static void responder_auth(struct ike_sa *ike, struct ikev2_msg *m)
{
	struct connection *c = conn_find(ike->conn_name);
	if (c == NULL || !authenticate_peer(ike, m, PT_IDi)) {
		respond_notify(ike, IKE_AUTH, N_AUTHENTICATION_FAILED, NULL, 0);
		ike_fail(ike);
		return;
	}
	ike_established(ike);

	struct ikev2_sa_payload chosen;
	struct auth_response_arg a = { .chosen = &chosen };
	a.child_error = choose_child(ike, c, m, &chosen);
	if (a.child_error == 0) {
		/* Decide the offload before answering, so a refused SA with
		 * fallback=no ends in an error notify, not a one-sided tunnel. */
		struct diag notes;
		diag_init(&notes);
		int r = child_sa_install(ike, c, &notes);
		child_log_lines(ike, r == 0 ? LL_WARN : LL_ERROR, &notes);
		if (r != 0) {
			child_log(ike, LL_ERROR, "IPsec SA not installed; answering NO_PROPOSAL_CHOSEN");
			a.child_error = N_NO_PROPOSAL_CHOSEN;
			/* Kept for --status; the initiator decides whether to try again. */
			retry_note(&c->retry, retry_kind_of_install(r), ike->failure, time(NULL));
		} else {
			conn_forget_failures(c);
		}
	}
	if (a.child_error != 0)
		a.chosen = NULL;
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = build_encrypted(ike, IKE_AUTH, true, ike->peer_msgid, inner_auth_response, &a, out, sizeof(out));
	if (!a.ok || n == 0) {
		ike_fail(ike);
		return;
	}
	send_response(ike, out, n);
	if (ike->child.installed)
		log_established(ike);
}

/* ---- INFORMATIONAL ---- */

struct info_arg {
	bool esp_deleted;
	uint32_t spi_in;
};

static void inner_info_response(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike;
	struct info_arg *a = arg;
	if (a->esp_deleted) {
		uint8_t spi[4];
		put_be32(spi, a->spi_in);
		ikev2_add_delete(b, PROTO_ESP, 4, spi, 1);
	}
}

static void informational_request(struct ike_sa *ike, struct ikev2_msg *m)
{
	bool delete_ike = false;
	struct info_arg a = {0};
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_delete del;
		if (m->p[i].type != PT_DELETE || !ikev2_parse_delete(&m->p[i], &del, &d))
			continue;
		if (del.protocol == PROTO_IKE)
			delete_ike = true;
		for (uint16_t k = 0; del.protocol == PROTO_ESP && del.spi_len == 4 && k < del.count; k++) {
			if (ike->child.installed && get_be32(del.spis + 4 * k) == ike->child.spi_out) {
				a.esp_deleted = true;
				a.spi_in = ike->child.spi_in;
			}
		}
	}
	static uint8_t out[IKEV2_MSG_MAX];
	if (a.esp_deleted) {
		child_log(ike, LL_INFO, "the peer deleted the IPsec SA");
		child_sa_remove(ike);
	}
	size_t n = build_encrypted(ike, INFORMATIONAL, true, ike->peer_msgid,
				   inner_info_response, delete_ike ? &(struct info_arg){0} : &a, out, sizeof(out));
	if (n > 0)
		send_response(ike, out, n);
	if (delete_ike) {
		char peer[ADDRESS_STR_MAX];
		ike_log(ike, LL_INFO, "%s deleted the IKE SA", peer_text(ike, peer));
		child_sa_remove(ike);
		ike_sa_free(ike, 1);
	}
}

static void inner_delete_ike(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)arg;
	ikev2_add_delete(b, PROTO_IKE, 0, NULL, 0);
}

/* Our Delete of the whole IKE SA; the kernel state goes at once, the
 * IKE SA when the peer answers (or stops answering). rc is what a
 * waiting whack gets. */
static void send_delete(struct ike_sa *ike, int rc)
{
	static uint8_t out[IKEV2_MSG_MAX];
	attempt_failed(ike);
	child_sa_remove(ike);
	if (ike->whack != NULL) {
		whack_done(ike->whack, rc);
		ike->whack = NULL;
	}
	if (!ike->have_keys) {
		ike_sa_free(ike, rc);
		return;
	}
	if (ike->retransmit != NULL)
		evtimer_del(ike->retransmit);
	/* With a request of ours unanswered, a Delete would reuse its
	 * message ID: let the peer's IKE SA time out instead. */
	if (ike->request.data != NULL) {
		ike_sa_free(ike, rc);
		return;
	}
	size_t n = build_encrypted(ike, INFORMATIONAL, false, ike->next_msgid, inner_delete_ike, NULL, out, sizeof(out));
	ike->state = IKE_DELETING;
	if (n == 0) {
		ike_sa_free(ike, rc);
		return;
	}
	send_request(ike, out, n);
}

/* ---- dispatch ---- */

static void handle_response(struct ike_sa *ike, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	if (ike->request.data == NULL || m->hdr.msgid != ike->next_msgid) {
		ike_log(ike, LL_DEBUG, "dropped a response with message ID %u (expecting %u)", m->hdr.msgid, ike->next_msgid);
		return;
	}
	struct diag d;
	diag_init(&d);
	if (m->hdr.exchange != IKE_SA_INIT) {
		struct sk_cipher c = cipher_for(ike, false);
		uint8_t *plain;
		size_t plain_len;
		if (m->sk_offset == 0 || !sk_open(&c, buf, len, m->sk_offset, &plain, &plain_len, &d) ||
		    !ikev2_parse_inner(plain, plain_len, m->sk_first, m, &d)) {
			ike_log(ike, LL_WARN, "dropped a %s response that does not decrypt or parse: %s",
				ikev2_exchange_name(m->hdr.exchange), diag_oneline(&d, "no SK payload"));
			return;
		}
	}
	evtimer_del(ike->retransmit);
	buf_free(&ike->request);
	ike->next_msgid++;
	switch (ike->state) {
	case IKE_I_INIT_SENT:
		init_response(ike, m, buf, len);
		break;
	case IKE_I_AUTH_SENT:
		auth_response(ike, m);
		break;
	case IKE_DELETING:
		ike_log(ike, LL_INFO, "the peer confirmed the deletion");
		ike_sa_free(ike, 1);
		break;
	default:
		break;
	}
}

static void handle_request(struct ike_sa *ike, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	if (ike->have_response && m->hdr.msgid + 1 == ike->peer_msgid) {
		ike_log(ike, LL_DEBUG, "the peer retransmitted request %u; sending our response again", m->hdr.msgid);
		ike_send(&ike->ends.local, &ike->ends.remote, ike->remote_port, ike->response.data, ike->response.len);
		return;
	}
	if (m->hdr.msgid != ike->peer_msgid) {
		ike_log(ike, LL_WARN, "dropped a request with message ID %u (expecting %u)", m->hdr.msgid, ike->peer_msgid);
		return;
	}
	struct diag d;
	diag_init(&d);
	struct sk_cipher c = cipher_for(ike, false);
	uint8_t *plain;
	size_t plain_len;
	if (!ike->have_keys || m->sk_offset == 0 || !sk_open(&c, buf, len, m->sk_offset, &plain, &plain_len, &d) ||
	    !ikev2_parse_inner(plain, plain_len, m->sk_first, m, &d)) {
		ike_log(ike, LL_WARN, "dropped a %s request that does not decrypt or parse: %s",
			ikev2_exchange_name(m->hdr.exchange), diag_oneline(&d, "no SK payload"));
		return;
	}
	const struct ikev2_payload *crit = ikev2_unknown_critical(m);
	if (crit != NULL) {
		uint8_t type = crit->type;
		ike_log(ike, LL_WARN, "the peer's %s request has a critical payload of unknown type %u; answering UNSUPPORTED_CRITICAL_PAYLOAD",
			ikev2_exchange_name(m->hdr.exchange), type);
		respond_notify(ike, m->hdr.exchange, N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
		return;
	}
	switch (m->hdr.exchange) {
	case IKE_AUTH:
		if (ike->state == IKE_R_INIT_SENT)
			responder_auth(ike, m);
		break;
	case INFORMATIONAL:
		informational_request(ike, m);
		break;
	case CREATE_CHILD_SA:
		ike_log(ike, LL_WARN, "the peer asks for CREATE_CHILD_SA (rekeying), which this pluto does not do yet; answering NO_ADDITIONAL_SAS");
		respond_notify(ike, CREATE_CHILD_SA, N_NO_ADDITIONAL_SAS, NULL, 0);
		break;
	default:
		ike_log(ike, LL_WARN, "dropped a request of unknown exchange type %u", m->hdr.exchange);
		break;
	}
}

static void receive(uint8_t *buf, size_t len, const ip_address *local, const ip_address *remote, uint16_t port)
{
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	char peer[ADDRESS_STR_MAX];
	if (!ikev2_parse(buf, len, &m, &d)) {
		llog(LL_WARN, "dropped a malformed IKE message from %s: %s", address_str(remote, peer),
		     diag_oneline(&d, NULL));
		return;
	}
	bool response = m.hdr.flags & IKEV2_FLAG_RESPONSE;
	if (m.hdr.exchange == IKE_SA_INIT && !response) {
		responder_init(buf, len, &m, local, remote, port);
		return;
	}
	struct ike_sa *ike = ike_sa_by_spi(m.hdr.spi_i, m.hdr.exchange == IKE_SA_INIT ? zero_spi : m.hdr.spi_r);
	if (ike == NULL || !address_eq(&ike->ends.remote, remote)) {
		llog(LL_DEBUG, "dropped an IKE message from %s for an IKE SA we do not have", address_str(remote, peer));
		return;
	}
	if (response)
		handle_response(ike, &m, buf, len);
	else
		handle_request(ike, &m, buf, len);
}

/* ---- control ---- */

bool ikev2_down(const char *conn_name, const char *why)
{
	struct ike_sa *ike = ike_sa_of_conn(conn_name);
	if (ike == NULL)
		return false;
	ike_log(ike, LL_INFO, "deleting the IKE SA and its IPsec SA (%s)", why);
	ike->attempt_over = true;	/* called off: no failure to keep */
	send_delete(ike, 1);
	return true;
}

void ikev2_shutdown(void)
{
	while (ike_sa_first() != NULL) {
		struct ike_sa *ike = ike_sa_first();
		ike->attempt_over = true;
		if (ike->state != IKE_DELETING && ike->have_keys)
			send_delete(ike, 1);
		if (ike_sa_first() == ike) {
			child_sa_remove(ike);
			ike_sa_free(ike, 1);
		}
	}
	ike_sockets_close();
}

bool ikev2_listen(const struct connection *c, struct diag *d)
{
	struct ends ends;
	struct diag ignore;
	diag_init(&ignore);
	if (!conn_ends(c->config, &ends, &ignore))
		return true;	/* not ours to listen for: --status shows it */
	return ike_socket_open(&ends.local, d);
}

void ikev2_init(void)
{
	ike_sockets_init(receive);
}
