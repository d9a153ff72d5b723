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
const struct alg_proposals *ikev2_child_proposals(const struct ike_sa *ike, const struct tunnel *t,
						  enum dh_id pfs_group, struct alg_proposals *out)
{
	*out = *t->c->config->esp_proposals;
	for (size_t i = 0; i < out->n; i++) {
		if (pfs_group == DH_NONE || out->p[i].dh == DH_NONE)
			out->p[i].dh = pfs_group;
	}
	if (t->c->offload.mode != HW_OFFLOAD_NO)
		offload_order_proposals(offload_probe_for(kernel, &ike->ends.local), out);
	return out;
}

/* ESN as the conn asks (esn=yes|no), else either; but many NICs cannot
 * offload ESN (netdevsim, and libreswan's default ESN is why its offload
 * fails out of the box), so an SA meant for the NIC asks for none unless a
 * probe showed the device takes ESN: the initiator offers none, the
 * responder picks none whenever the peer allows it. */
int ikev2_esn_policy(const struct ike_sa *ike, const struct tunnel *t)
{
	const struct connection *c = t->c;
	if (c->config->esn != YNA_AUTO)
		return c->config->esn == YNA_YES ? 1 : 0;
	if (c->offload.mode == HW_OFFLOAD_NO || offload_probe_esn(offload_probe_for(kernel, &ike->ends.local)))
		return 2;
	return ike->initiator ? 0 : 3;
}

/* ---- traffic selectors ---- */

/* One side of a child's traffic: a subnet, and its protocol and ports. */
struct ts_side {
	ip_subnet net;
	struct protoport pp;
};

/* The sides a child asks for: a rekey keeps those of the child it
 * replaces (narrowed, maybe), which the caller put in ch; a new child
 * has the conn's. */
static void wanted_sides(const struct tunnel *t, const struct child_sa *ch,
			 struct ts_side *local, struct ts_side *remote)
{
	if (ch->local_net.addr.family != 0) {
		*local = (struct ts_side){ ch->local_net, ch->local_pp };
		*remote = (struct ts_side){ ch->remote_net, ch->remote_pp };
	} else {
		*local = (struct ts_side){ t->ends.local_net, t->ends.local_pp };
		*remote = (struct ts_side){ t->ends.remote_net, t->ends.remote_pp };
	}
}

