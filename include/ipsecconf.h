/* ipsecconf.h: ipsec.conf in libreswan's format, loaded all-or-nothing.
 *
 * ipsecconf_load() reads a file (following `include` globs), applies
 * `conn %default` and `also=`, checks every keyword against the keyword
 * table and every value against its type, and returns either a complete
 * struct ipsec_conf or NULL with every error in the diag, each naming file,
 * line and keyword ("ipsec.conf:12: keyword 'hw_ofload': unknown keyword").
 * Nothing is half-loaded.
 *
 * A conn's keywords come from, in order of precedence: its own section;
 * its also= targets in the order written, each with its own also= (depth
 * first); then conn %default (wherever it is in the file). A conn with
 * auto=ignore is listed too but may be a fragment meant for also=: it is
 * not required to have left= and right= (host_text is NULL then), so
 * whoever adds such a conn by name must check that both are there. */
#ifndef IPSECCONF_H
#define IPSECCONF_H

#include <stdbool.h>
#include <stdint.h>
#include "diag.h"
#include "ip_address.h"
#include "alg.h"
#include "protoport.h"

enum auto_mode { AUTO_IGNORE, AUTO_ADD, AUTO_START, AUTO_ONDEMAND };
enum conn_type { TYPE_TUNNEL, TYPE_TRANSPORT };
/* authby=, and leftauth=/rightauth= (AUTHBY_CONN: as authby= says). A
 * signature method authenticates with the end's leftcert= (RFC 7427
 * digital signatures: RSA-PSS, ECDSA). */
enum authby { AUTHBY_CONN, AUTHBY_SECRET, AUTHBY_RSASIG, AUTHBY_ECDSA };
/* leftsendcert=: when our CERT payload goes with our AUTH. */
enum sendcert { SENDCERT_IFASKED, SENDCERT_ALWAYS, SENDCERT_NEVER };
enum phase2_proto { PHASE2_ESP, PHASE2_AH };
enum yna { YNA_AUTO, YNA_YES, YNA_NO };
/* dpdaction=: what a dead peer leads to (libreswan's values). */
enum dpd_action { DPD_HOLD, DPD_CLEAR, DPD_RESTART };		/* encapsulation=, esn= (either is auto) */

/* docs/offload.md. YES and CRYPTO ask for the same thing; YES is kept
 * apart only so --status shows what the user wrote. */
enum hw_offload { HW_OFFLOAD_NO, HW_OFFLOAD_YES, HW_OFFLOAD_CRYPTO, HW_OFFLOAD_PACKET, HW_OFFLOAD_AUTO };

/* leftsubnets=: at most this many subnets on a side. */
#define IPSEC_SUBNETS_MAX 8

/* fragmentation=: IKE fragmentation (RFC 7383). FORCE is libreswan's
 * IKEv1 word (fragments before the peer said it takes them); in IKEv2
 * fragments go only once both ends sent IKEV2_FRAGMENTATION_SUPPORTED,
 * so it asks for what YES does, and is kept apart for --status. */
enum fragmentation { FRAG_YES, FRAG_NO, FRAG_FORCE };

struct end_config {
	char *host_text;	/* as written: an address, a host name, "%any" or "%defaultroute" */
	ip_address host;	/* unset for %any; for the others, unset until pluto resolves them */
	bool host_any;
	bool host_defaultroute;	/* the address of the default route's interface, when oriented */
	bool host_dns;		/* a host name, resolved at --add and when initiating */
	ip_subnet subnet;	/* leftsubnet=; when !has_subnet, the host itself
				 * (unset for %any: known only once the peer is) */
	bool has_subnet;
	/* leftsubnets=, or a list in leftsubnet=: every subnet of the side,
	 * [0] being subnet; one tunnel per pair of the two sides' subnets */
	ip_subnet subnets[IPSEC_SUBNETS_MAX];
	unsigned nsubnets;
	char *id;		/* leftid= as written, NULL when absent (the address is the id) */
	ip_address sourceip;	/* leftsourceip=: the source of our traffic into the tunnel */
	bool has_sourceip;
	char *updown;		/* leftupdown= as written ("%disabled" too), NULL when absent */
	struct protoport protoport;	/* leftprotoport=; both sides share one protocol */
	char *cert;		/* leftcert=: a nickname in the NSS database, NULL when absent */
	enum authby auth;	/* leftauth=: how this end authenticates */
	enum sendcert sendcert;	/* leftsendcert= */
};

struct conn_config {
	char *name;
	char *file;		/* where the conn section starts */
	int line;
	struct end_config left, right;
	enum authby authby;
	enum auto_mode auto_mode;
	enum conn_type type;
	enum phase2_proto phase2;
	char *ike;		/* ike= as written, NULL for the default */
	char *esp;		/* esp= (or phase2alg=) as written, NULL for the default */
	/* parsed at load, defaults when absent; shared (alg.h): never NULL
	 * in a built config, and never changed in place */
	const struct alg_proposals *ike_proposals;
	const struct alg_proposals *esp_proposals;
	uint32_t ikelifetime;	/* seconds */
	uint32_t salifetime;	/* seconds */
	uint64_t ipsec_max_bytes, ipsec_max_packets;	/* each SA's; 0 = no limit */
	bool rekey;
	uint32_t rekeymargin;	/* seconds */
	uint32_t rekeyfuzz;	/* percent of rekeymargin added at random */
	uint32_t dpddelay;	/* seconds, 0 = off */
	uint32_t dpdtimeout;	/* seconds; IKEv2 goes by retransmit_timeout */
	enum dpd_action dpdaction;
	uint32_t retransmit_timeout;	/* seconds one request may go unanswered */
	uint32_t retransmit_interval_ms;	/* the first wait, doubled each time */
	bool pfs;
	enum yna esn;		/* esn=yes|no|either */
	enum yna encapsulation;	/* encapsulation=yes|no|auto (NAT-T) */
	bool nat_keepalive;	/* nat-keepalive=: keepalives when we are behind NAT */
	uint32_t tfc;		/* TFC padding in bytes, 0 = none */
	uint32_t replay_window;	/* packets, 0 = no replay protection */
	bool narrowing;		/* narrowing=: a child may be part of what was proposed */
	enum fragmentation fragmentation;
	enum hw_offload hw_offload;
	bool hw_offload_fallback;
	uint32_t hw_offload_priority;	/* a full NIC table holds higher ones first */
	/* a new field: compare it in conn_config_same (conn_config_diff.c) */
};

