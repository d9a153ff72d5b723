/* ikev2_child.c: the child SA carried by IKE_AUTH, as each role proposes,
 * chooses and reads it: ESP proposals (offload-aware), ESN, traffic
 * selectors and transport mode. */
#include <stdio.h>
#include <string.h>
#include "ikev2_exchange.h"
#include "kernel.h"
#include "offload_probe.h"

/* An ESP SPI: 1-255 are reserved (RFC 4303), and 0x80-0xff serve probes. */
uint32_t ikev2_new_esp_spi(void)
{
	uint32_t spi;
	do
		ike_random((uint8_t *)&spi, sizeof(spi));
	while (spi < 0x1000);
	return spi;
}

/* The IKE_AUTH child has no KE payload, so its proposals carry no DH
 * transform (RFC 7296 1.2): PFS applies only to later children, where a
 * proposal without a group of its own (from esp=) takes pfs_group. For an
 * SA meant for the NIC, what its probe showed the device offloads goes
 * first. */
const struct alg_proposals *ikev2_child_proposals(const struct ike_sa *ike, enum dh_id pfs_group,
						  struct alg_proposals *out)
{
	*out = ike->c->config->esp_proposals;
	for (size_t i = 0; i < out->n; i++) {
		if (pfs_group == DH_NONE || out->p[i].dh == DH_NONE)
			out->p[i].dh = pfs_group;
	}
	if (ike->c->offload.mode != HW_OFFLOAD_NO)
		offload_order_proposals(offload_probe_for(kernel, &ike->ends.local), out);
	return out;
}

/* ESN as the conn asks (esn=yes|no), else either; but many NICs cannot
 * offload ESN (netdevsim, and libreswan's default ESN is why its offload
 * fails out of the box), so an SA meant for the NIC asks for none unless a
 * probe showed the device takes ESN: the initiator offers none, the
 * responder picks none whenever the peer allows it. */
int ikev2_esn_policy(const struct ike_sa *ike)
{
	const struct connection *c = ike->c;
	if (c->config->esn != YNA_AUTO)
		return c->config->esn == YNA_YES ? 1 : 0;
	if (c->offload.mode == HW_OFFLOAD_NO || offload_probe_esn(offload_probe_for(kernel, &ike->ends.local)))
		return 2;
	return ike->initiator ? 0 : 3;
}

/* ---- traffic selectors ---- */

static void ts_from_subnet(const ip_subnet *s, struct ikev2_ts_payload *ts)
{
	struct ikev2_ts *t = &ts->ts[0];
	*t = (struct ikev2_ts){ .type = s->addr.family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE,
				.start_port = 0, .end_port = 65535, .start = s->addr, .end = s->addr };
	unsigned bits = address_bits(&s->addr);
	for (unsigned i = s->prefixlen; i < bits; i++)
		t->end.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	ts->n = 1;
}

/* Whether the range [start, end] of t covers all of s. */
static bool ts_covers(const struct ikev2_ts *t, const ip_subnet *s)
{
	struct ikev2_ts_payload mine;
	ts_from_subnet(s, &mine);
	size_t n = address_bits(&s->addr) / 8;
	return t->start.family == s->addr.family && t->start_port == 0 && t->end_port == 65535 &&
	       memcmp(t->start.bytes, mine.ts[0].start.bytes, n) <= 0 &&
	       memcmp(t->end.bytes, mine.ts[0].end.bytes, n) >= 0;
}

static bool any_ts_covers(const struct ikev2_ts_payload *ts, const ip_subnet *s)
{
	for (size_t i = 0; i < ts->n; i++) {
		if (ts_covers(&ts->ts[i], s))
			return true;
	}
	return false;
}

static bool host_bits_clear(const ip_address *a, unsigned prefixlen)
{
	for (unsigned i = prefixlen; i < address_bits(a); i++) {
		if (a->bytes[i / 8] & (0x80u >> (i % 8)))
			return false;
	}
	return true;
}

/* The narrowed TS the responder sends must lie inside what we offered:
 * take it as the subnet it names exactly, whose address has no bits set
 * past its prefix (192.0.2.1 alone is 192.0.2.1/32, never /31). */
