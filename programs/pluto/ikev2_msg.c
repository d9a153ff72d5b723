/* ikev2_msg.c: parsing IKEv2 messages (RFC 7296 section 3), and the
 * names of exchanges, notifications and payloads.
 *
 * Everything read comes through a struct rd (ikev2_wire.h), so a length
 * that lies can only make a read fail, never reach past the buffer. */
#include <string.h>
#include <sys/socket.h>
#include "ikev2_msg.h"
#include "ikev2_wire.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names ---- */

struct name { unsigned value; const char *name; };

static const char *lookup(const struct name *t, size_t n, unsigned v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return "UNKNOWN";
}

static const struct name exchange_names[] = {
	{ IKE_SA_INIT, "IKE_SA_INIT" }, { IKE_AUTH, "IKE_AUTH" },
	{ CREATE_CHILD_SA, "CREATE_CHILD_SA" }, { INFORMATIONAL, "INFORMATIONAL" },
};

const char *ikev2_exchange_name(uint8_t exchange)
{
	return lookup(exchange_names, ARRAY_LEN(exchange_names), exchange);
}

#define N(x) { N_##x, #x }
static const struct name notify_names[] = {
	N(UNSUPPORTED_CRITICAL_PAYLOAD), N(INVALID_IKE_SPI), N(INVALID_MAJOR_VERSION),
	N(INVALID_SYNTAX), N(INVALID_MESSAGE_ID), N(INVALID_SPI),
	N(NO_PROPOSAL_CHOSEN), N(INVALID_KE_PAYLOAD), N(AUTHENTICATION_FAILED),
	N(SINGLE_PAIR_REQUIRED), N(NO_ADDITIONAL_SAS), N(INTERNAL_ADDRESS_FAILURE),
	N(FAILED_CP_REQUIRED), N(TS_UNACCEPTABLE), N(INVALID_SELECTORS),
	N(TEMPORARY_FAILURE), N(CHILD_SA_NOT_FOUND),
	N(INITIAL_CONTACT), N(SET_WINDOW_SIZE),
	N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
	N(COOKIE), N(USE_TRANSPORT_MODE), N(REKEY_SA),
	N(ESP_TFC_PADDING_NOT_SUPPORTED), N(NON_FIRST_FRAGMENTS_ALSO),
	N(MOBIKE_SUPPORTED), N(IKEV2_FRAGMENTATION_SUPPORTED),
	N(SIGNATURE_HASH_ALGORITHMS),
};
#undef N

const char *ikev2_notify_name(uint16_t type)
{
	return lookup(notify_names, ARRAY_LEN(notify_names), type);
}

static const struct name payload_names[] = {
	{ PT_NONE, "NONE" }, { PT_SA, "SA" }, { PT_KE, "KE" }, { PT_IDi, "IDi" },
	{ PT_IDr, "IDr" }, { PT_CERT, "CERT" }, { PT_CERTREQ, "CERTREQ" },
	{ PT_AUTH, "AUTH" }, { PT_NONCE, "Nonce" }, { PT_NOTIFY, "Notify" },
	{ PT_DELETE, "Delete" }, { PT_VID, "VID" }, { PT_TSi, "TSi" }, { PT_TSr, "TSr" },
	{ PT_SK, "SK" }, { PT_CP, "CP" }, { PT_EAP, "EAP" }, { PT_SKF, "SKF" },
};

const char *ikev2_payload_name(uint8_t type)
{
	return lookup(payload_names, ARRAY_LEN(payload_names), type);
}

/* ---- the header and the payload chain ---- */

/* Fixed parts of bodies, checked while walking the chain so that a
 * payload too short to hold its own fields never reaches a body parser.
 * The body parsers check the variable parts. max 0: no limit. */
