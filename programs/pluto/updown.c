/* updown.c: a tunnel's route or script on up and down; the record of what
 * was done for each tunnel (by its reqid, which rekeys keep), so that
 * down undoes exactly what up did. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "errno_name.h"
#include "ike_id.h"
#include "kernel_route.h"
#include "pluto.h"
#include "script.h"
#include "updown.h"

#define UPDOWN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define UPDOWN_ARGS_MAX 16

/* --- the decision ------------------------------------------------------------------- */

static bool is_disabled(const char *updown)
{
	return updown != NULL && strcmp(updown, "%disabled") == 0;
}

/* Whether a side's traffic is its host alone. */
static bool just_host(const ip_subnet *net, const ip_address *host)
{
	return net->addr.family == host->family && net->prefixlen == address_bits(host) &&
	       address_eq(&net->addr, host);
}

enum updown_action updown_decide(const struct end_config *local, bool transport, const struct ends *ends)
{
	if (is_disabled(local->updown))
		return UPDOWN_NOTHING;
	if (local->updown != NULL)
		return UPDOWN_SCRIPT;
	if (transport || ends->remote_net.addr.family == 0 || just_host(&ends->remote_net, &ends->remote))
		return UPDOWN_NOTHING;
	return UPDOWN_ROUTE;
}

/* --- the environment ---------------------------------------------------------------- */

static void env_add(struct updown_env *env, const char *name, const char *value)
{
	size_t need = strlen(name) + 1 + strlen(value) + 1;
	if (env->n >= UPDOWN_VARS_MAX || env->used + need > sizeof(env->space))
		return;
	char *at = env->space + env->used;
	snprintf(at, need, "%s=%s", name, value);
	env->vars[env->n++] = at;
	env->vars[env->n] = NULL;
	env->used += need;
}

static void env_address(struct updown_env *env, const char *name, const ip_address *a)
{
	char buf[ADDRESS_STR_MAX];
	env_add(env, name, address_is_set(a) ? address_str(a, buf) : "");
}

/* The prefix length as a mask in address form: 255.255.255.0, ffff:ffff::. */
static ip_address mask_of(const ip_subnet *s)
{
	ip_address m = { .family = s->addr.family };
	unsigned bits = s->prefixlen;
	for (unsigned i = 0; i < address_bits(&s->addr) / 8; i++, bits = bits > 8 ? bits - 8 : 0)
		m.bytes[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
	return m;
}

/* PLUTO_MY_CLIENT, _NET, _MASK (and the peer's): net/len, net, mask. */
static void env_client(struct updown_env *env, const char *prefix, const ip_subnet *net)
{
	char name[48], buf[ADDRESS_STR_MAX];
	ip_address mask = mask_of(net);
	env_add(env, prefix, subnet_str(net, buf));
	snprintf(name, sizeof(name), "%s_NET", prefix);
	env_address(env, name, &net->addr);
	snprintf(name, sizeof(name), "%s_MASK", prefix);
	env_address(env, name, &mask);
}

static void env_id(struct updown_env *env, const char *name, const char *id)
{
	char shown[4 * sizeof(((struct ends *)0)->remote_id)];
	env_add(env, name, id_shown(id, shown, sizeof(shown)));
}

void updown_env_build(const struct updown_facts *f, struct updown_env *env)
{
	memset(env, 0, sizeof(*env));
	const struct ends *e = f->ends;
	char verb[32], num[16];
	snprintf(verb, sizeof(verb), "%s-%s%s", f->up ? "up" : "down",
		 just_host(&e->local_net, &e->local) ? "host" : "client", e->local.family == AF_INET6 ? "-v6" : "");
	env_add(env, "PLUTO_VERSION", "2.0");
	env_add(env, "PLUTO_VERB", verb);
	env_add(env, "PLUTO_CONNECTION", f->conn);
	env_add(env, "PLUTO_CONNECTION_TYPE", f->transport ? "transport" : "tunnel");
	env_add(env, "PLUTO_INTERFACE", f->interface);
	env_address(env, "PLUTO_NEXT_HOP", f->nexthop != NULL ? f->nexthop : &e->remote);
	env_address(env, "PLUTO_ME", &e->local);
	env_id(env, "PLUTO_MY_ID", e->local_id);
	env_client(env, "PLUTO_MY_CLIENT", &e->local_net);
	env_add(env, "PLUTO_MY_PORT", "0");
	env_add(env, "PLUTO_MY_PROTOCOL", "0");
	env_address(env, "PLUTO_PEER", &e->remote);
	env_id(env, "PLUTO_PEER_ID", e->remote_id);
	env_client(env, "PLUTO_PEER_CLIENT", &e->remote_net);
	env_add(env, "PLUTO_PEER_PORT", "0");
	env_add(env, "PLUTO_PEER_PROTOCOL", "0");
	if (f->sourceip != NULL)
		env_address(env, "PLUTO_MY_SOURCEIP", f->sourceip);
	snprintf(num, sizeof(num), "%u", f->reqid);
	env_add(env, "PLUTO_REQID", num);
	env_add(env, "PLUTO_SA_TYPE", "ESP");
	env_add(env, "PLUTO_STACK", "xfrm");
	env_add(env, "PATH", UPDOWN_PATH);
}

const char *updown_env_get(const struct updown_env *env, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->vars[i], name, len) == 0 && env->vars[i][len] == '=')
			return env->vars[i] + len + 1;
	return NULL;
}

