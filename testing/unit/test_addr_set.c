/* Unit tests of the address set (addr_set.h) that pluto fills from one
 * dump of this host's addresses: membership through the table's growth,
 * duplicates, families kept apart, the unset address, and reuse after
 * clearing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>
#include "addr_set.h"

static ip_address v4(unsigned i)
{
	char s[32];
	snprintf(s, sizeof(s), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	ip_address a;
	assert_true(address_parse(s, &a));
	return a;
}

static bool add4(struct addr_set *s, unsigned i)
{
	ip_address a = v4(i);
	return addr_set_add(s, &a);
}

static bool has4(const struct addr_set *s, unsigned i)
{
	ip_address a = v4(i);
	return addr_set_has(s, &a);
}

static void test_members_are_found_through_growth(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct addr_set s = {0};
	assert_false(addr_set_has(&s, &(ip_address){ .family = AF_INET }));
	for (unsigned i = 0; i < N; i += 2)
		assert_true(addr_set_add(&s, &(ip_address){0}) && add4(&s, i));
	assert_int_equal(addr_set_count(&s), N / 2);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(has4(&s, i), i % 2 == 0);
	addr_set_clear(&s);
}

static void test_an_address_is_there_once(void **state)
{
	(void)state;
	struct addr_set s = {0};
	ip_address a = v4(7);
	assert_true(addr_set_add(&s, &a));
	assert_true(addr_set_add(&s, &a));
	assert_int_equal(addr_set_count(&s), 1);
	addr_set_clear(&s);
}

static void test_families_and_the_unset_address_are_kept_apart(void **state)
{
	(void)state;
	struct addr_set s = {0};
	ip_address four, six, unset = {0};
	assert_true(address_parse("192.0.2.1", &four));
	/* the same first four bytes, as IPv6 */
	assert_true(address_parse("c000:201::", &six));
	assert_memory_equal(four.bytes, six.bytes, 4);
	assert_true(addr_set_add(&s, &four));
	assert_true(addr_set_has(&s, &four));
	assert_false(addr_set_has(&s, &six));
	assert_true(addr_set_add(&s, &unset));
	assert_false(addr_set_has(&s, &unset));
	assert_int_equal(addr_set_count(&s), 1);
	assert_true(addr_set_add(&s, &six));
	assert_true(addr_set_has(&s, &six));
	assert_int_equal(addr_set_count(&s), 2);
	addr_set_clear(&s);
}

static void test_a_cleared_set_is_empty_and_can_be_filled_again(void **state)
{
	(void)state;
	struct addr_set s = {0};
	for (unsigned i = 0; i < 300; i++)
		assert_true(add4(&s, i));
	addr_set_clear(&s);
	assert_int_equal(addr_set_count(&s), 0);
	assert_false(has4(&s, 1));
	assert_true(add4(&s, 1));
	assert_true(has4(&s, 1));
	assert_false(has4(&s, 2));
	addr_set_clear(&s);
	addr_set_clear(&s);	/* twice: nothing left to free */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_are_found_through_growth),
		cmocka_unit_test(test_an_address_is_there_once),
		cmocka_unit_test(test_families_and_the_unset_address_are_kept_apart),
		cmocka_unit_test(test_a_cleared_set_is_empty_and_can_be_filled_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
