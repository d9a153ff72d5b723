/* keywords.c: the keyword table, and where each parsed value is stored.
 *
 * Defaults are not here: they are in ipsecconf.c, next to the structs'
 * construction, so that absent keywords and the table stay independent. */
#include <stdlib.h>
#include <string.h>
#include "ipsecconf.h"
#include "keywords.h"
#include "xalloc.h"

/* Enum fields are stored through an int; these keep that honest. */
_Static_assert(sizeof(enum auto_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conn_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum authby) == sizeof(int), "enum size");
_Static_assert(sizeof(enum phase2_proto) == sizeof(int), "enum size");
_Static_assert(sizeof(enum yna) == sizeof(int), "enum size");
_Static_assert(sizeof(enum hw_offload) == sizeof(int), "enum size");
_Static_assert(sizeof(enum fragmentation) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sendcert) == sizeof(int), "enum size");

static const struct kw_enum auto_values = {
	.values = (const struct kw_enum_value[]) {
		{ "ignore", AUTO_IGNORE, false },
		{ "add", AUTO_ADD, false },
		{ "start", AUTO_START, false },
		{ "ondemand", AUTO_ONDEMAND, false },
		{ "route", AUTO_ONDEMAND, true },	/* libreswan's older name */
		/* libreswan 5's: bring it up at once; and keep it up, which
		 * start does here (a tunnel lost is brought back). */
		{ "up", AUTO_START, true },
		{ "keep", AUTO_START, true },
		{ NULL, 0, false },
	},
};

static const struct kw_enum type_values = {
	.values = (const struct kw_enum_value[]) {
		{ "tunnel", TYPE_TUNNEL, false },
		{ "transport", TYPE_TRANSPORT, false },
		{ NULL, 0, false },
	},
};

/* libreswan's rsa-sha2 words all mean RFC 7427 signatures, as rsasig
 * does here (the hash is negotiated, SHA2 only). */
static const struct kw_enum authby_values = {
	.values = (const struct kw_enum_value[]) {
		{ "secret", AUTHBY_SECRET, false },
		{ "rsasig", AUTHBY_RSASIG, false },
		{ "ecdsa", AUTHBY_ECDSA, false },
		{ "psk", AUTHBY_SECRET, true },	/* strongSwan's spelling */
		{ "rsa-sha2", AUTHBY_RSASIG, true },
		{ "rsa-sha2_256", AUTHBY_RSASIG, true },
		{ "rsa-sha2_384", AUTHBY_RSASIG, true },
		{ "rsa-sha2_512", AUTHBY_RSASIG, true },
		{ "rsa", AUTHBY_RSASIG, true },
		{ "ecdsa-sha2", AUTHBY_ECDSA, true },
		{ "ecdsa-sha2_256", AUTHBY_ECDSA, true },
		{ "ecdsa-sha2_384", AUTHBY_ECDSA, true },
		{ "ecdsa-sha2_512", AUTHBY_ECDSA, true },
		{ NULL, 0, false },
	},
	.unsupported = "authby= takes secret (pre-shared keys), rsasig or ecdsa (certificates); "
		       "null, never and EAP are not supported",
};

static const struct kw_enum sendcert_values = {
	.values = (const struct kw_enum_value[]) {
		{ "sendifasked", SENDCERT_IFASKED, false },
		{ "always", SENDCERT_ALWAYS, false },
		{ "never", SENDCERT_NEVER, false },
		{ "ifasked", SENDCERT_IFASKED, true },	/* strongSwan's */
		{ "yes", SENDCERT_ALWAYS, true },	/* libreswan's older words */
		{ "no", SENDCERT_NEVER, true },
		{ NULL, 0, false },
	},
};

static const struct kw_enum phase2_values = {
	.values = (const struct kw_enum_value[]) {
		{ "esp", PHASE2_ESP, false },
		{ "ah", PHASE2_AH, false },
		{ NULL, 0, false },
	},
};