static const struct body_size {
	uint8_t type;
	size_t min, max;
} body_sizes[] = {
	{ PT_SA, 8, 0 },		/* one proposal header */
	{ PT_KE, 4, 0 },		/* group, reserved */
	{ PT_IDi, 4, 0 }, { PT_IDr, 4, 0 },	/* type, reserved */
	{ PT_CERT, 1, 0 }, { PT_CERTREQ, 1, 0 },	/* encoding */
	{ PT_AUTH, 4, 0 },		/* method, reserved */
	{ PT_NONCE, IKEV2_NONCE_MIN, IKEV2_NONCE_MAX },	/* 3.9 */
	{ PT_NOTIFY, 4, 0 },		/* protocol, SPI size, type */
	{ PT_DELETE, 4, 0 },		/* protocol, SPI size, count */
	{ PT_TSi, 4, 0 }, { PT_TSr, 4, 0 },	/* count, reserved */
	{ PT_CP, 4, 0 },		/* type, reserved */
};

static bool check_body_size(uint8_t type, size_t len, struct diag *d)
{
	for (size_t i = 0; i < ARRAY_LEN(body_sizes); i++) {
		const struct body_size *s = &body_sizes[i];
		if (s->type != type)
			continue;
		if (len < s->min || (s->max > 0 && len > s->max)) {
			diag_add(d, "%s payload body of %zu bytes: must be %s %zu bytes",
				 ikev2_payload_name(type), len,
				 len < s->min ? "at least" : "at most",
				 len < s->min ? s->min : s->max);
			return false;
		}
		return true;
	}
	return true;
}

/* A payload list being filled, with its limit. */
struct chain {
	struct ikev2_payload *p;
	size_t n, max;
	bool inner;		/* inside SK: SK and SKF are not allowed */
	size_t sk_offset;	/* set when an SK payload ends the chain */
	uint8_t sk_first;
};

/* One payload's generic header and body. *next gets its next-payload. */
static bool parse_one(struct rd *r, uint8_t type, struct chain *c, uint8_t *next, struct diag *d)
{
	if (c->n == c->max) {
		diag_add(d, "more than %d payloads", IKEV2_MAX_PAYLOADS);
		return false;
	}
	uint8_t flags;
	uint16_t length;
	if (!rd_u8(r, next) || !rd_u8(r, &flags) || !rd_u16(r, &length)) {
		diag_add(d, "%s payload: truncated generic header", ikev2_payload_name(type));
		return false;
	}
	if (length < IKEV2_GENERIC_HDR_LEN) {
		diag_add(d, "%s payload length %u is less than its own header",
			 ikev2_payload_name(type), length);
		return false;
	}
	size_t body_at = r->off;
	const uint8_t *body;
	if (!rd_bytes(r, length - IKEV2_GENERIC_HDR_LEN, &body)) {
		diag_add(d, "%s payload length %u runs past the end (%zu bytes left)",
			 ikev2_payload_name(type), length, rd_left(r) + IKEV2_GENERIC_HDR_LEN);
		return false;
	}
	if (!check_body_size(type, length - IKEV2_GENERIC_HDR_LEN, d))
		return false;
	c->p[c->n++] = (struct ikev2_payload){
		.type = type, .critical = (flags & 0x80) != 0,
		.body = body, .len = length - IKEV2_GENERIC_HDR_LEN,
	};
	if (type == PT_SK) {
		c->sk_offset = body_at;
		c->sk_first = *next;
	}
	return true;
}

/* Payloads from r's cursor to its end, starting with type first. SK and
 * SKF end the chain (their next-payload is the first payload inside) and
 * must end the message too. */
static bool parse_chain(struct rd *r, uint8_t first, struct chain *c, struct diag *d)
{
	uint8_t type = first;
	while (type != PT_NONE) {
		bool encrypted = type == PT_SK || type == PT_SKF;
		if (encrypted && c->inner) {
			diag_add(d, "%s payload inside an SK payload", ikev2_payload_name(type));
			return false;
		}
		uint8_t next;
		if (!parse_one(r, type, c, &next, d))
			return false;
		if (encrypted) {
			if (rd_left(r) != 0) {
				diag_add(d, "%s payload is not the last payload (%zu bytes follow it)",
					 ikev2_payload_name(type), rd_left(r));
				return false;
			}
			return true;
		}
		type = next;
	}
	if (rd_left(r) != 0) {
		diag_add(d, "%zu bytes after the last payload", rd_left(r));
		return false;
	}
	return true;
}

