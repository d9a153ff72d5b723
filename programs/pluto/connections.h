/* connections.h: the conns pluto has loaded, by name.
 *
 * A conn is oriented when it is loaded and again whenever the host's
 * addresses change: which of left and right is this host is worked out
 * then, not for every packet. A conn is shared by reference: the table
 * holds one, and each IKE SA holds one for the config it began with, so
 * replacing or deleting a conn by name never changes an exchange under
 * way; the old conn goes when its last IKE SA does.
 *
 * A conn whose other end is %any (right=%any) is a template: each peer
 * that authenticates on it gets an instance, a conn of its own with the
 * peer's address and ID filled in, numbered as libreswan numbers them
 * ("rw"[1] 192.0.2.5). Instances are not in the table (conn_find finds
 * the template): each lives as long as the IKE SAs that hold it, so it
 * goes with its tunnel. */
#ifndef CONNECTIONS_H
#define CONNECTIONS_H

#include <stdbool.h>
#include <time.h>
#include "diag.h"
#include "hash_table.h"
#include "ipsecconf.h"
#include "logger.h"
#include "offload.h"
#include "retry.h"

struct event;

#define CONN_SUBNETS_MAX 8
#define CONN_ORIENT_WHY_MAX 300
#define CONN_RESOLVE_WHY_MAX 250

/* The conn as seen from this host: which end is local. */
struct ends {
	ip_address local, remote;
	ip_subnet local_net, remote_net;	/* the first of each side's subnets */
	/* leftsubnets=/rightsubnets= (and leftsubnet= lists): each side's
	 * subnets, [0] being local_net or remote_net; every local one pairs
	 * with every remote one, a tunnel each (ends_pair) */
	ip_subnet local_nets[CONN_SUBNETS_MAX], remote_nets[CONN_SUBNETS_MAX];
	uint8_t nlocal_nets, nremote_nets;	/* 0 and 1: just local_net, remote_net */
	struct protoport local_pp, remote_pp;	/* leftprotoport=: the traffic's protocol and ports */
	/* as written (a DN in NSS's form; %fromcert: the subject of the
	 * end's certificate, if it names one), or the address */
	char local_id[256], remote_id[256];
	enum authby local_auth, remote_auth;	/* leftauth=, else authby= */
	const char *local_cert;		/* leftcert= (the conn's config holds it), or NULL */
	enum sendcert local_sendcert;
};

struct connection {
	struct conn_config *config;	/* owned */
	struct offload_policy offload;	/* hw_offload after the add-time rules */
	struct ends ends;		/* valid when oriented */
	bool oriented;			/* one end is an address of this host */
	/* Why not, when not; why a host name did not resolve, when one did
	 * not. Allocated (at most CONN_ORIENT_WHY_MAX - 1 and
	 * CONN_RESOLVE_WHY_MAX - 1 characters): most conns have neither.
	 * Read them through conn_orient_why and conn_resolve_why. */
	char *orient_why;
	char *resolve_why;
	struct logger log;		/* "conn": lines about the conn itself */
	struct conn_retry retry;	/* failed attempts, and the next one */
	struct event *retry_timer;	/* owned; armed by ikev2.c */
	/* on demand (ondemand.h) */
	bool routed;			/* auto=ondemand or --route: a trap stands while no tunnel does */
	uint32_t reqid;			/* while routed: the trap's, and its tunnel's */
	struct timespec ondemand_at;	/* when an acquire last started a negotiation */
	struct event *ondemand_timer;	/* owned; an acquire the rate limit held back */
	unsigned refs;			/* the table's, and each IKE SA's */
	bool unloaded;			/* replaced or deleted: no longer in the table */
	bool outside_config;		/* added by whack from a file other than pluto's:
					 * a reload leaves it alone (reload.h) */
	/* templates and their instances */
	struct connection *template;	/* an instance: its template (a reference) */
	unsigned instance;		/* an instance: its number, from 1; 0 otherwise */
	char instance_text[LOGGER_INSTANCE_MAX];	/* an instance: "[1] 192.0.2.5" */
	unsigned instances_made;	/* a template: the number of its last instance */
	struct connection *next;	/* the list in file order (instances: their own list) */
	struct connection *prev;	/* connections.c's own */
	struct hash_entry by_name;	/* connections.c's own */
};