static void ts_from_side(const struct ts_side *side, struct ikev2_ts *t)
{
	const ip_subnet *s = &side->net;
	*t = (struct ikev2_ts){ .type = s->addr.family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE,
				.ipproto = side->pp.proto,
				.start_port = side->pp.port, .end_port = side->pp.port != 0 ? side->pp.port : 65535,
				.start = s->addr, .end = s->addr };
	unsigned bits = address_bits(&s->addr);
	for (unsigned i = s->prefixlen; i < bits; i++)
		t->end.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

/* Whether t covers all of side (its addresses, protocol and ports). */
static bool ts_covers(const struct ikev2_ts *t, const struct ts_side *side)
{
	struct ikev2_ts mine;
	ts_from_side(side, &mine);
	size_t n = address_bits(&side->net.addr) / 8;
	return t->start.family == side->net.addr.family &&
	       (t->ipproto == 0 || t->ipproto == mine.ipproto) &&
	       t->start_port <= mine.start_port && t->end_port >= mine.end_port &&
	       memcmp(t->start.bytes, mine.start.bytes, n) <= 0 &&
	       memcmp(t->end.bytes, mine.end.bytes, n) >= 0;
}

static bool ts_equals(const struct ikev2_ts *t, const struct ts_side *side)
{
	struct ikev2_ts mine;
	ts_from_side(side, &mine);
	size_t n = address_bits(&side->net.addr) / 8;
	return t->start.family == side->net.addr.family && t->ipproto == mine.ipproto &&
	       t->start_port == mine.start_port && t->end_port == mine.end_port &&
	       memcmp(t->start.bytes, mine.start.bytes, n) == 0 && memcmp(t->end.bytes, mine.end.bytes, n) == 0;
}

/* RFC 7296 2.9: with narrowing=yes the responder takes its own side when
 * one of the peer's selectors covers it; with narrowing=no (libreswan's
 * default) one of them must be exactly it. */
static bool any_ts_fits(const struct ikev2_ts_payload *ts, const struct ts_side *side, bool narrowing)
{
	for (size_t i = 0; i < ts->n; i++) {
		if (narrowing ? ts_covers(&ts->ts[i], side) : ts_equals(&ts->ts[i], side))
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

/* The TS the responder sends back, as a side: a subnet it names exactly,
 * whose address has no bits set past its prefix (192.0.2.1 alone is
 * 192.0.2.1/32, never /31), and one port or all of them. */
static bool ts_exact_side(const struct ikev2_ts *t, struct ts_side *side)
{
	if (t->start_port == 0 && t->end_port == 65535)
		side->pp = (struct protoport){ t->ipproto, 0 };
	else if (t->start_port == t->end_port && t->ipproto != 0 && proto_has_ports(t->ipproto))
		side->pp = (struct protoport){ t->ipproto, t->start_port };
	else
		return false;
	unsigned bits = address_bits(&t->start);
	for (unsigned len = 0; len <= bits; len++) {
		if (!host_bits_clear(&t->start, len))
			continue;
		side->net = (ip_subnet){ .addr = t->start, .prefixlen = len };
		struct ikev2_ts p;
		ts_from_side(side, &p);
		if (memcmp(p.end.bytes, t->end.bytes, bits / 8) == 0)
			return true;
	}
	return false;
}

static void add_ts_pair(struct ikev2_builder *b, const struct ts_side *initiator, const struct ts_side *responder)
{
	struct ikev2_ts_payload tsi = { .n = 1 }, tsr = { .n = 1 };
	ts_from_side(initiator, &tsi.ts[0]);
	ts_from_side(responder, &tsr.ts[0]);
	ikev2_add_ts(b, PT_TSi, &tsi);
	ikev2_add_ts(b, PT_TSr, &tsr);
}

static void side_str(const struct ts_side *side, char buf[ADDRESS_STR_MAX + PROTOPORT_STR_MAX + 1])
{
	char a[ADDRESS_STR_MAX], p[PROTOPORT_STR_MAX];
	protoport_str(&side->pp, p);
	snprintf(buf, ADDRESS_STR_MAX + PROTOPORT_STR_MAX + 1, "%s%s%s", subnet_str(&side->net, a), p[0] ? ":" : "", p);
}

static void child_take_sides(struct child_sa *ch, const struct ts_side *local, const struct ts_side *remote)
{
	ch->local_net = local->net;
	ch->local_pp = local->pp;
	ch->remote_net = remote->net;
	ch->remote_pp = remote->pp;
}

void ikev2_child_keep_selectors(struct child_sa *made, const struct child_sa *old)
{
	struct ts_side local = { old->local_net, old->local_pp }, remote = { old->remote_net, old->remote_pp };
	child_take_sides(made, &local, &remote);
}

void ikev2_child_pair_selectors(const struct tunnel *t, struct child_sa *ch)
{
	struct ts_side local = { .pp = t->ends.local_pp }, remote = { .pp = t->ends.remote_pp };
	ends_pair(&t->ends, t->pair, &local.net, &remote.net);
	child_take_sides(ch, &local, &remote);
}

/* ---- initiator ---- */

void ikev2_add_child_request(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			     const struct alg_proposals *esp, struct ikev2_builder *b)
{
	uint8_t spi[4];
	ch->spi_in = ikev2_new_esp_spi();
	ikev2_put_be32(spi, ch->spi_in);
	static struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(esp, PROTO_ESP, spi, 4, ikev2_esn_policy(ike, t), &sa);
	ikev2_add_sa(b, &sa);
	struct ts_side local, remote;
	wanted_sides(t, ch, &local, &remote);
	add_ts_pair(b, &local, &remote);
	if (t->c->config->type == TYPE_TRANSPORT)
		ikev2_add_notify(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
}

/* What the responder answered for one side: what we proposed or, with
 * narrowing=yes, a part of it. */
static bool answer_side_ok(struct ike_sa *ike, const struct tunnel *tun, const struct child_sa *ch, const char *which,
			   const struct ts_side *asked, const struct ts_side *got)
{
	char a[ADDRESS_STR_MAX + PROTOPORT_STR_MAX + 1], g[ADDRESS_STR_MAX + PROTOPORT_STR_MAX + 1];
	struct ikev2_ts t;
	ts_from_side(asked, &t);
	bool equal = ts_equals(&t, got);
	if (equal || (tun->c->config->narrowing && ts_covers(&t, got)))
		return true;
	side_str(asked, a);
	side_str(got, g);
	if (ts_covers(&t, got))
		child_log(ike, tun, ch, LL_ERROR, "the peer narrowed %s from %s to %s, and this conn has narrowing=no", which, a, g);
	else
		child_log(ike, tun, ch, LL_ERROR, "the peer answered %s with %s, outside the %s we proposed", which, g, a);
	return false;
}

bool ikev2_read_child_answer(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			     const struct alg_proposals *esp, const struct ikev2_msg *m)
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
	    !ikev2_sa_accepted(&sa, esp, PROTO_ESP, ikev2_esn_policy(ike, t),
			       &ch->alg, &ch->esn, spi, &spi_len, &d) || spi_len != 4) {
		child_log(ike, t, ch, LL_ERROR, "the peer's child SA answer is not acceptable: %s",
			  diag_oneline(&d, "missing SA or TS payload"));
		return false;
	}
	struct ts_side local, remote, got_local, got_remote;
	wanted_sides(t, ch, &local, &remote);
	if (tsi.n < 1 || tsr.n < 1 || !ts_exact_side(&tsi.ts[0], &got_local) ||
	    !ts_exact_side(&tsr.ts[0], &got_remote)) {
		child_log(ike, t, ch, LL_ERROR, "the peer's traffic selectors are not whole subnets with one port or all");
		return false;
	}
	if (!answer_side_ok(ike, t, ch, "TSi", &local, &got_local) ||
	    !answer_side_ok(ike, t, ch, "TSr", &remote, &got_remote))
		return false;
	child_take_sides(ch, &got_local, &got_remote);
	ch->spi_out = ikev2_get_be32(spi);
	ch->transport = t->c->config->type == TYPE_TRANSPORT && ikev2_has_notify(m, N_USE_TRANSPORT_MODE);
	return true;
}

/* ---- responder ---- */

/* The peer's order decides, except that for an SA meant for the NIC a
 * proposal the device is known to offload wins over any other. */
static bool choose_child_alg(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			     const struct alg_proposals *esp, const struct ikev2_sa_payload *offered,
			     struct ikev2_sa_payload *chosen)
{
	static struct alg_proposals offloadable;
	offloadable.n = 0;
	if (t->c->offload.mode != HW_OFFLOAD_NO) {
		offloadable = *esp;
		offload_keep_known(offload_probe_for(kernel, &ike->ends.local), &offloadable);
	}
	int esn = ikev2_esn_policy(ike, t);
	return (offloadable.n > 0 &&
		ikev2_sa_choose(offered, &offloadable, PROTO_ESP, esn, chosen, &ch->alg, &ch->esn)) ||
	       ikev2_sa_choose(offered, esp, PROTO_ESP, esn, chosen, &ch->alg, &ch->esn);
}

uint16_t ikev2_choose_child(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch,
			    const struct alg_proposals *esp, const struct ikev2_msg *m, struct ikev2_sa_payload *chosen)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *sap = ikev2_find(m, PT_SA), *tsip = ikev2_find(m, PT_TSi),
		*tsrp = ikev2_find(m, PT_TSr);
	static struct ikev2_sa_payload offered;
	struct ikev2_ts_payload tsi, tsr;
	const struct conn_config *cfg = t->c->config;
	if (sap == NULL || tsip == NULL || tsrp == NULL || !ikev2_parse_sa(sap, &offered, &d) ||
	    !ikev2_parse_ts(tsip, &tsi, &d) || !ikev2_parse_ts(tsrp, &tsr, &d)) {
		child_log(ike, t, ch, LL_ERROR, "the child SA request is malformed: %s", diag_oneline(&d, "missing SA or TS payload"));
		return N_INVALID_SYNTAX;
	}
	if (!choose_child_alg(ike, t, ch, esp, &offered, chosen)) {
		child_log(ike, t, ch, LL_ERROR, "none of the peer's ESP proposals is acceptable (esp=%s)",
			  cfg->esp != NULL ? cfg->esp : "default");
		return N_NO_PROPOSAL_CHOSEN;
	}
	/* The peer's SPI is in the offered proposal the choice came from. */
	for (size_t i = 0; i < offered.n; i++) {
		if (offered.prop[i].num == chosen->prop[0].num && offered.prop[i].spi_len == 4)
			ch->spi_out = ikev2_get_be32(offered.prop[i].spi);
	}
	struct ts_side local, remote;
	wanted_sides(t, ch, &local, &remote);
	if (!any_ts_fits(&tsi, &remote, cfg->narrowing) || !any_ts_fits(&tsr, &local, cfg->narrowing)) {
		char l[ADDRESS_STR_MAX + PROTOPORT_STR_MAX + 1], r[ADDRESS_STR_MAX + PROTOPORT_STR_MAX + 1];
		side_str(&local, l);
		side_str(&remote, r);
		child_log(ike, t, ch, LL_ERROR, "the peer's traffic selectors %s %s <=> %s (narrowing=%s)",
			  cfg->narrowing ? "do not cover" : "are not exactly", l, r, cfg->narrowing ? "yes" : "no");
		return N_TS_UNACCEPTABLE;
	}
	child_take_sides(ch, &local, &remote);
	ch->transport = cfg->type == TYPE_TRANSPORT && ikev2_has_notify(m, N_USE_TRANSPORT_MODE);
	ch->spi_in = ikev2_new_esp_spi();
	ikev2_put_be32(chosen->prop[0].spi, ch->spi_in);
	chosen->prop[0].spi_len = 4;
	return 0;
}

bool ikev2_ts_fit_pair(const struct ikev2_msg *m, const struct ends *ends, bool narrowing, unsigned pair)
{
	struct diag d;
	diag_init(&d);
	const struct ikev2_payload *tsip = ikev2_find(m, PT_TSi), *tsrp = ikev2_find(m, PT_TSr);
	static struct ikev2_ts_payload tsi, tsr;
	if (tsip == NULL || tsrp == NULL || !ikev2_parse_ts(tsip, &tsi, &d) || !ikev2_parse_ts(tsrp, &tsr, &d))
		return false;
	struct ts_side local = { .pp = ends->local_pp }, remote = { .pp = ends->remote_pp };
	ends_pair(ends, pair, &local.net, &remote.net);
	return any_ts_fits(&tsi, &remote, narrowing) && any_ts_fits(&tsr, &local, narrowing);
}

bool ikev2_ts_fit(const struct ikev2_msg *m, const struct ends *ends, bool narrowing, unsigned *pair)
{
	for (unsigned k = 0; k < ends_npairs(ends); k++) {
		if (ikev2_ts_fit_pair(m, ends, narrowing, k)) {
			if (pair != NULL)
				*pair = k;
			return true;
		}
	}
	return false;
}

void ikev2_add_child_answer(struct ike_sa *ike, const struct child_sa *ch, struct ikev2_builder *b,
			    const struct ikev2_sa_payload *chosen)
{
	(void)ike;
	ikev2_add_sa(b, chosen);
	struct ts_side local = { ch->local_net, ch->local_pp }, remote = { ch->remote_net, ch->remote_pp };
	add_ts_pair(b, &remote, &local);	/* TSi is the initiator's side */
	if (ch->transport)
		ikev2_add_notify(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
}
