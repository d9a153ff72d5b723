/* Unit tests for the IKEv2 wire format: round trips of every payload,
 * known bytes laid out from RFC 7296's figures, every malformed length
 * rejected with a reason, the builder never writing past its buffer, and
 * proposals offered, chosen and accepted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "ikev2_msg.h"

/* ---- helpers ---- */

static const uint8_t SPI_I[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t SPI_R[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
static const uint8_t NONCE[32] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
				   0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3 };

static struct ikev2_hdr hdr(uint8_t exchange)
{
	struct ikev2_hdr h = {
		.version = IKEV2_VERSION, .exchange = exchange,
		.flags = IKEV2_FLAG_INITIATOR, .msgid = 0x01020304,
	};
	memcpy(h.spi_i, SPI_I, 8);
	memcpy(h.spi_r, SPI_R, 8);
	return h;
}

static void check_reason(const struct diag *d, const char *why)
{
	assert_true(diag_failed(d));
	if (strstr(d->text, why) == NULL)
		fail_msg("reason '%s' does not mention '%s'", d->text, why);
}

static void parse_ok(const uint8_t *buf, size_t len, struct ikev2_msg *m)
{
	struct diag d;
	diag_init(&d);
	if (!ikev2_parse(buf, len, m, &d))
		fail_msg("parse failed: %s", d.text);
}

static void expect_parse_fail(const uint8_t *buf, size_t len, const char *why)
{
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	assert_false(ikev2_parse(buf, len, &m, &d));
	check_reason(&d, why);
}

/* A message laid out by hand: header (length from len) then raw bytes. */
static size_t raw_msg(uint8_t *buf, uint8_t first, const uint8_t *rest, size_t len)
{
	static const uint8_t h[IKEV2_HDR_LEN - 4] = {
		1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0x20, IKE_SA_INIT, 0x08, 0, 0, 0, 0,
	};
	memcpy(buf, h, sizeof(h));
	buf[16] = first;
	size_t total = IKEV2_HDR_LEN + len;
	buf[24] = (uint8_t)(total >> 24);
	buf[25] = (uint8_t)(total >> 16);
	buf[26] = (uint8_t)(total >> 8);
	buf[27] = (uint8_t)total;
	if (len > 0)
		memcpy(buf + IKEV2_HDR_LEN, rest, len);
	return total;
}

static struct ikev2_payload body(uint8_t type, const uint8_t *b, size_t len)
{
	return (struct ikev2_payload){ .type = type, .body = b, .len = len };
}

/* ---- known bytes ---- */

static void test_header_known_bytes(void **state)
{
	(void)state;
	/* RFC 7296 3.1: SPIs, next payload, version 2.0, exchange, flags
	 * (I = 0x08), message id, length, all in network order. */
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x28, 0x20, 0x22, 0x08, 0x01, 0x02, 0x03, 0x04,
		0x00, 0x00, 0x00, 0x30,
		/* Nonce: next none, not critical, length 4 + 16 */
		0x00, 0x00, 0x00, 0x14,
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	uint8_t buf[128];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_SA_INIT);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	assert_int_equal(ikev2_add(&b, PT_NONCE, NONCE, 16), IKEV2_HDR_LEN + 4);
	size_t n = ikev2_finish(&b);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	struct ikev2_msg m;
	parse_ok(want, sizeof(want), &m);
	assert_memory_equal(m.hdr.spi_i, SPI_I, 8);
	assert_memory_equal(m.hdr.spi_r, SPI_R, 8);
	assert_int_equal(m.hdr.next_payload, PT_NONCE);
	assert_int_equal(m.hdr.version, 0x20);
	assert_int_equal(m.hdr.exchange, IKE_SA_INIT);
	assert_int_equal(m.hdr.flags, IKEV2_FLAG_INITIATOR);
	assert_int_equal(m.hdr.msgid, 0x01020304);
	assert_int_equal(m.hdr.length, sizeof(want));
	assert_int_equal(m.n, 1);
	assert_int_equal(m.sk_offset, 0);
}

static void test_sa_known_bytes(void **state)
{
	(void)state;
	/* RFC 7296 3.3.1, 3.3.2, 3.3.5: one ESP proposal, SPI 0xdeadbeef,
	 * ENCR AES-GCM-16 with a TV key length of 256, ESN none. */
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x20,			/* last, length 8 + 4 + 12 + 8 */
		0x01, 0x03, 0x04, 0x02,			/* num 1, ESP, SPI size 4, 2 transforms */
		0xde, 0xad, 0xbe, 0xef,
		0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x14, 0x80, 0x0e, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x08, 0x05, 0x00, 0x00, 0x00,
	};
	struct ikev2_sa_payload sa = { .n = 1 };
	sa.prop[0] = (struct ikev2_proposal){
		.num = 1, .protocol = PROTO_ESP, .spi = { 0xde, 0xad, 0xbe, 0xef }, .spi_len = 4,
		.t = { { TRANS_ENCR, ENCR_AES_GCM_16, 256, false }, { TRANS_ESN, 0, 0, false } },
		.nt = 2,
	};
	uint8_t buf[128];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_sa(&b, &sa);
	size_t n = ikev2_finish(&b);
	assert_int_equal(n, IKEV2_HDR_LEN + 4 + sizeof(want));
	assert_memory_equal(buf + IKEV2_HDR_LEN + 4, want, sizeof(want));
	assert_int_equal(buf[IKEV2_HDR_LEN + 3], 4 + sizeof(want));
}

/* ---- round trips ---- */

static void test_round_trip_sa(void **state)
{
	(void)state;
	struct ikev2_sa_payload sa = { .n = 2 };
	sa.prop[0] = (struct ikev2_proposal){
		.num = 1, .protocol = PROTO_IKE,
		.t = { { TRANS_ENCR, ENCR_AES_CBC, 128, false }, { TRANS_ENCR, ENCR_AES_CBC, 256, false },
		       { TRANS_PRF, PRF_HMAC_SHA2_256, 0, false },
		       { TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false },
		       { TRANS_DH, DH_ECP256, 0, false }, { TRANS_DH, DH_CURVE25519, 0, false } },
		.nt = 6,
	};
	sa.prop[1] = (struct ikev2_proposal){
		.num = 2, .protocol = PROTO_IKE, .spi_len = 8,
		.spi = { 9, 8, 7, 6, 5, 4, 3, 2 },
		.t = { { TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0, false },
		       { TRANS_PRF, PRF_HMAC_SHA2_512, 0, false }, { TRANS_DH, DH_MODP2048, 0, false } },
		.nt = 3,
	};
	uint8_t buf[512];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_SA_INIT);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_sa(&b, &sa);
	size_t n = ikev2_finish(&b);
	assert_true(n > 0);

	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.p[0].type, PT_SA);
	assert_false(m.p[0].critical);
	struct ikev2_sa_payload out;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_sa(&m.p[0], &out, &d));
	assert_int_equal(out.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(out.prop[i].num, sa.prop[i].num);
		assert_int_equal(out.prop[i].protocol, sa.prop[i].protocol);
		assert_int_equal(out.prop[i].spi_len, sa.prop[i].spi_len);
		assert_memory_equal(out.prop[i].spi, sa.prop[i].spi, sa.prop[i].spi_len);
		assert_int_equal(out.prop[i].nt, sa.prop[i].nt);
		for (size_t k = 0; k < sa.prop[i].nt; k++) {
			assert_int_equal(out.prop[i].t[k].type, sa.prop[i].t[k].type);
			assert_int_equal(out.prop[i].t[k].id, sa.prop[i].t[k].id);
			assert_int_equal(out.prop[i].t[k].keylen, sa.prop[i].t[k].keylen);
			assert_false(out.prop[i].t[k].unusable);
		}
	}
}

static void test_round_trip_ke_id_auth_nonce(void **state)
{
	(void)state;
	uint8_t pub[32], auth[32];
	for (size_t i = 0; i < 32; i++) {
		pub[i] = (uint8_t)i;
		auth[i] = (uint8_t)(0xff - i);
	}
	static const uint8_t v4[4] = { 192, 168, 7, 1 };
	uint8_t buf[512];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_ke(&b, DH_CURVE25519, pub, sizeof(pub));
	ikev2_add_id(&b, PT_IDi, ID_FQDN, (const uint8_t *)"east.example", 12);
	ikev2_add_id(&b, PT_IDr, ID_IPV4_ADDR, v4, 4);
	ikev2_add_auth(&b, AUTH_SHARED_KEY_MIC, auth, sizeof(auth));
	ikev2_add(&b, PT_NONCE, NONCE, sizeof(NONCE));
	ikev2_add(&b, PT_VID, "OE", 2);
	size_t n = ikev2_finish(&b);
	assert_true(n > 0);

	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 6);
	struct diag d;
	diag_init(&d);

	struct ikev2_ke ke;
	assert_true(ikev2_parse_ke(ikev2_find(&m, PT_KE), &ke, &d));
	assert_int_equal(ke.group, DH_CURVE25519);
	assert_int_equal(ke.len, 32);
	assert_memory_equal(ke.data, pub, 32);

	struct ikev2_id id;
	assert_true(ikev2_parse_id(ikev2_find(&m, PT_IDi), &id, &d));
	assert_int_equal(id.type, ID_FQDN);
	assert_int_equal(id.len, 12);
	assert_memory_equal(id.data, "east.example", 12);
	assert_true(ikev2_parse_id(ikev2_find(&m, PT_IDr), &id, &d));
	assert_int_equal(id.type, ID_IPV4_ADDR);
	assert_memory_equal(id.data, v4, 4);

	struct ikev2_auth a;
	assert_true(ikev2_parse_auth(ikev2_find(&m, PT_AUTH), &a, &d));
	assert_int_equal(a.method, AUTH_SHARED_KEY_MIC);
	assert_int_equal(a.len, 32);
	assert_memory_equal(a.data, auth, 32);

	const uint8_t *nonce;
	size_t nlen;
	assert_true(ikev2_parse_nonce(ikev2_find(&m, PT_NONCE), &nonce, &nlen, &d));
	assert_int_equal(nlen, sizeof(NONCE));
	assert_memory_equal(nonce, NONCE, nlen);

	const struct ikev2_payload *vid = ikev2_find(&m, PT_VID);
	assert_non_null(vid);
	assert_int_equal(vid->len, 2);
	assert_memory_equal(vid->body, "OE", 2);
	assert_null(ikev2_find(&m, PT_SA));
	assert_false(diag_failed(&d));
}

