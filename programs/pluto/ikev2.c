/* ikev2.c: starting and ending IKE SAs for the control side, what a
 * failed attempt leads to (retry.h), and the small helpers the exchanges
 * share. */
#include <stdio.h>
#include <string.h>
#include <event2/event.h>
#include "child_sa.h"
#include "ike_init_gate.h"
#include "ike_socket.h"
#include "ikev2.h"
#include "ikev2_exchange.h"
#include "pluto.h"
#include "retry.h"

#define NONCE_LEN 32

size_t ikev2_nonce_len = NONCE_LEN;

/* ---- helpers ---- */

void ikev2_random_spi(uint8_t spi[IKEV2_SPI_LEN])
{
	static const uint8_t zero[IKEV2_SPI_LEN];
	do
		ike_random(spi, IKEV2_SPI_LEN);
	while (memcmp(spi, zero, IKEV2_SPI_LEN) == 0);
}

bool ikev2_make_nonce(struct buf *b)
{
	uint8_t nonce[IKEV2_NONCE_MAX];
	size_t len = ikev2_nonce_len;
	if (len < IKEV2_NONCE_MIN || len > IKEV2_NONCE_MAX || !ike_random(nonce, len))
		return false;
	buf_set(b, nonce, len);
	explicit_bzero(nonce, len);
	return b->data != NULL;
}

void ikev2_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

uint32_t ikev2_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *ikev2_peer_text(const struct ike_sa *ike, char buf[ADDRESS_STR_MAX])
{
	return address_str(&ike->ends.remote, buf);
}

const struct ikev2_payload *ikev2_error_notify(const struct ikev2_msg *m, struct ikev2_notify *n)
{
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < m->n; i++) {
		if (m->p[i].type == PT_NOTIFY && ikev2_parse_notify(&m->p[i], n, &d) && n->type <= N_ERROR_MAX)
			return &m->p[i];
	}
	return NULL;
}

bool ikev2_has_notify(const struct ikev2_msg *m, uint16_t type)
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

/* ---- failed attempts (retry.h) ---- */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct connection *c = arg;
	c->retry.next_at = 0;
	if (c->retry.kind == ATTEMPT_LOST && c->retry.failures == 1)
		conn_log(c, LL_INFO, "bringing the tunnel back (%s)", retry_why(&c->retry));
	else
		conn_log(c, LL_INFO, "trying again after %u failed attempt%s", c->retry.failures,
			 c->retry.failures == 1 ? "" : "s");
	ikev2_initiate(c, 0);
}

/* Whether pluto keeps the conn up: auto=start does, unless a dead peer is
 * to be cleared (dpdaction=clear); dpdaction=restart does in any case. */
static bool keeps_up(const struct connection *c, enum attempt_failure kind)
{
	const struct conn_config *cfg = c->config;
	if (kind == ATTEMPT_LOST)
		return cfg->dpdaction == DPD_RESTART || (cfg->auto_mode == AUTO_START && cfg->dpdaction != DPD_CLEAR);
	return cfg->auto_mode == AUTO_START;
}

/* Keeps the failure on c and arms the next attempt, if any; the plan,
 * for the log. */
static const char *conn_attempt_failed(struct connection *c, enum attempt_failure kind, const char *why,
				       char *plan, size_t len)
{
	time_t now = time(NULL);
	retry_note(&c->retry, kind, why, now);
	unsigned delay = retry_plan_next(&c->retry, keeps_up(c, kind), now);
	if (delay > 0 && c->retry_timer == NULL)
		c->retry_timer = evtimer_new(pluto.base, on_retry, c);
	if (delay > 0 && c->retry_timer != NULL)
		evtimer_add(c->retry_timer, &(struct timeval){ .tv_sec = delay });
	return retry_plan(&c->retry, now, plan, len);
}

/* Conn c (of an IKE SA or a tunnel) as loaded now: a conn replaced since
 * keeps failures and plans under its name; one deleted since has none;
 * nor has a road warrior's instance (its template is not what failed,
 * and cannot initiate to bring it back). */
static struct connection *current_conn_of(const struct connection *c)
{
	if (c->template != NULL)
		return NULL;
	return c->unloaded ? conn_find(c->config->name) : (struct connection *)c;
}

static struct connection *current_conn(const struct ike_sa *ike)
{
	return current_conn_of(ike->c);
}

void ikev2_attempt_failed(struct ike_sa *ike)
{
	if (!ike->initiator || ike->attempt_over)
		return;
	ike->attempt_over = true;
	struct connection *c = current_conn(ike);
	char plan[160];
	if (c != NULL && !pluto.stopping &&
	    conn_attempt_failed(c, ike->failure_kind, ike->failure[0] ? ike->failure : "the negotiation failed",
				plan, sizeof(plan))[0] != '\0')
		ike_log(ike, LL_INFO, "%s", plan);
}

