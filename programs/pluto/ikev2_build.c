/* ikev2_build.c: building IKEv2 messages into a caller's buffer.
 *
 * Append-only: each payload patches the previous next-payload byte (the
 * header's for the first). Every write checks room first; once anything
 * fails the builder is dead (b->overflow) and writes nothing more. */
#include <string.h>
#include "ikev2_msg.h"
#include "ikev2_wire.h"

#define HDR_NEXT_PAYLOAD	16	/* offset in the IKE header */
#define HDR_LENGTH		24
#define PAYLOAD_LEN_MAX		0xffff

/* Room for n more bytes, or the builder fails. */
static bool room(struct ikev2_builder *b, size_t n)
{
	if (b->overflow || b->cap - b->used < n) {
		b->overflow = true;
		return false;
	}
	return true;
}

/* Where the next n bytes go, NULL when they do not fit. */
static uint8_t *claim(struct ikev2_builder *b, size_t n)
{
	if (!room(b, n))
		return NULL;
	uint8_t *p = b->buf + b->used;
	b->used += n;
	return p;
}

void ikev2_put(struct ikev2_builder *b, const void *data, size_t len)
{
	uint8_t *p = claim(b, len);
	if (p == NULL || len == 0)
		return;
	if (data != NULL)
		memcpy(p, data, len);
	else
		memset(p, 0, len);
}

static void put_u8(struct ikev2_builder *b, uint8_t v)
{
	ikev2_put(b, &v, 1);
}

static void put_u16(struct ikev2_builder *b, uint16_t v)
{
	uint8_t *p = claim(b, 2);
	if (p != NULL)
		wr_u16(p, v);
}

void ikev2_begin(struct ikev2_builder *b, uint8_t *buf, size_t cap, const struct ikev2_hdr *h)
{
	*b = (struct ikev2_builder){ .buf = buf, .cap = cap, .np_at = HDR_NEXT_PAYLOAD };
	uint8_t *p = claim(b, IKEV2_HDR_LEN);
	if (p == NULL)
		return;
	memcpy(p, h->spi_i, IKEV2_SPI_LEN);
	memcpy(p + 8, h->spi_r, IKEV2_SPI_LEN);
	p[16] = PT_NONE;
	p[17] = h->version;
	p[18] = h->exchange;
	p[19] = h->flags;
	wr_u32(p + 20, h->msgid);
	wr_u32(p + HDR_LENGTH, 0);
}

size_t ikev2_open_payload(struct ikev2_builder *b, uint8_t type)
{
	size_t start = b->used;
	uint8_t *p = claim(b, IKEV2_GENERIC_HDR_LEN);
	if (p == NULL)
		return 0;
	b->buf[b->np_at] = type;
	b->np_at = start;
	p[0] = PT_NONE;		/* until a next payload patches it */
	p[1] = 0;		/* never critical: we send only what RFC 7296 defines */
	wr_u16(p + 2, 0);
	return start;
}

void ikev2_end_payload(struct ikev2_builder *b, size_t payload_start)
{
	if (b->overflow)
		return;
	if (payload_start < IKEV2_HDR_LEN || b->used - payload_start < IKEV2_GENERIC_HDR_LEN ||
	    b->used - payload_start > PAYLOAD_LEN_MAX) {
		b->overflow = true;
		return;
	}
	wr_u16(b->buf + payload_start + 2, (uint16_t)(b->used - payload_start));
}

size_t ikev2_add(struct ikev2_builder *b, uint8_t type, const void *body, size_t len)
{
	size_t start = ikev2_open_payload(b, type);
	ikev2_put(b, body, len);
	ikev2_end_payload(b, start);
	return b->overflow ? 0 : start + IKEV2_GENERIC_HDR_LEN;
}

size_t ikev2_finish(struct ikev2_builder *b)
{
	if (b->overflow || b->used > UINT32_MAX)
		return 0;
	wr_u32(b->buf + HDR_LENGTH, (uint32_t)b->used);
	return b->used;
}

/* ---- payload bodies ---- */

#define TRANSFORM_HDR_LEN	8
#define KEYLEN_ATTR_LEN		4
#define PROPOSAL_HDR_LEN	8

static size_t transform_len(const struct ikev2_transform *t)
{
	return TRANSFORM_HDR_LEN + (t->keylen != 0 ? KEYLEN_ATTR_LEN : 0);
}

static void put_transform(struct ikev2_builder *b, const struct ikev2_transform *t, bool last)
{
	put_u8(b, last ? 0 : 3);
	put_u8(b, 0);
	put_u16(b, (uint16_t)transform_len(t));
	put_u8(b, t->type);
	put_u8(b, 0);
	put_u16(b, t->id);
	if (t->keylen != 0) {
		put_u16(b, 0x8000 | 14);	/* TV, key length (3.3.5) */
		put_u16(b, t->keylen);
	}
}

