/* ikev2_wire.h: bounds-checked reading of network-order fields, private
 * to the IKEv2 message code (ikev2_msg.c, ikev2_build.c).
 *
 * A struct rd is a window over bytes with a cursor. Every read checks
 * what is left first and fails without moving the cursor, so a parser
 * never does its own pointer arithmetic on untrusted lengths: it takes a
 * sub-window of the length it was told (rd_sub), which fails when the
 * length runs past its parent, and works inside that. */
#ifndef IKEV2_WIRE_H
#define IKEV2_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t len;	/* bytes in the window */
	size_t off;	/* the cursor, 0 <= off <= len */
};

static inline struct rd rd_init(const uint8_t *p, size_t len)
{
	return (struct rd){ .p = p, .len = len, .off = 0 };
}

static inline size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

static inline bool rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
	if (rd_left(r) < n)
		return false;
	*out = r->p + r->off;
	r->off += n;
	return true;
}

static inline bool rd_u8(struct rd *r, uint8_t *v)
{
	const uint8_t *b;
	if (!rd_bytes(r, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static inline bool rd_u16(struct rd *r, uint16_t *v)
{
	const uint8_t *b;
	if (!rd_bytes(r, 2, &b))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

static inline bool rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *b;
	if (!rd_bytes(r, 4, &b))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static inline bool rd_skip(struct rd *r, size_t n)
{
	const uint8_t *b;
	return rd_bytes(r, n, &b);
}

/* The next n bytes as a window of their own; the parent moves past them. */
static inline bool rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	const uint8_t *b;
	if (!rd_bytes(r, n, &b))
		return false;
	*sub = rd_init(b, n);
	return true;
}

/* Writing into bytes already known to be in bounds (the builder checks
 * room before it writes anything). */
static inline void wr_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
