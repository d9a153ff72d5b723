/* keywords.h: the ipsec.conf keywords, their sections, types and values.
 *
 * One table says, for every keyword (and alias) we accept, which section
 * it belongs to, how its value is parsed, and where the parsed value goes
 * in struct conn_config or struct config_setup. Parsing a value never
 * prints it anywhere but in the returned reason. */
#ifndef KEYWORDS_H
#define KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "alg.h"
#include "ip_address.h"
#include "ipsecconf.h"
#include "protoport.h"

/* One id per keyword; aliases share their keyword's id, which is what
 * duplicates are detected by (esp= and phase2alg= in one conn clash). */
enum kw_id {
	KW_ALSO,
	KW_LEFT, KW_RIGHT,
	KW_LEFTSUBNET, KW_RIGHTSUBNET,
	KW_LEFTID, KW_RIGHTID,
	KW_LEFTSOURCEIP, KW_RIGHTSOURCEIP, KW_LEFTUPDOWN, KW_RIGHTUPDOWN,
	KW_LEFTPROTOPORT, KW_RIGHTPROTOPORT, KW_NARROWING,
	KW_AUTHBY, KW_LEFTAUTH, KW_RIGHTAUTH, KW_LEFTCERT, KW_RIGHTCERT,
	KW_LEFTSENDCERT, KW_RIGHTSENDCERT, KW_AUTO, KW_TYPE, KW_PHASE2,
	KW_IKE, KW_ESP,
	KW_IKELIFETIME, KW_SALIFETIME, KW_REKEY, KW_REKEYMARGIN,
	KW_DPDDELAY, KW_DPDTIMEOUT, KW_DPDACTION,
	KW_RETRANSMIT_TIMEOUT, KW_RETRANSMIT_INTERVAL, KW_REKEYFUZZ,
	KW_PFS, KW_ESN, KW_ENCAPSULATION, KW_NAT_KEEPALIVE, KW_TFC,
	KW_KEYEXCHANGE, KW_IKEV2,
	KW_HW_OFFLOAD, KW_HW_OFFLOAD_FALLBACK, KW_FRAGMENTATION,
	KW_FIPS, KW_LOGFILE, KW_PLUTODEBUG, KW_PROTOSTACK, KW_UNIQUEIDS,
	KW_DDOS_MODE, KW_DDOS_IKE_THRESHOLD, KW_MAX_HALFOPEN_IKE,
	KW_MAX_HALFOPEN_IKE_PER_PEER, KW_HALFOPEN_IKE_TIMEOUT, KW_KEEP_ALIVE, KW_SECRETSFILE, KW_NSSDIR, KW_NHELPERS, KW_REPLAY_WINDOW,
	KW_IPSEC_MAX_BYTES, KW_IPSEC_MAX_PACKETS, KW_HW_OFFLOAD_PRIORITY, KW_OFFLOAD_INTERVAL, KW_OFFLOAD_BUDGET,
	KW_COUNT
};

enum kw_section { KWS_SETUP, KWS_CONN };

enum kw_type {
	KT_STRING,	/* any non-empty text */
	KT_HOST,	/* an IP address or %any, into a struct end_config */
	KT_SUBNET,	/* one subnet, into a struct end_config */
	KT_SOURCEIP,	/* one address, into a struct end_config (leftsourceip=) */
	KT_UPDOWN,	/* %disabled or an absolute path and its arguments, kept as text */
	KT_PROTOPORT,	/* protocol[/port] (protoport.h), into a struct end_config */
	KT_ID,		/* an IKE id (ipsec_id.h), kept as text */
	KT_ENUM,	/* one word of kw_enum */
	KT_YESNO,
	KT_DURATION,	/* seconds; s, m, h, d suffixes */
	KT_BYTES,	/* a number of bytes */
	KT_NUMBER,	/* a count */
	KT_PERCENT,	/* a count with an optional %, as libreswan's rekeyfuzz=100% */
	KT_LIMIT,	/* a 64-bit count with an optional Ki, Mi, Gi, Ti, Pi or Ei (and B) */
	KT_IKE,		/* ike= proposals (alg_parse_ike) */
	KT_ESP,		/* esp= proposals (alg_parse_esp) */
	KT_CONN_NAME,	/* also= */
};

struct kw_enum_value {
	const char *name;
	int value;
	bool alias;	/* accepted but left out of the "expected ..." list */
};

struct kw_enum {
	const struct kw_enum_value *values;	/* ends with a NULL name */
	/* When set, a value not in the list is "not supported" with this
	 * explanation rather than merely invalid (authby=rsasig). */
	const char *unsupported;
};

#define KW_NO_FIELD SIZE_MAX	/* checked, then ignored: protostack=, uniqueids= */

struct keyword {
	const char *name;
	enum kw_id id;
	enum kw_section section;
	enum kw_type type;
	size_t offset;		/* in struct conn_config or config_setup, or KW_NO_FIELD */
	size_t proposals_offset;	/* KT_IKE, KT_ESP: the struct alg_proposals */
	const struct kw_enum *values;	/* KT_ENUM */
	uint32_t min, max;	/* KT_DURATION, KT_BYTES, KT_NUMBER; max 0 means UINT32_MAX */
};

union kw_value {
	bool yes;
	int enum_value;
	uint32_t number;
	uint64_t limit;
	struct {
		ip_address addr;
		bool any;
		bool defaultroute;	/* %defaultroute */
		bool dns;		/* a host name */
	} host;
	struct {
		ip_subnet net[IPSEC_SUBNETS_MAX];
		unsigned n;
	} subnets;
	struct protoport protoport;
	const struct alg_proposals *proposals;	/* a reference (alg.h); the entry's own */
};

/* The keyword (or alias) called name, NULL when there is none. */
const struct keyword *keyword_lookup(const char *name);
/* The main name of a keyword id ("esp" for phase2alg's id). */
const char *keyword_id_name(enum kw_id id);
/* The libreswan keywords pluto knows of but does not implement
 * (keyword_fates.c): accepted with a notice that says why they have no
 * effect here, either whatever their value or only with the values
 * listed; or refused, with the reason. */
enum kw_fate_kind { KF_IGNORED, KF_REFUSED };
struct kw_fate {
	const char *name;		/* "left..." stands for "right..." too */
	enum kw_section section;
	enum kw_fate_kind fate;
	const char *values;		/* KF_IGNORED: "no|never", NULL for any */
	const char *why;
};
const struct kw_fate *keyword_fate(const char *name);
/* Whether value is one f accepts without effect. */
bool keyword_fate_accepts(const struct kw_fate *f, const char *value);

#define KW_WHY_MAX 512

/* Parses text as kw's type into v. false with, in why, the reason and
 * what was expected; may use several lines (alg errors), '\n'-separated.
 * A value that holds a reference (proposals) is released by
 * keyword_value_free. */
bool keyword_parse(const struct keyword *kw, const char *text, union kw_value *v,
		   char why[KW_WHY_MAX]);

void keyword_value_free(const struct keyword *kw, union kw_value *v);

/* Stores a parsed value into base, a struct conn_config or config_setup
 * by kw->section; strings are copied from text,
 * proposals referenced. */
void keyword_store(const struct keyword *kw, const char *text, const union kw_value *v, void *base);

#endif
