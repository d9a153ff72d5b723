/* ipsecconf.c: load ipsec.conf into structs, all or nothing.
 *
 * The work is split by concern: ipsecconf_reader.c reads the files,
 * ipsecconf_sections.c checks each entry and resolves also= and
 * %default, keywords.c knows the keywords. Here the resolved keywords
 * become a struct conn_config over the defaults, and the rules that need
 * a whole conn (left= and right= present, address families) are checked. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ipsecconf.h"
#include "ipsecconf_reader.h"
#include "ipsecconf_sections.h"
#include "keywords.h"
#include "xalloc.h"

/* Defaults: libreswan's where it has one. */
static void conn_config_set_defaults(struct conn_config *c)
{
	memset(c, 0, sizeof(*c));
	c->authby = AUTHBY_SECRET;
	c->auto_mode = AUTO_IGNORE;
	c->type = TYPE_TUNNEL;
	c->phase2 = PHASE2_ESP;
	c->ikelifetime = 8 * 3600;
	c->salifetime = 8 * 3600;
	c->rekey = true;
	c->rekeymargin = 9 * 60;
	c->rekeyfuzz = 100;
	c->dpddelay = 0;
	c->dpdtimeout = 0;
	c->dpdaction = DPD_HOLD;
	c->retransmit_timeout = 60;
	c->retransmit_interval_ms = 500;
	c->pfs = true;
	c->esn = YNA_AUTO;
	c->encapsulation = YNA_AUTO;
	c->nat_keepalive = true;
	c->tfc = 0;
	c->replay_window = 128;
	c->hw_offload = HW_OFFLOAD_NO;
	c->hw_offload_fallback = true;
	c->fragmentation = FRAG_YES;
}

/* Storing resolved keywords */

static void store_valid(const struct checked_entry *ce, void *base)
{
	if (ce != NULL && ce->valid)
		keyword_store(ce->kw, ce->e->value, &ce->v, base);
}

/* Without leftsubnet=, a side's traffic is its host's own (none yet for %any). */
static void default_subnet(struct end_config *end)
{
	if (!end->has_subnet)
		end->subnet = subnet_from_address(&end->host);
}

/* A reference to the shared default list. */
static const struct alg_proposals *default_proposals(void (*make)(struct alg_proposals *out))
{
	static struct alg_proposals defaults;	/* 5 kB: not on the stack */
	make(&defaults);
	return alg_proposals_share(&defaults);
}

static void store_conn_keywords(const struct resolved_conn *r, struct conn_config *c)
{
	for (int id = 0; id < KW_COUNT; id++)
		store_valid(r->by_kw[id], c);
	default_subnet(&c->left);
	default_subnet(&c->right);
	if (c->ike == NULL)
		c->ike_proposals = default_proposals(alg_default_ike);
	if (c->esp == NULL)
		c->esp_proposals = default_proposals(alg_default_esp);
}

/* Whole-conn rules */

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "unset";
}

static void report_at(struct diag *d, const struct conn_config *c, const struct checked_entry *ce,
		      const char *what)
{
	diag_add(d, "%s:%d: conn '%s': keyword '%s': %s",
		 ce->e->file, ce->e->line, c->name, ce->e->keyword, what);
}

static void check_hosts_present(const struct conn_config *c, const struct resolved_conn *r,
				struct diag *d)
{
	static const struct { enum kw_id id; const char *name; } required[] = {
		{ KW_LEFT, "left" }, { KW_RIGHT, "right" },
	};
	if (c->auto_mode == AUTO_IGNORE)
		return;	/* a fragment for also= may leave either side out */
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (r->by_kw[required[i].id] == NULL)
			diag_add(d, "%s:%d: conn '%s': keyword '%s': missing (every conn needs left= and right=, unless auto=ignore)",
				 c->file, c->line, c->name, required[i].name);
}

/* false when the hosts already disagree, so the subnet check stays quiet. */
static bool check_hosts_agree(const struct conn_config *c, const struct resolved_conn *r,
			      struct diag *d)
{
	const struct checked_entry *right = r->by_kw[KW_RIGHT];
	if (c->left.host_any && c->right.host_any) {
		report_at(d, c, right, "left and right cannot both be %any");
		return false;
	}
	if (address_is_set(&c->left.host) && address_is_set(&c->right.host) &&
	    c->left.host.family != c->right.host.family) {
		char what[128];
		snprintf(what, sizeof(what), "address family %s differs from left='s %s",
			 family_name(c->right.host.family), family_name(c->left.host.family));
		report_at(d, c, right, what);
		return false;
	}
	return true;
}