bool ikev2_keeps_up(const struct connection *of)
{
	const struct connection *c = current_conn_of(of);
	return c != NULL && !pluto.stopping && keeps_up(c, ATTEMPT_LOST);
}

/* The tunnels of conn of are lost; true when bringing them back is planned. */
static bool conn_lost(const struct connection *of, const struct logger *lg, const char *why)
{
	struct connection *c = current_conn_of(of);
	char plan[160], reason[300];
	if (c == NULL || pluto.stopping)
		return false;
	/* --status says why a conn that would be kept up is not. */
	bool cleared = c->config->auto_mode == AUTO_START && !keeps_up(c, ATTEMPT_LOST);
	snprintf(reason, sizeof(reason), "%s%s", why, cleared ? "; not brought back (dpdaction=clear)" : "");
	if (conn_attempt_failed(c, ATTEMPT_LOST, reason, plan, sizeof(plan))[0] != '\0')
		logger_log(lg, LL_INFO, "%s", plan);
	return c->retry.next_at != 0;
}

/* Whether tunnel k of ike, which is up, is the first up of its conn's,
 * other than ike's own. */
static bool first_up_of_other_conn(const struct ike_sa *ike, unsigned k)
{
	const struct tunnel *t = &ike->tunnels[k];
	if (t->c == ike->c || !t->child.installed)
		return false;
	for (unsigned i = 0; i < k; i++) {
		if (ike->tunnels[i].c == t->c && ike->tunnels[i].child.installed)
			return false;
	}
	return true;
}

/* The other conns whose tunnels are up on ike lose them (ike goes). */
static void joined_conns_lost(const struct ike_sa *ike, const char *why)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		const struct tunnel *t = &ike->tunnels[k];
		if (first_up_of_other_conn(ike, k)) {
			struct logger lg = t->c->log;
			conn_lost(t->c, &lg, why);
		}
	}
}

bool ikev2_tunnel_lost(struct ike_sa *ike, const char *why)
{
	joined_conns_lost(ike, why);
	return conn_lost(ike->c, &ike->log, why);
}

void ikev2_request_timed_out(struct ike_sa *ike)
{
	if (ike->replaced_by != 0) {
		/* Its tunnel lives on in the IKE SA that replaced it. */
		ike_sa_free(ike, 0);
		return;
	}
	if (ike->state != IKE_ESTABLISHED) {
		ikev2_fail(ike);
		return;
	}
	/* An established SA's request (a liveness check, most often) that
	 * goes unanswered: the peer is dead, and its SAs with it. */
	char peer[ADDRESS_STR_MAX];
	ike_log(ike, LL_WARN, "%s is dead: no answer in %u s (retransmit-timeout); dpdaction=%s: deleting its SAs",
		ikev2_peer_text(ike, peer), ike->c->config->retransmit_timeout, dpd_action_name(ike->c->config->dpdaction));
	ikev2_tunnel_lost(ike, "the peer stopped answering");
	child_sa_remove(ike);
	ike_sa_free(ike, 1);
}

static bool child_has_sa(const struct ike_sa *ike, const struct child_sa *ch, const ip_address *dst, uint32_t spi)
{
	return ch->installed && ((ch->spi_in == spi && address_eq(dst, &ike->ends.local)) ||
				 (ch->spi_out == spi && address_eq(dst, &ike->ends.remote)));
}

/* The tunnel of ike whose current child holds the SA dst/spi, or NULL. */
static struct tunnel *tunnel_with_sa(struct ike_sa *ike, const ip_address *dst, uint32_t spi)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		if (child_has_sa(ike, &ike->tunnels[k].child, dst, spi))
			return &ike->tunnels[k];
	}
	return NULL;
}

static bool other_child_up(const struct ike_sa *ike, const struct tunnel *t)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		if (&ike->tunnels[k] != t && ike->tunnels[k].child.installed)
			return true;
	}
	return false;
}

/* A retiring child of ike that holds the SA dst/spi, or NULL. */
static struct child_sa *retiring_with_sa(struct ike_sa *ike, const ip_address *dst, uint32_t spi)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
			if (child_has_sa(ike, &ike->tunnels[k].retiring[i], dst, spi))
				return &ike->tunnels[k].retiring[i];
		}
	}
	return NULL;
}

