/* ikev2_msg.h: IKEv2 messages on the wire (RFC 7296 section 3).
 *
 * Parsing never trusts a length: every payload's length is checked
 * against what is left, every body against its payload's minimum, and a
 * malformed message is an error value with a reason (never a crash, never
 * a read past the buffer). Parsed payloads point into the caller's buffer.
 * Building is append-only into a caller's buffer; each payload added
 * patches the previous one's next-payload field. */
#ifndef IKEV2_MSG_H
#define IKEV2_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "alg.h"
#include "diag.h"
#include "ip_address.h"

#define IKEV2_HDR_LEN		28
#define IKEV2_GENERIC_HDR_LEN	4
#define IKEV2_MAX_PAYLOADS	32
#define IKEV2_MSG_MAX		65535
#define IKEV2_SPI_LEN		8

enum ikev2_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	CREATE_CHILD_SA = 36,
	INFORMATIONAL = 37,
};

#define IKEV2_FLAG_INITIATOR	0x08
#define IKEV2_FLAG_VERSION	0x10
#define IKEV2_FLAG_RESPONSE	0x20
#define IKEV2_VERSION		0x20	/* major 2, minor 0 */

enum ikev2_payload_type {
	PT_NONE = 0,
	PT_SA = 33, PT_KE = 34, PT_IDi = 35, PT_IDr = 36, PT_CERT = 37, PT_CERTREQ = 38,
	PT_AUTH = 39, PT_NONCE = 40, PT_NOTIFY = 41, PT_DELETE = 42, PT_VID = 43,
	PT_TSi = 44, PT_TSr = 45, PT_SK = 46, PT_CP = 47, PT_EAP = 48, PT_SKF = 53,
};

enum ikev2_notify_type {
	/* errors */
	N_UNSUPPORTED_CRITICAL_PAYLOAD = 1, N_INVALID_IKE_SPI = 4, N_INVALID_MAJOR_VERSION = 5,
	N_INVALID_SYNTAX = 7, N_INVALID_MESSAGE_ID = 9, N_INVALID_SPI = 11,
	N_NO_PROPOSAL_CHOSEN = 14, N_INVALID_KE_PAYLOAD = 17, N_AUTHENTICATION_FAILED = 24,
	N_SINGLE_PAIR_REQUIRED = 34, N_NO_ADDITIONAL_SAS = 35, N_INTERNAL_ADDRESS_FAILURE = 36,
	N_FAILED_CP_REQUIRED = 37, N_TS_UNACCEPTABLE = 38, N_INVALID_SELECTORS = 39,
	N_TEMPORARY_FAILURE = 43, N_CHILD_SA_NOT_FOUND = 44,
	/* status */
	N_INITIAL_CONTACT = 16384, N_SET_WINDOW_SIZE = 16385,
	N_NAT_DETECTION_SOURCE_IP = 16388, N_NAT_DETECTION_DESTINATION_IP = 16389,
	N_COOKIE = 16390, N_USE_TRANSPORT_MODE = 16391, N_REKEY_SA = 16393,
	N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394, N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	N_MOBIKE_SUPPORTED = 16396, N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	N_SIGNATURE_HASH_ALGORITHMS = 16431,
};
/* Notify types below this are errors (RFC 7296 3.10.1). */
#define N_ERROR_MAX 16383

enum ikev2_protocol { PROTO_IKE = 1, PROTO_AH = 2, PROTO_ESP = 3 };
enum ikev2_id_type { ID_IPV4_ADDR = 1, ID_FQDN = 2, ID_RFC822_ADDR = 3, ID_IPV6_ADDR = 5, ID_DER_ASN1_DN = 9 };
/* 14: RFC 7427's digital signature, its algorithm named in the AUTH data */
enum ikev2_auth_method { AUTH_SHARED_KEY_MIC = 2, AUTH_DIGITAL_SIGNATURE = 14 };
/* CERT and CERTREQ encodings (3.6): only X.509 certificates, signature */
enum ikev2_cert_encoding { CERT_X509_SIGNATURE = 4 };
/* SIGNATURE_HASH_ALGORITHMS' hash ids (RFC 7427 section 7), as bits of a mask */
enum ikev2_sig_hash { SIG_HASH_SHA2_256 = 2, SIG_HASH_SHA2_384 = 3, SIG_HASH_SHA2_512 = 4 };
#define SIG_HASH_BIT(h) (1u << (h))
enum ikev2_ts_type { TS_IPV4_ADDR_RANGE = 7, TS_IPV6_ADDR_RANGE = 8 };
enum ikev2_transform_type { TRANS_ENCR = 1, TRANS_PRF = 2, TRANS_INTEG = 3, TRANS_DH = 4, TRANS_ESN = 5 };

