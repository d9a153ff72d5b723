/* status_brief.c: --showstates, --briefstatus, --globalstatus (status_brief.h). */
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include "child_sa.h"
#include "control.h"
#include "ike_crypto.h"
#include "ike_dos.h"
#include "ike_sa.h"
#include "kernel.h"
#include "pluto.h"
#include "status.h"
#include "status_brief.h"

/* libreswan's names and descriptions for the IKEv2 states ours map to. */
static const struct {
	const char *name, *what;
} lsw_states[IKE_STATE_COUNT] = {
	[IKE_I_INIT_SENT] = { "STATE_V2_PARENT_I1", "sent IKE_SA_INIT request" },
	[IKE_I_AUTH_SENT] = { "STATE_V2_PARENT_I2", "sent IKE_AUTH request" },
	[IKE_R_INIT_SENT] = { "STATE_V2_PARENT_R1", "sent IKE_SA_INIT reply" },
	[IKE_ESTABLISHED] = { "STATE_V2_ESTABLISHED_IKE_SA", "established IKE SA" },
	[IKE_DELETING] = { "STATE_V2_IKE_SA_DELETE", "deleting IKE SA" },
};

/* "; REKEY in 27777s" or "; EXPIRE in 60s": the SA's next timed event. */
static const char *next_event(time_t rekey_at, time_t expire_at, time_t now, char *buf, size_t len)
{
	buf[0] = '\0';
	if (rekey_at != 0 && (expire_at == 0 || rekey_at <= expire_at))
		snprintf(buf, len, "; REKEY in %llds", (long long)(rekey_at > now ? rekey_at - now : 0));
	else if (expire_at != 0)
		snprintf(buf, len, "; EXPIRE in %llds", (long long)(expire_at > now ? expire_at - now : 0));
	return buf;
}

static void child_lines(struct whack_session *s, const struct ike_sa *ike, const struct tunnel *t,
			const struct child_sa *ch, bool newest, time_t now)
{
	const char *name = t->c->config->name;
	const struct conn_config *cfg = t->c->config;
	char ev[64];
	time_t rekey_at = cfg->rekey && ch->soft_seconds != 0 ? ch->add_time + ch->soft_seconds : 0;
	whack_line(s, "#%u: \"%s\":%u STATE_V2_ESTABLISHED_CHILD_SA (established Child SA)%s;%s%s IKE SA #%u;",
		   ch->serial, name, ike->remote_port, next_event(rekey_at, ch->add_time + cfg->salifetime, now, ev, sizeof(ev)),
		   newest ? " newest;" : "", newest ? " eroute owner;" : "", ike->serial);
	char lo[ADDRESS_STR_MAX], re[ADDRESS_STR_MAX], off[300];
	const char *mode = ch->transport ? "" : " tun.0@%s tun.0@%s";
	char tun[2 * ADDRESS_STR_MAX + 32] = "";
	if (mode[0] != '\0')
		snprintf(tun, sizeof(tun), mode, address_str(&ike->ends.remote, re), address_str(&ike->ends.local, lo));
	whack_line(s, "#%u: \"%s\" esp.%x@%s esp.%x@%s%s Traffic: ESPin=%lluB ESPout=%lluB ESPmax=2^63B offload=%s",
		   ch->serial, name, ch->spi_out, address_str(&ike->ends.remote, re), ch->spi_in,
		   address_str(&ike->ends.local, lo), tun,
		   (unsigned long long)status_sa_bytes(&ike->ends.local, ch->spi_in),
		   (unsigned long long)status_sa_bytes(&ike->ends.remote, ch->spi_out),
		   child_sa_offload(ch, off, sizeof(off)));
}