/* How many pairs of subnets the ends have, and pair k of them (k below
 * that), as the local side's subnet and the remote side's. */
unsigned ends_npairs(const struct ends *e);
void ends_pair(const struct ends *e, unsigned k, ip_subnet *local, ip_subnet *remote);

struct connection *conn_find(const char *name);
struct connection *conn_first(void);
size_t conn_count(void);

/* The live instances, in the order they were made (c->next). */
struct connection *conn_first_instance(void);

struct connection *conn_ref(struct connection *c);
void conn_unref(struct connection *c);

/* Checks a conn from a config (both ends present, the add-time offload
 * rules under config setup's fips), adds a copy of it and orients it,
 * replacing a loaded conn of the same name. NULL with the reasons in
 * errors when it is refused; lines the user should see either way go to
 * notes. A conn that asks for offload has its device probed, once in
 * pluto's life (the probe is logged here), and gets a warning in notes
 * when that device cannot take what the conn asks for. */
struct connection *conn_load(const struct conn_config *cfg, bool fips, bool *replaced,
			     struct diag *errors, struct diag *notes);
/* Whether conn_load would take cfg (its checks only: nothing is added);
 * the reasons in errors when not. */
bool conn_loadable(const struct conn_config *cfg, bool fips, struct diag *errors);
bool conn_delete(const char *name);
/* Drops the conn's failed attempts and any planned retry (it came up, or
 * the user took it down or replaced it). */
void conn_forget_failures(struct connection *c);
void conn_delete_all(void);

/* Works out which end of c->config is on this host (c->ends); true when
 * one is. An end written as %defaultroute is the address of the default
 * route's interface, looked up then; one written as a host name is the
 * address conn_resolve_names last found (none: not oriented). orient_all
 * does it for every conn, after the host's addresses changed, and says
 * which conns changed. */
bool conn_orient(struct connection *c);
void conn_orient_all(void);
/* Between conn_batch_begin and conn_batch_end (they nest), orienting
 * reads this host's addresses from one dump taken at the first begin,
 * not from a dump for each conn: for loading many conns at once. An
 * address that comes or goes meanwhile is seen at the next orientation
 * (the address watch orients every conn again). */
void conn_batch_begin(void);
void conn_batch_end(void);
/* Why c is not oriented, "" when it is; why one of its host names did
 * not resolve, "" when none failed. */
const char *conn_orient_why(const struct connection *c);
const char *conn_resolve_why(const struct connection *c);
/* Whether an end of c is written as a host name. */
bool conn_has_host_names(const struct connection *c);
/* Looks c's host names up (getaddrinfo: this blocks, as libreswan's
 * lookups do; done at --add and when initiating) and orients c again;
 * false with the reason in c->resolve_why when a name does not resolve. */
bool conn_resolve_names(struct connection *c);
/* The loaded conn for an IKE_SA_INIT to local from remote: oriented, with
 * local as its local end and remote (or %any) as its other; ends gets the
 * conn's ends with remote filled in. */
struct connection *conn_for_peer(const ip_address *local, const ip_address *remote, struct ends *ends);
/* The same, the first such conn for which fits(c, its ends, arg) holds. */
typedef bool conn_fits_fn(const struct connection *c, const struct ends *ends, void *arg);
struct connection *conn_for_peer_matching(const ip_address *local, const ip_address *remote,
					   conn_fits_fn *fits, void *arg, struct ends *ends);

/* Whether c is a template: its other end is %any. */
bool conn_is_template(const struct connection *c);
/* A new instance of template t for the peer of ends (its address and
 * authenticated ID); the caller holds the one reference. NULL when out
 * of memory. */
struct connection *conn_instantiate(struct connection *t, const struct ends *ends);

#define conn_log(c, level, ...) logger_log(&(c)->log, level, __VA_ARGS__)
#define conn_log_lines(c, level, d) logger_lines(&(c)->log, level, d)

#endif
