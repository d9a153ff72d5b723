/* ike_sa.h: IKE SAs and their child SAs, as pluto holds them.
 *
 * One IKE SA carries the conn's tunnels, one per pair of its subnets
 * (leftsubnets=, rightsubnets=): each has one child SA, the current one,
 * and while a rekey (CREATE_CHILD_SA) runs, the ones it replaces until
 * they are deleted (retiring). Each SA has a serial number, shown as #N in
 * logs as libreswan does, and logs through its struct logger, which also
 * streams its lines to the whack client that asked for the negotiation,
 * if that client is still there.
 *
 * The table finds an SA by its SPI pair and our role in it (both ends of
 * one IKE SA may live in one process, as in tests) and, for a responder,
 * by the initiator's SPI and address (a repeated IKE_SA_INIT), each by a
 * keyed hash. A responder's SA that waits for IKE_AUTH is half-open: it
 * is counted for ike_dos.h and dropped when halfopen-ike-timeout passes.
 * Every SA keeps a reference to the conn it began with, so an exchange
 * under way keeps its config when the conn is replaced or deleted. */
#ifndef IKE_SA_H
#define IKE_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <event2/event.h>
#include "alg.h"
#include "connections.h"
#include "hash_table.h"
#include "ike_crypto.h"
#include "ikev2_msg.h"
#include "ip_address.h"
#include "logger.h"
#include "offload.h"
#include "offload_budget.h"
#include "retry.h"

/* What our one outstanding request is for (its answer is handled by it). */
enum ike_request {
	REQ_NONE,
	REQ_LIVENESS,		/* an empty INFORMATIONAL */
	REQ_DELETE_CHILD,	/* a Delete of retiring child SAs */
	REQ_REKEY_CHILD,	/* CREATE_CHILD_SA rekeying the child */
	REQ_REKEY_IKE,		/* CREATE_CHILD_SA rekeying the IKE SA */
};

struct ikev2_rekey;
struct ikev2_frag;

enum ike_state {
	IKE_I_INIT_SENT,	/* initiator: IKE_SA_INIT request out */
	IKE_I_AUTH_SENT,	/* initiator: IKE_AUTH request out */
	IKE_R_INIT_SENT,	/* responder: IKE_SA_INIT answered (half-open) */
	IKE_ESTABLISHED,
	IKE_DELETING,		/* our Delete request out */
	IKE_STATE_COUNT
};

struct child_sa {
	unsigned serial;
	bool installed;			/* its SAs are in the kernel (but see out_pending) */
	bool stepped_down;		/* its tunnel's policies were installed under the IKE SA's
					 * offload_stepped_down: its SAs, and its rekeys', ask for it */
	bool out_pending;		/* a rekey's responder: the outbound SA waits (child_sa.h) */
	uint32_t spi_in, spi_out;		/* in: ours; out: the peer's */
	uint32_t reqid;
	struct alg_proposal alg;
	bool esn;
	bool transport;
	ip_subnet local_net, remote_net;	/* traffic selectors agreed */
	struct protoport local_pp, remote_pp;	/* ... and their protocol and ports */
	struct sa_offload offload[2];		/* [0] inbound, [1] outbound */
	time_t add_time;
	bool keys_by_us;			/* we started the exchange that made it */
	uint32_t soft_seconds;			/* the kernel's soft expiry asks for a rekey */
	uint64_t soft_bytes, soft_packets;	/* ... and so do these, ipsec-max-bytes/-packets' */
	bool we_delete, delete_sent;		/* retiring: ours to delete; our Delete is out */
	unsigned replaces;			/* made by our answer to the peer's rekey of this child */
	uint8_t *keymat;			/* key memory, while out_pending */
	size_t keymat_len;
};

#define CHILD_RETIRING_MAX 2

/* Where the offload budget (offload_balance.h) has a tunnel's SAs go. */
struct tunnel_budget {
	struct offload_rate rate;	/* its SAs' bytes, smoothed */
	int ifindex;			/* the device its SAs were offloaded to or refused by */
	char dev[IF_NAMESIZE];
	bool sampled;			/* sampled at least once */
	bool offloaded;			/* its current SAs held a slot at the last sample */
	unsigned since_move;		/* samples since it came up or moved */
	bool to_software;		/* the budget's word: its next SAs go to software */
	unsigned rank, slots;		/* its rank on the device, the tunnels the device holds */
};