static const struct kw_enum esn_values = {
	.values = (const struct kw_enum_value[]) {
		{ "yes", YNA_YES, false },
		{ "no", YNA_NO, false },
		{ "either", YNA_AUTO, false },
		{ NULL, 0, false },
	},
};

static const struct kw_enum encapsulation_values = {
	.values = (const struct kw_enum_value[]) {
		{ "yes", YNA_YES, false },
		{ "no", YNA_NO, false },
		{ "auto", YNA_AUTO, false },
		{ NULL, 0, false },
	},
};

/* libreswan's nic-offload= takes the same five words, so one list serves
 * both spellings of the keyword. */
static const struct kw_enum hw_offload_values = {
	.values = (const struct kw_enum_value[]) {
		{ "no", HW_OFFLOAD_NO, false },
		{ "yes", HW_OFFLOAD_YES, false },
		{ "crypto", HW_OFFLOAD_CRYPTO, false },
		{ "packet", HW_OFFLOAD_PACKET, false },
		{ "auto", HW_OFFLOAD_AUTO, false },
		{ NULL, 0, false },
	},
};

static const struct kw_enum fragmentation_values = {
	.values = (const struct kw_enum_value[]) {
		{ "yes", FRAG_YES, false },
		{ "no", FRAG_NO, false },
		{ "force", FRAG_FORCE, false },
		{ NULL, 0, false },
	},
};

static const struct kw_enum keyexchange_values = {
	.values = (const struct kw_enum_value[]) {
		{ "ikev2", 0, false },
		{ "ike", 0, false },
		{ NULL, 0, false },
	},
	.unsupported = "only IKEv2 is supported (keyexchange=ikev2 or ike)",
};

/* libreswan 3.x/4.x's ikev2=; every value but "never"/"no" allows IKEv2. */
static const struct kw_enum ikev2_values = {
	.values = (const struct kw_enum_value[]) {
		{ "insist", 0, false },
		{ "yes", 0, false },
		{ "permit", 0, false },
		{ "propose", 0, false },
		{ NULL, 0, false },
	},
	.unsupported = "only IKEv2 is supported (ikev2=insist)",
};

static const struct kw_enum protostack_values = {
	.values = (const struct kw_enum_value[]) {
		{ "xfrm", 0, false },
		{ "netkey", 0, false },
		{ NULL, 0, false },
	},
	.unsupported = "only the Linux XFRM stack is supported (protostack=xfrm or netkey)",
};

static const struct kw_enum dpdaction_values = {
	.values = (const struct kw_enum_value[]) {
		{ "hold", DPD_HOLD, false },
		{ "clear", DPD_CLEAR, false },
		{ "restart", DPD_RESTART, false },
		{ NULL, 0, false },
	},
};

static const struct kw_enum ddos_mode_values = {
	.values = (const struct kw_enum_value[]) {
		{ "auto", DDOS_AUTO, false },
		{ "busy", DDOS_BUSY, false },
		{ "unlimited", DDOS_UNLIMITED, false },
		{ NULL, 0, false },
	},
};

#define CONN(field) offsetof(struct conn_config, field)
#define SETUP(field) offsetof(struct config_setup, field)

#define HOURS(n) ((uint32_t)(n) * 3600)

