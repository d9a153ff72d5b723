/* status.c: one block of lines per conn, prefixed with its name as
 * libreswan's --status does, so grep "\"name\":" shows one conn whole. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include "alg.h"
#include "escape.h"
#include "ike_dos.h"
#include "ike_id.h"
#include "child_sa.h"
#include "ike_sa.h"
#include "ikev2.h"
#include "kernel.h"
#include "connections.h"
#include "control.h"
#include "ipsecconf.h"
#include "natt.h"
#include "pluto.h"
#include "retry.h"
#include "sa_counters.h"
#include "offload_balance.h"
#include "status.h"

/* A side's subnets: "10.1.0.0/16", or a list as "{10.1.0.0/16 10.2.0.0/16}". */
static void subnets_text(const struct end_config *e, char *buf, size_t len)
{
	if (e->nsubnets < 2) {
		subnet_str(&e->subnet, buf);
		return;
	}
	size_t n = 0;
	for (unsigned i = 0; i < e->nsubnets && n < len; i++) {
		char one[ADDRESS_STR_MAX];
		int w = snprintf(buf + n, len - n, "%s%s", i == 0 ? "{" : " ", subnet_str(&e->subnets[i], one));
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < len)
		snprintf(buf + n, len - n, "}");
}

/* "192.0.2.0/24===192.168.7.1[@west]:17/1701" for one end (the
 * protocol and port as libreswan shows them); right ends read mirrored. A
 * host name or %defaultroute shows as the address found. */
static void end_text(const struct end_config *e, bool left, char *buf, size_t len)
{
	char host[300] = "%any", net[IPSEC_SUBNETS_MAX * (ADDRESS_STR_MAX + 1) + 2] = "", id[160] = "";
	char pp[PROTOPORT_STR_MAX + 1] = "";
	if (e->host.family != 0)	/* a name or %defaultroute as found */
		address_str(&e->host, host);
	else if (!e->host_any)
		snprintf(host, sizeof(host), "%s", e->host_text);	/* not found (yet) */
	if (e->has_subnet)
		subnets_text(e, net, sizeof(net));
	if (e->id != NULL)
		snprintf(id, sizeof(id), "[%s]", e->id);
	if (e->protoport.proto != 0)
		snprintf(pp, sizeof(pp), ":%s", protoport_str(&e->protoport, (char[PROTOPORT_STR_MAX]){0}));
	if (left)
		snprintf(buf, len, "%s%s%s%s%s", net, net[0] ? "===" : "", host, id, pp);
	else
		snprintf(buf, len, "%s%s%s%s%s", host, id, pp, net[0] ? "===" : "", net);
}

static const char *const ike_state_names[] = {
	[IKE_I_INIT_SENT] = "IKE_SA_INIT sent", [IKE_I_AUTH_SENT] = "IKE_AUTH sent",
	[IKE_R_INIT_SENT] = "IKE_SA_INIT answered", [IKE_ESTABLISHED] = "established",
	[IKE_DELETING] = "deleting",
};

/* "IKE SA #1 established; IPsec SA #2 installed": the SA carrying the
 * conn's (or instance's) tunnels, else the first of its responder's
 * half-open ones, with how many of those there are; the conn whose IKE
 * SA it is, when its tunnels joined another's. */