void showstates_show(struct whack_session *s)
{
	time_t now = time(NULL);
	status_counters_begin();
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		char ev[64];
		whack_line(s, "#%u: \"%s\":%u %s (%s)%s;%s", ike->serial, ike->c->config->name, ike->remote_port,
			   lsw_states[ike->state].name, lsw_states[ike->state].what,
			   next_event(ike->ike_rekey_at, ike->ike_expire_at, now, ev, sizeof(ev)),
			   ike_sa_of_conn(ike->c->config->name) == ike ? " newest;" : "");
		for (unsigned k = 0; k < ike->ntunnels; k++) {
			const struct tunnel *t = &ike->tunnels[k];
			if (t->child.installed)
				child_lines(s, ike, t, &t->child, true, now);
			for (int i = 0; i < CHILD_RETIRING_MAX; i++) {
				if (t->retiring[i].installed)
					child_lines(s, ike, t, &t->retiring[i], false, now);
			}
		}
	}
	status_counters_end();
}

/* The counts libreswan's briefstatus and globalstatus show: half-open is
 * IKE_SA_INIT under way, open is IKE_AUTH under way, authenticated is
 * established (or being deleted). There are no anonymous SAs: every peer
 * authenticates. */
struct sa_counts {
	unsigned ike, halfopen, open, authenticated, ipsec, active_conns;
};

static struct sa_counts count_sas(void)
{
	struct sa_counts n = {0};
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		n.ike++;
		if (ike->state == IKE_I_INIT_SENT || ike->state == IKE_R_INIT_SENT)
			n.halfopen++;
		else if (ike->state == IKE_I_AUTH_SENT)
			n.open++;
		else
			n.authenticated++;
	}
	n.ipsec = child_sa_count();
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		const struct ike_sa *ike = ike_sa_carrying(c->config->name, 0);
		if (ike != NULL && ike_sa_conn_up(ike, c->config->name, 0))
			n.active_conns++;
	}
	return n;
}

void briefstatus_show(struct whack_session *s)
{
	struct sa_counts n = count_sas();
	whack_line(s, "Total IPsec connections: loaded %zu, active %u", conn_count(), n.active_conns);
	whack_line(s, "IKE SAs: total(%u), half-open(%u), open(%u), authenticated(%u), anonymous(0)",
		   n.ike, n.halfopen, n.open, n.authenticated);
	whack_line(s, "IPsec SAs: total(%u), authenticated(%u), anonymous(0)", n.ipsec, n.ipsec);
}

/* libreswan's words; the mode NSS reports now, not what the config asked. */
void fipsstatus_show(struct whack_session *s)
{
	bool asked = pluto.conf != NULL && pluto.conf->setup.fips;
	if (ike_crypto_fips())
		whack_line(s, "FIPS mode enabled (NSS runs in FIPS mode%s)", asked ? "; fips=yes" : "");
	else
		whack_line(s, "FIPS mode disabled (NSS is not in FIPS mode; fips=%s)", asked ? "yes" : "no");
}

void globalstatus_show(struct whack_session *s)
{
	struct sa_counts n = count_sas();
	const struct config_setup *d = ike_dos_settings();
	whack_line(s, "config.setup.ike.ddos_threshold=%u", d->ddos_ike_threshold);
	whack_line(s, "config.setup.ike.max_halfopen=%u", d->max_halfopen_ike);
	whack_line(s, "current.states.all=%u", n.ike + n.ipsec);
	whack_line(s, "current.states.ipsec=%u", n.ipsec);
	whack_line(s, "current.states.ike=%u", n.ike);
	whack_line(s, "current.states.shunts=0");
	whack_line(s, "current.states.iketype.anonymous=0");
	whack_line(s, "current.states.iketype.authenticated=%u", n.authenticated);
	whack_line(s, "current.states.iketype.halfopen=%u", n.halfopen);
	whack_line(s, "current.states.iketype.open=%u", n.open);
	/* ours, after libreswan's */
	whack_line(s, "config.setup.ike.max_halfopen_per_peer=%u", d->max_halfopen_ike_per_peer);
	whack_line(s, "config.setup.ike.halfopen_timeout=%u", d->halfopen_ike_timeout);
	whack_line(s, "current.connections.loaded=%zu", conn_count());
	whack_line(s, "current.connections.active=%u", n.active_conns);
	whack_line(s, "current.ike.halfopen_counted=%u", ike_dos_halfopen_total());
}
