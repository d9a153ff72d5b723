/* ikev2_exchange.h: what the IKEv2 exchanges share, private to ikev2*.c.
 *
 * ikev2_dispatch.c receives a datagram, finds its IKE SA, applies the
 * message ID rules, decrypts, and looks up (state, exchange, request or
 * response, payloads present) in one transition table; the handler it
 * names does the exchange's work:
 *   ikev2_ike_sa_init.c      IKE_SA_INIT, both roles (and cookies)
 *   ikev2_ike_auth.c         IKE_AUTH, both roles
 *   ikev2_child.c            the child SA's proposals, ESN and selectors
 *   ikev2_rekey.c            CREATE_CHILD_SA: rekeying the child and the IKE SA
 *   ikev2_informational.c    INFORMATIONAL: Delete
 *   ikev2_send.c             building, encrypting, sending, retransmitting
 *   ikev2.c                  starting and ending SAs for the control side
 * A handler logs every failure once, with the SA's "conn" #N prefix. */
#ifndef IKEV2_EXCHANGE_H
#define IKEV2_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike_crypto.h"
#include "ike_sa.h"
#include "ikev2_msg.h"

/* A message as received: parsed, and for an SK message decrypted. */
struct ikev2_rx {
	struct ikev2_msg m;
	uint8_t *buf;		/* the datagram (decrypted in place once it is opened) */
	size_t len;
	uint64_t digest;	/* of the datagram as it came, for retransmits */
	ip_address local, remote;
	uint16_t local_port;	/* 500, or 4500 (NAT-T) */
	uint16_t port;		/* the peer's */
	/* A message put together from fragments (ikev2_frag.h): buf holds
	 * its inner payloads alone, this many bytes, and len and digest are
	 * its first fragment's datagram's, as a retransmit repeats it. */
	size_t reassembled;
};

typedef void ikev2_handler(struct ike_sa *ike, struct ikev2_rx *rx);
/* Whether a response answers an earlier request than the outstanding one. */
typedef bool ikev2_stale_fn(const struct ike_sa *ike, const struct ikev2_rx *rx);

/* ---- ikev2_send.c ---- */

/* Adds the payloads that go inside an SK payload. */
typedef void ikev2_inner_fn(struct ike_sa *ike, struct ikev2_builder *b, void *arg);

void ikev2_make_header(const struct ike_sa *ike, uint8_t exchange, bool response, uint32_t msgid,
		       struct ikev2_hdr *h);
/* The SA's cipher for what we send (sending) or what we receive. */
struct sk_cipher ikev2_cipher(const struct ike_sa *ike, bool sending);
/* A whole encrypted message into out; 0 when it cannot be built. */
size_t ikev2_build_encrypted(struct ike_sa *ike, uint8_t exchange, bool response, uint32_t msgid,
			     ikev2_inner_fn *fn, void *arg, uint8_t *out, size_t cap);
/* Sends a request of ours and retransmits it until answered. */
void ikev2_send_request(struct ike_sa *ike, const uint8_t *msg, size_t len);
/* Answers the peer's request rx, keeping both for its retransmits. */
void ikev2_send_response(struct ike_sa *ike, const struct ikev2_rx *rx, const uint8_t *msg, size_t len);
/* An encrypted answer to rx carrying one notify. */
void ikev2_respond_notify(struct ike_sa *ike, const struct ikev2_rx *rx, uint16_t type,
			  const uint8_t *data, size_t len);
/* An unencrypted answer to an IKE_SA_INIT request that keeps no state. */
void ikev2_send_init_notify(const struct ikev2_rx *rx, uint16_t type, const uint8_t *data, size_t len);
/* rx repeats the request we last answered: send the answer again, at
 * most once per IKEV2_RESEND_MIN_MS. False when rx is not such a repeat. */
bool ikev2_resend_response(struct ike_sa *ike, const struct ikev2_rx *rx);
#define IKEV2_RESEND_MIN_MS 500
/* Our answer to request msgid again, at most once per IKEV2_RESEND_MIN_MS,
 * for a retransmit known some other way (a fragment: ikev2_frag.h). */
void ikev2_resend_last_response(struct ike_sa *ike, uint32_t msgid);
/* Milliseconds since then (CLOCK_MONOTONIC). */
long ikev2_ms_since(const struct timespec *then);

/* ---- ikev2_liveness.c ---- */

/* Starts liveness checks of an established SA, when its conn sets dpddelay=. */
void ikev2_liveness_start(struct ike_sa *ike);
/* A message of the peer's arrived on ike (it decrypted). */
void ikev2_liveness_heard(struct ike_sa *ike);
/* The peer answered our liveness check. */
void ikev2_liveness_answered(struct ike_sa *ike);

/* ---- outcomes (ikev2.c) ---- */

/* A failed negotiation: nothing in the kernel, the attempt counted, the
 * whack told, the SA freed. */
