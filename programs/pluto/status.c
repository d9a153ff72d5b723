/* status.c: one block of lines per conn, prefixed with its name as
 * libreswan's --status does, so grep "\"name\":" shows one conn whole. */
#include <stdio.h>
#include <string.h>
#include "alg.h"
#include "connections.h"
#include "control.h"
#include "ipsecconf.h"
#include "pluto.h"
#include "status.h"

/* "192.0.2.0/24===192.168.7.1[@west]" for one end; right ends read mirrored. */
static void end_text(const struct end_config *e, bool left, char *buf, size_t len)
{
	char host[ADDRESS_STR_MAX + 1] = "%any", net[ADDRESS_STR_MAX] = "", id[160] = "";
	if (!e->host_any)
		address_str(&e->host, host);
	if (e->has_subnet)
		subnet_str(&e->subnet, net);
	if (e->id != NULL)
		snprintf(id, sizeof(id), "[%s]", e->id);
	if (left)
		snprintf(buf, len, "%s%s%s%s", net, net[0] ? "===" : "", host, id);
	else
		snprintf(buf, len, "%s%s%s%s", host, id, net[0] ? "===" : "", net);
}

static void conn_status(struct whack_session *s, const struct connection *conn)
{
	const struct conn_config *c = conn->config;
	char l[400], r[400], algs[1024];
	end_text(&c->left, true, l, sizeof(l));
	end_text(&c->right, false, r, sizeof(r));
	whack_line(s, "\"%s\": %s...%s; %s; auto=%s; IKE SA: none; IPsec SA: none",
		   c->name, l, r, c->type == TYPE_TUNNEL ? "tunnel" : "transport",
		   auto_mode_name(c->auto_mode));
	whack_line(s, "\"%s\":   ike=%s: %s", c->name, c->ike != NULL ? c->ike : "(default)",
		   alg_proposals_name(&c->ike_proposals, true, algs, sizeof(algs)));
	whack_line(s, "\"%s\":   esp=%s: %s", c->name, c->esp != NULL ? c->esp : "(default)",
		   alg_proposals_name(&c->esp_proposals, false, algs, sizeof(algs)));
	whack_line(s, "\"%s\":   authby=secret; phase2=%s; pfs=%s; esn=%s; encapsulation=%s; tfc=%u",
		   c->name, c->phase2 == PHASE2_AH ? "ah" : "esp", c->pfs ? "yes" : "no",
		   yna_name(c->esn, "either"), yna_name(c->encapsulation, "auto"), c->tfc);
	whack_line(s, "\"%s\":   ikelifetime=%us; salifetime=%us; rekey=%s; rekeymargin=%us; dpddelay=%us; dpdtimeout=%us",
		   c->name, c->ikelifetime, c->salifetime, c->rekey ? "yes" : "no",
		   c->rekeymargin, c->dpddelay, c->dpdtimeout);
	const char *why = conn->offload.software_why;
	whack_line(s, "\"%s\":   hw_offload=%s; hw_offload_fallback=%s%s%s%s", c->name,
		   hw_offload_name(c->hw_offload), c->hw_offload_fallback ? "yes" : "no",
		   why[0] ? "; SAs run in software (" : "", why, why[0] ? ")" : "");
}

void status_show(struct whack_session *s)
{
	bool fips = pluto.conf != NULL && pluto.conf->setup.fips;
	whack_line(s, "pluto: config %s; secrets %s; rundir %s; fips=%s",
		   pluto.config_path, pluto.secrets_path, pluto.rundir, fips ? "yes" : "no");
	whack_line(s, "Connection list: %zu loaded", conn_count());
	for (struct connection *c = conn_first(); c != NULL; c = c->next)
		conn_status(s, c);
	whack_line(s, "Total IKE SAs: 0; IPsec SAs: 0");
}

/* No tunnel is negotiated yet, so there is no SA to list; the JSON form is
 * still a well-formed (empty) array for scripts. */
void trafficstatus_show(struct whack_session *s, bool json)
{
	if (json)
		whack_line(s, "[]");
}
