/* ikev2_ike_sa_init.c: IKE_SA_INIT (RFC 7296 1.2), both roles, with
 * cookies (2.6) and the INVALID_KE_PAYLOAD round trip (1.2).
 *
 * The responder decides everything it can from the request alone, and
 * from counts (ike_dos.h), before it spends a DH computation or keeps any
 * state: a request it will not take on gets a stateless answer (COOKIE,
 * INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN) or nothing. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypto_workers.h"
#include "ike_init_gate.h"
#include "escape.h"
#include "ike_dos.h"
#include "ike_socket.h"
#include "ikev2_exchange.h"
#include "ikev2_cert.h"
#include "ikev2_frag.h"
#include "log.h"
#include "natt.h"
#include "secmem.h"

/* A responder that keeps sending COOKIE or INVALID_KE_PAYLOAD back is not
 * to be followed forever. */
#define INIT_RETRIES_MAX 4

static struct log_limit init_lines;

/* ---- keys ---- */

/* The IKE SA's keys from g^ir (dh_derive's); g_ir stays the caller's. */
static bool keys_from_shared(struct ike_sa *ike, PK11SymKey *g_ir, struct diag *d)
{
	if (ike->keys == NULL)
		ike->keys = secmem_alloc(sizeof(*ike->keys));
	else
		ike_keys_wipe(ike->keys);	/* NSS's keys freed, not only forgotten */
	bool ok = ike->keys != NULL &&
		  ike_derive_keys(&ike->ike_alg, ike->ni.data, ike->ni.len, ike->nr.data, ike->nr.len,
				  g_ir, ike->spi_i, ike->spi_r, ike->keys);
	if (!ok) {
		if (ike->keys != NULL)
			ike_keys_wipe(ike->keys);
		secmem_free(ike->keys, sizeof(*ike->keys));
		ike->keys = NULL;
		if (!diag_failed(d))
			diag_add(d, "cannot derive the IKE SA's keys");
	}
	return ok;
}

/* What IKE_SA_INIT computes on a helper thread (crypto_workers.h): our
 * key pair when there is none yet, then, given the peer's KE, g^ir. The
 * SA is known only by its serial: it may be gone when the job ends. */
struct init_dh_job {
	struct crypto_job job;
	unsigned serial;
	enum dh_id group;
	struct dh_local *dh;		/* ours: the SA's, or made here */
	bool derive;			/* the peer's KE is there: g^ir wanted */
	uint8_t peer_ke[IKE_DH_PUB_MAX];
	size_t peer_len;
	uint8_t pub[IKE_DH_PUB_MAX];	/* ours, when made here */
	PK11SymKey *g_ir;		/* g^ir, inside NSS */
	bool ok;
	struct diag d;
	/* responder: its answer's SA payload (the proposal chosen) */
	struct ikev2_proposal chosen;
};

static void init_dh_job_free(struct init_dh_job *j)
{
	dh_free(j->dh);
	ike_key_free(j->g_ir);
	explicit_bzero(j, sizeof(*j));
	free(j);
}

static void init_dh_compute(struct crypto_job *job)
{
	struct init_dh_job *j = (struct init_dh_job *)job;
	if (j->dh == NULL)
		j->dh = dh_generate(j->group, j->pub, &j->d);
	j->ok = j->dh != NULL;
	if (j->ok && j->derive) {
		j->g_ir = dh_derive(j->dh, j->peer_ke, j->peer_len, &j->d);
		j->ok = j->g_ir != NULL;
		dh_free(j->dh);
		j->dh = NULL;
	}
}

static struct init_dh_job *init_dh_job_new(struct ike_sa *ike, void (*done)(struct crypto_job *))
{
	struct init_dh_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->job.compute = init_dh_compute;
	j->job.done = done;
	j->serial = ike->serial;
	j->group = ike->dh_group;
	diag_init(&j->d);
	return j;
}

/* The SA the job is for, if it is still there and still waits for it;
 * else the job is dropped, its secrets wiped. */
static struct ike_sa *init_dh_job_owner(struct init_dh_job *j)
{
	struct ike_sa *ike = j->job.cancelled ? NULL : ike_sa_by_serial(j->serial);
	if (ike != NULL && ike->crypto_busy) {
		ike->crypto_busy = false;
		return ike;
	}
	init_dh_job_free(j);
	return NULL;
}

