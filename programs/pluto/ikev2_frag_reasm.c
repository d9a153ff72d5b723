/* ikev2_frag_reasm.c: putting a fragmented message back together, and
 * the parts of RFC 7383 that need no keys: the SKF payload's fields and
 * walking a train of datagrams. See ikev2_frag.h for the bounds. */
#include <stdlib.h>
#include <string.h>
#include "ikev2_frag.h"

struct frag_pool ikev2_frag_pool = {
	.max = IKEV2_FRAG_ALL_BYTES,
	.unauth_max = IKEV2_FRAG_UNAUTH_BYTES,
};

const char *frag_verdict_name(enum frag_verdict v)
{
	switch (v) {
	case FRAG_KEPT: return "kept";
	case FRAG_COMPLETE: return "complete";
	case FRAG_DUPLICATE: return "a duplicate";
	case FRAG_OUT_OF_RANGE: return "out of range";
	case FRAG_STALE: return "of a smaller total than the fragments kept";
	case FRAG_TOO_BIG: return "the message would be too big";
	case FRAG_NO_ROOM: return "no room left for fragments";
	case FRAG_NO_MEMORY: return "out of memory";
	}
	return "?";
}

void ikev2_frag_wipe_free(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

void frag_reasm_clear(struct frag_reasm *r, struct frag_pool *pool)
{
	for (size_t i = 0; i <= IKEV2_FRAG_MAX; i++)
		ikev2_frag_wipe_free(r->part[i].data, r->part[i].len);
	pool->used -= r->bytes;
	if (r->unauth)
		pool->unauth_used -= r->bytes;
	memset(r, 0, sizeof(*r));
}

static void start(struct frag_reasm *r, struct frag_pool *pool, bool unauth, uint32_t msgid, uint16_t total)
{
	frag_reasm_clear(r, pool);
	r->active = true;
	r->unauth = unauth;
	r->msgid = msgid;
	r->total = total;
}

/* Whether a fragment of len bytes, counted as cost, fits r's message
 * and the pool. */
static enum frag_verdict room_for(const struct frag_reasm *r, const struct frag_pool *pool, size_t len, size_t cost)
{
	size_t plain = r->bytes - (size_t)r->have * IKEV2_FRAG_OVERHEAD;
	if (plain + len > IKEV2_FRAG_MSG_BYTES)
		return FRAG_TOO_BIG;
	if (pool->used + cost > pool->max || (r->unauth && pool->unauth_used + cost > pool->unauth_max))
		return FRAG_NO_ROOM;
	return FRAG_KEPT;
}

enum frag_verdict frag_reasm_add(struct frag_reasm *r, struct frag_pool *pool, bool unauth, uint32_t msgid,
				 uint16_t number, uint16_t total, uint8_t first, const uint8_t *plain,
				 size_t len, uint64_t digest, size_t datagram_len)
{
	if (number == 0 || total == 0 || number > total || total > IKEV2_FRAG_MAX)
		return FRAG_OUT_OF_RANGE;
	if (!r->active || r->msgid != msgid || total > r->total)
		start(r, pool, unauth, msgid, total);
	else if (total < r->total)
		return FRAG_STALE;
	if (r->part[number].data != NULL)
		return FRAG_DUPLICATE;
	size_t cost = len + IKEV2_FRAG_OVERHEAD;
	enum frag_verdict room = room_for(r, pool, len, cost);
	if (room != FRAG_KEPT)
		return room;
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return FRAG_NO_MEMORY;
	if (len > 0)
		memcpy(copy, plain, len);
	r->part[number] = (struct frag_part){ .data = copy, .len = len };
	r->have++;
	r->bytes += cost;
	pool->used += cost;
	if (r->unauth)
		pool->unauth_used += cost;
	if (number == 1) {
		r->first = first;
		r->digest1 = digest;
		r->len1 = datagram_len;
	}
	return r->have == r->total ? FRAG_COMPLETE : FRAG_KEPT;
}

uint8_t *frag_reasm_take(struct frag_reasm *r, struct frag_pool *pool, size_t *len)
{
	size_t n = 0;
	for (size_t i = 1; i <= r->total; i++)
		n += r->part[i].len;
	uint8_t *whole = malloc(n ? n : 1);
	if (whole != NULL) {
		size_t at = 0;
		for (size_t i = 1; i <= r->total; i++) {
			if (r->part[i].len > 0)
				memcpy(whole + at, r->part[i].data, r->part[i].len);
			at += r->part[i].len;
		}
		*len = n;
	}
	frag_reasm_clear(r, pool);
	return whole;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool ikev2_skf_fields(const struct ikev2_payload *skf, const uint8_t *datagram, uint16_t *number,
		      uint16_t *total, size_t *sk_body, struct diag *d)
{
	if (skf == NULL || skf->type != PT_SKF || skf->len < IKEV2_SKF_FIELDS_LEN) {
		diag_add(d, "an SKF payload too short for its fragment number and total");
		return false;
	}
	*number = get_be16(skf->body);
	*total = get_be16(skf->body + 2);
	if (*number == 0 || *total == 0 || *number > *total) {
		diag_add(d, "fragment number %u of %u", *number, *total);
		return false;
	}
	*sk_body = (size_t)(skf->body - datagram) + IKEV2_SKF_FIELDS_LEN;
	return true;
}

bool ikev2_is_fragment(const struct ikev2_msg *m)
{
	return m->n == 1 && m->p[0].type == PT_SKF;
}

size_t ikev2_frag_next(const uint8_t *train, size_t len, size_t off)
{
	if (off >= len || len - off < IKEV2_HDR_LEN)
		return 0;
	const uint8_t *h = train + off + IKEV2_HDR_LEN - 4;
	size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	return n >= IKEV2_HDR_LEN && n <= len - off ? n : 0;
}
