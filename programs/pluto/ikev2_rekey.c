/* ikev2_rekey.c: CREATE_CHILD_SA (RFC 7296 1.3) rekeying the child SA
 * (1.3.3, with PFS) and the IKE SA (1.3.2, 2.18), both roles; a child made
 * anew over a live IKE SA whose child the peer deleted (1.3.1); what
 * happens when both ends rekey the same child at once (2.8.1); and the
 * requests we owe the peer, sent one at a time as the window frees.
 *
 * A rekeyed child's new SAs go into the kernel before the old ones leave
 * it, so traffic does not stop: the initiator installs both directions and
 * then deletes the old child; its responder holds the new outbound SA
 * back until that Delete comes (child_sa.h says why). A rekeyed IKE SA
 * takes the children with it, and the old one goes without a tunnel lost.
 *
 * Collisions: a rekey that meets the peer's rekey of the same child, or of
 * the same IKE SA, is answered as usual; once both exchanges are done, the
 * new SA made by the exchange with the lowest of the four nonces is
 * deleted by the end that started it, and the other end deletes the old
 * one (2.8.1, 2.8.2). A child rekey that meets an IKE SA rekey, or the
 * other way round, is answered TEMPORARY_FAILURE (2.25), and the end that
 * gets it tries again a little later, at a random moment. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "child_sa.h"
#include "ike_socket.h"
#include "ikev2.h"
#include "ikev2_exchange.h"
#include "ikev2_frag.h"
#include "lifetime.h"
#include "natt.h"
#include "offload_balance.h"
#include "pluto.h"
#include "secmem.h"

/* After TEMPORARY_FAILURE, the next try comes within this many seconds. */
#define REKEY_RETRY_MAX_S 3
/* A pair of a kept-up conn whose child the peer would not make is asked
 * for again after this long. */
#define NEW_CHILD_RETRY_S 60
#define INVALID_KE_RETRIES 2

struct ikev2_rekey {
	bool ike;			/* rekeying the IKE SA, else the child */
	struct buf ni;
	enum dh_id group;		/* DH_NONE: no PFS */
	struct dh_local *dh;
	struct buf pub;
	unsigned ke_retries;
	struct alg_proposals proposals;	/* what we offered */
	/* a child */
	struct tunnel *t;		/* whose child it rekeys or makes anew */
	unsigned old_serial;		/* the child being replaced; 0: a new child */
	uint32_t old_spi_in;
	struct child_sa child;		/* the new one: its inbound SPI */
	/* the IKE SA: our new SPI */
	uint8_t spi[IKEV2_SPI_LEN];
	bool abandoned;			/* its tunnel went meanwhile: what it makes goes too */
	/* the peer's rekey of the same child or IKE SA, answered while ours ran */
	bool collided;
	unsigned collided_serial;	/* the child or IKE SA it made */
	struct buf collided_nonce;	/* the lower of its two nonces */
};

void ikev2_rekey_free(struct ike_sa *ike)
{
	struct ikev2_rekey *rk = ike->rekey;
	if (rk == NULL)
		return;
	buf_free(&rk->ni);
	buf_free(&rk->pub);
	buf_free(&rk->collided_nonce);
	dh_free(rk->dh);
	free(rk);
	ike->rekey = NULL;
}

/* Nonces compared as RFC 7296 2.8.1 means: as numbers, byte by byte. */
static int nonce_cmp(const struct buf *a, const struct buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->data, b->data, n);
	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static const struct buf *lower_nonce(const struct buf *a, const struct buf *b)
{
	return nonce_cmp(a, b) <= 0 ? a : b;
}

static void arm_ike_timer(struct ike_sa *ike);

/* Whether a tunnel of conn c on ike has, or had, a child. */
static bool conn_ever_up_on(const struct ike_sa *ike, const struct connection *c)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		const struct tunnel *t = &ike->tunnels[k];
		if (t->c == c && (t->ever_up || t->child.installed))
			return true;
	}
	return false;
}

/* Every tunnel of conn c on ike that carries no child leaves it: none of
 * them is asked for over ike any more. */
static void conn_leaves(struct ike_sa *ike, const struct connection *c)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (t->c == c && !t->child.installed) {
			t->left = true;
			t->want_rekey = false;
			t->retry_at = 0;
		}
	}
}

/* Tunnel t's child could not be made anew over the IKE SA. When no other
 * tunnel of the IKE SA is up, the tunnel is lost and a conn kept up
 * starts over whole; otherwise the others go on, and a conn kept up asks
 * for this one again later (ipsec auto --up does at once). */
static void no_new_child(struct ike_sa *ike, struct tunnel *t, const char *why)
{
	if (t->c != ike->c && !conn_ever_up_on(ike, t->c)) {
		/* The peer does not share its IKE SA among conns (strongSwan's
		 * of another connection, say): the conn negotiates its own, once
		 * for all its pairs, none of which is asked for over ike. */
		child_log(ike, t, &t->child, LL_INFO, "the peer would not make the IPsec SA over IKE SA #%u of \"%s\" (%s); negotiating an IKE SA of its own",
			  ike->serial, ike->c->config->name, why);
		unsigned whack = ike->log.whack;	/* it follows the new IKE SA instead */
		ike->log.whack = 0;
		struct connection *c = t->c;
		conn_leaves(ike, c);
		ikev2_send_next(ike);
		if (!c->unloaded)
			ikev2_initiate_alone(c, whack);
		return;
	}
	child_log(ike, t, &t->child, LL_ERROR, "the IPsec SA could not be made anew over the IKE SA: %s", why);
	logger_whack_done(&ike->log, 1);
	if (!ike_sa_any_child(ike)) {
		if (ikev2_tunnel_lost(ike, "the peer deleted the IPsec SA"))
			ikev2_send_delete(ike, 1);
		return;
	}
	if (ikev2_keeps_up(t->c)) {
		t->retry_at = time(NULL) + NEW_CHILD_RETRY_S;
		arm_ike_timer(ike);
		child_log(ike, t, &t->child, LL_INFO, "asking for it again in %d s", NEW_CHILD_RETRY_S);
	}
	ikev2_send_next(ike);
}

/* ---- the children of a tunnel ---- */

static struct child_sa *free_retiring_slot(struct tunnel *t)
{
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
		if (t->retiring[i].serial == 0)
			return &t->retiring[i];
	}
	return NULL;
}

/* The current child moves among the retiring ones; the one that took
 * its place becomes current. we_delete: it is ours to delete. */
static void retire_current(struct ike_sa *ike, struct tunnel *t, const struct child_sa *successor, bool we_delete)
{
	struct child_sa *slot = free_retiring_slot(t);
	if (slot == NULL) {
		/* No room (three rekeys at once): the oldest goes at once. */
		slot = &t->retiring[0];
		child_sa_remove_one(ike, slot);
	}
	*slot = t->child;
	slot->we_delete = we_delete;
	slot->delete_sent = false;
	t->child = *successor;
}

static bool is_retiring(const struct tunnel *t, const struct child_sa *ch)
{
	return ch >= t->retiring && ch < t->retiring + CHILD_RETIRING_MAX;
}

/* The outbound SA the current child held back; on the last try a refusal
 * gives its keys up. 0, or -errno. */
static int install_pending_outbound(struct ike_sa *ike, struct tunnel *t, bool last_try)
{
	struct diag notes;
	diag_init(&notes);
	if (!t->child.out_pending)
		return 0;
	int r = child_sa_install_outbound(ike, t, &t->child, &notes);
	if (r == 0 || last_try)
		child_log_lines(ike, t, &t->child, r == 0 ? LL_WARN : LL_ERROR, &notes);
	if (r != 0 && last_try) {
		child_sa_drop_outbound(&t->child);
		child_log(ike, t, &t->child, LL_ERROR, "the new outbound IPsec SA was refused; the tunnel sends nothing until it is rekeyed again");
	}
	return r;
}