void ikev2_child_expired(const ip_address *dst, uint32_t spi, const char *limit)
{
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		struct child_sa *old = retiring_with_sa(ike, dst, spi);
		if (old != NULL) {
			ikev2_retiring_gone(ike, old, "replaced by a rekey expired");
			return;
		}
		struct tunnel *t = ike->state == IKE_ESTABLISHED ? tunnel_with_sa(ike, dst, spi) : NULL;
		if (t == NULL)
			continue;
		if (other_child_up(ike, t)) {
			/* the IKE SA and its other tunnels go on; a conn kept up
			 * makes this one anew over it */
			child_log(ike, t, &t->child, LL_INFO, "the IPsec SA expired (%s) without being rekeyed; deleting it",
				  limit);
			t->want_rekey = ikev2_keeps_up(t->c);
			ikev2_delete_tunnel(ike, t);
			return;
		}
		child_log(ike, t, &t->child, LL_INFO, "the IPsec SA expired (%s) without being rekeyed; the IKE SA goes too",
			  limit);
		ikev2_tunnel_lost(ike, "its IPsec SA expired");
		ike->attempt_over = true;
		ikev2_send_delete(ike, 1);
		return;
	}
}

void ikev2_child_soft_expired(const ip_address *dst, uint32_t spi)
{
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		struct tunnel *t = ike->state == IKE_ESTABLISHED && ike->replaced_by == 0 ?
			tunnel_with_sa(ike, dst, spi) : NULL;
		if (t == NULL)
			continue;
		/* Both SAs of a child expire softly at the same time: one rekey. */
		if (t->c->config->rekey && !ikev2_rekeying_tunnel(ike, t)) {
			child_log(ike, t, &t->child, LL_DEBUG, "the kernel says the IPsec SA is due for rekeying");
			ikev2_rekey_tunnel(ike, t);
		}
		return;
	}
}

void ikev2_fail(struct ike_sa *ike)
{
	ikev2_attempt_failed(ike);
	child_sa_remove(ike);
	ike_sa_free(ike, 1);
}

/* ---- the control side ---- */

/* Why an initiation cannot begin; the attempt is counted and planned. */
static void cannot_initiate(struct connection *c, unsigned whack, enum attempt_failure kind, const char *reason)
{
	char why[600], plan[160];
	snprintf(why, sizeof(why), "cannot initiate: %s", reason);
	conn_attempt_failed(c, kind, why, plan, sizeof(plan));
	struct logger lg = c->log;
	lg.whack = whack;
	logger_log(&lg, LL_ERROR, "%s%s%s", why, plan[0] ? "; " : "", plan);
	logger_whack_done(&lg, 1);
}

/* Each tunnel of conn c on an established ike with no child up and none
 * being made is to have one made anew; how many. */
static unsigned want_tunnels_down(struct ike_sa *ike, const struct connection *c)
{
	unsigned n = 0;
	for (unsigned k = 0; ike->state == IKE_ESTABLISHED && ike->replaced_by == 0 && k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (tunnel_of_conn(t, c->config->name, 0) && !t->child.installed && !t->want_rekey &&
		    !ikev2_rekeying_tunnel(ike, t)) {
			t->want_rekey = true;
			n++;
		}
	}
	return n;
}

void ikev2_initiate(struct connection *c, unsigned whack)
{
	struct ike_sa *old = ike_sa_carrying(c->config->name, 0);
	unsigned down = old != NULL ? want_tunnels_down(old, c) : 0;
	if (down > 0) {
		/* IPsec SAs of it were deleted and the IKE SA lives: the
		 * children are made anew over it, one at a time, and the whack
		 * hears how the first ends. */
		old->log.whack = whack;
		if (down == 1)
			ike_log(old, LL_INFO, "making the IPsec SA anew over this IKE SA");
		else
			ike_log(old, LL_INFO, "making %u IPsec SAs anew over this IKE SA", down);
		ikev2_send_next(old);
		return;
	}
	if (old != NULL) {
		bool up = old->state == IKE_ESTABLISHED && ike_sa_conn_up(old, c->config->name, 0);
		struct logger lg = old->log;
		lg.whack = whack;
		lg.first_error = NULL;
		logger_log(&lg, LL_INFO, "%s", up ? "already established" : "a negotiation is already under way");
		logger_whack_done(&lg, up ? 0 : 1);
		return;
	}
	/* Another conn's IKE SA with the same hosts and IDs carries this
	 * one's tunnels too, as libreswan shares it. */
	struct ike_sa *shared = c->oriented ? ikev2_ike_sa_to_join(c) : NULL;
	if (shared != NULL && ikev2_join_ike_sa(shared, c, whack)) {
		if (c->retry_timer != NULL)
			evtimer_del(c->retry_timer);	/* this is the attempt it planned */
		c->retry.next_at = 0;
		return;
	}
	ikev2_initiate_alone(c, whack);
}