static bool parse_header(struct rd *r, struct ikev2_hdr *h, struct diag *d)
{
	const uint8_t *spi_i, *spi_r;
	if (!rd_bytes(r, IKEV2_SPI_LEN, &spi_i) || !rd_bytes(r, IKEV2_SPI_LEN, &spi_r) ||
	    !rd_u8(r, &h->next_payload) || !rd_u8(r, &h->version) ||
	    !rd_u8(r, &h->exchange) || !rd_u8(r, &h->flags) ||
	    !rd_u32(r, &h->msgid) || !rd_u32(r, &h->length)) {
		diag_add(d, "truncated IKE header: %zu bytes, need %d", r->len, IKEV2_HDR_LEN);
		return false;
	}
	memcpy(h->spi_i, spi_i, IKEV2_SPI_LEN);
	memcpy(h->spi_r, spi_r, IKEV2_SPI_LEN);
	if (h->length != r->len) {
		diag_add(d, "IKE header length %u does not match the datagram's %zu bytes",
			 h->length, r->len);
		return false;
	}
	if (h->version >> 4 != IKEV2_VERSION >> 4) {
		diag_add(d, "IKE major version %u, expected 2", h->version >> 4);
		return false;
	}
	return true;
}

bool ikev2_parse(const uint8_t *buf, size_t len, struct ikev2_msg *m, struct diag *d)
{
	memset(m, 0, sizeof(*m));
	if (len > IKEV2_MSG_MAX) {
		diag_add(d, "IKE message of %zu bytes is longer than %d", len, IKEV2_MSG_MAX);
		return false;
	}
	struct rd r = rd_init(buf, len);
	if (!parse_header(&r, &m->hdr, d))
		return false;
	struct chain c = { .p = m->p, .max = IKEV2_MAX_PAYLOADS };
	bool ok = parse_chain(&r, m->hdr.next_payload, &c, d);
	m->n = c.n;
	m->sk_offset = c.sk_offset;
	m->sk_first = c.sk_first;
	return ok;
}

bool ikev2_parse_inner(const uint8_t *buf, size_t len, uint8_t first, struct ikev2_msg *m, struct diag *d)
{
	if (m->n == 0 || m->p[m->n - 1].type != PT_SK) {
		diag_add(d, "no SK payload to replace with its contents");
		return false;
	}
	/* Parsed aside first so that m is untouched on failure. */
	struct ikev2_payload inner[IKEV2_MAX_PAYLOADS];
	size_t keep = m->n - 1;
	struct chain c = { .p = inner, .max = IKEV2_MAX_PAYLOADS - keep, .inner = true };
	struct rd r = rd_init(buf, len);
	if (!parse_chain(&r, first, &c, d)) {
		diag_add(d, "in the SK payload's contents");
		return false;
	}
	memcpy(&m->p[keep], inner, c.n * sizeof(inner[0]));
	m->n = keep + c.n;
	return true;
}

const struct ikev2_payload *ikev2_find(const struct ikev2_msg *m, uint8_t type)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].type == type)
			return &m->p[i];
	return NULL;
}

/* What this daemon can act on; CP, EAP and fragments are not understood. */
static bool understood(uint8_t type)
{
	switch (type) {
	case PT_SA: case PT_KE: case PT_IDi: case PT_IDr: case PT_AUTH:
	case PT_NONCE: case PT_NOTIFY: case PT_DELETE: case PT_VID:
	case PT_TSi: case PT_TSr: case PT_SK: case PT_CERT: case PT_CERTREQ:
		return true;
	default:
		return false;
	}
}

const struct ikev2_payload *ikev2_unknown_critical(const struct ikev2_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].critical && !understood(m->p[i].type))
			return &m->p[i];
	return NULL;
}

