/* connections.c: the conns in a list, which keeps file order for
 * --status, and in a hash table by name, so that a gateway with
 * thousands of them finds one (at --add, --up, start) without walking
 * the list; each conn knows the one before it in the list, so replacing
 * or removing one is O(1) too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <event2/event.h>
#include "addr_set.h"
#include "connections.h"
#include "fips.h"
#include "hash_table.h"
#include "ike_cert.h"
#include "ike_id.h"
#include "ipsec_id.h"
#include "kernel.h"
#include "offload_probe.h"

/* A why text: bounded as the fixed buffers it replaces were, so what is
 * logged and shown is the same; allocated, as most conns never have one.
 * Short of memory it stays NULL, which reads as "". */
__attribute__((format(printf, 3, 4)))
static void set_why(char **why, size_t max, const char *fmt, ...)
{
	char text[CONN_ORIENT_WHY_MAX > CONN_RESOLVE_WHY_MAX ? CONN_ORIENT_WHY_MAX : CONN_RESOLVE_WHY_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, max < sizeof(text) ? max : sizeof(text), fmt, ap);
	va_end(ap);
	free(*why);
	*why = strdup(text);
}

static void clear_why(char **why)
{
	free(*why);
	*why = NULL;
}

static const char *why_text(const char *why)
{
	return why != NULL ? why : "";
}

const char *conn_orient_why(const struct connection *c)
{
	return why_text(c->orient_why);
}

const char *conn_resolve_why(const struct connection *c)
{
	return why_text(c->resolve_why);
}

static struct connection *conns, *conns_last;
static size_t nconns;
static struct hash_table by_name;
static struct connection *instances;	/* not in the table: each lives by its IKE SAs' references */

struct connection *conn_first(void)
{
	return conns;
}

size_t conn_count(void)
{
	return nconns;
}

static uint64_t name_hash(const char *name)
{
	return hash_bytes(name, strlen(name));
}

struct connection *conn_find(const char *name)
{
	struct connection *c;
	HASH_TABLE_FOR_EACH(&by_name, name_hash(name), c, struct connection, by_name) {
		if (strcmp(c->config->name, name) == 0)
			return c;
	}
	return NULL;
}

/* Puts c in old's place in the list (old NULL: at its end) and in the table. */
static void conn_link(struct connection *c, struct connection *old)
{
	c->prev = old != NULL ? old->prev : conns_last;
	c->next = old != NULL ? old->next : NULL;
	*(c->prev != NULL ? &c->prev->next : &conns) = c;
	*(c->next != NULL ? &c->next->prev : &conns_last) = c;
	hash_table_add(&by_name, &c->by_name, name_hash(c->config->name));
	nconns++;
}

/* Takes c out of the list and the table (it keeps its own next and prev
 * until then, for conn_link to put its successor in its place). */
static void conn_unlink(struct connection *c)
{
	*(c->prev != NULL ? &c->prev->next : &conns) = c->next;
	*(c->next != NULL ? &c->next->prev : &conns_last) = c->prev;
	hash_table_del(&by_name, &c->by_name);
	nconns--;
	if (nconns == 0)
		hash_table_free(&by_name);
}

struct connection *conn_first_instance(void)
{
	return instances;
}

/* The texts a conn allocates as it needs them. */
static void conn_free_texts(struct connection *c)
{
	clear_why(&c->orient_why);
	clear_why(&c->resolve_why);
	retry_reset(&c->retry);
}

struct connection *conn_ref(struct connection *c)
{
	c->refs++;
	return c;
}

void conn_unref(struct connection *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	if (c->template != NULL) {
		struct connection **pp = &instances;
		while (*pp != NULL && *pp != c)
			pp = &(*pp)->next;
		if (*pp == c)
			*pp = c->next;
		conn_unref(c->template);	/* which owns the config */
		conn_free_texts(c);
		free(c);
		return;
	}
	conn_free_texts(c);
	conn_config_free(c->config);
	if (c->retry_timer != NULL)
		event_free(c->retry_timer);
	if (c->ondemand_timer != NULL)
		event_free(c->ondemand_timer);
	free(c);
}

/* Takes c out of the table (already out of the list when unlinked is
 * set); IKE SAs holding it keep it alive. */