static void test_round_trip_notify_delete(void **state)
{
	(void)state;
	static const uint8_t spi[4] = { 0xca, 0xfe, 0xba, 0xbe };
	static const uint8_t spis[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const uint8_t hash[20] = { 0x55 };
	uint8_t buf[512];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(INFORMATIONAL);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_notify(&b, PROTO_ESP, spi, 4, N_REKEY_SA, NULL, 0);
	ikev2_add_notify(&b, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, hash, sizeof(hash));
	ikev2_add_delete(&b, PROTO_ESP, 4, spis, 3);
	ikev2_add_delete(&b, PROTO_IKE, 0, NULL, 0);
	size_t n = ikev2_finish(&b);
	assert_true(n > 0);

	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 4);
	struct diag d;
	diag_init(&d);

	struct ikev2_notify no;
	assert_true(ikev2_parse_notify(&m.p[0], &no, &d));
	assert_int_equal(no.protocol, PROTO_ESP);
	assert_int_equal(no.spi_len, 4);
	assert_memory_equal(no.spi, spi, 4);
	assert_int_equal(no.type, N_REKEY_SA);
	assert_int_equal(no.data_len, 0);
	assert_true(ikev2_parse_notify(&m.p[1], &no, &d));
	assert_int_equal(no.spi_len, 0);
	assert_int_equal(no.type, N_NAT_DETECTION_SOURCE_IP);
	assert_int_equal(no.data_len, 20);
	assert_memory_equal(no.data, hash, 20);

	struct ikev2_delete del;
	assert_true(ikev2_parse_delete(&m.p[2], &del, &d));
	assert_int_equal(del.protocol, PROTO_ESP);
	assert_int_equal(del.spi_len, 4);
	assert_int_equal(del.count, 3);
	assert_memory_equal(del.spis, spis, 12);
	assert_true(ikev2_parse_delete(&m.p[3], &del, &d));
	assert_int_equal(del.protocol, PROTO_IKE);
	assert_int_equal(del.count, 0);
	assert_false(diag_failed(&d));
}

static struct ikev2_ts ts4(const char *from, const char *to, uint8_t proto, uint16_t p0, uint16_t p1)
{
	struct ikev2_ts t = { .type = TS_IPV4_ADDR_RANGE, .ipproto = proto,
			      .start_port = p0, .end_port = p1 };
	assert_true(address_parse(from, &t.start));
	assert_true(address_parse(to, &t.end));
	return t;
}

static void test_round_trip_ts(void **state)
{
	(void)state;
	struct ikev2_ts_payload ts = { .n = 3 };
	ts.ts[0] = ts4("10.0.1.0", "10.0.1.255", 0, 0, 65535);
	ts.ts[1] = ts4("192.168.7.1", "192.168.7.1", 17, 500, 500);
	ts.ts[2] = (struct ikev2_ts){ .type = TS_IPV6_ADDR_RANGE, .ipproto = 6,
				      .start_port = 0, .end_port = 65535 };
	assert_true(address_parse("2001:db8::", &ts.ts[2].start));
	assert_true(address_parse("2001:db8::ffff", &ts.ts[2].end));

	uint8_t buf[512];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_ts(&b, PT_TSi, &ts);
	ikev2_add_ts(&b, PT_TSr, &ts);
	size_t n = ikev2_finish(&b);
	assert_int_equal(n, IKEV2_HDR_LEN + 2 * (4 + 4 + 16 + 16 + 40));

	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.p[1].type, PT_TSr);
	struct ikev2_ts_payload out;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_ts(&m.p[1], &out, &d));
	assert_int_equal(out.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(out.ts[i].type, ts.ts[i].type);
		assert_int_equal(out.ts[i].ipproto, ts.ts[i].ipproto);
		assert_int_equal(out.ts[i].start_port, ts.ts[i].start_port);
		assert_int_equal(out.ts[i].end_port, ts.ts[i].end_port);
		assert_true(address_eq(&out.ts[i].start, &ts.ts[i].start));
		assert_true(address_eq(&out.ts[i].end, &ts.ts[i].end));
	}
	assert_int_equal(out.ts[2].start.family, AF_INET6);
}

/* An encrypted message the way IKE_AUTH is built: SK opened, IV room,
 * inner payloads (the first patches SK's next-payload), ICV room. */
static size_t build_sk_message(uint8_t *buf, size_t cap, size_t *inner_at, size_t *inner_len)
{
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, cap, &h);
	ikev2_add(&b, PT_VID, "outer", 5);
	size_t sk = ikev2_open_payload(&b, PT_SK);
	ikev2_put(&b, NULL, 16);		/* IV */
	*inner_at = b.used;
	ikev2_add_id(&b, PT_IDi, ID_FQDN, (const uint8_t *)"west", 4);
	ikev2_add_auth(&b, AUTH_SHARED_KEY_MIC, NONCE, 32);
	ikev2_add_notify(&b, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	*inner_len = b.used - *inner_at;
	ikev2_put(&b, NULL, 16);		/* ICV */
	ikev2_end_payload(&b, sk);
	return ikev2_finish(&b);
}

static void test_sk_and_inner(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t inner_at, inner_len;
	size_t n = build_sk_message(buf, sizeof(buf), &inner_at, &inner_len);
	assert_true(n > 0);

	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.p[1].type, PT_SK);
	assert_int_equal(m.sk_first, PT_IDi);
	assert_int_equal(m.sk_offset, inner_at - 16);
	assert_ptr_equal(m.p[1].body, buf + m.sk_offset);
	assert_int_equal(m.p[1].len, n - m.sk_offset);

	/* As if decrypted: the plaintext sits where it was built. */
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_inner(buf + inner_at, inner_len, m.sk_first, &m, &d));
	assert_int_equal(m.n, 4);
	assert_int_equal(m.p[0].type, PT_VID);
	assert_int_equal(m.p[1].type, PT_IDi);
	assert_int_equal(m.p[2].type, PT_AUTH);
	assert_int_equal(m.p[3].type, PT_NOTIFY);
	assert_null(ikev2_find(&m, PT_SK));
	struct ikev2_notify no;
	assert_true(ikev2_parse_notify(&m.p[3], &no, &d));
	assert_int_equal(no.type, N_INITIAL_CONTACT);

	/* Only once: the SK payload is gone. */
	assert_false(ikev2_parse_inner(buf + inner_at, inner_len, PT_IDi, &m, &d));
	check_reason(&d, "no SK payload");
}

static void test_empty_inner(void **state)
{
	(void)state;
	/* An empty INFORMATIONAL (liveness): SK with nothing inside. */
	uint8_t buf[128];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(INFORMATIONAL);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	size_t sk = ikev2_open_payload(&b, PT_SK);
	ikev2_put(&b, NULL, 24);
	ikev2_end_payload(&b, sk);
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.sk_first, PT_NONE);
	assert_int_equal(m.sk_offset, IKEV2_HDR_LEN + 4);
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_inner(buf, 0, PT_NONE, &m, &d));
	assert_int_equal(m.n, 0);
}

/* ---- a whole IKE_SA_INIT ---- */