/* The new outbound SA goes in before the old one leaves, so that there is
 * no moment without one; a NIC whose table the old one fills takes it
 * once that is gone. */
void ikev2_retiring_gone(struct ike_sa *ike, struct child_sa *ch, const char *why)
{
	struct tunnel *t = ike_sa_tunnel_of(ike, ch);
	struct logger lg = child_logger(ike, t, ch);
	logger_log(&lg, LL_INFO, "IPsec SA %s", why);
	int r = install_pending_outbound(ike, t, false);
	child_sa_remove_one(ike, ch);
	*ch = (struct child_sa){0};
	if (r != 0)
		install_pending_outbound(ike, t, true);
}

struct child_sa *ikev2_child_by_spi_out(struct ike_sa *ike, uint32_t spi, struct tunnel **t, bool *retiring)
{
	struct child_sa *ch = ike_sa_child_by_spi_out(ike, spi, t);
	*retiring = ch != NULL && is_retiring(*t, ch);
	return ch;
}

/* The current child of t, which the peer deleted, gives way to the
 * retiring child old_serial it was to replace, which the peer still holds. */
static bool reinstate(struct ike_sa *ike, struct tunnel *t, unsigned old_serial, const char *why)
{
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
		struct child_sa *old = &t->retiring[i];
		if (old_serial != 0 && old->serial == old_serial && old->installed && !old->out_pending &&
		    !old->we_delete) {
			child_log(ike, t, &t->child, LL_INFO, "the peer deleted the IPsec SA of its rekey (%s); IPsec SA #%u goes on",
				   why, old->serial);
			child_sa_remove_one(ike, &t->child);
			t->child = *old;
			*old = (struct child_sa){0};
			return true;
		}
	}
	return false;
}

/* The peer deleted the current child of t while its own rekey of that
 * child collided with ours and ours is not answered yet: the child it
 * replaced is current again, and our rekey goes on as if alone. */
bool ikev2_rekey_undo_collision(struct ike_sa *ike, struct tunnel *t)
{
	struct ikev2_rekey *rk = ike->rekey;
	if (rk == NULL || rk->ike || rk->t != t || !rk->collided || t->child.serial != rk->collided_serial ||
	    !reinstate(ike, t, rk->old_serial, "it collided with ours"))
		return false;
	rk->collided = false;
	return true;
}

/* The peer deleted the child our answer to its rekey made, before the
 * child that one replaced: its end could not install it (its NIC's table
 * full, say, with hw_offload_fallback=no). */
bool ikev2_rekey_undo_answer(struct ike_sa *ike, struct tunnel *t)
{
	return reinstate(ike, t, t->child.replaces, "it could not install it");
}

/* ---- our requests, one at a time ---- */

static void inner_delete_children(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)arg;
	uint8_t spis[4 * CHILD_RETIRING_MAX * IKE_TUNNELS_MAX];
	uint16_t n = 0;
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
			struct child_sa *ch = &ike->tunnels[k].retiring[i];
			if (ch->serial != 0 && ch->we_delete && !ch->delete_sent && n < sizeof(spis) / 4) {
				ikev2_put_be32(spis + 4 * n++, ch->spi_in);
				ch->delete_sent = true;
			}
		}
	}
	ikev2_add_delete(b, PROTO_ESP, 4, spis, n);
}

static bool delete_owed(const struct ike_sa *ike)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		const struct tunnel *t = &ike->tunnels[k];
		for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
			if (t->retiring[i].serial != 0 && t->retiring[i].we_delete && !t->retiring[i].delete_sent)
				return true;
		}
	}
	return false;
}

/* A rekey's responder still holds some tunnel's new outbound SA back. */
static bool outbound_pending(const struct ike_sa *ike)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		if (ike->tunnels[k].child.out_pending)
			return true;
	}
	return false;
}

static void send_delete_children(struct ike_sa *ike)
{
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(ike, INFORMATIONAL, false, ike->next_msgid, inner_delete_children, NULL,
					 out, sizeof(out));
	if (n == 0)
		return;
	ike->request_kind = REQ_DELETE_CHILD;
	ikev2_send_request(ike, out, n);
}

void ikev2_delete_children_answered(struct ike_sa *ike)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
			struct child_sa *ch = &ike->tunnels[k].retiring[i];
			if (ch->serial != 0 && ch->delete_sent)
				ikev2_retiring_gone(ike, ch, ch->installed ? "replaced by the rekey is deleted"
								   : "(out of this kernel already) is deleted at the peer");
		}
	}
}

static bool start_child(struct ike_sa *ike, struct tunnel *t);
static bool start_ike_rekey(struct ike_sa *ike);

/* A rekey of a tunnel the NIC holds waits a second while the table has no
 * room for the new pair (offload_balance.h); the IKE SA's timer brings it
 * back, as it does a rekey the peer put off. */
static bool hold_for_offload_room(struct ike_sa *ike, struct tunnel *t)
{
	time_t now = time(NULL);
	if (offload_balance_may_rekey(t, now))
		return false;
	child_log(ike, t, &t->child, LL_DEBUG, "offload: this rekey waits for room in %s's table", t->budget.dev);
	t->retry_at = now + 1;
	arm_ike_timer(ike);
	return true;
}

void ikev2_send_next(struct ike_sa *ike)
{
	if (ike->request.data != NULL || ike->state != IKE_ESTABLISHED || ike->replaced_by != 0 || ike->rekey != NULL)
		return;
	if (delete_owed(ike)) {
		send_delete_children(ike);
		return;
	}
	if (ike->want_ike_rekey) {
		ike->want_ike_rekey = false;
		if (start_ike_rekey(ike))
			return;
	}
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (t->want_rekey) {
			t->want_rekey = false;
			if (t->child.installed && hold_for_offload_room(ike, t))
				continue;
			if (start_child(ike, t))
				return;
		}
	}
}

/* ---- the IKE SA's lifetime ---- */

static void on_ike_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct ike_sa *ike = arg;
	time_t now = time(NULL);
	if (ike->replaced_by != 0) {
		/* The peer never deleted the SA it rekeyed. */
		ike_log(ike, LL_DEBUG, "replaced by IKE SA #%u; dropping it", ike->replaced_by);
		ike_sa_free(ike, 0);
		return;
	}
	if (ike->ike_expire_at != 0 && now >= ike->ike_expire_at) {
		ike_log(ike, LL_INFO, "the IKE SA expired (ikelifetime=%us) without being rekeyed; deleting it",
			ike->c->config->ikelifetime);
		ikev2_tunnel_lost(ike, "its IKE SA expired");
		ike->attempt_over = true;
		ikev2_send_delete(ike, 1);
		return;
	}
	if (ike->ike_rekey_at != 0 && now >= ike->ike_rekey_at) {
		ike->ike_rekey_at = 0;
		ike->want_ike_rekey = true;
	}
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (t->retry_at != 0 && now >= t->retry_at) {
			t->retry_at = 0;
			t->want_rekey = true;
		}
	}
	ikev2_send_next(ike);
	arm_ike_timer(ike);
}

static void arm_at(struct ike_sa *ike, time_t at)
{
	if (ike->rekey_timer == NULL)
		ike->rekey_timer = evtimer_new(pluto.base, on_ike_timer, ike);
	if (ike->rekey_timer == NULL)
		return;
	time_t now = time(NULL);
	struct timeval tv = { .tv_sec = at > now ? at - now : 0 };
	evtimer_add(ike->rekey_timer, &tv);
}

static void earliest(time_t *next, time_t at)
{
	if (at != 0 && (*next == 0 || at < *next))
		*next = at;
}