static void conn_unload(struct connection *c, bool unlinked)
{
	if (!unlinked)
		conn_unlink(c);
	c->next = c->prev = NULL;
	c->unloaded = true;
	if (c->retry_timer != NULL)
		evtimer_del(c->retry_timer);
	if (c->ondemand_timer != NULL)
		evtimer_del(c->ondemand_timer);
	conn_unref(c);
}

/* This host's addresses while a batch runs (conn_batch_begin), taken in
 * one dump; without a batch, or when the dump failed, each end is looked
 * up on its own. */
static struct addr_set batch_addrs;
static bool batch_addrs_valid;
static unsigned batch_depth;

static void add_to_batch(void *arg, const ip_address *a)
{
	if (!addr_set_add(&batch_addrs, a))
		*(bool *)arg = false;
}

void conn_batch_begin(void)
{
	if (batch_depth++ > 0 || kernel->list_addresses == NULL)
		return;
	struct kernel_err err = {0};
	bool stored = true;
	batch_addrs_valid = kernel->list_addresses(add_to_batch, &stored, &err) == 0 && stored;
	if (!batch_addrs_valid)
		addr_set_clear(&batch_addrs);
}

void conn_batch_end(void)
{
	if (batch_depth == 0 || --batch_depth > 0)
		return;
	addr_set_clear(&batch_addrs);
	batch_addrs_valid = false;
}

static bool is_local(const struct end_config *e)
{
	if (e->host_any)
		return false;
	if (batch_addrs_valid)
		return addr_set_has(&batch_addrs, &e->host);
	struct kernel_link link;
	struct kernel_err err = {0};
	return kernel->link_for_address(&e->host, &link, &err) == 0;
}

/* An end's ID as it is compared: its certificate's subject for
 * %fromcert, or with leftcert= and no leftid= (libreswan's default); a
 * DN in NSS's form; the address when there is no other. A certificate
 * gone from the database since --add leaves %fromcert, which no peer's
 * signature can satisfy for a local end. */
static void end_id(const struct end_config *e, char *id, size_t idlen)
{
	struct diag d;
	diag_init(&d);
	bool from_cert = e->cert != NULL && (e->id == NULL || id_classify(e->id, NULL) == ID_KIND_FROMCERT);
	if (from_cert && ike_cert_subject(e->cert, id, idlen, &d))
		return;
	if (e->id != NULL && id_canonical(e->id, id, idlen))
		return;
	if (e->id != NULL)
		snprintf(id, idlen, "%s", e->id);
	else if (!e->host_any)
		address_str(&e->host, id);
	else
		snprintf(id, idlen, "%%any");
}

static void fill_end(const struct end_config *e, ip_address *host, ip_subnet *net, char *id, size_t idlen)
{
	*host = e->host;
	if (e->has_subnet)
		*net = e->subnet;
	else if (!e->host_any)
		*net = subnet_from_address(&e->host);
	end_id(e, id, idlen);
}

/* The family to look an end's address up in: the other end's, else any. */
static int family_of(const struct end_config *other)
{
	return other->host.family != 0 && !other->host_dns && !other->host_defaultroute ? other->host.family : AF_UNSPEC;
}

/* e->host for left=%defaultroute; false with the reason in c->orient_why. */
static bool find_defaultroute(struct connection *c, struct end_config *e, const struct end_config *other)
{
	struct kernel_err err = {0};
	int family = family_of(other);
	memset(&e->host, 0, sizeof(e->host));
	if (kernel->default_route_source(family == AF_UNSPEC ? AF_INET : family, &e->host, &err) == 0)
		return true;
	set_why(&c->orient_why, CONN_ORIENT_WHY_MAX, "%s=%%defaultroute: %s", e == &c->config->left ? "left" : "right",
		err.extack[0] ? err.extack : strerror(err.errnum));
	return false;
}

/* The ends written as %defaultroute found, and those written as names
 * resolved (by conn_resolve_names); false with the reason in
 * c->orient_why. */
