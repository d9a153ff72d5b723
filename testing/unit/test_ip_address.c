/* test_ip_address.c: addresses and subnets, parsed, printed, compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include "ip_address.h"

static void test_parse_ipv4(void **state)
{
	(void)state;
	ip_address a;
	char buf[ADDRESS_STR_MAX];
	assert_true(address_parse("192.0.2.1", &a));
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(address_bits(&a), 32);
	assert_memory_equal(a.bytes, "\xc0\x00\x02\x01", 4);
	assert_string_equal(address_str(&a, buf), "192.0.2.1");
	assert_true(address_is_set(&a));
}

static void test_parse_ipv6(void **state)
{
	(void)state;
	ip_address a;
	char buf[ADDRESS_STR_MAX];
	assert_true(address_parse("2001:DB8:0::1", &a));
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(address_bits(&a), 128);
	assert_string_equal(address_str(&a, buf), "2001:db8::1");
	assert_true(address_parse("::", &a));
	assert_string_equal(address_str(&a, buf), "::");
}

static void test_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "192.0.2", "192.0.2.256", "192.0.2.1x", " 192.0.2.1", "192.0.2.1 ",
		"vpn.example.com", "%any", "fe80::1%eth0", "[2001:db8::1]", "2001:db8:::1",
		"192.0.2.1/32",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ip_address a = { .family = 12345 };
		assert_false(address_parse(bad[i], &a));
		assert_int_equal(a.family, 12345);	/* untouched on failure */
	}
}

static void test_unset(void **state)
{
	(void)state;
	ip_address a;
	memset(&a, 0, sizeof(a));
	char buf[ADDRESS_STR_MAX];
	assert_false(address_is_set(&a));
	assert_int_equal(address_bits(&a), 0);
	assert_string_equal(address_str(&a, buf), "<unset>");
	ip_subnet s = subnet_from_address(&a);
	assert_false(address_is_set(&s.addr));
	assert_string_equal(subnet_str(&s, buf), "<unset>");
}

static void test_eq(void **state)
{
	(void)state;
	ip_address a, b, c, d;
	assert_true(address_parse("2001:db8::1", &a));
	assert_true(address_parse("2001:0db8:0000::0001", &b));
	assert_true(address_parse("192.0.2.1", &c));
	assert_true(address_parse("192.0.2.2", &d));
	assert_true(address_eq(&a, &b));
	assert_false(address_eq(&a, &c));
	assert_false(address_eq(&c, &d));
	/* ::ffff:192.0.2.1 is another family's address, not the same one */
	ip_address mapped;
	assert_true(address_parse("::ffff:192.0.2.1", &mapped));
	assert_false(address_eq(&mapped, &c));
}

static void test_subnet_parse(void **state)
{
	(void)state;
	ip_subnet s;
	char buf[ADDRESS_STR_MAX];
	assert_true(subnet_parse("10.1.0.0/16", &s));
	assert_int_equal(s.prefixlen, 16);
	assert_string_equal(subnet_str(&s, buf), "10.1.0.0/16");
	assert_true(subnet_parse("0.0.0.0/0", &s));
	assert_string_equal(subnet_str(&s, buf), "0.0.0.0/0");
	assert_true(subnet_parse("2001:db8:1::/48", &s));
	assert_int_equal(s.prefixlen, 48);
	assert_string_equal(subnet_str(&s, buf), "2001:db8:1::/48");
	assert_true(subnet_parse("10.1.2.3", &s));
	assert_string_equal(subnet_str(&s, buf), "10.1.2.3/32");
	assert_true(subnet_parse("2001:db8::7", &s));
	assert_string_equal(subnet_str(&s, buf), "2001:db8::7/128");
	assert_true(subnet_parse("10.1.2.3/32", &s));
	assert_true(subnet_parse("10.1.2.2/31", &s));
	assert_true(subnet_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", &s));
	assert_string_equal(subnet_str(&s, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
}

static void test_subnet_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"10.1.2.3/24",	/* host bits set */
		"10.1.2.3/31",
		"2001:db8::1/64",
		"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "/24", "10.0.0.0/-1",
		"10.0.0.0/+8", "10.0.0.0/8x", "10.0.0.0/0008", "10.0.0.0/ 8",
		"10.0.0.0/8,10.1.0.0/16", "%any", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ip_subnet s;
		assert_false(subnet_parse(bad[i], &s));
	}
}

static void test_subnet_contains(void **state)
{
	(void)state;
	ip_subnet s, all, v6;
	ip_address in, out, edge, six;
	assert_true(subnet_parse("0.0.0.0/0", &all));
	assert_true(subnet_parse("2001:db8::/32", &v6));
	assert_true(address_parse("10.0.255.255", &edge));
	assert_true(address_parse("10.1.255.255", &in));
	assert_true(address_parse("10.2.0.0", &out));
	assert_true(address_parse("2001:db8:ffff::1", &six));
	/* 10.1.0.0/15 has a host bit set: not a network */
	assert_false(subnet_parse("10.1.0.0/15", &s));
	assert_true(subnet_parse("10.0.0.0/15", &s));
	assert_true(subnet_contains(&s, &edge));
	assert_true(subnet_contains(&s, &in));
	assert_false(subnet_contains(&s, &out));
	assert_true(subnet_contains(&all, &out));
	assert_false(subnet_contains(&all, &six));
	assert_true(subnet_contains(&v6, &six));
	assert_false(subnet_contains(&v6, &in));
	ip_subnet host = subnet_from_address(&in);
	assert_true(subnet_contains(&host, &in));
	assert_false(subnet_contains(&host, &edge));
}

static void test_sockaddr_round_trip(void **state)
{
	(void)state;
	static const char *const addrs[] = { "192.0.2.9", "2001:db8::9" };
	for (size_t i = 0; i < 2; i++) {
		ip_address a, b;
		struct sockaddr_storage ss;
		socklen_t len = 0;
		uint16_t port = 0;
		assert_true(address_parse(addrs[i], &a));
		address_to_sockaddr(&a, 4500, &ss, &len);
		assert_int_equal(ss.ss_family, a.family);
		assert_int_equal(len, a.family == AF_INET ? sizeof(struct sockaddr_in)
							  : sizeof(struct sockaddr_in6));
		assert_true(address_from_sockaddr((struct sockaddr *)&ss, &b, &port));
		assert_true(address_eq(&a, &b));
		assert_int_equal(port, 4500);
	}
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(500);
	sin.sin_addr.s_addr = htonl(0xc0000201);
	ip_address a;
	assert_true(address_from_sockaddr((struct sockaddr *)&sin, &a, NULL));
	char buf[ADDRESS_STR_MAX];
	assert_string_equal(address_str(&a, buf), "192.0.2.1");
}

static void test_sockaddr_unset_and_unknown(void **state)
{
	(void)state;
	ip_address unset;
	memset(&unset, 0, sizeof(unset));
	struct sockaddr_storage ss;
	socklen_t len = 99;
	address_to_sockaddr(&unset, 500, &ss, &len);
	assert_int_equal(len, 0);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
	struct sockaddr sa = { .sa_family = AF_UNIX };
	ip_address a;
	assert_false(address_from_sockaddr(&sa, &a, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_unset),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_subnet_parse),
		cmocka_unit_test(test_subnet_rejects),
		cmocka_unit_test(test_subnet_contains),
		cmocka_unit_test(test_sockaddr_round_trip),
		cmocka_unit_test(test_sockaddr_unset_and_unknown),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