void ikev2_initiate_alone(struct connection *c, unsigned whack)
{
	if (c->retry_timer != NULL)
		evtimer_del(c->retry_timer);	/* this is the attempt it planned */
	c->retry.next_at = 0;
	struct diag d;
	diag_init(&d);
	/* A name may point elsewhere by now: looked up again, as libreswan
	 * does when it initiates. */
	if (conn_has_host_names(c))
		conn_resolve_names(c);
	/* Only %any is for good: an address may yet come up. */
	if (!c->oriented && !conn_orient(c)) {
		cannot_initiate(c, whack, ATTEMPT_TRANSIENT, conn_orient_why(c));
		return;
	}
	if (c->ends.remote.family == 0) {
		cannot_initiate(c, whack, ATTEMPT_CONFIG, "the other end is %any: this end can only respond");
		return;
	}
	if (!ike_socket_open(&c->ends.local, &d)) {
		cannot_initiate(c, whack, ATTEMPT_TRANSIENT, diag_oneline(&d, NULL));
		return;
	}
	struct ike_sa *ike = ike_sa_new(c, true, whack);
	if (ike == NULL) {
		struct logger lg = c->log;
		lg.whack = whack;
		logger_whack_done(&lg, 1);
		return;
	}
	ike->ends = c->ends;
	ikev2_random_spi(ike->spi_i);
	ike_sa_index(ike);
	ike->dh_group = c->config->ike_proposals->p[0].dh;
	ike_sa_set_state(ike, IKE_I_INIT_SENT);
	char peer[ADDRESS_STR_MAX];
	ike_log(ike, LL_INFO, "initiating IKEv2 connection to %s", ikev2_peer_text(ike, peer));
	if (!ikev2_make_nonce(&ike->ni) || !ikev2_send_init_request(ike))
		ikev2_fail(ike);
}

void ikev2_start_init(struct ike_sa *ike)
{
	if (!ikev2_send_init_request(ike))
		ikev2_fail(ike);
}

/* The tunnels of conn name that ride on other conns' IKE SAs go, each
 * with a Delete of its children; the IKE SAs stay for their own conns. */
static bool down_joined_tunnels(const char *name, const char *why)
{
	bool any = false;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		if (strcmp(ike->c->config->name, name) == 0 || ike->state != IKE_ESTABLISHED || ike->replaced_by != 0)
			continue;
		for (unsigned k = 0; k < ike->ntunnels; k++) {
			struct tunnel *t = &ike->tunnels[k];
			if (strcmp(t->c->config->name, name) != 0)
				continue;
			t->want_rekey = false;
			t->retry_at = 0;
			t->left = true;
			ikev2_rekey_abandon(ike, t);	/* a child being made for it goes too */
			if (t->child.installed) {
				child_log(ike, t, &t->child, LL_INFO, "deleting the IPsec SA (%s); IKE SA #%u stays for \"%s\"",
					  why, ike->serial, ike->c->config->name);
				ikev2_delete_tunnel(ike, t);
				any = true;
			}
		}
	}
	return any;
}

bool ikev2_down(const char *conn_name, const char *why)
{
	bool any = down_joined_tunnels(conn_name, why);
	struct ike_sa *ike = ike_sa_next_of_conn(NULL, conn_name);
	while (ike != NULL) {
		struct ike_sa *next = ike_sa_next_of_conn(ike, conn_name);
		if (ike->state != IKE_DELETING) {
			ike_log(ike, LL_INFO, "deleting the IKE SA and its IPsec SA (%s)", why);
			/* the tunnels of other conns on it were not taken down: lost */
			joined_conns_lost(ike, "the IKE SA they were on was taken down");
			ike->attempt_over = true;	/* called off: no failure to keep */
			ikev2_send_delete(ike, 1);
			any = true;
		}
		ike = next;
	}
	return any;
}

void ikev2_shutdown(void)
{
	while (ike_sa_first() != NULL) {
		struct ike_sa *ike = ike_sa_first();
		ike->attempt_over = true;
		if (ike->state != IKE_DELETING)
			ikev2_send_delete(ike, 1);
		if (ike_sa_first() == ike) {
			child_sa_remove(ike);
			ike_sa_free(ike, 1);
		}
	}
	init_gate_shutdown();
	ike_sockets_close();
}

bool ikev2_listen(const struct connection *c, struct diag *d)
{
	if (!c->oriented)
		return true;	/* not ours to listen for: --status shows it */
	return ike_socket_open(&c->ends.local, d);
}

void ikev2_init(void)
{
	ike_sockets_init(ikev2_receive);
}