static const char *sa_state(const struct connection *c)
{
	static char buf[1000];	/* a serial for each of up to 64 pairs */
	const char *name = c->config->name;
	struct ike_sa *ike = ike_sa_carrying(name, c->instance);
	unsigned halfopen = 0;
	for (struct ike_sa *h = ike_sa_next_of_conn(NULL, name); h != NULL; h = ike_sa_next_of_conn(h, name)) {
		if (h->c->instance == c->instance && h->state == IKE_R_INIT_SENT && halfopen++ == 0 && ike == NULL)
			ike = h;
	}
	if (ike == NULL)
		return "IKE SA: none; IPsec SA: none";
	int n = snprintf(buf, sizeof(buf), "IKE SA #%u %s; IPsec SA", ike->serial, ike_state_names[ike->state]);
	unsigned up = 0, pairs = 0;
	for (unsigned k = 0; k < ike->ntunnels && n > 0 && (size_t)n < sizeof(buf); k++) {
		const struct tunnel *t = &ike->tunnels[k];
		if (!tunnel_of_conn(t, name, c->instance))
			continue;
		pairs++;
		if (t->child.installed)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s #%u", up++ == 0 ? "" : ",", t->child.serial);
	}
	if (n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s", up == 0 ? ": none" : " installed");
	if (up > 0 && pairs > 1 && n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " (%u of %u subnet pairs)", up, pairs);
	if (strcmp(ike->c->config->name, name) != 0 && n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "; over the IKE SA of \"%s\"%s", ike->c->config->name,
			      ike->c->instance_text);
	if (halfopen > 1 && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, "; %u half-open IKE SAs", halfopen);
	return buf;
}

/* "in 12 s", or "now" once due. */
static const char *due_in(time_t at, time_t now, char *buf, size_t len)
{
	if (at <= now)
		snprintf(buf, len, "now");
	else
		snprintf(buf, len, "in %lld s", (long long)(at - now));
	return buf;
}

/* An established tunnel's life: rekeying now, or when the next rekeys
 * (or, with rekey=no, the expiries) are due. */
static void lifecycle_status(struct whack_session *s, const struct connection *conn)
{
	const char *name = conn->config->name;
	const struct ike_sa *ike = ike_sa_carrying(name, conn->instance);
	if (ike == NULL || ike->state != IKE_ESTABLISHED || !ike_sa_conn_up(ike, name, conn->instance))
		return;
	const struct conn_config *c = conn->config;	/* the config its tunnels run by */
	time_t now = time(NULL), next = 0;
	char child[64], ike_sa[64];
	const char *busy = ikev2_rekey_under_way(ike);
	for (unsigned k = 0; k < ike->ntunnels; k++) {	/* the first child of the conn due */
		const struct tunnel *t = &ike->tunnels[k];
		if (!t->child.installed || !tunnel_of_conn(t, name, conn->instance))
			continue;
		c = t->c->config;
		time_t at = t->child.add_time + (c->rekey ? t->child.soft_seconds : c->salifetime);
		if (next == 0 || at < next)
			next = at;
	}
	due_in(next, now, child, sizeof(child));
	due_in(ike->ike_rekey_at != 0 ? ike->ike_rekey_at : ike->ike_expire_at, now, ike_sa, sizeof(ike_sa));
	whack_line(s, "\"%s\"%s:   %s%s; IPsec SA %s %s; IKE SA %s %s", name, conn->instance_text, busy != NULL ? "up, rekeying " : "up",
		   busy != NULL ? busy : "", c->rekey ? "rekey" : "expires", child,
		   ike->ike_rekey_at != 0 ? "rekey" : "expires", ike_sa);
	char id[IKE_ID_SHOWN_MAX];
	whack_line(s, "\"%s\"%s:   peer '%s' authenticated with %s", name, conn->instance_text,
		   id_shown(ike->ends.remote_id, id, sizeof(id)), ike->peer_auth);
	char nat[160];
	if (natt_status(ike, nat, sizeof(nat))[0] != '\0')
		whack_line(s, "\"%s\"%s:   %s", name, conn->instance_text, nat);
}

static void conn_status(struct whack_session *s, const struct connection *conn)
{
	const struct conn_config *c = conn->config;
	char l[1200], r[1200], algs[1024];
	end_text(&c->left, true, l, sizeof(l));
	end_text(&c->right, false, r, sizeof(r));
	/* routed: its trap stands, or its tunnel in the trap's place */
	whack_line(s, "\"%s\": %s...%s; %s; auto=%s; %s; %s", c->name, l, r,
		   c->type == TYPE_TUNNEL ? "tunnel" : "transport", auto_mode_name(c->auto_mode),
		   conn->routed ? "routed" : "unrouted", sa_state(conn));
	/* The defaults are every combination of their parts: shown as the
	 * string they come from rather than as a list of 168 names. */
	if (c->ike != NULL)
		whack_line(s, "\"%s\":   ike=%s: %s", c->name, c->ike,
			   alg_proposals_name(c->ike_proposals, true, algs, sizeof(algs)));
	else
		whack_line(s, "\"%s\":   ike=(default): any combination of %s", c->name, ALG_DEFAULT_IKE);
	if (c->esp != NULL)
		whack_line(s, "\"%s\":   esp=%s: %s", c->name, c->esp,
			   alg_proposals_name(c->esp_proposals, false, algs, sizeof(algs)));
	else
		whack_line(s, "\"%s\":   esp=(default): any combination of %s", c->name, ALG_DEFAULT_ESP);
	whack_line(s, "\"%s\":   authby=%s; phase2=%s; pfs=%s; esn=%s; encapsulation=%s; tfc=%u; fragmentation=%s",
		   c->name, authby_name(c->authby), c->phase2 == PHASE2_AH ? "ah" : "esp", c->pfs ? "yes" : "no",
		   yna_name(c->esn, "either"), yna_name(c->encapsulation, "auto"), c->tfc,
		   fragmentation_name(c->fragmentation));
	whack_line(s, "\"%s\":   ikelifetime=%us; salifetime=%us; rekey=%s; rekeymargin=%us; rekeyfuzz=%u%%; dpddelay=%us; dpdtimeout=%us; dpdaction=%s; retransmit-timeout=%us; retransmit-interval=%ums",
		   c->name, c->ikelifetime, c->salifetime, c->rekey ? "yes" : "no",
		   c->rekeymargin, c->rekeyfuzz, c->dpddelay, c->dpdtimeout, dpd_action_name(c->dpdaction), c->retransmit_timeout,
		   c->retransmit_interval_ms);
	const char *why = conn->offload.software_why;
	whack_line(s, "\"%s\":   hw_offload=%s; hw_offload_fallback=%s%s%s%s", c->name,
		   hw_offload_name(c->hw_offload), c->hw_offload_fallback ? "yes" : "no",
		   why[0] ? "; SAs run in software (" : "", why, why[0] ? ")" : "");
	if (!conn->oriented)
		whack_line(s, "\"%s\":   not on this host: %s", c->name, conn_orient_why(conn));
	lifecycle_status(s, conn);
	char failed[1024];
	if (retry_status(&conn->retry, time(NULL), failed, sizeof(failed))[0] != '\0')
		whack_line(s, "\"%s\":   %s", c->name, failed);
}

/* "192.0.2.0/24===192.0.2.2[@east]" or "192.0.2.5[@road]===10.0.0.0/8":
 * an end as an instance has it, its subnet shown when it is more than the
 * host. */
static void instance_end_text(const ip_address *host, const ip_subnet *net, const char *id, bool left,
			      char *buf, size_t len)
{
	char h[ADDRESS_STR_MAX], n[ADDRESS_STR_MAX] = "", shown[IKE_ID_SHOWN_MAX];
	ip_subnet just_host = subnet_from_address(host);
	address_str(host, h);
	if (net->prefixlen != just_host.prefixlen || !address_eq(&net->addr, host))
		subnet_str(net, n);
	id_shown(id, shown, sizeof(shown));
	if (left)
		snprintf(buf, len, "%s%s%s[%s]", n, n[0] ? "===" : "", h, shown);
	else
		snprintf(buf, len, "%s[%s]%s%s", h, shown, n[0] ? "===" : "", n);
}

/* An instance of a template: its peer, its SAs and their life. */
static void instance_status(struct whack_session *s, const struct connection *conn)
{
	const struct ends *e = &conn->ends;
	char l[IKE_ID_SHOWN_MAX + 100], r[IKE_ID_SHOWN_MAX + 100];
	instance_end_text(&e->local, &e->local_net, e->local_id, true, l, sizeof(l));
	instance_end_text(&e->remote, &e->remote_net, e->remote_id, false, r, sizeof(r));
	whack_line(s, "\"%s\"%s: %s...%s; instance of \"%s\"; %s", conn->config->name, conn->instance_text, l, r,
		   conn->config->name, sa_state(conn));
	lifecycle_status(s, conn);
}

/* The instances of the conn named name, after the conn's own lines. */
static void instances_status(struct whack_session *s, const char *name)
{
	for (const struct connection *i = conn_first_instance(); i != NULL; i = i->next) {
		if (strcmp(i->config->name, name) == 0)
			instance_status(s, i);
	}
}

void connectionstatus_show(struct whack_session *s)
{
	whack_line(s, "Connection list: %zu loaded", conn_count());
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		conn_status(s, c);
		instances_status(s, c->config->name);
	}
}