struct ikev2_hdr {
	uint8_t spi_i[IKEV2_SPI_LEN], spi_r[IKEV2_SPI_LEN];
	uint8_t next_payload;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
};

/* One payload as found: body excludes the 4-byte generic header. */
struct ikev2_payload {
	uint8_t type;
	bool critical;
	const uint8_t *body;
	size_t len;
};

struct ikev2_msg {
	struct ikev2_hdr hdr;
	struct ikev2_payload p[IKEV2_MAX_PAYLOADS];
	size_t n;
	/* When the last outer payload is SK: where its body starts in the
	 * buffer (for integrity and AEAD data), and the type of the first
	 * payload inside it. */
	size_t sk_offset;
	uint8_t sk_first;
};

/* The header and the outer payload chain of a whole datagram. Checks the
 * header's length against len, the version (major 2), and every payload
 * length. */
bool ikev2_parse(const uint8_t *buf, size_t len, struct ikev2_msg *m, struct diag *d);
/* Appends the payload chain of decrypted SK contents, starting with type
 * first, to m (replacing the SK payload itself). SK must be m's last
 * payload; on failure m is left as it was. The limit of
 * IKEV2_MAX_PAYLOADS covers the outer and inner payloads together. */
bool ikev2_parse_inner(const uint8_t *buf, size_t len, uint8_t first, struct ikev2_msg *m, struct diag *d);
/* The first payload of a type, or NULL. */
const struct ikev2_payload *ikev2_find(const struct ikev2_msg *m, uint8_t type);
/* The first critical payload this implementation does not understand
 * (for UNSUPPORTED_CRITICAL_PAYLOAD), or NULL. Understood: SA, KE, IDi,
 * IDr, CERT, CERTREQ, AUTH, Nonce, Notify, Delete, VID, TSi, TSr and SK;
 * not CP, EAP, SKF or unknown types. */
const struct ikev2_payload *ikev2_unknown_critical(const struct ikev2_msg *m);

/* ---- payload bodies ---- */

/* As many as a proposal's one-byte count can say (strongSwan's default
 * first IKE proposal has 34). */
#define IKEV2_TRANSFORMS_MAX 255
#define IKEV2_PROPOSALS_MAX 16

struct ikev2_transform {
	uint8_t type;		/* enum ikev2_transform_type */
	uint16_t id;
	uint16_t keylen;	/* key length attribute in bits, 0 when absent */
	/* Parsing: the transform carried an attribute other than the key
	 * length (or a zero key length), so it must not be selected (RFC 7296
	 * 3.3.6); the rest of its proposal still counts. Building ignores it. */
	bool unusable;
};

struct ikev2_proposal {
	uint8_t num;
	uint8_t protocol;	/* enum ikev2_protocol */
	uint8_t spi[IKEV2_SPI_LEN];
	uint8_t spi_len;	/* 0 (IKE_SA_INIT), 4 (ESP) or 8 (IKE rekey) */
	struct ikev2_transform t[IKEV2_TRANSFORMS_MAX];
	size_t nt;
};

struct ikev2_sa_payload {
	struct ikev2_proposal prop[IKEV2_PROPOSALS_MAX];
	size_t n;
};

struct ikev2_ke { uint16_t group; const uint8_t *data; size_t len; };
struct ikev2_id { uint8_t type; const uint8_t *data; size_t len; };
struct ikev2_auth { uint8_t method; const uint8_t *data; size_t len; };
struct ikev2_cert { uint8_t encoding; const uint8_t *data; size_t len; };
struct ikev2_notify {
	uint8_t protocol;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};
#define IKEV2_DELETE_SPIS_MAX 64
struct ikev2_delete {
	uint8_t protocol;
	uint8_t spi_len;
	uint16_t count;
	const uint8_t *spis;	/* count * spi_len bytes */
};
struct ikev2_ts {
	uint8_t type;		/* enum ikev2_ts_type */
	uint8_t ipproto;	/* 0: any */
	uint16_t start_port, end_port;	/* start <= end, or 65535, 0: OPAQUE (3.13.1) */
	ip_address start, end;
};
#define IKEV2_TS_MAX 8
struct ikev2_ts_payload {
	struct ikev2_ts ts[IKEV2_TS_MAX];
	size_t n;
};

bool ikev2_parse_sa(const struct ikev2_payload *p, struct ikev2_sa_payload *sa, struct diag *d);
bool ikev2_parse_ke(const struct ikev2_payload *p, struct ikev2_ke *ke, struct diag *d);
bool ikev2_parse_id(const struct ikev2_payload *p, struct ikev2_id *id, struct diag *d);
bool ikev2_parse_auth(const struct ikev2_payload *p, struct ikev2_auth *a, struct diag *d);
/* CERT and CERTREQ: the encoding and the rest (a certificate's DER; for
 * CERTREQ, the SHA-1 hashes of CA public keys), which may not be empty. */
