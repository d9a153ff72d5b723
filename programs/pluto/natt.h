/* natt.h: NAT traversal (RFC 7296 2.23, RFC 3948).
 *
 * Both ends of IKE_SA_INIT send NAT_DETECTION_SOURCE_IP and
 * NAT_DETECTION_DESTINATION_IP notifies: SHA-1 over the message's SPIs
 * and an address and port as the sender sees them. The receiver hashes
 * what it sees: a destination hash that differs from its own address and
 * port says it is behind NAT; a source hash that differs from the
 * packet's source says the sender is. When either is, or the conn says
 * encapsulation=yes, the IKE SA's ESP goes in UDP and IKE moves to port
 * 4500, where every IKE message starts with four zero bytes (the non-ESP
 * marker) so the kernel can tell it from ESP. encapsulation=yes sends a
 * source hash that cannot match, so the peer encapsulates too (as
 * libreswan does); encapsulation=no sends no notifies, so NAT-T is not
 * negotiated at all.
 *
 * Once it is in use: an end behind NAT sends a keepalive (one byte, 0xff)
 * to the peer's port every keep-alive seconds (config setup, with
 * nat-keepalive=yes per conn), so its NAT keeps the mapping; and when an
 * authenticated message from a peer behind NAT comes from a new port,
 * the IKE SA and the outbound ESP SA follow it. A new address is not
 * followed (that is MOBIKE's, RFC 4555, which pluto lacks).
 *
 * Linux 6.1 cannot offload UDP-encapsulated SAs to a NIC: an IKE SA whose
 * ESP goes in UDP gets offload.h's add-time rule when NAT is found (one
 * line; software with hw_offload_fallback=yes, the attempt refused with
 * =no). */
#ifndef NATT_H
#define NATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "ike_crypto.h"
#include "ikev2_msg.h"
#include "ip_address.h"

struct ike_sa;
struct ikev2_rx;
struct conn_config;

#define NATT_HASH_LEN IKE_SHA1_LEN
#define NON_ESP_MARKER_LEN 4
#define NATT_KEEPALIVE_BYTE 0xff

/* SHA-1(SPIi | SPIr | address | port) (2.23). */
bool natt_hash(const uint8_t spi_i[IKEV2_SPI_LEN], const uint8_t spi_r[IKEV2_SPI_LEN], const ip_address *a,
	       uint16_t port, uint8_t out[NATT_HASH_LEN]);

/* Our two notifies, for a message with these SPIs sent from local to
 * remote; fake_source makes our source hash one that cannot match. */
void natt_add_notifies(struct ikev2_builder *b, const uint8_t spi_i[IKEV2_SPI_LEN],
		       const uint8_t spi_r[IKEV2_SPI_LEN], const ip_address *local, uint16_t local_port,
		       const ip_address *remote, uint16_t remote_port, bool fake_source);

/* What a peer's IKE_SA_INIT said. */
struct natt_seen {
	bool present;		/* it sent both notifies: it does NAT-T */
	bool we_behind;		/* its destination hash is not of our address and port */
	bool peer_behind;	/* none of its source hashes is of where the message came from */
};

/* Reads the notifies of m (with these SPIs, received at local from
 * remote). False, with the reason in d, when they are malformed: a hash
 * that is not 20 bytes, an SPI on one, more than one destination hash,
 * or one kind without the other. */
bool natt_read(const struct ikev2_msg *m, const uint8_t spi_i[IKEV2_SPI_LEN], const uint8_t spi_r[IKEV2_SPI_LEN],
	       const ip_address *local, uint16_t local_port, const ip_address *remote, uint16_t remote_port,
	       struct natt_seen *seen, struct diag *d);

/* Whether the conn takes part in NAT-T at all (encapsulation= not no). */
bool natt_wanted(const struct conn_config *c);

/* ---- the port-4500 framing ---- */

enum natt_frame { NATT_FRAME_IKE, NATT_FRAME_KEEPALIVE, NATT_FRAME_BAD };

/* A datagram that came in on local_port: on 4500, an IKE message behind
 * its marker (*msg and *len then skip it), a keepalive, or neither. On
 * any other port it is what it is. */
enum natt_frame natt_unframe(uint8_t **msg, size_t *len, uint16_t local_port);

/* Sends an IKE message from local_port, behind the marker on 4500. */
bool natt_send(const ip_address *local, uint16_t local_port, const ip_address *remote, uint16_t remote_port,
	       const uint8_t *msg, size_t len);

/* ---- an IKE SA's NAT-T ---- */

/* Initiator: our notifies in the IKE_SA_INIT request, when the conn wants them. */
void natt_add_to_init_request(const struct ike_sa *ike, struct ikev2_builder *b);
/* Responder: our notifies in the IKE_SA_INIT response, when both want NAT-T. */
void natt_add_to_init_response(const struct ike_sa *ike, struct ikev2_builder *b);
/* Responder: decides from the request's notifies. */
void natt_responder_decide(struct ike_sa *ike, const struct natt_seen *seen);
/* The IKE SA moved to another conn (IKE_AUTH): its offload policy under
 * the rule for encapsulated SAs is that conn's. */
void natt_conn_changed(struct ike_sa *ike);
/* Initiator: reads the response's notifies, decides, floats to port 4500
 * when ESP goes in UDP. False (logged) when the response's notifies are
 * malformed or the offload rule refuses the encapsulated SAs. */
bool natt_initiator_decide(struct ike_sa *ike, const struct ikev2_rx *rx);

/* An authenticated, new message of the peer's arrived as rx: a peer
 * behind NAT that now sends from another port is followed (the IKE SA,
 * and the outbound ESP SA's encapsulation). */
void natt_follow_peer(struct ike_sa *ike, const struct ikev2_rx *rx);

/* Keepalives from an end behind NAT, once the IKE SA is established (or
 * taken over by a rekey); stopped when the SA is freed. */
void natt_keepalive_start(struct ike_sa *ike);
void natt_keepalive_stop(struct ike_sa *ike);

/* "behind NAT: this end", for --status; "" when NAT-T is not in use. */
const char *natt_status(const struct ike_sa *ike, char *buf, size_t len);

#endif
