/* ikev2.h: IKEv2 negotiation (RFC 7296): IKE_SA_INIT with cookies,
 * IKE_AUTH with a pre-shared key, CREATE_CHILD_SA rekeying the child and
 * the IKE SA, INFORMATIONAL (Delete, liveness); initiator and responder;
 * retransmission with backoff; one tunnel (child SA) per IKE SA, installed
 * through the offload policy before the responder answers. ikev2_exchange.h says how the exchanges are laid out. */
#ifndef IKEV2_H
#define IKEV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "connections.h"
#include "ip_address.h"

/* Starts the conn's IKE SA; progress and the outcome go to the whack
 * session with serial whack (0 for none), which gets its final status
 * when the child SA is up or has failed. */
void ikev2_initiate(struct connection *c, unsigned whack);
/* Deletes every IKE SA of the conn (telling the peer) and its child SA;
 * false when there was none. */
bool ikev2_down(const char *conn_name, const char *why);
/* Every IKE SA, at shutdown: the peers are told, the kernel cleaned. */
void ikev2_shutdown(void);
/* Listen for IKE on the conn's local address (when it has one here). */
bool ikev2_listen(const struct connection *c, struct diag *d);
/* The kernel's hard expire of the SA dst/spi: a child a rekey replaced
 * goes quietly; the current child's tunnel is over (its rekey failed or
 * rekey=no), and a conn kept up starts over. */
void ikev2_child_expired(const ip_address *dst, uint32_t spi, const char *limit);
/* The kernel's soft expire of the SA dst/spi: its child is rekeyed
 * (unless rekey=no or a rekey is under way). */
void ikev2_child_soft_expired(const ip_address *dst, uint32_t spi);
struct ike_sa;
/* Rekeys the IKE SA (ike_sa) or its child now, as soon as the window is
 * free (whack --rekey-ike / --rekey-ipsec); false when it has nothing to
 * rekey. */
bool ikev2_rekey_now(struct ike_sa *ike, bool ike_sa);
/* Rekeys now the children of conn name (of any instance) that ike
 * carries; false when it carries none. */
bool ikev2_rekey_conn_now(struct ike_sa *ike, const char *name);
/* "the IKE SA" or "the IPsec SA" while our rekey of it runs, else NULL. */
const char *ikev2_rekey_under_way(const struct ike_sa *ike);
/* Hands received datagrams to ikev2_receive. */
void ikev2_init(void);

/* One datagram from remote:port to local (ikev2_dispatch.c). */
void ikev2_receive(uint8_t *buf, size_t len, const ip_address *local, uint16_t local_port, const ip_address *remote,
		   uint16_t port);

#endif