bool ikev2_parse_cert(const struct ikev2_payload *p, struct ikev2_cert *c, struct diag *d);
/* A peer's certificates before it has authenticated cost at most this:
 * so many X.509 CERT payloads, each of at most so many bytes (a 4096-bit
 * RSA certificate with a long chain of names is some 2 KiB). */
#define IKEV2_CERTS_MAX 4
#define IKEV2_CERT_DER_MAX 8192
/* The X.509 certificates of m's CERT payloads, in order (the first is
 * the peer's own), into certs (IKEV2_CERTS_MAX of them): their count, or
 * -1 with the reason in d for a payload of another encoding, too many, or
 * one too big. */
int ikev2_certs(const struct ikev2_msg *m, struct ikev2_cert *certs, struct diag *d);
/* The mask of SIG_HASH_BITs of a SIGNATURE_HASH_ALGORITHMS notify's data
 * (two octets per hash; ids we do not know are left out); false when its
 * length is odd or zero. */
bool ikev2_parse_sig_hashes(const uint8_t *data, size_t len, unsigned *mask);
bool ikev2_parse_notify(const struct ikev2_payload *p, struct ikev2_notify *n, struct diag *d);
bool ikev2_parse_delete(const struct ikev2_payload *p, struct ikev2_delete *del, struct diag *d);
bool ikev2_parse_ts(const struct ikev2_payload *p, struct ikev2_ts_payload *ts, struct diag *d);
/* The nonce is the whole body, 16 to 256 bytes (3.9); ikev2_parse
 * already refuses a Nonce payload of any other size. */
#define IKEV2_NONCE_MIN 16
#define IKEV2_NONCE_MAX 256
bool ikev2_parse_nonce(const struct ikev2_payload *p, const uint8_t **nonce, size_t *len, struct diag *d);

/* ---- building ---- */

struct ikev2_builder {
	uint8_t *buf;
	size_t cap, used;
	size_t np_at;		/* where the previous next-payload byte is */
	bool overflow;		/* set once anything did not fit, or an encoder
				 * was given something it cannot encode (a
				 * payload over 65535 bytes, an SPI over 8
				 * bytes, an unknown TS type); build fails */
};
/* Nothing is ever written at or past buf + cap: once something does not
 * fit, every later call does nothing and ikev2_finish returns 0. */

/* Starts a message: the header with length 0 (fixed by ikev2_finish).
 * h's next_payload and length are not used: the first payload added sets
 * the one, ikev2_finish the other. */
void ikev2_begin(struct ikev2_builder *b, uint8_t *buf, size_t cap, const struct ikev2_hdr *h);
/* Appends a payload whose body is given; returns where its body starts
 * (0 on overflow). */
size_t ikev2_add(struct ikev2_builder *b, uint8_t type, const void *body, size_t len);
/* Appends the header of a payload whose body the caller writes next
 * (ikev2_put); ikev2_end_payload fixes its length. Returns where the
 * payload's generic header starts (its body starts 4 bytes later), 0 on
 * overflow. For SK: open it, put the IV, add the inner payloads (the
 * first one patches SK's next-payload, as RFC 7296 3.14 wants), put room
 * for padding and ICV, then end it; sk_seal does the rest. */
size_t ikev2_open_payload(struct ikev2_builder *b, uint8_t type);
/* data NULL: len zero bytes (room for an IV, padding or an ICV). */
void ikev2_put(struct ikev2_builder *b, const void *data, size_t len);
void ikev2_end_payload(struct ikev2_builder *b, size_t payload_start);
/* Writes the total length into the header; 0 on overflow, else the length. */
size_t ikev2_finish(struct ikev2_builder *b);

/* Body encoders (each appends one whole payload). ikev2_add_id's and
 * ikev2_add_ts's type is the payload type (PT_IDi/PT_IDr, PT_TSi/PT_TSr);
 * a nonce is ikev2_add(b, PT_NONCE, nonce, len). */
void ikev2_add_sa(struct ikev2_builder *b, const struct ikev2_sa_payload *sa);
void ikev2_add_ke(struct ikev2_builder *b, uint16_t group, const uint8_t *data, size_t len);
void ikev2_add_id(struct ikev2_builder *b, uint8_t type, enum ikev2_id_type id_type, const uint8_t *data, size_t len);
void ikev2_add_auth(struct ikev2_builder *b, uint8_t method, const uint8_t *data, size_t len);
void ikev2_add_notify(struct ikev2_builder *b, uint8_t protocol, const uint8_t *spi, uint8_t spi_len,
		      uint16_t type, const uint8_t *data, size_t len);