static bool hosts_known(struct connection *c)
{
	struct conn_config *cfg = c->config;
	if ((cfg->left.host_defaultroute && !find_defaultroute(c, &cfg->left, &cfg->right)) ||
	    (cfg->right.host_defaultroute && !find_defaultroute(c, &cfg->right, &cfg->left)))
		return false;
	if ((cfg->left.host_dns && cfg->left.host.family == 0) || (cfg->right.host_dns && cfg->right.host.family == 0)) {
		set_why(&c->orient_why, CONN_ORIENT_WHY_MAX, "%s", conn_resolve_why(c));
		return false;
	}
	return true;
}

/* One end's host name looked up (getaddrinfo, as libreswan does); false
 * with the reason in c->resolve_why. */
static bool resolve_end(struct connection *c, struct end_config *e, const struct end_config *other)
{
	struct addrinfo hints = { .ai_family = family_of(other), .ai_socktype = SOCK_DGRAM }, *res = NULL;
	memset(&e->host, 0, sizeof(e->host));
	int r = getaddrinfo(e->host_text, NULL, &hints, &res);
	if (r == 0 && res != NULL) {
		address_from_sockaddr(res->ai_addr, &e->host, NULL);
		freeaddrinfo(res);
		return true;
	}
	if (res != NULL)
		freeaddrinfo(res);
	set_why(&c->resolve_why, CONN_RESOLVE_WHY_MAX, "%s=%s cannot be resolved (%s)",
		e == &c->config->left ? "left" : "right", e->host_text, gai_strerror(r));
	return false;
}

bool conn_has_host_names(const struct connection *c)
{
	return c->config->left.host_dns || c->config->right.host_dns;
}

bool conn_resolve_names(struct connection *c)
{
	struct conn_config *cfg = c->config;
	clear_why(&c->resolve_why);
	bool ok = (!cfg->left.host_dns || resolve_end(c, &cfg->left, &cfg->right)) &&
		  (!cfg->right.host_dns || resolve_end(c, &cfg->right, &cfg->left));
	conn_orient(c);
	return ok;
}

unsigned ends_npairs(const struct ends *e)
{
	return (e->nlocal_nets > 1 ? e->nlocal_nets : 1) * (e->nremote_nets > 1 ? e->nremote_nets : 1);
}

void ends_pair(const struct ends *e, unsigned k, ip_subnet *local, ip_subnet *remote)
{
	unsigned nremote = e->nremote_nets > 1 ? e->nremote_nets : 1, l = k / nremote, r = k % nremote;
	*local = l == 0 ? e->local_net : e->local_nets[l];
	*remote = r == 0 ? e->remote_net : e->remote_nets[r];
}

bool conn_orient(struct connection *c)
{
	const struct conn_config *cfg = c->config;
	const struct end_config *local, *remote;
	memset(&c->ends, 0, sizeof(c->ends));
	clear_why(&c->orient_why);
	c->oriented = false;
	if (!hosts_known(c))
		return false;
	if (is_local(&cfg->left)) {
		local = &cfg->left;
		remote = &cfg->right;
	} else if (is_local(&cfg->right)) {
		local = &cfg->right;
		remote = &cfg->left;
	} else {
		set_why(&c->orient_why, CONN_ORIENT_WHY_MAX, "neither left=%s nor right=%s is an address of this host",
			cfg->left.host_text, cfg->right.host_text);
		return false;
	}
	fill_end(local, &c->ends.local, &c->ends.local_net, c->ends.local_id, sizeof(c->ends.local_id));
	fill_end(remote, &c->ends.remote, &c->ends.remote_net, c->ends.remote_id, sizeof(c->ends.remote_id));
	memcpy(c->ends.local_nets, local->subnets, sizeof(c->ends.local_nets));
	memcpy(c->ends.remote_nets, remote->subnets, sizeof(c->ends.remote_nets));
	c->ends.nlocal_nets = (uint8_t)local->nsubnets;
	c->ends.nremote_nets = (uint8_t)remote->nsubnets;
	c->ends.local_pp = local->protoport;
	c->ends.remote_pp = remote->protoport;
	c->ends.local_auth = end_authby(cfg, local);
	c->ends.remote_auth = end_authby(cfg, remote);
	c->ends.local_cert = local->cert;
	c->ends.local_sendcert = local->sendcert;
	c->oriented = true;
	return true;
}