static size_t build_sa_init(uint8_t *buf, size_t cap)
{
	struct alg_proposals ike;
	alg_default_ike(&ike);
	struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(&ike, PROTO_IKE, NULL, 0, 0, &sa);
	uint8_t pub[32] = { 0x42 }, natd[20] = { 0x99 };

	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_SA_INIT);
	memset(h.spi_r, 0, 8);
	ikev2_begin(&b, buf, cap, &h);
	ikev2_add_sa(&b, &sa);
	ikev2_add_ke(&b, DH_ECP256, pub, sizeof(pub));
	ikev2_add(&b, PT_NONCE, NONCE, sizeof(NONCE));
	ikev2_add_notify(&b, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ikev2_add_notify(&b, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	ikev2_add_notify(&b, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ikev2_add(&b, PT_VID, "this pluto", 10);
	return ikev2_finish(&b);
}

static void test_ike_sa_init(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t n = build_sa_init(buf, sizeof(buf));
	assert_true(n > 0);

	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.hdr.exchange, IKE_SA_INIT);
	assert_int_equal(m.hdr.next_payload, PT_SA);
	assert_int_equal(m.n, 7);
	static const uint8_t types[] = { PT_SA, PT_KE, PT_NONCE, PT_NOTIFY, PT_NOTIFY, PT_NOTIFY, PT_VID };
	for (size_t i = 0; i < m.n; i++)
		assert_int_equal(m.p[i].type, types[i]);
	assert_null(ikev2_unknown_critical(&m));

	struct diag d;
	diag_init(&d);
	struct ikev2_sa_payload sa;
	assert_true(ikev2_parse_sa(ikev2_find(&m, PT_SA), &sa, &d));
	assert_int_equal(sa.n, 2);	/* 168 alg proposals merged: AEAD, and CBC */

	/* The responder with the same defaults takes the first. */
	struct alg_proposals ike;
	alg_default_ike(&ike);
	struct ikev2_sa_payload chosen;
	struct alg_proposal alg;
	bool esn;
	assert_true(ikev2_sa_choose(&sa, &ike, PROTO_IKE, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(alg.encr_keylen, 256);
	assert_int_equal(alg.dh, DH_ECP256);
	assert_int_equal(chosen.prop[0].num, 1);

	struct ikev2_ke ke;
	assert_true(ikev2_parse_ke(ikev2_find(&m, PT_KE), &ke, &d));
	assert_int_equal(ke.group, alg.dh);
	struct ikev2_notify no;
	assert_true(ikev2_parse_notify(&m.p[5], &no, &d));
	assert_int_equal(no.type, N_IKEV2_FRAGMENTATION_SUPPORTED);
	assert_false(diag_failed(&d));
}

/* ---- malformed messages ---- */

static void test_truncated_header(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t n = build_sa_init(buf, sizeof(buf));
	expect_parse_fail(buf, 0, "truncated IKE header");
	expect_parse_fail(buf, IKEV2_HDR_LEN - 1, "truncated IKE header");
	/* Any cut of a good message fails on the header's length. */
	for (size_t cut = IKEV2_HDR_LEN; cut < n; cut++)
		expect_parse_fail(buf, cut, "does not match");
}

static void test_header_length_mismatch(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t n = build_sa_init(buf, sizeof(buf));
	buf[27]++;
	expect_parse_fail(buf, n, "header length");
	buf[27] -= 2;
	expect_parse_fail(buf, n, "header length");
	buf[27]++;
	buf[24] = 0x80;
	expect_parse_fail(buf, n, "header length");
	buf[24] = 0;
	expect_parse_fail(buf, IKEV2_MSG_MAX + 1, "longer than");
}

static void test_version(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t n = build_sa_init(buf, sizeof(buf));
	struct ikev2_msg m;
	buf[17] = 0x21;			/* a higher minor version is fine (2.5) */
	parse_ok(buf, n, &m);
	buf[17] = 0x30;
	expect_parse_fail(buf, n, "major version 3");
	buf[17] = 0x10;
	expect_parse_fail(buf, n, "major version 1");
}

static void test_payload_lengths(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n;

	static const uint8_t zero_len[] = { 0, 0, 0, 0 };
	n = raw_msg(buf, PT_VID, zero_len, sizeof(zero_len));
	expect_parse_fail(buf, n, "less than its own header");
	static const uint8_t three[] = { 0, 0, 0, 3 };
	n = raw_msg(buf, PT_VID, three, sizeof(three));
	expect_parse_fail(buf, n, "less than its own header");

	static const uint8_t past[] = { 0, 0, 0, 9, 'a', 'b', 'c', 'd' };
	n = raw_msg(buf, PT_VID, past, sizeof(past));
	expect_parse_fail(buf, n, "runs past the end");

	static const uint8_t short_gh[] = { 0, 0 };
	n = raw_msg(buf, PT_VID, short_gh, sizeof(short_gh));
	expect_parse_fail(buf, n, "truncated generic header");

	static const uint8_t more_said[] = { PT_VID, 0, 0, 5, 'x' };
	n = raw_msg(buf, PT_VID, more_said, sizeof(more_said));
	expect_parse_fail(buf, n, "VID payload: truncated generic header");

	static const uint8_t trailing[] = { 0, 0, 0, 5, 'x', 0xee };
	n = raw_msg(buf, PT_VID, trailing, sizeof(trailing));
	expect_parse_fail(buf, n, "1 bytes after the last payload");

	/* Header says no payloads, but bytes follow. */
	n = raw_msg(buf, PT_NONE, trailing, sizeof(trailing));
	expect_parse_fail(buf, n, "after the last payload");

	/* No payloads at all is a well-formed message. */
	struct ikev2_msg m;
	n = raw_msg(buf, PT_NONE, NULL, 0);
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 0);
}

static void test_body_minimums(void **state)
{
	(void)state;
	uint8_t buf[512], body[300] = { 0 };
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_SA_INIT);
	static const struct { uint8_t type; size_t len; const char *why; } cases[] = {
		{ PT_NONCE, 15, "at least 16" }, { PT_NONCE, 257, "at most 256" },
		{ PT_SA, 7, "at least 8" }, { PT_KE, 3, "at least 4" },
		{ PT_IDi, 0, "at least 4" }, { PT_IDr, 3, "at least 4" },
		{ PT_AUTH, 2, "at least 4" }, { PT_NOTIFY, 3, "at least 4" },
		{ PT_DELETE, 1, "at least 4" }, { PT_TSi, 3, "at least 4" },
		{ PT_TSr, 0, "at least 4" }, { PT_CERTREQ, 0, "at least 1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ikev2_begin(&b, buf, sizeof(buf), &h);
		ikev2_add(&b, cases[i].type, body, cases[i].len);
		size_t n = ikev2_finish(&b);
		assert_true(n > 0);
		expect_parse_fail(buf, n, cases[i].why);
	}
	/* The bounds themselves are fine. */
	struct ikev2_msg m;
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add(&b, PT_NONCE, body, 16);
	ikev2_add(&b, PT_NONCE, body, 256);
	parse_ok(buf, ikev2_finish(&b), &m);
}

static void test_too_many_payloads(void **state)
{
	(void)state;
	uint8_t buf[1024];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(INFORMATIONAL);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	for (int i = 0; i < IKEV2_MAX_PAYLOADS; i++)
		ikev2_add(&b, PT_VID, "v", 1);
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, IKEV2_MAX_PAYLOADS);

	ikev2_add(&b, PT_VID, "v", 1);
	n = ikev2_finish(&b);
	expect_parse_fail(buf, n, "more than 32 payloads");
}

static void test_sk_not_last(void **state)
{
	(void)state;
	/* SK whose length stops short of the message's end. */
	static const uint8_t rest[] = {
		PT_IDi, 0, 0, 8, 1, 2, 3, 4,	/* SK, 4 bytes of body */
		0, 0, 0, 5, 'x',		/* then something else */
	};
	uint8_t buf[128];
	size_t n = raw_msg(buf, PT_SK, rest, sizeof(rest));
	expect_parse_fail(buf, n, "SK payload is not the last payload");

	/* SK after other payloads, ending the message: fine. */
	static const uint8_t ok[] = { PT_SK, 0, 0, 5, 'x', PT_IDi, 0, 0, 6, 1, 2 };
	n = raw_msg(buf, PT_VID, ok, sizeof(ok));
	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.sk_offset, IKEV2_HDR_LEN + 5 + 4);
	assert_int_equal(m.sk_first, PT_IDi);

	/* SKF (fragments, which we do not support) also ends the chain. */
	static const uint8_t skf[] = { PT_IDi, 0, 0, 8, 0, 1, 0, 1 };
	n = raw_msg(buf, PT_SKF, skf, sizeof(skf));
	parse_ok(buf, n, &m);
	assert_int_equal(m.p[0].type, PT_SKF);
	assert_int_equal(m.sk_offset, 0);
}

static void test_inner_errors(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t inner_at, inner_len;
	size_t n = build_sk_message(buf, sizeof(buf), &inner_at, &inner_len);
	struct ikev2_msg m, before;
	parse_ok(buf, n, &m);
	before = m;
	struct diag d;

	/* Truncated plaintext: the last payload's length runs out. */
	diag_init(&d);
	assert_false(ikev2_parse_inner(buf + inner_at, inner_len - 1, m.sk_first, &m, &d));
	check_reason(&d, "runs past the end");
	check_reason(&d, "SK payload's contents");
	assert_memory_equal(&m, &before, sizeof(m));

	/* Garbage after the last inner payload. */
	diag_init(&d);
	assert_false(ikev2_parse_inner(buf + inner_at, inner_len + 1, m.sk_first, &m, &d));
	check_reason(&d, "after the last payload");

	/* Nothing inside although first says there is. */
	diag_init(&d);
	assert_false(ikev2_parse_inner(buf + inner_at, 0, PT_IDi, &m, &d));
	check_reason(&d, "truncated generic header");

	/* SK inside SK. */
	static const uint8_t nested[] = { PT_IDi, 0, 0, 6, 1, 2 };
	diag_init(&d);
	assert_false(ikev2_parse_inner(nested, sizeof(nested), PT_SK, &m, &d));
	check_reason(&d, "SK payload inside an SK payload");

	/* Inner payload's own minimum. */
	static const uint8_t short_nonce[] = { 0, 0, 0, 6, 1, 2 };
	diag_init(&d);
	assert_false(ikev2_parse_inner(short_nonce, sizeof(short_nonce), PT_NONCE, &m, &d));
	check_reason(&d, "at least 16");

	/* The payload limit counts outer and inner together. */
	uint8_t many[4 * IKEV2_MAX_PAYLOADS];
	for (size_t i = 0; i < IKEV2_MAX_PAYLOADS; i++) {
		uint8_t *p = many + 4 * i;
		p[0] = i + 1 < IKEV2_MAX_PAYLOADS ? PT_VID : PT_NONE;
		p[1] = 0;
		p[2] = 0;
		p[3] = 4;
	}
	diag_init(&d);
	assert_false(ikev2_parse_inner(many, sizeof(many), PT_VID, &m, &d));
	check_reason(&d, "more than 32 payloads");
	diag_init(&d);
	assert_true(ikev2_parse_inner(many + 4, sizeof(many) - 4, PT_VID, &m, &d));
	assert_int_equal(m.n, IKEV2_MAX_PAYLOADS);

	/* Without an SK payload there is nothing to replace. */
	uint8_t plain[1024];
	n = build_sa_init(plain, sizeof(plain));
	parse_ok(plain, n, &m);
	diag_init(&d);
	assert_false(ikev2_parse_inner(nested, sizeof(nested), PT_VID, &m, &d));
	check_reason(&d, "no SK payload");
}

/* ---- malformed bodies ---- */

