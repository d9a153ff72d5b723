/* natt.c: NAT traversal (natt.h). */
#include <stdio.h>
#include <string.h>
#include "child_sa.h"
#include "ike_sa.h"
#include "ike_socket.h"
#include "ikev2_exchange.h"
#include "kernel.h"
#include "log.h"
#include "natt.h"
#include "pluto.h"

static const uint8_t zero_spi[IKEV2_SPI_LEN];

bool natt_hash(const uint8_t spi_i[IKEV2_SPI_LEN], const uint8_t spi_r[IKEV2_SPI_LEN], const ip_address *a,
	       uint16_t port, uint8_t out[NATT_HASH_LEN])
{
	uint8_t in[2 * IKEV2_SPI_LEN + 16 + 2];
	size_t alen = address_bits(a) / 8, n = 0;
	memcpy(in, spi_i, IKEV2_SPI_LEN);
	memcpy(in + IKEV2_SPI_LEN, spi_r, IKEV2_SPI_LEN);
	n = 2 * IKEV2_SPI_LEN;
	memcpy(in + n, a->bytes, alen);
	n += alen;
	in[n++] = (uint8_t)(port >> 8);
	in[n++] = (uint8_t)port;
	return ike_sha1(in, n, out);
}

void natt_add_notifies(struct ikev2_builder *b, const uint8_t spi_i[IKEV2_SPI_LEN],
		       const uint8_t spi_r[IKEV2_SPI_LEN], const ip_address *local, uint16_t local_port,
		       const ip_address *remote, uint16_t remote_port, bool fake_source)
{
	uint8_t src[NATT_HASH_LEN], dst[NATT_HASH_LEN];
	/* A source no packet comes from: port 0 of the unspecified address. */
	ip_address nowhere = { .family = local->family };
	if (!natt_hash(spi_i, spi_r, fake_source ? &nowhere : local, fake_source ? 0 : local_port, src) ||
	    !natt_hash(spi_i, spi_r, remote, remote_port, dst)) {
		b->overflow = true;	/* no hash, no message */
		return;
	}
	ikev2_add_notify(b, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
	ikev2_add_notify(b, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
}

static bool read_one(const struct ikev2_notify *n, struct diag *d)
{
	if (n->spi_len != 0 || n->data_len != NATT_HASH_LEN) {
		diag_add(d, "its %s notify has a %u-byte SPI and %zu bytes of data, not a %d-byte hash",
			 n->type == N_NAT_DETECTION_SOURCE_IP ? "NAT_DETECTION_SOURCE_IP" : "NAT_DETECTION_DESTINATION_IP",
			 n->spi_len, n->data_len, NATT_HASH_LEN);
		return false;
	}
	return true;
}

bool natt_read(const struct ikev2_msg *m, const uint8_t spi_i[IKEV2_SPI_LEN], const uint8_t spi_r[IKEV2_SPI_LEN],
	       const ip_address *local, uint16_t local_port, const ip_address *remote, uint16_t remote_port,
	       struct natt_seen *seen, struct diag *d)
{
	uint8_t ours[NATT_HASH_LEN], theirs[NATT_HASH_LEN];
	unsigned sources = 0, dests = 0;
	bool source_matches = false, dest_matches = false;
	*seen = (struct natt_seen){0};
	if (!natt_hash(spi_i, spi_r, local, local_port, ours) || !natt_hash(spi_i, spi_r, remote, remote_port, theirs)) {
		diag_add(d, "cannot compute the NAT detection hashes");
		return false;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_notify n;
		if (m->p[i].type != PT_NOTIFY || !ikev2_parse_notify(&m->p[i], &n, d))
			continue;
		if (n.type != N_NAT_DETECTION_SOURCE_IP && n.type != N_NAT_DETECTION_DESTINATION_IP)
			continue;
		if (!read_one(&n, d))
			return false;
		if (n.type == N_NAT_DETECTION_SOURCE_IP) {
			sources++;
			source_matches |= memcmp(n.data, theirs, NATT_HASH_LEN) == 0;
		} else {
			dests++;
			dest_matches = memcmp(n.data, ours, NATT_HASH_LEN) == 0;
		}
	}
	if (dests > 1) {
		diag_add(d, "it has %u NAT_DETECTION_DESTINATION_IP notifies; one is allowed", dests);
		return false;
	}
	if ((sources == 0) != (dests == 0)) {
		diag_add(d, "it has NAT_DETECTION_%s_IP without NAT_DETECTION_%s_IP", sources > 0 ? "SOURCE" : "DESTINATION",
			 sources > 0 ? "DESTINATION" : "SOURCE");
		return false;
	}
	seen->present = sources > 0;
	seen->we_behind = seen->present && !dest_matches;
	seen->peer_behind = seen->present && !source_matches;
	return true;
}

bool natt_wanted(const struct conn_config *c)
{
	return c->encapsulation != YNA_NO;
}

/* ---- the port-4500 framing ---- */

enum natt_frame natt_unframe(uint8_t **msg, size_t *len, uint16_t local_port)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN];
	if (local_port != IKE_NATT_PORT)
		return NATT_FRAME_IKE;
	if (*len == 1 && (*msg)[0] == NATT_KEEPALIVE_BYTE)
		return NATT_FRAME_KEEPALIVE;
	if (*len <= NON_ESP_MARKER_LEN || memcmp(*msg, marker, NON_ESP_MARKER_LEN) != 0)
		return NATT_FRAME_BAD;
	*msg += NON_ESP_MARKER_LEN;
	*len -= NON_ESP_MARKER_LEN;
	return NATT_FRAME_IKE;
}

