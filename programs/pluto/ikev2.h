/* ikev2.h: IKEv2 negotiation (RFC 7296): IKE_SA_INIT, IKE_AUTH with a
 * pre-shared key, INFORMATIONAL (Delete, liveness); initiator and
 * responder; retransmission with backoff; one child SA per IKE SA,
 * installed through the offload policy before the responder answers. */
#ifndef IKEV2_H
#define IKEV2_H

#include <stdbool.h>
#include "connections.h"

struct whack_session;

/* Starts the conn's IKE SA; progress and the outcome go to s (may be
 * NULL), which gets whack_done when the child SA is up or has failed. */
void ikev2_initiate(struct connection *c, struct whack_session *s);
/* Deletes the conn's IKE SA (telling the peer) and its child SA. */
bool ikev2_down(const char *conn_name, const char *why);
/* Every IKE SA, at shutdown: the peers are told, the kernel cleaned. */
void ikev2_shutdown(void);
/* Listen for IKE on the conn's local address. */
bool ikev2_listen(const struct connection *c, struct diag *d);
void ikev2_init(void);

#endif