/* ---- SA payload (3.3) ---- */

#define LAST_PROPOSAL	0
#define MORE_PROPOSALS	2
#define LAST_TRANSFORM	0
#define MORE_TRANSFORMS	3
#define ATTR_TV		0x8000
#define ATTR_KEY_LENGTH	14

/* One attribute (3.3.5). Only the key length is understood; any other
 * makes the transform unusable (3.3.6: such a transform is unacceptable,
 * the rest of the proposal still counts). */
static bool parse_attribute(struct rd *r, struct ikev2_transform *t, struct diag *d)
{
	uint16_t af_type, value;
	if (!rd_u16(r, &af_type) || !rd_u16(r, &value)) {
		diag_add(d, "transform attribute truncated");
		return false;
	}
	bool tv = (af_type & ATTR_TV) != 0;
	uint16_t type = af_type & ~ATTR_TV;
	if (!tv && !rd_skip(r, value)) {
		diag_add(d, "transform attribute %u: length %u runs past its transform", type, value);
		return false;
	}
	if (type != ATTR_KEY_LENGTH) {
		t->unusable = true;
		return true;
	}
	if (!tv) {
		diag_add(d, "key length attribute in TLV format (must be TV)");
		return false;
	}
	if (t->keylen != 0) {
		diag_add(d, "transform has two key length attributes");
		return false;
	}
	if (value == 0)
		t->unusable = true;	/* a zero-bit key: no algorithm takes it */
	t->keylen = value;
	return true;
}

/* One transform substructure (3.3.2); *last gets its last-substruc byte. */
static bool parse_transform(struct rd *r, struct ikev2_transform *t, uint8_t *last, struct diag *d)
{
	uint8_t reserved;
	uint16_t length;
	if (!rd_u8(r, last) || !rd_u8(r, &reserved) || !rd_u16(r, &length)) {
		diag_add(d, "transform header truncated");
		return false;
	}
	if (*last != LAST_TRANSFORM && *last != MORE_TRANSFORMS) {
		diag_add(d, "transform last-substruc %u, must be 0 or 3", *last);
		return false;
	}
	struct rd body;
	if (length < 8 || !rd_sub(r, length - 4, &body)) {
		diag_add(d, "transform length %u: must be at least 8 and within its proposal", length);
		return false;
	}
	memset(t, 0, sizeof(*t));
	if (!rd_u8(&body, &t->type) || !rd_u8(&body, &reserved) || !rd_u16(&body, &t->id))
		return false;	/* unreachable: length >= 8 */
	while (rd_left(&body) > 0)
		if (!parse_attribute(&body, t, d))
			return false;
	return true;
}

static bool parse_transforms(struct rd *r, uint8_t count, struct ikev2_proposal *prop, struct diag *d)
{
	_Static_assert(IKEV2_TRANSFORMS_MAX >= UINT8_MAX, "any transform count fits");
	uint8_t last = MORE_TRANSFORMS;
	while (last == MORE_TRANSFORMS) {
		if (prop->nt == count) {
			diag_add(d, "proposal %u has more transforms than its count of %u",
				 prop->num, count);
			return false;
		}
		if (!parse_transform(r, &prop->t[prop->nt], &last, d))
			return false;
		prop->nt++;
	}
	if (prop->nt != count || rd_left(r) != 0) {
		diag_add(d, "proposal %u: %zu transforms%s, count says %u", prop->num, prop->nt,
			 rd_left(r) != 0 ? " then trailing bytes" : "", count);
		return false;
	}
	return true;
}