static bool ts_exact_subnet(const struct ikev2_ts *t, ip_subnet *s)
{
	unsigned bits = address_bits(&t->start);
	for (unsigned len = 0; len <= bits; len++) {
		ip_subnet cand = { .addr = t->start, .prefixlen = len };
		struct ikev2_ts_payload p;
		if (!host_bits_clear(&t->start, len))
			continue;
		ts_from_subnet(&cand, &p);
		if (memcmp(p.ts[0].end.bytes, t->end.bytes, bits / 8) == 0) {
			*s = cand;
			return true;
		}
	}
	return false;
}

static void add_ts_pair(struct ikev2_builder *b, const ip_subnet *initiator_net, const ip_subnet *responder_net)
{
	struct ikev2_ts_payload tsi, tsr;
	ts_from_subnet(initiator_net, &tsi);
	ts_from_subnet(responder_net, &tsr);
	ikev2_add_ts(b, PT_TSi, &tsi);
	ikev2_add_ts(b, PT_TSr, &tsr);
}

/* ---- initiator ---- */

void ikev2_add_child_request(struct ike_sa *ike, struct child_sa *ch, const struct alg_proposals *esp,
			     struct ikev2_builder *b)
{
	uint8_t spi[4];
	ch->spi_in = ikev2_new_esp_spi();
	ikev2_put_be32(spi, ch->spi_in);
	static struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(esp, PROTO_ESP, spi, 4, ikev2_esn_policy(ike), &sa);
	ikev2_add_sa(b, &sa);
	add_ts_pair(b, &ike->ends.local_net, &ike->ends.remote_net);
	if (ike->c->config->type == TYPE_TRANSPORT)
		ikev2_add_notify(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
}

bool ikev2_read_child_answer(struct ike_sa *ike, struct child_sa *ch, const struct alg_proposals *esp,
			     const struct ikev2_msg *m)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *tsip = ikev2_find(m, PT_TSi),
		*tsrp = ikev2_find(m, PT_TSr);
	static struct ikev2_sa_payload sa;
	struct ikev2_ts_payload tsi, tsr;
	uint8_t spi[IKEV2_SPI_LEN], spi_len;
	if (sap == NULL || tsip == NULL || tsrp == NULL || !ikev2_parse_sa(sap, &sa, &d) ||
	    !ikev2_parse_ts(tsip, &tsi, &d) || !ikev2_parse_ts(tsrp, &tsr, &d) ||
	    !ikev2_sa_accepted(&sa, esp, PROTO_ESP, ikev2_esn_policy(ike),
			       &ch->alg, &ch->esn, spi, &spi_len, &d) || spi_len != 4) {
		child_log(ike, LL_ERROR, "the peer's child SA answer is not acceptable: %s",
			  diag_oneline(&d, "missing SA or TS payload"));
		return false;
	}
	if (tsi.n < 1 || tsr.n < 1 || !ts_exact_subnet(&tsi.ts[0], &ch->local_net) ||
	    !ts_exact_subnet(&tsr.ts[0], &ch->remote_net)) {
		child_log(ike, LL_ERROR, "the peer's traffic selectors are not whole subnets");
		return false;
	}
	struct ikev2_ts_payload ours;
	ts_from_subnet(&ike->ends.local_net, &ours);
	if (!ts_covers(&ours.ts[0], &ch->local_net)) {
		child_log(ike, LL_ERROR, "the peer narrowed TSi outside what we proposed");
		return false;
	}
	ts_from_subnet(&ike->ends.remote_net, &ours);
	if (!ts_covers(&ours.ts[0], &ch->remote_net)) {
		child_log(ike, LL_ERROR, "the peer narrowed TSr outside what we proposed");
		return false;
	}
	ch->spi_out = ikev2_get_be32(spi);
	ch->transport = ike->c->config->type == TYPE_TRANSPORT && ikev2_has_notify(m, N_USE_TRANSPORT_MODE);
	return true;
}

/* ---- responder ---- */

/* The peer's order decides, except that for an SA meant for the NIC a
 * proposal the device is known to offload wins over any other. */