static void expect_sa_fail(const uint8_t *b, size_t len, const char *why)
{
	struct ikev2_payload p = body(PT_SA, b, len);
	struct ikev2_sa_payload sa;
	struct diag d;
	diag_init(&d);
	assert_false(ikev2_parse_sa(&p, &sa, &d));
	check_reason(&d, why);
}

static void sa_ok(const uint8_t *b, size_t len, struct ikev2_sa_payload *sa)
{
	struct ikev2_payload p = body(PT_SA, b, len);
	struct diag d;
	diag_init(&d);
	if (!ikev2_parse_sa(&p, sa, &d))
		fail_msg("SA parse failed: %s", d.text);
}

/* A proposal header (8 bytes) then a transform with attributes. */
#define PROP(last, len, num, ntrans)	last, 0, 0, len, num, PROTO_IKE, 0, ntrans
#define XFORM(last, len, type, id)	last, 0, 0, len, type, 0, 0, id

static void test_sa_substructures(void **state)
{
	(void)state;
	struct ikev2_sa_payload sa;

	static const uint8_t good[] = {
		PROP(0, 8 + 12 + 8, 1, 2),
		XFORM(3, 12, TRANS_ENCR, ENCR_AES_CBC), 0x80, 14, 0, 128,
		XFORM(0, 8, TRANS_DH, DH_ECP256),
	};
	sa_ok(good, sizeof(good), &sa);
	assert_int_equal(sa.prop[0].t[0].keylen, 128);

	static const uint8_t prop_short[] = { PROP(0, 7, 1, 0) };
	expect_sa_fail(prop_short, sizeof(prop_short), "proposal length 7");
	static const uint8_t prop_past[] = { PROP(0, 20, 1, 1), XFORM(0, 8, TRANS_DH, 19) };
	expect_sa_fail(prop_past, sizeof(prop_past), "proposal length 20");
	static const uint8_t prop_trunc[] = { 0, 0, 0 };
	expect_sa_fail(prop_trunc, sizeof(prop_trunc), "proposal header truncated");
	static const uint8_t prop_last[] = { PROP(1, 16, 1, 1), XFORM(0, 8, TRANS_DH, 19) };
	expect_sa_fail(prop_last, sizeof(prop_last), "last-substruc 1, must be 0 or 2");
	static const uint8_t more_none[] = { PROP(2, 16, 1, 1), XFORM(0, 8, TRANS_DH, 19) };
	expect_sa_fail(more_none, sizeof(more_none), "proposal header truncated");
	static const uint8_t last_more[] = {
		PROP(0, 16, 1, 1), XFORM(0, 8, TRANS_DH, 19),
		PROP(0, 16, 2, 1), XFORM(0, 8, TRANS_DH, 19),
	};
	expect_sa_fail(last_more, sizeof(last_more), "bytes after the last proposal");

	static const uint8_t x_short[] = { PROP(0, 15, 1, 1), XFORM(0, 7, TRANS_DH, 19) };
	expect_sa_fail(x_short, sizeof(x_short) - 1, "transform length 7");
	static const uint8_t x_past[] = { PROP(0, 16, 1, 1), XFORM(0, 12, TRANS_DH, 19) };
	expect_sa_fail(x_past, sizeof(x_past), "transform length 12");
	static const uint8_t x_last[] = { PROP(0, 16, 1, 1), XFORM(2, 8, TRANS_DH, 19) };
	expect_sa_fail(x_last, sizeof(x_last), "last-substruc 2, must be 0 or 3");
	static const uint8_t x_trunc[] = { PROP(0, 11, 1, 1), 0, 0, 0 };
	expect_sa_fail(x_trunc, sizeof(x_trunc), "transform header truncated");
	static const uint8_t x_more_none[] = { PROP(0, 16, 1, 2), XFORM(3, 8, TRANS_DH, 19) };
	expect_sa_fail(x_more_none, sizeof(x_more_none), "transform header truncated");
	static const uint8_t x_count_high[] = { PROP(0, 16, 1, 2), XFORM(0, 8, TRANS_DH, 19) };
	expect_sa_fail(x_count_high, sizeof(x_count_high), "count says 2");
	static const uint8_t x_count_low[] = {
		PROP(0, 24, 1, 1), XFORM(3, 8, TRANS_DH, 19), XFORM(0, 8, TRANS_DH, 20),
	};
	expect_sa_fail(x_count_low, sizeof(x_count_low), "more transforms than its count");
	static const uint8_t x_trailing[] = { PROP(0, 18, 1, 1), XFORM(0, 8, TRANS_DH, 19), 0, 0 };
	expect_sa_fail(x_trailing, sizeof(x_trailing), "trailing bytes");

	static const uint8_t spi3[] = {
		0, 0, 0, 19, 1, PROTO_ESP, 3, 1, 1, 2, 3, XFORM(0, 8, TRANS_DH, 19),
	};
	expect_sa_fail(spi3, sizeof(spi3), "SPI size 3");
	static const uint8_t spi_past[] = { 0, 0, 0, 12, 1, PROTO_ESP, 8, 0, 1, 2, 3, 4 };
	expect_sa_fail(spi_past, sizeof(spi_past), "SPI of 8 bytes");
}

static void test_sa_numbers_and_counts(void **state)
{
	(void)state;
	struct ikev2_sa_payload sa;
	static const uint8_t skip[] = {
		PROP(2, 16, 1, 1), XFORM(0, 8, TRANS_DH, 19),
		PROP(0, 16, 3, 1), XFORM(0, 8, TRANS_DH, 19),
	};
	expect_sa_fail(skip, sizeof(skip), "proposal number 3 where 2 was expected");
	static const uint8_t zero[] = { PROP(0, 16, 0, 1), XFORM(0, 8, TRANS_DH, 19) };
	expect_sa_fail(zero, sizeof(zero), "proposal number 0 where 1 was expected");
	/* An answer's single proposal keeps the number it accepted. */
	static const uint8_t answer[] = { PROP(0, 16, 5, 1), XFORM(0, 8, TRANS_DH, 19) };
	sa_ok(answer, sizeof(answer), &sa);
	assert_int_equal(sa.prop[0].num, 5);

	/* 16 proposals fit, 17 do not. */
	uint8_t many[17 * 16];
	for (size_t i = 0; i < 17; i++) {
		const uint8_t p[] = { PROP(i < 16 ? 2 : 0, 16, (uint8_t)(i + 1), 1),
				      XFORM(0, 8, TRANS_DH, 19) };
		memcpy(many + 16 * i, p, 16);
	}
	expect_sa_fail(many, sizeof(many), "more than 16 proposals");
	many[15 * 16] = 0;
	sa_ok(many, 16 * 16, &sa);
	assert_int_equal(sa.n, IKEV2_PROPOSALS_MAX);

	/* Any count the one-byte field can say fits: strongSwan's default
	 * first IKE proposal alone has 34 transforms. */
	static uint8_t big[8 + 255 * 8];
	const uint8_t ph[] = { PROP(0, 0, 1, 255) };
	memcpy(big, ph, 8);
	for (size_t i = 0; i < 255; i++) {
		const uint8_t x[] = { XFORM(i < 254 ? 3 : 0, 8, TRANS_DH, 19) };
		memcpy(big + 8 + 8 * i, x, 8);
	}
	big[2] = (uint8_t)(sizeof(big) >> 8);
	big[3] = (uint8_t)sizeof(big);
	sa_ok(big, sizeof(big), &sa);
	assert_int_equal(sa.prop[0].nt, 255);
}

static void test_sa_attributes(void **state)
{
	(void)state;
	struct ikev2_sa_payload sa;

	/* An unknown attribute (TV or TLV) makes the transform unusable only. */
	static const uint8_t unknown[] = {
		PROP(0, 8 + 16 + 12, 1, 2),
		XFORM(3, 16, TRANS_ENCR, ENCR_AES_CBC), 0x80, 14, 0, 128, 0x80, 99, 0, 1,
		XFORM(0, 12, TRANS_ENCR, ENCR_AES_CBC), 0x00, 77, 0, 0,
	};
	sa_ok(unknown, sizeof(unknown), &sa);
	assert_int_equal(sa.prop[0].nt, 2);
	assert_true(sa.prop[0].t[0].unusable);
	assert_int_equal(sa.prop[0].t[0].keylen, 128);
	assert_true(sa.prop[0].t[1].unusable);

	static const uint8_t zero_keylen[] = {
		PROP(0, 20, 1, 1), XFORM(0, 12, TRANS_ENCR, ENCR_AES_CBC), 0x80, 14, 0, 0,
	};
	sa_ok(zero_keylen, sizeof(zero_keylen), &sa);
	assert_true(sa.prop[0].t[0].unusable);

	static const uint8_t truncated[] = {
		PROP(0, 18, 1, 1), XFORM(0, 10, TRANS_ENCR, ENCR_AES_CBC), 0x80, 14,
	};
	expect_sa_fail(truncated, sizeof(truncated), "attribute truncated");
	static const uint8_t tlv_past[] = {
		PROP(0, 22, 1, 1), XFORM(0, 14, TRANS_ENCR, ENCR_AES_CBC), 0x00, 77, 0, 3, 1, 2,
	};
	expect_sa_fail(tlv_past, sizeof(tlv_past), "length 3 runs past its transform");
	static const uint8_t tlv_keylen[] = {
		PROP(0, 22, 1, 1), XFORM(0, 14, TRANS_ENCR, ENCR_AES_CBC), 0x00, 14, 0, 2, 1, 0,
	};
	expect_sa_fail(tlv_keylen, sizeof(tlv_keylen), "TLV format");
	static const uint8_t two_keylens[] = {
		PROP(0, 24, 1, 1), XFORM(0, 16, TRANS_ENCR, ENCR_AES_CBC),
		0x80, 14, 0, 128, 0x80, 14, 1, 0,
	};
	expect_sa_fail(two_keylens, sizeof(two_keylens), "two key length attributes");
}