static bool parse_proposal(struct rd *r, struct ikev2_proposal *prop, uint8_t *last, struct diag *d)
{
	uint8_t reserved, spi_len, ntrans;
	uint16_t length;
	if (!rd_u8(r, last) || !rd_u8(r, &reserved) || !rd_u16(r, &length)) {
		diag_add(d, "proposal header truncated");
		return false;
	}
	if (*last != LAST_PROPOSAL && *last != MORE_PROPOSALS) {
		diag_add(d, "proposal last-substruc %u, must be 0 or 2", *last);
		return false;
	}
	struct rd body;
	if (length < 8 || !rd_sub(r, length - 4, &body)) {
		diag_add(d, "proposal length %u: must be at least 8 and within the SA payload", length);
		return false;
	}
	memset(prop, 0, sizeof(*prop));
	if (!rd_u8(&body, &prop->num) || !rd_u8(&body, &prop->protocol) ||
	    !rd_u8(&body, &spi_len) || !rd_u8(&body, &ntrans))
		return false;	/* unreachable: length >= 8 */
	if (spi_len != 0 && spi_len != 4 && spi_len != 8) {
		diag_add(d, "proposal %u: SPI size %u, must be 0, 4 or 8", prop->num, spi_len);
		return false;
	}
	const uint8_t *spi;
	if (!rd_bytes(&body, spi_len, &spi)) {
		diag_add(d, "proposal %u: SPI of %u bytes runs past the proposal", prop->num, spi_len);
		return false;
	}
	memcpy(prop->spi, spi, spi_len);
	prop->spi_len = spi_len;
	return parse_transforms(&body, ntrans, prop, d);
}

bool ikev2_parse_sa(const struct ikev2_payload *p, struct ikev2_sa_payload *sa, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	sa->n = 0;
	uint8_t last = MORE_PROPOSALS;
	while (last == MORE_PROPOSALS) {
		if (sa->n == IKEV2_PROPOSALS_MAX) {
			diag_add(d, "SA payload: more than %d proposals", IKEV2_PROPOSALS_MAX);
			return false;
		}
		struct ikev2_proposal *prop = &sa->prop[sa->n];
		if (!parse_proposal(&r, prop, &last, d)) {
			diag_add(d, "in SA payload proposal %zu", sa->n + 1);
			return false;
		}
		/* 3.3.1: numbered from 1 in an offer, one more each time; an
		 * answer's single proposal keeps the number it accepted. */
		uint8_t want = sa->n == 0 ? prop->num : sa->prop[sa->n - 1].num + 1;
		if (prop->num == 0 || prop->num != want) {
			diag_add(d, "SA payload: proposal number %u where %u was expected",
				 prop->num, want == 0 ? 1 : want);
			return false;
		}
		sa->n++;
	}
	if (rd_left(&r) != 0) {
		diag_add(d, "SA payload: %zu bytes after the last proposal", rd_left(&r));
		return false;
	}
	return true;
}

/* ---- KE, ID, AUTH, Nonce (3.4, 3.5, 3.8, 3.9) ---- */

bool ikev2_parse_ke(const struct ikev2_payload *p, struct ikev2_ke *ke, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	if (!rd_u16(&r, &ke->group) || !rd_skip(&r, 2) || rd_left(&r) == 0) {
		diag_add(d, "KE payload of %zu bytes: too short for a group and a public value", p->len);
		return false;
	}
	ke->len = rd_left(&r);
	return rd_bytes(&r, ke->len, &ke->data);
}

bool ikev2_parse_id(const struct ikev2_payload *p, struct ikev2_id *id, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	if (!rd_u8(&r, &id->type) || !rd_skip(&r, 3) || rd_left(&r) == 0) {
		diag_add(d, "ID payload of %zu bytes: too short for a type and an identity", p->len);
		return false;
	}
	id->len = rd_left(&r);
	size_t want = id->type == ID_IPV4_ADDR ? 4 : id->type == ID_IPV6_ADDR ? 16 : id->len;
	if (id->len != want) {
		diag_add(d, "ID payload: %s address of %zu bytes, must be %zu",
			 id->type == ID_IPV4_ADDR ? "IPv4" : "IPv6", id->len, want);
		return false;
	}
	return rd_bytes(&r, id->len, &id->data);
}