/* The first of the IKE SA's rekey, its expiry and a child rekey's retry. */
static void arm_ike_timer(struct ike_sa *ike)
{
	time_t next = 0;
	earliest(&next, ike->ike_rekey_at);
	earliest(&next, ike->ike_expire_at);
	for (unsigned k = 0; k < ike->ntunnels; k++)
		earliest(&next, ike->tunnels[k].retry_at);
	if (next != 0)
		arm_at(ike, next);
}

void ikev2_rekey_schedule_ike(struct ike_sa *ike)
{
	const struct conn_config *c = ike->c->config;
	time_t now = time(NULL);
	uint32_t r = 0;
	ike->ike_expire_at = now + c->ikelifetime;
	ike->ike_rekey_at = 0;
	if (c->rekey && ike_random((uint8_t *)&r, sizeof(r)))
		ike->ike_rekey_at = now + lifetime_rekey_after(c->ikelifetime, c->rekeymargin, c->rekeyfuzz,
							       !ike->initiator, r);
	arm_ike_timer(ike);
}

/* The peer refused our rekey. After TEMPORARY_FAILURE it comes again at
 * a random moment soon, so that two ends refused at once do not collide
 * again; the IKE SA's timer carries it (a child's soft expiry does not
 * come twice). Otherwise the SA runs until it expires. */
static void rekey_refused(struct ike_sa *ike, const struct ikev2_notify *n)
{
	struct ikev2_rekey *rk = ike->rekey;
	const char *what = rk->ike ? "the IKE SA" : "the IPsec SA";
	if (n->type == N_TEMPORARY_FAILURE) {
		uint8_t r = 0;
		ike_random(&r, 1);
		*(rk->ike ? &ike->ike_rekey_at : &rk->t->retry_at) = time(NULL) + 1 + r % REKEY_RETRY_MAX_S;
		arm_ike_timer(ike);
		ike_log(ike, LL_INFO, "the peer is busy (TEMPORARY_FAILURE); rekeying %s again shortly", what);
	} else if (!rk->ike && rk->old_serial == 0) {
		struct tunnel *t = rk->t;
		ikev2_rekey_free(ike);
		no_new_child(ike, t, ikev2_notify_name(n->type));
		return;
	} else {
		ike_log(ike, LL_ERROR, "the peer refused to rekey %s: %s; it will expire", what,
			ikev2_notify_name(n->type));
	}
	ikev2_rekey_free(ike);
	ikev2_send_next(ike);
}

/* ---- KE and nonce ---- */

static bool make_ke(struct ikev2_rekey *rk, struct diag *d)
{
	uint8_t pub[IKE_DH_PUB_MAX];
	dh_free(rk->dh);
	rk->dh = NULL;
	buf_free(&rk->pub);
	if (rk->group == DH_NONE)
		return true;
	rk->dh = dh_generate(rk->group, pub, d);
	if (rk->dh == NULL)
		return false;
	buf_set(&rk->pub, pub, dh_public_len(rk->group));
	return rk->pub.data != NULL;
}

/* g^ir (in NSS) from a KE payload of the group agreed; NULL with a reason. */
static PK11SymKey *shared_secret(struct dh_local *dh, enum dh_id group, const struct ikev2_msg *m, struct diag *d)
{
	struct ikev2_ke ke;
	const struct ikev2_payload *kp = ikev2_find(m, PT_KE);
	if (kp == NULL || !ikev2_parse_ke(kp, &ke, d)) {
		if (!diag_failed(d))
			diag_add(d, "no KE payload for the %s key exchange", dh_name(group));
		return NULL;
	}
	if (ke.group != group) {
		diag_add(d, "the KE payload is for group %u, not %s", ke.group, dh_name(group));
		return NULL;
	}
	return dh_derive(dh, ke.data, ke.len, d);
}

static bool nonce_of(const struct ikev2_msg *m, struct buf *out)
{
	const struct ikev2_payload *np = ikev2_find(m, PT_NONCE);
	if (np == NULL)
		return false;
	buf_set(out, np->body, np->len);
	return out->data != NULL;
}

/* The PFS group of a child rekey of t we start: esp='s own, else the IKE SA's. */
static enum dh_id pfs_group(const struct ike_sa *ike, const struct tunnel *t)
{
	return t->c->config->pfs ? ike->ike_alg.dh : DH_NONE;
}

/* ---- rekeying the child: initiator ---- */

static void inner_child_rekey(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	struct ikev2_rekey *rk = arg;
	uint8_t spi[4];
	ikev2_put_be32(spi, rk->old_spi_in);
	if (rk->old_serial != 0)
		ikev2_add_notify(b, PROTO_ESP, spi, 4, N_REKEY_SA, NULL, 0);
	ikev2_add_child_request(ike, rk->t, &rk->child, &rk->proposals, b);
	ikev2_add(b, PT_NONCE, rk->ni.data, rk->ni.len);
	if (rk->group != DH_NONE)
		ikev2_add_ke(b, rk->group, rk->pub.data, rk->pub.len);
}

static bool send_child_rekey(struct ike_sa *ike)
{
	static uint8_t out[IKEV2_MSG_MAX];
	struct ikev2_rekey *rk = ike->rekey;
	size_t n = ikev2_build_encrypted(ike, CREATE_CHILD_SA, false, ike->next_msgid, inner_child_rekey, rk, out,
					 sizeof(out));
	if (n == 0)
		return false;
	ike->request_kind = REQ_REKEY_CHILD;
	ikev2_send_request(ike, out, n);
	return true;
}

/* Rekeys t's current child or, when it has none (the peer deleted it, or
 * it is a tunnel not yet up), makes one anew over this IKE SA. */
static bool start_child(struct ike_sa *ike, struct tunnel *t)
{
	struct child_sa *old = &t->child;
	struct diag d;
	diag_init(&d);
	if (old->out_pending)
		return false;
	struct ikev2_rekey *rk = calloc(1, sizeof(*rk));
	if (rk == NULL)
		return false;
	ike->rekey = rk;
	rk->t = t;
	if (old->installed) {
		rk->old_serial = old->serial;
		rk->old_spi_in = old->spi_in;
	}
	rk->child = (struct child_sa){ .serial = next_serial(), .reqid = old->reqid, .stepped_down = old->stepped_down };
	if (old->installed)
		ikev2_child_keep_selectors(&rk->child, old);
	else
		ikev2_child_pair_selectors(t, &rk->child);
	ikev2_child_proposals(ike, t, pfs_group(ike, t), &rk->proposals);
	rk->group = rk->proposals.n > 0 ? rk->proposals.p[0].dh : DH_NONE;
	if (!ikev2_make_nonce(&rk->ni) || !make_ke(rk, &d) || !send_child_rekey(ike)) {
		child_log(ike, t, &t->child, LL_ERROR, "cannot start rekeying the IPsec SA: %s", diag_oneline(&d, "out of memory"));
		ikev2_rekey_free(ike);
		return false;
	}
	child_log(ike, t, &t->child, LL_INFO, "%s%s%s (CREATE_CHILD_SA)",
		  rk->old_serial != 0 ? "rekeying the IPsec SA" : "making the IPsec SA anew over the IKE SA",
		  rk->group != DH_NONE ? " with PFS " : "", rk->group != DH_NONE ? dh_name(rk->group) : "");
	return true;
}

/* Another try with the group the peer asked for (1.3, INVALID_KE_PAYLOAD). */
static bool retry_child_with_group(struct ike_sa *ike, const struct ikev2_notify *n)
{
	struct ikev2_rekey *rk = ike->rekey;
	struct diag d;
	diag_init(&d);
	if (n->data_len != 2 || rk->ke_retries >= INVALID_KE_RETRIES)
		return false;
	enum dh_id group = (enum dh_id)(n->data[0] << 8 | n->data[1]);
	bool offered = false;
	for (size_t i = 0; i < rk->proposals.n; i++)
		offered |= rk->proposals.p[i].dh == group;
	if (!offered || group == rk->group)
		return false;
	rk->ke_retries++;
	rk->group = group;
	child_log(ike, rk->t, &rk->t->child, LL_INFO, "the peer wants the %s key exchange for the rekey; asking again with it",
		   dh_name(group));
	return make_ke(rk, &d) && send_child_rekey(ike);
}