bool natt_send(const ip_address *local, uint16_t local_port, const ip_address *remote, uint16_t remote_port,
	       const uint8_t *msg, size_t len)
{
	static uint8_t framed[NON_ESP_MARKER_LEN + IKEV2_MSG_MAX];
	if (local_port != IKE_NATT_PORT)
		return ike_send(local, local_port, remote, remote_port, msg, len);
	if (len > IKEV2_MSG_MAX)
		return false;
	memset(framed, 0, NON_ESP_MARKER_LEN);
	memcpy(framed + NON_ESP_MARKER_LEN, msg, len);
	return ike_send(local, local_port, remote, remote_port, framed, NON_ESP_MARKER_LEN + len);
}

/* ---- an IKE SA's NAT-T ---- */

void natt_add_to_init_request(const struct ike_sa *ike, struct ikev2_builder *b)
{
	const struct conn_config *c = ike->c->config;
	if (natt_wanted(c))
		natt_add_notifies(b, ike->spi_i, zero_spi, &ike->ends.local, ike->local_port, &ike->ends.remote,
				  ike->remote_port, c->encapsulation == YNA_YES);
}

void natt_add_to_init_response(const struct ike_sa *ike, struct ikev2_builder *b)
{
	if (ike->natt.negotiated)
		natt_add_notifies(b, ike->spi_i, ike->spi_r, &ike->ends.local, ike->local_port, &ike->ends.remote,
				  ike->remote_port, ike->c->config->encapsulation == YNA_YES);
}

static const char *who_is_behind(const struct ike_sa *ike)
{
	if (ike->natt.we_behind && ike->natt.peer_behind)
		return "both ends are behind NAT";
	if (ike->natt.we_behind)
		return "this end is behind NAT";
	if (ike->natt.peer_behind)
		return "the peer is behind NAT";
	return "no NAT between the ends";
}

/* What encapsulation means for the conn's offload: its add-time rule,
 * now that the SAs are known to go in UDP. False when it refuses them. */
static bool decide_offload(struct ike_sa *ike)
{
	struct diag errors, notes;
	diag_init(&errors);
	diag_init(&notes);
	bool ok = offload_check_encap(ike->c->config, kernel, &ike->c->offload, &ike->natt.offload, &errors, &notes);
	logger_lines(&ike->log, LL_WARN, &notes);
	if (!ok) {
		logger_lines(&ike->log, LL_ERROR, &errors);
		ike->natt.offload_refused = true;
	}
	return ok;
}

/* Fills ike->natt from what the peer's IKE_SA_INIT said; true when ESP
 * goes in UDP. */
static bool decide(struct ike_sa *ike, const struct natt_seen *seen)
{
	const struct conn_config *c = ike->c->config;
	ike->natt.negotiated = seen->present && natt_wanted(c);
	ike->natt.we_behind = ike->natt.negotiated && seen->we_behind;
	ike->natt.peer_behind = ike->natt.negotiated && seen->peer_behind;
	bool forced = c->encapsulation == YNA_YES;
	ike->natt.encap = ike->natt.negotiated && (seen->we_behind || seen->peer_behind || forced);
	if (forced && !seen->present)
		ike_log(ike, LL_WARN, "encapsulation=yes, but the peer sent no NAT detection notifies: it does not do NAT-T, so ESP is not encapsulated");
	else if (ike->natt.encap)
		ike_log(ike, LL_INFO, "NAT-T: %s%s; ESP goes in UDP (port %d)", who_is_behind(ike),
			forced && !seen->we_behind && !seen->peer_behind ? " (encapsulation=yes)" : "", IKE_NATT_PORT);
	else if (ike->natt.negotiated)
		ike_log(ike, LL_DEBUG, "NAT-T: no NAT between the ends");
	ike->natt.offload = ike->c->offload;
	return ike->natt.encap;
}

void natt_responder_decide(struct ike_sa *ike, const struct natt_seen *seen)
{
	if (decide(ike, seen))
		decide_offload(ike);
}

void natt_conn_changed(struct ike_sa *ike)
{
	ike->natt.offload = ike->c->offload;
	ike->natt.offload_refused = false;
	if (ike->natt.encap)
		decide_offload(ike);
}