static void expect_ts_fail(const uint8_t *b, size_t len, const char *why)
{
	struct ikev2_payload p = body(PT_TSi, b, len);
	struct ikev2_ts_payload ts;
	struct diag d;
	diag_init(&d);
	assert_false(ikev2_parse_ts(&p, &ts, &d));
	check_reason(&d, why);
}

#define TS4(len, p0, p1, a, b) TS_IPV4_ADDR_RANGE, 0, 0, len, 0, p0, 0, p1, 10, 0, 0, a, 10, 0, 0, b

static void test_ts_malformed(void **state)
{
	(void)state;
	static const uint8_t v4_15[] = { 1, 0, 0, 0, TS4(15, 0, 255, 1, 2) };
	expect_ts_fail(v4_15, sizeof(v4_15) - 1, "length 15, must be 16");
	static const uint8_t v4_17[] = { 1, 0, 0, 0, TS4(17, 0, 255, 1, 2), 0 };
	expect_ts_fail(v4_17, sizeof(v4_17), "length 17, must be 16");
	static const uint8_t v6_16[] = {
		1, 0, 0, 0, TS_IPV6_ADDR_RANGE, 0, 0, 16, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	expect_ts_fail(v6_16, sizeof(v6_16), "length 16, must be 40");
	static const uint8_t v6_trunc[] = {
		1, 0, 0, 0, TS_IPV6_ADDR_RANGE, 0, 0, 40, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	expect_ts_fail(v6_trunc, sizeof(v6_trunc), "length 40, must be 40 and within");
	static const uint8_t type9[] = { 1, 0, 0, 0, 9, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0 };
	expect_ts_fail(type9, sizeof(type9), "type 9 not supported");
	static const uint8_t backwards[] = { 1, 0, 0, 0, TS4(16, 0, 255, 2, 1) };
	expect_ts_fail(backwards, sizeof(backwards), "runs backwards");
	static const uint8_t ports_backwards[] = { 1, 0, 0, 0, TS4(16, 2, 1, 1, 2) };
	expect_ts_fail(ports_backwards, sizeof(ports_backwards), "runs backwards");
	static const uint8_t none[] = { 0, 0, 0, 0 };
	expect_ts_fail(none, sizeof(none), "0 selectors");
	static const uint8_t nine[] = { 9, 0, 0, 0, TS4(16, 0, 255, 1, 2) };
	expect_ts_fail(nine, sizeof(nine), "9 selectors");
	static const uint8_t count_high[] = { 2, 0, 0, 0, TS4(16, 0, 255, 1, 2) };
	expect_ts_fail(count_high, sizeof(count_high), "header truncated");
	static const uint8_t trailing[] = { 1, 0, 0, 0, TS4(16, 0, 255, 1, 2), 0 };
	expect_ts_fail(trailing, sizeof(trailing), "1 bytes after its 1 selectors");
	static const uint8_t short_body[] = { 1, 0, 0 };
	expect_ts_fail(short_body, sizeof(short_body), "too short");

	/* OPAQUE ports (3.13.1) are the one backwards range allowed. */
	static const uint8_t opaque[] = { 1, 0, 0, 0, TS_IPV4_ADDR_RANGE, 17, 0, 16,
					  0xff, 0xff, 0, 0, 10, 0, 0, 1, 10, 0, 0, 1 };
	struct ikev2_payload p = body(PT_TSr, opaque, sizeof(opaque));
	struct ikev2_ts_payload ts;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_ts(&p, &ts, &d));
	assert_int_equal(ts.ts[0].start_port, 65535);
	assert_int_equal(ts.ts[0].end_port, 0);
}

static void test_delete_notify_malformed(void **state)
{
	(void)state;
	struct ikev2_delete del;
	struct diag d;
	struct {
		uint8_t b[16];
		size_t len;
		const char *why;
	} dels[] = {
		{ { PROTO_ESP, 4, 0, 2, 1, 2, 3, 4 }, 8, "2 SPIs of 4 bytes in 4 bytes" },
		{ { PROTO_ESP, 4, 0, 1, 1, 2, 3, 4, 5 }, 9, "1 SPIs of 4 bytes in 5 bytes" },
		{ { PROTO_ESP, 4, 0, 0, 1, 2, 3, 4 }, 8, "0 SPIs of 4 bytes in 4 bytes" },
		{ { PROTO_ESP, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 }, 12, "SPI size 8 for protocol 3" },
		{ { PROTO_IKE, 4, 0, 1, 1, 2, 3, 4 }, 8, "SPI size 4 for protocol 1, must be 0" },
		{ { PROTO_IKE, 0, 0, 0, 1 }, 5, "0 SPIs of 0 bytes in 1 bytes" },
		{ { 9, 4, 0, 0 }, 4, "protocol 9" },
		{ { PROTO_ESP, 4, 0, 65 }, 4, "65 SPIs, more than 64" },
		{ { PROTO_ESP, 4, 0xff, 0xff }, 4, "65535 SPIs" },
		{ { PROTO_ESP, 4, 0 }, 3, "too short" },
	};
	for (size_t i = 0; i < sizeof(dels) / sizeof(dels[0]); i++) {
		struct ikev2_payload p = body(PT_DELETE, dels[i].b, dels[i].len);
		diag_init(&d);
		assert_false(ikev2_parse_delete(&p, &del, &d));
		check_reason(&d, dels[i].why);
	}

	struct ikev2_notify no;
	static const uint8_t spi_past[] = { PROTO_ESP, 4, 0x40, 0x09, 1, 2, 3 };
	struct ikev2_payload p = body(PT_NOTIFY, spi_past, sizeof(spi_past));
	diag_init(&d);
	assert_false(ikev2_parse_notify(&p, &no, &d));
	check_reason(&d, "REKEY_SA: SPI size 4 runs past the payload");
	static const uint8_t spi_fits[] = { PROTO_ESP, 4, 0x40, 0x09, 1, 2, 3, 4 };
	p = body(PT_NOTIFY, spi_fits, sizeof(spi_fits));
	assert_true(ikev2_parse_notify(&p, &no, &d));
	assert_int_equal(no.data_len, 0);
	p = body(PT_NOTIFY, spi_fits, 3);
	diag_init(&d);
	assert_false(ikev2_parse_notify(&p, &no, &d));
	check_reason(&d, "too short");
}

static void test_ke_id_auth_nonce_malformed(void **state)
{
	(void)state;
	static const uint8_t b[300] = { ID_IPV4_ADDR };
	struct diag d;
	struct ikev2_ke ke;
	struct ikev2_id id;
	struct ikev2_auth a;
	const uint8_t *nonce;
	size_t nlen;
	struct ikev2_payload p;

	p = body(PT_KE, b, 4);
	diag_init(&d);
	assert_false(ikev2_parse_ke(&p, &ke, &d));
	check_reason(&d, "too short for a group and a public value");

	p = body(PT_IDi, b, 4);
	diag_init(&d);
	assert_false(ikev2_parse_id(&p, &id, &d));
	check_reason(&d, "too short");
	p = body(PT_IDi, b, 9);
	diag_init(&d);
	assert_false(ikev2_parse_id(&p, &id, &d));
	check_reason(&d, "IPv4 address of 5 bytes, must be 4");
	static const uint8_t v6[20] = { ID_IPV6_ADDR };
	p = body(PT_IDr, v6, 8);
	diag_init(&d);
	assert_false(ikev2_parse_id(&p, &id, &d));
	check_reason(&d, "IPv6 address of 4 bytes, must be 16");
	p = body(PT_IDr, v6, 20);
	assert_true(ikev2_parse_id(&p, &id, &d));

	p = body(PT_AUTH, b, 4);
	diag_init(&d);
	assert_false(ikev2_parse_auth(&p, &a, &d));
	check_reason(&d, "too short");

	p = body(PT_NONCE, b, 15);
	diag_init(&d);
	assert_false(ikev2_parse_nonce(&p, &nonce, &nlen, &d));
	check_reason(&d, "must be 16 to 256");
	p = body(PT_NONCE, b, 257);
	diag_init(&d);
	assert_false(ikev2_parse_nonce(&p, &nonce, &nlen, &d));
	check_reason(&d, "nonce of 257 bytes");
}

/* ---- unknown critical payloads ---- */

static void test_unknown_critical(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	size_t certreq = ikev2_add(&b, PT_CERTREQ, "\x04", 1) - 4;
	size_t cp = ikev2_add(&b, PT_CP, "\x01\0\0\0", 4) - 4;
	size_t odd = ikev2_add(&b, 99, "x", 1) - 4;
	size_t vid = ikev2_add(&b, PT_VID, "x", 1) - 4;
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;

	parse_ok(buf, n, &m);
	assert_null(ikev2_unknown_critical(&m));	/* nothing critical */

	buf[certreq + 1] = 0x80;
	buf[vid + 1] = 0x80;
	parse_ok(buf, n, &m);
	assert_true(m.p[0].critical);
	assert_null(ikev2_unknown_critical(&m));	/* understood ones */

	buf[odd + 1] = 0x80;
	parse_ok(buf, n, &m);
	const struct ikev2_payload *u = ikev2_unknown_critical(&m);
	assert_non_null(u);
	assert_int_equal(u->type, 99);

	buf[cp + 1] = 0xff;		/* reserved bits are ignored */
	parse_ok(buf, n, &m);
	u = ikev2_unknown_critical(&m);
	assert_non_null(u);
	assert_int_equal(u->type, PT_CP);
	assert_string_equal(ikev2_payload_name(u->type), "CP");
}

/* ---- the builder's bounds ---- */

/* Every encoder once; returns ikev2_finish's answer. */
static size_t build_everything(uint8_t *buf, size_t cap)
{
	struct alg_proposals esp;
	alg_default_esp(&esp);
	struct ikev2_sa_payload sa;
	static const uint8_t spi[4] = { 1, 2, 3, 4 };
	ikev2_sa_from_proposals(&esp, PROTO_ESP, spi, 4, 2, &sa);
	struct ikev2_ts_payload ts = { .n = 1 };
	ts.ts[0] = ts4("10.0.0.0", "10.0.0.255", 0, 0, 65535);

	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, cap, &h);
	ikev2_add_sa(&b, &sa);
	ikev2_add_ke(&b, DH_ECP256, NONCE, 32);
	ikev2_add(&b, PT_NONCE, NONCE, 32);
	ikev2_add_id(&b, PT_IDi, ID_FQDN, (const uint8_t *)"west", 4);
	ikev2_add_auth(&b, AUTH_SHARED_KEY_MIC, NONCE, 32);
	ikev2_add_notify(&b, PROTO_ESP, spi, 4, N_REKEY_SA, NULL, 0);
	ikev2_add_delete(&b, PROTO_ESP, 4, spi, 1);
	ikev2_add_ts(&b, PT_TSi, &ts);
	ikev2_add_ts(&b, PT_TSr, &ts);
	size_t sk = ikev2_open_payload(&b, PT_SK);
	ikev2_put(&b, NULL, 8);
	ikev2_add(&b, PT_VID, "inner", 5);
	ikev2_end_payload(&b, sk);
	return ikev2_finish(&b);
}