static void log_rekeyed(struct ike_sa *ike, struct tunnel *t, unsigned old_serial, const char *who)
{
	char summary[512];
	child_log(ike, t, &t->child, LL_INFO, "IPsec SA established %s mode, rekeying #%u (%s) %s",
		   t->child.transport ? "transport" : "tunnel", old_serial, who,
		   child_sa_summary(&t->child, summary, sizeof(summary)));
}

/* The answer's child is redundant (the collision rule): never installed
 * here, it is deleted on the peer's side. */
static void drop_redundant(struct tunnel *t, const struct child_sa *made)
{
	struct child_sa *slot = free_retiring_slot(t);
	if (slot == NULL)
		return;
	*slot = *made;
	slot->installed = false;
	slot->we_delete = true;
	slot->delete_sent = false;
}

void ikev2_rekey_abandon(struct ike_sa *ike, const struct tunnel *t)
{
	if (ike->rekey != NULL && !ike->rekey->ike && ike->rekey->t == t)
		ike->rekey->abandoned = true;
}

void ikev2_delete_tunnel(struct ike_sa *ike, struct tunnel *t)
{
	/* the children the peer is to hear of: out of the kernel, kept
	 * (their SPIs) for the Delete */
	struct child_sa owed[1 + CHILD_RETIRING_MAX];
	size_t n = 0;
	if (t->child.serial != 0)
		owed[n++] = t->child;
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
		if (t->retiring[i].serial != 0 && !t->retiring[i].delete_sent)
			owed[n++] = t->retiring[i];
	}
	uint32_t reqid = t->child.reqid;
	ikev2_rekey_abandon(ike, t);
	child_sa_remove_tunnel(ike, t);
	t->child = (struct child_sa){ .reqid = reqid };
	for (size_t i = 0; i < n; i++) {
		struct child_sa gone = { .serial = owed[i].serial, .reqid = reqid, .spi_in = owed[i].spi_in,
					 .spi_out = owed[i].spi_out };
		drop_redundant(t, &gone);
	}
	explicit_bzero(owed, sizeof(owed));
	ikev2_send_next(ike);
}

/* A child made anew over the IKE SA (either end started it) goes in with
 * the tunnel's policies, as the IKE_AUTH child does; true when it did. */
static bool new_child_made(struct ike_sa *ike, struct tunnel *t, struct child_sa *made,
			   const struct child_nonces *kn, const char *who)
{
	struct diag notes;
	diag_init(&notes);
	int r = child_sa_install(ike, t, made, kn, CHILD_WITH_POLICIES, &notes);
	struct logger lg = child_logger(ike, t, made);
	logger_lines(&lg, r == 0 ? LL_WARN : LL_ERROR, &notes);
	if (r != 0) {
		if (kn->we_started)
			no_new_child(ike, t, "it was not installed");
		return false;
	}
	t->child = *made;
	char summary[512], over[LOGGER_NAME_MAX + LOGGER_INSTANCE_MAX + 32] = "the IKE SA";
	if (t->c != ike->c)	/* a tunnel of another conn: whose IKE SA it rides on */
		snprintf(over, sizeof(over), "IKE SA #%u of \"%s\"%s", ike->serial, ike->c->config->name,
			 ike->c->instance_text);
	child_log(ike, t, &t->child, LL_INFO, "IPsec SA established %s mode %s over %s (%s) %s",
		  made->transport ? "transport" : "tunnel", t->ever_up ? "anew" : "as another child", over, who,
		  child_sa_summary(made, summary, sizeof(summary)));
	t->ever_up = true;
	if (kn->we_started)
		logger_whack_done(&ike->log, 0);	/* an ipsec auto --up that asked for it */
	return true;
}

static void child_rekey_answer(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct ikev2_rekey *rk = ike->rekey;
	struct tunnel *t = rk->t;
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	if (rk->abandoned) {
		/* Its tunnel went meanwhile: the child the peer made goes too. */
		if (ikev2_error_notify(&rx->m, &n) == NULL)
			drop_redundant(t, &rk->child);
		ikev2_rekey_free(ike);
		ikev2_send_next(ike);
		return;
	}
	if (ikev2_error_notify(&rx->m, &n) != NULL) {
		if (n.type != N_INVALID_KE_PAYLOAD || !retry_child_with_group(ike, &n))
			rekey_refused(ike, &n);
		return;
	}
	struct child_sa made = rk->child;
	struct buf nr = {0};
	PK11SymKey *g_ir = NULL;
	bool ok = ikev2_read_child_answer(ike, t, &made, &rk->proposals, &rx->m) && nonce_of(&rx->m, &nr);
	if (ok && made.alg.dh != DH_NONE && (made.alg.dh != rk->group ||
					     (g_ir = shared_secret(rk->dh, rk->group, &rx->m, &d)) == NULL)) {
		child_log(ike, t, &t->child, LL_ERROR, "the rekey's key exchange failed: %s", diag_oneline(&d, "another group"));
		ok = false;
	}
	if (!ok && rk->old_serial == 0) {
		ike_key_free(g_ir);
		buf_free(&nr);
		ikev2_rekey_free(ike);
		no_new_child(ike, t, "its answer was not acceptable");
		return;
	}
	if (!ok) {
		/* ikev2_read_child_answer said why. The old child lives on. */
		drop_redundant(t, &made);
		ike_key_free(g_ir);
		buf_free(&nr);
		ikev2_rekey_free(ike);
		ikev2_send_next(ike);
		return;
	}
	made.serial = rk->child.serial;
	made.reqid = rk->child.reqid;
	if (rk->old_serial == 0) {
		struct child_nonces kn = { .ni = &rk->ni, .nr = &nr, .g_ir = g_ir,
					   .we_started = true };
		new_child_made(ike, t, &made, &kn, "we started it");
		ike_key_free(g_ir);
		buf_free(&nr);
		ikev2_rekey_free(ike);
		ikev2_send_next(ike);
		return;
	}
	/* 2.8.1: the exchange with the lowest nonce made the redundant child. */
	bool ours_redundant = rk->collided &&
			      nonce_cmp(lower_nonce(&rk->ni, &nr), &rk->collided_nonce) < 0;
	if (ours_redundant) {
		child_log(ike, t, &t->child, LL_INFO, "our rekey collided with the peer's and had the lower nonce: deleting IPsec SA #%u it made",
			   made.serial);
		drop_redundant(t, &made);
	} else {
		struct child_nonces kn = { .ni = &rk->ni, .nr = &nr, .g_ir = g_ir,
					   .we_started = true };
		struct diag notes;
		diag_init(&notes);
		int r = child_sa_install(ike, t, &made, &kn, 0, &notes);
		struct logger lg = child_logger(ike, t, &made);
		logger_lines(&lg, r == 0 ? LL_WARN : LL_ERROR, &notes);
		if (r != 0) {
			logger_log(&lg, LL_ERROR, "the rekeyed IPsec SA was not installed; the old one runs until it expires");
			drop_redundant(t, &made);
		} else {
			unsigned old_serial = rk->old_serial;
			if (rk->collided) {
				/* The peer's child of the collision is its to delete;
				 * the old one is ours. */
				for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
					if (t->retiring[i].serial == rk->old_serial)
						t->retiring[i].we_delete = true;
				}
				retire_current(ike, t, &made, false);
			} else {
				retire_current(ike, t, &made, true);
			}
			log_rekeyed(ike, t, old_serial, "we started it");
		}
	}
	ike_key_free(g_ir);
	buf_free(&nr);
	ikev2_rekey_free(ike);
	ikev2_send_next(ike);
}