static bool choose_child_alg(struct ike_sa *ike, struct child_sa *ch, const struct alg_proposals *esp,
			     const struct ikev2_sa_payload *offered, struct ikev2_sa_payload *chosen)
{
	static struct alg_proposals offloadable;
	offloadable.n = 0;
	if (ike->c->offload.mode != HW_OFFLOAD_NO) {
		offloadable = *esp;
		offload_keep_known(offload_probe_for(kernel, &ike->ends.local), &offloadable);
	}
	int esn = ikev2_esn_policy(ike);
	return (offloadable.n > 0 &&
		ikev2_sa_choose(offered, &offloadable, PROTO_ESP, esn, chosen, &ch->alg, &ch->esn)) ||
	       ikev2_sa_choose(offered, esp, PROTO_ESP, esn, chosen, &ch->alg, &ch->esn);
}

uint16_t ikev2_choose_child(struct ike_sa *ike, struct child_sa *ch, const struct alg_proposals *esp,
			    const struct ikev2_msg *m, struct ikev2_sa_payload *chosen)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *tsip = ikev2_find(m, PT_TSi),
		*tsrp = ikev2_find(m, PT_TSr);
	static struct ikev2_sa_payload offered;
	struct ikev2_ts_payload tsi, tsr;
	const struct conn_config *cfg = ike->c->config;
	if (sap == NULL || tsip == NULL || tsrp == NULL || !ikev2_parse_sa(sap, &offered, &d) ||
	    !ikev2_parse_ts(tsip, &tsi, &d) || !ikev2_parse_ts(tsrp, &tsr, &d)) {
		child_log(ike, LL_ERROR, "the child SA request is malformed: %s", diag_oneline(&d, "missing SA or TS payload"));
		return N_INVALID_SYNTAX;
	}
	if (!choose_child_alg(ike, ch, esp, &offered, chosen)) {
		child_log(ike, LL_ERROR, "none of the peer's ESP proposals is acceptable (esp=%s)",
			  cfg->esp != NULL ? cfg->esp : "default");
		return N_NO_PROPOSAL_CHOSEN;
	}
	/* The peer's SPI is in the offered proposal the choice came from. */
	for (size_t i = 0; i < offered.n; i++) {
		if (offered.prop[i].num == chosen->prop[0].num && offered.prop[i].spi_len == 4)
			ch->spi_out = ikev2_get_be32(offered.prop[i].spi);
	}
	if (!any_ts_covers(&tsi, &ike->ends.remote_net) || !any_ts_covers(&tsr, &ike->ends.local_net)) {
		char l[ADDRESS_STR_MAX], r[ADDRESS_STR_MAX];
		child_log(ike, LL_ERROR, "the peer's traffic selectors do not cover %s <=> %s",
			  subnet_str(&ike->ends.local_net, l), subnet_str(&ike->ends.remote_net, r));
		return N_TS_UNACCEPTABLE;
	}
	ch->local_net = ike->ends.local_net;
	ch->remote_net = ike->ends.remote_net;
	ch->transport = cfg->type == TYPE_TRANSPORT && ikev2_has_notify(m, N_USE_TRANSPORT_MODE);
	ch->spi_in = ikev2_new_esp_spi();
	ikev2_put_be32(chosen->prop[0].spi, ch->spi_in);
	chosen->prop[0].spi_len = 4;
	return 0;
}

bool ikev2_ts_fit(const struct ikev2_msg *m, const struct ends *ends)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *tsip = ikev2_find(m, PT_TSi), *tsrp = ikev2_find(m, PT_TSr);
	struct ikev2_ts_payload tsi, tsr;
	return tsip != NULL && tsrp != NULL && ikev2_parse_ts(tsip, &tsi, &d) && ikev2_parse_ts(tsrp, &tsr, &d) &&
	       any_ts_covers(&tsi, &ends->remote_net) && any_ts_covers(&tsr, &ends->local_net);
}

void ikev2_add_child_answer(struct ike_sa *ike, const struct child_sa *ch, struct ikev2_builder *b,
			    const struct ikev2_sa_payload *chosen)
{
	(void)ike;
	ikev2_add_sa(b, chosen);
	add_ts_pair(b, &ch->remote_net, &ch->local_net);	/* TSi is the initiator's side */
	if (ch->transport)
		ikev2_add_notify(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
}
