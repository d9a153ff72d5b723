/* retry.h: whether, and when, pluto tries a conn again after an attempt to
 * bring it up failed.
 *
 * An auto=start conn is pluto's to keep up, so a failed attempt is tried
 * again later and later: after RETRY_FIRST_S, then twice that each time,
 * up to RETRY_MAX_S. A failure of configuration (the kernel or NIC refused
 * what the conn asks for, and hw_offload_fallback=no forbids running it in
 * software) would fail the same way every time: it is not tried again
 * until the conn is replaced (ipsec auto --add). A conn added with
 * auto=add is tried only when asked (--up). Either way the failure stays
 * on the conn, with its diagnostic, for --status.
 *
 * This module decides and remembers; ikev2.c keeps the timer and
 * initiates. */
#ifndef RETRY_H
#define RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define RETRY_FIRST_S 30
#define RETRY_MAX_S 3600
/* A tunnel that was up and was lost is brought back sooner. */
#define REVIVE_FIRST_S 5

enum attempt_failure {
	ATTEMPT_TRANSIENT,	/* no answer, a refusal by the peer, ... */
	ATTEMPT_CAPACITY,	/* the NIC's SA table was full */
	ATTEMPT_CONFIG,		/* the kernel or NIC refused what the conn asks for */
	ATTEMPT_LOST,		/* not an attempt: the tunnel was up, and the peer
				 * deleted it or stopped answering */
};

#define RETRY_WHY_MAX 512

struct conn_retry {
	unsigned failures;		/* in a row, since the conn was added or last came up */
	bool began_lost;		/* the first of them was a tunnel lost, not an attempt */
	enum attempt_failure kind;	/* of the last one */
	char *why;			/* its diagnostic (at most RETRY_WHY_MAX - 1
				 * characters), NULL before the first: most
				 * conns never fail, so it is allocated */
	time_t failed_at;
	time_t next_at;			/* the next attempt; 0: none planned */
};

/* How a refused IPsec SA install (-errno) counts. */
enum attempt_failure retry_kind_of_install(int err);

/* Records a failed attempt at now (ours, or the peer's that we answered). */
void retry_note(struct conn_retry *r, enum attempt_failure kind, const char *why, time_t now);

/* After a failed attempt of ours: plans the next one when keep_up
 * (auto=start) allows it and the failure was not one of configuration.
 * The seconds until then; 0 when none is planned. */
unsigned retry_plan_next(struct conn_retry *r, bool keep_up, time_t now);

/* What comes next, for the log and --status: "next attempt in 30 s",
 * "not retried until the conn is replaced (ipsec auto --add)", or "" when
 * nothing is planned and nothing forbids it (auto=add). */
const char *retry_plan(const struct conn_retry *r, time_t now, char *buf, size_t len);

/* "3 failed attempts in a row, the last 12 s ago: <why>; <plan>", or ""
 * without a failure. */
const char *retry_status(const struct conn_retry *r, time_t now, char *buf, size_t len);

/* The last failure's diagnostic; "" without one. */
const char *retry_why(const struct conn_retry *r);

/* The conn came up, was replaced or was taken down: no failure is left.
 * Also what frees r's text when the conn goes. */
void retry_reset(struct conn_retry *r);

#endif