/* ---- rekeying the child: responder ---- */

struct child_answer {
	const struct child_sa *ch;
	const struct ikev2_sa_payload *chosen;
	const struct buf *nr;
	enum dh_id group;
	const uint8_t *pub;
};

static void inner_child_answer(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	const struct child_answer *a = arg;
	ikev2_add_child_answer(ike, a->ch, b, a->chosen);
	ikev2_add(b, PT_NONCE, a->nr->data, a->nr->len);
	if (a->group != DH_NONE)
		ikev2_add_ke(b, a->group, a->pub, dh_public_len(a->group));
}

/* The answer to the peer's CREATE_CHILD_SA: the current child, which it made. */
static void answer_with_child(struct ike_sa *ike, const struct tunnel *t, const struct ikev2_rx *rx,
			      const struct ikev2_sa_payload *chosen, const struct buf *nr, enum dh_id group,
			      const uint8_t *pub)
{
	struct child_answer a = { &t->child, chosen, nr, group, pub };
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(ike, CREATE_CHILD_SA, true, rx->m.hdr.msgid, inner_child_answer, &a, out,
					 sizeof(out));
	if (n > 0)
		ikev2_send_response(ike, rx, out, n);
}

/* Ours with PFS as the peer may ask: the esp= groups, the IKE SA's for a
 * proposal without one, and, however pfs= is set, without a group too. */
static const struct alg_proposals *acceptable_for_rekey(const struct ike_sa *ike, const struct tunnel *t,
						       struct alg_proposals *out)
{
	static struct alg_proposals without;
	ikev2_child_proposals(ike, t, ike->ike_alg.dh, out);
	ikev2_child_proposals(ike, t, DH_NONE, &without);
	for (size_t i = 0; i < without.n && out->n < ALG_PROPOSALS_MAX; i++)
		out->p[out->n++] = without.p[i];
	return out;
}

/* Our side of the peer's rekey of t's child old, or (old NULL) of its
 * new child for t over this IKE SA: 0 when answered (the new child, or
 * INVALID_KE_PAYLOAD), else the error notify to answer with. */
static uint16_t answer_child(struct ike_sa *ike, struct ikev2_rx *rx, struct tunnel *t, struct child_sa *old)
{
	static struct alg_proposals esp;
	static struct ikev2_sa_payload chosen;
	struct child_sa made = { .serial = next_serial(), .reqid = t->child.reqid, .stepped_down = t->child.stepped_down,
				 .replaces = old != NULL ? old->serial : 0 };
	if (old != NULL)
		ikev2_child_keep_selectors(&made, old);
	else
		ikev2_child_pair_selectors(t, &made);
	struct buf ni = {0}, nr = {0};
	struct dh_local *dh = NULL;
	uint8_t pub[IKE_DH_PUB_MAX];
	PK11SymKey *g_ir = NULL;
	struct diag d;
	diag_init(&d);
	uint16_t err = ikev2_choose_child(ike, t, &made, acceptable_for_rekey(ike, t, &esp), &rx->m, &chosen);
	if (err != 0)
		return err;
	enum dh_id group = made.alg.dh;
	struct ikev2_ke ke = {0};
	const struct ikev2_payload *kp = ikev2_find(&rx->m, PT_KE);
	if (group != DH_NONE && (kp == NULL || !ikev2_parse_ke(kp, &ke, &d) || ke.group != group)) {
		uint8_t want[2] = { (uint8_t)(group >> 8), (uint8_t)group };
		child_log(ike, t, &t->child, LL_INFO, "the peer's rekey has no KE for the %s key exchange chosen; asking for it",
			   dh_name(group));
		ikev2_respond_notify(ike, rx, N_INVALID_KE_PAYLOAD, want, sizeof(want));
		return 0;
	}
	if (!nonce_of(&rx->m, &ni) || !ikev2_make_nonce(&nr) ||
	    (group != DH_NONE && ((dh = dh_generate(group, pub, &d)) == NULL ||
				  (g_ir = dh_derive(dh, ke.data, ke.len, &d)) == NULL))) {
		child_log(ike, t, &t->child, LL_ERROR, "cannot answer the peer's rekey: %s", diag_oneline(&d, "no nonce"));
		err = N_NO_PROPOSAL_CHOSEN;
		goto out;
	}
	struct child_nonces kn = { .ni = &ni, .nr = &nr, .g_ir = g_ir,
				   .we_started = false };
	if (old == NULL) {
		if (!new_child_made(ike, t, &made, &kn, "the peer started it")) {
			err = N_NO_PROPOSAL_CHOSEN;
			goto out;
		}
		answer_with_child(ike, t, rx, &chosen, &nr, group, pub);
		goto out;
	}
	struct diag notes;
	diag_init(&notes);
	int r = child_sa_install(ike, t, &made, &kn, CHILD_OUTBOUND_LATER, &notes);
	struct logger lg = child_logger(ike, t, &made);
	logger_lines(&lg, r == 0 ? LL_WARN : LL_ERROR, &notes);
	if (r != 0) {
		logger_log(&lg, LL_ERROR, "the rekeyed IPsec SA was not installed; answering NO_PROPOSAL_CHOSEN");
		err = N_NO_PROPOSAL_CHOSEN;
		goto out;
	}
	struct ikev2_rekey *rk = ike->rekey;
	if (rk != NULL && !rk->ike && rk->t == t && rk->old_serial == old->serial) {
		/* Our own rekey of it is under way: a collision (2.8.1). */
		rk->collided = true;
		rk->collided_serial = made.serial;
		buf_set(&rk->collided_nonce, lower_nonce(&ni, &nr)->data, lower_nonce(&ni, &nr)->len);
	}
	unsigned old_serial = old->serial;
	retire_current(ike, t, &made, false);
	answer_with_child(ike, t, rx, &chosen, &nr, group, pub);
	log_rekeyed(ike, t, old_serial, "the peer started it");
out:
	ike_key_free(g_ir);
	dh_free(dh);
	buf_free(&ni);
	buf_free(&nr);
	return err;
}