/* One pair of a conn's subnets that the IKE SA carries: its child SA,
 * the ones a rekey of it replaces, and the rekey it is owed. The pair is
 * of the IKE SA's own conn, or of another conn between the same hosts
 * and IDs whose child the peer asked for over this IKE SA (as strongSwan
 * and libreswan share one IKE SA among such conns): everything about the
 * child (its proposals, lifetimes, offload, updown, trap, status and log
 * lines) is its conn's; the IKE SA's own things stay with ike->c. */
struct tunnel {
	struct connection *c;		/* a reference: the conn the pair is of */
	struct ends ends;		/* c's ends with the peer's authenticated ID; the
					 * addresses in use are the IKE SA's (ike->ends) */
	unsigned pair;			/* which pair of subnets of the ends (ends_pair) */
	struct child_sa child;		/* the current one (serial 0: none yet) */
	struct child_sa retiring[CHILD_RETIRING_MAX];	/* replaced, until deleted */
	bool want_rekey;		/* due once the window is free (a child not
					 * installed: to be made anew) */
	time_t retry_at;		/* a rekey the peer put off (TEMPORARY_FAILURE) */
	uint64_t last_in_bytes;		/* the child's inbound bytes at the last liveness check */
	bool ever_up;			/* it had a child: the next is made "anew" */
	bool left;			/* of another conn, it left the IKE SA (taken down, or
					 * refused by the peer): kept, childless, until the
					 * conn or the peer asks for it again */
	struct tunnel_budget budget;	/* the NIC's table (offload_balance.h) */
};

/* NAT traversal (natt.h), decided at IKE_SA_INIT. */
struct ike_natt {
	bool negotiated;		/* both ends sent NAT detection notifies */
	bool we_behind, peer_behind;	/* what they showed */
	bool encap;			/* ESP in UDP, IKE on port 4500 */
	struct offload_policy offload;	/* the conn's, under the rule for encapsulated SAs */
	bool offload_refused;		/* ... which refuses them (hw_offload_fallback=no) */
	struct event *keepalive;	/* an end behind NAT: its keepalives */
};

struct buf {
	uint8_t *data;
	size_t len;
};

struct ike_sa {
	unsigned serial;
	struct connection *c;		/* a reference: the conn as it was when we began */
	struct logger log;		/* "conn" #serial, and the whack following */
	struct hash_entry by_spis, by_init, by_name;
	struct ike_sa *prev, *next;	/* every SA, for status and shutdown */
	/* initiator: its place at the gate of IKE_SA_INITs (ike_init_gate.h) */
	enum { GATE_NONE, GATE_WAITING, GATE_IN_FLIGHT } gate;
	struct ike_sa *gate_prev, *gate_next;	/* the gate's list it is on */
	bool initiator;
	enum ike_state state;
	bool peer_authenticated;	/* its AUTH checked out (a Delete may follow either way) */
	bool halfopen_counted;		/* in ike_dos's counts */
	bool halfopen_verified;		/* ... as one whose cookie came back */
	struct ends ends;
	uint16_t local_port, remote_port;	/* 500, or 4500 with NAT-T */
	struct ike_natt natt;
	struct ikev2_frag *frag;	/* RFC 7383 agreed (ikev2_frag.h), or NULL */
	/* The device took a child's SAs for packet offload but refused their
	 * policies: that tunnel, and every tunnel made after it on this IKE
	 * SA, asks for this instead (crypto offload, or software), and so do
	 * their rekeys (child_sa.stepped_down), so SAs and policies agree. */
	bool packet_policy_refused;
	struct offload_policy offload_stepped_down;
	/* certificates (ikev2_cert.h) */
	unsigned peer_sig_hashes;	/* its SIGNATURE_HASH_ALGORITHMS, SIG_HASH_BITs */
	bool peer_asked_cert;		/* it sent a CERTREQ */
	char peer_auth[600];		/* how it authenticated, for the log and --status */