bool ikev2_parse_auth(const struct ikev2_payload *p, struct ikev2_auth *a, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	if (!rd_u8(&r, &a->method) || !rd_skip(&r, 3) || rd_left(&r) == 0) {
		diag_add(d, "AUTH payload of %zu bytes: too short for a method and data", p->len);
		return false;
	}
	a->len = rd_left(&r);
	return rd_bytes(&r, a->len, &a->data);
}

bool ikev2_parse_cert(const struct ikev2_payload *p, struct ikev2_cert *c, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	if (!rd_u8(&r, &c->encoding) || rd_left(&r) == 0) {
		diag_add(d, "%s payload of %zu bytes: too short for an encoding and data", ikev2_payload_name(p->type),
			 p->len);
		return false;
	}
	c->len = rd_left(&r);
	return rd_bytes(&r, c->len, &c->data);
}

int ikev2_certs(const struct ikev2_msg *m, struct ikev2_cert *certs, struct diag *d)
{
	int n = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct ikev2_cert c;
		if (m->p[i].type != PT_CERT)
			continue;
		if (!ikev2_parse_cert(&m->p[i], &c, d))
			return -1;
		if (c.encoding != CERT_X509_SIGNATURE) {
			diag_add(d, "a CERT payload of encoding %u: only X.509 certificates (4) are taken", c.encoding);
			return -1;
		}
		if (n == IKEV2_CERTS_MAX || c.len > IKEV2_CERT_DER_MAX) {
			diag_add(d, "%s: at most %d certificates of %d bytes each are taken",
				 n == IKEV2_CERTS_MAX ? "too many CERT payloads" : "a certificate too big",
				 IKEV2_CERTS_MAX, IKEV2_CERT_DER_MAX);
			return -1;
		}
		certs[n++] = c;
	}
	return n;
}

bool ikev2_parse_sig_hashes(const uint8_t *data, size_t len, unsigned *mask)
{
	if (len == 0 || len % 2 != 0)
		return false;
	*mask = 0;
	for (size_t i = 0; i < len; i += 2) {
		unsigned h = (unsigned)data[i] << 8 | data[i + 1];
		if (h == SIG_HASH_SHA2_256 || h == SIG_HASH_SHA2_384 || h == SIG_HASH_SHA2_512)
			*mask |= SIG_HASH_BIT(h);
	}
	return true;
}

bool ikev2_parse_nonce(const struct ikev2_payload *p, const uint8_t **nonce, size_t *len, struct diag *d)
{
	if (p->len < IKEV2_NONCE_MIN || p->len > IKEV2_NONCE_MAX) {
		diag_add(d, "nonce of %zu bytes: must be %d to %d", p->len,
			 IKEV2_NONCE_MIN, IKEV2_NONCE_MAX);
		return false;
	}
	*nonce = p->body;
	*len = p->len;
	return true;
}

/* ---- Notify, Delete (3.10, 3.11) ---- */

bool ikev2_parse_notify(const struct ikev2_payload *p, struct ikev2_notify *n, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	if (!rd_u8(&r, &n->protocol) || !rd_u8(&r, &n->spi_len) || !rd_u16(&r, &n->type)) {
		diag_add(d, "Notify payload of %zu bytes: too short", p->len);
		return false;
	}
	if (!rd_bytes(&r, n->spi_len, &n->spi)) {
		diag_add(d, "Notify %s: SPI size %u runs past the payload",
			 ikev2_notify_name(n->type), n->spi_len);
		return false;
	}
	n->data_len = rd_left(&r);
	return rd_bytes(&r, n->data_len, &n->data);
}