bool updown_argv(const char *value, char *buf, size_t len, char **argv, size_t max)
{
	snprintf(buf, len, "%s", value);
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= max)
			return false;
		argv[n++] = w;
	}
	argv[n] = NULL;
	return n > 0;
}

/* --- what each tunnel got ----------------------------------------------------------- */

struct tunnel_record {
	uint32_t reqid;
	char conn[LOGGER_NAME_MAX];
	enum updown_action action;
	struct kernel_route route;	/* UPDOWN_ROUTE */
	bool route_ours;		/* we added it (or share one we added): ours to remove */
	bool trap;			/* a routed conn's (reqid 0): the route stands while it is routed */
	struct tunnel_record *next;
};

static struct tunnel_record *records;

static struct tunnel_record *record_find(uint32_t reqid, const char *conn, bool trap)
{
	for (struct tunnel_record *r = records; r != NULL; r = r->next)
		if (r->reqid == reqid && r->trap == trap && strcmp(r->conn, conn) == 0)
			return r;
	return NULL;
}

static bool same_route(const struct kernel_route *a, const struct kernel_route *b)
{
	return a->dst.prefixlen == b->dst.prefixlen && address_eq(&a->dst.addr, &b->dst.addr);
}

/* Another tunnel holding our route for the same subnet. */
static const struct tunnel_record *route_sharer(const struct tunnel_record *self)
{
	for (const struct tunnel_record *r = records; r != NULL; r = r->next)
		if (r != self && r->route_ours && same_route(&r->route, &self->route))
			return r;
	return NULL;
}

static void record_drop(struct tunnel_record *gone)
{
	for (struct tunnel_record **p = &records; *p != NULL; p = &(*p)->next) {
		if (*p == gone) {
			*p = gone->next;
			free(gone);
			return;
		}
	}
}

size_t updown_routes_held(void)
{
	size_t n = 0;
	for (const struct tunnel_record *r = records; r != NULL; r = r->next)
		n += r->route_ours;
	return n;
}

/* --- routes ---------------------------------------------------------------------------- */

static const char *kernel_reason(const struct kernel_err *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s)", e->extack[0] != '\0' ? e->extack : strerror(e->errnum), errno_name(e->errnum));
	return buf;
}

static const char *route_text(const struct kernel_route *rt, const char *dev, char *buf, size_t len)
{
	char dst[ADDRESS_STR_MAX], gw[ADDRESS_STR_MAX], src[ADDRESS_STR_MAX];
	snprintf(buf, len, "%s%s%s dev %s%s%s", subnet_str(&rt->dst, dst), address_is_set(&rt->gateway) ? " via " : "",
		 address_is_set(&rt->gateway) ? address_str(&rt->gateway, gw) : "", dev,
		 address_is_set(&rt->prefsrc) ? " src " : "", address_is_set(&rt->prefsrc) ? address_str(&rt->prefsrc, src) : "");
	return buf;
}

/* Where a route goes: the subnet, the peer it is reached through, and
 * the source to prefer. */
struct route_want {
	const ip_subnet *net;
	const ip_address *peer;
	const ip_address *sourceip;	/* NULL: none */
};

/* The way to the peer: its gateway, else the peer itself when the
 * subnet is of its family (a gateway of another family cannot be named). */
static int route_towards_peer(const struct route_want *w, struct kernel_route *rt, struct kernel_route_hop *hop,
			      struct kernel_err *e)
{
	int r = kernel_routes->lookup(w->peer, hop, e);
	if (r != 0)
		return r;
	*rt = (struct kernel_route){ .dst = *w->net, .ifindex = hop->ifindex };
	const ip_address *via = address_is_set(&hop->gateway) ? &hop->gateway : w->peer;
	if (via->family == rt->dst.addr.family)
		rt->gateway = *via;
	if (w->sourceip != NULL)
		rt->prefsrc = *w->sourceip;
	return 0;
}