	uint8_t spi_i[IKEV2_SPI_LEN], spi_r[IKEV2_SPI_LEN];
	struct alg_proposal ike_alg;
	enum dh_id dh_group;
	struct dh_local *dh;
	bool crypto_busy;		/* its IKE_SA_INIT DH is on a helper (crypto_workers.h):
					 * the SA waits for it; its end clears this */
	struct buf dh_pub;		/* initiator: our KE, unchanged when a COOKIE is sent back */
	unsigned init_retries;		/* initiator: IKE_SA_INIT sent again (COOKIE, INVALID_KE) */
	struct buf ni, nr;		/* nonces, 16 to 256 bytes (RFC 7296 2.10) */
	struct buf cookie;		/* initiator: the responder's COOKIE, sent back */
	struct ike_keys *keys;		/* in key memory (secmem.h); NULL until derived */
	struct buf init_sent, init_rcvd;	/* the IKE_SA_INIT messages, for AUTH */
	struct event *halfopen_timer;	/* responder: drop it if IKE_AUTH never comes */
	struct event *liveness;		/* dpddelay=: the next check */
	struct timespec last_heard;	/* the peer's last message, or ESP from it */

	/* exchanges we start */
	uint32_t next_msgid;
	struct buf request;		/* last request, for retransmits */
	struct event *retransmit;
	unsigned retransmits;
	struct timespec request_sent_at;	/* when it first went */
	/* exchanges the peer starts */
	uint32_t peer_msgid;		/* next one expected */
	uint64_t last_request_digest;	/* the request we last answered, as it came (keyed */
	size_t last_request_len;	/* hash and length), to know its retransmits */
	struct buf response;		/* our answer to it, sent again for them */
	struct timespec resent_at;	/* when it was last sent again */

	struct tunnel *tunnels;		/* one per pair of the conn's subnets, then
					 * those of other conns (ike_sa_add_tunnel) */
	unsigned ntunnels;
	/* rekeying (ikev2_rekey.c) */
	struct ikev2_rekey *rekey;	/* our CREATE_CHILD_SA under way, or NULL */
	enum ike_request request_kind;	/* what our outstanding request is for */
	bool want_ike_rekey;		/* due once the window is free */
	struct event *rekey_timer;	/* the IKE SA's own rekey and expiry, and the tunnels' retries */
	time_t ike_rekey_at, ike_expire_at;	/* 0: none */
	unsigned replaced_by;		/* rekeyed into IKE SA #N: its end loses no tunnel */
	/* the initiator's attempt to bring the conn up */
	bool attempt_over;		/* it succeeded, or was called off */
	char failure[512];		/* the first error logged: why it failed */
	enum attempt_failure failure_kind;
};

/* ---- the table ---- */

/* A new SA of c (referenced), with a serial; the whack session following
 * it is whack (0 for none). */
struct ike_sa *ike_sa_new(struct connection *c, bool initiator, unsigned whack);
/* The SA a message is for: its SPIs, and whether we are its initiator
 * (the message's I flag is clear). */
struct ike_sa *ike_sa_find(const uint8_t spi_i[8], const uint8_t spi_r[8], bool we_initiated);
/* A responder's SA for an IKE_SA_INIT from this initiator SPI and address. */
struct ike_sa *ike_sa_find_init(const uint8_t spi_i[8], const ip_address *remote);
/* ike is now of conn c (referenced; the old one unreferenced), and
 * found under c's name. */
void ike_sa_set_conn(struct ike_sa *ike, struct connection *c);
/* Makes ike findable by its SPIs (and a responder's by its initiator's
 * SPI and address): call once they are set, and again when the initiator
 * learns the responder's SPI. */
void ike_sa_index(struct ike_sa *ike);
/* Moves to state, keeping the half-open counts right. */
void ike_sa_set_state(struct ike_sa *ike, enum ike_state state);
/* A responder's SA becomes half-open: counted (as one whose cookie came
 * back, when verified) and timed. */
void ike_sa_start_halfopen(struct ike_sa *ike, unsigned timeout_s, bool verified);

