/* ike_sa.h: IKE SAs and their child SA, as pluto holds them.
 *
 * One IKE SA carries at most one child SA (the conn's tunnel). Each has a
 * serial number, shown as #N in logs as libreswan does. An IKE SA logs
 * through ike_log(), which also streams the line to the whack client
 * that asked for the negotiation, if any. */
#ifndef IKE_SA_H
#define IKE_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <event2/event.h>
#include "alg.h"
#include "connections.h"
#include "ike_crypto.h"
#include "ikev2_msg.h"
#include "ip_address.h"
#include "offload.h"
#include "retry.h"

struct whack_session;

enum ike_state {
	IKE_I_INIT_SENT,	/* initiator: IKE_SA_INIT request out */
	IKE_I_AUTH_SENT,	/* initiator: IKE_AUTH request out */
	IKE_R_INIT_SENT,	/* responder: IKE_SA_INIT answered */
	IKE_ESTABLISHED,
	IKE_DELETING,		/* our Delete request out */
};

/* The conn as seen from this host: which end is local. */
struct ends {
	ip_address local, remote;
	ip_subnet local_net, remote_net;
	char local_id[256], remote_id[256];	/* as written, or the address */
};

struct child_sa {
	unsigned serial;
	bool installed;
	uint32_t spi_in, spi_out;		/* in: ours; out: the peer's */
	uint32_t reqid;
	struct alg_proposal alg;
	bool esn;
	bool transport;
	ip_subnet local_net, remote_net;	/* traffic selectors agreed */
	struct sa_offload offload[2];		/* [0] inbound, [1] outbound */
	time_t add_time;
};

struct buf {
	uint8_t *data;
	size_t len;
};

struct ike_sa {
	unsigned serial;
	char conn_name[128];		/* the conn may be deleted under us */
	struct ike_sa *next;
	bool initiator;
	enum ike_state state;
	struct ends ends;
	uint16_t remote_port;

	uint8_t spi_i[IKEV2_SPI_LEN], spi_r[IKEV2_SPI_LEN];
	struct alg_proposal ike_alg;
	enum dh_id dh_group;
	struct dh_local *dh;
	uint8_t ni[32], nr[32];
	size_t ni_len, nr_len;
	struct ike_keys keys;
	bool have_keys;
	struct buf init_sent, init_rcvd;	/* the IKE_SA_INIT messages, for AUTH */

	/* exchanges we start */
	uint32_t next_msgid;
	struct buf request;		/* last request, for retransmits */
	struct event *retransmit;
	unsigned retransmits;
	/* exchanges the peer starts */
	uint32_t peer_msgid;		/* next one expected */
	struct buf response;		/* last response, resent on a retransmit */
	bool have_response;

	struct child_sa child;
	uint32_t child_spi_in;		/* chosen before IKE_AUTH */
	struct whack_session *whack;	/* --up waiting for the outcome */

	/* the initiator's attempt to bring the conn up */
	bool attempt_over;		/* it succeeded, or was called off */
	char failure[512];		/* the first error logged: why it failed */
	enum attempt_failure failure_kind;
};

/* ---- the table ---- */
struct ike_sa *ike_sa_new(const struct connection *c, bool initiator);
struct ike_sa *ike_sa_by_spi(const uint8_t spi_i[8], const uint8_t spi_r[8]);
struct ike_sa *ike_sa_by_initiator_spi(const uint8_t spi_i[8], const ip_address *remote);
struct ike_sa *ike_sa_first(void);
struct ike_sa *ike_sa_of_conn(const char *name);
/* Frees it and what it holds (keys wiped); the child's kernel state must
 * already be gone (child_sa_remove). A waiting whack gets status rc. */
void ike_sa_free(struct ike_sa *ike, int rc);
unsigned next_serial(void);
unsigned ike_sa_count(void);
unsigned child_sa_count(void);

/* "\"conn\" #N: text" to the log and to the waiting whack, N being the
 * IKE SA's serial (ike_log) or its child's (child_log). The first LL_ERROR
 * line is also kept in ike->failure: the cause comes first, its
 * consequences after. */
void ike_log(struct ike_sa *ike, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void child_log(struct ike_sa *ike, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Each line of d through child_log. */
void child_log_lines(struct ike_sa *ike, enum log_level level, const struct diag *d);

/* Which end of c is on this host; false (with the reason) when neither. */
bool conn_ends(const struct conn_config *c, struct ends *e, struct diag *d);

void buf_set(struct buf *b, const uint8_t *data, size_t len);
void buf_free(struct buf *b);

#endif