void status_show(struct whack_session *s)
{
	bool fips = pluto.conf != NULL && pluto.conf->setup.fips;
	whack_line(s, "pluto: config %s; secrets %s; rundir %s; fips=%s",
		   pluto.config_path, pluto.secrets_path, pluto.rundir, fips ? "yes" : "no");
	connectionstatus_show(s);
	whack_line(s, "Total IKE SAs: %u; IPsec SAs: %u", ike_sa_count(), child_sa_count());
	const struct config_setup *d = ike_dos_settings();
	static const char *const modes[] = { [DDOS_AUTO] = "auto", [DDOS_BUSY] = "busy", [DDOS_UNLIMITED] = "unlimited" };
	whack_line(s, "Half-open IKE SAs: %u; cookies asked for: %s (ddos-mode=%s, ddos-ike-threshold=%u, max-halfopen-ike=%u, max-halfopen-ike-per-peer=%u, halfopen-ike-timeout=%us)",
		   ike_dos_halfopen_total(), ike_dos_busy(time(NULL)) ? "yes" : "no", modes[d->ddos_mode],
		   d->ddos_ike_threshold, d->max_halfopen_ike, d->max_halfopen_ike_per_peer, d->halfopen_ike_timeout);
}

/* While a listing runs (status_counters_begin), the counters come from one
 * dump; an SA the dump did not hold is asked for on its own. */