struct ike_sa *ike_sa_first(void);
/* The SA standing for conn name: the one we initiated or the established
 * one; a responder's half-open SA never stands for the conn, so a spoofed
 * IKE_SA_INIT cannot hold our own initiation back. A template's
 * instances stand for themselves, not for it. */
struct ike_sa *ike_sa_of_conn(const char *name);
/* The same for instance number instance of conn name (0: the conn). */
struct ike_sa *ike_sa_of_instance(const char *name, unsigned instance);
/* The SA that carries the tunnels of conn name (instance number
 * instance, 0: the conn): the one standing for it, else one of another
 * conn that they joined. */
struct ike_sa *ike_sa_carrying(const char *name, unsigned instance);
/* The SA with that serial, or NULL (a list walk: for rare events). */
struct ike_sa *ike_sa_by_serial(unsigned serial);
/* Every SA of conn name (its instances' too), in turn, in no set order:
 * start with NULL; after must still be in the table (take the next one
 * before freeing it). Freeing SAs during a walk is fine; making one or
 * moving one to another conn (ike_sa_set_conn) is not: the table may
 * regrow its chains, and the walk skip or repeat SAs. */
struct ike_sa *ike_sa_next_of_conn(struct ike_sa *after, const char *name);

/* Frees it and what it holds (keys wiped); the child's kernel state must
 * already be gone (child_sa_remove). A waiting whack gets status rc. */
void ike_sa_free(struct ike_sa *ike, int rc);
unsigned next_serial(void);
/* Our rekey under way, if any (ikev2_rekey.c). */
void ikev2_rekey_free(struct ike_sa *ike);
unsigned ike_sa_count(void);
unsigned child_sa_count(void);

/* ---- the tunnels ---- */

/* Gives ike one tunnel per pair of its ends' subnets, none up (any it
 * had are dropped); false when out of memory. Called once its ends are
 * final, before any child exists: by the initiator as it sends IKE_AUTH,
 * by the responder once IKE_AUTH chose the conn, and for the successor
 * of a rekeyed IKE SA. */
bool ike_sa_make_tunnels(struct ike_sa *ike);
/* The most tunnels one IKE SA carries, of all its conns. */
#define IKE_TUNNELS_MAX (CONN_SUBNETS_MAX * CONN_SUBNETS_MAX)
/* A tunnel for pair of conn c (referenced), whose ends are given, added
 * after ike's others: the array moves, so pointers into it go stale.
 * NULL when IKE_TUNNELS_MAX are there already, or out of memory. */
struct tunnel *ike_sa_add_tunnel(struct ike_sa *ike, struct connection *c, const struct ends *ends, unsigned pair);
/* Whether t is of the conn named name (instance number instance). */
bool tunnel_of_conn(const struct tunnel *t, const char *name, unsigned instance);
/* The tunnel that holds ch (its current child or a retiring one). */
struct tunnel *ike_sa_tunnel_of(struct ike_sa *ike, const struct child_sa *ch);
/* The child (current or retiring) whose outbound SPI is spi, and its
 * tunnel; NULL when none. */
struct child_sa *ike_sa_child_by_spi_out(struct ike_sa *ike, uint32_t spi, struct tunnel **t);
/* Whether a tunnel of conn name (instance) on ike has its current child
 * installed. */
bool ike_sa_conn_up(const struct ike_sa *ike, const char *name, unsigned instance);
/* Whether any tunnel of ike has its current child installed. */
bool ike_sa_any_child(const struct ike_sa *ike);

/* ike->log for the IKE SA's lines; child_log for those of child ch of
 * tunnel t, under t's conn's name with ch's serial. The first LL_ERROR
 * line is also kept in ike->failure: the cause comes first, its
 * consequences after. */
#define ike_log(ike, level, ...) logger_log(&(ike)->log, level, __VA_ARGS__)
void child_log(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch, enum log_level level,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The logger of child ch of ike's tunnel t: "conn" #child. */
struct logger child_logger(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch);
/* Each line of d through child_log. */
void child_log_lines(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch,
		     enum log_level level, const struct diag *d);

void buf_set(struct buf *b, const uint8_t *data, size_t len);
void buf_free(struct buf *b);

#endif