static void test_builder_never_past_cap(void **state)
{
	(void)state;
	uint8_t full[2048];
	size_t need = build_everything(full, sizeof(full));
	assert_true(need > IKEV2_HDR_LEN);
	struct ikev2_msg m;
	parse_ok(full, need, &m);
	assert_int_equal(m.n, 10);

	uint8_t buf[2048 + 64];
	for (size_t cap = 0; cap <= need; cap++) {
		memset(buf, 0xc5, sizeof(buf));
		size_t n = build_everything(buf, cap);
		if (cap < need)
			assert_int_equal(n, 0);
		else
			assert_int_equal(n, need);
		for (size_t i = cap; i < sizeof(buf); i++)
			if (buf[i] != 0xc5)
				fail_msg("cap %zu: byte %zu written", cap, i);
	}
	assert_memory_equal(buf, full, need);
}

static void test_builder_refuses(void **state)
{
	(void)state;
	static uint8_t buf[IKEV2_MSG_MAX + 1024];
	static uint8_t big[IKEV2_MSG_MAX];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(INFORMATIONAL);

	/* A payload longer than its 16-bit length can say. */
	ikev2_begin(&b, buf, sizeof(buf), &h);
	assert_int_equal(ikev2_add(&b, PT_VID, big, sizeof(big)), 0);
	assert_int_equal(ikev2_finish(&b), 0);
	/* Once failed, nothing more is written. */
	size_t used = b.used;
	ikev2_add(&b, PT_VID, "x", 1);
	assert_int_equal(b.used, used);

	/* Traffic selectors of an unknown type. */
	struct ikev2_ts_payload ts = { .n = 1 };
	ts.ts[0].type = 9;
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_ts(&b, PT_TSi, &ts);
	assert_int_equal(ikev2_finish(&b), 0);

	/* A proposal with an impossible SPI size. */
	struct ikev2_sa_payload sa = { .n = 1 };
	sa.prop[0].spi_len = 9;
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_sa(&b, &sa);
	assert_int_equal(ikev2_finish(&b), 0);

	/* Ending a payload that was never opened. */
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_end_payload(&b, 3);
	assert_int_equal(ikev2_finish(&b), 0);
}

/* ---- proposals: offering ---- */

static const struct ikev2_transform *find_t(const struct ikev2_proposal *p, uint8_t type, size_t nth)
{
	for (size_t i = 0; i < p->nt; i++)
		if (p->t[i].type == type && nth-- == 0)
			return &p->t[i];
	return NULL;
}

static size_t count_t(const struct ikev2_proposal *p, uint8_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nt; i++)
		n += p->t[i].type == type;
	return n;
}

static void parse_ike(const char *s, struct alg_proposals *ps)
{
	struct diag d;
	diag_init(&d);
	if (!alg_parse_ike(s, ps, &d))
		fail_msg("ike=%s: %s", s, d.text);
}

static void parse_esp(const char *s, struct alg_proposals *ps)
{
	struct diag d;
	diag_init(&d);
	if (!alg_parse_esp(s, ps, &d))
		fail_msg("esp=%s: %s", s, d.text);
}

static void test_from_proposals_ike(void **state)
{
	(void)state;
	struct alg_proposals ike;
	alg_default_ike(&ike);
	assert_int_equal(ike.n, 168);
	struct ikev2_sa_payload sa;
	ikev2_sa_from_proposals(&ike, PROTO_IKE, NULL, 0, 0, &sa);
	/* Every combination, so the merge makes one box each: AEAD, CBC. */
	assert_int_equal(sa.n, 2);
	for (size_t i = 0; i < sa.n; i++) {
		const struct ikev2_proposal *p = &sa.prop[i];
		assert_int_equal(p->num, i + 1);
		assert_int_equal(p->protocol, PROTO_IKE);
		assert_int_equal(p->spi_len, 0);
		assert_int_equal(count_t(p, TRANS_ENCR), 2);
		assert_int_equal(count_t(p, TRANS_PRF), 3);
		assert_int_equal(count_t(p, TRANS_DH), 7);
		assert_int_equal(count_t(p, TRANS_ESN), 0);
		assert_int_equal(find_t(p, TRANS_DH, 0)->id, DH_ECP256);
		assert_int_equal(find_t(p, TRANS_DH, 6)->id, DH_MODP4096);
		assert_int_equal(find_t(p, TRANS_PRF, 0)->id, PRF_HMAC_SHA2_512);
		assert_int_equal(find_t(p, TRANS_ENCR, 0)->keylen, 256);
	}
	/* AES_GCM_16 first: AEAD, no INTEG. */
	assert_int_equal(find_t(&sa.prop[0], TRANS_ENCR, 0)->id, ENCR_AES_GCM_16);
	assert_int_equal(count_t(&sa.prop[0], TRANS_INTEG), 0);
	/* AES_CBC last: with INTEG, strongest first. */
	assert_int_equal(find_t(&sa.prop[1], TRANS_ENCR, 1)->id, ENCR_AES_CBC);
	assert_int_equal(find_t(&sa.prop[1], TRANS_ENCR, 1)->keylen, 128);
	assert_int_equal(count_t(&sa.prop[1], TRANS_INTEG), 3);
	assert_int_equal(find_t(&sa.prop[1], TRANS_INTEG, 0)->id, INTEG_HMAC_SHA2_512_256);

	/* A rekey carries an 8-byte SPI in every proposal. */
	ikev2_sa_from_proposals(&ike, PROTO_IKE, SPI_I, 8, 0, &sa);
	for (size_t i = 0; i < sa.n; i++) {
		assert_int_equal(sa.prop[i].spi_len, 8);
		assert_memory_equal(sa.prop[i].spi, SPI_I, 8);
	}

	/* chacha20-poly1305 goes without a key length attribute. */
	parse_ike("chacha20_poly1305-sha2_256;dh31", &ike);
	ikev2_sa_from_proposals(&ike, PROTO_IKE, NULL, 0, 0, &sa);
	assert_int_equal(sa.n, 1);
	assert_int_equal(find_t(&sa.prop[0], TRANS_ENCR, 0)->id, ENCR_CHACHA20_POLY1305);
	assert_int_equal(find_t(&sa.prop[0], TRANS_ENCR, 0)->keylen, 0);

	/* Differing in two types at once is not merged (it would offer more). */
	parse_ike("aes128-sha1;dh19,aes256-sha2_256;dh20", &ike);
	ikev2_sa_from_proposals(&ike, PROTO_IKE, NULL, 0, 0, &sa);
	assert_int_equal(sa.n, 2);

	/* A full cross product merges down to one. */
	parse_ike("aes128+aes256-sha2_256;dh19+dh20", &ike);
	assert_int_equal(ike.n, 4);
	ikev2_sa_from_proposals(&ike, PROTO_IKE, NULL, 0, 0, &sa);
	assert_int_equal(sa.n, 1);
	assert_int_equal(count_t(&sa.prop[0], TRANS_ENCR), 2);
	assert_int_equal(count_t(&sa.prop[0], TRANS_DH), 2);
}

static void test_from_proposals_esp(void **state)
{
	(void)state;
	static const uint8_t spi[4] = { 0x91, 0x95, 0xdc, 0x7a };
	struct alg_proposals esp;
	parse_esp("aes_gcm256,aes128-sha2_512+sha2_256", &esp);
	assert_int_equal(esp.n, 3);
	struct ikev2_sa_payload sa;

	for (int esn = 0; esn <= 2; esn++) {
		ikev2_sa_from_proposals(&esp, PROTO_ESP, spi, 4, esn, &sa);
		assert_int_equal(sa.n, 2);
		for (size_t i = 0; i < sa.n; i++) {
			const struct ikev2_proposal *p = &sa.prop[i];
			assert_int_equal(p->protocol, PROTO_ESP);
			assert_int_equal(p->spi_len, 4);
			assert_memory_equal(p->spi, spi, 4);
			assert_int_equal(count_t(p, TRANS_PRF), 0);
			assert_int_equal(count_t(p, TRANS_DH), 0);
			assert_int_equal(count_t(p, TRANS_ESN), esn == 2 ? 2 : 1);
			assert_int_equal(find_t(p, TRANS_ESN, 0)->id, esn == 1 ? 1 : 0);
			if (esn == 2)
				assert_int_equal(find_t(p, TRANS_ESN, 1)->id, 1);
		}
		assert_int_equal(count_t(&sa.prop[0], TRANS_INTEG), 0);
		assert_int_equal(find_t(&sa.prop[0], TRANS_ENCR, 0)->keylen, 256);
		/* Two integrity choices, one wire proposal. */
		assert_int_equal(count_t(&sa.prop[1], TRANS_INTEG), 2);
		assert_int_equal(find_t(&sa.prop[1], TRANS_INTEG, 0)->id, INTEG_HMAC_SHA2_512_256);
		assert_int_equal(find_t(&sa.prop[1], TRANS_INTEG, 1)->id, INTEG_HMAC_SHA2_256_128);
	}

	/* PFS: a DH transform per group; with and without PFS stay apart. */
	parse_esp("aes_gcm128;dh19,aes_gcm128;dh20,aes_gcm128", &esp);
	ikev2_sa_from_proposals(&esp, PROTO_ESP, spi, 4, 0, &sa);
	assert_int_equal(sa.n, 2);
	assert_int_equal(count_t(&sa.prop[0], TRANS_DH), 2);
	assert_int_equal(count_t(&sa.prop[1], TRANS_DH), 0);

	/* Built and parsed, the offer is the same. */
	uint8_t buf[1024];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(CREATE_CHILD_SA);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_sa(&b, &sa);
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	struct ikev2_sa_payload back;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_sa(&m.p[0], &back, &d));
	assert_int_equal(back.n, sa.n);
	assert_int_equal(back.prop[0].nt, sa.prop[0].nt);
	assert_int_equal(back.prop[1].nt, sa.prop[1].nt);
}