static void route_up(const struct logger *lg, const struct route_want *w, struct tunnel_record *rec)
{
	struct kernel_route_hop hop;
	struct kernel_err e = {0};
	char why[KERNEL_EXTACK_MAX + 64], text[256];
	if (route_towards_peer(w, &rec->route, &hop, &e) != 0) {
		logger_log(lg, LL_ERROR, "cannot route %s: the kernel has no route to the peer: %s",
			   subnet_str(w->net, text), kernel_reason(&e, why, sizeof(why)));
		return;
	}
	const struct tunnel_record *sharer = route_sharer(rec);
	if (sharer != NULL) {
		/* the route in the table is the sharer's (its gateway and
		 * interface): whichever holder goes last removes that one */
		rec->route = sharer->route;
		rec->route_ours = true;
		return;
	}
	route_text(&rec->route, hop.ifname, text, sizeof(text));
	int r = kernel_routes->add(&rec->route, &e);
	if (r == 0) {
		rec->route_ours = true;
		logger_log(lg, LL_INFO, "route %s added", text);
	} else if (r == -EEXIST) {
		logger_log(lg, LL_INFO, "a route for %s is there already: left as it is, and not removed when the tunnel goes",
			   subnet_str(&rec->route.dst, text));
	} else {
		logger_log(lg, LL_ERROR, "cannot add route %s: %s", text, kernel_reason(&e, why, sizeof(why)));
	}
}

/* Our route goes with the last record that holds it. */
static void route_down(const struct logger *lg, struct tunnel_record *rec)
{
	if (!rec->route_ours || route_sharer(rec) != NULL)
		return;
	struct kernel_err e = {0};
	char why[KERNEL_EXTACK_MAX + 64], dst[ADDRESS_STR_MAX];
	int r = kernel_routes->del(&rec->route, &e);
	if (r == 0)
		logger_log(lg, LL_INFO, "route %s removed", subnet_str(&rec->route.dst, dst));
	else if (r == -ESRCH)
		logger_log(lg, LL_INFO, "route %s was gone already (or is no longer the one pluto added)",
			   subnet_str(&rec->route.dst, dst));
	else
		logger_log(lg, LL_WARN, "cannot remove route %s: %s", subnet_str(&rec->route.dst, dst),
			   kernel_reason(&e, why, sizeof(why)));
}

/* --- scripts ---------------------------------------------------------------------------- */

/* This host's end_config in cfg, whose local address is local. */
static const struct end_config *local_end_of(const struct conn_config *cfg, const ip_address *local)
{
	return address_eq(&cfg->left.host, local) || !address_eq(&cfg->right.host, local) ? &cfg->left : &cfg->right;
}

/* This host's end of tunnel t's conn. */
static const struct end_config *local_end(const struct ike_sa *ike, const struct tunnel *t)
{
	return local_end_of(t->c->config, &ike->ends.local);
}

/* Tunnel t's ends at the IKE SA's addresses, with its child ch's subnets. */
static struct ends child_ends(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch)
{
	struct ends ends = t->ends;
	ends.local = ike->ends.local;
	ends.remote = ike->ends.remote;
	ends.local_net = ch->local_net;
	ends.remote_net = ch->remote_net;
	return ends;
}

static void run_script(struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch, bool up)
{
	const struct end_config *local = local_end(ike, t);
	struct logger lg = child_logger(ike, t, ch);
	char words[1024], *argv[UPDOWN_ARGS_MAX];
	if (!updown_argv(local->updown, words, sizeof(words), argv, UPDOWN_ARGS_MAX)) {
		logger_log(&lg, LL_ERROR, "updown: not run: more than %d words in %s", UPDOWN_ARGS_MAX - 1, local->updown);
		return;
	}
	struct kernel_route_hop hop;
	struct kernel_err e = {0};
	bool have_hop = kernel_routes->lookup(&ike->ends.remote, &hop, &e) == 0;
	struct ends ends = child_ends(ike, t, ch);
	struct updown_facts f = {
		.up = up,
		.conn = t->c->config->name,
		.transport = ch->transport,
		.ends = &ends,
		.sourceip = local->has_sourceip ? &local->sourceip : NULL,
		.reqid = ch->reqid,
		.interface = have_hop ? hop.ifname : "",
		.nexthop = have_hop && address_is_set(&hop.gateway) ? &hop.gateway : NULL,
	};
	static struct updown_env env;
	updown_env_build(&f, &env);
	char what[64];
	snprintf(what, sizeof(what), "updown %s", updown_env_get(&env, "PLUTO_VERB"));
	script_queue(pluto.base, &lg, what, argv, env.vars);
}