static struct sa_counters counters;

void status_counters_begin(void)
{
	sa_counters_load(&counters, kernel);
}

void status_counters_end(void)
{
	sa_counters_free(&counters);
}

uint64_t status_sa_bytes(const ip_address *dst, uint32_t spi)
{
	bool found = false;
	uint64_t bytes = counters.loaded ? sa_counters_bytes(&counters, dst, spi, &found) : 0;
	if (found)
		return bytes;
	struct kernel_sa_info info = {0};
	struct kernel_err e = {0};
	return kernel->get_sa(dst, spi, IPPROTO_ESP, &info, &e) == 0 ? info.bytes : 0;
}

/* The line of one IPsec SA, libreswan's shape plus the offload state; in
 * JSON, an element of the array that the first one opens. */
static void traffic_line(struct whack_session *s, const struct ike_sa *ike, const struct tunnel *t,
			 const struct child_sa *ch, bool json, bool first)
{
	const struct connection *c = t->c;
	uint64_t in = status_sa_bytes(&ike->ends.local, ch->spi_in), out = status_sa_bytes(&ike->ends.remote, ch->spi_out);
	char off[300], in_raw[SA_OFFLOAD_RAW_MAX], out_raw[SA_OFFLOAD_RAW_MAX];
	char in_off[ESCAPED_MAX(SA_OFFLOAD_RAW_MAX)], out_off[ESCAPED_MAX(SA_OFFLOAD_RAW_MAX)];
	if (!json) {
		char shown[IKE_ID_SHOWN_MAX], budget[80] = "";
		/* a tunnel asking for offload: its rate and rank (offload_balance.h) */
		if (child_sa_offload_policy(ike, t, ch)->mode != HW_OFFLOAD_NO) {
			offload_balance_status(t, budget + 2, sizeof(budget) - 2);
			memcpy(budget, ", ", 2);
		}
		whack_line(s, "#%u: \"%s\"%s, type=ESP, add_time=%lld, inBytes=%llu, outBytes=%llu, maxBytes=2^63B, id='%s'%s, offload=%s",
			   ch->serial, c->config->name, c->instance_text, (long long)ch->add_time, (unsigned long long)in,
			   (unsigned long long)out, id_shown(ike->ends.remote_id, shown, sizeof(shown)), budget,
			   child_sa_offload(ch, off, sizeof(off)));
		return;
	}
	char conn[300], id[ESCAPED_MAX(IKE_ID_TEXT_MAX)];
	whack_line(s, "%s{\"serial\": %u, \"conn\": \"%s\", \"instance\": %u, \"type\": \"ESP\", \"add_time\": %lld, "
		   "\"inBytes\": %llu, \"outBytes\": %llu, \"id\": \"%s\", \"spi_in\": \"%08x\", \"spi_out\": \"%08x\", "
		   "\"offload_in\": \"%s\", \"offload_out\": \"%s\"}",
		   first ? "[ " : ", ", ch->serial, json_escape(c->config->name, conn, sizeof(conn)), c->instance,
		   (long long)ch->add_time, (unsigned long long)in, (unsigned long long)out,
		   json_escape(ike->ends.remote_id, id, sizeof(id)), ch->spi_in, ch->spi_out,
		   json_escape(sa_offload_raw(&ch->offload[0], in_raw, sizeof(in_raw)), in_off, sizeof(in_off)),
		   json_escape(sa_offload_raw(&ch->offload[1], out_raw, sizeof(out_raw)), out_off, sizeof(out_off)));
}

/* One line per IPsec SA: the current child of each tunnel. */
void trafficstatus_show(struct whack_session *s, bool json)
{
	bool first = true;
	status_counters_begin();
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		for (unsigned k = 0; k < ike->ntunnels; k++) {
			if (ike->tunnels[k].child.installed) {
				traffic_line(s, ike, &ike->tunnels[k], &ike->tunnels[k].child, json, first);
				first = false;
			}
		}
	}
	status_counters_end();
	if (json)
		whack_line(s, "%s", first ? "[]" : "]");
}