static void put_proposal(struct ikev2_builder *b, const struct ikev2_proposal *p, bool last)
{
	if (p->spi_len > IKEV2_SPI_LEN || p->nt > IKEV2_TRANSFORMS_MAX) {
		b->overflow = true;
		return;
	}
	/* The length is known before writing: at most 8 + 8 + 32 * 12. */
	size_t len = PROPOSAL_HDR_LEN + p->spi_len;
	for (size_t i = 0; i < p->nt; i++)
		len += transform_len(&p->t[i]);
	put_u8(b, last ? 0 : 2);
	put_u8(b, 0);
	put_u16(b, (uint16_t)len);
	put_u8(b, p->num);
	put_u8(b, p->protocol);
	put_u8(b, p->spi_len);
	put_u8(b, (uint8_t)p->nt);
	ikev2_put(b, p->spi, p->spi_len);
	for (size_t i = 0; i < p->nt; i++)
		put_transform(b, &p->t[i], i + 1 == p->nt);
}

void ikev2_add_sa(struct ikev2_builder *b, const struct ikev2_sa_payload *sa)
{
	size_t start = ikev2_open_payload(b, PT_SA);
	if (sa->n > IKEV2_PROPOSALS_MAX)
		b->overflow = true;
	for (size_t i = 0; i < sa->n && !b->overflow; i++)
		put_proposal(b, &sa->prop[i], i + 1 == sa->n);
	ikev2_end_payload(b, start);
}

void ikev2_add_ke(struct ikev2_builder *b, uint16_t group, const uint8_t *data, size_t len)
{
	size_t start = ikev2_open_payload(b, PT_KE);
	put_u16(b, group);
	put_u16(b, 0);
	ikev2_put(b, data, len);
	ikev2_end_payload(b, start);
}

/* ID and AUTH share a shape: one type byte, three reserved, data. */
static void add_typed(struct ikev2_builder *b, uint8_t pt, uint8_t type, const uint8_t *data, size_t len)
{
	size_t start = ikev2_open_payload(b, pt);
	put_u8(b, type);
	ikev2_put(b, NULL, 3);
	ikev2_put(b, data, len);
	ikev2_end_payload(b, start);
}

void ikev2_add_id(struct ikev2_builder *b, uint8_t type, enum ikev2_id_type id_type, const uint8_t *data, size_t len)
{
	add_typed(b, type, (uint8_t)id_type, data, len);
}

void ikev2_add_auth(struct ikev2_builder *b, uint8_t method, const uint8_t *data, size_t len)
{
	add_typed(b, PT_AUTH, method, data, len);
}

void ikev2_add_notify(struct ikev2_builder *b, uint8_t protocol, const uint8_t *spi, uint8_t spi_len,
		      uint16_t type, const uint8_t *data, size_t len)
{
	size_t start = ikev2_open_payload(b, PT_NOTIFY);
	put_u8(b, protocol);
	put_u8(b, spi_len);
	put_u16(b, type);
	ikev2_put(b, spi, spi_len);
	ikev2_put(b, data, len);
	ikev2_end_payload(b, start);
}

void ikev2_add_delete(struct ikev2_builder *b, uint8_t protocol, uint8_t spi_len,
		      const uint8_t *spis, uint16_t count)
{
	size_t start = ikev2_open_payload(b, PT_DELETE);
	put_u8(b, protocol);
	put_u8(b, spi_len);
	put_u16(b, count);
	ikev2_put(b, spis, (size_t)spi_len * count);
	ikev2_end_payload(b, start);
}

static void put_selector(struct ikev2_builder *b, const struct ikev2_ts *ts)
{
	size_t alen = ts->type == TS_IPV4_ADDR_RANGE ? 4 : ts->type == TS_IPV6_ADDR_RANGE ? 16 : 0;
	if (alen == 0) {
		b->overflow = true;
		return;
	}
	put_u8(b, ts->type);
	put_u8(b, ts->ipproto);
	put_u16(b, (uint16_t)(8 + 2 * alen));
	put_u16(b, ts->start_port);
	put_u16(b, ts->end_port);
	ikev2_put(b, ts->start.bytes, alen);
	ikev2_put(b, ts->end.bytes, alen);
}

void ikev2_add_ts(struct ikev2_builder *b, uint8_t type, const struct ikev2_ts_payload *ts)
{
	size_t start = ikev2_open_payload(b, type);
	if (ts->n > IKEV2_TS_MAX)
		b->overflow = true;
	put_u8(b, (uint8_t)ts->n);
	ikev2_put(b, NULL, 3);
	for (size_t i = 0; i < ts->n && !b->overflow; i++)
		put_selector(b, &ts->ts[i]);
	ikev2_end_payload(b, start);
}