void ikev2_fail(struct ike_sa *ike);
/* Conn c's own IKE SA is negotiated (ikev2_initiate does, unless c's
 * tunnels may join an IKE SA there is). */
void ikev2_initiate_alone(struct connection *c, unsigned whack);
/* Our attempt to bring the conn up ended without its IPsec SA. */
void ikev2_attempt_failed(struct ike_sa *ike);
/* ike's tunnel was up and is lost (the peer deleted it, or is dead): a
 * conn pluto keeps up is brought back, first after REVIVE_FIRST_S; true
 * when that is planned for ike's conn. The other conns whose tunnels ike
 * carried are brought back the same way. */
bool ikev2_tunnel_lost(struct ike_sa *ike, const char *why);
/* Whether pluto keeps the tunnels of conn c (an IKE SA's, or a tunnel's)
 * up when they are lost (auto=start unless dpdaction=clear, or
 * dpdaction=restart). */
bool ikev2_keeps_up(const struct connection *c);
/* A request of ours went unanswered for the conn's retransmit-timeout:
 * the negotiation failed, or an established SA's peer is dead. */
void ikev2_request_timed_out(struct ike_sa *ike);

/* ---- the handlers (the transition table names them) ---- */

void ikev2_init_request(struct ike_sa *none, struct ikev2_rx *rx);
void ikev2_init_response(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_init_response_notify(struct ike_sa *ike, struct ikev2_rx *rx);
ikev2_stale_fn ikev2_init_response_stale;
void ikev2_auth_request(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_auth_response(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_auth_response_notify(struct ike_sa *ike, struct ikev2_rx *rx);

/* ---- conns sharing an IKE SA (ikev2_ike_auth.c) ---- */

/* The conn, other than ike's, whose child the peer asks for over ike in
 * the CREATE_CHILD_SA request m: one between the same two hosts whose IDs
 * are those ike authenticated (both ends; chosen as the IKE_AUTH conn
 * switch chooses) by the same authby= each way (and certificate of ours),
 * which allows what IKE_SA_INIT agreed, and one pair of
 * whose subnets fits m's traffic selectors (its number in *pair). Its
 * ends, with the peer's ID as authenticated, in *ends; NULL when none. */
struct connection *ikev2_other_conn_for_child(const struct ike_sa *ike, const struct ikev2_msg *m,
					      struct ends *ends, unsigned *pair);
/* An established IKE SA that conn c's tunnels may join rather than
 * negotiate one of their own, as libreswan's do: of another conn, between
 * the same two addresses, with the same IDs and authby= (and certificate
 * of ours) at both ends, and whose
 * algorithms (and NAT-T, when it runs) c allows. NULL when none. */
struct ike_sa *ikev2_ike_sa_to_join(const struct connection *c);
/* Conn c's tunnels join ike, each to have its child made over it
 * (CREATE_CHILD_SA), the whack hearing how the first ends; a peer that
 * refuses the first makes c negotiate an IKE SA of its own. False when
 * ike has no room for them. */
bool ikev2_join_ike_sa(struct ike_sa *ike, struct connection *c, unsigned whack);
/* A reqid that no tunnel and no trap holds, from serial on. */
uint32_t ikev2_free_reqid(unsigned serial);
void ikev2_informational_request(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_delete_response(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_informational_response(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_create_child_request(struct ike_sa *ike, struct ikev2_rx *rx);
void ikev2_create_child_response(struct ike_sa *ike, struct ikev2_rx *rx);

/* ---- rekeying (ikev2_rekey.c) ---- */

/* Sends what we owe the peer, once no request of ours is out: the Delete
 * of children a rekey replaced, then a rekey that fell due. */
void ikev2_send_next(struct ike_sa *ike);
/* Whether our rekey of tunnel t's child is under way. */
bool ikev2_rekeying_tunnel(const struct ike_sa *ike, const struct tunnel *t);
/* Rekeys tunnel t's child, or makes it anew when it has none, as soon as
 * the window is free. */
void ikev2_rekey_tunnel(struct ike_sa *ike, struct tunnel *t);
/* Arms the IKE SA's rekey (ikelifetime less the margin) and expiry. */
void ikev2_rekey_schedule_ike(struct ike_sa *ike);
/* The child (current or retiring) whose outbound SPI is spi, its tunnel,
 * and whether it is a retiring one. */
struct child_sa *ikev2_child_by_spi_out(struct ike_sa *ike, uint32_t spi, struct tunnel **t, bool *retiring);
/* A retiring child is gone (deleted, expired): out of the kernel and its
 * slot freed; a new child's held-back outbound SA goes in. */
void ikev2_retiring_gone(struct ike_sa *ike, struct child_sa *ch, const char *why);
/* Tunnel t goes down alone, its IKE SA and other tunnels staying: its
 * children out of the kernel, and the peer told with a Delete. */
void ikev2_delete_tunnel(struct ike_sa *ike, struct tunnel *t);
/* Tunnel t went: a rekey of its child under way, or its making, is
 * called off (what its answer makes is deleted at the peer). */
void ikev2_rekey_abandon(struct ike_sa *ike, const struct tunnel *t);
/* Our Delete of retiring children was answered. */
void ikev2_delete_children_answered(struct ike_sa *ike);
/* The peer deleted the child of t its colliding rekey made before our
 * own rekey was answered: the old child is current again. False otherwise. */
bool ikev2_rekey_undo_collision(struct ike_sa *ike, struct tunnel *t);
/* The peer deleted the child of t our answer to its rekey made while the
 * one it replaces is still ours: that one is current again. False otherwise. */
bool ikev2_rekey_undo_answer(struct ike_sa *ike, struct tunnel *t);

/* ---- starting and ending ---- */

/* Sends our IKE_SA_INIT request (again, after INVALID_KE_PAYLOAD or COOKIE). */
bool ikev2_send_init_request(struct ike_sa *ike);
/* Our IKE_AUTH request, once the IKE SA has its keys. */
void ikev2_send_auth_request(struct ike_sa *ike);
/* Our Delete of the whole IKE SA (ikev2_informational.c); rc is what a
 * waiting whack gets. */
void ikev2_send_delete(struct ike_sa *ike, int rc);

/* ---- the child SA (ikev2_child.c) ---- */

/* Each of these is about a child of ike's tunnel t, as t's conn has it
 * (its esp=, pfs=, type=, narrowing=, offload, subnets).
 *
 * The ESP proposals for a child into out: for the IKE_AUTH child with no
 * DH transform (pfs_group DH_NONE: 1.2); for a CREATE_CHILD_SA with PFS,
 * each with its esp= group or else pfs_group. The ones the device
 * offloads go first for an SA meant for the NIC. */
const struct alg_proposals *ikev2_child_proposals(const struct ike_sa *ike, const struct tunnel *t,
						  enum dh_id pfs_group, struct alg_proposals *out);
/* A fresh inbound ESP SPI. */
uint32_t ikev2_new_esp_spi(void);
/* The esn argument of ikev2_sa_choose/accepted for this SA. */
int ikev2_esn_policy(const struct ike_sa *ike, const struct tunnel *t);
/* Our request's SA and TS payloads for child ch (initiator): ch gets a
 * fresh inbound SPI. The selectors are ch's when it has some (a rekey
 * keeps those of the child it replaces), else the conn's. */
void ikev2_add_child_request(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			     const struct alg_proposals *esp, struct ikev2_builder *b);
/* Reads the initiator's child request into ch and chosen, choosing from
 * esp; 0, or the error notify type to answer with. The selectors must
 * fit ch's when it has some (a rekey), else the conn's, by the conn's
 * narrowing=; ch takes them. */
uint16_t ikev2_choose_child(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			    const struct alg_proposals *esp, const struct ikev2_msg *m, struct ikev2_sa_payload *chosen);
/* A rekey's child asks for the selectors of the child it replaces. */
void ikev2_child_keep_selectors(struct child_sa *made, const struct child_sa *old);
/* A tunnel's first child asks for its pair of the conn's subnets. */
void ikev2_child_pair_selectors(const struct tunnel *t, struct child_sa *ch);
/* Whether the traffic selectors of the child request m fit one pair of
 * ends' subnets: cover it (narrowing), or hold it exactly; that pair's
 * number in *pair (when not NULL). */
bool ikev2_ts_fit(const struct ikev2_msg *m, const struct ends *ends, bool narrowing, unsigned *pair);
/* The same for the pair numbered pair alone. */
bool ikev2_ts_fit_pair(const struct ikev2_msg *m, const struct ends *ends, bool narrowing, unsigned pair);
/* The responder's SA and TS payloads for the chosen child. */
void ikev2_add_child_answer(struct ike_sa *ike, const struct child_sa *ch, struct ikev2_builder *b,
			    const struct ikev2_sa_payload *chosen);
/* Reads the responder's answer into ch (initiator), which must be one of esp. */
bool ikev2_read_child_answer(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			     const struct alg_proposals *esp, const struct ikev2_msg *m);

/* ---- helpers ---- */

/* The first error notify, or NULL. */
const struct ikev2_payload *ikev2_error_notify(const struct ikev2_msg *m, struct ikev2_notify *n);
bool ikev2_has_notify(const struct ikev2_msg *m, uint16_t type);
/* A random IKE SPI, never zero. */
void ikev2_random_spi(uint8_t spi[IKEV2_SPI_LEN]);
/* A fresh nonce of ikev2_nonce_len bytes into b. */
bool ikev2_make_nonce(struct buf *b);
/* The nonce length pluto sends; tests may change it (16..256). */
extern size_t ikev2_nonce_len;
const char *ikev2_peer_text(const struct ike_sa *ike, char buf[ADDRESS_STR_MAX]);
uint32_t ikev2_get_be32(const uint8_t *p);
void ikev2_put_be32(uint8_t *p, uint32_t v);

#endif