void conn_orient_all(void)
{
	conn_batch_begin();
	for (struct connection *c = conns; c != NULL; c = c->next) {
		bool was = c->oriented;
		ip_address local = c->ends.local;
		bool now = conn_orient(c);
		if (was && !now)
			conn_log(c, LL_INFO, "%s", conn_orient_why(c));
		else if (now && (!was || !address_eq(&local, &c->ends.local)))
			conn_log(c, LL_INFO, "this host's addresses changed: its local end is now %s",
				 address_str(&c->ends.local, (char[ADDRESS_STR_MAX]){0}));
	}
	conn_batch_end();
}

struct connection *conn_for_peer_matching(const ip_address *local, const ip_address *remote,
					   conn_fits_fn *fits, void *arg, struct ends *ends)
{
	for (struct connection *c = conns; c != NULL; c = c->next) {
		if (!c->oriented || !address_eq(&c->ends.local, local))
			continue;
		struct ends e = c->ends;
		if (c->ends.remote.family == 0) {		/* right=%any */
			e.remote = *remote;
			if (e.remote_net.addr.family == 0)
				e.remote_net = subnet_from_address(remote);
		} else if (!address_eq(&c->ends.remote, remote)) {
			continue;
		}
		if (fits == NULL || fits(c, &e, arg)) {
			*ends = e;
			return c;
		}
	}
	return NULL;
}

struct connection *conn_for_peer(const ip_address *local, const ip_address *remote, struct ends *ends)
{
	return conn_for_peer_matching(local, remote, NULL, NULL, ends);
}

bool conn_is_template(const struct connection *c)
{
	return c->oriented && c->ends.remote.family == 0;
}

struct connection *conn_instantiate(struct connection *t, const struct ends *ends)
{
	struct connection *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->config = t->config;
	c->offload = t->offload;
	c->ends = *ends;
	c->oriented = true;
	c->unloaded = true;	/* failures and plans are the template's (ikev2.c) */
	c->refs = 1;
	c->template = conn_ref(t);
	c->instance = ++t->instances_made;
	char peer[ADDRESS_STR_MAX];
	snprintf(c->instance_text, sizeof(c->instance_text), "[%u] %s", c->instance, address_str(&ends->remote, peer));
	logger_init_instance(&c->log, t->config->name, c->instance_text, 0);
	struct connection **pp = &instances;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = c;
	return c;
}

/* Takes ownership of cfg; the new conn replaces any of the same name. */
static struct connection *conn_add(struct conn_config *cfg, const struct offload_policy *pol, bool *replaced)
{
	struct connection *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->config = cfg;
	c->offload = *pol;
	c->refs = 1;
	logger_init(&c->log, cfg->name, 0);
	struct connection *old = conn_find(cfg->name);
	*replaced = old != NULL;
	if (old != NULL) {
		c->instances_made = old->instances_made;	/* numbers stay unique under the name */
		conn_unlink(old);
	}
	conn_link(c, old);	/* in the old one's place, or appended at the list's end */
	if (old != NULL)
		conn_unload(old, true);
	return c;
}

static bool signs(enum authby a)
{
	return a == AUTHBY_RSASIG || a == AUTHBY_ECDSA;
}

/* An end's certificate: in the NSS database; for the end on this host
 * (local), with its private key when it signs, of the kind of key its
 * method names. */
static bool cert_checks(const struct conn_config *cfg, const struct end_config *e, bool local, const char *side,
			struct diag *errors)
{
	enum authby a = end_authby(cfg, e);
	struct diag why;
	diag_init(&why);
	char dn[IKE_ID_TEXT_MAX];
	enum cert_key key;
	bool ok;
	if (e->cert == NULL)
		return true;
	if (signs(a) && local) {
		ok = ike_cert_local(e->cert, dn, sizeof(dn), &key, &why);
		if (ok && key != (a == AUTHBY_ECDSA ? CERT_KEY_EC : CERT_KEY_RSA)) {
			diag_add(&why, "certificate '%s' has a%s %s key, but %sauth is %s", e->cert,
				 key == CERT_KEY_RSA ? "n" : "", cert_key_name(key), side, authby_name(a));
			ok = false;
		}
	} else {
		ok = ike_cert_subject(e->cert, dn, sizeof(dn), &why);
	}
	if (!ok)
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: %scert=: %s", cfg->file, cfg->line, cfg->name, side,
			 diag_oneline(&why, "?"));
	return ok;
}

