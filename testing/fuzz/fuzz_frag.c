/* libFuzzer target: IKE fragment reassembly (ikev2_frag_reasm.c).
 *
 * The input is a series of datagrams, each behind a 2-byte big-endian
 * length. Each is parsed as pluto parses what arrives (ikev2_parse); an
 * Encrypted Fragment's fields are read (ikev2_skf_fields) and, since a
 * fuzzer cannot forge an ICV, the octets after them stand for the
 * fragment's checked plaintext. It goes to one of two reassemblers (the
 * peer's requests and responses, by the R flag), whose pool is small so
 * that the bounds are reached; the I flag says whether the IKE SA counts
 * as before authentication. A complete message is taken and its inner
 * payloads parsed as pluto does. Then the input is walked as a train of
 * datagrams (ikev2_frag_next).
 *
 * Held to: the pool counts exactly what both reassemblers hold, never
 * more than its bounds; no reassembler holds more fragments than its
 * total or more plaintext than IKEV2_FRAG_MSG_BYTES; a taken message is
 * its fragments' plaintext joined; everything is given back in the end;
 * the train's datagrams lie within the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ikev2_frag.h"

#define POOL_MAX 8192
#define POOL_UNAUTH_MAX 4096

static size_t held_plain(const struct frag_reasm *r)
{
	size_t n = 0;
	unsigned have = 0;
	for (size_t i = 0; i <= IKEV2_FRAG_MAX; i++) {
		if (r->part[i].data != NULL) {
			n += r->part[i].len;
			have++;
		}
	}
	if (have != r->have || (r->active && r->have > r->total) || r->part[0].data != NULL)
		abort();
	return n;
}

static void check_pool(const struct frag_pool *pool, const struct frag_reasm r[2])
{
	size_t all = 0, unauth = 0;
	for (size_t i = 0; i < 2; i++) {
		size_t plain = held_plain(&r[i]);
		if (plain > IKEV2_FRAG_MSG_BYTES || r[i].bytes != plain + (size_t)r[i].have * IKEV2_FRAG_OVERHEAD)
			abort();
		all += r[i].bytes;
		if (r[i].unauth)
			unauth += r[i].bytes;
	}
	if (pool->used != all || pool->unauth_used != unauth || all > pool->max || unauth > pool->unauth_max)
		abort();
}

static void take(struct frag_reasm *r, struct frag_pool *pool, const struct ikev2_hdr *h)
{
	size_t expect = held_plain(r), len = 0;
	uint8_t first = r->first;
	uint8_t *whole = frag_reasm_take(r, pool, &len);
	if (whole == NULL)
		return;
	if (len != expect || r->active || r->bytes != 0)
		abort();
	struct ikev2_msg m = { .hdr = *h, .n = 1 };
	m.p[0].type = PT_SK;
	struct diag d;
	diag_init(&d);
	(void)ikev2_parse_inner(whole, len, first, &m, &d);
	ikev2_frag_wipe_free(whole, len);
}

static void one_datagram(uint8_t *buf, size_t len, struct frag_pool *pool, struct frag_reasm r[2])
{
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	uint16_t number, total;
	size_t sk_body;
	if (!ikev2_parse(buf, len, &m, &d) || !ikev2_is_fragment(&m) ||
	    !ikev2_skf_fields(&m.p[0], buf, &number, &total, &sk_body, &d))
		return;
	if (sk_body > len || number == 0 || number > total)
		abort();
	bool response = m.hdr.flags & IKEV2_FLAG_RESPONSE;
	bool unauth = m.hdr.flags & IKEV2_FLAG_INITIATOR;
	uint8_t next = buf[sk_body - IKEV2_SKF_FIELDS_LEN - IKEV2_GENERIC_HDR_LEN];
	enum frag_verdict v = frag_reasm_add(&r[response], pool, unauth, m.hdr.msgid, number, total, next,
					     buf + sk_body, len - sk_body, 0, len);
	check_pool(pool, r);
	if (v == FRAG_COMPLETE)
		take(&r[response], pool, &m.hdr);
	check_pool(pool, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frag_pool pool = { .max = POOL_MAX, .unauth_max = POOL_UNAUTH_MAX };
	static struct frag_reasm r[2];
	memset(r, 0, sizeof(r));
	size_t at = 0;
	while (size - at >= 2) {
		size_t len = (size_t)data[at] << 8 | data[at + 1];
		at += 2;
		if (len > size - at)
			len = size - at;
		/* a heap copy of exactly its length, so ASan sees overreads */
		uint8_t *buf = malloc(len ? len : 1);
		if (buf == NULL)
			abort();
		memcpy(buf, data + at, len);
		one_datagram(buf, len, &pool, r);
		free(buf);
		at += len;
	}
	for (size_t i = 0; i < 2; i++)
		frag_reasm_clear(&r[i], &pool);
	if (pool.used != 0 || pool.unauth_used != 0)
		abort();
	size_t seen = 0;
	for (size_t off = 0, n; (n = ikev2_frag_next(data, size, off)) > 0; off += n) {
		if (n < IKEV2_HDR_LEN || n > size - off)
			abort();
		seen += n;
	}
	if (seen > size)
		abort();
	return 0;
}