/* Submits j for ike, which waits for it until done. */
static void init_dh_submit(struct ike_sa *ike, struct init_dh_job *j)
{
	ike->crypto_busy = true;
	crypto_job_submit(&j->job);
}

/* ---- responder ---- */

/* The data of a COOKIE notify that is the request's first payload (2.6). */
static const uint8_t *cookie_of(const struct ikev2_msg *m, size_t *len)
{
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	if (m->n == 0 || m->p[0].type != PT_NOTIFY || !ikev2_parse_notify(&m->p[0], &n, &d) ||
	    n.type != N_COOKIE)
		return NULL;
	*len = n.data_len;
	return n.data;
}

/* Whether the request may cost us more than a stateless answer; *verified
 * when it came with a good cookie. */
static bool admitted(const struct ikev2_rx *rx, const struct ikev2_payload *np, bool *verified)
{
	char peer[ADDRESS_STR_MAX];
	size_t cookie_len = 0;
	const uint8_t *cookie = cookie_of(&rx->m, &cookie_len);
	time_t now = time(NULL);
	const struct config_setup *s = ike_dos_settings();
	switch (ike_dos_admit(&rx->remote, rx->m.hdr.spi_i, np->body, np->len, cookie, cookie_len, now, verified)) {
	case IKE_DOS_ADMIT:
		return true;
	case IKE_DOS_SEND_COOKIE: {
		uint8_t fresh[IKE_COOKIE_LEN];
		if (ike_dos_make_cookie(&rx->remote, rx->m.hdr.spi_i, np->body, np->len, now, fresh))
			ikev2_send_init_notify(rx, N_COOKIE, fresh, sizeof(fresh));
		llog_limited(&init_lines, LL_DEBUG, "IKE_SA_INIT from %s %s; answering with a COOKIE",
			     address_str(&rx->remote, peer),
			     cookie != NULL ? "carries a stale or wrong cookie" : "has no cookie");
		return false;
	}
	case IKE_DOS_DROP_PEER:
		llog_limited(&init_lines, LL_WARN, "dropped IKE_SA_INIT from %s: it holds %u half-open IKE SAs already (max-halfopen-ike-per-peer=%u %s a cookie)",
			     address_str(&rx->remote, peer), ike_dos_halfopen_of(&rx->remote),
			     s->max_halfopen_ike_per_peer, *verified ? "with" : "without");
		return false;
	case IKE_DOS_DROP_TOTAL:
		llog_limited(&init_lines, LL_WARN, "dropped IKE_SA_INIT from %s: %u half-open IKE SAs are held (max-halfopen-ike=%u)",
			     address_str(&rx->remote, peer), ike_dos_halfopen_total(), s->max_halfopen_ike);
		return false;
	}
	return false;
}