static const struct keyword keywords[] = {
	{ "also", KW_ALSO, KWS_CONN, KT_CONN_NAME, KW_NO_FIELD, 0, NULL, 0, 0 },
	{ "left", KW_LEFT, KWS_CONN, KT_HOST, CONN(left), 0, NULL, 0, 0 },
	{ "right", KW_RIGHT, KWS_CONN, KT_HOST, CONN(right), 0, NULL, 0, 0 },
	{ "leftsubnet", KW_LEFTSUBNET, KWS_CONN, KT_SUBNET, CONN(left), 0, NULL, 0, 0 },
	{ "leftsubnets", KW_LEFTSUBNET, KWS_CONN, KT_SUBNET, CONN(left), 0, NULL, 0, 0 },
	{ "rightsubnet", KW_RIGHTSUBNET, KWS_CONN, KT_SUBNET, CONN(right), 0, NULL, 0, 0 },
	{ "rightsubnets", KW_RIGHTSUBNET, KWS_CONN, KT_SUBNET, CONN(right), 0, NULL, 0, 0 },
	{ "leftid", KW_LEFTID, KWS_CONN, KT_ID, CONN(left.id), 0, NULL, 0, 0 },
	{ "rightid", KW_RIGHTID, KWS_CONN, KT_ID, CONN(right.id), 0, NULL, 0, 0 },
	/* libreswan's: the local address for traffic into the tunnel, and
	 * the script run when the tunnel comes up and goes (updown.h). */
	{ "leftsourceip", KW_LEFTSOURCEIP, KWS_CONN, KT_SOURCEIP, CONN(left), 0, NULL, 0, 0 },
	{ "rightsourceip", KW_RIGHTSOURCEIP, KWS_CONN, KT_SOURCEIP, CONN(right), 0, NULL, 0, 0 },
	{ "leftupdown", KW_LEFTUPDOWN, KWS_CONN, KT_UPDOWN, CONN(left.updown), 0, NULL, 0, 0 },
	{ "rightupdown", KW_RIGHTUPDOWN, KWS_CONN, KT_UPDOWN, CONN(right.updown), 0, NULL, 0, 0 },
	{ "leftprotoport", KW_LEFTPROTOPORT, KWS_CONN, KT_PROTOPORT, CONN(left), 0, NULL, 0, 0 },
	{ "rightprotoport", KW_RIGHTPROTOPORT, KWS_CONN, KT_PROTOPORT, CONN(right), 0, NULL, 0, 0 },
	/* RFC 7296 2.9: whether a child may be narrowed to a part of what
	 * was proposed; libreswan's default, no, asks for the same on both. */
	{ "narrowing", KW_NARROWING, KWS_CONN, KT_YESNO, CONN(narrowing), 0, NULL, 0, 0 },
	{ "authby", KW_AUTHBY, KWS_CONN, KT_ENUM, CONN(authby), 0, &authby_values, 0, 0 },
	/* libreswan's: each end's own method, over authby=; and its
	 * certificate, by nickname in the NSS database. */
	{ "leftauth", KW_LEFTAUTH, KWS_CONN, KT_ENUM, CONN(left.auth), 0, &authby_values, 0, 0 },
	{ "rightauth", KW_RIGHTAUTH, KWS_CONN, KT_ENUM, CONN(right.auth), 0, &authby_values, 0, 0 },
	{ "leftcert", KW_LEFTCERT, KWS_CONN, KT_STRING, CONN(left.cert), 0, NULL, 0, 0 },
	{ "rightcert", KW_RIGHTCERT, KWS_CONN, KT_STRING, CONN(right.cert), 0, NULL, 0, 0 },
	{ "leftsendcert", KW_LEFTSENDCERT, KWS_CONN, KT_ENUM, CONN(left.sendcert), 0, &sendcert_values, 0, 0 },
	{ "rightsendcert", KW_RIGHTSENDCERT, KWS_CONN, KT_ENUM, CONN(right.sendcert), 0, &sendcert_values, 0, 0 },
	{ "auto", KW_AUTO, KWS_CONN, KT_ENUM, CONN(auto_mode), 0, &auto_values, 0, 0 },
	{ "type", KW_TYPE, KWS_CONN, KT_ENUM, CONN(type), 0, &type_values, 0, 0 },
	{ "phase2", KW_PHASE2, KWS_CONN, KT_ENUM, CONN(phase2), 0, &phase2_values, 0, 0 },
	{ "ike", KW_IKE, KWS_CONN, KT_IKE, CONN(ike), CONN(ike_proposals), NULL, 0, 0 },
	{ "esp", KW_ESP, KWS_CONN, KT_ESP, CONN(esp), CONN(esp_proposals), NULL, 0, 0 },
	{ "phase2alg", KW_ESP, KWS_CONN, KT_ESP, CONN(esp), CONN(esp_proposals), NULL, 0, 0 },
	{ "ikelifetime", KW_IKELIFETIME, KWS_CONN, KT_DURATION, CONN(ikelifetime), 0, NULL, 1, 0 },
	{ "salifetime", KW_SALIFETIME, KWS_CONN, KT_DURATION, CONN(salifetime), 0, NULL, 1, 0 },
	{ "lifetime", KW_SALIFETIME, KWS_CONN, KT_DURATION, CONN(salifetime), 0, NULL, 1, 0 },
	{ "keylife", KW_SALIFETIME, KWS_CONN, KT_DURATION, CONN(salifetime), 0, NULL, 1, 0 },
	{ "rekey", KW_REKEY, KWS_CONN, KT_YESNO, CONN(rekey), 0, NULL, 0, 0 },
	{ "rekeymargin", KW_REKEYMARGIN, KWS_CONN, KT_DURATION, CONN(rekeymargin), 0, NULL, 0, 0 },
	/* libreswan's: up to this share of rekeymargin more, at random. */
	{ "rekeyfuzz", KW_REKEYFUZZ, KWS_CONN, KT_PERCENT, CONN(rekeyfuzz), 0, NULL, 0, 1000 },
	{ "dpddelay", KW_DPDDELAY, KWS_CONN, KT_DURATION, CONN(dpddelay), 0, NULL, 0, 0 },
	{ "dpdtimeout", KW_DPDTIMEOUT, KWS_CONN, KT_DURATION, CONN(dpdtimeout), 0, NULL, 0, 0 },
	{ "dpdaction", KW_DPDACTION, KWS_CONN, KT_ENUM, CONN(dpdaction), 0, &dpdaction_values, 0, 0 },
	/* libreswan's: how long one request may go unanswered, retransmits
	 * included; and the first wait, in milliseconds, doubled each time. */
	{ "retransmit-timeout", KW_RETRANSMIT_TIMEOUT, KWS_CONN, KT_DURATION, CONN(retransmit_timeout), 0, NULL, 1, 3600 },
	{ "retransmit-interval", KW_RETRANSMIT_INTERVAL, KWS_CONN, KT_NUMBER, CONN(retransmit_interval_ms), 0, NULL, 10, 60000 },
	{ "pfs", KW_PFS, KWS_CONN, KT_YESNO, CONN(pfs), 0, NULL, 0, 0 },
	{ "esn", KW_ESN, KWS_CONN, KT_ENUM, CONN(esn), 0, &esn_values, 0, 0 },
	{ "encapsulation", KW_ENCAPSULATION, KWS_CONN, KT_ENUM, CONN(encapsulation), 0, &encapsulation_values, 0, 0 },
	{ "nat-keepalive", KW_NAT_KEEPALIVE, KWS_CONN, KT_YESNO, CONN(nat_keepalive), 0, NULL, 0, 0 },
	/* Each SA's limits; its rekey is due at a share of them (lifetime.h). */
	{ "ipsec-max-bytes", KW_IPSEC_MAX_BYTES, KWS_CONN, KT_LIMIT, CONN(ipsec_max_bytes), 0, NULL, 0, 0 },
	{ "ipsec-max-packets", KW_IPSEC_MAX_PACKETS, KWS_CONN, KT_LIMIT, CONN(ipsec_max_packets), 0, NULL, 0, 0 },
	/* Packets; 0 turns replay protection off; the kernel's bitmap holds 4096. */
	{ "replay-window", KW_REPLAY_WINDOW, KWS_CONN, KT_NUMBER, CONN(replay_window), 0, NULL, 0, 4096 },
	/* TFC pads an ESP packet's payload; no packet is larger than 64 KiB. */
	{ "tfc", KW_TFC, KWS_CONN, KT_BYTES, CONN(tfc), 0, NULL, 0, 65535 },
	/* RFC 7383, offered in IKE_SA_INIT; libreswan's default, yes. */
	{ "fragmentation", KW_FRAGMENTATION, KWS_CONN, KT_ENUM, CONN(fragmentation), 0, &fragmentation_values, 0, 0 },
	{ "keyexchange", KW_KEYEXCHANGE, KWS_CONN, KT_ENUM, KW_NO_FIELD, 0, &keyexchange_values, 0, 0 },
	{ "ikev2", KW_IKEV2, KWS_CONN, KT_ENUM, KW_NO_FIELD, 0, &ikev2_values, 0, 0 },
	{ "hw_offload", KW_HW_OFFLOAD, KWS_CONN, KT_ENUM, CONN(hw_offload), 0, &hw_offload_values, 0, 0 },
	{ "nic-offload", KW_HW_OFFLOAD, KWS_CONN, KT_ENUM, CONN(hw_offload), 0, &hw_offload_values, 0, 0 },
	{ "hw_offload_fallback", KW_HW_OFFLOAD_FALLBACK, KWS_CONN, KT_YESNO, CONN(hw_offload_fallback), 0, NULL, 0, 0 },
	/* Which tunnels a full NIC table holds (offload_budget.h): higher
	 * first, traffic among equals. */
	{ "hw_offload_priority", KW_HW_OFFLOAD_PRIORITY, KWS_CONN, KT_NUMBER, CONN(hw_offload_priority), 0, NULL, 0, 1000000 },
	{ "fips", KW_FIPS, KWS_SETUP, KT_YESNO, SETUP(fips), 0, NULL, 0, 0 },
	{ "logfile", KW_LOGFILE, KWS_SETUP, KT_STRING, SETUP(logfile), 0, NULL, 0, 0 },
	{ "plutodebug", KW_PLUTODEBUG, KWS_SETUP, KT_STRING, SETUP(plutodebug), 0, NULL, 0, 0 },
	{ "protostack", KW_PROTOSTACK, KWS_SETUP, KT_ENUM, KW_NO_FIELD, 0, &protostack_values, 0, 0 },
	/* Accepted so that common libreswan configs load; pluto keeps one
	 * IKE SA per peer pair either way. */
	{ "uniqueids", KW_UNIQUEIDS, KWS_SETUP, KT_YESNO, KW_NO_FIELD, 0, NULL, 0, 0 },
	/* Defences against IKE_SA_INIT floods: libreswan's names, strongSwan's
	 * block_threshold and half_open_timeout under names in their style. */
	{ "ddos-mode", KW_DDOS_MODE, KWS_SETUP, KT_ENUM, SETUP(ddos_mode), 0, &ddos_mode_values, 0, 0 },
	{ "ddos-ike-threshold", KW_DDOS_IKE_THRESHOLD, KWS_SETUP, KT_NUMBER, SETUP(ddos_ike_threshold), 0, NULL, 1, 0 },
	{ "max-halfopen-ike", KW_MAX_HALFOPEN_IKE, KWS_SETUP, KT_NUMBER, SETUP(max_halfopen_ike), 0, NULL, 1, 0 },
	{ "max-halfopen-ike-per-peer", KW_MAX_HALFOPEN_IKE_PER_PEER, KWS_SETUP, KT_NUMBER,
	  SETUP(max_halfopen_ike_per_peer), 0, NULL, 1, 0 },
	{ "halfopen-ike-timeout", KW_HALFOPEN_IKE_TIMEOUT, KWS_SETUP, KT_DURATION, SETUP(halfopen_ike_timeout), 0, NULL, 1, 3600 },
	/* How often the SAs' byte counters are read to rank tunnels for
	 * the NIC's table (offload_budget.h); no: first come, first served. */
	{ "offload-interval", KW_OFFLOAD_INTERVAL, KWS_SETUP, KT_DURATION, SETUP(offload_interval), 0, NULL, 1, 86400 },
	{ "offload-budget", KW_OFFLOAD_BUDGET, KWS_SETUP, KT_YESNO, SETUP(offload_budget), 0, NULL, 0, 0 },
	/* libreswan's: the interval of NAT keepalives (RFC 3948 2.3). */
	{ "keep-alive", KW_KEEP_ALIVE, KWS_SETUP, KT_DURATION, SETUP(keep_alive), 0, NULL, 1, 3600 },
	{ "secretsfile", KW_SECRETSFILE, KWS_SETUP, KT_STRING, SETUP(secretsfile), 0, NULL, 0, 0 },
	/* libreswan's: the NSS database's directory (pluto's --nssdir). */
	{ "nssdir", KW_NSSDIR, KWS_SETUP, KT_STRING, SETUP(nssdir), 0, NULL, 0, 0 },
	/* libreswan's: threads computing DH (crypto_workers.h); 0: none. */
	{ "nhelpers", KW_NHELPERS, KWS_SETUP, KT_NUMBER, SETUP(nhelpers), 0, NULL, 0, NHELPERS_MAX },
};

