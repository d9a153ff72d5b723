/* ikev2_informational.c: INFORMATIONAL (RFC 7296 1.4): the peer's
 * Deletes (and its empty liveness checks) answered; the answers to ours
 * taken; our Delete of the whole IKE SA. */
#include <string.h>
#include "child_sa.h"
#include "ikev2_exchange.h"

/* The ESP SPIs our answer names: ours of each child the peer deleted
 * (each child at most once: a deleted one is found no more). */
struct info_arg {
	uint8_t spis[4 * (1 + CHILD_RETIRING_MAX) * IKE_TUNNELS_MAX];
	uint16_t n;
};

static void inner_info_response(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike;
	struct info_arg *a = arg;
	if (a->n > 0)
		ikev2_add_delete(b, PROTO_ESP, 4, a->spis, a->n);
}

/* The peer deleted the child with our outbound SPI spi. A child a rekey
 * replaced just goes; the current one takes the tunnel with it, unless
 * it was the leftover of a rekey collision, or the child of a rekey the
 * peer could not install (the one it replaced goes on). True when the
 * tunnel went. */
static bool peer_deleted_child(struct ike_sa *ike, uint32_t spi, struct info_arg *a)
{
	bool retiring;
	struct tunnel *t;
	struct child_sa *ch = ikev2_child_by_spi_out(ike, spi, &t, &retiring);
	if (ch == NULL || (!ch->installed && !retiring))
		return false;
	if (a->n < sizeof(a->spis) / 4)
		ikev2_put_be32(a->spis + 4 * a->n++, ch->spi_in);
	if (retiring) {
		ikev2_retiring_gone(ike, ch, "replaced by the rekey is deleted by the peer");
		return false;
	}
	if (ikev2_rekey_undo_collision(ike, t) || ikev2_rekey_undo_answer(ike, t))
		return false;
	child_log(ike, t, ch, LL_INFO, "the peer deleted the IPsec SA");
	ikev2_rekey_abandon(ike, t);
	child_sa_remove_tunnel(ike, t);
	/* kept up: its child is made anew over the IKE SA */
	t->want_rekey = ikev2_keeps_up(t->c);
	return true;
}

void ikev2_informational_request(struct ike_sa *ike, struct ikev2_rx *rx)
{
	bool delete_ike = false, tunnel_gone = false;
	struct info_arg a = { .n = 0 };
	struct diag d;
	diag_init(&d);
	const struct ikev2_msg *m = &rx->m;
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_delete del;
		if (m->p[i].type != PT_DELETE || !ikev2_parse_delete(&m->p[i], &del, &d))
			continue;
		if (del.protocol == PROTO_IKE)
			delete_ike = true;
		for (uint16_t k = 0; !delete_ike && del.protocol == PROTO_ESP && del.spi_len == 4 && k < del.count; k++)
			tunnel_gone |= peer_deleted_child(ike, ikev2_get_be32(del.spis + 4 * k), &a);
	}
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(ike, INFORMATIONAL, true, m->hdr.msgid, inner_info_response,
					 delete_ike ? &(struct info_arg){ .n = 0 } : &a, out, sizeof(out));
	if (n > 0)
		ikev2_send_response(ike, rx, out, n);
	char peer[ADDRESS_STR_MAX];
	if (delete_ike && ike->replaced_by != 0) {
		ike_log(ike, LL_INFO, "%s deleted the IKE SA, replaced by #%u", ikev2_peer_text(ike, peer),
			ike->replaced_by);
		ike_sa_free(ike, 0);
	} else if (delete_ike) {
		ike_log(ike, LL_INFO, "%s deleted the IKE SA", ikev2_peer_text(ike, peer));
		ikev2_tunnel_lost(ike, "the peer deleted the IKE SA");
		child_sa_remove(ike);
		ike_sa_free(ike, 1);
	} else if (tunnel_gone && !ikev2_keeps_up(ike->c) && !ike_sa_any_child(ike)) {
		ikev2_tunnel_lost(ike, "the peer deleted the IPsec SA");
	} else {
		ikev2_send_next(ike);
	}
}

void ikev2_informational_response(struct ike_sa *ike, struct ikev2_rx *rx)
{
	(void)rx;
	enum ike_request kind = ike->request_kind;
	ike->request_kind = REQ_NONE;
	if (kind == REQ_DELETE_CHILD)
		ikev2_delete_children_answered(ike);
	else
		ikev2_liveness_answered(ike);
	ikev2_send_next(ike);
}

void ikev2_delete_response(struct ike_sa *ike, struct ikev2_rx *rx)
{
	(void)rx;
	ike_log(ike, LL_INFO, "the peer confirmed the deletion");
	ike_sa_free(ike, 1);
}

static void inner_delete_ike(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)arg;
	ikev2_add_delete(b, PROTO_IKE, 0, NULL, 0);
}

/* The kernel state goes at once, the IKE SA when the peer answers (or
 * stops answering). */
void ikev2_send_delete(struct ike_sa *ike, int rc)
{
	static uint8_t out[IKEV2_MSG_MAX];
	ikev2_attempt_failed(ike);
	child_sa_remove(ike);
	logger_whack_done(&ike->log, rc);
	/* Nothing to tell a peer that never authenticated. */
	if (ike->keys == NULL || ike->state == IKE_R_INIT_SENT) {
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
	size_t n = ikev2_build_encrypted(ike, INFORMATIONAL, false, ike->next_msgid, inner_delete_ike, NULL, out, sizeof(out));
	ike_sa_set_state(ike, IKE_DELETING);
	if (n == 0) {
		ike_sa_free(ike, rc);
		return;
	}
	ikev2_send_request(ike, out, n);
}
