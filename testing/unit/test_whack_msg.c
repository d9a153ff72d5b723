/* Unit tests for the whack wire format: round trips, and every kind of
 * malformed or truncated frame rejected with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "whack_msg.h"

static void test_request_round_trip(void **state)
{
	(void)state;
	struct whack_request in = { .op = WOP_ADD, .flags = WF_JSON };
	strcpy(in.name, "myconn");
	strcpy(in.config, "/etc/ipsec.conf");
	uint8_t buf[WHACK_FRAME_MAX];
	size_t n = whack_encode_request(&in, buf, sizeof(buf));
	assert_true(n > WHACK_HDR_LEN);

	struct diag d;
	diag_init(&d);
	assert_int_equal(whack_frame_len(buf, n, &d), (long)n);
	struct whack_request out;
	assert_true(whack_decode_request(buf, n, &out, &d));
	assert_int_equal(out.op, WOP_ADD);
	assert_int_equal(out.flags, WF_JSON);
	assert_string_equal(out.name, "myconn");
	assert_string_equal(out.config, "/etc/ipsec.conf");
	assert_string_equal(out.device, "");
	assert_false(diag_failed(&d));
}

static void test_reply_round_trip(void **state)
{
	(void)state;
	uint8_t buf[WHACK_FRAME_MAX];
	struct whack_reply r;
	struct diag d;
	diag_init(&d);

	size_t n = whack_encode_line("\"c\" #1: hello", buf, sizeof(buf));
	assert_true(whack_decode_reply(buf, n, &r, &d));
	assert_int_equal(r.type, WHACK_LINE);
	assert_string_equal(r.text, "\"c\" #1: hello");

	n = whack_encode_done(-3, buf, sizeof(buf));
	assert_true(whack_decode_reply(buf, n, &r, &d));
	assert_int_equal(r.type, WHACK_DONE);
	assert_int_equal(r.rc, -3);
}

static void test_encode_too_small(void **state)
{
	(void)state;
	struct whack_request in = { .op = WOP_STATUS };
	uint8_t buf[WHACK_HDR_LEN + 3];
	assert_int_equal(whack_encode_request(&in, buf, sizeof(buf)), 0);
}

static size_t good_request(uint8_t *buf, size_t len)
{
	struct whack_request in = { .op = WOP_DELETE };
	strcpy(in.name, "c");
	return whack_encode_request(&in, buf, len);
}

/* Decoding must fail and say why; the reason must contain `why`. */
static void expect_bad_request(const uint8_t *buf, size_t len, const char *why)
{
	struct whack_request r;
	struct diag d;
	diag_init(&d);
	assert_false(whack_decode_request(buf, len, &r, &d));
	assert_true(diag_failed(&d));
	if (strstr(d.text, why) == NULL)
		fail_msg("reason '%s' does not mention '%s'", d.text, why);
}

static void set_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void test_bad_magic_and_version(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = good_request(buf, sizeof(buf));
	buf[0] ^= 0xff;
	expect_bad_request(buf, n, "bad magic");
	n = good_request(buf, sizeof(buf));
	buf[5] = 99;
	expect_bad_request(buf, n, "version 99");
}

static void test_truncations(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = good_request(buf, sizeof(buf));
	/* Every proper prefix is rejected: short header or length mismatch. */
	for (size_t cut = 0; cut < n; cut++) {
		struct whack_request r;
		struct diag d;
		diag_init(&d);
		assert_false(whack_decode_request(buf, cut, &r, &d));
		assert_true(diag_failed(&d));
	}
	struct diag d;
	diag_init(&d);
	assert_int_equal(whack_frame_len(buf, WHACK_HDR_LEN - 1, &d), 0);
}

static void test_length_lies(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = good_request(buf, sizeof(buf));
	set_u32(buf + 8, (uint32_t)n + 10);
	expect_bad_request(buf, n, "arrived");
	set_u32(buf + 8, 4);
	expect_bad_request(buf, n, "out of range");
	set_u32(buf + 8, WHACK_FRAME_MAX + 1);
	expect_bad_request(buf, n, "out of range");

	/* An attribute whose length runs past the frame. */
	n = good_request(buf, sizeof(buf));
	buf[WHACK_HDR_LEN + 2] = 0x7f;
	expect_bad_request(buf, n, "claims");
}

static void test_bad_attributes(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = good_request(buf, sizeof(buf));
	/* First attribute is the op: make its type unknown. */
	buf[WHACK_HDR_LEN] = 0; buf[WHACK_HDR_LEN + 1] = 99;
	expect_bad_request(buf, n, "unknown attribute");

	/* A repeated attribute: append a second name by hand. */
	n = good_request(buf, sizeof(buf));
	const uint8_t extra[] = { 0, 3, 0, 1, 'x' };
	memcpy(buf + n, extra, sizeof(extra));
	n += sizeof(extra);
	set_u32(buf + 8, (uint32_t)n);
	expect_bad_request(buf, n, "repeated");

	/* A NUL inside a string. */
	n = good_request(buf, sizeof(buf));
	buf[n - 1] = '\0';
	expect_bad_request(buf, n, "NUL");

	/* An unknown operation. */
	n = good_request(buf, sizeof(buf));
	buf[WHACK_HDR_LEN + 5] = 200;
	expect_bad_request(buf, n, "unknown operation");
}

static void test_reply_in_request_rejected(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = whack_encode_line("x", buf, sizeof(buf));
	expect_bad_request(buf, n, "frame type");
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(whack_op_name(WOP_UP), "up");
	assert_string_equal(whack_op_name(WOP_ROUTE), "route");
	assert_string_equal(whack_op_name(WOP_UNROUTE), "unroute");
	assert_string_equal(whack_op_name(WOP_MAX_), "unknown");
	/* every op has a name: whack's messages name them */
	for (int op = WOP_NONE + 1; op < WOP_MAX_; op++)
		assert_string_not_equal(whack_op_name((enum whack_op)op), "unknown");
	assert_string_equal(whack_op_name(WOP_REPLACE), "replace");
}

/* The ops added last travel like the first ones. */
static void test_new_ops_round_trip(void **state)
{
	(void)state;
	for (int op = WOP_SHOWSTATES; op < WOP_MAX_; op++) {
		struct whack_request in = { .op = (enum whack_op)op }, out;
		strcpy(in.name, "c");
		uint8_t buf[WHACK_FRAME_MAX];
		size_t n = whack_encode_request(&in, buf, sizeof(buf));
		struct diag d;
		diag_init(&d);
		assert_true(whack_decode_request(buf, n, &out, &d));
		assert_int_equal(out.op, op);
		assert_string_equal(out.name, "c");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_encode_too_small),
		cmocka_unit_test(test_bad_magic_and_version),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_length_lies),
		cmocka_unit_test(test_bad_attributes),
		cmocka_unit_test(test_reply_in_request_rejected),
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_new_ops_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
