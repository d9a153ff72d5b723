/* conn_config_diff.c: whether two configs of a conn ask for the same
 * thing (ipsecconf.h), for a reload that must leave unchanged conns, and
 * their tunnels, alone. Where the conn is written (file, line) is not
 * part of it: a conn that only moved in the file is unchanged. */
#include <stdio.h>
#include <string.h>
#include "ipsecconf.h"

static bool str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool subnet_same(const ip_subnet *a, const ip_subnet *b)
{
	return a->prefixlen == b->prefixlen && address_eq(&a->addr, &b->addr);
}

static bool proposals_same(const struct alg_proposals *a, const struct alg_proposals *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n * sizeof(a->p[0])) == 0;
}

/* An end written as a name or %defaultroute has its address filled in by
 * pluto after loading: what was written is what counts. */
static bool host_same(const struct end_config *a, const struct end_config *b)
{
	if (!str_same(a->host_text, b->host_text) || a->host_any != b->host_any ||
	    a->host_dns != b->host_dns || a->host_defaultroute != b->host_defaultroute)
		return false;
	return a->host_any || a->host_dns || a->host_defaultroute || address_eq(&a->host, &b->host);
}

static bool subnets_same(const struct end_config *a, const struct end_config *b)
{
	if (a->has_subnet != b->has_subnet || (a->has_subnet && !subnet_same(&a->subnet, &b->subnet)) ||
	    a->nsubnets != b->nsubnets)
		return false;
	for (unsigned i = 0; i < a->nsubnets && i < IPSEC_SUBNETS_MAX; i++)
		if (!subnet_same(&a->subnets[i], &b->subnets[i]))
			return false;
	return true;
}

/* The keyword (without left/right) of the first difference; NULL if none. */
static const char *end_change(const struct end_config *a, const struct end_config *b)
{
	if (!host_same(a, b))
		return "";
	if (!subnets_same(a, b))
		return "subnet";
	if (!str_same(a->id, b->id))
		return "id";
	if (a->has_sourceip != b->has_sourceip || (a->has_sourceip && !address_eq(&a->sourceip, &b->sourceip)))
		return "sourceip";
	if (!str_same(a->updown, b->updown))
		return "updown";
	if (!protoport_eq(&a->protoport, &b->protoport))
		return "protoport";
	return NULL;
}

#define DIFFERS(field) (a->field != b->field)

/* The first conn-wide keyword that differs; NULL if none. */
static const char *conn_change(const struct conn_config *a, const struct conn_config *b)
{
	if (DIFFERS(authby)) return "authby";
	if (DIFFERS(auto_mode)) return "auto";
	if (DIFFERS(type)) return "type";
	if (DIFFERS(phase2)) return "phase2";
	if (!str_same(a->ike, b->ike) || !proposals_same(a->ike_proposals, b->ike_proposals)) return "ike";
	if (!str_same(a->esp, b->esp) || !proposals_same(a->esp_proposals, b->esp_proposals)) return "esp";
	if (DIFFERS(ikelifetime)) return "ikelifetime";
	if (DIFFERS(salifetime)) return "salifetime";
	if (DIFFERS(ipsec_max_bytes)) return "ipsec-max-bytes";
	if (DIFFERS(ipsec_max_packets)) return "ipsec-max-packets";
	if (DIFFERS(rekey)) return "rekey";
	if (DIFFERS(rekeymargin)) return "rekeymargin";
	if (DIFFERS(rekeyfuzz)) return "rekeyfuzz";
	if (DIFFERS(dpddelay)) return "dpddelay";
	if (DIFFERS(dpdtimeout)) return "dpdtimeout";
	if (DIFFERS(dpdaction)) return "dpdaction";
	if (DIFFERS(retransmit_timeout)) return "retransmit-timeout";
	if (DIFFERS(retransmit_interval_ms)) return "retransmit-interval";
	if (DIFFERS(pfs)) return "pfs";
	if (DIFFERS(esn)) return "esn";
	if (DIFFERS(encapsulation)) return "encapsulation";
	if (DIFFERS(nat_keepalive)) return "nat-keepalive";
	if (DIFFERS(tfc)) return "tfc";
	if (DIFFERS(replay_window)) return "replay-window";
	if (DIFFERS(narrowing)) return "narrowing";
	if (DIFFERS(fragmentation)) return "fragmentation";
	if (DIFFERS(hw_offload)) return "hw_offload";
	if (DIFFERS(hw_offload_fallback)) return "hw_offload_fallback";
	if (DIFFERS(hw_offload_priority)) return "hw_offload_priority";
	return NULL;
}

bool conn_config_same(const struct conn_config *a, const struct conn_config *b, char *what, size_t len)
{
	const char *end;
	if ((end = end_change(&a->left, &b->left)) != NULL)
		snprintf(what, len, "left%s", end);
	else if ((end = end_change(&a->right, &b->right)) != NULL)
		snprintf(what, len, "right%s", end);
	else if ((end = conn_change(a, b)) != NULL)
		snprintf(what, len, "%s", end);
	else
		return true;
	return false;
}