/* ddos-mode=: when IKE_SA_INIT must carry a cookie (RFC 7296 2.6). */
enum ddos_mode {
	DDOS_AUTO,		/* once ddos-ike-threshold half-open IKE SAs are held */
	DDOS_BUSY,		/* always */
	DDOS_UNLIMITED,		/* never */
};

#define DDOS_IKE_THRESHOLD_DEFAULT 50
#define MAX_HALFOPEN_IKE_DEFAULT 10000
#define MAX_HALFOPEN_IKE_PER_PEER_DEFAULT 5
#define HALFOPEN_IKE_TIMEOUT_DEFAULT 30
#define KEEP_ALIVE_DEFAULT 20	/* libreswan's keep-alive= */
#define NHELPERS_PER_CPU UINT32_MAX	/* nhelpers= not given: one per online CPU */
#define NHELPERS_MAX 64
#define OFFLOAD_INTERVAL_DEFAULT 60

struct config_setup {
	bool fips;
	char *logfile;
	char *plutodebug;	/* as written: "none", "all", or a list */
	enum ddos_mode ddos_mode;
	uint32_t ddos_ike_threshold;		/* half-open IKE SAs before cookies */
	uint32_t max_halfopen_ike;		/* ... before new ones are refused */
	uint32_t max_halfopen_ike_per_peer;	/* ... from one address */
	uint32_t halfopen_ike_timeout;		/* seconds a half-open IKE SA is kept */
	uint32_t keep_alive;			/* seconds between NAT keepalives */
	uint32_t offload_interval;		/* seconds between samples of the SAs' bytes */
	bool offload_budget;			/* no: the NIC's table is first come, first served */
	char *secretsfile;			/* when pluto is given no --secretsfile */
	char *nssdir;				/* when pluto is given no --nssdir */
	uint32_t nhelpers;			/* DH helper threads, or NHELPERS_PER_CPU */
};

struct ipsec_conf {
	struct config_setup setup;
	struct conn_config *conns;	/* in file order, %default excluded */
	size_t nconns;
	struct diag notes;		/* libreswan keywords accepted without effect */
	char **bad_conns;		/* ipsecconf_load_good_conns: the conns left out */
	size_t nbad_conns;
};

/* NULL on any error; every error is in d. */
struct ipsec_conf *ipsecconf_load(const char *path, struct diag *d);
/* The same for a daemon that must start with what is good, as libreswan
 * does: a conn with an error (in its section, its also= targets or conn
 * %default) is left out and named in bad_conns, and the others load.
 * NULL only when the file cannot be read, has a syntax error or an error
 * in config setup (which decides for the whole daemon). Every error is in
 * d either way. */
struct ipsec_conf *ipsecconf_load_good_conns(const char *path, struct diag *d);
/* Whether name is one of conf's bad_conns. */
bool ipsecconf_is_bad_conn(const struct ipsec_conf *conf, const char *name);
void ipsecconf_free(struct ipsec_conf *c);
/* config setup as it is without a config setup section. */
void config_setup_defaults(struct config_setup *setup);
const struct conn_config *ipsecconf_find(const struct ipsec_conf *c, const char *name);

/* Deep copy and free of one conn, for the daemon that keeps it after the
 * config it came from is freed. */
struct conn_config *conn_config_dup(const struct conn_config *c);
void conn_config_free(struct conn_config *c);
/* Whether a and b ask for the same conn: every keyword's value alike
 * (an end written as a host name or %defaultroute compares as written).
 * Where each is written (file, line) does not count. When not, what gets
 * the keyword of the first difference ("leftsubnet", "esp"). A field
 * added to struct conn_config must be compared there too. */
bool conn_config_same(const struct conn_config *a, const struct conn_config *b, char *what, size_t len);

/* How end authenticates under c: its leftauth=, else c's authby=. */
enum authby end_authby(const struct conn_config *c, const struct end_config *end);
const char *authby_name(enum authby a);		/* "secret", "rsasig", "ecdsa" */
const char *sendcert_name(enum sendcert s);	/* "sendifasked", "always", "never" */
const char *fragmentation_name(enum fragmentation f);	/* "yes", "no", "force" */
const char *hw_offload_name(enum hw_offload o);	/* "no", "yes", "crypto", "packet", "auto" */
const char *auto_mode_name(enum auto_mode a);
const char *dpd_action_name(enum dpd_action a);	/* "hold", "clear", "restart" */
const char *yna_name(enum yna v, const char *auto_word);	/* yes/no/auto_word */

#endif