/* Both sides' traffic must be of one family; the hosts may be of the
 * other (IPv6 over an IPv4 tunnel is fine). */
static void check_subnets_agree(const struct conn_config *c, const struct resolved_conn *r,
				struct diag *d)
{
	int lf = c->left.subnet.addr.family, rf = c->right.subnet.addr.family;
	if (lf == 0 || rf == 0 || lf == rf || !(c->left.has_subnet || c->right.has_subnet))
		return;
	const struct checked_entry *at = r->by_kw[c->right.has_subnet ? KW_RIGHTSUBNET : KW_LEFTSUBNET];
	char what[160];
	snprintf(what, sizeof(what), "address family differs between the two sides' subnets (left %s, right %s)",
		 family_name(lf), family_name(rf));
	report_at(d, c, at, what);
}

/* A trap (auto=ondemand) covers one pair of subnets, and a transport
 * conn has none of its own. */
static void check_subnet_pairs(const struct conn_config *c, const struct resolved_conn *r, struct diag *d)
{
	if (c->left.nsubnets < 2 && c->right.nsubnets < 2)
		return;
	const struct checked_entry *at = r->by_kw[c->left.nsubnets > 1 ? KW_LEFTSUBNET : KW_RIGHTSUBNET];
	if (c->type == TYPE_TRANSPORT)
		report_at(d, c, at, "several subnets need type=tunnel");
	else if (c->auto_mode == AUTO_ONDEMAND)
		report_at(d, c, at, "several pairs of subnets cannot be routed yet (auto=ondemand): use auto=start or add");
}

/* leftsourceip= is the source of this host's own traffic into the
 * tunnel, so it must be one the policies carry: inside leftsubnet= (or,
 * without one, the host itself). */
static bool inside_a_subnet(const struct end_config *end)
{
	for (unsigned i = 0; i < end->nsubnets; i++) {
		if (subnet_contains(&end->subnets[i], &end->sourceip))
			return true;
	}
	return subnet_contains(&end->subnet, &end->sourceip);
}

static void check_sourceip(const struct conn_config *c, const struct end_config *end, const char *subnet_kw,
			   const struct checked_entry *at, struct diag *d)
{
	if (at == NULL || !at->valid || !end->has_sourceip || end->subnet.addr.family == 0 || inside_a_subnet(end))
		return;
	char sn[ADDRESS_STR_MAX], what[256];
	if (end->has_subnet)
		snprintf(what, sizeof(what), "%s is not inside %s=%s", at->e->value, subnet_kw,
			 subnet_str(&end->subnet, sn));
	else
		snprintf(what, sizeof(what), "%s is not inside this side's traffic (without %s=, the host %s alone)",
			 at->e->value, subnet_kw, subnet_str(&end->subnet, sn));
	report_at(d, c, at, what);
}


/* One selector has one protocol for both of its sides: a side that names
 * none takes the other's (with every port), and two different ones are
 * an error. */
static void check_protoports_agree(struct conn_config *c, const struct resolved_conn *r, struct diag *d)
{
	struct protoport *l = &c->left.protoport, *rt = &c->right.protoport;
	if (l->proto == rt->proto)
		return;
	if (l->proto == 0 || rt->proto == 0) {
		struct protoport *none = l->proto == 0 ? l : rt;
		*none = (struct protoport){ l->proto | rt->proto, 0 };
		return;
	}
	char what[160];
	snprintf(what, sizeof(what), "protocol %u differs from leftprotoport='s %u (both sides carry one protocol)",
		 rt->proto, l->proto);
	report_at(d, c, r->by_kw[KW_RIGHTPROTOPORT], what);
}

static void check_conn(struct conn_config *c, const struct resolved_conn *r, struct diag *d)
{
	check_hosts_present(c, r, d);
	check_protoports_agree(c, r, d);
	if (check_hosts_agree(c, r, d))
		check_subnets_agree(c, r, d);	/* each side's list is of one family */
	check_subnet_pairs(c, r, d);
	check_sourceip(c, &c->left, "leftsubnet", r->by_kw[KW_LEFTSOURCEIP], d);
	check_sourceip(c, &c->right, "rightsubnet", r->by_kw[KW_RIGHTSOURCEIP], d);
}