/* ---- proposals: choosing ---- */

static struct ikev2_proposal prop(uint8_t num, uint8_t protocol, size_t nt, const struct ikev2_transform *t)
{
	struct ikev2_proposal p = { .num = num, .protocol = protocol, .nt = nt };
	if (protocol == PROTO_ESP) {
		p.spi_len = 4;
		memcpy(p.spi, "\xaa\xbb\xcc\xdd", 4);
	}
	memcpy(p.t, t, nt * sizeof(*t));
	return p;
}

#define T(type, id) { type, id, 0, false }
#define TK(id, k) { TRANS_ENCR, id, k, false }

static void test_choose_ike(void **state)
{
	(void)state;
	struct alg_proposals ours;
	parse_ike("aes_gcm256-sha2_256;dh19,aes256-sha2_256;dh19", &ours);
	struct ikev2_sa_payload offered = { .n = 2 }, chosen;
	struct alg_proposal alg;
	bool esn;

	/* Peer prefers CBC; we prefer GCM; the peer's order wins. */
	static const struct ikev2_transform cbc[] = {
		TK(ENCR_AES_CBC, 256), T(TRANS_PRF, PRF_HMAC_SHA2_256),
		T(TRANS_INTEG, INTEG_HMAC_SHA2_256_128), T(TRANS_DH, DH_MODP2048), T(TRANS_DH, DH_ECP256),
	};
	static const struct ikev2_transform gcm[] = {
		TK(ENCR_AES_GCM_16, 256), T(TRANS_PRF, PRF_HMAC_SHA2_256), T(TRANS_DH, DH_ECP256),
	};
	offered.prop[0] = prop(1, PROTO_IKE, 5, cbc);
	offered.prop[1] = prop(2, PROTO_IKE, 3, gcm);
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.encr, ENCR_AES_CBC);
	assert_int_equal(alg.integ, INTEG_HMAC_SHA2_256_128);
	assert_int_equal(alg.dh, DH_ECP256);
	assert_int_equal(chosen.n, 1);
	assert_int_equal(chosen.prop[0].num, 1);
	assert_int_equal(chosen.prop[0].nt, 4);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_DH, 0)->id, DH_ECP256);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_ENCR, 0)->keylen, 256);

	/* Key length matters: AES-CBC-128 is not our AES-CBC-256. */
	offered.prop[0].t[0].keylen = 128;
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(chosen.prop[0].num, 2);
	assert_int_equal(chosen.prop[0].nt, 3);	/* no INTEG for AEAD */

	/* No match at all: nothing chosen. */
	offered.prop[1].t[2].id = DH_MODP2048;
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	offered.prop[1].t[2].id = DH_ECP256;

	/* AEAD offered with INTEG NONE: taken, NONE echoed. */
	static const struct ikev2_transform gcm_none[] = {
		TK(ENCR_AES_GCM_16, 256), T(TRANS_PRF, PRF_HMAC_SHA2_256),
		T(TRANS_INTEG, 0), T(TRANS_DH, DH_ECP256),
	};
	offered.n = 1;
	offered.prop[0] = prop(1, PROTO_IKE, 4, gcm_none);
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_INTEG, 0)->id, 0);

	/* AEAD offered only with a real INTEG: malformed offer, not taken. */
	offered.prop[0].t[2].id = INTEG_HMAC_SHA2_256_128;
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));

	/* An unusable transform (unknown attribute) is never chosen. */
	offered.prop[0] = prop(1, PROTO_IKE, 3, gcm);
	offered.prop[0].t[0].unusable = true;
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));

	/* A transform type we do not know, or ESN in IKE, spoils the proposal. */
	static const struct ikev2_transform odd[] = {
		TK(ENCR_AES_GCM_16, 256), T(TRANS_PRF, PRF_HMAC_SHA2_256), T(TRANS_DH, DH_ECP256), T(6, 1),
	};
	offered.prop[0] = prop(1, PROTO_IKE, 4, odd);
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	offered.prop[0].t[3].type = TRANS_ESN;
	offered.prop[0].t[3].id = 0;
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));

	/* Wrong protocol or SPI size: skipped. */
	offered.prop[0] = prop(1, PROTO_ESP, 3, gcm);
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	offered.prop[0] = prop(1, PROTO_IKE, 3, gcm);
	offered.prop[0].spi_len = 4;
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	offered.prop[0].spi_len = 8;
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
	assert_int_equal(chosen.prop[0].spi_len, 8);

	/* IKE without DH: not acceptable. */
	offered.prop[0] = prop(1, PROTO_IKE, 2, gcm);
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_IKE, 0, &chosen, &alg, &esn));
}

static void test_choose_esp(void **state)
{
	(void)state;
	struct alg_proposals ours;
	parse_esp("aes_gcm256,aes128-sha2_256", &ours);
	struct ikev2_sa_payload offered = { .n = 1 }, chosen;
	struct alg_proposal alg;
	bool esn;

	static const struct ikev2_transform gcm_esn[] = {
		TK(ENCR_AES_GCM_16, 256), T(TRANS_ESN, 1), T(TRANS_ESN, 0),
	};
	offered.prop[0] = prop(3, PROTO_ESP, 3, gcm_esn);

	/* esn_policy 2: the peer's first ESN transform. */
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 2, &chosen, &alg, &esn));
	assert_true(esn);
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(chosen.prop[0].num, 3);
	assert_int_equal(chosen.prop[0].spi_len, 4);
	assert_memory_equal(chosen.prop[0].spi, "\xaa\xbb\xcc\xdd", 4);	/* the peer's */
	assert_int_equal(chosen.prop[0].nt, 2);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_ESN, 0)->id, 1);
	/* 0 and 1 take what they insist on. */
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));
	assert_false(esn);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_ESN, 0)->id, 0);
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 1, &chosen, &alg, &esn));
	assert_true(esn);
	/* 3 (for an offloaded SA): no ESN although the peer put ESN first... */
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 3, &chosen, &alg, &esn));
	assert_false(esn);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_ESN, 0)->id, 0);
	offered.prop[0].nt = 2;		/* ESN only */
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));
	/* ...but ESN when that is all the peer will do. */
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 3, &chosen, &alg, &esn));
	assert_true(esn);
	offered.prop[0].nt = 1;		/* no ESN transform: 3.3.3 makes it mandatory */
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 2, &chosen, &alg, &esn));

	/* AEAD without integrity; CBC needs its integrity. */
	static const struct ikev2_transform cbc[] = {
		TK(ENCR_AES_CBC, 128), T(TRANS_INTEG, INTEG_HMAC_SHA1_96),
		T(TRANS_INTEG, INTEG_HMAC_SHA2_256_128), T(TRANS_ESN, 0),
	};
	offered.prop[0] = prop(1, PROTO_ESP, 4, cbc);
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.integ, INTEG_HMAC_SHA2_256_128);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_INTEG, 0)->id, INTEG_HMAC_SHA2_256_128);
	offered.prop[0].t[2].id = INTEG_HMAC_SHA2_512_256;
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));

	/* PFS: the peer wants DH; we have none, then we have dh19. */
	static const struct ikev2_transform pfs[] = {
		TK(ENCR_AES_GCM_16, 256), T(TRANS_DH, DH_ECP384), T(TRANS_DH, DH_ECP256), T(TRANS_ESN, 0),
	};
	offered.prop[0] = prop(1, PROTO_ESP, 4, pfs);
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));
	struct alg_proposals ours_pfs;
	parse_esp("aes_gcm256;dh19", &ours_pfs);
	assert_true(ikev2_sa_choose(&offered, &ours_pfs, PROTO_ESP, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.dh, DH_ECP256);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_DH, 0)->id, DH_ECP256);
	/* The peer makes PFS optional with DH NONE: we take NONE, echoed. */
	offered.prop[0].t[1].id = 0;
	assert_true(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));
	assert_int_equal(alg.dh, DH_NONE);
	assert_int_equal(find_t(&chosen.prop[0], TRANS_DH, 0)->id, 0);
	/* We insist on PFS; the peer offers none. */
	static const struct ikev2_transform no_pfs[] = { TK(ENCR_AES_GCM_16, 256), T(TRANS_ESN, 0) };
	offered.prop[0] = prop(1, PROTO_ESP, 2, no_pfs);
	assert_false(ikev2_sa_choose(&offered, &ours_pfs, PROTO_ESP, 0, &chosen, &alg, &esn));

	/* PRF has no place in ESP. */
	static const struct ikev2_transform with_prf[] = {
		TK(ENCR_AES_GCM_16, 256), T(TRANS_PRF, PRF_HMAC_SHA2_256), T(TRANS_ESN, 0),
	};
	offered.prop[0] = prop(1, PROTO_ESP, 3, with_prf);
	assert_false(ikev2_sa_choose(&offered, &ours, PROTO_ESP, 0, &chosen, &alg, &esn));
}

