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
 * the train's datagrams lie within the input.
 *
 * Built with -DFUZZ_SEEDGEN, this file is instead the program that writes
 * the seeds: a request in three fragments in order, a response's out of
 * order with a duplicate, and totals that change and a number out of
 * range. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ikev2_frag.h"

#define POOL_MAX 8192
#define POOL_UNAUTH_MAX 4096

/* The checks below are the harness's, not the code's: they walk every
 * part of both reassemblers twice per datagram, and with coverage and
 * comparison tracing that was a third of a campaign's time (perf). They
 * are left out of the coverage instrumentation only: ASan and UBSan still
 * check them, and the fuzzer gains nothing from edges of its own. */
#define HARNESS_CHECK __attribute__((no_sanitize("coverage")))

HARNESS_CHECK static size_t held_plain(const struct frag_reasm *r)
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

HARNESS_CHECK static void check_pool(const struct frag_pool *pool, const struct frag_reasm r[2])
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

#ifndef FUZZ_SEEDGEN

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

#else	/* FUZZ_SEEDGEN: writes the seeds into the directory argv[1] */

/* A Notify payload (INITIAL_CONTACT with 20 octets of data), in three parts. */
static uint8_t inner[28] = { 0, 0, 0, 28, 0, 0, 0x40, 0x00 };
static const struct { size_t at, len; } parts[3] = { { 0, 10 }, { 10, 10 }, { 20, 8 } };

struct seed {
	uint8_t buf[1024];
	size_t len;
};

/* One fragment, behind its 2-byte length, appended to s. */
static void add_fragment(struct seed *s, uint32_t msgid, uint8_t flags, uint16_t number, uint16_t total, int part)
{
	uint8_t *p = s->buf + s->len + 2;
	size_t body = parts[part].len, skf = IKEV2_GENERIC_HDR_LEN + IKEV2_SKF_FIELDS_LEN + body,
	       n = IKEV2_HDR_LEN + skf;
	memset(p, 0, IKEV2_HDR_LEN);
	for (int i = 0; i < 16; i++)
		p[i] = (uint8_t)(i + 1);
	p[16] = PT_SKF;
	p[17] = IKEV2_VERSION;
	p[18] = IKE_AUTH;
	p[19] = flags;
	p[20] = (uint8_t)(msgid >> 24); p[21] = (uint8_t)(msgid >> 16); p[22] = (uint8_t)(msgid >> 8); p[23] = (uint8_t)msgid;
	p[26] = (uint8_t)(n >> 8); p[27] = (uint8_t)n;
	uint8_t *q = p + IKEV2_HDR_LEN;
	q[0] = number == 1 ? PT_NOTIFY : PT_NONE;
	q[1] = 0;
	q[2] = (uint8_t)(skf >> 8); q[3] = (uint8_t)skf;
	q[4] = (uint8_t)(number >> 8); q[5] = (uint8_t)number;
	q[6] = (uint8_t)(total >> 8); q[7] = (uint8_t)total;
	memcpy(q + 8, inner + parts[part].at, body);
	s->buf[s->len] = (uint8_t)(n >> 8);
	s->buf[s->len + 1] = (uint8_t)n;
	s->len += 2 + n;
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	memset(inner + 8, 'x', sizeof(inner) - 8);
	struct seed s = {0};
	for (int i = 0; i < 3; i++)
		add_fragment(&s, 1, IKEV2_FLAG_INITIATOR, (uint16_t)(i + 1), 3, i);
	write_seed(argv[1], "three-in-order", &s);
	s.len = 0;
	add_fragment(&s, 1, IKEV2_FLAG_RESPONSE, 3, 3, 2);
	add_fragment(&s, 1, IKEV2_FLAG_RESPONSE, 1, 3, 0);
	add_fragment(&s, 1, IKEV2_FLAG_RESPONSE, 1, 3, 0);
	add_fragment(&s, 1, IKEV2_FLAG_RESPONSE, 2, 3, 1);
	write_seed(argv[1], "response-out-of-order-duplicate", &s);
	s.len = 0;
	add_fragment(&s, 2, 0, 1, 2, 0);
	add_fragment(&s, 2, 0, 1, 4, 0);
	add_fragment(&s, 2, 0, 2, 2, 1);
	add_fragment(&s, 3, 0, 5, 4, 1);
	write_seed(argv[1], "totals-and-range", &s);
	return 0;
}

#endif