/* false when the conn, or a section it draws from, has an error. */
static bool build_conn(const struct checked_doc *cd, const struct checked_section *cs,
		       struct conn_config *c, struct diag *d)
{
	conn_config_set_defaults(c);
	c->name = xstrdup(cs->s->name);
	c->file = xstrdup(cs->s->file);
	c->line = cs->s->line;
	struct resolved_conn r;
	resolve_conn(cd, cs, &r);
	store_conn_keywords(&r, c);
	int before = d->count;
	check_conn(c, &r, d);
	return r.errors == 0 && d->count == before;
}

void config_setup_defaults(struct config_setup *setup)
{
	memset(setup, 0, sizeof(*setup));
	setup->ddos_mode = DDOS_AUTO;
	setup->ddos_ike_threshold = DDOS_IKE_THRESHOLD_DEFAULT;
	setup->max_halfopen_ike = MAX_HALFOPEN_IKE_DEFAULT;
	setup->max_halfopen_ike_per_peer = MAX_HALFOPEN_IKE_PER_PEER_DEFAULT;
	setup->halfopen_ike_timeout = HALFOPEN_IKE_TIMEOUT_DEFAULT;
	setup->keep_alive = KEEP_ALIVE_DEFAULT;
	setup->nhelpers = NHELPERS_PER_CPU;
	setup->offload_interval = OFFLOAD_INTERVAL_DEFAULT;
	setup->offload_budget = true;
}

static void build_setup(const struct checked_section *cs, struct config_setup *setup)
{
	config_setup_defaults(setup);
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		store_valid(&cs->entries[i], setup);
}

/* The conns that make it into the list: not %default, not a second
 * conn of an existing name. */
static bool is_listed_conn(const struct checked_doc *cd, const struct checked_section *cs)
{
	return cs->s->kind == CONF_CONN && cs != cd->conn_default && !cs->duplicate_name;
}

static void conn_config_clear(struct conn_config *c);

/* Every listed conn; those with errors go to bad_conns instead. */
static struct ipsec_conf *build_conf(const struct checked_doc *cd, struct diag *d)
{
	struct ipsec_conf *conf = xzalloc(sizeof(*conf));
	build_setup(cd->setup, &conf->setup);
	size_t n = 0;
	for (size_t i = 0; i < cd->n; i++)
		n += is_listed_conn(cd, &cd->sections[i]);
	conf->conns = n > 0 ? xzalloc(n * sizeof(*conf->conns)) : NULL;
	conf->bad_conns = n > 0 ? xzalloc(n * sizeof(*conf->bad_conns)) : NULL;
	for (size_t i = 0; i < cd->n; i++) {
		if (!is_listed_conn(cd, &cd->sections[i]))
			continue;
		struct conn_config *c = &conf->conns[conf->nconns];
		if (build_conn(cd, &cd->sections[i], c, d)) {
			conf->nconns++;
		} else {
			conf->bad_conns[conf->nbad_conns++] = xstrdup(c->name);
			conn_config_clear(c);
		}
	}
	return conf;
}

static struct ipsec_conf *load(const char *path, struct diag *d, bool good_conns)
{
	int errors_before = d->count;
	struct conf_doc doc;
	struct diag notes;
	diag_init(&notes);
	conf_read(path, &doc, d, &notes);
	if (doc.nfiles == 0) {	/* the file itself could not be read */
		conf_doc_free(&doc);
		return NULL;
	}
	/* Syntax errors are the file's, not one conn's. Even after them go
	 * on: the rest may hold more errors. */
	bool fatal = d->count != errors_before;
	struct checked_doc cd;
	check_sections(&doc, &cd, d, &notes);
	fatal = fatal || (cd.setup != NULL && cd.setup->errors > 0);
	struct ipsec_conf *conf = build_conf(&cd, d);
	conf->notes = notes;
	checked_doc_free(&cd);
	conf_doc_free(&doc);
	if (good_conns ? fatal : d->count != errors_before) {
		ipsecconf_free(conf);
		return NULL;
	}
	return conf;
}

struct ipsec_conf *ipsecconf_load(const char *path, struct diag *d)
{
	return load(path, d, false);
}

struct ipsec_conf *ipsecconf_load_good_conns(const char *path, struct diag *d)
{
	return load(path, d, true);
}