/* The end of this host that signs needs its certificate; a DN id must
 * parse. The end on this host is found as conn_orient finds it. */
static bool auth_checks(const struct conn_config *cfg, struct diag *errors)
{
	const struct end_config *ends[2] = { &cfg->left, &cfg->right };
	static const char *const sides[2] = { "left", "right" };
	int local = is_local(&cfg->left) ? 0 : is_local(&cfg->right) ? 1 : -1;
	for (int i = 0; i < 2; i++) {
		const struct end_config *e = ends[i];
		char dn[IKE_ID_TEXT_MAX];
		if (signs(end_authby(cfg, e)) && e->cert == NULL && i == local) {
			diag_add(errors, "%s:%d: conn \"%s\" cannot be added: %sauth is %s, which needs %scert= (the nickname of this host's certificate in the NSS database)",
				 cfg->file, cfg->line, cfg->name, sides[i], authby_name(end_authby(cfg, e)), sides[i]);
			return false;
		}
		if (e->id != NULL && id_classify(e->id, NULL) == ID_KIND_DN && !id_canonical(e->id, dn, sizeof(dn))) {
			diag_add(errors, "%s:%d: conn \"%s\" cannot be added: %sid= is no DN NSS can read (RFC 4514: CN=name, O=org, C=country)",
				 cfg->file, cfg->line, cfg->name, sides[i]);
			return false;
		}
		if (!cert_checks(cfg, e, i == local, sides[i], errors))
			return false;
	}
	return true;
}

/* What conn_load checks before it adds anything. */
static bool load_checks(const struct conn_config *cfg, bool fips, struct offload_policy *pol, struct diag *errors,
			struct diag *notes)
{
	/* An auto=ignore conn may be a mere also= fragment. */
	if (cfg->left.host_text == NULL || cfg->right.host_text == NULL) {
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: it has no %s= (it may be only an also= fragment)",
			 cfg->file, cfg->line, cfg->name, cfg->left.host_text == NULL ? "left" : "right");
		return false;
	}
	return auth_checks(cfg, errors) && (!fips || fips_check_conn(cfg, errors)) &&
	       offload_check_conn(cfg, fips, kernel, pol, errors, notes);
}

bool conn_loadable(const struct conn_config *cfg, bool fips, struct diag *errors)
{
	struct offload_policy pol;
	struct diag notes;
	diag_init(&notes);
	return load_checks(cfg, fips, &pol, errors, &notes);
}

struct connection *conn_load(const struct conn_config *cfg, bool fips, bool *replaced,
			     struct diag *errors, struct diag *notes)
{
	struct offload_policy pol;
	if (!load_checks(cfg, fips, &pol, errors, notes))
		return NULL;
	struct conn_config *dup = conn_config_dup(cfg);
	if (dup != NULL && fips)
		fips_trim_defaults(dup);
	struct connection *c = dup != NULL ? conn_add(dup, &pol, replaced) : NULL;
	if (c == NULL) {
		conn_config_free(dup);
		diag_add(errors, "out of memory adding \"%s\"", cfg->name);
		return NULL;
	}
	struct diag probe_lines;
	diag_init(&probe_lines);
	if (conn_has_host_names(c) && !conn_resolve_names(c))
		diag_add(notes, "%s:%d: conn \"%s\": %s; it is looked up again when the conn is initiated",
			 cfg->file, cfg->line, cfg->name, conn_resolve_why(c));
	if (conn_orient(c))
		offload_check_device(kernel, cfg, &pol, &c->ends.local, &probe_lines, notes);
	conn_log_lines(c, LL_INFO, &probe_lines);
	return c;
}

bool conn_delete(const char *name)
{
	struct connection *c = conn_find(name);
	if (c == NULL)
		return false;
	conn_unload(c, false);
	return true;
}

void conn_forget_failures(struct connection *c)
{
	if (c->retry_timer != NULL)
		evtimer_del(c->retry_timer);
	retry_reset(&c->retry);
}

void conn_delete_all(void)
{
	while (conns != NULL)
		conn_unload(conns, false);
}