static void child_rekey_request(struct ike_sa *ike, struct ikev2_rx *rx, const struct ikev2_notify *rekey_sa)
{
	bool retiring = false;
	struct tunnel *t = NULL;
	struct child_sa *old = rekey_sa->spi_len == 4 ?
		ikev2_child_by_spi_out(ike, ikev2_get_be32(rekey_sa->spi), &t, &retiring) : NULL;
	if (old == NULL || !old->installed) {
		ike_log(ike, LL_INFO, "the peer asks to rekey an IPsec SA we do not have; answering CHILD_SA_NOT_FOUND");
		ikev2_respond_notify(ike, rx, N_CHILD_SA_NOT_FOUND, NULL, 0);
		return;
	}
	if (retiring || (ike->rekey != NULL && ike->rekey->ike) || free_retiring_slot(t) == NULL) {
		ike_log(ike, LL_INFO, "the peer asks to rekey IPsec SA #%u while %s; answering TEMPORARY_FAILURE",
			old->serial, retiring ? "it is being replaced" : "we rekey");
		ikev2_respond_notify(ike, rx, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	uint16_t err = answer_child(ike, rx, t, old);
	if (err != 0)
		ikev2_respond_notify(ike, rx, err, NULL, 0);
}

/* Whether tunnel t can take a new child now: it has none, and neither a
 * rekey (of it or of the IKE SA) nor a Delete of its old ones is under way. */
static bool tunnel_free(const struct ike_sa *ike, const struct tunnel *t)
{
	bool busy = t->child.installed || (ike->rekey != NULL && (ike->rekey->ike || ike->rekey->t == t));
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
		busy |= t->retiring[i].serial != 0;
	return !busy;
}

/* Whether t is of a conn deleted or replaced since it joined ike, and
 * holds nothing: no child, none retiring, no exchange for one. Such a
 * tunnel is never asked for again (new_child_request passes it by). */
static bool tunnel_of_gone_conn(const struct ike_sa *ike, const struct tunnel *t)
{
	bool busy = t->child.installed || (ike->rekey != NULL && ike->rekey->t == t);
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
		busy |= t->retiring[i].serial != 0;
	return t->c != ike->c && t->c->unloaded && !busy;
}

/* Tunnel pair of conn c on ike: the one it has (that left, maybe), else
 * the place of one of a gone conn, else a new one, which joins it; NULL
 * when ike has no room for it. */
static struct tunnel *join_tunnel(struct ike_sa *ike, struct connection *c, const struct ends *ends, unsigned pair)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (t->c == c && t->pair == pair) {
			t->left = false;
			return t;
		}
	}
	/* A conn replaced again and again would otherwise fill the IKE SA
	 * with the dead tunnels of its old selves. */
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (tunnel_of_gone_conn(ike, t)) {
			conn_unref(t->c);
			*t = (struct tunnel){ .c = conn_ref(c), .ends = *ends, .pair = pair };
			t->child.reqid = ikev2_free_reqid(ike->serial + k);
			return t;
		}
	}
	/* The array moves: our rekey's tunnel is found again by its place. */
	struct ikev2_rekey *rk = ike->rekey;
	size_t at = rk != NULL && rk->t != NULL ? (size_t)(rk->t - ike->tunnels) : 0;
	struct tunnel *t = ike_sa_add_tunnel(ike, c, ends, pair);
	if (rk != NULL && rk->t != NULL)
		rk->t = &ike->tunnels[at];
	if (t == NULL)
		return NULL;
	t->child.reqid = ikev2_free_reqid(ike->serial + ike->ntunnels);
	return t;
}

bool ikev2_join_ike_sa(struct ike_sa *ike, struct connection *c, unsigned whack)
{
	unsigned n = ends_npairs(&c->ends);
	struct ends ends = c->ends;
	snprintf(ends.remote_id, sizeof(ends.remote_id), "%s", ike->ends.remote_id);	/* as authenticated */
	for (unsigned k = 0; k < n; k++) {
		struct tunnel *t = join_tunnel(ike, c, &ends, k);
		if (t == NULL) {
			conn_leaves(ike, c);	/* the pairs that found room wait for nothing */
			return false;
		}
		t->want_rekey = !t->child.installed && !ikev2_rekeying_tunnel(ike, t);
		t->retry_at = 0;
	}
	struct logger lg = c->log;
	lg.whack = whack;
	logger_log(&lg, LL_INFO, "bringing the tunnel up over IKE SA #%u of \"%s\"%s, which joins the same hosts and IDs (CREATE_CHILD_SA)",
		   ike->serial, ike->c->config->name, ike->c->instance_text);
	ike->log.whack = whack;
	ikev2_send_next(ike);
	return true;
}

/* The peer asks over ike for a child of another conn c (pair, with
 * ends): its tunnel joins ike for it; NULL when ike has no room. */
static struct tunnel *peer_joins_tunnel(struct ike_sa *ike, struct connection *c, const struct ends *ends,
					unsigned pair)
{
	struct tunnel *t = join_tunnel(ike, c, ends, pair);
	if (t == NULL) {
		ike_log(ike, LL_WARN, "the peer asks for a child SA of conn \"%s\"%s, but this IKE SA carries as many tunnels as it may (%d); answering NO_ADDITIONAL_SAS",
			c->config->name, c->instance_text, IKE_TUNNELS_MAX);
		return NULL;
	}
	ike_log(ike, LL_INFO, "the peer's traffic selectors are those of conn \"%s\"%s: its tunnel joins this IKE SA",
		c->config->name, c->instance_text);
	return t;
}

/* A CREATE_CHILD_SA for a new child: the one of a tunnel whose pair of
 * subnets the peer's traffic selectors fit, when that tunnel has none (it
 * was never up, or the peer deleted it). A request that fits none of the
 * IKE SA's tunnels may be for another conn between the same hosts and
 * IDs (strongSwan and libreswan bring up such conns over one IKE SA): a
 * tunnel of that conn joins the IKE SA for it. */