bool ipsecconf_is_bad_conn(const struct ipsec_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->nbad_conns; i++)
		if (strcmp(conf->bad_conns[i], name) == 0)
			return true;
	return false;
}

/* Freeing and copying */

static void end_config_clear(struct end_config *e)
{
	free(e->host_text);
	free(e->id);
	free(e->updown);
	free(e->cert);
}

static void conn_config_clear(struct conn_config *c)
{
	free(c->name);
	free(c->file);
	end_config_clear(&c->left);
	end_config_clear(&c->right);
	free(c->ike);
	free(c->esp);
	alg_proposals_unref(c->ike_proposals);
	alg_proposals_unref(c->esp_proposals);
	memset(c, 0, sizeof(*c));
}

void ipsecconf_free(struct ipsec_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nconns; i++)
		conn_config_clear(&c->conns[i]);
	free(c->conns);
	for (size_t i = 0; i < c->nbad_conns; i++)
		free(c->bad_conns[i]);
	free(c->bad_conns);
	free(c->setup.logfile);
	free(c->setup.secretsfile);
	free(c->setup.nssdir);
	free(c->setup.plutodebug);
	free(c);
}

const struct conn_config *ipsecconf_find(const struct ipsec_conf *c, const char *name)
{
	for (size_t i = 0; c != NULL && i < c->nconns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void end_config_copy_strings(struct end_config *e)
{
	e->host_text = dup_or_null(e->host_text);
	e->id = dup_or_null(e->id);
	e->updown = dup_or_null(e->updown);
	e->cert = dup_or_null(e->cert);
}

struct conn_config *conn_config_dup(const struct conn_config *c)
{
	struct conn_config *copy = xzalloc(sizeof(*copy));
	*copy = *c;
	copy->name = dup_or_null(c->name);
	copy->file = dup_or_null(c->file);
	end_config_copy_strings(&copy->left);
	end_config_copy_strings(&copy->right);
	copy->ike = dup_or_null(c->ike);
	copy->esp = dup_or_null(c->esp);
	copy->ike_proposals = alg_proposals_ref(c->ike_proposals);
	copy->esp_proposals = alg_proposals_ref(c->esp_proposals);
	return copy;
}

void conn_config_free(struct conn_config *c)
{
	if (c == NULL)
		return;
	conn_config_clear(c);
	free(c);
}

/* Names */

const char *hw_offload_name(enum hw_offload o)
{
	switch (o) {
	case HW_OFFLOAD_NO: return "no";
	case HW_OFFLOAD_YES: return "yes";
	case HW_OFFLOAD_CRYPTO: return "crypto";
	case HW_OFFLOAD_PACKET: return "packet";
	case HW_OFFLOAD_AUTO: return "auto";
	}
	return "?";
}

enum authby end_authby(const struct conn_config *c, const struct end_config *end)
{
	return end->auth != AUTHBY_CONN ? end->auth : c->authby;
}

const char *authby_name(enum authby a)
{
	switch (a) {
	case AUTHBY_RSASIG:
		return "rsasig";
	case AUTHBY_ECDSA:
		return "ecdsa";
	default:
		return "secret";
	}
}

const char *sendcert_name(enum sendcert s)
{
	return s == SENDCERT_ALWAYS ? "always" : s == SENDCERT_NEVER ? "never" : "sendifasked";
}

const char *fragmentation_name(enum fragmentation f)
{
	switch (f) {
	case FRAG_YES: return "yes";
	case FRAG_NO: return "no";
	case FRAG_FORCE: return "force";
	}
	return "?";
}

const char *auto_mode_name(enum auto_mode a)
{
	switch (a) {
	case AUTO_IGNORE: return "ignore";
	case AUTO_ADD: return "add";
	case AUTO_START: return "start";
	case AUTO_ONDEMAND: return "ondemand";
	}
	return "?";
}

const char *yna_name(enum yna v, const char *auto_word)
{
	switch (v) {
	case YNA_YES: return "yes";
	case YNA_NO: return "no";
	case YNA_AUTO: return auto_word != NULL ? auto_word : "auto";
	}
	return "?";
}

const char *dpd_action_name(enum dpd_action a)
{
	switch (a) {
	case DPD_HOLD: return "hold";
	case DPD_CLEAR: return "clear";
	case DPD_RESTART: return "restart";
	}
	return "?";
}
