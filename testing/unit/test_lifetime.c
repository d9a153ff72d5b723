/* Unit tests of the rekey timing (lifetime.c): the margin, the fuzz that
 * spreads tunnels, the responder's half margin, and the edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "lifetime.h"

/* libreswan's defaults: 8 h, a margin of 9 min and a fuzz of 100%. */
static void test_the_initiator_rekeys_between_margin_and_twice_the_margin_before_the_end(void **state)
{
	(void)state;
	assert_int_equal(lifetime_rekey_after(28800, 540, 100, false, 0), 28800 - 540);
	assert_int_equal(lifetime_rekey_after(28800, 540, 100, false, UINT32_MAX), 28800 - 1079);
	assert_int_equal(lifetime_rekey_after(28800, 540, 100, false, UINT32_MAX / 2), 28800 - 809);
	/* no fuzz: always the margin */
	assert_int_equal(lifetime_rekey_after(28800, 540, 0, false, UINT32_MAX), 28800 - 540);
}

static void test_the_responder_uses_half_the_margin(void **state)
{
	(void)state;
	assert_int_equal(lifetime_rekey_after(28800, 540, 100, true, 0), 28800 - 270);
	assert_int_equal(lifetime_rekey_after(28800, 540, 100, true, UINT32_MAX), 28800 - 539);
	/* so with the same settings the initiator's rekey comes first */
	for (uint32_t r = 0; r < 1000; r++) {
		uint32_t x = r * 4294967u;
		assert_true(lifetime_rekey_after(28800, 540, 100, false, x) <
			    lifetime_rekey_after(28800, 540, 100, true, UINT32_MAX - x));
	}
}

/* Many tunnels up in the same second spread their rekeys over the fuzz. */
static void test_the_fuzz_spreads_rekeys(void **state)
{
	(void)state;
	uint32_t seen[541] = {0};
	unsigned distinct = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		uint32_t x = i * 2654435761u;	/* spread over uint32_t */
		uint32_t t = lifetime_rekey_after(28800, 540, 100, false, x);
		assert_true(t >= 28800 - 1080 && t <= 28800 - 540);
		if (seen[28800 - 540 - t]++ == 0)
			distinct++;
	}
	assert_true(distinct > 500);
}

static void test_a_margin_past_the_lifetime_leaves_half_of_it(void **state)
{
	(void)state;
	assert_int_equal(lifetime_rekey_after(20, 30, 100, false, 12345), 10);
	assert_int_equal(lifetime_rekey_after(1, 540, 100, false, 0), 1);
	assert_int_equal(lifetime_rekey_after(20, 5, 100, false, 0), 15);
	assert_int_equal(lifetime_rekey_after(UINT32_MAX, UINT32_MAX, 1000, true, UINT32_MAX),
			 UINT32_MAX - UINT32_MAX / 2);
}

/* ipsec-max-bytes=/-packets=, as libreswan: the initiator's soft limit at
 * 25% to 37% of the limit, the responder's at 50% to 62%. */
static void test_soft_limits_are_a_share_of_the_limit(void **state)
{
	(void)state;
	const uint64_t limit = 1000000;
	assert_true(lifetime_soft_limit(0, false, UINT32_MAX) == 0);
	assert_true(lifetime_soft_limit(limit, false, 0) == 250000);
	assert_true(lifetime_soft_limit(limit, true, 0) == 500000);
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t r = i * 4294967u;
		uint64_t in = lifetime_soft_limit(limit, false, r), re = lifetime_soft_limit(limit, true, r);
		assert_true(in >= 250000 && in <= 370000);
		assert_true(re >= 500000 && re <= 620000);
	}
	/* the largest limit does not overflow; the smallest still has one */
	uint64_t big = UINT64_C(1) << 63;
	assert_true(lifetime_soft_limit(big, true, UINT32_MAX) < big);
	assert_true(lifetime_soft_limit(big, true, UINT32_MAX) > big / 2);
	assert_true(lifetime_soft_limit(1, false, UINT32_MAX) == 1);
	assert_true(lifetime_soft_limit(10, false, UINT32_MAX) >= 2);
	/* small limits are spread too: 100 packets, 25 to 36 */
	unsigned seen[101] = {0}, distinct = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		uint64_t v = lifetime_soft_limit(100, false, i * 4294967u);
		assert_true(v >= 25 && v <= 37);
		distinct += seen[v]++ == 0;
	}
	assert_true(distinct >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_initiator_rekeys_between_margin_and_twice_the_margin_before_the_end),
		cmocka_unit_test(test_the_responder_uses_half_the_margin),
		cmocka_unit_test(test_the_fuzz_spreads_rekeys),
		cmocka_unit_test(test_a_margin_past_the_lifetime_leaves_half_of_it),
		cmocka_unit_test(test_soft_limits_are_a_share_of_the_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