bool natt_initiator_decide(struct ike_sa *ike, const struct ikev2_rx *rx)
{
	struct natt_seen seen;
	struct diag d;
	diag_init(&d);
	if (!natt_read(&rx->m, ike->spi_i, ike->spi_r, &rx->local, rx->local_port, &rx->remote, rx->port, &seen, &d)) {
		ike_log(ike, LL_ERROR, "the IKE_SA_INIT response is not acceptable: %s", diag_oneline(&d, NULL));
		return false;
	}
	if (!decide(ike, &seen))
		return true;
	if (!decide_offload(ike)) {
		ike->failure_kind = ATTEMPT_CONFIG;
		return false;
	}
	/* 2.23: the initiator moves to port 4500 as soon as NAT is found,
	 * and to the peer's 4500 unless it began elsewhere already. */
	ike->local_port = IKE_NATT_PORT;
	if (ike->remote_port == IKE_PORT)
		ike->remote_port = IKE_NATT_PORT;
	return true;
}

/* ---- a peer whose NAT mapping changed ---- */

/* The outbound ESP SAs go to the peer's new port. */
static void follow_with_esp(struct ike_sa *ike)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		struct child_sa *children[1 + CHILD_RETIRING_MAX] = { &t->child };
		for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
			children[1 + i] = &t->retiring[i];
		for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
			struct child_sa *ch = children[i];
			struct kernel_err e = {0};
			if (!ch->installed || ch->out_pending)
				continue;
			if (child_sa_update_encap(ike, t, ch, &e) != 0)
				logger_log(&ike->log, LL_WARN, "cannot move outbound SA 0x%08x to the peer's new port %u: %s",
					   ch->spi_out, ike->remote_port, e.extack[0] ? e.extack : strerror(e.errnum));
		}
	}
}

void natt_follow_peer(struct ike_sa *ike, const struct ikev2_rx *rx)
{
	if (rx->port == ike->remote_port && rx->local_port == ike->local_port)
		return;
	char peer[ADDRESS_STR_MAX];
	if (!ike->natt.negotiated) {
		/* Without NAT-T nothing moves: answers go where they went. */
		ike_log(ike, LL_DEBUG, "a message came from %s port %u to our port %u; the IKE SA stays at port %u",
			address_str(&rx->remote, peer), rx->port, rx->local_port, ike->remote_port);
		return;
	}
	bool first_float = ike->local_port != IKE_NATT_PORT && rx->local_port == IKE_NATT_PORT;
	/* RFC 7296 2.23: only a peer behind a NAT has its port followed
	 * (after the float to 4500, which either end's NAT asks for); and
	 * once on 4500 we stay there, where the kernel takes ESP in UDP. */
	if (!first_float && (!ike->natt.peer_behind || rx->local_port != IKE_NATT_PORT)) {
		ike_log(ike, LL_DEBUG, "a message came from %s port %u to our port %u; the IKE SA stays at port %u to %u",
			address_str(&rx->remote, peer), rx->port, rx->local_port, ike->local_port, ike->remote_port);
		return;
	}
	uint16_t was = ike->remote_port;
	ike->local_port = rx->local_port;
	ike->remote_port = rx->port;
	if (first_float)
		ike_log(ike, LL_INFO, "the peer moved to port %d: now %s port %u", IKE_NATT_PORT, address_str(&rx->remote, peer),
			rx->port);
	else
		ike_log(ike, LL_INFO, "the peer's NAT mapping changed: port %u is now %u", was, rx->port);
	if (ike->natt.encap)
		follow_with_esp(ike);
}

/* ---- keepalives (RFC 3948 2.3) ---- */

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct ike_sa *ike = arg;
	static const uint8_t ka = NATT_KEEPALIVE_BYTE;
	ike_send(&ike->ends.local, ike->local_port, &ike->ends.remote, ike->remote_port, &ka, 1);
}

void natt_keepalive_start(struct ike_sa *ike)
{
	const struct config_setup *s = pluto.conf != NULL ? &pluto.conf->setup : NULL;
	unsigned every = s != NULL ? s->keep_alive : KEEP_ALIVE_DEFAULT;
	if (!ike->natt.encap || !ike->natt.we_behind || !ike->c->config->nat_keepalive || every == 0)
		return;
	if (ike->natt.keepalive == NULL)
		ike->natt.keepalive = event_new(pluto.base, -1, EV_PERSIST, on_keepalive, ike);
	if (ike->natt.keepalive == NULL)
		return;
	struct timeval tv = { .tv_sec = every };
	event_add(ike->natt.keepalive, &tv);
	ike_log(ike, LL_DEBUG, "NAT keepalives to %u every %u s", ike->remote_port, every);
}

void natt_keepalive_stop(struct ike_sa *ike)
{
	if (ike->natt.keepalive != NULL)
		event_free(ike->natt.keepalive);
	ike->natt.keepalive = NULL;
}

const char *natt_status(const struct ike_sa *ike, char *buf, size_t len)
{
	if (!ike->natt.encap)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "NAT-T: %s; IKE on port %u to %u, ESP in UDP", who_is_behind(ike), ike->local_port,
			 ike->remote_port);
	return buf;
}
