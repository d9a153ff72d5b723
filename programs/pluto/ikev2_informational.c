/* ikev2_informational.c: INFORMATIONAL (RFC 7296 1.4): the peer's
 * Deletes (and its empty liveness checks) answered; our Delete of the
 * whole IKE SA sent and its answer taken. */
#include <string.h>
#include "child_sa.h"
#include "ikev2_exchange.h"

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
		ikev2_put_be32(spi, a->spi_in);
		ikev2_add_delete(b, PROTO_ESP, 4, spi, 1);
	}
}

void ikev2_informational_request(struct ike_sa *ike, struct ikev2_rx *rx)
{
	bool delete_ike = false;
	struct info_arg a = {0};
	struct diag d;
	diag_init(&d);
	const struct ikev2_msg *m = &rx->m;
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_delete del;
		if (m->p[i].type != PT_DELETE || !ikev2_parse_delete(&m->p[i], &del, &d))
			continue;
		if (del.protocol == PROTO_IKE)
			delete_ike = true;
		for (uint16_t k = 0; del.protocol == PROTO_ESP && del.spi_len == 4 && k < del.count; k++) {
			if (ike->child.installed && ikev2_get_be32(del.spis + 4 * k) == ike->child.spi_out) {
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
	size_t n = ikev2_build_encrypted(ike, INFORMATIONAL, true, m->hdr.msgid, inner_info_response,
					 delete_ike ? &(struct info_arg){0} : &a, out, sizeof(out));
	if (n > 0)
		ikev2_send_response(ike, rx, out, n);
	if (delete_ike) {
		char peer[ADDRESS_STR_MAX];
		ike_log(ike, LL_INFO, "%s deleted the IKE SA", ikev2_peer_text(ike, peer));
		ikev2_tunnel_lost(ike, "the peer deleted the IKE SA");
		child_sa_remove(ike);
		ike_sa_free(ike, 1);
	} else if (a.esp_deleted) {
		/* Until a child can be made again over this IKE SA
		 * (CREATE_CHILD_SA), a conn kept up starts over whole. */
		if (ikev2_tunnel_lost(ike, "the peer deleted the IPsec SA"))
			ikev2_send_delete(ike, 1);
	}
}

void ikev2_delete_response(struct ike_sa *ike, struct ikev2_rx *rx)
{
	(void)rx;
	ike_log(ike, LL_INFO, "the peer confirmed the deletion");
	ike_sa_free(ike, 1);
}

void ikev2_create_child_request(struct ike_sa *ike, struct ikev2_rx *rx)
{
	ike_log(ike, LL_WARN, "the peer asks for CREATE_CHILD_SA (rekeying), which this pluto does not do yet; answering NO_ADDITIONAL_SAS");
	ikev2_respond_notify(ike, rx, N_NO_ADDITIONAL_SAS, NULL, 0);
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