/* ---- proposals: the initiator checking the answer ---- */

static void expect_not_accepted(const struct ikev2_sa_payload *answer, const struct alg_proposals *ours,
				enum ikev2_protocol proto, int esn_policy, const char *why)
{
	struct alg_proposal alg;
	bool esn;
	uint8_t spi[8], spi_len;
	struct diag d;
	diag_init(&d);
	assert_false(ikev2_sa_accepted(answer, ours, proto, esn_policy, &alg, &esn, spi, &spi_len, &d));
	check_reason(&d, why);
}

static void test_accepted(void **state)
{
	(void)state;
	static const uint8_t our_spi[4] = { 1, 1, 1, 1 };
	struct alg_proposals esp;
	alg_default_esp(&esp);
	struct ikev2_sa_payload offer, chosen;
	ikev2_sa_from_proposals(&esp, PROTO_ESP, our_spi, 4, 2, &offer);

	/* The responder with a narrower policy picks; we check its answer. */
	struct alg_proposals theirs;
	parse_esp("aes128-sha2_256", &theirs);
	struct alg_proposal alg;
	bool esn;
	assert_true(ikev2_sa_choose(&offer, &theirs, PROTO_ESP, 1, &chosen, &alg, &esn));
	memcpy(chosen.prop[0].spi, "\x22\x33\x44\x55", 4);	/* the responder's SPI */

	/* Through the wire and back, as the initiator would see it. */
	uint8_t buf[512];
	struct ikev2_builder b;
	struct ikev2_hdr h = hdr(IKE_AUTH);
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_sa(&b, &chosen);
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;
	parse_ok(buf, n, &m);
	struct ikev2_sa_payload answer;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse_sa(&m.p[0], &answer, &d));

	uint8_t spi[8], spi_len;
	assert_true(ikev2_sa_accepted(&answer, &esp, PROTO_ESP, 2, &alg, &esn, spi, &spi_len, &d));
	assert_int_equal(alg.encr, ENCR_AES_CBC);
	assert_int_equal(alg.encr_keylen, 128);
	assert_int_equal(alg.integ, INTEG_HMAC_SHA2_256_128);
	assert_true(esn);
	assert_int_equal(spi_len, 4);
	assert_memory_equal(spi, "\x22\x33\x44\x55", 4);

	/* ESN we did not offer. */
	expect_not_accepted(&answer, &esp, PROTO_ESP, 0, "chose ESN, which we did not offer");

	/* A transform we did not offer. */
	struct ikev2_sa_payload bad = answer;
	bad.prop[0].t[1].id = INTEG_HMAC_SHA1_96;
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "AES_CBC_128-HMAC_SHA1_96 is none of our proposals");
	bad = answer;
	bad.prop[0].t[0].keylen = 192;
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "none of our proposals");
	bad = answer;
	bad.prop[0].t[bad.prop[0].nt++] = (struct ikev2_transform){ TRANS_PRF, PRF_HMAC_SHA1, 0, false };
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "(type 2, id 2) we did not offer");
	bad = answer;
	bad.prop[0].t[0].unusable = true;
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "we did not offer");

	/* More than one proposal, or two of a kind, or one missing. */
	bad = answer;
	bad.n = 2;
	bad.prop[1] = bad.prop[0];
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "answer has 2 proposals");
	bad.n = 0;
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "answer has 0 proposals");
	bad = answer;
	bad.prop[0].t[bad.prop[0].nt++] = (struct ikev2_transform){ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false };
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "more than one transform of type 3");
	bad = answer;
	bad.prop[0].nt = 2;		/* drops ESN */
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "lacks a transform type ESP needs");
	bad = answer;
	bad.prop[0].spi_len = 8;
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "8-byte SPI");
	bad = answer;
	bad.prop[0].protocol = PROTO_IKE;
	expect_not_accepted(&bad, &esp, PROTO_ESP, 2, "protocol 1");
}

static void test_accepted_ike(void **state)
{
	(void)state;
	struct alg_proposals ike;
	alg_default_ike(&ike);
	struct ikev2_sa_payload answer = { .n = 1 };
	static const struct ikev2_transform gcm[] = {
		TK(ENCR_AES_GCM_16, 128), T(TRANS_PRF, PRF_HMAC_SHA2_256), T(TRANS_DH, DH_CURVE25519),
	};
	answer.prop[0] = prop(2, PROTO_IKE, 3, gcm);
	struct alg_proposal alg;
	bool esn = true;
	uint8_t spi[8], spi_len = 99;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_sa_accepted(&answer, &ike, PROTO_IKE, 0, &alg, &esn, spi, &spi_len, &d));
	assert_int_equal(alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(alg.encr_keylen, 128);
	assert_int_equal(alg.prf, PRF_HMAC_SHA2_256);
	assert_int_equal(alg.dh, DH_CURVE25519);
	assert_false(esn);
	assert_int_equal(spi_len, 0);

	/* INTEG NONE with AEAD is fine whether or not we sent it. */
	answer.prop[0].t[answer.prop[0].nt++] = (struct ikev2_transform){ TRANS_INTEG, 0, 0, false };
	assert_true(ikev2_sa_accepted(&answer, &ike, PROTO_IKE, 0, &alg, &esn, spi, &spi_len, &d));

	/* A PRF we never offered is not what we offered. */
	answer.prop[0].t[1].id = PRF_HMAC_SHA1;
	expect_not_accepted(&answer, &ike, PROTO_IKE, 0, "none of our proposals");
	answer.prop[0].t[1].id = PRF_HMAC_SHA2_256;
	answer.prop[0].t[2].id = 18;	/* MODP8192: none of ours */
	expect_not_accepted(&answer, &ike, PROTO_IKE, 0, "none of our proposals");
	answer.prop[0].nt = 2;
	expect_not_accepted(&answer, &ike, PROTO_IKE, 0, "lacks a transform type IKE needs");
	answer.prop[0] = prop(2, PROTO_IKE, 3, gcm);
	answer.prop[0].t[1].keylen = 128;
	expect_not_accepted(&answer, &ike, PROTO_IKE, 0, "key length on a transform of type 2");
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ikev2_exchange_name(IKE_SA_INIT), "IKE_SA_INIT");
	assert_string_equal(ikev2_exchange_name(IKE_AUTH), "IKE_AUTH");
	assert_string_equal(ikev2_exchange_name(CREATE_CHILD_SA), "CREATE_CHILD_SA");
	assert_string_equal(ikev2_exchange_name(INFORMATIONAL), "INFORMATIONAL");
	assert_string_equal(ikev2_exchange_name(33), "UNKNOWN");

	static const uint16_t notifies[] = {
		1, 4, 5, 7, 9, 11, 14, 17, 24, 34, 35, 36, 37, 38, 39, 43, 44,
		16384, 16385, 16388, 16389, 16390, 16391, 16393, 16394, 16395, 16396, 16430, 16431,
	};
	for (size_t i = 0; i < sizeof(notifies) / sizeof(notifies[0]); i++)
		assert_string_not_equal(ikev2_notify_name(notifies[i]), "UNKNOWN");
	assert_string_equal(ikev2_notify_name(N_NO_PROPOSAL_CHOSEN), "NO_PROPOSAL_CHOSEN");
	assert_string_equal(ikev2_notify_name(N_NAT_DETECTION_SOURCE_IP), "NAT_DETECTION_SOURCE_IP");
	assert_string_equal(ikev2_notify_name(N_SIGNATURE_HASH_ALGORITHMS), "SIGNATURE_HASH_ALGORITHMS");
	assert_string_equal(ikev2_notify_name(2), "UNKNOWN");
	assert_string_equal(ikev2_notify_name(65535), "UNKNOWN");

	assert_string_equal(ikev2_payload_name(PT_SA), "SA");
	assert_string_equal(ikev2_payload_name(PT_SKF), "SKF");
	assert_string_equal(ikev2_payload_name(200), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_known_bytes),
		cmocka_unit_test(test_sa_known_bytes),
		cmocka_unit_test(test_round_trip_sa),
		cmocka_unit_test(test_round_trip_ke_id_auth_nonce),
		cmocka_unit_test(test_round_trip_notify_delete),
		cmocka_unit_test(test_round_trip_ts),
		cmocka_unit_test(test_sk_and_inner),
		cmocka_unit_test(test_empty_inner),
		cmocka_unit_test(test_ike_sa_init),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_header_length_mismatch),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_payload_lengths),
		cmocka_unit_test(test_body_minimums),
		cmocka_unit_test(test_too_many_payloads),
		cmocka_unit_test(test_sk_not_last),
		cmocka_unit_test(test_inner_errors),
		cmocka_unit_test(test_sa_substructures),
		cmocka_unit_test(test_sa_numbers_and_counts),
		cmocka_unit_test(test_sa_attributes),
		cmocka_unit_test(test_ts_malformed),
		cmocka_unit_test(test_delete_notify_malformed),
		cmocka_unit_test(test_ke_id_auth_nonce_malformed),
		cmocka_unit_test(test_unknown_critical),
		cmocka_unit_test(test_builder_never_past_cap),
		cmocka_unit_test(test_builder_refuses),
		cmocka_unit_test(test_from_proposals_ike),
		cmocka_unit_test(test_from_proposals_esp),
		cmocka_unit_test(test_choose_ike),
		cmocka_unit_test(test_choose_esp),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_accepted_ike),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