bool ikev2_parse_delete(const struct ikev2_payload *p, struct ikev2_delete *del, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	if (!rd_u8(&r, &del->protocol) || !rd_u8(&r, &del->spi_len) || !rd_u16(&r, &del->count)) {
		diag_add(d, "Delete payload of %zu bytes: too short", p->len);
		return false;
	}
	/* 3.11: the IKE SA is deleted with no SPI; a child SA by its SPIs. */
	unsigned want = del->protocol == PROTO_IKE ? 0 : 4;
	if (del->protocol != PROTO_IKE && del->protocol != PROTO_ESP && del->protocol != PROTO_AH) {
		diag_add(d, "Delete payload: protocol %u", del->protocol);
		return false;
	}
	if (del->spi_len != want) {
		diag_add(d, "Delete payload: SPI size %u for protocol %u, must be %u",
			 del->spi_len, del->protocol, want);
		return false;
	}
	if (del->count > IKEV2_DELETE_SPIS_MAX) {
		diag_add(d, "Delete payload: %u SPIs, more than %d", del->count, IKEV2_DELETE_SPIS_MAX);
		return false;
	}
	size_t spis_len = (size_t)del->count * del->spi_len;
	if (rd_left(&r) != spis_len) {
		diag_add(d, "Delete payload: %u SPIs of %u bytes in %zu bytes",
			 del->count, del->spi_len, rd_left(&r));
		return false;
	}
	return rd_bytes(&r, spis_len, &del->spis);
}

/* ---- Traffic selectors (3.13) ---- */

static bool read_address(struct rd *r, int family, size_t len, ip_address *a)
{
	const uint8_t *b;
	memset(a, 0, sizeof(*a));
	if (!rd_bytes(r, len, &b))
		return false;
	a->family = family;
	memcpy(a->bytes, b, len);
	return true;
}

static bool parse_selector(struct rd *r, struct ikev2_ts *ts, struct diag *d)
{
	uint16_t length;
	if (!rd_u8(r, &ts->type) || !rd_u8(r, &ts->ipproto) || !rd_u16(r, &length)) {
		diag_add(d, "traffic selector header truncated");
		return false;
	}
	int family = ts->type == TS_IPV4_ADDR_RANGE ? AF_INET :
		     ts->type == TS_IPV6_ADDR_RANGE ? AF_INET6 : 0;
	if (family == 0) {
		diag_add(d, "traffic selector type %u not supported", ts->type);
		return false;
	}
	size_t alen = family == AF_INET ? 4 : 16;
	struct rd body;
	if (length != 8 + 2 * alen || !rd_sub(r, length - 4, &body)) {
		diag_add(d, "traffic selector of type %u: length %u, must be %zu and within the payload",
			 ts->type, length, 8 + 2 * alen);
		return false;
	}
	if (!rd_u16(&body, &ts->start_port) || !rd_u16(&body, &ts->end_port) ||
	    !read_address(&body, family, alen, &ts->start) ||
	    !read_address(&body, family, alen, &ts->end))
		return false;	/* unreachable: length checked */
	/* 3.13.1: OPAQUE ports are start 65535, end 0; any other range runs up. */
	bool opaque = ts->start_port == 65535 && ts->end_port == 0;
	if ((ts->start_port > ts->end_port && !opaque) ||
	    memcmp(ts->start.bytes, ts->end.bytes, alen) > 0) {
		diag_add(d, "traffic selector range runs backwards");
		return false;
	}
	return true;
}

bool ikev2_parse_ts(const struct ikev2_payload *p, struct ikev2_ts_payload *ts, struct diag *d)
{
	struct rd r = rd_init(p->body, p->len);
	uint8_t count;
	if (!rd_u8(&r, &count) || !rd_skip(&r, 3)) {
		diag_add(d, "TS payload of %zu bytes: too short", p->len);
		return false;
	}
	if (count == 0 || count > IKEV2_TS_MAX) {
		diag_add(d, "TS payload with %u selectors: must be 1 to %d", count, IKEV2_TS_MAX);
		return false;
	}
	for (ts->n = 0; ts->n < count; ts->n++)
		if (!parse_selector(&r, &ts->ts[ts->n], d)) {
			diag_add(d, "in traffic selector %zu", ts->n + 1);
			return false;
		}
	if (rd_left(&r) != 0) {
		diag_add(d, "TS payload: %zu bytes after its %u selectors", rd_left(&r), count);
		return false;
	}
	return true;
}