#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

const struct keyword *keyword_lookup(const char *name)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return &keywords[i];
	return NULL;
}

/* The first entry of an id is its main name; aliases follow it. */
const char *keyword_id_name(enum kw_id id)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (keywords[i].id == id)
			return keywords[i].name;
	return "?";
}

/* Storing */

static void store_host(struct end_config *end, const char *text, const union kw_value *v)
{
	free(end->host_text);
	end->host_text = xstrdup(text);
	end->host = v->host.addr;
	end->host_any = v->host.any;
	end->host_defaultroute = v->host.defaultroute;
	end->host_dns = v->host.dns;
}

static void store_string(char **field, const char *text)
{
	free(*field);
	*field = xstrdup(text);
}

static void store_proposals(const struct alg_proposals **field, const struct alg_proposals *shared)
{
	alg_proposals_unref(*field);
	*field = alg_proposals_ref(shared);
}

void keyword_store(const struct keyword *kw, const char *text, const union kw_value *v, void *base)
{
	if (kw->offset == KW_NO_FIELD)
		return;
	char *field = (char *)base + kw->offset;
	switch (kw->type) {
	case KT_STRING:
	case KT_ID:
	case KT_UPDOWN:
		store_string((char **)(void *)field, text);
		break;
	case KT_HOST:
		store_host((struct end_config *)(void *)field, text, v);
		break;
	case KT_SUBNET: {
		struct end_config *end = (struct end_config *)(void *)field;
		memcpy(end->subnets, v->subnets.net, sizeof(end->subnets));
		end->nsubnets = v->subnets.n;
		end->subnet = end->subnets[0];
		end->has_subnet = true;
		break;
	}
	case KT_SOURCEIP: {
		struct end_config *end = (struct end_config *)(void *)field;
		end->sourceip = v->host.addr;
		end->has_sourceip = true;
		break;
	}
	case KT_PROTOPORT:
		((struct end_config *)(void *)field)->protoport = v->protoport;
		break;
	case KT_ENUM:
		memcpy(field, &v->enum_value, sizeof(int));
		break;
	case KT_YESNO:
		memcpy(field, &v->yes, sizeof(bool));
		break;
	case KT_DURATION:
	case KT_BYTES:
	case KT_NUMBER:
	case KT_PERCENT:
		memcpy(field, &v->number, sizeof(uint32_t));
		break;
	case KT_LIMIT:
		memcpy(field, &v->limit, sizeof(uint64_t));
		break;
	case KT_IKE:
	case KT_ESP:
		store_string((char **)(void *)field, text);
		store_proposals((const struct alg_proposals **)(void *)((char *)base + kw->proposals_offset),
				v->proposals);
		break;
	case KT_CONN_NAME:
		break;
	}
}