static void new_child_request(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct tunnel *t = NULL, *fits = NULL;
	for (unsigned k = 0; k < ike->ntunnels && t == NULL; k++) {
		struct tunnel *c = &ike->tunnels[k];
		bool conn_gone = c->c != ike->c && c->c->unloaded;	/* deleted or replaced since it joined */
		if (conn_gone || !ikev2_ts_fit_pair(&rx->m, &c->ends, c->c->config->narrowing, c->pair))
			continue;
		fits = c;
		if (tunnel_free(ike, c))
			t = c;
	}
	struct ends ends;
	unsigned pair = 0;
	struct connection *other = fits == NULL ? ikev2_other_conn_for_child(ike, &rx->m, &ends, &pair) : NULL;
	if (other != NULL) {
		t = fits = peer_joins_tunnel(ike, other, &ends, pair);
		if (t == NULL) {
			ikev2_respond_notify(ike, rx, N_NO_ADDITIONAL_SAS, NULL, 0);
			return;
		}
	}
	if (fits == NULL && ends_npairs(&ike->ends) == 1 && tunnel_free(ike, &ike->tunnels[0])) {
		/* the conn's one pair: answer_child says how the selectors miss it */
		t = fits = &ike->tunnels[0];
	}
	if (fits == NULL) {
		ike_log(ike, LL_ERROR, "the peer asks for a child SA whose traffic selectors fit none of this conn's subnets, nor those of another conn with these IDs; answering TS_UNACCEPTABLE");
		ikev2_respond_notify(ike, rx, N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	if (t == NULL && fits->child.installed) {
		child_log(ike, fits, &fits->child, LL_WARN, "the peer asks for another child SA for traffic that one already carries; answering NO_ADDITIONAL_SAS");
		ikev2_respond_notify(ike, rx, N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	if (t == NULL) {
		/* RFC 7296 2.25: a rekey (or Delete) of ours is under way */
		ike_log(ike, LL_INFO, "the peer asks for a child SA while we rekey; answering TEMPORARY_FAILURE");
		ikev2_respond_notify(ike, rx, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	t->left = false;	/* a tunnel that left: the peer asks for it again */
	uint16_t err = answer_child(ike, rx, t, NULL);
	if (err != 0 && other != NULL)
		t->left = true;	/* joined for nothing: it carries no child of its conn */
	if (err != 0)
		ikev2_respond_notify(ike, rx, err, NULL, 0);
}

/* ---- rekeying the IKE SA ---- */

static void inner_ike_rekey(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike;
	struct ikev2_rekey *rk = arg;
	static struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(&rk->proposals, PROTO_IKE, rk->spi, IKEV2_SPI_LEN, 0, &sa);
	ikev2_add_sa(b, &sa);
	ikev2_add(b, PT_NONCE, rk->ni.data, rk->ni.len);
	ikev2_add_ke(b, rk->group, rk->pub.data, rk->pub.len);
}

static bool send_ike_rekey(struct ike_sa *ike)
{
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(ike, CREATE_CHILD_SA, false, ike->next_msgid, inner_ike_rekey, ike->rekey,
					 out, sizeof(out));
	if (n == 0)
		return false;
	ike->request_kind = REQ_REKEY_IKE;
	ikev2_send_request(ike, out, n);
	return true;
}

/* Our proposals for the new IKE SA, the one in use first, so the peer
 * keeps it when it can. */
static void ike_rekey_proposals(const struct ike_sa *ike, struct alg_proposals *out)
{
	const struct alg_proposals *cfg = ike->c->config->ike_proposals;
	out->n = 0;
	out->p[out->n++] = ike->ike_alg;
	for (size_t i = 0; i < cfg->n && out->n < ALG_PROPOSALS_MAX; i++) {
		if (memcmp(&cfg->p[i], &ike->ike_alg, sizeof(ike->ike_alg)) != 0)
			out->p[out->n++] = cfg->p[i];
	}
}

static bool start_ike_rekey(struct ike_sa *ike)
{
	struct diag d;
	diag_init(&d);
	struct ikev2_rekey *rk = calloc(1, sizeof(*rk));
	if (rk == NULL)
		return false;
	ike->rekey = rk;
	rk->ike = true;
	ikev2_random_spi(rk->spi);
	ike_rekey_proposals(ike, &rk->proposals);
	rk->group = ike->ike_alg.dh;
	if (!ikev2_make_nonce(&rk->ni) || !make_ke(rk, &d) || !send_ike_rekey(ike)) {
		ike_log(ike, LL_ERROR, "cannot start rekeying the IKE SA: %s", diag_oneline(&d, "out of memory"));
		ikev2_rekey_free(ike);
		return false;
	}
	ike_log(ike, LL_INFO, "rekeying the IKE SA (CREATE_CHILD_SA)");
	return true;
}

/* The tunnel moves from one IKE SA to another: its children and what is
 * owed for them (Deletes, a rekey due or put off). from is replaced: the
 * peer's Delete of it ends nothing, and if none comes it goes soon. */
static void hand_over(struct ike_sa *from, struct ike_sa *to)
{
	/* A child rekey still under way on from (it met two IKE SA rekeys)
	 * would change to's tunnels from another IKE SA: it is dropped. */
	if (from->rekey != NULL && !from->rekey->ike)
		ikev2_rekey_free(from);
	/* to's tunnels (as many, none up) are from's from now on */
	struct tunnel *tunnels = to->tunnels;
	unsigned n = to->ntunnels;
	to->tunnels = from->tunnels;
	to->ntunnels = from->ntunnels;
	from->tunnels = tunnels;
	from->ntunnels = n;
	for (unsigned k = 0; k < from->ntunnels && k < to->ntunnels; k++)
		from->tunnels[k].child.serial = to->tunnels[k].child.serial;	/* as established_before reads it */
	from->replaced_by = to->serial;
	from->attempt_over = true;
	if (from->liveness != NULL)
		evtimer_del(from->liveness);
	arm_at(from, time(NULL) + 2 * from->c->config->retransmit_timeout);
}

/* The IKE SA that replaces old: keys from old's SK_d, the children and
 * the peer's authenticated identity taken over. */
static struct ike_sa *successor(struct ike_sa *old, bool we_started, const uint8_t spi_i[8], const uint8_t spi_r[8],
				const struct alg_proposal *alg, const struct buf *ni, const struct buf *nr,
				PK11SymKey *g_ir)
{
	struct ike_sa *ike = ike_sa_new(old->c, we_started, 0);
	if (ike == NULL)
		return NULL;
	ike->ends = old->ends;
	if (!ike_sa_make_tunnels(ike)) {
		ike_log(old, LL_ERROR, "out of memory rekeying the IKE SA");
		ike_sa_free(ike, 0);
		return NULL;
	}
	ike->local_port = old->local_port;
	ike->remote_port = old->remote_port;
	ike->natt = old->natt;
	ike->natt.keepalive = NULL;	/* the old one's, freed with it */
	ike->packet_policy_refused = old->packet_policy_refused;
	ike->offload_stepped_down = old->offload_stepped_down;
	ikev2_frag_inherit(ike, old);
	memcpy(ike->peer_auth, old->peer_auth, sizeof(ike->peer_auth));	/* the peer authenticated once, then */
	ike->ike_alg = *alg;
	ike->dh_group = alg->dh;
	memcpy(ike->spi_i, spi_i, IKEV2_SPI_LEN);
	memcpy(ike->spi_r, spi_r, IKEV2_SPI_LEN);
	buf_set(&ike->ni, ni->data, ni->len);
	buf_set(&ike->nr, nr->data, nr->len);
	ike->keys = secmem_alloc(sizeof(*ike->keys));
	if (ike->keys == NULL || ike->ni.data == NULL || ike->nr.data == NULL ||
	    !ike_derive_rekeyed_keys(old->keys, alg, ni->data, ni->len, nr->data, nr->len, g_ir,
				     spi_i, spi_r, ike->keys)) {
		ike_log(old, LL_ERROR, "cannot derive the keys of the rekeyed IKE SA");
		ike_sa_free(ike, 0);
		return NULL;
	}
	ike_keys_auth_done(ike->keys);	/* no AUTH in a rekey */
	ike_sa_index(ike);
	ike->peer_authenticated = true;
	ike->attempt_over = true;
	ike_sa_set_state(ike, IKE_ESTABLISHED);
	hand_over(old, ike);
	char alg_name[ALG_NAME_MAX];
	ike_log(ike, LL_INFO, "established IKE SA, rekeying #%u (%s) %s", old->serial,
		we_started ? "we started it" : "the peer started it", alg_ike_name(alg, alg_name));
	ikev2_liveness_start(ike);
	ikev2_rekey_schedule_ike(ike);
	natt_keepalive_start(ike);
	natt_keepalive_stop(old);
	return ike;
}

static void ike_rekey_answer(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct ikev2_rekey *rk = ike->rekey;
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	if (ikev2_error_notify(&rx->m, &n) != NULL) {
		rekey_refused(ike, &n);
		return;
	}
	static struct ikev2_sa_payload sa;
	struct alg_proposal alg;
	bool esn;
	uint8_t spi_r[IKEV2_SPI_LEN], spi_len = 0;
	PK11SymKey *g_ir = NULL;
	struct buf nr = {0};
	struct ike_sa *next = NULL;
	if (!ikev2_parse_sa(ikev2_find(&rx->m, PT_SA), &sa, &d) ||
	    !ikev2_sa_accepted(&sa, &rk->proposals, PROTO_IKE, 0, &alg, &esn, spi_r, &spi_len, &d) ||
	    spi_len != IKEV2_SPI_LEN || alg.dh != rk->group || !nonce_of(&rx->m, &nr) ||
	    (g_ir = shared_secret(rk->dh, rk->group, &rx->m, &d)) == NULL) {
		ike_log(ike, LL_ERROR, "the answer to our IKE SA rekey is not acceptable: %s; the IKE SA will expire",
			diag_oneline(&d, "no SPI, nonce or another group"));
	} else {
		next = successor(ike, true, rk->spi, spi_r, &alg, &rk->ni, &nr, g_ir);
	}
	/* 2.8.2: with the peer's rekey of this IKE SA answered meanwhile,
	 * the new IKE SA of the exchange with the lowest nonce is deleted by
	 * the end that started it, and the other end deletes the old one. */
	struct ike_sa *theirs = rk->collided && next != NULL ? ike_sa_by_serial(rk->collided_serial) : NULL;
	bool ours_redundant = theirs != NULL && nonce_cmp(lower_nonce(&rk->ni, &nr), &rk->collided_nonce) < 0;
	ike_key_free(g_ir);
	buf_free(&nr);
	ikev2_rekey_free(ike);
	if (next == NULL) {
		ikev2_send_next(ike);
		return;
	}
	if (ours_redundant) {
		ike_log(next, LL_INFO, "our IKE SA rekey collided with the peer's and had the lower nonce: deleting this IKE SA, #%u goes on",
			theirs->serial);
		ike->replaced_by = theirs->serial;	/* the peer deletes the old one */
		next->attempt_over = true;
		ikev2_send_delete(next, 0);
		return;
	}
	if (theirs != NULL) {
		ike_log(theirs, LL_INFO, "the peer's IKE SA rekey collided with ours and had the lower nonce: IKE SA #%u takes the tunnel",
			next->serial);
		hand_over(theirs, next);
	}
	ikev2_send_delete(ike, 0);
	ikev2_send_next(next);
}

struct ike_answer {
	const struct ikev2_sa_payload *chosen;
	const struct buf *nr;
	enum dh_id group;
	const uint8_t *pub;
};

static void inner_ike_answer(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike;
	const struct ike_answer *a = arg;
	ikev2_add_sa(b, a->chosen);
	ikev2_add(b, PT_NONCE, a->nr->data, a->nr->len);
	ikev2_add_ke(b, a->group, a->pub, dh_public_len(a->group));
}

static void ike_rekey_request(struct ike_sa *ike, struct ikev2_rx *rx, const struct ikev2_sa_payload *offered)
{
	static struct ikev2_sa_payload chosen;
	struct alg_proposal alg;
	bool esn;
	struct diag d;
	diag_init(&d);
	/* Our own rekey of it under way is a collision, answered as usual
	 * (2.25.2); anything else of ours under way puts the peer off. */
	struct ikev2_rekey *ours = ike->rekey;
	bool collision = ours != NULL && ours->ike && !ours->collided && ike->request_kind == REQ_REKEY_IKE &&
			 !delete_owed(ike) && !outbound_pending(ike);
	if (!collision && (ike->rekey != NULL || ike->request.data != NULL || delete_owed(ike) || outbound_pending(ike))) {
		ike_log(ike, LL_INFO, "the peer asks to rekey the IKE SA while we are busy with it; answering TEMPORARY_FAILURE");
		ikev2_respond_notify(ike, rx, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (!ikev2_sa_choose(offered, ike->c->config->ike_proposals, PROTO_IKE, 0, &chosen, &alg, &esn) ||
	    chosen.prop[0].spi_len != IKEV2_SPI_LEN) {
		ike_log(ike, LL_ERROR, "none of the peer's proposals to rekey the IKE SA is acceptable; answering NO_PROPOSAL_CHOSEN");
		ikev2_respond_notify(ike, rx, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	struct ikev2_ke ke = {0};
	const struct ikev2_payload *kp = ikev2_find(&rx->m, PT_KE);
	if (kp == NULL || !ikev2_parse_ke(kp, &ke, &d) || ke.group != alg.dh) {
		uint8_t want[2] = { (uint8_t)(alg.dh >> 8), (uint8_t)alg.dh };
		ike_log(ike, LL_INFO, "the peer's IKE SA rekey has no KE for %s; asking for it", dh_name(alg.dh));
		ikev2_respond_notify(ike, rx, N_INVALID_KE_PAYLOAD, want, sizeof(want));
		return;
	}
	uint8_t spi_i[IKEV2_SPI_LEN], spi_r[IKEV2_SPI_LEN], pub[IKE_DH_PUB_MAX];
	PK11SymKey *g_ir = NULL;
	memcpy(spi_i, chosen.prop[0].spi, IKEV2_SPI_LEN);
	ikev2_random_spi(spi_r);
	struct buf ni = {0}, nr = {0};
	struct dh_local *dh = NULL;
	struct ike_sa *next = NULL;
	if (!nonce_of(&rx->m, &ni) || !ikev2_make_nonce(&nr) || (dh = dh_generate(alg.dh, pub, &d)) == NULL ||
	    (g_ir = dh_derive(dh, ke.data, ke.len, &d)) == NULL ||
	    (next = successor(ike, false, spi_i, spi_r, &alg, &ni, &nr, g_ir)) == NULL) {
		ike_log(ike, LL_ERROR, "cannot rekey the IKE SA: %s; answering NO_PROPOSAL_CHOSEN",
			diag_oneline(&d, "out of memory"));
		ikev2_respond_notify(ike, rx, N_NO_PROPOSAL_CHOSEN, NULL, 0);
	} else {
		memcpy(chosen.prop[0].spi, spi_r, IKEV2_SPI_LEN);
		struct ike_answer a = { &chosen, &nr, alg.dh, pub };
		static uint8_t out[IKEV2_MSG_MAX];
		size_t n = ikev2_build_encrypted(ike, CREATE_CHILD_SA, true, rx->m.hdr.msgid, inner_ike_answer, &a, out,
						 sizeof(out));
		if (n > 0)
			ikev2_send_response(ike, rx, out, n);
		if (collision) {
			ours->collided = true;
			ours->collided_serial = next->serial;
			buf_set(&ours->collided_nonce, lower_nonce(&ni, &nr)->data, lower_nonce(&ni, &nr)->len);
		}
	}
	ike_key_free(g_ir);
	dh_free(dh);
	buf_free(&ni);
	buf_free(&nr);
}

/* ---- the exchange ---- */

void ikev2_create_child_request(struct ike_sa *ike, struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = &rx->m;
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_notify n;
		if (m->p[i].type == PT_NOTIFY && ikev2_parse_notify(&m->p[i], &n, &d) && n.type == N_REKEY_SA &&
		    n.protocol == PROTO_ESP) {
			child_rekey_request(ike, rx, &n);
			return;
		}
	}
	static struct ikev2_sa_payload offered;
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA);
	if (sap != NULL && ikev2_parse_sa(sap, &offered, &d) && offered.n > 0 && offered.prop[0].protocol == PROTO_IKE) {
		ike_rekey_request(ike, rx, &offered);
		return;
	}
	new_child_request(ike, rx);
}

void ikev2_create_child_response(struct ike_sa *ike, struct ikev2_rx *rx)
{
	enum ike_request kind = ike->request_kind;
	ike->request_kind = REQ_NONE;
	if (ike->rekey == NULL) {
		ike_log(ike, LL_WARN, "dropped a CREATE_CHILD_SA response to no rekey of ours");
		return;
	}
	if (kind == REQ_REKEY_IKE)
		ike_rekey_answer(ike, rx);
	else
		child_rekey_answer(ike, rx);
}

/* ---- what starts it ---- */

bool ikev2_rekey_now(struct ike_sa *ike, bool ike_sa)
{
	if (ike->state != IKE_ESTABLISHED || ike->replaced_by != 0 || (!ike_sa && !ike_sa_any_child(ike)))
		return false;
	if (ike_sa)
		ike->want_ike_rekey = true;
	for (unsigned k = 0; !ike_sa && k < ike->ntunnels; k++)
		ike->tunnels[k].want_rekey |= ike->tunnels[k].child.installed;
	ikev2_send_next(ike);
	return true;
}

bool ikev2_rekey_conn_now(struct ike_sa *ike, const char *name)
{
	bool any = false;
	for (unsigned k = 0; ike->state == IKE_ESTABLISHED && ike->replaced_by == 0 && k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		if (t->child.installed && tunnel_of_conn(t, name, t->c->instance)) {
			t->want_rekey = true;
			any = true;
		}
	}
	if (any)
		ikev2_send_next(ike);
	return any;
}

void ikev2_rekey_tunnel(struct ike_sa *ike, struct tunnel *t)
{
	t->want_rekey = true;
	ikev2_send_next(ike);
}

bool ikev2_rekeying_tunnel(const struct ike_sa *ike, const struct tunnel *t)
{
	return ike->rekey != NULL && !ike->rekey->ike && ike->rekey->t == t;
}

const char *ikev2_rekey_under_way(const struct ike_sa *ike)
{
	if (ike->rekey == NULL)
		return NULL;
	return ike->rekey->ike ? "the IKE SA" : "the IPsec SA";
}