static bool refuse_unknown_critical(const struct ikev2_rx *rx)
{
	const struct ikev2_payload *crit = ikev2_unknown_critical(&rx->m);
	if (crit == NULL)
		return false;
	char peer[ADDRESS_STR_MAX];
	uint8_t type = crit->type;
	llog_limited(&init_lines, LL_WARN, "IKE_SA_INIT from %s has a critical payload of unknown type %u; answering UNSUPPORTED_CRITICAL_PAYLOAD",
		     address_str(&rx->remote, peer), type);
	ikev2_send_init_notify(rx, N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
	return true;
}

/* The conn, its proposal and the peer's KE, or a stateless refusal. */
struct init_choice {
	struct connection *c;
	struct ends ends;
	struct ikev2_sa_payload chosen;
	struct alg_proposal alg;
	struct ikev2_ke ke;
};

/* Our proposals for the group of the peer's KE: taken with the rest
 * when we can, it saves a round trip (RFC 7296 1.2), however we rank it. */
static bool choose_with_ke_group(const struct ikev2_sa_payload *offered, const struct conn_config *cfg,
				 uint16_t group, struct init_choice *ch)
{
	static struct alg_proposals same;
	bool esn;
	same.n = 0;
	for (size_t i = 0; i < cfg->ike_proposals->n; i++) {
		if (cfg->ike_proposals->p[i].dh == group)
			same.p[same.n++] = cfg->ike_proposals->p[i];
	}
	return same.n > 0 && ikev2_sa_choose(offered, &same, PROTO_IKE, 0, &ch->chosen, &ch->alg, &esn);
}

static bool choose(const struct ikev2_rx *rx, struct init_choice *ch)
{
	char peer[ADDRESS_STR_MAX], ours[ADDRESS_STR_MAX];
	struct diag d;
	diag_init(&d);
	ch->c = conn_for_peer(&rx->local, &rx->remote, &ch->ends);
	if (ch->c == NULL) {
		llog_limited(&init_lines, LL_WARN, "IKE_SA_INIT from %s to %s: no conn is loaded for this pair; answering NO_PROPOSAL_CHOSEN",
			     address_str(&rx->remote, peer), address_str(&rx->local, ours));
		ikev2_send_init_notify(rx, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return false;
	}
	const struct conn_config *cfg = ch->c->config;
	static struct ikev2_sa_payload offered;	/* large: 16 proposals of 255 transforms */
	bool esn;
	if (!ikev2_parse_sa(ikev2_find(&rx->m, PT_SA), &offered, &d) ||
	    !ikev2_parse_ke(ikev2_find(&rx->m, PT_KE), &ch->ke, &d)) {
		llog_limited(&init_lines, LL_WARN, "\"%s\": dropped IKE_SA_INIT from %s: %s", cfg->name,
			     address_str(&rx->remote, peer), diag_oneline(&d, NULL));
		return false;
	}
	if (!choose_with_ke_group(&offered, cfg, ch->ke.group, ch) &&
	    !ikev2_sa_choose(&offered, cfg->ike_proposals, PROTO_IKE, 0, &ch->chosen, &ch->alg, &esn)) {
		llog_limited(&init_lines, LL_WARN, "\"%s\": IKE_SA_INIT from %s: none of its IKE proposals is acceptable (ike=%s); answering NO_PROPOSAL_CHOSEN",
			     cfg->name, address_str(&rx->remote, peer), cfg->ike != NULL ? cfg->ike : "default");
		ikev2_send_init_notify(rx, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return false;
	}
	if (ch->ke.group == ch->alg.dh && ch->ke.len != dh_public_len(ch->alg.dh)) {
		/* Refused before it costs a key pair. */
		llog_limited(&init_lines, LL_WARN, "\"%s\": dropped IKE_SA_INIT from %s: its %s KE value has %zu bytes, not %zu",
			     cfg->name, address_str(&rx->remote, peer), dh_name(ch->alg.dh), ch->ke.len,
			     dh_public_len(ch->alg.dh));
		return false;
	}
	if (ch->ke.group != ch->alg.dh) {
		uint8_t group[2] = { (uint8_t)(ch->alg.dh >> 8), (uint8_t)ch->alg.dh };
		llog_limited(&init_lines, LL_INFO, "\"%s\": IKE_SA_INIT from %s: asking for the %s key exchange instead of group %u",
			     cfg->name, address_str(&rx->remote, peer), dh_name(ch->alg.dh), ch->ke.group);
		ikev2_send_init_notify(rx, N_INVALID_KE_PAYLOAD, group, sizeof(group));
		return false;
	}
	return true;
}

/* The request's NAT detection notifies (natt.h); a malformed one drops
 * the request before it costs a DH. */
static bool read_nat_detection(const struct ikev2_rx *rx, struct natt_seen *nat)
{
	static const uint8_t no_spi[IKEV2_SPI_LEN];
	struct diag d;
	diag_init(&d);
	if (natt_read(&rx->m, rx->m.hdr.spi_i, no_spi, &rx->local, rx->local_port, &rx->remote, rx->port, nat, &d))
		return true;
	char peer[ADDRESS_STR_MAX];
	llog_limited(&init_lines, LL_WARN, "dropped IKE_SA_INIT from %s: %s", address_str(&rx->remote, peer),
		     diag_oneline(&d, NULL));
	return false;
}

static size_t build_init_response(struct ike_sa *ike, const struct ikev2_proposal *chosen, const uint8_t *pub,
				  uint8_t *out, size_t cap)
{
	static struct ikev2_sa_payload sa;	/* large: 16 proposals of 255 transforms */
	sa.prop[0] = *chosen;
	sa.n = 1;
	struct ikev2_hdr h;
	ikev2_make_header(ike, IKE_SA_INIT, true, 0, &h);
	struct ikev2_builder b;
	ikev2_begin(&b, out, cap, &h);
	ikev2_add_sa(&b, &sa);
	ikev2_add_ke(&b, ike->dh_group, pub, dh_public_len(ike->dh_group));
	ikev2_add(&b, PT_NONCE, ike->nr.data, ike->nr.len);
	natt_add_to_init_response(ike, &b);
	ikev2_frag_add_supported(ike, &b);
	ikev2_cert_add_init(ike, &b);
	return ikev2_finish(&b);
}

/* The responder's DH is done: its keys, and the answer. */
static void init_request_dh_done(struct crypto_job *job)
{
	struct init_dh_job *j = (struct init_dh_job *)job;
	struct ike_sa *ike = init_dh_job_owner(j);
	if (ike == NULL)
		return;
	uint8_t out[4096];
	if (!j->ok || !keys_from_shared(ike, j->g_ir, &j->d)) {
		/* A bad KE value is anyone's to send, and it has cost a DH: the
		 * SA stays, unanswered, holding its half-open place until it
		 * expires, so such requests count towards cookies and caps. */
		llog_limited(&init_lines, LL_WARN, "\"%s\" #%u: %s; not answering", ike->log.name, ike->serial,
			     diag_oneline(&j->d, "out of memory"));
		init_dh_job_free(j);
		return;
	}
	size_t n = build_init_response(ike, &j->chosen, j->pub, out, sizeof(out));
	init_dh_job_free(j);
	if (n == 0) {
		ike_sa_free(ike, 1);
		return;
	}
	buf_set(&ike->init_sent, out, n);
	char peer[ADDRESS_STR_MAX];
	ike_log(ike, LL_INFO, "responding to IKE_SA_INIT from %s with %s", address_str(&ike->ends.remote, peer),
		alg_ike_name(&ike->ike_alg, (char[ALG_NAME_MAX]){0}));
	ikev2_send_init_response(ike, out, n);
}

void ikev2_init_request(struct ike_sa *none, struct ikev2_rx *rx)
{
	(void)none;
	const struct ikev2_payload *np = ikev2_find(&rx->m, PT_NONCE);
	bool verified;
	if (refuse_unknown_critical(rx) || !admitted(rx, np, &verified))
		return;
	static struct init_choice ch;
	struct diag d;
	diag_init(&d);
	struct natt_seen nat;
	if (!choose(rx, &ch) || !read_nat_detection(rx, &nat) || !ike_socket_open(&rx->local, &d))
		return;
	struct ike_sa *ike = ike_sa_new(ch.c, false, 0);
	if (ike == NULL)
		return;
	ike->ends = ch.ends;
	ike->local_port = rx->local_port;
	ike->remote_port = rx->port;
	ike->ike_alg = ch.alg;
	ike->dh_group = ch.alg.dh;
	memcpy(ike->spi_i, rx->m.hdr.spi_i, IKEV2_SPI_LEN);
	ikev2_random_spi(ike->spi_r);
	ike_sa_index(ike);
	ike_sa_start_halfopen(ike, ike_dos_settings()->halfopen_ike_timeout, verified);
	natt_responder_decide(ike, &nat);
	ikev2_frag_read_init(ike, &rx->m);
	ikev2_cert_read(ike, &rx->m);
	buf_set(&ike->ni, np->body, np->len);
	buf_set(&ike->init_rcvd, rx->buf, rx->len);
	/* what the answer will repeat: a retransmit of this request is
	 * known by it, and gets nothing until the answer exists */
	ike->last_request_digest = rx->digest;
	ike->last_request_len = rx->len;
	struct init_dh_job *j = init_dh_job_new(ike, init_request_dh_done);
	if (j == NULL || ike->ni.data == NULL || ike->init_rcvd.data == NULL || !ikev2_make_nonce(&ike->nr) ||
	    ch.ke.len > sizeof(j->peer_ke)) {
		llog_limited(&init_lines, LL_WARN, "\"%s\" #%u: out of memory; not answering", ike->log.name, ike->serial);
		free(j);
		return;
	}
	j->derive = true;
	memcpy(j->peer_ke, ch.ke.data, ch.ke.len);
	j->peer_len = ch.ke.len;
	j->chosen = ch.chosen.prop[0];
	init_dh_submit(ike, j);
}

/* ---- initiator ---- */

/* Our key pair is made: the request goes. */
static void init_keypair_done(struct crypto_job *job)
{
	struct init_dh_job *j = (struct init_dh_job *)job;
	struct ike_sa *ike = init_dh_job_owner(j);
	if (ike == NULL)
		return;
	if (!j->ok) {
		ike_log(ike, LL_ERROR, "cannot make a %s key pair: %s", dh_name(ike->dh_group),
			diag_oneline(&j->d, NULL));
		init_dh_job_free(j);
		ikev2_fail(ike);
		return;
	}
	ike->dh = j->dh;
	j->dh = NULL;
	buf_set(&ike->dh_pub, j->pub, dh_public_len(ike->dh_group));
	init_dh_job_free(j);
	if (!ikev2_send_init_request(ike))
		ikev2_fail(ike);
}

bool ikev2_send_init_request(struct ike_sa *ike)
{
	uint8_t out[4096];
	if (ike->dh == NULL) {
		/* made on a helper; the request goes when it is there */
		struct init_dh_job *j = init_dh_job_new(ike, init_keypair_done);
		if (j == NULL)
			return false;
		init_dh_submit(ike, j);
		return true;
	}
	/* The key pair is made before the SA's turn at the gate comes, so
	 * that it goes at once when a place frees. */
	if (!init_gate_enter(ike)) {
		ike_log(ike, LL_INFO, "IKE_SA_INIT waits for its turn: %u of ours are in flight, %u waiting",
			init_gate_in_flight(), init_gate_waiting());
		return true;
	}
	struct ikev2_hdr h;
	ikev2_make_header(ike, IKE_SA_INIT, false, 0, &h);
	struct ikev2_builder b;
	ikev2_begin(&b, out, sizeof(out), &h);
	if (ike->cookie.data != NULL)
		ikev2_add_notify(&b, 0, NULL, 0, N_COOKIE, ike->cookie.data, ike->cookie.len);
	static struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(ike->c->config->ike_proposals, PROTO_IKE, NULL, 0, 0, &sa);
	ikev2_add_sa(&b, &sa);
	ikev2_add_ke(&b, ike->dh_group, ike->dh_pub.data, ike->dh_pub.len);
	ikev2_add(&b, PT_NONCE, ike->ni.data, ike->ni.len);
	natt_add_to_init_request(ike, &b);
	ikev2_frag_add_supported(ike, &b);
	ikev2_cert_add_init(ike, &b);
	size_t n = ikev2_finish(&b);
	if (n == 0 || ike->dh_pub.data == NULL)
		return false;
	buf_set(&ike->init_sent, out, n);
	ike->next_msgid = 0;
	ikev2_send_request(ike, out, n);
	return true;
}

static bool group_offered(const struct conn_config *c, uint16_t group)
{
	for (size_t i = 0; i < c->ike_proposals->n; i++) {
		if (c->ike_proposals->p[i].dh == group)
			return true;
	}
	return false;
}

/* The responder asks for another DH group: start again with it. */
static bool retry_with_group(struct ike_sa *ike, const struct ikev2_notify *n)
{
	if (n->data_len != 2)
		return false;
	uint16_t group = (uint16_t)(n->data[0] << 8 | n->data[1]);
	if (group == ike->dh_group || !group_offered(ike->c->config, group) || ike->init_retries >= INIT_RETRIES_MAX)
		return false;
	ike->init_retries++;
	ike_log(ike, LL_INFO, "the peer wants the %s key exchange; sending IKE_SA_INIT again with it",
		dh_name(group));
	ike->dh_group = group;
	dh_free(ike->dh);
	ike->dh = NULL;
	if (!ikev2_send_init_request(ike))
		ikev2_fail(ike);
	return true;
}

/* Every IKE_SA_INIT request of ours has message ID 0, so an answer to a
 * retransmission of the request before (the responder answers each copy)
 * can come after we sent the next one. An INVALID_KE_PAYLOAD asking for
 * the group our outstanding request already carries is such an answer:
 * following it would end a negotiation that is going well. */
bool ikev2_init_response_stale(const struct ike_sa *ike, const struct ikev2_rx *rx)
{
	struct ikev2_notify n;
	if (ikev2_error_notify(&rx->m, &n) == NULL || n.type != N_INVALID_KE_PAYLOAD || n.data_len != 2 ||
	    (uint16_t)(n.data[0] << 8 | n.data[1]) != ike->dh_group || ike->init_retries == 0)
		return false;
	llog_limited(&init_lines, LL_INFO,
		     "\"%s\" #%u: ignored an INVALID_KE_PAYLOAD asking for %s, which the IKE_SA_INIT request now under way carries: it answers an earlier copy",
		     ike->log.name, ike->serial, dh_name(ike->dh_group));
	return true;
}

/* The responder is busy and wants its cookie back (2.6). */
static bool retry_with_cookie(struct ike_sa *ike, const struct ikev2_notify *n)
{
	if (n->data_len < 1 || n->data_len > 64 || ike->init_retries >= INIT_RETRIES_MAX)
		return false;
	ike->init_retries++;
	buf_set(&ike->cookie, n->data, n->data_len);
	ike_log(ike, LL_INFO, "the peer is under load and sent a cookie; sending IKE_SA_INIT again with it");
	if (!ikev2_send_init_request(ike))
		ikev2_fail(ike);
	return true;
}

void ikev2_init_response_notify(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < rx->m.n; i++) {
		if (rx->m.p[i].type == PT_NOTIFY && ikev2_parse_notify(&rx->m.p[i], &n, &d) && n.type == N_COOKIE &&
		    retry_with_cookie(ike, &n))
			return;
	}
	if (ikev2_error_notify(&rx->m, &n) != NULL) {
		if (n.type == N_INVALID_KE_PAYLOAD && retry_with_group(ike, &n))
			return;
		ike_log(ike, LL_ERROR, "the peer refused IKE_SA_INIT: %s", ikev2_notify_name(n.type));
	} else {
		ike_log(ike, LL_ERROR, "the IKE_SA_INIT response has neither the SA, KE and Nonce payloads nor an error");
	}
	ikev2_fail(ike);
}

/* g^ir is there: the keys, then IKE_AUTH. */
static void init_response_dh_done(struct crypto_job *job)
{
	struct init_dh_job *j = (struct init_dh_job *)job;
	struct ike_sa *ike = init_dh_job_owner(j);
	if (ike == NULL)
		return;
	bool ok = j->ok && keys_from_shared(ike, j->g_ir, &j->d);
	if (!ok)
		ike_log(ike, LL_ERROR, "%s", diag_oneline(&j->d, "out of memory"));
	init_dh_job_free(j);
	if (!ok) {
		ikev2_fail(ike);
		return;
	}
	ikev2_send_auth_request(ike);
}

void ikev2_init_response(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct diag d;
	diag_init(&d);
	static struct ikev2_sa_payload sa;
	struct ikev2_ke ke;
	uint8_t spi[IKEV2_SPI_LEN], spi_len;
	bool esn;
	const struct ikev2_payload *np = ikev2_find(&rx->m, PT_NONCE);
	static const uint8_t zero_spi[IKEV2_SPI_LEN];
	if (!ikev2_parse_sa(ikev2_find(&rx->m, PT_SA), &sa, &d) || !ikev2_parse_ke(ikev2_find(&rx->m, PT_KE), &ke, &d) ||
	    !ikev2_sa_accepted(&sa, ike->c->config->ike_proposals, PROTO_IKE, 0, &ike->ike_alg, &esn, spi, &spi_len, &d) ||
	    ke.group != ike->ike_alg.dh || memcmp(rx->m.hdr.spi_r, zero_spi, IKEV2_SPI_LEN) == 0) {
		ike_log(ike, LL_ERROR, "the IKE_SA_INIT response is not acceptable: %s",
			diag_oneline(&d, "mismatched KE group or no responder SPI"));
		ikev2_fail(ike);
		return;
	}
	memcpy(ike->spi_r, rx->m.hdr.spi_r, IKEV2_SPI_LEN);
	ike_sa_index(ike);
	if (!natt_initiator_decide(ike, rx)) {
		ikev2_fail(ike);
		return;
	}
	ikev2_frag_read_init(ike, &rx->m);
	ikev2_cert_read(ike, &rx->m);
	buf_set(&ike->nr, np->body, np->len);
	buf_set(&ike->init_rcvd, rx->buf, rx->len);
	struct init_dh_job *j = init_dh_job_new(ike, init_response_dh_done);
	if (ike->nr.data == NULL || ike->init_rcvd.data == NULL || j == NULL || ke.len > sizeof(j->peer_ke)) {
		ike_log(ike, LL_ERROR, "%s", ke.len > IKE_DH_PUB_MAX ? "the peer's KE value is too long" : "out of memory");
		free(j);
		ikev2_fail(ike);
		return;
	}
	/* Our private value goes with the job, which frees it. */
	j->dh = ike->dh;
	ike->dh = NULL;
	j->derive = true;
	memcpy(j->peer_ke, ke.data, ke.len);
	j->peer_len = ke.len;
	init_dh_submit(ike, j);
}
