/* offload.h: the hw_offload policy and its diagnostics (docs/offload.md),
 * apart from netlink so each can be read and tested on its own.
 *
 * offload_check_conn() applies the rules known before any negotiation
 * (fips, AH, TFC padding, forced NAT-T, packet mode on a kernel without
 * it) when a conn is added. offload_install_sa() installs one SA through
 * the kernel ops the way the conn asks: it picks the device holding the
 * local address, tries the offload modes in order, reads the SA back to
 * learn what really happened, and falls back to software or fails by
 * hw_offload_fallback, leaving nothing half-installed. Every event a user
 * should see comes back as one line in a diag, for the caller to log with
 * its "conn" #N: prefix. */
#ifndef OFFLOAD_H
#define OFFLOAD_H

#include <net/if.h>
#include <stdbool.h>
#include "diag.h"
#include "ipsecconf.h"
#include "kernel.h"

/* What the conn's SAs get, decided when the conn is added. */
struct offload_policy {
	enum hw_offload mode;		/* what is left of hw_offload after the add-time rules */
	bool fallback;			/* hw_offload_fallback */
	char software_why[64];		/* set when the add-time rules turned offload off */
};

/* What an SA got, for trafficstatus. */
enum sa_offload_state {
	SA_OFFLOAD_NONE,		/* not asked for */
	SA_OFFLOAD_CRYPTO,
	SA_OFFLOAD_PACKET,
	SA_OFFLOAD_SOFTWARE,		/* asked for, runs in software: see why */
};

struct sa_offload {
	enum sa_offload_state state;
	char dev[IF_NAMESIZE];		/* the device for CRYPTO and PACKET, and for
					 * SOFTWARE when that device refused the SA */
	int ifindex;			/* and its index */
	char why[96];			/* for SOFTWARE */
	bool table_full;		/* SOFTWARE: the device's table was full (ENOSPC) */
	unsigned table_held;		/* ... holding this many offloaded SAs then */
	bool budget_kept;		/* SOFTWARE: the offload budget kept it from dev */
};

/* Add-time rules. false (with one line per reason in errors) refuses the
 * conn; true fills pol, possibly with lines in notes (a warning that the
 * conn will run in software, say). fips is config setup's fips=. */
bool offload_check_conn(const struct conn_config *c, bool fips, const struct kernel_ops *k,
			struct offload_policy *pol, struct diag *errors, struct diag *notes);

/* When NAT is found (natt.h): the rule encapsulation=yes has at add
 * time, for an IKE SA whose SAs go in UDP. pol gets conn_pol as it is,
 * or turned to software with a note; false (a line in errors) when
 * hw_offload_fallback=no refuses them. */
bool offload_check_encap(const struct conn_config *c, const struct kernel_ops *k, const struct offload_policy *conn_pol,
			 struct offload_policy *pol, struct diag *errors, struct diag *notes);

/* Installs sa (whose offload fields are overwritten) under pol. 0: the SA
 * is installed and *out says how; -errno: it is not, and no trace of it is
 * left in the kernel. Lines for the user go to notes either way. */
int offload_install_sa(const struct kernel_ops *k, const struct offload_policy *pol,
		       struct kernel_sa *sa, struct sa_offload *out, struct diag *notes);

/* Both SAs of a child: inbound first (ready before the peer sends), then
 * outbound; when the second fails the first is removed again, so either
 * both are installed (0) or neither is (-errno). out[0] is for in. */
int offload_install_pair(const struct kernel_ops *k, const struct offload_policy *pol,
			 struct kernel_sa *in, struct kernel_sa *outbound,
			 struct sa_offload out[2], struct diag *notes);

/* The device took an SA pair for packet offload (sa, either of them) but
 * refused a policy of it with e: one line for the user, and true when the
 * pair may be installed again under *retry, which asks for crypto offload
 * (hw_offload=auto) or software (hw_offload_fallback=yes). */
bool offload_policy_refused(const struct offload_policy *pol, const struct sa_offload *sa,
			    const char *policy, const struct kernel_err *e,
			    struct offload_policy *retry, struct diag *notes);

/* A policy follows the SA of its direction: when that SA got packet
 * offload, the policy is offloaded to the same device (the kernel wants
 * both there); otherwise it stays in software. */
void offload_policy_follow(const struct sa_offload *sa, struct kernel_policy *p);

/* How many SAs the device with ifindex holds now (the NIC's table is small). */
unsigned offload_count_on(const struct kernel_ops *k, int ifindex);

/* "crypto(eth0)", "packet(eth0)", "none", "software(why)", escaped for
 * printing (an interface's name is any bytes its creator chose); raw as
 * it is, for an escaper of another kind (JSON). */
const char *sa_offload_str(const struct sa_offload *o, char *buf, size_t len);
#define SA_OFFLOAD_RAW_MAX (sizeof(((struct sa_offload *)0)->why) + IF_NAMESIZE + 16)
const char *sa_offload_raw(const struct sa_offload *o, char *buf, size_t len);

/* "esp.9195dc7a@192.168.7.11" */
const char *sa_name(const struct kernel_sa *sa, char *buf, size_t len);

#endif