void ikev2_add_delete(struct ikev2_builder *b, uint8_t protocol, uint8_t spi_len,
		      const uint8_t *spis, uint16_t count);
void ikev2_add_ts(struct ikev2_builder *b, uint8_t type, const struct ikev2_ts_payload *ts);

/* ---- proposals: the wire's transforms and our alg_proposals ---- */

/* The SA payload offering ps (merging proposals that differ only in DH
 * into one wire proposal is allowed but not required). For ESP, spi is
 * our inbound SPI (4 bytes) and esn says whether to offer ESN: 0 none,
 * 1 ESN only, 2 both (no-ESN first).
 *
 * This implementation merges: two proposals whose transforms differ in
 * one transform type only become one wire proposal offering the union of
 * that type (so ike=aes256-sha2;dh19+dh20+dh31 is one wire proposal with
 * three DH transforms, and ESP's sha2_512+sha2_256 one with two INTEG).
 * The result offers exactly the same combinations, since a wire proposal
 * means every combination of its transforms. A type present in one and
 * absent in the other (ESP with and without PFS, AEAD and not) is never
 * merged. Wire proposals keep the order of their first alg_proposal, and
 * transforms their order of appearance; ENCR gets a key length attribute
 * except for chacha20-poly1305 (RFC 7634 forbids it).
 *
 * The child SA negotiated in IKE_AUTH has no KE payload, so its SA
 * payloads carry no DH transform (RFC 7296 1.2): callers pass ESP
 * proposals with dh set to DH_NONE there, here and to ikev2_sa_choose and
 * ikev2_sa_accepted alike; the PFS group counts in CREATE_CHILD_SA only. */
void ikev2_sa_from_proposals(const struct alg_proposals *ps, enum ikev2_protocol proto,
			     const uint8_t *spi, uint8_t spi_len, int esn, struct ikev2_sa_payload *out);
/* The responder's choice: the first of the peer's proposals (in the
 * peer's order) that one of ours accepts. On success, chosen holds the
 * single-proposal SA payload to send back, and alg/esn what it means.
 * esn_policy as above, for what we accept, plus 3: either, but no ESN
 * whenever the peer's proposal allows it (an SA for a NIC that cannot
 * offload ESN). false: NO_PROPOSAL_CHOSEN.
 *
 * Within a peer's proposal our order decides: the first of ours all of
 * whose transforms it offers. Proposals for another protocol, with an SPI
 * size wrong for it, with a transform type we do not know or one that
 * does not belong to the protocol (ESN in IKE, PRF in ESP), or without
 * ESN for ESP are skipped (3.3.3, 3.3.6). AEAD is chosen only when the
 * proposal offers no integrity or INTEG NONE; ESP without PFS only when
 * it offers no DH or DH NONE (those NONE transforms are echoed in chosen,
 * as 3.3.6 wants one of each type offered). With esn_policy 2 the peer's
 * first ESN transform wins.
 *
 * chosen's proposal keeps the peer's number and carries the peer's SPI
 * (where the caller reads it for the outbound SA): the caller puts its own
 * SPI there before sending it. */
bool ikev2_sa_choose(const struct ikev2_sa_payload *offered, const struct alg_proposals *ours,
		     enum ikev2_protocol proto, int esn_policy,
		     struct ikev2_sa_payload *chosen, struct alg_proposal *alg, bool *esn);
/* The initiator reading the responder's answer: exactly one proposal,
 * which must be one we offered: one transform of each type, the types
 * the protocol needs, no unknown or unusable transform, and ESN as
 * esn_policy allows. INTEG NONE with AEAD and DH NONE in ESP without PFS
 * are accepted whether we sent them or not. spi and spi_len get the
 * responder's SPI (spi_len 0 in IKE_SA_INIT). The proposal number is not
 * checked (ours has several; callers may compare). */
bool ikev2_sa_accepted(const struct ikev2_sa_payload *answer, const struct alg_proposals *ours,
		       enum ikev2_protocol proto, int esn_policy,
		       struct alg_proposal *alg, bool *esn, uint8_t spi[IKEV2_SPI_LEN], uint8_t *spi_len,
		       struct diag *d);

const char *ikev2_exchange_name(uint8_t exchange);	/* "IKE_SA_INIT" ... */
const char *ikev2_notify_name(uint16_t type);		/* "NO_PROPOSAL_CHOSEN" ... */
const char *ikev2_payload_name(uint8_t type);		/* "SA", "Nonce" ... */
/* All three give "UNKNOWN" for values not in their enums. */

#endif