/* --- the hooks ---------------------------------------------------------------------------- */

/* A new record, first in the list; NULL (logged) when out of memory. */
static struct tunnel_record *record_new(const struct logger *lg, uint32_t reqid, const char *conn,
					enum updown_action a, bool trap)
{
	struct tunnel_record *rec = calloc(1, sizeof(*rec));
	if (rec == NULL) {
		logger_log(lg, LL_ERROR, "updown: out of memory: no route, no script");
		return NULL;
	}
	rec->reqid = reqid;
	rec->trap = trap;
	snprintf(rec->conn, sizeof(rec->conn), "%s", conn);
	rec->action = a;
	rec->next = records;
	records = rec;
	return rec;
}

void updown_tunnel_up(struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch)
{
	const char *conn = t->c->config->name;
	if (record_find(ch->reqid, conn, false) != NULL)
		return;		/* up already */
	const struct end_config *local = local_end(ike, t);
	struct ends ends = child_ends(ike, t, ch);
	enum updown_action a = updown_decide(local, ch->transport, &ends);
	struct logger lg = child_logger(ike, t, ch);
	struct tunnel_record *rec = a != UPDOWN_NOTHING ? record_new(&lg, ch->reqid, conn, a, false) : NULL;
	if (rec == NULL)
		return;
	if (a == UPDOWN_ROUTE) {
		struct route_want w = { &ch->remote_net, &ike->ends.remote, local->has_sourceip ? &local->sourceip : NULL };
		route_up(&lg, &w, rec);
	} else {
		run_script(ike, t, ch, true);
	}
}

void updown_tunnel_down(struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch)
{
	struct tunnel_record *rec = record_find(ch->reqid, t->c->config->name, false);
	if (rec == NULL)
		return;
	struct logger lg = child_logger(ike, t, ch);
	if (rec->action == UPDOWN_ROUTE)
		route_down(&lg, rec);
	else
		run_script(ike, t, ch, false);
	record_drop(rec);
}

void updown_conn_routed(struct connection *c)
{
	const struct end_config *local = local_end_of(c->config, &c->ends.local);
	if (record_find(0, c->config->name, true) != NULL ||
	    updown_decide(local, c->config->type == TYPE_TRANSPORT, &c->ends) != UPDOWN_ROUTE)
		return;
	struct tunnel_record *rec = record_new(&c->log, 0, c->config->name, UPDOWN_ROUTE, true);
	if (rec == NULL)
		return;
	struct route_want w = { &c->ends.remote_net, &c->ends.remote, local->has_sourceip ? &local->sourceip : NULL };
	route_up(&c->log, &w, rec);
}

void updown_conn_unrouted(struct connection *c)
{
	struct tunnel_record *rec = record_find(0, c->config->name, true);
	if (rec == NULL)
		return;
	route_down(&c->log, rec);
	record_drop(rec);
}

static void log_leftover(const struct kernel_route *r, int result, const struct kernel_err *e, void *arg)
{
	const char *when = arg;
	char text[256], dev[IF_NAMESIZE], why[KERNEL_EXTACK_MAX + 64];
	if (r->ifindex <= 0 || if_indextoname((unsigned)r->ifindex, dev) == NULL)
		snprintf(dev, sizeof(dev), "%d", r->ifindex);
	route_text(r, dev, text, sizeof(text));
	if (result == 0)
		llog(LL_INFO, "at %s: removed route %s, left by pluto (its protocol %d)", when, text, KERNEL_ROUTE_PROTOCOL);
	else
		llog(LL_WARN, "at %s: cannot remove route %s, left by pluto: %s", when, text, kernel_reason(e, why, sizeof(why)));
}

void updown_remove_leftover_routes(const char *when)
{
	struct kernel_err e = {0};
	char why[KERNEL_EXTACK_MAX + 64];
	if (updown_routes_held() > 0)
		return;		/* never while this pluto holds routes: they are ours */
	if (kernel_routes->remove_ours(log_leftover, (void *)when, &e) < 0)
		llog(LL_WARN, "at %s: cannot list the routes pluto left: %s", when, kernel_reason(&e, why, sizeof(why)));
}

void updown_shutdown(void)
{
	while (records != NULL) {
		struct logger lg;
		logger_init(&lg, records->conn, 0);
		if (records->action == UPDOWN_ROUTE)
			route_down(&lg, records);
		record_drop(records);
	}
}
